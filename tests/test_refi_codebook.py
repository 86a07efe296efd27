"""REFI-QDA codebooks: our .qdc export round-trips; foreign codebooks map onto dimensions."""

import re
from pathlib import Path
from xml.etree.ElementTree import parse

import pytest

from dtors_nlp.codebook import Code, Codebook, Dimension, load_codebook
from dtors_nlp.errors import CodebookError, RefiError
from dtors_nlp.refi.codebook import identifier, read_codebook, write_qdc

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLES = SHARED / "refi-qda" / "samples"
CODEBOOK_1_0 = Path(__file__).parent / "data" / "dtors-codebook-1.0.yaml"
NS = "{urn:QDA-XML:codebook:1.0}"


def qdc(tmp_path: Path, codes: str, sets: str = "") -> Path:
    path = tmp_path / "foreign.qdc"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{codes}</Codes>{sets}</CodeBook>',
        encoding="utf-8",
    )
    return path


def code(name: str, guid: str, children: str = "", codable: str = "true") -> str:
    return f'<Code guid="{guid}" name="{name}" isCodable="{codable}">{children}</Code>'


GUIDS = [f"{{{n:08X}-AAAA-4BBB-8CCC-DDDDDDDDDDDD}}" for n in range(20)]  # braces, upper case


def test_dtors_codebook_round_trips(tmp_path):
    book = load_codebook()
    write_qdc(book, tmp_path / "dtors.qdc")
    assert read_codebook(tmp_path / "dtors.qdc") == book


def test_dtors_1_0_codebook_round_trips_without_note_paragraphs(tmp_path):
    book = load_codebook(CODEBOOK_1_0)
    write_qdc(book, tmp_path / "dtors-1.0.qdc")
    assert read_codebook(tmp_path / "dtors-1.0.qdc") == book
    text = (tmp_path / "dtors-1.0.qdc").read_text("utf-8")
    assert "Include:" not in text and "Notes for coders:" not in text


def descriptions(path: Path) -> dict[str, str]:
    """The ``<Description>`` of every code of a .qdc, by ``dimension/code``."""
    found = {}
    for dimension in parse(path).getroot().iter(f"{NS}Code"):
        for code in dimension.findall(f"{NS}Code"):
            text = code.findtext(f"{NS}Description", "")
            found[f"{dimension.get('name')}/{code.get('name')}"] = text
    return found


def test_each_code_description_carries_inclusion_exclusion_and_keywords(tmp_path):
    book = load_codebook()
    write_qdc(book, tmp_path / "dtors.qdc")
    found = descriptions(tmp_path / "dtors.qdc")
    assert sorted(found) == sorted(book.codes)
    surface = book.code("motivation/surface")
    assert found["motivation/surface"] == (
        f"{surface.description}\n\nInclude: {surface.include}\n\nExclude: {surface.exclude}"
        f"\n\nKeywords: {'; '.join(surface.keywords)}"
    )
    for code, text in found.items():
        paragraphs = text.split("\n\n")
        assert [p.partition(":")[0] for p in paragraphs[1:]] == [
            "Include",
            "Exclude",
            "Keywords",
        ], code
    sets = (tmp_path / "dtors.qdc").read_text("utf-8")
    assert "Notes for coders:\n- Code the interviewee's speech only." in sets


def test_notes_of_every_shape_survive(tmp_path):
    book = Codebook(
        "noted",
        (
            Dimension(
                "mood",
                (
                    Code("low", "", include="Sad.\nAlso flat.\n\nAnd hopeless."),
                    Code("high", "Up.\n\n[not a flag]", exclude="Low: mood/low."),
                    Code("mixed", "Both.", keywords=("up, then down", "24/7", "Include")),
                    Code("plain", "Include nothing here."),
                ),
            ),
        ),
        version="2",
        description="First paragraph.\n\nSecond paragraph.",
        notes="- one\n\n- two, after a blank line",
    )
    write_qdc(book, tmp_path / "noted.qdc")
    assert read_codebook(tmp_path / "noted.qdc") == book


