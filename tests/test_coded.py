"""Hand-coded training data: CSV, JSONL, review CSVs and REFI-QDA projects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dtors_nlp as dn
from dtors_nlp.coded import drop_unknown_codes, map_code_name

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "refi-qda" / "samples"


def test_csv_with_codes_transcript_and_context(tmp_path):
    data = tmp_path / "coded.csv"
    data.write_text(
        "text,codes,transcript,speaker,context\n"
        '"I was rattling, proper sick","pressure/physical_need; motivation/surface",int01,P1,Why?\n'
        "Nice weather today,,int01,P1,\n",
        "utf-8",
    )
    first, second = dn.load_coded(data)
    assert first.codes == {"pressure/physical_need", "motivation/surface"}
    assert (first.transcript, first.speaker, first.context) == ("int01", "P1", "Why?")
    assert second.codes == frozenset() and second.complete


def test_jsonl_takes_lists_or_strings(tmp_path):
    data = tmp_path / "coded.jsonl"
    rows = [
        {"text": "a", "codes": ["barrier/engagement"]},
        {"text": "b", "codes": "outcome/relapsed"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    assert [p.codes for p in dn.load_coded(data)] == [{"barrier/engagement"}, {"outcome/relapsed"}]


def test_review_csv_becomes_partial_codings(tmp_path):
    review = tmp_path / "review.csv"
    header = (
        "transcript,source,passage,start,end,speaker,text,code,confidence,band,"
        "decision,new_code,coder,note\n"
    )
    review.write_text(
        "\ufeff"
        + header
        + "t1,t1.txt,0,5,20,P,I waited months,barrier/engagement,0.8,likely,accept,,AB,\n"
        + "t1,t1.txt,0,5,20,P,I waited months,barrier/delivery,0.4,review,reject,,AB,\n"
        + "t1,t1.txt,1,30,50,P,My mum helped,barrier/delivery,0.4,review,change,"
        + "environment/support_network,AB,\n"
        + "t1,t1.txt,2,60,70,P,Undecided one,barrier/delivery,0.4,review,,,AB,\n",
        "utf-8",
    )
    waited, mum = dn.load_coded(review)
    assert waited.codes == {"barrier/engagement"} and waited.rejected == {"barrier/delivery"}
    assert mum.codes == {"environment/support_network"} and mum.rejected == {"barrier/delivery"}
    assert not waited.complete


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("text,codes\n ,barrier/engagement\n", "row 2 has an empty text"),
        ("words,labels\nx,y\n", "needs a 'text' column"),
    ],
)
def test_bad_training_files_name_the_file_and_problem(tmp_path, content, problem):
    data = tmp_path / "bad.csv"
    data.write_text(content, "utf-8")
    with pytest.raises(dn.TrainingDataError, match=problem) as error:
        dn.load_coded(data)
    assert "bad.csv" in str(error.value)


def test_qda_code_names_map_to_the_codebook():
    book = dn.load_codebook()
    assert map_code_name("Barrier/Engagement", book) == "barrier/engagement"
    assert map_code_name("engagement", book) == "barrier/engagement"
    assert map_code_name("Waiting lists", book) == "Waiting lists"


def test_unknown_codes_can_be_dropped_and_counted():
    book = dn.load_codebook()
    passages = [dn.CodedPassage("a", frozenset({"barrier/engagement", "mine/other"}))]
    kept, dropped = drop_unknown_codes(passages, book)
    assert kept[0].codes == {"barrier/engagement"} and dropped == {"mine/other": 1}


def test_a_coded_qdpx_project_gives_training_passages():
    project = SAMPLES / "qc-demo-coded.qdpx"
    if not project.is_file():
        pytest.skip("../shared/refi-qda/samples is not here")
    book = dn.load_codebook(project)
    passages = dn.load_coded(project, book)
    assert len(passages) == 158
    assert all(p.codes and p.codes <= set(book.codes) for p in passages)


def test_a_line_break_inside_a_quoted_cell_stays_in_the_passage(tmp_path):
    path = tmp_path / "coded.csv"
    path.write_text(
        'text,codes,transcript\r\n"Not at first.\r\n\r\nSo we waited.",barrier/engagement,t1\r\n',
        "utf-8",
    )
    (passage,) = dn.load_coded(path)
    assert passage.text == "Not at first.\n\nSo we waited."
