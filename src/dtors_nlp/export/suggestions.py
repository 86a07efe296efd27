"""The suggestions files: ``suggestions.jsonl``, ``suggestions.csv`` and ``summary.csv``.

They are written from ``Suggestion`` objects' ``to_dict()`` rows, in one pass. In the CSV the
``exemplars`` list is written as a JSON list in one cell; files are UTF-8 with a byte-order mark
so that Excel opens them correctly. Every file is written whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path

from dtors_nlp.files import atomic_streams, write_atomically
from dtors_nlp.suggestion import FIELDS, Suggestion

SUMMARY_FIELDS = ("transcript", "source", "code", "likely", "review", "model_fingerprint")
ROWS_PER_CHUNK = 1000  # CSV rows formatted before each write


def json_line(suggestion: Suggestion) -> str:
    """The suggestion's line of ``suggestions.jsonl`` (without its line break)."""
    return json.dumps(suggestion.to_dict(), ensure_ascii=False)


def write_tables(
    paths: Mapping[str, Path],
    suggestions: Iterable[tuple[Suggestion, str]],
    transcripts: Sequence[tuple[str, str]],
    codes: list[str],
    model_fingerprint: str = "",
) -> None:
    """The tables ``paths`` names, in one pass over ``suggestions``, renamed into place together.

    ``paths``: ``"summary"`` (required), and ``"jsonl"`` and ``"csv"`` as wanted.
    ``suggestions``: each with its ``json_line`` (as ``annotate``'s part files keep it).
    - JSONL: one JSON object a line;
    - CSV: one row a suggestion, the same fields as the JSONL file;
    - summary: per transcript (id, source) and code, how many likely and review suggestions, and
      the model's fingerprint (short form) on every row.
    """
    names = list(paths)
    counts: Counter = Counter()
    with atomic_streams([paths[name] for name in names]) as streams:
        sink = dict(zip(names, streams))
        table = CsvText(FIELDS)
        if "csv" in sink:
            sink["csv"].write(table.header().encode("utf-8"))
        remaining = iter(suggestions)
        while chunk := list(islice(remaining, ROWS_PER_CHUNK)):
            counts.update((s.transcript, s.code, s.band) for s, _ in chunk)
            if "jsonl" in sink:
                sink["jsonl"].write("".join(line + "\n" for _, line in chunk).encode("utf-8"))
            if "csv" in sink:
                sink["csv"].write(table.rows(_csv_rows(s for s, _ in chunk)).encode("utf-8"))
        summary = _summary_rows(counts, transcripts, codes, model_fingerprint)
        for text in _csv_lines(SUMMARY_FIELDS, summary):
            sink["summary"].write(text.encode("utf-8"))


def _csv_rows(suggestions: Iterable[Suggestion]) -> Iterator[dict]:
    """The suggestions' rows, with their ``exemplars`` list as one JSON cell."""
    for suggestion in suggestions:
        row = suggestion.to_dict()
        yield {**row, "exemplars": json.dumps(row["exemplars"], ensure_ascii=False)}


def _summary_rows(
    counts: Counter, transcripts: Sequence[tuple[str, str]], codes: list[str], fingerprint: str
) -> Iterator[dict]:
    for transcript, source in transcripts:
        for code in codes:
            yield {
                "transcript": transcript,
                "source": source,
                "code": code,
                "likely": counts[transcript, code, "likely"],
                "review": counts[transcript, code, "review"],
                "model_fingerprint": fingerprint,
            }


def write_table(path: Path, fields: Sequence[str], rows: Iterable[Mapping]) -> None:
    """A CSV file with these columns, UTF-8 with a byte-order mark for Excel, row by row."""
    write_atomically(path, _csv_lines(fields, rows))


def _csv_lines(fields: Sequence[str], rows: Iterable[Mapping]) -> Iterator[str]:
    table = CsvText(fields)
    yield table.header()
    remaining = iter(rows)
    while chunk := list(islice(remaining, ROWS_PER_CHUNK)):
        yield table.rows(chunk)


class CsvText:
    """CSV text with these columns, a chunk of rows at a time: the header (after a byte-order
    mark, for Excel) first."""

    def __init__(self, fields: Sequence[str]) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.DictWriter(
            self._buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\r\n"
        )

    def header(self) -> str:
        return "\ufeff" + self._text(self._writer.writeheader)

    def rows(self, rows: Iterable[Mapping]) -> str:
        return self._text(lambda: self._writer.writerows(rows))

    def _text(self, write: Callable[[], object]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        write()
        return self._buffer.getvalue()
