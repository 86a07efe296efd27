"""Hand-coded training data: CSV, JSONL, review CSVs from the review page, REFI-QDA projects.

- CSV/TSV/JSONL: a ``text`` column and a ``codes`` column (``;``-separated ``dimension/code``;
  in JSONL also a list), optional ``transcript``, ``speaker`` and ``context`` (the interviewer's
  question before the passage). An empty ``codes`` means the passage was coded and takes no code.
- Review CSV (has a ``decision`` column): accepted suggestions are positive for their code,
  rejected ones negative, changed ones positive for ``new_code`` and negative for the old one.
  A review says nothing about other codes, so those stay unknown (``complete=False``).
- REFI-QDA ``.qdpx``: each coded selection becomes a passage; code names are mapped to the
  codebook (``dimension/code``, a code nested under its dimension, or a code name unique in the
  codebook). Selections coded only by this library's own model user are left out.
Codes that do not map to the codebook are kept as written, so that training reports them, or,
with ``check_codes=True``, refused file by file (a file whose codes are mostly unknown was
probably coded with another codebook, and the error says so).

Exact duplicates (same text, codes, transcript, speaker and context, within or across files)
are merged into one passage with a ``DuplicatePassagesWarning`` naming the file: they would
weigh twice in training and could sit on both sides of a cross-validation split. Passages with
the same text but different codes are kept: they are coders' disagreements, not copies.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path

from dtors_nlp.codebook import Codebook, load_codebook
from dtors_nlp.errors import TrainingDataError
from dtors_nlp.labels import check_codes

TABLE_SUFFIXES = {".csv", ".tsv"}
SUFFIXES = TABLE_SUFFIXES | {".jsonl", ".qdpx"}
REVIEW_DECISIONS = {"accept", "reject", "change"}


class DuplicatePassagesWarning(UserWarning):
    """Exact duplicate passages in training data were merged into one."""


@dataclass(frozen=True)
class CodedPassage:
    """A passage with the codes a human coder gave it."""

    text: str
    codes: frozenset[str]
    transcript: str = ""
    speaker: str = ""
    context: str = ""
    rejected: frozenset[str] = field(default_factory=frozenset)
    complete: bool = True  # False: only ``codes`` and ``rejected`` were judged


Located = tuple[str, CodedPassage]  # where a passage is in its file ("row 7"), and the passage


def load_coded(
    paths: str | PathLike[str] | Iterable[str | PathLike[str]],
    codebook: Codebook | None = None,
    check_codes: bool = False,
) -> list[CodedPassage]:
    """Read hand-coded passages from files or folders (searched recursively).

    ``check_codes``: raise TrainingDataError, naming the file, for codes not in ``codebook``.
    Exact duplicates are merged with a DuplicatePassagesWarning (see the module docstring).
    """
    codebook = codebook or load_codebook()
    passages: dict[CodedPassage, None] = {}  # an ordered set
    for path in _expand(paths):
        located = _read_file(path, codebook)
        if check_codes:
            _check_codes(located, codebook, path)
        read = [passage for _, passage in located]
        duplicates = len(read) - len(set(read) - passages.keys())
        if duplicates:
            warnings.warn(
                f"{path}: merged {duplicates} exact duplicate passage(s) (same text, codes, "
                "transcript and speaker as another)",
                DuplicatePassagesWarning,
                stacklevel=2,
            )
        passages.update(dict.fromkeys(read))
    return list(passages)


def _check_codes(located: list[Located], codebook: Codebook, path: Path) -> None:
    """Refuse codes outside ``codebook``, each named with the row where it is first used."""
    first_used: dict[str, str] = {}
    for where, passage in located:
        for code in sorted(passage.codes | passage.rejected):
            first_used.setdefault(code, where)
    check_codes(first_used, codebook, path)


def _expand(paths: str | PathLike[str] | Iterable[str | PathLike[str]]) -> Iterator[Path]:
    if isinstance(paths, (str, PathLike)):
        paths = [paths]
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
            )
        elif path.is_file():
            yield path
        else:
            raise TrainingDataError("no such file or folder", path)


def _read_file(path: Path, codebook: Codebook) -> list[Located]:
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        rows = _read_table(path)
        if rows and "decision" in rows[0]:
            return _from_review_rows(rows, path)
        return [_from_row(row, path, i) for i, row in enumerate(rows, start=2)]
    if suffix == ".jsonl":
        return [_from_row(row, path, i) for i, row in enumerate(_read_jsonl(path), start=1)]
    if suffix == ".qdpx":
        return _from_qdpx(path, codebook)
    raise TrainingDataError(f"unknown training data format {suffix!r}", path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise TrainingDataError("not UTF-8 text", path) from None


def _read_table(path: Path) -> list[dict[str, str]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""), delimiter=delimiter)
    columns = {name.strip().lower() for name in reader.fieldnames or []}
    if "text" not in columns or not ({"codes", "decision"} & columns):
        raise TrainingDataError("needs a 'text' column and a 'codes' column", path)
    return [{(k or "").strip().lower(): (v or "") for k, v in row.items()} for row in reader]


def _read_jsonl(path: Path) -> Iterator[dict]:
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise TrainingDataError(f"line {number} is not valid JSON", path) from None
        if not isinstance(row, dict) or "text" not in row:
            raise TrainingDataError(f"line {number} needs an object with 'text'", path)
        yield row


def _from_row(row: dict, path: Path, number: int) -> Located:
    text = str(row.get("text") or "").strip()
    if not text:
        raise TrainingDataError(f"row {number} has an empty text", path)
    return f"row {number}", CodedPassage(
        text=text,
        codes=_parse_codes(row.get("codes")),
        transcript=str(row.get("transcript") or ""),
        speaker=str(row.get("speaker") or ""),
        context=str(row.get("context") or ""),
    )


def _parse_codes(value: object) -> frozenset[str]:
    if value is None:
        return frozenset()
    items = value if isinstance(value, list) else str(value).split(";")
    return frozenset(str(item).strip() for item in items if str(item).strip())


def _from_review_rows(rows: list[dict[str, str]], path: Path) -> list[Located]:
    """Merge a review CSV's decisions per passage into partial codings."""
    merged: dict[tuple, dict] = {}
    for number, row in enumerate(rows, start=2):
        decision = row.get("decision", "").strip().lower()
        if not decision:
            continue
        if decision not in REVIEW_DECISIONS:
            raise TrainingDataError(f"row {number}: unknown decision {decision!r}", path)
        code, new_code = row.get("code", "").strip(), row.get("new_code", "").strip()
        if not code or (decision == "change" and not new_code):
            raise TrainingDataError(f"row {number}: a {decision} needs its code(s)", path)
        key = (row.get("transcript", ""), row.get("start", ""), row.get("end", ""), row["text"])
        entry = merged.setdefault(
            key, {"row": row, "number": number, "codes": set(), "rejected": set()}
        )
        if decision == "accept":
            entry["codes"].add(code)
        else:
            entry["rejected"].add(code)
            if decision == "change":
                entry["codes"].add(new_code)
    return [
        (
            f"row {entry['number']}",
            CodedPassage(
                text=entry["row"]["text"].strip(),
                codes=frozenset(entry["codes"]),
                transcript=entry["row"].get("transcript", ""),
                speaker=entry["row"].get("speaker", ""),
                rejected=frozenset(entry["rejected"] - entry["codes"]),
                complete=False,
            ),
        )
        for entry in merged.values()
        if entry["row"]["text"].strip()
    ]


