"""Agreement between two coders' codings of the same transcripts (``dtors-nlp agree``).

Each coding is a REFI-QDA project (``.qdpx`` from NVivo, ATLAS.ti, MAXQDA or QualCoder) or
coded data that ``load_coded`` reads (CSV, JSONL: ``text``, ``codes``, ``transcript``).
Transcripts are matched by name (a project's source name, a CSV's ``transcript``).

Units:

- two projects: the passages the segmenter makes of each source's text (every non-empty line is
  cut into windows of at most 3 sentences and 80 words, as interview turns are). A coding
  counts for a passage when it covers at least half of the passage, or when at least half of
  the coding lies in the passage (a phrase coded inside a longer passage counts for it);
- two coded CSVs: the coded passages, matched by transcript and text;
- a project and a CSV: the CSV's passages, found in the project's source text.

Per code: how many units each coder gave it, percent agreement, Cohen's kappa and
Krippendorff's alpha (nominal; the code's presence as two values) over the units; per dimension
and overall the same over every (unit, code) cell of the codes either coder used. Between two
projects also character-level agreement per code, as NVivo's coding comparison reports it:
percent agreement and kappa over every character of the shared sources.

Transcripts only one coder has, and CSV passages only one coder coded, are listed, not counted.
Two codings whose transcript of the same name has different text are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from dtors_nlp.codebook import Codebook, load_codebook
from dtors_nlp.coded import load_coded, map_code_name
from dtors_nlp.errors import TrainingDataError
from dtors_nlp.metrics import cohen_kappa, krippendorff_alpha
from dtors_nlp.transcripts.spans import Transcript, Turn

Span = tuple[int, int, str]  # start, end, code
LINE = re.compile(r"[^\n]+")


@dataclass
class Coded:
    """One coder's coding of one transcript: a source text with coded spans, or passages."""

    text: str | None = None
    spans: list[Span] = field(default_factory=list)
    passages: dict[str, frozenset[str]] = field(default_factory=dict)  # key(text) -> codes
    texts: dict[str, str] = field(default_factory=dict)  # key(text) -> text as written


@dataclass(frozen=True)
class Unit:
    """A unit both coders coded, and each coder's codes for it (offsets None for CSV pairs)."""

    transcript: str
    start: int | None
    end: int | None
    text: str
    codes_a: frozenset[str]
    codes_b: frozenset[str]


@dataclass
class Agreement:
    """Every figure of ``agreement(a, b)``, as plain data (``to_dict`` for JSON)."""

    coders: tuple[str, str]
    units: list[Unit]
    codes: dict[str, dict]
    dimensions: dict[str, dict]
    overall: dict
    only_a: list[str]  # transcripts only the first coding has
    only_b: list[str]
    unmatched: list[dict]  # CSV passages only one coder coded

    def disagreements(self) -> list[dict]:
        """One row per unit and code the coders disagree on, in transcript order."""
        return [
            {
                "transcript": unit.transcript,
                "start": "" if unit.start is None else unit.start,
                "end": "" if unit.end is None else unit.end,
                "code": code,
                "coder_a": int(code in unit.codes_a),
                "coder_b": int(code in unit.codes_b),
                "text": unit.text,
            }
            for unit in self.units
            for code in sorted(unit.codes_a ^ unit.codes_b)
        ]

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["units"]
        return data | {"disagreements": self.disagreements()}


def agreement(
    a: str | PathLike[str], b: str | PathLike[str], codebook: Codebook | None = None
) -> Agreement:
    """Agreement between two codings (see the module docstring); ``codebook`` maps code names,
    by default the first project's own codebook, or the DTORS codebook for a CSV."""
    a, b = Path(a), Path(b)
    if codebook is None:
        codebook = load_codebook(a) if a.suffix.lower() == ".qdpx" else load_codebook()
    first, second = read_coding(a, codebook), read_coding(b, codebook)
    units, unmatched = [], []
    for name in sorted(first.keys() & second.keys()):
        found, missing = _units(name, first[name], second[name], (a, b))
        units.extend(found)
        unmatched.extend(missing)
    codes = sorted({c for unit in units for c in unit.codes_a | unit.codes_b})
    shared = [(first[n], second[n]) for n in sorted(first.keys() & second.keys())]
    return Agreement(
        coders=(str(a), str(b)),
        units=units,
        codes={code: _code_figures(units, code) | _characters(shared, code) for code in codes},
        dimensions={
            dimension: _pooled(units, [c for c in codes if _dimension(c) == dimension])
            for dimension in sorted({_dimension(c) for c in codes})
        },
        overall=_pooled(units, codes) | {"codes": len(codes)},
        only_a=sorted(first.keys() - second.keys()),
        only_b=sorted(second.keys() - first.keys()),
        unmatched=unmatched,
    )


