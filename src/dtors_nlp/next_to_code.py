"""What to code next: the uncoded passages whose coding would teach the model most.

Two criteria, as in active learning:

- uncertainty: the binary entropy (in bits) of a passage's calibrated probability for each
  code, taken at its most uncertain code: 1 where the model gives a code even odds, near 0 where
  it is sure either way. (Closeness to the ``review`` threshold was tried first; for rare codes
  that threshold sits near 0.01, where nearly every passage looks "close" but teaches little.)
- diversity: among the most uncertain passages, a greedy maximal-marginal-relevance pick that
  trades uncertainty against similarity (cosine of the sentence vectors) to passages already
  picked, so the list does not repeat one kind of passage.

The result is a coding sheet (CSV) in the training data's layout: a coder fills the ``codes``
column and gives it back to ``dtors-nlp train``. Every row left in the sheet counts as coded (an
empty ``codes`` means no code applies), so rows not coded must be deleted before training.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dtors_nlp.codebook import Codebook
from dtors_nlp.coded import CodedPassage
from dtors_nlp.embed import Embedder
from dtors_nlp.errors import TrainingDataError
from dtors_nlp.files import refuse_overwrite, write_atomically
from dtors_nlp.model import CodeSuggester
from dtors_nlp.transcripts.spans import Passage, Transcript

SHEET_COLUMNS = (
    "text",
    "codes",
    "transcript",
    "speaker",
    "context",
    "start",
    "end",
    "source",
    "reason",
)
SHORTLIST_FACTOR = 5  # diversity picks n among the 5n most uncertain passages
BALANCE = 0.5  # weight of uncertainty against redundancy in the diversity pick


@dataclass(frozen=True)
class Candidate:
    """A pool passage proposed for coding, and why."""

    text: str
    transcript: str
    speaker: str
    context: str
    start: int
    end: int
    source: str
    reason: str
    uncertainty: float

    def sheet_row(self) -> dict[str, str | int]:
        """The coding sheet's row: ``codes`` left empty for the coder."""
        row = asdict(self)
        del row["uncertainty"]
        return row | {"codes": ""}


def rank_for_coding(
    model_or_passages: CodeSuggester | Sequence[CodedPassage],
    pool: Iterable[Transcript],
    n: int = 50,
    codebook: Codebook | None = None,
    embedder: Embedder | None = None,
    exclude: Iterable[str] = (),
    n_jobs: int | None = None,
) -> list[Candidate]:
    """Up to ``n`` pool passages worth coding next, most useful first.

    ``model_or_passages``: a trained CodeSuggester, or coded passages to train one on (with
    ``codebook``, ``embedder`` and ``n_jobs``, as CodeSuggester takes them). Passages whose text
    is already coded (the training passages, or ``exclude``) and repeated texts are left out.
    """
    if isinstance(model_or_passages, CodeSuggester):
        model = model_or_passages
    else:
        model = CodeSuggester(codebook=codebook, embedder=embedder, n_jobs=n_jobs)
        model.fit_coded(model_or_passages)
        exclude = [*exclude, *(p.text for p in model_or_passages)]
    candidates = _unique_passages(pool, exclude)
    if not candidates:
        return []
    texts = [passage.text for _, passage in candidates]
    proba = model.predict_proba(texts, [passage.context for _, passage in candidates])
    closeness, reasons = uncertainty(model, proba)
    shortlist = np.argsort(-closeness, kind="stable")[: SHORTLIST_FACTOR * n]
    vectors = model.embedder_.encode([texts[i] for i in shortlist], "Embedding pool")
    order = shortlist[diverse_pick(vectors, closeness[shortlist], n)]
    return [_candidate(*candidates[i], reasons[i], closeness[i]) for i in order]


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _unique_passages(
    pool: Iterable[Transcript], exclude: Iterable[str]
) -> list[tuple[Transcript, Passage]]:
    """(transcript, passage) pairs of the pool, each text once, none already coded."""
    seen = {_key(text) for text in exclude}
    found = []
    for transcript in pool:
        for passage in transcript.passages:
            if _key(passage.text) not in seen:
                seen.add(_key(passage.text))
                found.append((transcript, passage))
    return found


def uncertainty(model: CodeSuggester, proba: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per passage: the entropy of its most uncertain code, and a sentence naming that code."""
    if proba.shape[1] == 0:
        raise TrainingDataError("the model suggests no code: code more passages first")
    p = np.clip(proba, 1e-6, 1 - 1e-6)
    entropy = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    worst = entropy.argmax(axis=1)
    reasons = [
        f"unsure about {model.codes[c]} (probability {proba[row, c]:.2f})"
        for row, c in enumerate(worst)
    ]
    return entropy[np.arange(len(entropy)), worst], reasons


def diverse_pick(vectors: np.ndarray, scores: np.ndarray, n: int) -> list[int]:
    """Greedy maximal marginal relevance: each pick maximises
    ``BALANCE * score - (1 - BALANCE) * highest similarity to the passages picked so far``."""
    picked: list[int] = []
    redundancy = np.zeros(len(scores))
    available = np.ones(len(scores), bool)
    while len(picked) < min(n, len(scores)):
        value = np.where(available, BALANCE * scores - (1 - BALANCE) * redundancy, -np.inf)
        best = int(np.argmax(value))
        picked.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return picked


def _candidate(
    transcript: Transcript, passage: Passage, reason: str, closeness: float
) -> Candidate:
    return Candidate(
        text=passage.text,
        transcript=transcript.id,
        speaker=passage.speaker,
        context=passage.context,
        start=passage.start,
        end=passage.end,
        source=transcript.source,
        reason=reason,
        uncertainty=round(float(closeness), 4),
    )


def write_coding_sheet(candidates: Sequence[Candidate], path: Path, force: bool = False) -> None:
    """The CSV a coder fills in (``codes`` column) and gives back to ``dtors-nlp train``."""
    refuse_overwrite(path, force)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHEET_COLUMNS)
    writer.writeheader()
    writer.writerows(candidate.sheet_row() for candidate in candidates)
    write_atomically(path, buffer.getvalue())
