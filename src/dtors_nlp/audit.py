"""An audit of the hand coding: the codings an out-of-fold model doubts most (``dtors-nlp audit``).

Every passage is scored by a model that did not see it: the cross-validation of ``evaluate``
(folds grouped by transcript), and prior passages that are among the audited ones are left out
of every fold's training, so no passage reaches its own model. For every (passage, code) cell a
coder judged, the surprise of the coding is ``-log2`` of the probability the model gives the
coder's choice: high where a code was given and the model puts it very low, or where a code is
missing and the model puts it very high.

The doubts are ranked by how likely each coding is a slip, in bits (``doubt_bits``), which puts
the codes and the two kinds of slip on one scale:

- each code's out-of-fold probabilities are recalibrated on that code's own coding (a logistic
  fit on the log-odds, learned from the other folds' passages only), so a missing code in a code
  whose coded passages usually score high is more surprising than in a code the model learns
  badly, and a code given at a low probability is less surprising where the code's genuine
  codings often score that low;
- a forgotten code can only happen on a passage that has the code, a wrongly given one only on a
  passage that lacks it. Expecting as many slips of each kind for a code, a given code is a slip
  with prior odds ``1/(passages lacking the code)`` and a missing one with ``1/(passages having
  it)``; ``doubt_bits`` is the log2 posterior odds, so neither kind crowds out the other merely
  because a code is missing from far more passages than it is given to.

A code the coders gave to too few passages for any fold's model to learn is judged by how often
they use it instead: its probability on a passage is its share of the other passages. A
code given once or twice in a whole study is worth a look, since a click on the wrong code in a
code tree looks exactly like that.

The most doubted codings come first, each with the nearest hand-coded passages that were coded
the other way, for a coder to compare.

A doubted coding is a question for the team, not an error: the model is often wrong, and a
coding it doubts may be the one that teaches it something new.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from dtors_nlp.codebook import Codebook, load_codebook
from dtors_nlp.coded import CodedPassage
from dtors_nlp.embed import Embedder, as_embedder
from dtors_nlp.evaluate import cross_validate, held_out_prior, outer_folds
from dtors_nlp.labels import ABSENT, PRESENT, UNKNOWN, LabelMatrix
from dtors_nlp.model import CodeSuggester
from dtors_nlp.prior import AUTO

NEAREST = 3
MIN_CODINGS = 2  # of each kind, in the other folds, to recalibrate a code
COLUMNS = (
    "rank",
    "transcript",
    "speaker",
    "text",
    "code",
    "coded",
    "probability",
    "surprise",
    "doubt_bits",
    "doubt",
    "judged_by",
    "coded_the_other_way",
)
JUDGED_BY_MODEL = "model"
JUDGED_BY_USE = "use"  # a code too rare for a model: how often the coders use it


@dataclass(frozen=True)
class Doubt:
    """A coding the out-of-fold model finds surprising."""

    passage: int  # index into the audited passages
    transcript: str
    speaker: str
    text: str
    code: str
    coded: bool  # the coder gave the code (True) or left it out (False)
    probability: float  # out of fold: the model's, or the code's share of the other passages
    surprise: float  # -log2 of the probability of the coder's choice, in bits
    doubt_bits: float  # log2 posterior odds that the coding is a slip, up to a constant (the rank)
    coded_the_other_way: tuple[str, ...]  # nearest passages with the opposite coding
    judged_by: str = JUDGED_BY_MODEL  # or JUDGED_BY_USE, for a code too rare for a model

    @property
    def doubt(self) -> str:
        if self.judged_by == JUDGED_BY_USE:
            return f"{'given' if self.coded else 'missing'}, a code too rare for a model to learn"
        return "given, model doubts it" if self.coded else "missing, model expects it"


@dataclass
class Audit:
    """The doubts, most surprising first, and what was checked."""

    doubts: list[Doubt]
    passages: int
    codings_checked: int  # (passage, code) cells judged by a coder and by an out-of-fold model
    codes_checked: list[str]  # the codes some fold's model learned
    folds: int
    codes_too_rare: dict[str, int]  # code no model learned -> passages given it; judged by use

    def rows(self) -> list[dict]:
        """The report's rows (``audit.csv``)."""
        return [
            asdict(d)
            | {
                "rank": rank,
                "doubt": d.doubt,
                "coded": "yes" if d.coded else "no",
                "coded_the_other_way": json.dumps(list(d.coded_the_other_way), ensure_ascii=False),
            }
            for rank, d in enumerate(self.doubts, start=1)
        ]


