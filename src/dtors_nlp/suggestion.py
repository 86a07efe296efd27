"""``Suggestion``: a code suggested for one passage, the row of every output file.

The model makes them; ``annotate`` keeps them in its ``.parts`` files as dicts and rebuilds them
with ``Suggestion.from_dict`` before any exporter sees them, so every exporter (JSONL, CSV,
summary, REFI-QDA project, review page) takes typed suggestions, checked once. This module
imports nothing heavy, so a run that only re-exports cached results stays quick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

BANDS = ("review", "likely")  # in rising confidence


@dataclass(frozen=True)
class Suggestion:
    """A code suggested for one passage of a transcript (the suggestions file's row)."""

    transcript: str
    source: str
    passage: int
    start: int
    end: int
    speaker: str
    text: str
    code: str
    confidence: float
    band: str  # "likely" or "review"
    exemplars: tuple[str, ...]
    model: str

    def to_dict(self) -> dict:
        row = {name: getattr(self, name) for name in self.__dataclass_fields__}
        row["exemplars"] = list(self.exemplars)  # shallow: asdict's deep copies cost more
        return row

    @classmethod
    def from_dict(cls, row: Mapping) -> Suggestion:
        """The suggestion a ``to_dict`` row (or a line of ``suggestions.jsonl``) holds.

        ValueError names the field at fault: a missing field, a value of the wrong type, offsets
        out of order, a confidence outside 0-1 or an unknown band.
        """
        missing = [name for name in FIELDS if name not in row]
        if missing:
            raise ValueError(f"suggestion has no {', '.join(missing)}")
        if not isinstance(row["exemplars"], (list, tuple)):
            raise ValueError("suggestion's exemplars must be a list of texts")
        try:
            suggestion = cls(
                **{name: str(row[name]) for name in TEXT_FIELDS},
                **{name: _integer(row[name], name) for name in OFFSET_FIELDS},
                confidence=float(row["confidence"]),
                exemplars=tuple(str(exemplar) for exemplar in row["exemplars"]),
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"suggestion has a malformed value: {error}") from None
        suggestion._check()
        return suggestion

    def _check(self) -> None:
        where = f"suggestion {self.code} at {self.start}-{self.end}"
        if not 0 <= self.start <= self.end:
            raise ValueError(f"{where}: start and end must satisfy 0 <= start <= end")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"{where}: confidence {self.confidence} is not between 0 and 1")
        if self.band not in BANDS:
            raise ValueError(f"{where}: band {self.band!r} is not one of {', '.join(BANDS)}")


FIELDS = tuple(f.name for f in fields(Suggestion))  # in the order of every output's columns
TEXT_FIELDS = ("transcript", "source", "speaker", "text", "code", "band", "model")
OFFSET_FIELDS = ("passage", "start", "end")


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value
