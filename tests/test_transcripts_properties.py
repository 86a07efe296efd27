"""Property tests: offsets hold for any transcript, whatever its characters and line endings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dtors_nlp as dn
from dtors_nlp.errors import TranscriptError

LABELS = ["Interviewer:", "Participant:", "[00:01:02] INT:", "P07:", "I:", "R:"]
PIECES = st.sampled_from([*"abc xyz.,?!:'-é£“”\t", "😀", "🧪", "👍🏽", "Dr. "])
LINE = st.lists(PIECES, max_size=30).map("".join)
TURN = st.tuples(st.sampled_from(LABELS), st.lists(LINE, min_size=1, max_size=4))


@settings(max_examples=150, deadline=None)
@given(
    turns=st.lists(TURN, min_size=1, max_size=8),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    blank_lines=st.integers(0, 2),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_every_span_sits_at_its_offsets(turns, newline, blank_lines, encoding):
    separator = newline * (blank_lines + 1)
    body = separator.join(f"{label} {newline.join(lines)}" for label, lines in turns)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.txt"
        path.write_bytes(body.encode(encoding))
        if not any(line.strip() for _, lines in turns for line in lines):
            with pytest.raises(TranscriptError, match="no speech"):
                dn.load_transcript(path)
            return
        transcript = dn.load_transcript(path, max_sentences=2, max_words=12)
    assert "\r" not in transcript.text
    for span in [*transcript.turns, *transcript.sentences, *transcript.passages]:
        assert transcript.text[span.start : span.end] == span.text
        assert span.text == span.text.strip() and span.text
    for passage in transcript.passages:
        turn = transcript.turns[passage.turn]
        assert turn.role == "interviewee" and turn.start <= passage.start < passage.end <= turn.end
