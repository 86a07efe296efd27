"""Utterance tables: .csv, .tsv and .jsonl files with one utterance per row (or line).

Each row needs a speaker and a text; a transcript column splits the rows into transcripts (one
file may hold many, such as the AnnoMI table). Columns are found by name, case-insensitively,
unless given (``speaker_column=``, ``text_column=``, ``transcript_column=``):

- speaker: ``speaker``, ``interlocutor``, ``speaker_label``, ``role``, ``who``
- text: ``text``, ``utterance_text``, ``utterance``, ``content``, ``speech``
- transcript: ``transcript_id``, ``transcript``, ``interview_id``, ``interview``

A transcript's id is ``<file stem>#<transcript value>`` (``AnnoMI-simple#0``), or the file stem
when there is no transcript column. Columns with one value throughout a transcript (a topic, a
date) become its metadata. Each row is one turn; a row with an empty speaker continues the
previous row's speaker; rows with empty text are skipped. In .csv files the delimiter (comma,
semicolon or tab) is taken from the header line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.assemble import Draft, Utterance
from dtors_nlp.transcripts.encoding import read_text
from dtors_nlp.transcripts.options import ReadOptions

SPEAKER_COLUMNS = ("speaker", "interlocutor", "speaker_label", "role", "who")
TEXT_COLUMNS = ("text", "utterance_text", "utterance", "content", "speech")
TRANSCRIPT_COLUMNS = ("transcript_id", "transcript", "interview_id", "interview")

Row = dict[str, str]


def read_table(path: Path, options: ReadOptions) -> list[Draft]:
    """A .csv or .tsv utterance table."""
    text = read_text(path)
    header = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [{key.strip(): value or "" for key, value in row.items() if key} for row in reader]
    except csv.Error as error:
        raise TranscriptError(
            f"malformed table at line {reader.line_num} ({error})", path
        ) from None
    return drafts_from_rows(rows, [name.strip() for name in reader.fieldnames or []], path, options)


def read_jsonl(path: Path, options: ReadOptions) -> list[Draft]:
    """A .jsonl file: one JSON object per line, one utterance per object."""
    rows: list[Row] = []
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise TranscriptError(f"line {number} is not valid JSON ({error.msg})", path) from None
        if not isinstance(item, dict):
            raise TranscriptError(f"line {number} is not a JSON object", path)
        rows.append({str(key): "" if value is None else str(value) for key, value in item.items()})
    names = list(dict.fromkeys(key for row in rows for key in row))
    return drafts_from_rows(rows, names, path, options)


def drafts_from_rows(
    rows: Sequence[Row], names: Sequence[str], path: Path, options: ReadOptions
) -> list[Draft]:
    """Group rows into transcripts, one Draft each."""
    speaker = _column(names, options.speaker_column, SPEAKER_COLUMNS, "speaker", path)
    text = _column(names, options.text_column, TEXT_COLUMNS, "text", path)
    transcript = _column(names, options.transcript_column, TRANSCRIPT_COLUMNS, None, path)
    if not rows:
        raise TranscriptError("the table has no rows", path)
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.get(transcript, "").strip() if transcript else "", []).append(row)
    used = {speaker, text, transcript}
    return [
        Draft(
            id=f"{path.stem}#{key}" if transcript else path.stem,
            utterances=_utterances(group, speaker, text, path),
            metadata=_constant_columns(group, [name for name in names if name not in used]),
        )
        for key, group in groups.items()
    ]


def _column(
    names: Sequence[str], given: str | None, candidates: Sequence[str], role: str | None, path: Path
) -> str | None:
    """The column to use: the one given, else the first candidate present; None if optional."""
    by_lower = {name.lower(): name for name in names}
    if given:
        if given.lower() not in by_lower:
            raise TranscriptError(f"no column {given!r} (columns: {', '.join(names)})", path)
        return by_lower[given.lower()]
    found = next((by_lower[name] for name in candidates if name in by_lower), None)
    if found is None and role:
        raise TranscriptError(
            f"no {role} column (looked for {', '.join(candidates)}; columns: {', '.join(names)}); "
            f"name it with the {role}_column option",
            path,
        )
    return found


def _utterances(rows: Sequence[Row], speaker: str, text: str, path: Path) -> list[Utterance]:
    utterances: list[Utterance] = []
    current = ""
    for row in rows:
        current = row.get(speaker, "").strip() or current
        if not current:
            raise TranscriptError("the first row has no speaker", path)
        utterances.append(Utterance(current, row.get(text, "").strip()))
    return utterances


def _constant_columns(rows: Sequence[Row], names: Sequence[str]) -> dict[str, str]:
    metadata = {}
    for name in names:
        values = {row.get(name, "").strip() for row in rows}
        if len(values) == 1 and "" not in values:
            metadata[name] = values.pop()
    return metadata
