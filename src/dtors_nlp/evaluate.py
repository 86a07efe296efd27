"""How far the suggestions can be trusted: grouped cross-validation of a hand-coded training set.

The passages are split into folds by transcript, so that one interview never sits on both sides.
For each fold a fresh CodeSuggester learns from the other folds (choosing its own calibration and
thresholds inside them) and predicts the held-out fold; every figure is computed on these held-out
predictions only, and only on labels a coder actually gave (unknown labels from reviews are left
out). Figures are given for two decision rules:

- ``suggested``: the code is shown to a coder (band ``review`` or ``likely``);
- ``likely``: the code is in the ``likely`` band (what a team might accept with a light check).

In a single-label dimension at most one code is suggested, the most probable one, as in
``CodeSuggester.suggest``. Per code: support, precision, recall, F1, Cohen's kappa and
Krippendorff's alpha (nominal, the code's presence as two values). Per dimension: macro and micro
averages and Krippendorff's alpha: for a single-label dimension over its values with "none" as one
of them, for a multi-label one over every (passage, code) pair of the dimension. Calibration:
expected calibration error (10 bins) and Brier score over every held-out (passage, code)
probability. Triage: where the true codes land, and which passages a coder could skip. Learning
curve: the same folds, trained on 20 to 100% of each training part; a share too small to train
on (the model refuses it) is left out, and the summary says why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.base import clone

from dtors_nlp.codebook import Codebook, Dimension, load_codebook
from dtors_nlp.coded import CodedPassage
from dtors_nlp.embed import Embedder, as_embedder
from dtors_nlp.errors import TrainingDataError
from dtors_nlp.labels import PRESENT, UNKNOWN, LabelMatrix
from dtors_nlp.metrics import (
    brier_score,
    cohen_kappa,
    expected_calibration_error,
    krippendorff_alpha,
    macro_average,
    precision_recall_f1,
    reliability_bins,
)
from dtors_nlp.model import CodeSuggester, assign_folds
from dtors_nlp.prior import PriorData, resolve_prior, without_texts
from dtors_nlp.progress import track

NOT_SUGGESTED, REVIEW, LIKELY = 0, 1, 2
RULES = {"suggested": REVIEW, "likely": LIKELY}
LEARNING_FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
SEED = 0


@dataclass
class HeldOut:
    """Held-out predictions for every passage, in codebook columns.

    ``proba`` is NaN where the fold's model did not learn the code (too few examples).
    """

    codes: list[str]
    proba: np.ndarray
    band: np.ndarray
    training_sizes: list[int] = field(default_factory=list)
    untrained: dict[str, int] = field(default_factory=dict)  # code -> folds it was not learned in
    left_out: str = ""  # why this training share could not be trained, if it could not

    @classmethod
    def empty(cls, n: int, codes: list[str]) -> HeldOut:
        shape = (n, len(codes))
        return cls(codes, np.full(shape, np.nan), np.zeros(shape, np.int8))

    def record(self, model: CodeSuggester, rows: np.ndarray, proba: np.ndarray) -> None:
        """Keep one fold's predictions for passages ``rows``."""
        columns = [self.codes.index(code) for code in model.codes]
        self.proba[np.ix_(rows, columns)] = proba
        self.band[np.ix_(rows, columns)] = model.bands(proba)
        for code in model.untrained_codes_:
            self.untrained[code] = self.untrained.get(code, 0) + 1


@dataclass
class Evaluation:
    """Every figure of a cross-validation, as plain data (``to_dict`` gives report.json)."""

    summary: dict
    codes: dict[str, dict]
    dimensions: dict[str, dict]
    calibration: dict
    triage: dict
    learning_curve: list[dict]

    def to_dict(self) -> dict:
        return asdict(self)

    def to_frame(self):
        """Per-code figures as a pandas DataFrame, one row per code (extra dtors-nlp[pandas])."""
        from dtors_nlp.frames import evaluation_frame

        return evaluation_frame(self)


