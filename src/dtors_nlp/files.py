"""Writing outputs safely: never half-written, never overwriting without being asked."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dtors_nlp.errors import OutputError


def write_atomically(path: Path, content: str | bytes | Iterable[str]) -> None:
    """Write to a temporary file beside ``path``, then rename it into place.

    ``content`` may be an iterable of text chunks, written as they come (for large outputs).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks = [content] if isinstance(content, (str, bytes)) else content
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would, not mkstemp's 0600
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
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