# --- reading ----------------------------------------------------------------------------------


def read_coding(path: Path, codebook: Codebook) -> dict[str, Coded]:
    """One coder's coding, per transcript name."""
    if path.suffix.lower() == ".qdpx":
        return _read_project(path, codebook)
    coded: dict[str, Coded] = {}
    for passage in load_coded(path, codebook):
        entry = coded.setdefault(passage.transcript, Coded())
        key = _key(passage.text)
        entry.passages[key] = entry.passages.get(key, frozenset()) | passage.codes
        entry.texts[key] = passage.text
    return coded


def _read_project(path: Path, codebook: Codebook) -> dict[str, Coded]:
    from dtors_nlp.refi.project import model_users, read_qdpx

    project = read_qdpx(path)
    models = model_users(project)
    coded = {}
    for source in project.sources:
        spans = [
            (selection.start, selection.end, _code(project.codes[coding.code].qualified, codebook))
            for selection in source.selections
            for coding in selection.codings
            if coding.user not in models
        ]
        if source.name in coded:
            raise TrainingDataError(f"two sources are named {source.name!r}", path)
        coded[source.name] = Coded(text=source.text, spans=spans)
    return coded


def _code(name: str, codebook: Codebook) -> str:
    return map_code_name(name, codebook)


def _key(text: str) -> str:
    return " ".join(text.split())


def _dimension(code: str) -> str:
    return code.split("/")[0]


# --- units ------------------------------------------------------------------------------------


def _units(
    name: str, first: Coded, second: Coded, paths: tuple[Path, Path]
) -> tuple[list[Unit], list[dict]]:
    """The units of one transcript both coders have, and the passages only one coded."""
    if first.text is not None and second.text is not None:
        if first.text != second.text:
            raise TrainingDataError(
                f"transcript {name!r} has different text in {paths[0]} and {paths[1]}: "
                "the two codings are not of the same source",
                paths[1],
            )
        return [
            Unit(name, start, end, first.text[start:end], *_codes_of(start, end, first, second))
            for start, end in passage_offsets(first.text)
        ], []
    if first.text is None and second.text is None:
        return _matched_passages(name, first, second)
    return _located_passages(name, first, second, paths), []


def _codes_of(start: int, end: int, *coders: Coded) -> list[frozenset[str]]:
    return [
        frozenset(code for s, e, code in c.spans if counts_for(s, e, start, end)) for c in coders
    ]


def counts_for(start: int, end: int, passage_start: int, passage_end: int) -> bool:
    """Whether a coding (``start``-``end``) counts for a passage: it covers at least half of
    the passage, or at least half of it lies in the passage."""
    overlap = min(end, passage_end) - max(start, passage_start)
    return overlap > 0 and 2 * overlap >= min(passage_end - passage_start, end - start)


def passage_offsets(text: str) -> list[tuple[int, int]]:
    """The segmenter's passages of a source text, each line a turn: (start, end) offsets."""
    from dtors_nlp.segment import segment

    turns = [
        Turn("", "interviewee", m.start(), m.end(), m.group())
        for m in LINE.finditer(text)
        if m.group().strip()
    ]
    transcript = Transcript("", "", text, turns)
    if turns:
        segment(transcript)
    return [(p.start, p.end) for p in transcript.passages]


def _matched_passages(name: str, first: Coded, second: Coded) -> tuple[list[Unit], list[dict]]:
    both = [key for key in first.passages if key in second.passages]
    units = [
        Unit(name, None, None, first.texts[k], first.passages[k], second.passages[k]) for k in both
    ]
    unmatched = [
        {"transcript": name, "coded_by": coder, "text": coded.texts[key]}
        for coder, coded, other in (("a", first, second), ("b", second, first))
        for key in coded.passages
        if key not in other.passages
    ]
    return units, unmatched