def evaluate(
    estimator: CodeSuggester | Sequence[CodedPassage],
    passages: Sequence[CodedPassage] | Codebook | None = None,
    folds: int = 5,
    learning_curve: bool = True,
    **old_form,
) -> Evaluation:
    """Cross-validate clones of ``estimator`` on ``passages``, folds grouped by transcript.

    The codebook, sentence model and prior passages are the estimator's (prior passages being
    evaluated are left out of it). The old form ``evaluate(passages, codebook, folds,
    learning_curve, embedder=..., **model_params)`` works for this release, with a
    DeprecationWarning.
    """
    if not isinstance(estimator, CodeSuggester):
        estimator, passages = _from_old_form(estimator, passages, old_form)
    elif old_form:
        raise TypeError(f"evaluate() got unexpected arguments: {', '.join(sorted(old_form))}")
    codebook = estimator.codebook or load_codebook()
    labels = LabelMatrix.from_coded(passages, codebook)
    fold_of = outer_folds(passages, folds)
    embedder = as_embedder(estimator.embedder)
    _embed_once(embedder, passages)
    prior = held_out_prior(passages, codebook, estimator.prior_data)
    template = clone(estimator).set_params(codebook=codebook, embedder=embedder, prior_data=prior)

    fractions = LEARNING_FRACTIONS if learning_curve else (1.0,)
    runs = cross_validate(passages, fold_of, fractions, lambda: clone(template), codebook.codes)
    full = runs[1.0]
    return Evaluation(
        summary=_summary(passages, labels, runs, folds),
        codes=code_figures(labels, full),
        dimensions=dimension_figures(labels, full),
        calibration=calibration_figures(labels, full),
        triage=triage_figures(labels, full),
        learning_curve=[
            _learning_point(f, labels, run) for f, run in runs.items() if not run.left_out
        ],
    )


def _from_old_form(
    passages: Sequence[CodedPassage], codebook: Codebook | None, model_params: dict
) -> tuple[CodeSuggester, Sequence[CodedPassage]]:
    """The estimator and passages of a call ``evaluate(passages, codebook, ...)``."""
    warnings.warn(
        "evaluate(passages, codebook, ..., **model_params) is deprecated: give the estimator "
        "first, evaluate(CodeSuggester(codebook=..., ...), passages, ...)",
        DeprecationWarning,
        stacklevel=3,
    )
    return CodeSuggester(**({"codebook": codebook} | model_params)), passages


def held_out_prior(
    passages: Sequence[CodedPassage], codebook: Codebook, prior_data: PriorData
) -> list[CodedPassage]:
    """The prior passages for every fold's model, less any passage being evaluated: one in a
    test fold would otherwise reach its model through the prior."""
    prior, _ = resolve_prior(prior_data, codebook)
    return without_texts(prior, [p.text for p in passages])


def outer_folds(passages: Sequence[CodedPassage], folds: int) -> np.ndarray:
    """A fold per passage, whole transcripts per fold; refuses too few transcripts for that."""
    groups = [p.transcript or None for p in passages]
    named = {g for g in groups if g}
    if folds < 2:
        raise TrainingDataError("cross-validation needs at least 2 folds")
    if len(passages) < 2 * folds:
        raise TrainingDataError(f"only {len(passages)} passages for {folds} folds")
    if 0 < len(named) < folds:
        raise TrainingDataError(
            f"only {len(named)} transcripts: folds grouped by transcript need at least {folds} "
            f"(use --folds {max(len(named), 2)})"
        )
    return assign_folds(len(passages), groups, folds)


def _embed_once(embedder: Embedder, passages: Sequence[CodedPassage]) -> None:
    """Fill the embedder's cache, so that no fold embeds a text again."""
    embedder.encode([p.text for p in passages], "Embedding passages")
    contexts = [p.context for p in passages if p.context.strip()]
    if contexts:
        embedder.encode(contexts, "Embedding context")


# --- cross-validation ---------------------------------------------------------------------------


