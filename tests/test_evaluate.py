"""Grouped cross-validation and its report, on a few interviews of the starter training set.

Uses the bundled MiniLM with an embedding cache in pytest's temporary folder (shared with
test_next_to_code.py), so every text is embedded once per test session.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dtors_nlp.cli import main
from dtors_nlp.codebook import load_codebook
from dtors_nlp.coded import CodedPassage, load_coded
from dtors_nlp.embed import Embedder
from dtors_nlp.errors import OutputError, TrainingDataError
from dtors_nlp.evaluate import (
    LIKELY,
    NOT_SUGGESTED,
    evaluate,
    outer_folds,
)
from dtors_nlp.evaluate_report import REPORT_FILES, write_report
from dtors_nlp.model import CodeSuggester

STARTER = Path(__file__).parent.parent / "models" / "dtors-starter" / "training-data"
TRANSCRIPTS = [f"PM-S0{i}" for i in range(1, 7)]
FOLDS = 3
UNIT_FIGURES = {"precision", "recall", "f1", "accuracy", "macro_f1", "suggested", "likely"}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "embeddings"


@pytest.fixture(scope="module")
def embedder(cache_dir) -> Embedder:
    return Embedder(cache=cache_dir)


@pytest.fixture(scope="module")
def passages() -> list[CodedPassage]:
    """About a hundred passages from six interviews; the last three only partly judged."""
    coded = [
        p
        for p in load_coded(STARTER / "vignettes" / "pressure_motivation.csv")
        if p.transcript in TRANSCRIPTS
    ]
    partial = [CodedPassage(p.text, p.codes, p.transcript, complete=False) for p in coded[-3:]]
    return coded[:-3] + partial


class RecordingSuggester(CodeSuggester):
    """A CodeSuggester that notes the transcripts it trains on and is asked about."""

    folds_seen: list[tuple[set[str], set[str]]] = []
    transcript_of: dict[str, str] = {}

    def fit_coded(self, passages):
        self.trained_on = {p.transcript for p in passages}
        return super().fit_coded(passages)

    def predict_proba(self, texts, contexts=None):
        tested = {self.transcript_of[text] for text in texts}
        RecordingSuggester.folds_seen.append((self.trained_on, tested))
        return super().predict_proba(texts, contexts)


@pytest.fixture(scope="module")
def evaluation(passages, embedder):
    RecordingSuggester.transcript_of = {p.text: p.transcript for p in passages}
    return evaluate(RecordingSuggester(embedder=embedder, min_examples=3), passages, folds=FOLDS)


def test_no_interview_on_both_sides(evaluation):
    assert len(RecordingSuggester.folds_seen) == FOLDS * len(evaluation.learning_curve)
    for trained_on, tested in RecordingSuggester.folds_seen:
        assert trained_on and tested and not trained_on & tested


def test_outer_folds_keep_transcripts_whole(passages):
    fold_of = outer_folds(passages, FOLDS)
    for transcript in TRANSCRIPTS:
        assert len({fold_of[i] for i, p in enumerate(passages) if p.transcript == transcript}) == 1


def test_too_few_transcripts_for_the_folds(passages):
    with pytest.raises(TrainingDataError, match="only 6 transcripts"):
        outer_folds(passages, 7)


def test_figures_are_in_range(evaluation):
    def check(value, key=""):
        if isinstance(value, dict):
            for name, inner in value.items():
                check(inner, name if name not in {"macro", "micro"} else key)
        elif isinstance(value, list):
            for inner in value:
                check(inner, key)
        elif key in {"kappa", "alpha"} and value is not None:
            assert -1 <= value <= 1
        elif key in UNIT_FIGURES or key.endswith(("share", "error", "score")):
            assert 0 <= value <= 1, (key, value)

    check(evaluation.to_dict())
    assert evaluation.calibration["probabilities"] > 0
    assert evaluation.codes["motivation/surface"]["support"] > 0


def test_unknown_labels_are_left_out(evaluation, passages):
    # the three partly judged passages only count for the codes they were given
    judged = evaluation.codes["pressure/physical_need"]["judged"]
    partial = [p for p in passages if not p.complete]
    assert judged == len(passages) - sum("pressure/physical_need" not in p.codes for p in partial)


def test_learning_curve_grows_the_training_set(evaluation):
    sizes = [point["training_passages"] for point in evaluation.learning_curve]
    assert len(sizes) >= 2 and sizes == sorted(sizes)
    assert evaluation.learning_curve[-1]["fraction"] == 1.0


def test_single_label_dimension_suggests_one_code(passages, embedder):
    model = CodeSuggester(embedder=embedder, min_examples=3).fit_coded(passages)
    proba = model.predict_proba([p.text for p in passages])
    bands = model.bands(proba)
    motivation = [i for i, code in enumerate(model.codes) if code.startswith("motivation/")]
    assert ((bands[:, motivation] > NOT_SUGGESTED).sum(axis=1) <= 1).all()
    assert bands.max() <= LIKELY


def test_report_folder(evaluation, tmp_path):
    written = write_report(evaluation, tmp_path)
    assert sorted(p.name for p in written) == sorted(REPORT_FILES)
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report) == {
        "summary",
        "codes",
        "dimensions",
        "calibration",
        "triage",
        "learning_curve",
    }
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "http" not in page
    assert (tmp_path / "reliability.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(OutputError, match="already exists"):
        write_report(evaluation, tmp_path)
    write_report(evaluation, tmp_path, force=True)


def _write_training_csv(path: Path, passages: list[CodedPassage]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "codes", "transcript"])
        writer.writerows([p.text, ";".join(sorted(p.codes)), p.transcript] for p in passages)
    return path


def test_cli_evaluate(passages, cache_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("DTORS_NLP_CACHE", str(cache_dir))
    data = _write_training_csv(tmp_path / "coded.csv", [p for p in passages if p.complete])
    report = tmp_path / "report"
    args = ["evaluate", str(data), "--folds", "3", "--no-learning-curve", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Macro-F1" in result.output and "motivation/surface" in result.output
    assert (report / "report.html").is_file() and not (report / "learning_curve.png").exists()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "--force" in again.output


def test_cli_evaluate_bad_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("words,labels\nhello,x\n")
    result = CliRunner().invoke(main, ["evaluate", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"dtors-nlp: error: {bad}: needs a 'text' column and a 'codes' column"
    ]


def test_codes_outside_the_codebook_are_refused(passages):
    odd = [*passages, CodedPassage("Something else.", frozenset({"nope/never"}), "PM-S01")]
    with pytest.raises(TrainingDataError, match="nope/never"):
        evaluate(CodeSuggester(codebook=load_codebook()), odd, folds=FOLDS, learning_curve=False)


def test_the_estimator_given_is_cloned_not_fitted(passages, embedder):
    estimator = CodeSuggester(embedder=embedder, min_examples=3)
    evaluate(estimator, passages, folds=FOLDS, learning_curve=False)
    assert not hasattr(estimator, "heads_")


def test_the_old_form_still_works_with_a_deprecation_warning(passages, embedder):
    with pytest.warns(DeprecationWarning, match="give the estimator first"):
        old = evaluate(passages, folds=FOLDS, learning_curve=False, embedder=embedder)
    new = evaluate(CodeSuggester(embedder=embedder), passages, folds=FOLDS, learning_curve=False)
    assert old.to_dict() == new.to_dict()
