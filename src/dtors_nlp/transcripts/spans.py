"""Transcript, Turn, Sentence and Passage: text spans that know their offsets.

Like spaCy's ``Doc`` and ``Span``: every span carries ``start`` and ``end`` code-point offsets into
its transcript's ``text`` (end exclusive), and ``transcript.text[span.start:span.end] == span.text``
always holds. Offsets are computed once, when a transcript is read; nothing downstream searches
the text to find where a span is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Role = Literal["interviewer", "interviewee"]


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted contribution."""

    speaker: str
    role: Role
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    """A sentence inside a turn."""

    start: int
    end: int
    text: str
    turn: int  # index into Transcript.turns


@dataclass(frozen=True)
class Passage:
    """A unit the model codes: an interviewee turn or a window of a few of its sentences."""

    start: int
    end: int
    text: str
    speaker: str
    turn: int  # index into Transcript.turns
    context: str = ""  # the interviewer's preceding question, if any


@dataclass
class Transcript:
    """One interview: normalised plain text, metadata, speaker turns, sentences and passages."""

    id: str
    source: str
    text: str
    turns: list[Turn]
    metadata: dict[str, str] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)

    @property
    def speakers(self) -> dict[str, Role]:
        """Each speaker label with its role, in order of first appearance."""
        roles: dict[str, Role] = {}
        for turn in self.turns:
            roles.setdefault(turn.speaker, turn.role)
        return roles

    def to_dict(self) -> dict:
        """The transcript as plain data, ready for JSON, with ``speakers`` added."""
        return {**asdict(self), "speakers": self.speakers}