def cross_validate(
    passages: Sequence[CodedPassage],
    fold_of: np.ndarray,
    fractions: Sequence[float],
    make_model: Callable[[], CodeSuggester],
    codes: list[str],
) -> dict[float, HeldOut]:
    """Held-out predictions in ``codes`` columns for each training share.

    A share takes the first passages of each training part in one seeded random order, so the
    smaller training sets are nested in the larger ones and the test folds stay the same. A
    share below 1.0 that the model refuses to train on in some fold is left out (``left_out``
    says why); the full share is never left out: its refusal is raised.
    """
    rank = np.argsort(np.random.default_rng(SEED).permutation(len(passages)))
    runs = {f: HeldOut.empty(len(passages), codes) for f in fractions}
    jobs = [(f, fold) for f in fractions for fold in np.unique(fold_of)]
    for fraction, fold in track(jobs, "Cross-validating", total=len(jobs)):
        if runs[fraction].left_out:
            continue
        test, train = np.flatnonzero(fold_of == fold), np.flatnonzero(fold_of != fold)
        train = train[np.argsort(rank[train])][: math.ceil(fraction * len(train))]
        try:
            model = make_model().fit_coded([passages[i] for i in train])
        except TrainingDataError as error:
            if fraction == 1.0:
                raise
            runs[fraction].left_out = error.problem
            continue
        held_out = [passages[i] for i in test]
        proba = model.predict_proba([p.text for p in held_out], [p.context for p in held_out])
        runs[fraction].record(model, test, proba)
        runs[fraction].training_sizes.append(len(train))
    return runs


# --- figures ----------------------------------------------------------------------------------


def _known_cells(labels: LabelMatrix, run: HeldOut, codes: Sequence[str]):
    """Human truth and model band levels for every known (passage, code) cell of ``codes``."""
    columns = [labels.codes.index(code) for code in codes]
    truth = labels.values[:, columns].ravel()
    known = truth != UNKNOWN
    return truth[known] == PRESENT, run.band[:, columns].ravel()[known]


def _agreement(truth: np.ndarray, predicted: np.ndarray) -> dict:
    """Precision, recall, F1, kappa and alpha of boolean predictions against the human coding."""
    return precision_recall_f1(truth, predicted) | {
        "kappa": cohen_kappa(truth, predicted),
        "alpha": krippendorff_alpha(truth, predicted),
    }


def code_figures(labels: LabelMatrix, run: HeldOut) -> dict[str, dict]:
    """Per code with at least one true example: support and agreement under each rule."""
    figures = {}
    for code in labels.codes:
        truth, level = _known_cells(labels, run, [code])
        if truth.any():
            figures[code] = {"support": int(truth.sum()), "judged": len(truth)} | {
                rule: _agreement(truth, level >= minimum) for rule, minimum in RULES.items()
            }
    return figures


def dimension_figures(labels: LabelMatrix, run: HeldOut) -> dict[str, dict]:
    """Per dimension and rule: macro and micro averages, Krippendorff's alpha."""
    per_code = code_figures(labels, run)
    figures = {}
    for dimension in labels.codebook.dimensions:
        codes = [c for c in dimension.qualified_codes if c in per_code]
        if not codes:
            continue
        truth, level = _known_cells(labels, run, codes)
        figures[dimension.name] = {
            "single_label": not dimension.multi_label,
            "support": int(truth.sum()),
        }
        for rule, minimum in RULES.items():
            figures[dimension.name][rule] = {
                "macro": macro_average([per_code[c][rule] for c in codes]),
                "micro": precision_recall_f1(truth, level >= minimum),
                "alpha": _dimension_alpha(labels, run, dimension, minimum),
            }
        if not dimension.multi_label:
            figures[dimension.name]["most_probable"] = _most_probable(labels, run, dimension)
    return figures


def _dimension_values(labels: LabelMatrix, run: HeldOut, dimension: Dimension, minimum: int):
    """Human and model value (0 none, 1..k the codes) per passage judged on the dimension."""
    codes = dimension.qualified_codes
    human = labels.classes_for(codes, single_label=True)
    columns = [labels.codes.index(code) for code in codes]
    chosen = run.band[:, columns] >= minimum
    model = np.where(chosen.any(axis=1), chosen.argmax(axis=1) + 1, 0)
    known = human != UNKNOWN
    return human[known], model[known]


def _dimension_alpha(
    labels: LabelMatrix, run: HeldOut, dimension: Dimension, minimum: int
) -> float | None:
    if dimension.multi_label:
        truth, level = _known_cells(labels, run, dimension.qualified_codes)
        return krippendorff_alpha(truth, level >= minimum)
    return krippendorff_alpha(*_dimension_values(labels, run, dimension, minimum))


