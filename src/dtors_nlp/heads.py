"""Calibrated linear heads: the decisions a CodeSuggester makes for one code or one dimension.

A head is a class-balanced logistic regression over passage vectors. Its raw scores are then
recalibrated by a second, small logistic regression fitted on out-of-fold scores, so that the
probabilities it returns mean what they say (balancing the classes distorts raw probabilities).
A head may also learn from prior passages (``PriorRows``: coded passages from elsewhere, given
less weight); they join every training part but are never scored, so calibration, the choice of
settings and every out-of-fold figure come from the team's own passages only.
Learned state is plain arrays, so a head is saved without pickle.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np


@dataclass(frozen=True)
class PriorRows:
    """Prior passages for one head: feature rows, their classes, and the weight of each."""

    x: np.ndarray
    y: np.ndarray
    weight: float

    def joined(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``x`` and ``y`` with the prior rows below them, and every row's sample weight."""
        weights = np.r_[np.ones(len(y)), np.full(len(self.y), self.weight)]
        return _stack_rows(x, self.x), np.r_[y, self.y], weights


def _stack_rows(top, bottom):
    """Rows of ``top`` then ``bottom``: numpy arrays, or sparse matrices (word features)."""
    from scipy import sparse

    if sparse.issparse(top):
        return sparse.vstack([top, bottom], format="csr")
    return np.vstack([top, bottom])


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class LinearMap:
    """``x @ coef.T + intercept``, then softmax (or a sigmoid for a single column)."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        n_classes: int,
        c: float,
        balanced: bool,
        sample_weight: np.ndarray | None = None,
    ) -> LinearMap:
        """Fit a logistic regression; classes missing from ``y`` get a score that never wins."""
        from sklearn.exceptions import ConvergenceWarning  # here: loading a model needs no sklearn
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        present = np.unique(y)
        coef = np.zeros((n_classes if n_classes > 2 else 1, x.shape[1]))
        intercept = np.full(coef.shape[0], -30.0)
        if len(present) == 1:  # one class only: predict it, with no dependence on x
            if n_classes == 2:
                intercept[:] = 30.0 if present[0] == 1 else -30.0
            else:
                intercept[present[0]] = 30.0
            return cls(coef, intercept)
        model = LogisticRegression(
            C=c, class_weight="balanced" if balanced else None, max_iter=2000
        )
        # L-BFGS on small problems is many times slower with multi-threaded BLAS
        with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y, sample_weight=sample_weight)
        if n_classes == 2:
            return cls(model.coef_, model.intercept_)
        coef[present] = (
            model.coef_
            if len(present) > 2
            else np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
        )
        intercept[present] = (
            model.intercept_
            if len(present) > 2
            else np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
        )
        return cls(coef, intercept)

    def padded(self, width: int) -> LinearMap:
        """The same map over ``width`` features, the extra ones weighted zero."""
        extra = np.zeros((self.coef.shape[0], width - self.coef.shape[1]))
        return LinearMap(np.hstack([self.coef, extra]), self.intercept)

    def scores(self, x: np.ndarray) -> np.ndarray:
        return x @ self.coef.T + self.intercept

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for every class, (n, n_classes)."""
        scores = self.scores(x)
        if scores.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-np.clip(scores[:, 0], -50, 50)))
            return np.column_stack([1.0 - positive, positive])
        return _softmax(scores)


