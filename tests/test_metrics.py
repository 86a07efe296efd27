"""Agreement and calibration figures against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from dtors_nlp.metrics import (
    brier_score,
    cohen_kappa,
    expected_calibration_error,
    krippendorff_alpha,
    macro_average,
    precision_recall_f1,
    reliability_bins,
)

HUMAN = np.array([1, 1, 0, 0, 0, 1])
MODEL = np.array([1, 0, 0, 0, 1, 1])


def test_kappa_by_hand():
    # observed agreement 4/6; chance agreement 0.5 * 0.5 + 0.5 * 0.5 = 0.5
    assert cohen_kappa(HUMAN, MODEL) == pytest.approx((4 / 6 - 0.5) / 0.5, abs=1e-4)


def test_kappa_of_three_values_by_hand():
    first = np.array(["a", "a", "b", "c"])
    second = np.array(["a", "b", "b", "c"])
    # observed 3/4; chance (2/4)(1/4) + (1/4)(2/4) + (1/4)(1/4) = 5/16
    assert cohen_kappa(first, second) == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16), abs=1e-4)


def test_kappa_undefined_without_variation():
    assert cohen_kappa(np.zeros(4), np.zeros(4)) is None


def test_alpha_by_hand():
    # 12 values, 6 of each; two disagreeing units give 4 off-diagonal coincidences:
    # alpha = 1 - (n - 1) * 4 / (2 * 6 * 6) = 1 - 44 / 72
    assert krippendorff_alpha(HUMAN, MODEL) == pytest.approx(1 - 44 / 72, abs=1e-4)


def test_alpha_perfect_and_undefined():
    assert krippendorff_alpha(HUMAN, HUMAN) == pytest.approx(1.0)
    assert krippendorff_alpha(np.ones(5), np.ones(5)) is None


def test_calibration_by_hand():
    probabilities = np.array([0.05, 0.15, 0.15, 0.95, 1.0])
    outcomes = np.array([0, 1, 0, 1, 1])
    # bins: [0, .1): 0.05 vs 0; [.1, .2): 0.15 vs 0.5 (two); [.9, 1]: 0.975 vs 1 (two)
    expected = (0.05 + 2 * 0.35 + 2 * 0.025) / 5
    assert expected_calibration_error(probabilities, outcomes) == pytest.approx(expected, abs=1e-4)
    brier = (0.05**2 + 0.85**2 + 0.15**2 + 0.05**2 + 0) / 5
    assert brier_score(probabilities, outcomes) == pytest.approx(brier, abs=1e-4)
    bins = reliability_bins(probabilities, outcomes)
    assert [b["count"] for b in bins] == [1, 2, 2]
    assert bins[1]["observed_rate"] == 0.5 and bins[2]["upper"] == 1.0


def test_averages():
    rows = [precision_recall_f1(HUMAN, MODEL), precision_recall_f1(HUMAN, HUMAN)]
    assert rows[0] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    assert macro_average(rows)["f1"] == pytest.approx((0.6667 + 1) / 2, abs=1e-4)
    assert macro_average([]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
