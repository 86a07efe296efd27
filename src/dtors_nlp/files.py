"""Writing outputs safely (never half-written, never overwriting without being asked), and
reading back the JSON documents the library writes."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from dtors_nlp.errors import DtorsError, OutputError


def write_atomically(path: Path, content: str | bytes | Iterable[str]) -> None:
    """Write to a temporary file beside ``path``, then rename it into place.

    ``content`` may be an iterable of text chunks, written as they come (for large outputs).
    """
    chunks = [content] if isinstance(content, (str, bytes)) else content
    with atomic_streams([path]) as [stream]:
        for chunk in chunks:
            stream.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)


@contextmanager
def atomic_streams(paths: Sequence[Path]) -> Iterator[list[BinaryIO]]:
    """Binary streams to temporary files beside ``paths``, renamed into place together when
    the block ends; if it raises, the temporary files are removed and ``paths`` left as they were.
    """
    temporaries: list[str] = []
    streams: list[BinaryIO] = []
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".part"
            )
            temporaries.append(temporary)
            os.chmod(temporary, 0o666 & ~_umask())  # as open() would, not mkstemp's 0600
            streams.append(os.fdopen(handle, "wb"))
        yield streams
        for stream in streams:
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
        for temporary, path in zip(temporaries, paths):
            os.replace(temporary, path)
    except BaseException:
        for stream in streams:
            stream.close()
        for temporary in temporaries:
            Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def refuse_overwrite(path: Path, force: bool) -> None:
    """Raise OutputError if ``path`` exists and ``force`` is not set."""
    if path.exists() and not force:
        raise OutputError("already exists (use --force to overwrite)", path)


def read_json_document(
    path: Path,
    expected_format: str,
    kind: str,
    error: type[DtorsError] = DtorsError,
    where: Path | None = None,
    prefix: str = "",
) -> dict:
    """The JSON object in ``path`` whose ``format`` is ``expected_format``; otherwise ``error``
    about ``where`` (default ``path``), saying it is damaged or not a ``kind`` of that format."""
    where = path if where is None else where
    try:
        document = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise error(f"{prefix}damaged (not valid JSON)", where) from None
    if not isinstance(document, dict) or document.get("format") != expected_format:
        raise error(f"{prefix}not a {expected_format} {kind}", where)
    return document
