import math

import pytest

from mockint.evaluation import metrics


def test_hand_computed_values():
    x, y = [1, 2, 3, 4], [1, 3, 2, 4]
    assert metrics.pearson(x, y) == pytest.approx(0.8)
    assert metrics.spearman(x, y) == pytest.approx(0.8)
    assert metrics.mae(x, y) == pytest.approx(0.5)
    assert metrics.rmse(x, y) == pytest.approx(math.sqrt(0.5))
    assert metrics.exact_agreement(x, y) == 0.5
    assert metrics.within_one(x, y) == 1.0


def test_spearman_ties_and_qwk():
    assert metrics.spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(0.8660254)
    # Two raters on 0..2: observed [[1,0,0],[0,1,1],[0,0,1]] -> kappa_w = 1 - 0.25/1.0 = 0.75... computed by hand:
    assert metrics.qwk([0, 1, 1, 2], [0, 1, 2, 2], 0, 2) == pytest.approx(0.8)
    assert metrics.qwk([0, 2], [2, 0], 0, 2) == pytest.approx(-1.0)


def test_labels_and_auc():
    assert metrics.accuracy([1, 0, 1], [1, 1, 1]) == pytest.approx(2 / 3)
    assert metrics.macro_f1([1, 0, 1, 1], [1, 0, 0, 1]) == pytest.approx(0.7333333)
    assert metrics.roc_auc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]) == pytest.approx(0.75)


def test_bootstrap_ci_brackets_the_value():
    x = list(range(50))
    y = [v + (3 if v % 2 else -3) for v in x]
    lo, hi = metrics.bootstrap_ci(metrics.pearson, x, y, n=200, seed=1)
    assert lo <= metrics.pearson(x, y) <= hi


def test_calibration_bins():
    rows = metrics.calibration_bins([1, 1, 9], [0, 2, 10])
    assert rows[0] == {"bin": "0-2", "n": 2, "mean_pred": 1.0, "mean_human": 1.0}
    assert rows[-1]["n"] == 1
