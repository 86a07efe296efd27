"""Calibrated linear heads: the decisions a CodeSuggester makes for one code or one dimension.

A head is a class-balanced logistic regression over passage vectors. Its raw scores are then
recalibrated by a second, small logistic regression fitted on out-of-fold scores, so that the
probabilities it returns mean what they say (balancing the classes distorts raw probabilities).
Learned state is plain arrays, so a head is saved without pickle.
"""

from __future__ import annotations

import warnings

import numpy as np


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
        cls, x: np.ndarray, y: np.ndarray, n_classes: int, c: float, balanced: bool
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
            model.fit(x, y)
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
    """

    def __init__(self, n_classes: int, c: float = 1.0) -> None:
        self.n_classes = n_classes
        self.c = c

    def fit(self, x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> CalibratedHead:
        """Fit on all data; keep cross-fitted calibrated probabilities in ``oof_proba_``."""
        oof_scores = self._out_of_fold_scores(x, y, folds)
        self.base_ = LinearMap.fit(x, y, self.n_classes, self.c, balanced=True)
        self.calibrator_ = self._fit_calibrator(oof_scores, y)
        self.oof_proba_ = np.zeros((len(y), self.n_classes))
        for fold in np.unique(folds):
            test = folds == fold
            calibrator = self._fit_calibrator(oof_scores[~test], y[~test])
            self.oof_proba_[test] = calibrator.proba(oof_scores[test])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, (n, n_classes)."""
        return self.calibrator_.proba(self.base_.scores(x))

    def _out_of_fold_scores(self, x: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
        scores = np.zeros((len(y), 1 if self.n_classes == 2 else self.n_classes))
        for fold in np.unique(folds):
            test = folds == fold
            model = LinearMap.fit(x[~test], y[~test], self.n_classes, self.c, balanced=True)
            scores[test] = model.scores(x[test])
        return scores

    def _fit_calibrator(self, scores: np.ndarray, y: np.ndarray) -> LinearMap:
        return LinearMap.fit(scores, y, self.n_classes, c=100.0, balanced=False)

    def arrays(self) -> dict[str, np.ndarray]:
        """Learned state as named arrays, for saving."""
        return {
            "base_coef": self.base_.coef,
            "base_intercept": self.base_.intercept,
            "calibrator_coef": self.calibrator_.coef,
            "calibrator_intercept": self.calibrator_.intercept,
        }

    @classmethod
    def from_arrays(cls, n_classes: int, arrays: dict[str, np.ndarray]) -> CalibratedHead:
        """Rebuild a fitted head from ``arrays()``."""
        head = cls(n_classes)
        head.base_ = LinearMap(arrays["base_coef"], arrays["base_intercept"])
        head.calibrator_ = LinearMap(arrays["calibrator_coef"], arrays["calibrator_intercept"])
        return head