def audit(
    passages: Sequence[CodedPassage],
    codebook: Codebook | None = None,
    n: int = 50,
    folds: int = 5,
    embedder: Embedder | str | PathLike[str] | None = None,
    **model_params,
) -> Audit:
    """The ``n`` codings of ``passages`` an out-of-fold CodeSuggester(**model_params) doubts
    most; ``prior_data`` (default "auto") never includes the audited passages."""
    codebook = codebook or load_codebook()
    embedder = as_embedder(embedder)
    labels, model_proba, fold_of = out_of_fold(passages, codebook, folds, embedder, **model_params)
    vectors = embedder.encode([p.text for p in passages], "Embedding passages")
    _, by_model = surprises(labels, model_proba)
    proba, by_use = complete_by_use(labels, model_proba)
    score = doubt_scores(labels, model_proba, fold_of)
    return Audit(
        doubts=[
            _doubt(passages, labels, proba, score, vectors, cell, bool(by_use[cell]))
            for cell in most_doubted(score, n)
        ],
        passages=len(passages),
        codings_checked=int(by_model.sum()),
        codes_checked=[code for i, code in enumerate(labels.codes) if by_model[:, i].any()],
        folds=folds,
        codes_too_rare=too_rare_codes(labels, by_model),
    )


def most_doubted(score: np.ndarray, n: int) -> list[tuple[int, int]]:
    """The (passage, code) cells of the ``n`` highest doubt scores, highest first, leaving out
    cells that were not checked (``-inf``)."""
    order = np.argsort(-score, axis=None, kind="stable")[:n]
    order = order[np.isfinite(score.ravel()[order])]
    rows, columns = np.unravel_index(order, score.shape)
    return list(zip(rows.tolist(), columns.tolist()))


def out_of_fold(
    passages: Sequence[CodedPassage],
    codebook: Codebook,
    folds: int,
    embedder: Embedder,
    **model_params,
) -> tuple[LabelMatrix, np.ndarray, np.ndarray]:
    """The coders' labels, every passage's probabilities from a CodeSuggester(**model_params)
    trained on the other folds (NaN where no fold's model learned a code), and each passage's
    fold; ``prior_data`` (default "auto") never includes the audited passages."""
    fold_of = outer_folds(passages, folds)
    prior = held_out_prior(passages, codebook, model_params.pop("prior_data", AUTO))

    def make_model() -> CodeSuggester:
        return CodeSuggester(codebook=codebook, embedder=embedder, prior_data=prior, **model_params)

    run = cross_validate(passages, fold_of, (1.0,), make_model, codebook.codes)[1.0]
    return LabelMatrix.from_coded(passages, codebook), run.proba, fold_of


