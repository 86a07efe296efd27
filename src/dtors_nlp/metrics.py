"""Agreement and accuracy figures a research team can cite.

Plain functions on arrays: precision, recall and F1, Cohen's kappa, Krippendorff's alpha,
expected calibration error and the Brier score.
"""

from __future__ import annotations

import numpy as np


def precision_recall_f1(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of boolean predictions (0 where undefined)."""
    truth, predicted = np.asarray(truth, bool), np.asarray(predicted, bool)
    hits = int((truth & predicted).sum())
    precision = hits / predicted.sum() if predicted.any() else 0.0
    recall = hits / truth.sum() if truth.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(float(precision), 4),
        "recall": round(float(recall), 4),
        "f1": round(float(f1), 4),
    }
