"""The audit trail: draft manifests, `verify`, `methods`, `model info` and `--expect-model`."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import dtors_nlp as dn
from dtors_nlp.annotate import annotate
from dtors_nlp.cli import main
from dtors_nlp.codebook import codebook_from_dict
from dtors_nlp.evaluate import evaluate
from dtors_nlp.evaluate_report import write_report
from dtors_nlp.persist import MODEL_FILES, starter_model_path
from dtors_nlp.provenance import MANIFEST, check_expected_model, model_folder

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "transcripts"
STARTER_DATA = Path(__file__).resolve().parents[1] / "models" / "dtors-starter" / "training-data"


def starter_dimensions() -> set[str]:
    """The dimensions of the codebook the starter model was trained with (it may be older than
    the library's)."""
    settings = json.loads((starter_model_path() / "model.json").read_text("utf-8"))
    return {d.name for d in codebook_from_dict(settings["codebook"]).dimensions}


def run(*args: object):
    return CliRunner().invoke(main, ["--quiet", *map(str, args)])


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dtors-nlp: error: "), result.output
    return lines[0]


@pytest.fixture(scope="module")
def fingerprint() -> str:
    return dn.model_info()["fingerprint"]


@pytest.fixture(scope="module")
def project(tmp_path_factory, fingerprint):
    """A project folder: copied example transcripts and a draft of them, made from inside it
    with relative paths (so that the manifest records them relative to it)."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(EXAMPLES, root / "inputs")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        result = run(
            "annotate",
            "inputs",
            "--out",
            "draft",
            "--format",
            "jsonl,csv,qdpx,html",
            "--expect-model",
            fingerprint[:12],
        )
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def moved(project, tmp_path) -> Path:
    """A copy of the project elsewhere, to change: verify finds its inputs with --inputs-root."""
    return Path(shutil.copytree(project, tmp_path / "project"))


def verify(folder: Path):
    return run("verify", folder / "draft", "--inputs-root", folder)


def statuses(folder: Path) -> dict[str, str]:
    return {check.path: check.status for check in dn.verify_draft(folder / "draft", folder).files}


def test_the_manifest_records_model_inputs_and_outputs(project, fingerprint):
    manifest = json.loads((project / "draft" / MANIFEST).read_text("utf-8"))
    assert manifest["software"]["dtors-nlp"] == dn.__version__
    assert manifest["model"]["fingerprint"] == fingerprint
    assert manifest["model"]["codebook"]["name"] == "DTORS"
    assert manifest["options"]["formats"] == ["jsonl", "csv", "qdpx", "html"]
    inputs = {row["path"] for row in manifest["inputs"]}
    assert inputs == {f"inputs/{file.name}" for file in EXAMPLES.iterdir()}
    outputs = {row["path"] for row in manifest["outputs"]}
    assert outputs == {"summary.csv", "suggestions.jsonl", "suggestions.csv"} | {
        "draft.qdpx",
        "draft.html",
    }
    assert all(len(row["sha256"]) == 64 for row in manifest["inputs"] + manifest["outputs"])


def test_the_draft_shows_the_model_fingerprint(project, fingerprint):
    draft = project / "draft"
    with (draft / "summary.csv").open(encoding="utf-8-sig", newline="") as stream:
        assert {row["model_fingerprint"] for row in csv.DictReader(stream)} == {fingerprint[:12]}
    with zipfile.ZipFile(draft / "draft.qdpx") as archive:
        assert "<Description>Draft suggested by dtors-nlp" in archive.read("project.qde").decode()
        assert fingerprint in archive.read("project.qde").decode()
    assert f"fingerprint {fingerprint[:12]}" in (draft / "draft.html").read_text("utf-8")


def test_verify_passes_on_an_untouched_draft(project, moved):
    result = verify(moved)
    assert result.exit_code == 0, result.output
    assert "all 13 files unchanged" in result.output
    assert dn.verify_draft(project / "draft").ok  # inputs found where annotate ran


def test_verify_detects_a_changed_input_transcript(moved):
    with (moved / "inputs" / "p01-keyworker.txt").open("a", encoding="utf-8") as stream:
        stream.write(" ")
    result = verify(moved)
    assert result.exit_code == 1 and "1 of 13 files changed or missing" in result.output
    assert statuses(moved)["inputs/p01-keyworker.txt"] == "changed"


def test_verify_detects_a_changed_suggestions_file(moved):
    suggestions = moved / "draft" / "suggestions.jsonl"
    suggestions.write_text(suggestions.read_text("utf-8").replace("likely", "review"), "utf-8")
    assert verify(moved).exit_code == 1
    found = statuses(moved)
    assert found["suggestions.jsonl"] == "changed"
    assert [path for path, status in found.items() if status != "unchanged"] == [
        "suggestions.jsonl"
    ]


def test_verify_detects_a_missing_qdpx(moved):
    (moved / "draft" / "draft.qdpx").unlink()
    result = verify(moved)
    assert result.exit_code == 1 and "missing" in result.output
    assert statuses(moved)["draft.qdpx"] == "missing"


def test_verify_says_in_one_line_that_an_older_draft_has_no_manifest(moved):
    (moved / "draft" / MANIFEST).unlink()
    assert "no manifest.json" in one_line_error(verify(moved))
    with pytest.raises(dn.DtorsError, match="no manifest.json"):
        dn.verify_draft(moved / "draft")


def test_a_damaged_manifest_is_reported_in_one_line(moved):
    manifest = moved / "draft" / MANIFEST
    settings = json.loads(manifest.read_text("utf-8"))
    del settings["outputs"][0]["sha256"]
    manifest.write_text(json.dumps(settings), "utf-8")
    assert "damaged (a file without path, bytes or sha256)" in one_line_error(verify(moved))
    del settings["model"]["trained_on"]
    manifest.write_text(json.dumps(settings), "utf-8")
    assert "damaged" in one_line_error(run("methods", moved / "draft"))
    manifest.write_text("{", "utf-8")
    assert "not valid JSON" in one_line_error(verify(moved))


def test_a_run_that_stops_before_the_end_leaves_no_stale_manifest(moved, monkeypatch):
    from dtors_nlp.export import suggestions

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(suggestions, "write_tables", fail)
    with pytest.raises(KeyboardInterrupt):
        annotate([moved / "inputs"], moved / "draft", dn.load_model(), ("jsonl", "csv"))
    assert not (moved / "draft" / MANIFEST).exists()


def test_expect_model_refuses_another_model(project, tmp_path):
    result = run(
        "annotate", project / "inputs", "--out", tmp_path / "d", "--expect-model", "0" * 12
    )
    assert "is not the expected 000000000000" in one_line_error(result)
    assert not (tmp_path / "d").exists()
    too_short = run(
        "annotate", project / "inputs", "--out", tmp_path / "d", "--expect-model", "abc"
    )
    assert "at least 12" in one_line_error(too_short)


def test_a_model_trained_again_has_no_fingerprint():
    model = dn.load_model()
    assert model_folder(model).fingerprint == dn.model_info()["fingerprint"]
    model.trained_on_ = dict(model.trained_on_)  # as fit() makes a new training record
    assert model_folder(model) is None
    with pytest.raises(dn.ModelError, match="no fingerprint"):
        check_expected_model(model, "0" * 12)


def test_methods_writes_a_paragraph_with_the_trail_and_a_placeholder_for_review(project):
    manifest = json.loads((project / "draft" / MANIFEST).read_text("utf-8"))
    result = run("methods", project / "draft")
    assert result.exit_code == 0, result.output
    text = result.output
    assert f"`{manifest['model']['fingerprint']}`" in text
    assert f"dtors-nlp` {dn.__version__}" in text
    assert f"{len(dn.load_coded(STARTER_DATA))} hand-coded passages" in text
    assert "**[To be confirmed by the team: every suggestion was reviewed" in text
    for dimension in starter_dimensions():
        assert f"{dimension} (" in text
    plain = run("methods", project / "draft", "--format", "txt").output
    assert "`" not in plain and "**" not in plain and "[To be confirmed" in plain
    assert dn.methods_text(project / "draft", "txt") == plain


def test_methods_adds_the_cross_validated_agreement(project, embedder, tmp_path):
    passages = [
        p
        for p in dn.load_coded(STARTER_DATA / "vignettes" / "pressure_motivation.csv")
        if p.transcript in {f"PM-S0{i}" for i in range(1, 7)}
    ]
    report = evaluate(dn.CodeSuggester(embedder=embedder), passages, folds=3, learning_curve=False)
    write_report(report, tmp_path / "report")
    text = dn.methods_text(project / "draft", evaluation=tmp_path / "report")
    assert "3-fold cross-validation grouped by transcript" in text
    assert "pressure: mean Cohen's kappa over its codes" in text
    assert "Krippendorff's alpha" in text
    missing = run("methods", project / "draft", "--evaluation", tmp_path)
    assert "no report.json" in one_line_error(missing)


def test_model_info_describes_and_checks_a_model(tmp_path, fingerprint):
    result = run("model", "info")
    assert result.exit_code == 0, result.output
    assert fingerprint in result.output and "all-MiniLM-L6-v2" in result.output
    info = json.loads(run("model", "info", starter_model_path(), "--json").output)
    assert info["fingerprint"] == fingerprint
    assert info["trained_on"]["passages"] == len(dn.load_coded(STARTER_DATA))
    assert set(info["out_of_fold"]) == starter_dimensions()
    twin = tmp_path / "twin"
    twin.mkdir()
    for name in MODEL_FILES:
        shutil.copyfile(starter_model_path() / name, twin / name)
    settings = json.loads((twin / "model.json").read_text("utf-8"))
    settings["parameters"]["likely_precision"] = 0.1
    (twin / "model.json").write_text(json.dumps(settings, indent=2), "utf-8")
    line = one_line_error(run("model", "info", twin))
    assert str(twin) in line and "fingerprint mismatch" in line
