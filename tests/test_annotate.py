"""Batch annotation and training from the command line (the offline guarantee: test_offline.py)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "transcripts"
FIELDS = [
    "transcript",
    "source",
    "passage",
    "start",
    "end",
    "speaker",
    "text",
    "code",
    "confidence",
    "band",
    "exemplars",
    "model",
]


def run(*args: str):
    return CliRunner().invoke(main, ["--quiet", *map(str, args)])


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    out = tmp_path_factory.mktemp("drafts") / "draft"
    result = run("annotate", EXAMPLES, "--out", out, "--format", "jsonl,csv,qdpx,html")
    assert result.exit_code == 0, result.output
    return out


def test_annotate_writes_the_contract_files(draft):
    names = {p.name for p in draft.iterdir()}
    assert {
        "suggestions.jsonl",
        "suggestions.csv",
        "summary.csv",
        "draft.qdpx",
        "draft.html",
    } <= names
    rows = [json.loads(line) for line in (draft / "suggestions.jsonl").open(encoding="utf-8")]
    assert rows and all(list(row) == FIELDS for row in rows)
    by_id = {t.id: t for t in dn.load_transcripts(EXAMPLES)}
    for row in rows:
        assert by_id[row["transcript"]].text[row["start"] : row["end"]] == row["text"]
        assert 0 <= row["confidence"] <= 1 and row["band"] in {"likely", "review"}
        assert row["exemplars"] and row["model"].startswith("dtors-starter")
    with (draft / "suggestions.csv").open(encoding="utf-8-sig", newline="") as stream:
        assert len(list(csv.DictReader(stream))) == len(rows)


def test_the_summary_counts_every_suggestion(draft):
    rows = [json.loads(line) for line in (draft / "suggestions.jsonl").open(encoding="utf-8")]
    with (draft / "summary.csv").open(encoding="utf-8-sig", newline="") as stream:
        summary = list(csv.DictReader(stream))
    assert sum(int(r["likely"]) + int(r["review"]) for r in summary) == len(rows)


def test_a_rerun_reuses_finished_transcripts(draft):
    before = (draft / "suggestions.jsonl").read_text("utf-8")
    result = CliRunner().invoke(main, ["annotate", str(EXAMPLES), "--out", str(draft)])
    assert result.exit_code == 0
    assert "0 transcripts coded" in result.output
    assert (draft / "suggestions.jsonl").read_text("utf-8") == before


def test_a_warm_rerun_imports_no_encoder_spacy_or_scikit_learn(draft, tmp_path):
    """Every vector and sentence boundary cached (by the draft's run): the issue's warm re-run."""
    code = (
        "import sys\n"
        "from dtors_nlp.cli import main\n"
        f"main(['--quiet', 'annotate', {str(EXAMPLES)!r}, '--out', {str(tmp_path / 'd')!r}],"
        " standalone_mode=False)\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'sklearn', 'spacy')\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    rerun = (tmp_path / "d" / "suggestions.jsonl").read_bytes()
    assert rerun == (draft / "suggestions.jsonl").read_bytes()


def test_a_bad_file_is_skipped_and_reported(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "good.txt").write_text(
        "Interviewer: How have you been?\nParticipant: Rattling, to be honest, all week.\n",
        "utf-8",
    )
    (inputs / "broken.docx").write_bytes(b"this is not a docx")
    result = CliRunner().invoke(main, ["annotate", str(inputs), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "broken.docx" in result.output
    assert "broken.docx" in (tmp_path / "out" / "skipped.csv").read_text("utf-8-sig")
    assert (tmp_path / "out" / "suggestions.jsonl").is_file()


def test_the_output_folder_may_not_sit_inside_an_input_folder(tmp_path):
    (tmp_path / "a.txt").write_text("Interviewer: Hi?\nParticipant: Hello.\n", "utf-8")
    result = run("annotate", tmp_path, "--out", tmp_path / "draft")
    assert result.exit_code == 2
    assert "inside the input folder" in result.output
    assert not (tmp_path / "draft").exists()


def test_a_folder_of_other_files_is_not_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", "utf-8")
    result = run("annotate", EXAMPLES / "p01-keyworker.txt", "--out", out)
    assert result.exit_code == 2 and "not a dtors-nlp draft" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_train_then_annotate_with_the_new_model(tmp_path, starter_passages):
    data = tmp_path / "coded.csv"
    with data.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "codes", "transcript"])
        for p in starter_passages[::4]:
            writer.writerow([p.text, ";".join(sorted(p.codes)), p.transcript])
    model_dir = tmp_path / "model"
    result = run("train", data, "--out", model_dir, "--name", "team model 1")
    assert result.exit_code == 0, result.output
    assert (model_dir / "README.md").is_file()
    out = tmp_path / "draft"
    result = run("annotate", EXAMPLES / "p01-keyworker.txt", "--out", out, "--model", model_dir)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "suggestions.jsonl").open(encoding="utf-8")]
    assert rows and {row["model"] for row in rows} == {"team model 1"}


def test_train_reports_unknown_codes_in_one_line(tmp_path):
    data = tmp_path / "coded.csv"
    data.write_text("text,codes\nI waited months,barrier/waiting_list\n", "utf-8")
    result = run("train", data, "--out", tmp_path / "m")
    assert result.exit_code == 2
    assert "barrier/waiting_list" in result.output and "Traceback" not in result.output


def test_review_decisions_change_what_a_retrained_model_suggests(
    embedder, starter_passages, small_model, tmp_path
):
    """Coders move passages to a code in a review CSV: the retrained model learns it."""
    code = "service_response/trusting_relationship"
    moved = [p for p in starter_passages[1::3] if "environment/drug_using_environment" in p.codes]
    review = tmp_path / "review.csv"
    with review.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "transcript",
                "source",
                "passage",
                "start",
                "end",
                "speaker",
                "text",
                "code",
                "confidence",
                "band",
                "decision",
                "new_code",
                "coder",
                "note",
            ]
        )
        for i, p in enumerate(moved):
            writer.writerow(
                [
                    p.transcript,
                    "x.txt",
                    i,
                    0,
                    len(p.text),
                    "P",
                    p.text,
                    "environment/drug_using_environment",
                    0.5,
                    "review",
                    "change",
                    code,
                    "AB",
                    "",
                ]
            )
    corrected = starter_passages[::3] + dn.load_coded(review)
    retrained = dn.CodeSuggester(embedder=embedder).fit_coded(corrected)
    texts = [p.text for p in moved]
    before = small_model.predict_proba(texts)[:, small_model.codes.index(code)]
    after = retrained.predict_proba(texts)[:, retrained.codes.index(code)]
    assert np.mean(after) > 2 * np.mean(before)


def test_every_suggestion_of_a_draft_reads_back_as_a_typed_suggestion(draft):
    lines = (draft / "suggestions.jsonl").read_text("utf-8").splitlines()
    suggestions = [dn.Suggestion.from_dict(json.loads(line)) for line in lines]
    assert [json.dumps(s.to_dict(), ensure_ascii=False) for s in suggestions] == lines


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"start": None}, "malformed value: start must be a whole number"),
        ({"start": 90, "end": 10}, "0 <= start <= end"),
        ({"confidence": 1.7}, "confidence 1.7 is not between 0 and 1"),
        ({"band": "maybe"}, "band 'maybe' is not one of review, likely"),
        ({"exemplars": "one text"}, "exemplars must be a list"),
    ],
)
def test_a_malformed_suggestion_row_names_its_fault(draft, change, problem):
    row = json.loads((draft / "suggestions.jsonl").read_text("utf-8").splitlines()[0])
    with pytest.raises(ValueError, match=problem):
        dn.Suggestion.from_dict(row | change)
    del row["model"]
    with pytest.raises(ValueError, match="suggestion has no model"):
        dn.Suggestion.from_dict(row)


def test_a_damaged_part_is_reported_with_its_file_not_exported(tmp_path):
    out = tmp_path / "draft"
    assert run("annotate", EXAMPLES / "p01-keyworker.txt", "--out", out).exit_code == 0
    (part,) = (out / ".parts").glob("*.jsonl")
    fingerprint, first, *rest = part.read_text("utf-8").splitlines()
    damaged = json.loads(first) | {"band": "maybe"}
    part.write_text("\n".join([fingerprint, json.dumps(damaged), *rest]) + "\n", "utf-8")
    before = (out / "suggestions.jsonl").read_bytes()
    result = run("annotate", EXAMPLES / "p01-keyworker.txt", "--out", out)
    assert result.exit_code != 0
    assert part.name in result.output and "run again with --force" in result.output
    assert (out / "suggestions.jsonl").read_bytes() == before
