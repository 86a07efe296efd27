"""The options every transcript reader accepts (the keyword arguments of ``load_transcript``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike

SEGMENTERS = ("fast", "spacy")


@dataclass(frozen=True)
class ReadOptions:
    """How to read transcripts; every field has a default that suits most interviews.

    roles: speaker label -> ``"interviewer"`` or ``"interviewee"``, beating the inferred roles
        (``{"JOHN": "interviewer"}``; labels match regardless of case).
    monologue: read a text without speaker labels as one participant's account instead of
        failing.
    speaker_column, text_column, transcript_column: column (or JSONL key) names in utterance
        tables; by default common names are recognised (see ``tables.py``).
    segmenter: ``"fast"`` (rule-based sentencizer) or ``"spacy"`` (the small English pipeline).
    max_sentences, max_words: the most sentences and words in one passage.
    sentence_cache: a folder where each turn's sentence boundaries are kept between runs (offsets
        under a hash of the turn's text, no text), so that a turn read again is not split again;
        ``annotate`` uses the embedding cache's folder. None: nothing kept.
    """

    roles: Mapping[str, str] | None = None
    monologue: bool = False
    speaker_column: str | None = None
    text_column: str | None = None
    transcript_column: str | None = None
    segmenter: str = "fast"
    max_sentences: int = 3
    max_words: int = 80
    sentence_cache: str | PathLike[str] | None = None

    def __post_init__(self) -> None:
        if self.segmenter not in SEGMENTERS:
            raise ValueError(f"segmenter must be one of {SEGMENTERS}, not {self.segmenter!r}")
        if self.max_sentences < 1 or self.max_words < 1:
            raise ValueError("max_sentences and max_words must be at least 1")
