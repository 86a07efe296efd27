"""Plain-text transcripts (.txt, .md), and the line-based parsing that .docx and .rtf share."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.assemble import Draft, Utterance
from dtors_nlp.transcripts.encoding import read_text
from dtors_nlp.transcripts.metadata import split_metadata
from dtors_nlp.transcripts.options import ReadOptions
from dtors_nlp.transcripts.speakers import Block, split_blocks

MONOLOGUE_SPEAKER = "Participant"
NO_LABELS = (
    "no speaker labels found (expected lines such as 'Interviewer: ...' or 'P07: ...'); "
    "to read the whole text as one participant's account, use the monologue option"
)


def read_plain_text(path: Path, options: ReadOptions) -> list[Draft]:
    """A .txt or .md transcript."""
    return [draft_from_lines(read_text(path).split("\n"), path, options.monologue)]


def draft_from_lines(lines: Sequence[str], path: Path, monologue: bool = False) -> Draft:
    """Metadata header, speaker turns and any opening text from a document's lines."""
    metadata, body = split_metadata(lines, path)
    preamble, blocks = split_blocks(body)
    return draft_from_blocks(path, preamble, blocks, join_lines, monologue, metadata)


def draft_from_blocks(
    path: Path,
    preamble: list[str],
    blocks: list[Block],
    join: Callable[[Sequence[str]], str],
    monologue: bool,
    metadata: dict[str, str] | None = None,
) -> Draft:
    """A Draft from labelled blocks; with none, the monologue option or a TranscriptError."""
    if not blocks:
        if not monologue:
            raise TranscriptError(NO_LABELS, path)
        preamble, blocks = [], [Block(MONOLOGUE_SPEAKER, preamble)]
    utterances = [Utterance(block.speaker, join(block.lines)) for block in blocks]
    return Draft(path.stem, utterances, metadata or {}, join(preamble))


def join_lines(lines: Sequence[str]) -> str:
    """Lines stripped and joined by newlines; paragraphs kept apart by one blank line."""
    text = "\n".join(line.strip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
