"""From what a reader found (a Draft) to a Transcript with its plain text and offsets.

Every reader, whatever the format, produces Drafts; this module alone lays out
``Transcript.text`` and so is the one place offsets are computed. The layout is a readable
transcript: any unlabelled opening text, then one paragraph per turn, ``SPEAKER: speech``, turns
separated by a blank line. Metadata and timestamps are not part of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.spans import Transcript, Turn
from dtors_nlp.transcripts.speakers import assign_roles

TURN_SEPARATOR = "\n\n"


class Utterance(NamedTuple):
    """What one speaker said in one turn, as plain text."""

    speaker: str
    text: str


@dataclass
class Draft:
    """A transcript as a reader found it, before layout and roles."""

    id: str
    utterances: list[Utterance]
    metadata: dict[str, str] = field(default_factory=dict)
    preamble: str = ""  # unlabelled text before the first turn (a title, notes)


def build(draft: Draft, source: str, roles: Mapping[str, str] | None = None) -> Transcript:
    """Lay out the draft's text, give every turn its offsets and every speaker a role."""
    utterances = [utterance for utterance in draft.utterances if utterance.text]
    if not utterances:
        raise TranscriptError("no speech found in any turn", source)
    role_of = assign_roles(utterances, roles, source)
    parts = [draft.preamble + TURN_SEPARATOR] if draft.preamble else []
    offset = len(parts[0]) if parts else 0
    turns = []
    for speaker, text in utterances:
        offset += len(speaker) + 2
        turns.append(Turn(speaker, role_of[speaker], offset, offset + len(text), text))
        parts.append(f"{speaker}: {text}{TURN_SEPARATOR}")
        offset += len(text) + len(TURN_SEPARATOR)
    text = "".join(parts)[: -len(TURN_SEPARATOR)] + "\n"
    return Transcript(
        id=draft.id, source=source, text=text, turns=turns, metadata=dict(draft.metadata)
    )
