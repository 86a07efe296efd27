"""On-disk caches: arrays computed from a text, kept in one SQLite file, keyed by the text's hash.

Two kinds use it, both in the folder ``DTORS_NLP_CACHE`` names (``embed.default_cache_dir``):
sentence vectors (``embed.py``) and the sentence boundaries of each speaker turn
(``segment.py``). A key is the SHA-256 of the text; the text itself is never stored.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

ROWS_PER_QUERY = 500  # keys looked up in one SELECT (SQLite's limit on parameters is higher)
FILES = ("embeddings-*.sqlite", "sentences-*.sqlite")  # what a cache folder holds


def cache_files(folder: Path) -> list[Path]:
    """The cache files in ``folder`` (vectors and sentence boundaries, of every version)."""
    return sorted(f for pattern in FILES for f in folder.glob(pattern)) if folder.is_dir() else []


def clear_cache(folder: Path) -> list[Path]:
    """Delete the cache files in ``folder``; return those removed."""
    removed = cache_files(folder)
    for file in removed:
        file.unlink()
    return removed


class ArrayCache:
    """Arrays of one dtype on disk, each under the hash of the text it was computed from."""

    def __init__(self, path: Path, dtype: type[np.generic]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.dtype = dtype
        self._connection = sqlite3.connect(path)
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The arrays found, by key; keys not in the cache are left out."""
        found: dict[str, np.ndarray] = {}
        for begin in range(0, len(keys), ROWS_PER_QUERY):
            chunk = keys[begin : begin + ROWS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            rows = self._connection.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
            )
            found.update((key, np.frombuffer(blob, dtype=self.dtype)) for key, blob in rows)
        return found

    def put_many(self, keys: list[str], arrays: Iterable[np.ndarray]) -> None:
        rows = [(key, np.asarray(a, dtype=self.dtype).tobytes()) for key, a in zip(keys, arrays)]
        with self._connection:
            self._connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        self._connection.close()


def through_cache(
    texts: Sequence[str],
    cache: ArrayCache | None,
    compute: Callable[[list[str]], Iterable[np.ndarray]],
) -> list[np.ndarray]:
    """Each text's array: from ``cache`` where it holds one, else ``compute``d (once for each
    distinct text, in one call) and stored there."""
    keys = [ArrayCache.key(text) for text in texts]
    known = cache.get_many(list(set(keys))) if cache else {}
    missing = list(dict.fromkeys(key for key in keys if key not in known))
    if missing:
        text_of = dict(zip(keys, texts))
        found = list(compute([text_of[key] for key in missing]))
        known.update(zip(missing, found))
        if cache:
            cache.put_many(missing, found)
    return [known[key] for key in keys]
