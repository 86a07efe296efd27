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


def macro_average(rows: list[dict[str, float]]) -> dict[str, float]:
    """The unweighted mean of each figure over ``rows`` (per-code figures); 0 for no rows."""
    names = ("precision", "recall", "f1")
    return {
        name: round(float(np.mean([row[name] for row in rows])) if rows else 0.0, 4)
        for name in names
    }


def cohen_kappa(first: np.ndarray, second: np.ndarray) -> float | None:
    """Cohen's kappa between two codings of the same units (any labels); None if undefined.

    Undefined when chance agreement is 1, that is when both codings use one and the same value.
    """
    first, second = np.asarray(first), np.asarray(second)
    values = np.union1d(first, second)
    observed = float(np.mean(first == second))
    expected = float(sum(np.mean(first == v) * np.mean(second == v) for v in values))
    if expected >= 1.0:
        return None
    return round((observed - expected) / (1.0 - expected), 4)


def krippendorff_alpha(first: np.ndarray, second: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) between two complete codings; None if undefined.

    Undefined when every unit gets the same value from both coders (no variation to agree on).
    """
    import krippendorff

    data = np.vstack([np.asarray(first), np.asarray(second)]).astype(float)
    if len(np.unique(data)) < 2:
        return None
    return round(float(krippendorff.alpha(data, level_of_measurement="nominal")), 4)


def _bin_of(probabilities: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bin index of each probability; 1.0 falls in the last bin."""
    return np.minimum((probabilities * bins).astype(int), bins - 1)


def reliability_bins(
    probabilities: np.ndarray, outcomes: np.ndarray, bins: int = 10
) -> list[dict[str, float]]:
    """Equal-width probability bins: how many predictions, their mean, how often they came true.

    Empty bins are left out.
    """
    probabilities, outcomes = np.asarray(probabilities, float), np.asarray(outcomes, float)
    index = _bin_of(probabilities, bins)
    return [
        {
            "lower": b / bins,
            "upper": (b + 1) / bins,
            "count": int((index == b).sum()),
            "mean_probability": round(float(probabilities[index == b].mean()), 4),
            "observed_rate": round(float(outcomes[index == b].mean()), 4),
        }
        for b in range(bins)
        if (index == b).any()
    ]


def expected_calibration_error(
    probabilities: np.ndarray, outcomes: np.ndarray, bins: int = 10
) -> float:
    """Mean gap between stated probability and observed rate over equal-width bins, weighted by
    the share of predictions in each bin (0 for no predictions)."""
    probabilities, outcomes = np.asarray(probabilities, float), np.asarray(outcomes, float)
    index = _bin_of(probabilities, bins)
    gap = sum(
        abs(probabilities[index == b].sum() - outcomes[index == b].sum()) for b in range(bins)
    )
    return round(float(gap / len(probabilities)), 4) if len(probabilities) else 0.0


def brier_score(probabilities: np.ndarray, outcomes: np.ndarray) -> float:
    """Mean squared difference between probability and outcome (0 or 1); lower is better."""
    probabilities = np.asarray(probabilities, float)
    if len(probabilities) == 0:
        return 0.0
    return round(float(np.mean((probabilities - np.asarray(outcomes, float)) ** 2)), 4)