def surprises(labels: LabelMatrix, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``-log2`` of the probability of each coder's choice (-inf where not checked), and which
    cells were checked: judged by a coder and scored by a model that learned the code."""
    checked = (labels.values != UNKNOWN) & ~np.isnan(proba)
    p = np.clip(np.nan_to_num(proba), 1e-6, 1 - 1e-6)
    chosen = np.where(labels.values == PRESENT, p, 1 - p)
    return np.where(checked, -np.log2(chosen), -np.inf), checked


def too_rare_codes(labels: LabelMatrix, by_model: np.ndarray) -> dict[str, int]:
    """The codes given to some passages that no fold's model learned (too few passages), with
    how many passages have each: the audit judges them by how often they are used."""
    given = (labels.values == PRESENT).sum(axis=0)
    return {
        code: int(given[i])
        for i, code in enumerate(labels.codes)
        if given[i] and not by_model[:, i].any()
    }


def complete_by_use(labels: LabelMatrix, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``proba`` completed where a coder judged a cell that no fold's model scored, in a code
    given to at least one passage: the code's share of the other judged passages, with half a
    passage added (a code used nowhere else is rare, not impossible); and which cells were so
    completed. No cell's own coding reaches its probability."""
    known = labels.values != UNKNOWN
    present = labels.values == PRESENT
    by_use = np.isnan(proba) & known & present.any(axis=0)
    share = (present.sum(axis=0) - present + 0.5) / np.maximum(known.sum(axis=0), 1)
    return np.where(by_use, share, proba), by_use


def recalibrate(labels: LabelMatrix, proba: np.ndarray, fold_of: np.ndarray) -> np.ndarray:
    """Each code's out-of-fold probabilities refitted to that code's coding: for each fold, a
    logistic regression of the coding on the log-odds, learned from the other folds' judged
    cells, so no cell's own coding reaches its recalibration. NaN where not checked, and the
    model's probability where a code has too few codings of either kind to fit."""
    from sklearn.linear_model import LogisticRegression

    _, checked = surprises(labels, proba)
    p = np.clip(np.nan_to_num(proba), 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    present = labels.values == PRESENT
    recalibrated = np.where(checked, p, np.nan)
    for column in range(proba.shape[1]):
        for fold in np.unique(fold_of):
            learn = checked[:, column] & (fold_of != fold)
            score = checked[:, column] & (fold_of == fold)
            y = present[learn, column]
            if not score.any() or min(y.sum(), (~y).sum()) < MIN_CODINGS:
                continue
            fit = LogisticRegression().fit(logit[learn, column, None], y)
            recalibrated[score, column] = fit.predict_proba(logit[score, column, None])[:, 1]
    return recalibrated


def doubt_scores(labels: LabelMatrix, proba: np.ndarray, fold_of: np.ndarray) -> np.ndarray:
    """The log2 posterior odds that each judged cell's coding is a slip, up to a shared constant
    (-inf where not checked): the recalibrated odds against the coder's choice, times the prior
    odds of a slip of that kind, with as many slips of each kind expected for a code (a given
    code: 1 in the code's passages lacking it; a missing one: 1 in its passages having it).
    Cells no model scored, in codes given at least once, are judged by use (``complete_by_use``)."""
    recalibrated, _ = complete_by_use(labels, recalibrate(labels, proba, fold_of))
    checked = (labels.values != UNKNOWN) & ~np.isnan(recalibrated)
    q = np.clip(np.nan_to_num(recalibrated), 1e-6, 1 - 1e-6)
    present = labels.values == PRESENT
    chosen = np.where(present, q, 1 - q)
    having = (checked & present).sum(axis=0)
    lacking = (checked & (labels.values == ABSENT)).sum(axis=0)
    other_way = np.maximum(np.where(present, lacking, having), 1)
    return np.where(checked, np.log2((1 - chosen) / chosen) - np.log2(other_way), -np.inf)


def _doubt(
    passages: Sequence[CodedPassage],
    labels: LabelMatrix,
    proba: np.ndarray,
    score: np.ndarray,
    vectors: np.ndarray,
    cell: tuple[int, int],
    by_use: bool,
) -> Doubt:
    row, column = cell
    passage, coded = passages[row], labels.values[row, column] == PRESENT
    probability = float(proba[row, column])
    other_way = labels.values[:, column] == (ABSENT if coded else PRESENT)
    other_way[row] = False
    candidates = np.flatnonzero(other_way)
    nearest = candidates[np.argsort(-(vectors[candidates] @ vectors[row]))[:NEAREST]]
    chosen = probability if coded else 1 - probability
    return Doubt(
        passage=row,
        transcript=passage.transcript,
        speaker=passage.speaker,
        text=passage.text,
        code=labels.codes[column],
        coded=bool(coded),
        probability=round(probability, 4),
        surprise=round(float(-np.log2(max(chosen, 1e-6))), 2),
        doubt_bits=round(float(score[row, column]), 2),
        coded_the_other_way=tuple(passages[i].text for i in nearest),
        judged_by=JUDGED_BY_USE if by_use else JUDGED_BY_MODEL,
    )


def write_audit(result: Audit, path: Path, force: bool = False) -> None:
    """The doubts as a CSV (UTF-8 with a byte-order mark, for Excel), written whole or not."""
    from dtors_nlp.export.suggestions import write_table
    from dtors_nlp.files import refuse_overwrite

    refuse_overwrite(path, force)
    write_table(path, COLUMNS, result.rows())
