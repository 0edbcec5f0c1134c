"""Map offline evidence (a feature vector) to a 0-10 score, fitted on human grades.

The model is a small gradient-boosted ensemble of depth-2 trees, stored as plain JSON
(``params/offline-v2.json``) with how and on what it was fitted; prediction is numpy
only. Fitting needs scikit-learn (installed with sentence-transformers). This module
does not compute features (``features.py``) or know any dataset (``datasets.py``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import ConfigError

PARAMS_DIR = Path(__file__).resolve().parent / "params"
DEFAULT_PARAMS = PARAMS_DIR / "offline-v2.json"
HYPER = {"n_estimators": 400, "max_depth": 2, "learning_rate": 0.03, "subsample": 0.8,
         "min_samples_leaf": 20, "random_state": 0}


@dataclass
class Calibration:
    version: str
    features: list[str]
    init: float
    learning_rate: float
    trees: list[dict[str, list]]
    fitted_on: dict = field(default_factory=dict)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Scores for the rows of ``X`` (numpy only): a few rows walk each tree in Python, many
        rows walk each tree all at once."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        out = np.full(len(X), self.init, dtype=np.float64)
        if len(X) < 32:
            for t in self.trees:
                feat, thr, left, right, value = t["feature"], t["threshold"], t["left"], t["right"], t["value"]
                for i, row in enumerate(X.tolist()):
                    node = 0
                    while left[node] != -1:
                        node = left[node] if row[feat[node]] <= thr[node] else right[node]
                    out[i] += self.learning_rate * value[node]
            return np.clip(out, 0.0, 10.0)
        rows = np.arange(len(X))
        for feat, thr, left, right, value in self._arrays():
            node = np.zeros(len(X), dtype=np.int64)
            inner = left[node] != -1
            while inner.any():
                go_left = X[rows, np.maximum(feat[node], 0)] <= thr[node]
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
                inner = left[node] != -1
            out += self.learning_rate * value[node]
        return np.clip(out, 0.0, 10.0)

    def _arrays(self) -> list[tuple[np.ndarray, ...]]:
        if getattr(self, "_tree_arrays", None) is None:
            self._tree_arrays = [tuple(np.asarray(t[k]) for k in ("feature", "threshold", "left", "right", "value"))
                                 for t in self.trees]
        return self._tree_arrays

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = DEFAULT_PARAMS) -> "Calibration":
        if not path.exists():
            raise ConfigError("calibration parameters not found", where=str(path),
                              fix="run 'mockint calibrate --dataset ../shared/data/asag/mohler.jsonl'")
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**data)


def fit(X: np.ndarray, y: np.ndarray, features: list[str], *, version: str = "offline-v2",
        fitted_on: dict | None = None) -> Calibration:
    """Fit the tree ensemble on features -> human score (0-10)."""
    from sklearn.ensemble import GradientBoostingRegressor

    model = GradientBoostingRegressor(**HYPER)
    model.fit(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64))
    trees = []
    for est in model.estimators_[:, 0]:
        t = est.tree_
        trees.append({"feature": [int(f) for f in t.feature], "threshold": [round(float(x), 6) for x in t.threshold],
                      "left": [int(x) for x in t.children_left], "right": [int(x) for x in t.children_right],
                      "value": [round(float(v), 6) for v in t.value[:, 0, 0]]})
    init = float(np.mean(y)) if not hasattr(model, "init_") else float(model.init_.predict(np.zeros((1, len(features))))[0])
    return Calibration(version=version, features=list(features), init=round(init, 6),
                       learning_rate=HYPER["learning_rate"], trees=trees,
                       fitted_on={"hyperparameters": HYPER, **(fitted_on or {})})
