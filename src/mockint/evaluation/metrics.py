"""Agreement metrics as pure functions (numpy only), checked against hand-computed values.

>>> round(pearson([1, 2, 3], [2, 4, 7]), 4)
0.9934
>>> qwk([0, 1, 2], [0, 1, 2], 0, 2)
1.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def _arr(x: Sequence[float]) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def pearson(x, y) -> float:
    x, y = _arr(x), _arr(y)
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for v in np.unique(x):  # average ranks for ties
        m = x == v
        ranks[m] = ranks[m].mean()
    return ranks


def spearman(x, y) -> float:
    return pearson(_ranks(_arr(x)), _ranks(_arr(y)))


def mae(x, y) -> float:
    return float(np.mean(np.abs(_arr(x) - _arr(y))))


def rmse(x, y) -> float:
    return float(np.sqrt(np.mean((_arr(x) - _arr(y)) ** 2)))


def qwk(x, y, lo: int = 0, hi: int = 10) -> float:
    """Quadratic-weighted kappa on integer ratings (values are rounded and clipped to lo..hi)."""
    a = np.clip(np.rint(_arr(x)), lo, hi).astype(int) - lo
    b = np.clip(np.rint(_arr(y)), lo, hi).astype(int) - lo
    k = hi - lo + 1
    observed = np.zeros((k, k))
    for i, j in zip(a, b):
        observed[i, j] += 1
    expected = np.outer(observed.sum(1), observed.sum(0)) / max(1, len(a))
    w = np.array([[(i - j) ** 2 for j in range(k)] for i in range(k)]) / ((k - 1) ** 2)
    denom = (w * expected).sum()
    return float(1 - (w * observed).sum() / denom) if denom else float("nan")


def exact_agreement(x, y) -> float:
    return float(np.mean(np.rint(_arr(x)) == np.rint(_arr(y))))


def within_one(x, y) -> float:
    return float(np.mean(np.abs(np.rint(_arr(x)) - np.rint(_arr(y))) <= 1))


def accuracy(pred_labels, true_labels) -> float:
    return float(np.mean(np.asarray(pred_labels) == np.asarray(true_labels)))


def macro_f1(pred_labels, true_labels) -> float:
    """Mean F1 over the classes.

    >>> round(macro_f1([1, 0, 1, 1], [1, 0, 0, 1]), 4)
    0.7333
    """
    p, t = np.asarray(pred_labels), np.asarray(true_labels)
    scores = []
    for c in np.unique(np.concatenate([p, t])):
        tp = np.sum((p == c) & (t == c))
        fp = np.sum((p == c) & (t != c))
        fn = np.sum((p != c) & (t == c))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


def roc_auc(scores, positives) -> float:
    """Probability that a random positive outranks a random negative (ties count half)."""
    s, y = _arr(scores), np.asarray(positives).astype(bool)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def bootstrap_ci(
    metric: Callable, x, y, *, n: int = 1000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    x, y = _arr(x), _arr(y)
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n):
        idx = rng.integers(0, len(x), len(x))
        v = metric(x[idx], y[idx])
        if not np.isnan(v):
            vals.append(v)
    if not vals:
        return (float("nan"), float("nan"))
    return (float(np.quantile(vals, alpha / 2)), float(np.quantile(vals, 1 - alpha / 2)))


SCORE_METRICS: dict[str, Callable] = {
    "pearson": pearson,
    "spearman": spearman,
    "qwk": qwk,
    "mae": mae,
    "rmse": rmse,
    "exact": exact_agreement,
    "within_1": within_one,
}


def score_report(pred, human, *, seed: int = 0, n_boot: int = 1000) -> dict[str, dict[str, float]]:
    out = {}
    for name, fn in SCORE_METRICS.items():
        lo, hi = bootstrap_ci(fn, pred, human, n=n_boot, seed=seed)
        out[name] = {
            "value": round(fn(pred, human), 4),
            "ci_low": round(lo, 4),
            "ci_high": round(hi, 4),
        }
    return out


def calibration_bins(pred, human, edges=(0, 2, 4, 6, 8, 10.01)) -> list[dict[str, float]]:
    p, h = _arr(pred), _arr(human)
    rows = []
    for lo, hi in zip(edges, edges[1:]):
        m = (p >= lo) & (p < hi)
        rows.append(
            {
                "bin": f"{lo:g}-{min(hi, 10):g}",
                "n": int(m.sum()),
                "mean_pred": round(float(p[m].mean()), 2) if m.any() else None,
                "mean_human": round(float(h[m].mean()), 2) if m.any() else None,
            }
        )
    return rows