class CalibratedHead:
    """One decision: absent/present for a multi-label code, or none/one-of-k for a dimension.

    ``y`` holds class indices: 0 is "absent" (or "none of the dimension's codes"), 1..k the codes.
    ``c`` is the regularisation strength, or several to choose from; ``widths`` the feature
    counts to choose from (``None``: every feature; a number: the first ones only, e.g. the
    passage's own vector without its context). The pair with the lowest out-of-fold log-loss
    wins; the features left out get weight zero.
    Besides probabilities, the head learns ``decision_weights_``: per-class multipliers such that
    ``argmax(proba * weights)`` maximises out-of-fold F1 (macro-F1 over the classes of a
    single-label dimension), the decision ``predict`` uses.
    """

    def __init__(
        self,
        n_classes: int,
        c: float | Sequence[float] = 1.0,
        widths: Sequence[int | None] = (None,),
    ) -> None:
        self.n_classes = n_classes
        self.c = c
        self.widths = widths

    def fit(
        self, x: np.ndarray, y: np.ndarray, folds: np.ndarray, prior: PriorRows | None = None
    ) -> CalibratedHead:
        """Fit on all data; keep cross-fitted calibrated probabilities in ``oof_proba_``."""
        candidates = product([self.c] if np.isscalar(self.c) else list(self.c), self.widths)
        tried = [(c, w, *self._out_of_fold(x, y, folds, c, w, prior)) for c, w in candidates]
        self.c_, self.width_, oof_scores, self.oof_proba_ = min(
            tried, key=lambda t: _log_loss(y, t[3])
        )
        self.base_ = self._fit_base(x, y, self.c_, self.width_, prior)
        self.calibrator_ = self._fit_calibrator(oof_scores, y)
        self.decision_weights_ = tune_decision_weights(y, self.oof_proba_)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, (n, n_classes)."""
        return predict_proba_together([self], x)[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The decided class of each row (0: absent / none)."""
        return (self.predict_proba(x) * self.decision_weights_).argmax(axis=1)

    def _fit_base(
        self, x: np.ndarray, y: np.ndarray, c: float, width: int | None, prior: PriorRows | None
    ) -> LinearMap:
        """The class-balanced regression on the first ``width`` features, prior rows included."""
        weights = None
        if prior is not None and len(prior.y):
            x, y, weights = prior.joined(x, y)
        fitted = LinearMap.fit(x[:, :width], y, self.n_classes, c, True, weights)
        return fitted.padded(x.shape[1])

    def _out_of_fold(
        self,
        x: np.ndarray,
        y: np.ndarray,
        folds: np.ndarray,
        c: float,
        width: int | None,
        prior: PriorRows | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores of models that did not see each row, and cross-fitted calibrations."""
        scores = np.zeros((len(y), 1 if self.n_classes == 2 else self.n_classes))
        for fold in np.unique(folds):
            test = folds == fold
            model = self._fit_base(x[~test], y[~test], c, width, prior)
            scores[test] = model.scores(x[test])
        proba = np.zeros((len(y), self.n_classes))
        for fold in np.unique(folds):
            test = folds == fold
            proba[test] = self._fit_calibrator(scores[~test], y[~test]).proba(scores[test])
        return scores, proba

    def _fit_calibrator(self, scores: np.ndarray, y: np.ndarray) -> LinearMap:
        return fit_scaling(scores, y, self.n_classes)

    def arrays(self) -> dict[str, np.ndarray]:
        """Learned state as named arrays, for saving."""
        return {
            "base_coef": self.base_.coef,
            "base_intercept": self.base_.intercept,
            "calibrator_coef": self.calibrator_.coef,
            "calibrator_intercept": self.calibrator_.intercept,
            "decision_weights": self.decision_weights_,
        }

    @classmethod
    def from_arrays(cls, n_classes: int, arrays: dict[str, np.ndarray]) -> CalibratedHead:
        """Rebuild a fitted head from ``arrays()``."""
        head = cls(n_classes)
        head.base_ = LinearMap(arrays["base_coef"], arrays["base_intercept"])
        head.calibrator_ = LinearMap(arrays["calibrator_coef"], arrays["calibrator_intercept"])
        head.decision_weights_ = arrays["decision_weights"]
        return head


MIN_SLOPE = 1e-3
SLOPE_PRIOR = 20.0  # pseudo-passages of belief that the regression's own scale is right


def fit_heads(
    jobs: Sequence[tuple[CalibratedHead, np.ndarray, np.ndarray, np.ndarray, PriorRows | None]],
    n_jobs: int | None = None,
) -> list[CalibratedHead]:
    """Each ``(head, x, y, folds, prior)`` fitted, in ``n_jobs`` processes (None: this one; -1:
    one per core). Heads are independent and each fit is deterministic, so the heads are the
    same however many processes fit them."""
    if n_jobs is None or n_jobs == 1 or len(jobs) < 2:
        return [head.fit(*data) for head, *data in jobs]
    from joblib import Parallel, delayed

    # max_nbytes=None: the arrays travel pickled, never memory-mapped into a temporary folder,
    # since they derive from interview text (docs/privacy.md)
    return Parallel(n_jobs=n_jobs, max_nbytes=None)(
        delayed(CalibratedHead.fit)(head, *data) for head, *data in jobs
    )


def predict_proba_together(heads: Sequence[CalibratedHead], x) -> list[np.ndarray]:
    """Each head's calibrated probabilities for ``x``, with every head's regression applied in
    one product: a sparse ``x`` (word features) is read once, not once a head."""
    maps = [head.base_ for head in heads]
    together = LinearMap(
        np.vstack([m.coef for m in maps]), np.concatenate([m.intercept for m in maps])
    )
    scores = together.scores(x)
    bounds = np.cumsum([0] + [m.coef.shape[0] for m in maps])
    return [head.calibrator_.proba(scores[:, a:b]) for head, a, b in zip(heads, bounds, bounds[1:])]


def fit_scaling(scores: np.ndarray, y: np.ndarray, n_classes: int) -> LinearMap:
    """Calibrate raw scores as ``softmax(a * scores + b)`` (a sigmoid for one column).

    One positive slope ``a`` for every class and one bias per class, fitted by log-loss: the
    probabilities are recalibrated but never reordered, so a code's passages keep the order its
    regression gave them, even where out-of-fold scores are too noisy to trust (a free slope
    could then turn negative and invert the ranking). ``log(a)`` is shrunk towards 0 as if
    ``SLOPE_PRIOR`` passages had shown the regression's scale to be right, which matters only
    with few passages. Classes missing from ``y`` never win.
    """
    from scipy.optimize import minimize  # here: loading a model needs no SciPy

    width = scores.shape[1]
    present = np.isin(np.arange(n_classes), y)

    def scaling(theta: np.ndarray) -> LinearMap:
        bias = np.where(present, theta[1:], -30.0) if width > 1 else theta[1:]
        return LinearMap(theta[0] * np.eye(width), bias)

    def loss(theta: np.ndarray) -> float:
        shrink = SLOPE_PRIOR * np.log(theta[0]) ** 2 / len(y)
        return _log_loss(y, scaling(theta).proba(scores)) + shrink

    start = np.r_[1.0, np.zeros(width)]
    bounds = [(MIN_SLOPE, 100.0)] + [(-30.0, 30.0)] * width
    return scaling(minimize(loss, start, method="L-BFGS-B", bounds=bounds).x)


WEIGHT_GRID = np.geomspace(0.1, 30.0, 36)


def tune_decision_weights(y: np.ndarray, proba: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Class multipliers (class 0 fixed at 1) maximising the F1 of ``argmax(proba * w)``.

    Two classes: F1 of class 1. More: macro-F1 over all classes. Coordinate ascent on a grid.
    """
    weights = np.ones(proba.shape[1])
    for _ in range(rounds):
        for k in range(1, proba.shape[1]):
            scores = []
            for w in WEIGHT_GRID:
                weights[k] = w
                scores.append(_decision_f1(y, (proba * weights).argmax(axis=1), proba.shape[1]))
            weights[k] = WEIGHT_GRID[int(np.argmax(scores))]
    return weights


def _decision_f1(y: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    classes = [1] if n_classes == 2 else range(n_classes)
    f1s = []
    for k in classes:
        hits = np.sum((predicted == k) & (y == k))
        total = np.sum(predicted == k) + np.sum(y == k)
        f1s.append(2 * hits / total if total else 0.0)
    return float(np.mean(f1s))


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0))))