def _located_passages(
    name: str, first: Coded, second: Coded, paths: tuple[Path, Path]
) -> list[Unit]:
    """A CSV coder's passages, found in the other coder's source text."""
    source, table = (first, second) if first.text is not None else (second, first)
    units = []
    for key, text in table.texts.items():
        start = source.text.find(text.strip())
        if start < 0:
            raise TrainingDataError(
                f"a passage of transcript {name!r} is not in its source text in the other "
                f"coding: {text[:60]!r}",
                paths[1] if source is first else paths[0],
            )
        end = start + len(text.strip())
        from_source = _codes_of(start, end, source)[0]
        pair = (from_source, table.passages[key])
        units.append(Unit(name, start, end, text, *(pair if source is first else pair[::-1])))
    return units


# --- figures ----------------------------------------------------------------------------------


def _code_figures(units: Sequence[Unit], code: str) -> dict:
    first = np.array([code in unit.codes_a for unit in units])
    second = np.array([code in unit.codes_b for unit in units])
    return {
        "dimension": _dimension(code),
        "coder_a": int(first.sum()),
        "coder_b": int(second.sum()),
        "both": int((first & second).sum()),
    } | _figures(first, second)


def _characters(shared: Sequence[tuple[Coded, Coded]], code: str) -> dict:
    """Character-level agreement on ``code`` over the sources both projects have (NVivo's
    coding comparison); empty between CSV codings."""
    pairs = [(a, b) for a, b in shared if a.text is not None and b.text is not None]
    if not pairs:
        return {}
    first = np.concatenate([_coded_characters(a, code) for a, _ in pairs])
    second = np.concatenate([_coded_characters(b, code) for _, b in pairs])
    return {
        "characters": {
            "percent_agreement": _percent(first, second),
            "kappa": cohen_kappa(first, second),
        }
    }


def _coded_characters(coded: Coded, code: str) -> np.ndarray:
    covered = np.zeros(len(coded.text or ""), dtype=bool)
    for start, end, span_code in coded.spans:
        if span_code == code:
            covered[start:end] = True
    return covered


def _pooled(units: Sequence[Unit], codes: Iterable[str]) -> dict:
    """Agreement over every (unit, code) cell of ``codes``."""
    codes = list(codes)
    first = np.array([code in unit.codes_a for unit in units for code in codes])
    second = np.array([code in unit.codes_b for unit in units for code in codes])
    return {"cells": len(first)} | _figures(first, second)


def _figures(first: np.ndarray, second: np.ndarray) -> dict:
    if len(first) == 0:
        return {"percent_agreement": None, "kappa": None, "alpha": None}
    return {
        "percent_agreement": _percent(first, second),
        "kappa": cohen_kappa(first, second),
        "alpha": krippendorff_alpha(first, second),
    }


def _percent(first: np.ndarray, second: np.ndarray) -> float:
    return round(float(np.mean(first == second)) * 100, 2)


# --- report -----------------------------------------------------------------------------------

REPORT_FILES = ("agreement.csv", "disagreements.csv", "report.json")
CODE_COLUMNS = (
    "code",
    "dimension",
    "coder_a",
    "coder_b",
    "both",
    "percent_agreement",
    "kappa",
    "alpha",
    "character_percent_agreement",
    "character_kappa",
)
DISAGREEMENT_COLUMNS = ("transcript", "start", "end", "code", "coder_a", "coder_b", "text")


def write_report(result: Agreement, folder: Path, force: bool = False) -> list[Path]:
    """``agreement.csv`` (per code), ``disagreements.csv`` (to discuss) and ``report.json``."""
    import json

    from dtors_nlp.export.suggestions import write_table
    from dtors_nlp.files import refuse_overwrite, write_atomically

    paths = [folder / name for name in REPORT_FILES]
    for path in paths:
        refuse_overwrite(path, force)
    write_table(paths[0], CODE_COLUMNS, _code_rows(result))
    write_table(paths[1], DISAGREEMENT_COLUMNS, result.disagreements())
    write_atomically(paths[2], json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return paths


def _code_rows(result: Agreement) -> Iterable[dict]:
    for code, figures in result.codes.items():
        characters = figures.get("characters", {})
        yield {
            "code": code,
            **figures,
            "character_percent_agreement": characters.get("percent_agreement", ""),
            "character_kappa": characters.get("kappa", ""),
        }