def _most_probable(labels: LabelMatrix, run: HeldOut, dimension: Dimension) -> dict:
    """A single-label dimension as plain classification: the most probable value, none included.

    The usual figure of classification benchmarks (macro-F1 over none and every code).
    """
    codes = dimension.qualified_codes
    human = labels.classes_for(codes, single_label=True)
    known = human != UNKNOWN
    proba = np.nan_to_num(run.proba[:, [labels.codes.index(c) for c in codes]])[known]
    values = np.column_stack([1 - proba.sum(axis=1), proba]).argmax(axis=1)
    per_value = [precision_recall_f1(human[known] == v, values == v) for v in range(len(codes) + 1)]
    return {
        "accuracy": round(float(np.mean(values == human[known])), 4),
        "macro_f1": macro_average(per_value)["f1"],
    }


def calibration_figures(labels: LabelMatrix, run: HeldOut) -> dict:
    """Expected calibration error, Brier score and reliability bins over all known cells."""
    truth = labels.values.ravel()
    proba = run.proba.ravel()
    keep = (truth != UNKNOWN) & ~np.isnan(proba)
    outcomes = truth[keep] == PRESENT
    return {
        "probabilities": int(keep.sum()),
        "expected_calibration_error": expected_calibration_error(proba[keep], outcomes),
        "brier_score": brier_score(proba[keep], outcomes),
        "bins": reliability_bins(proba[keep], outcomes),
    }


def triage_figures(labels: LabelMatrix, run: HeldOut) -> dict:
    """Where the true codes land (``likely``), and the passages with no suggestion at all."""
    truth = labels.values == PRESENT  # unknown cells are never true
    in_likely = run.band == LIKELY
    skippable = (run.band == NOT_SUGGESTED).all(axis=1)
    per_code = {
        code: _likely_share(truth[:, i], in_likely[:, i], labels.values[:, i] != UNKNOWN)
        for i, code in enumerate(labels.codes)
        if truth[:, i].any()
    }
    return {
        "codes": per_code,
        "overall": _likely_share(truth, in_likely, labels.values != UNKNOWN),
        "skippable_passages": int(skippable.sum()),
        "skippable_share": _share(skippable.sum(), len(skippable)),
        "true_codes_in_skippable": int(truth[skippable].sum()),
        "true_codes_in_skippable_share": _share(truth[skippable].sum(), truth.sum()),
    }


def _likely_share(truth: np.ndarray, in_likely: np.ndarray, known: np.ndarray) -> dict:
    hits = int((truth & in_likely & known).sum())
    return {
        "true_codes": int(truth.sum()),
        "in_likely": hits,
        "share_in_likely": _share(hits, truth.sum()),
        "precision_in_likely": _share(hits, (in_likely & known).sum()),
    }


def _share(part: float, whole: float) -> float:
    return round(float(part / whole), 4) if whole else 0.0


def _overall_macro_f1(labels: LabelMatrix, run: HeldOut) -> dict[str, float]:
    per_code = code_figures(labels, run)
    return {rule: macro_average([row[rule] for row in per_code.values()])["f1"] for rule in RULES}


def _learning_point(fraction: float, labels: LabelMatrix, run: HeldOut) -> dict:
    return {
        "fraction": fraction,
        "training_passages": round(float(np.mean(run.training_sizes))),
        "macro_f1": _overall_macro_f1(labels, run),
    }


def _summary(
    passages: Sequence[CodedPassage], labels: LabelMatrix, runs: dict[float, HeldOut], folds: int
) -> dict:
    run = runs[1.0]
    return {
        "passages": len(passages),
        "transcripts": len({p.transcript for p in passages if p.transcript}),
        "passages_without_transcript": sum(not p.transcript for p in passages),
        "folds": folds,
        "codebook": labels.codebook.name,
        "macro_f1": _overall_macro_f1(labels, run),
        "codes_without_examples": [
            code for code, count in labels.positive_counts().items() if count == 0
        ],
        "untrained_in_folds": run.untrained,
        "learning_curve_left_out": [
            {"fraction": fraction, "problem": share.left_out}
            for fraction, share in runs.items()
            if share.left_out
        ],
    }
