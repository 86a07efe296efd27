"""The suggestions files: ``suggestions.jsonl``, ``suggestions.csv`` and ``summary.csv``.

Each takes ``Suggestion`` objects and writes their ``to_dict()`` rows. In the CSV the
``exemplars`` list is written as a JSON list in one cell; files are UTF-8 with a byte-order mark
so that Excel opens them correctly. Every file is written whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path

from dtors_nlp.files import write_atomically
from dtors_nlp.suggestion import FIELDS, Suggestion

SUMMARY_FIELDS = ("transcript", "source", "code", "likely", "review", "model_fingerprint")
ROWS_PER_CHUNK = 1000  # CSV rows formatted before each write


def write_jsonl(path: Path, suggestions: Iterable[Suggestion]) -> None:
    """One JSON object a line."""
    lines = (json.dumps(s.to_dict(), ensure_ascii=False) for s in suggestions)
    write_atomically(path, (line + "\n" for line in lines))


def write_csv(path: Path, suggestions: Iterable[Suggestion]) -> None:
    """One row a suggestion, the same fields as the JSONL file."""
    cells = (
        {**s.to_dict(), "exemplars": json.dumps(list(s.exemplars), ensure_ascii=False)}
        for s in suggestions
    )
    write_table(path, FIELDS, cells)


def write_summary(
    path: Path,
    suggestions: Iterable[Suggestion],
    transcripts: Sequence[tuple[str, str]],
    codes: list[str],
    model_fingerprint: str = "",
) -> None:
    """Per transcript (id, source) and code: how many likely and review suggestions, and the
    model's fingerprint (short form) on every row."""
    counts = Counter((s.transcript, s.code, s.band) for s in suggestions)
    table = (
        {
            "transcript": transcript,
            "source": source,
            "code": code,
            "likely": counts[transcript, code, "likely"],
            "review": counts[transcript, code, "review"],
            "model_fingerprint": model_fingerprint,
        }
        for transcript, source in transcripts
        for code in codes
    )
    write_table(path, SUMMARY_FIELDS, table)


def write_table(path: Path, fields: Sequence[str], rows: Iterable[Mapping]) -> None:
    """A CSV file with these columns, UTF-8 with a byte-order mark for Excel, row by row."""
    write_atomically(path, _csv_lines(fields, rows))


def _csv_lines(fields: Sequence[str], rows: Iterable[Mapping]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    yield "\ufeff" + buffer.getvalue()
    remaining = iter(rows)
    while chunk := list(islice(remaining, ROWS_PER_CHUNK)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(chunk)
        yield buffer.getvalue()