def test_foreign_descriptions_with_include_and_exclude_paragraphs_give_notes(tmp_path):
    text = (
        "<Description>Feeling down.\n\nInclude: sad,\nflat.\n\nExclude: joy.\n"
        "Keywords: low; fed\nup ; </Description>"
    )
    path = qdc(tmp_path, code("Mood", GUIDS[0], code("Low", GUIDS[1], text)))
    low = read_codebook(path).code("mood/low")
    assert low.description == "Low: Feeling down."  # the original name is kept in front
    assert (low.include, low.exclude, low.keywords) == ("sad,\nflat.", "joy.", ("low", "fed up"))


def test_multi_label_label_and_version_survive(tmp_path):
    book = Codebook(
        "tiny",
        (
            Dimension("mood", (Code("low", "Down.\n\n[not a flag]"),), "Mood", "How.", False),
            Dimension("place", (Code("home"), Code("street")), multi_label=True),
        ),
        version="0.3",
        description="A tiny codebook.",
    )
    write_qdc(book, tmp_path / "tiny.qdc")
    assert read_codebook(tmp_path / "tiny.qdc") == book


def test_export_is_reproducible_with_lower_case_guids(tmp_path):
    write_qdc(load_codebook(), tmp_path / "a.qdc")
    write_qdc(load_codebook(), tmp_path / "b.qdc")
    data = (tmp_path / "a.qdc").read_bytes()
    assert data == (tmp_path / "b.qdc").read_bytes()
    guids = re.findall(r'guid="([^"]*)"', data.decode())
    assert guids and all(
        re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", g) for g in guids
    )


def test_nested_foreign_codebook_becomes_dimensions(tmp_path):
    nested = code(
        "Barriers",
        GUIDS[0],
        code("Waiting Lists", GUIDS[1], code("too long", GUIDS[2]))
        + code("group", GUIDS[3], code("Staff attitude", GUIDS[4]), codable="false"),
    )
    loose = code("Café talk", GUIDS[5]) + code("2nd thought", GUIDS[6])
    book = read_codebook(qdc(tmp_path, nested + loose))
    assert book.name == "foreign"
    assert book.codes == [
        "barriers/waiting_lists",
        "barriers/waiting_lists__too_long",
        "barriers/group__staff_attitude",
        "codes/cafe_talk",
        "codes/code_2nd_thought",
    ]
    assert book.dimension("barriers").label == "Barriers"
    assert book.describe("barriers/waiting_lists__too_long") == "Waiting Lists > too long"
    assert book.describe("codes/cafe_talk") == "Café talk"


def test_flat_codebook_becomes_one_dimension(tmp_path):
    book = read_codebook(qdc(tmp_path, code("alpha", GUIDS[0]) + code("beta", GUIDS[1])))
    assert book.codes == ["codes/alpha", "codes/beta"]
    assert book.dimension("codes").label == "foreign"


def test_duplicate_codes_after_renaming_are_a_codebook_error(tmp_path):
    path = qdc(tmp_path, code("Alpha", GUIDS[0]) + code("alpha", GUIDS[1]))
    with pytest.raises(CodebookError, match="codes/alpha appears twice") as caught:
        read_codebook(path)
    assert str(path) in str(caught.value)


def test_codebook_without_codes_is_refused(tmp_path):
    with pytest.raises(RefiError, match="no codes"):
        read_codebook(qdc(tmp_path, ""))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("engagement", "engagement"),
        ("Self Esteem!", "self_esteem"),
        ("42", "code_42"),
        ("", "code"),
    ],
)
def test_identifier(name, expected):
    assert identifier(name) == expected


def test_load_codebook_dispatches_qdc(tmp_path):
    write_qdc(load_codebook(), tmp_path / "dtors.qdc")
    assert load_codebook(tmp_path / "dtors.qdc") == load_codebook()


@pytest.mark.parametrize(
    ("sample", "first_code"),
    [
        ("atlas-ti-23.qdpx", "commits/code_2022_05_10t02_05_59z_19e4dce"),
        ("nvivo-mac-15.qdpx", "rq1_definition/competencies"),
        ("qc-demo-coded.qdpx", "rq1_definition/competencies"),
    ],
)
def test_real_project_codebooks_load(sample, first_code):
    if not (SAMPLES / sample).is_file():
        pytest.skip("../shared/refi-qda/samples is not beside the clone")
    book = read_codebook(SAMPLES / sample)
    assert book.codes[0] == first_code