def _from_qdpx(path: Path, codebook: Codebook) -> list[Located]:
    from dtors_nlp.refi.project import coded_selections, read_qdpx

    return [
        (
            f"a selection of source {selection.source!r}",
            CodedPassage(
                text=selection.text.strip(),
                codes=frozenset(map_code_name(name, codebook) for name in selection.codes),
                transcript=selection.source,
            ),
        )
        for selection in coded_selections(read_qdpx(path))
        if selection.text.strip()
    ]


def map_code_name(name: str, codebook: Codebook) -> str:
    """A QDA program's code name or path as ``dimension/code``, or the name unchanged.

    Tried in turn: ``parent/code``; a path nested under its dimension, as the codebook reader
    names it (``dimension/parent__code``); a code name found once in the whole codebook.
    """
    from dtors_nlp.refi.codebook import identifier

    parts = [identifier(part) for part in name.replace("\\", "/").split("/") if part.strip()]
    if not parts:
        return name
    known = set(codebook.codes)
    candidates = [f"{parts[0]}/{'__'.join(parts[1:])}"]
    if len(parts) >= 2:
        candidates.insert(0, f"{parts[-2]}/{parts[-1]}")
    for candidate in candidates:
        if candidate in known:
            return candidate
    matches = [code for code in codebook.codes if code.split("/")[1] == parts[-1]]
    return matches[0] if len(matches) == 1 else name


def drop_unknown_codes(
    passages: list[CodedPassage], codebook: Codebook
) -> tuple[list[CodedPassage], dict[str, int]]:
    """Passages with codes outside the codebook removed, and how often each was dropped."""
    known = set(codebook.codes)
    dropped: dict[str, int] = {}
    kept = []
    for passage in passages:
        for code in (passage.codes | passage.rejected) - known:
            dropped[code] = dropped.get(code, 0) + 1
        kept.append(
            replace(passage, codes=passage.codes & known, rejected=passage.rejected & known)
        )
    return kept, dropped
