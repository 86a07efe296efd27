"""Subtitle files from automatic transcription: WebVTT (.vtt) and SubRip (.srt).

Speakers come from WebVTT voice tags (``<v Dr Shah>Hello``) when the file has them, otherwise
from labels at the start of a cue (``Speaker 1: Hello``), by the rules of ``speakers.py``. A cue
without a speaker continues the previous speaker's turn; consecutive cues of one speaker make one
turn, joined by spaces. Timings, cue numbers, notes and styling tags are dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from dtors_nlp.errors import TranscriptError
from dtors_nlp.transcripts.assemble import Draft
from dtors_nlp.transcripts.encoding import read_text
from dtors_nlp.transcripts.options import ReadOptions
from dtors_nlp.transcripts.speakers import Block, split_blocks
from dtors_nlp.transcripts.text import draft_from_blocks

TIMING = re.compile(r"[\d:.,]+\s+-->\s+[\d:.,]+")
VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
TAG = re.compile(r"<[^>]*>")


def read_subtitles(path: Path, options: ReadOptions) -> list[Draft]:
    """A .vtt or .srt transcript."""
    lines = _cue_lines(read_text(path))
    if not lines:
        raise TranscriptError(
            "no subtitle cues found (expected timings like '00:00:01.000 --> 00:00:04.000')", path
        )
    if any(voice for voice, _ in lines):
        preamble, blocks = _voice_blocks(lines)
    else:
        preamble, blocks = split_blocks([text for _, text in lines])
    return [draft_from_blocks(path, preamble, _merge_runs(blocks), _join_cues, options.monologue)]


def _cue_lines(text: str) -> list[tuple[str | None, str]]:
    """``(voice, text)`` for each line of every cue's payload; voice None when it has no tag."""
    lines = []
    for block in re.split(r"\n\s*\n", text):
        rows = block.strip().split("\n")
        timing = next((i for i, row in enumerate(rows) if TIMING.match(row.strip())), None)
        if timing is None:
            continue  # the WEBVTT header, a NOTE, STYLE or REGION block
        for row in rows[timing + 1 :]:
            voice = VOICE.search(row)
            speech = html.unescape(TAG.sub("", row)).strip()
            if speech:
                lines.append((voice[1].strip() if voice else None, speech))
    return lines


def _voice_blocks(lines: Sequence[tuple[str | None, str]]) -> tuple[list[str], list[Block]]:
    preamble: list[str] = []
    blocks: list[Block] = []
    for voice, speech in lines:
        if voice:
            blocks.append(Block(voice, [speech]))
        elif blocks:
            blocks[-1].lines.append(speech)
        else:
            preamble.append(speech)
    return preamble, blocks


def _merge_runs(blocks: Sequence[Block]) -> list[Block]:
    merged: list[Block] = []
    for block in blocks:
        if merged and merged[-1].speaker == block.speaker:
            merged[-1].lines.extend(block.lines)
        else:
            merged.append(Block(block.speaker, list(block.lines)))
    return merged


def _join_cues(lines: Sequence[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())
