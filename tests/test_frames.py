"""pandas frames: suggestions, a draft's suggestions files, evaluation figures."""

from __future__ import annotations

import sys

import pytest

import dtors_nlp as dn
from dtors_nlp.annotate import annotate
from dtors_nlp.evaluate import Evaluation
from dtors_nlp.export.suggestions import FIELDS

pd = pytest.importorskip("pandas")

EXAMPLE = "examples/transcripts/p01-keyworker.txt"


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    """The starter model's suggestions for one example, and its draft folder."""
    model = dn.load_model()
    folder = tmp_path_factory.mktemp("draft")
    annotate([EXAMPLE], folder, model, ["jsonl", "csv"])
    return model.suggest(dn.load_transcript(EXAMPLE)), folder


def test_suggestions_frame_has_the_files_columns_and_dtypes(draft):
    suggestions, _ = draft
    frame = dn.suggestions_frame(suggestions)
    assert list(frame.columns) == list(FIELDS)
    assert len(frame) == len(suggestions) > 0
    assert isinstance(frame["band"].dtype, pd.CategoricalDtype)
    assert list(frame["band"].cat.categories) == ["review", "likely"]
    assert frame["band"].cat.ordered
    assert all(frame[c].dtype == "int64" for c in ("passage", "start", "end"))
    assert frame["confidence"].dtype == "float64"
    assert frame["exemplars"].iloc[0] == list(suggestions[0].exemplars)


@pytest.mark.parametrize("name", ["suggestions.jsonl", "suggestions.csv", ""])
def test_read_suggestions_gives_the_same_frame_from_either_file(draft, name):
    suggestions, folder = draft
    frame = dn.read_suggestions(folder / name if name else folder)
    pd.testing.assert_frame_equal(frame, dn.suggestions_frame(suggestions))


def test_an_empty_draft_gives_an_empty_frame_with_the_columns():
    frame = dn.suggestions_frame([])
    assert list(frame.columns) == list(FIELDS) and len(frame) == 0


def test_read_suggestions_names_the_file_and_problem(tmp_path):
    wrong = tmp_path / "codes.csv"
    wrong.write_text("text,codes\nhello,a/b\n", encoding="utf-8")
    with pytest.raises(dn.DtorsError, match=r"codes\.csv: not a suggestions file: no column"):
        dn.read_suggestions(wrong)
    broken = tmp_path / "suggestions.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(dn.DtorsError, match=r"suggestions\.jsonl: line 1 is not valid JSON"):
        dn.read_suggestions(broken)
    (tmp_path / "empty").mkdir()
    with pytest.raises(dn.DtorsError, match="empty: no suggestions.jsonl or suggestions.csv"):
        dn.read_suggestions(tmp_path / "empty")


def test_evaluation_to_frame_has_a_row_per_code():
    figures = {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "kappa": None, "alpha": 0.4}
    evaluation = Evaluation(
        summary={},
        codes={"a/x": {"support": 3, "judged": 10, "suggested": figures, "likely": figures}},
        dimensions={},
        calibration={},
        triage={},
        learning_curve=[],
    )
    frame = evaluation.to_frame()
    assert frame.index.tolist() == ["a/x"] and frame.index.name == "code"
    assert frame.loc["a/x", "support"] == 3 and frame["support"].dtype == "int64"
    assert frame.loc["a/x", "likely_f1"] == 0.6667
    assert pd.isna(frame.loc["a/x", "suggested_kappa"])


def test_without_pandas_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(dn.DtorsError, match=r"pip install 'dtors-nlp\[pandas\]'"):
        dn.suggestions_frame([])
