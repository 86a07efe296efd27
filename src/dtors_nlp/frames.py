"""pandas data frames of suggestions and evaluation figures (extra ``dtors-nlp[pandas]``).

- ``suggestions_frame(suggestions)``: Suggestion objects or suggestion dicts as a DataFrame;
- ``read_suggestions(path)``: a draft's ``suggestions.jsonl`` or ``suggestions.csv`` (or the
  draft folder) as the same DataFrame;
- ``evaluation_frame(evaluation)``: per-code figures of ``evaluate`` (``Evaluation.to_frame()``).

Columns follow the suggestions file; ``band`` is an ordered categorical (``review`` <
``likely``), ``passage``, ``start`` and ``end`` are integers, ``confidence`` a float and
``exemplars`` a list of texts per row. pandas is imported only when a frame is asked for.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dtors_nlp.errors import DtorsError
from dtors_nlp.export.suggestions import FIELDS
from dtors_nlp.suggestion import BANDS

if TYPE_CHECKING:
    import pandas as pd

    from dtors_nlp.evaluate import Evaluation
    from dtors_nlp.suggestion import Suggestion

INTEGERS = ("passage", "start", "end")
SUGGESTION_FILES = ("suggestions.jsonl", "suggestions.csv")


def require_pandas():
    """pandas, or a one-line DtorsError naming the extra that installs it."""
    try:
        import pandas
    except ImportError:
        raise DtorsError("pandas is not installed: pip install 'dtors-nlp[pandas]'") from None
    return pandas


def suggestions_frame(suggestions: Iterable[Suggestion | Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame with the suggestions file's columns, one row per suggestion."""
    pd = require_pandas()
    rows = [s.to_dict() if hasattr(s, "to_dict") else dict(s) for s in suggestions]
    frame = pd.DataFrame(rows, columns=list(FIELDS))
    for column in INTEGERS:
        frame[column] = frame[column].astype("int64")
    frame["confidence"] = frame["confidence"].astype("float64")
    frame["band"] = pd.Categorical(frame["band"], categories=BANDS, ordered=True)
    frame["exemplars"] = frame["exemplars"].map(list)
    return frame


def read_suggestions(path: str | PathLike[str]) -> pd.DataFrame:
    """A draft's suggestions as a DataFrame: ``suggestions.jsonl``, ``suggestions.csv`` or the
    draft folder holding one of them."""
    require_pandas()
    path = _suggestions_file(Path(path))
    rows = _read_jsonl(path) if path.suffix.lower() == ".jsonl" else _read_csv(path)
    missing = [name for name in FIELDS if rows and name not in rows[0]]
    if missing:
        raise DtorsError(f"not a suggestions file: no column {', '.join(missing)}", path)
    try:
        return suggestions_frame(rows)
    except (TypeError, ValueError) as error:
        raise DtorsError(f"not a suggestions file: {error}", path) from None


def _suggestions_file(path: Path) -> Path:
    """``path``, or the suggestions file in the draft folder ``path``."""
    if path.is_dir():
        for name in SUGGESTION_FILES:
            if (path / name).is_file():
                return path / name
        raise DtorsError(f"no {' or '.join(SUGGESTION_FILES)} in this folder", path)
    if not path.is_file():
        raise DtorsError("no such file or folder", path)
    if path.suffix.lower() not in {".jsonl", ".csv"}:
        raise DtorsError("a suggestions file ends in .jsonl or .csv", path)
    return path


def _text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise DtorsError("not UTF-8 text", path) from None


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise DtorsError(f"line {number} is not valid JSON", path) from None
        if not isinstance(row, dict):
            raise DtorsError(f"line {number} is not a JSON object", path)
        rows.append(row)
    return rows


def _read_csv(path: Path) -> list[dict]:
    rows = list(csv.DictReader(_text(path).splitlines(keepends=True)))
    for number, row in enumerate(rows, start=2):
        try:
            row["exemplars"] = json.loads(row.get("exemplars") or "[]")
        except json.JSONDecodeError:
            raise DtorsError(f"row {number}: exemplars is not a JSON list", path) from None
    return rows


def evaluation_frame(evaluation: Evaluation) -> pd.DataFrame:
    """Per-code figures, one row per code (the index): support, judged, and precision,
    recall, F1, kappa and alpha under each rule (``suggested_f1``, ``likely_kappa``, ...)."""
    pd = require_pandas()
    rows = {code: _flatten(figures) for code, figures in evaluation.codes.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "code"
    counts = {"support", "judged"}
    return frame.astype({c: "int64" if c in counts else "float64" for c in frame.columns})


def _flatten(figures: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested figures as one level: ``{"likely": {"f1": x}}`` -> ``{"likely_f1": x}``."""
    flat: dict[str, Any] = {}
    for name, value in figures.items():
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{prefix}{name}_")
        else:
            flat[f"{prefix}{name}"] = value
    return flat
