"""From per-key-point judgements to a 0-10 score that means what an interviewer means.

Every grader (offline, LLM, hybrid) ends in the same place: for each key point of the rubric a
probability of each status (entailed / partly / contradicted / not addressed); red flags are not
judged (see ``offline.OfflineGrader.judgements``). ``features`` condenses them into a fixed
vector: how well the essential points are covered (mean, best, worst), the supporting points, the
strongest contradiction. ``ScoreMap`` maps that vector to 0-10 in one of three forms, stored as
JSON (``params/score-map.json``) with how it was chosen: ``arithmetic``: the rubric's own
arithmetic, 10 × (2 × essential credit + supporting credit) / 3, nothing fitted; ``core_floor``
(shipped): the arithmetic, but at least 5.5 when an essential point is stated outright and none is
contradicted (the scale's "core idea right but thin"; chosen on held-out slices 1-9, adopted by a
rule committed before slice 10 measured it: ``eval/reports/score-forms.md``); or ``trees``:
gradient-boosted depth-3 trees, monotone (more coverage never lowers a score, a contradiction
never raises one), fitted on human grades on the scale of ``eval/SCALE.md``. The trees agree
better with the answers they are fitted on and worse with every other kind of answer (see
``mockint calibrate``, which measures every form, and the README). The guards (``guards.py``) run
after it. Prediction is numpy only; fitting trees needs scikit-learn.

>>> pts = [Point("kp1", "essential", (0.9, 0.1, 0.0, 0.0)), Point("kp2", "supporting", (0.0, 0.0, 0.0, 1.0))]
>>> [round(float(x), 2) for x in features(pts)[:4]]
[0.95, 0.95, 0.95, 0.0]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from mockint.errors import ConfigError

PARAMS = Path(__file__).resolve().parents[1] / "params" / "score-map.json"
ENTAILED, PARTLY, CONTRADICTED, NOT_ADDRESSED = range(4)
STATUS_OF = ("covered", "partial", "contradicted", "missing")  # the Grade schema's names, by index
ONE_HOT = {s: tuple(float(i == j) for j in range(4)) for i, s in enumerate(STATUS_OF)}

# No length or point-count feature on purpose: the mapping is fitted on interview answers to 5-8-point
# rubrics and must transfer to one-line answers against a one-sentence reference.
FEATURES = [
    "ess_mean",
    "ess_max",
    "ess_min",
    "sup_mean",
    "part_ess",
    "con_ess",
    "con_all",
]
MONOTONE = {
    "ess_mean": 1,
    "ess_max": 1,
    "ess_min": 1,
    "sup_mean": 1,
    "con_ess": -1,
    "con_all": -1,
}


@dataclass(frozen=True)
class Point:
    id: str
    weight: str  # essential | supporting
    probs: tuple[float, float, float, float]


def credit(p: Sequence[float]) -> float:
    """Credit of one judgement: entailed counts 1, partly 0.5.

    >>> credit((0.5, 0.5, 0.0, 0.0))
    0.75
    """
    return float(p[ENTAILED]) + 0.5 * float(p[PARTLY])


def status(p: Sequence[float]) -> str:
    """The Grade schema's status for a judgement: the most likely one, except that a point more
    likely stated than not (entailed + partly ≥ 0.5) is never shown as missing: it is partial.

    >>> status((0.3, 0.25, 0.0, 0.45)), status((0.05, 0.1, 0.1, 0.75)), status((0.1, 0.0, 0.8, 0.1))
    ('partial', 'missing', 'contradicted')
    """
    i = int(np.argmax(p))
    if i == NOT_ADDRESSED and p[ENTAILED] + p[PARTLY] >= 0.5:
        i = PARTLY
    return STATUS_OF[i]


def features(points: Sequence[Point]) -> np.ndarray:
    ess = [p for p in points if p.weight == "essential"] or list(points)
    sup = [p for p in points if p.weight != "essential" and p not in ess]
    ce = [credit(p.probs) for p in ess] or [0.0]
    cs = [credit(p.probs) for p in sup]
    row = {
        "ess_mean": float(np.mean(ce)),
        "ess_max": max(ce),
        "ess_min": min(ce),
        "sup_mean": float(np.mean(cs)) if cs else float(np.mean(ce)),
        "part_ess": float(np.mean([p.probs[PARTLY] for p in ess])) if ess else 0.0,
        "con_ess": max((p.probs[CONTRADICTED] for p in ess), default=0.0),
        "con_all": max((p.probs[CONTRADICTED] for p in points), default=0.0),
    }
    return np.array([row[f] for f in FEATURES], dtype=np.float64)


FORMS = ("arithmetic", "core_floor", "trees")
FIXED_FORMS = ("arithmetic", "core_floor")  # nothing fitted on human grades
VERSIONS = {"trees": "score-map-v1", "arithmetic": "score-map-v2", "core_floor": "score-map-v3"}
DEFAULT_FORM = "core_floor"
ARITHMETIC = "10 × (2 × essential credit + supporting credit) / 3; nothing fitted"
# The scale's "5-6: the core idea right but thin": an answer that states an essential point outright
# (credit >= CORE_CREDIT) and contradicts none (p < CORE_CONTRA) scores at least CORE_FLOOR.
CORE_CREDIT, CORE_CONTRA, CORE_FLOOR = 0.9, 0.2, 5.5
CORE = (
    f"the arithmetic, but at least {CORE_FLOOR:g} when an essential point's credit is at least "
    f"{CORE_CREDIT:g} and no essential point is contradicted with p >= {CORE_CONTRA:g}"
)


def arithmetic(X: np.ndarray) -> np.ndarray:
    """The rubric's arithmetic on feature rows: essential points count twice, supporting once.

    >>> [round(float(v), 2) for v in arithmetic(np.array([[1, 1, 1, 0, 0, 0, 0], [0.5, 1, 0, 1, 0, 0, 0]]))]
    [6.67, 6.67]
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    ess, sup = X[:, FEATURES.index("ess_mean")], X[:, FEATURES.index("sup_mean")]
    return np.clip(10.0 * (2.0 * ess + sup) / 3.0, 0.0, 10.0)


def core_floor(
    X: np.ndarray,
    min_credit: float = CORE_CREDIT,
    contra: float = CORE_CONTRA,
    floor: float = CORE_FLOOR,
) -> np.ndarray:
    """The arithmetic, raised to ``floor`` where an essential point is stated outright and none is
    contradicted: a correct answer that stops after the core idea is a 5-6 on the scale, not the
    2-4 the arithmetic gives it for the points it did not reach.

    >>> [round(float(v), 2) for v in core_floor(np.array([[0.5, 0.95, 0.05, 0, 0, 0.1, 0.1],
    ...                                                  [0.5, 0.95, 0.05, 0, 0, 0.3, 0.3],
    ...                                                  [0.5, 0.8, 0.2, 0, 0, 0.0, 0.0]]))]
    [5.5, 3.33, 3.33]
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    a = arithmetic(X)
    core = (X[:, FEATURES.index("ess_max")] >= min_credit) & (
        X[:, FEATURES.index("con_ess")] < contra
    )
    return np.where(core, np.maximum(a, floor), a)


@dataclass
class ScoreMap:
    version: str
    features: list[str]
    baseline: float
    trees: list[dict[str, list]]
    fitted_on: dict = field(default_factory=dict)
    form: str = "trees"  # arithmetic | core_floor | trees (files before forms existed hold trees)

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if self.form == "arithmetic":
            return arithmetic(X)
        if self.form == "core_floor":
            return core_floor(X)
        out = np.full(len(X), self.baseline)
        rows = np.arange(len(X))
        for t in self._arrays():
            feat, thr, left, right, value, leaf = t
            node = np.zeros(len(X), dtype=np.int64)
            inner = ~leaf[node]
            while inner.any():
                go_left = X[rows, feat[node]] <= thr[node]
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
                inner = ~leaf[node]
            out += value[node]
        return np.clip(out, 0.0, 10.0)

    def _arrays(self) -> list[tuple[np.ndarray, ...]]:
        if getattr(self, "_cache", None) is None:
            self._cache = [
                (
                    np.asarray(t["feature"]),
                    np.asarray(t["threshold"]),
                    np.asarray(t["left"]),
                    np.asarray(t["right"]),
                    np.asarray(t["value"]),
                    np.asarray(t["leaf"], dtype=bool),
                )
                for t in self.trees
            ]
        return self._cache

    def save(self, path: Path = PARAMS) -> None:
        data = {k: v for k, v in asdict(self).items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(data, indent=None, separators=(",", ":")) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path = PARAMS) -> ScoreMap:
        if not path.exists():
            raise ConfigError(
                "the score mapping is missing",
                where=str(path),
                fix="reinstall mockint, or refit it with 'make eval'",
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("form", "trees") not in FORMS:
            raise ConfigError(
                f"unknown score-mapping form {data.get('form')!r} (known: {', '.join(FORMS)})",
                where=str(path),
                fix="refit it with 'mockint calibrate'",
            )
        if data.get("features") != FEATURES:
            raise ConfigError(
                "the score mapping was fitted on other features",
                where=str(path),
                fix="refit it with 'make eval'",
            )
        return cls(**data)


def rescore(score_map: ScoreMap, key_points: Sequence) -> float:
    """The mapping's score for key-point results (``grading.KeyPointResult``: their ``probs``, or
    their status when no model judged them); used when a follow-up merges into a grade."""
    points = [
        Point(k.id, k.weight, tuple(k.probs) if k.probs else ONE_HOT[k.status]) for k in key_points
    ]
    return float(score_map.predict(features(points))[0])


HYPER = {
    "max_iter": 200,
    "learning_rate": 0.05,
    "max_depth": 3,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "random_state": 0,
}


def fit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    version: str = "score-map-v1",
    fitted_on: dict | None = None,
    form: str = DEFAULT_FORM,
) -> ScoreMap:
    """The mapping of ``form``: ``arithmetic`` or ``core_floor`` (nothing to fit: ``X`` and ``y``
    only counted), or monotone gradient boosting on features -> human score (0-10), exported as
    plain trees."""
    if form not in FORMS:
        raise ValueError(f"unknown score-mapping form {form!r} (known: {', '.join(FORMS)})")
    if form in FIXED_FORMS:
        about = {"form": ARITHMETIC if form == "arithmetic" else CORE, **(fitted_on or {})}
        return ScoreMap(version, list(FEATURES), 0.0, [], fitted_on=about, form=form)
    from sklearn.ensemble import HistGradientBoostingRegressor

    cst = [MONOTONE.get(f, 0) for f in FEATURES]
    model = HistGradientBoostingRegressor(monotonic_cst=cst, **HYPER)
    model.fit(
        np.asarray(X, dtype=np.float64),
        np.asarray(y, dtype=np.float64),
        sample_weight=sample_weight,
    )
    trees = []
    for (pred,) in model._predictors:
        nodes = pred.nodes
        trees.append(
            {
                "feature": [int(v) for v in nodes["feature_idx"]],
                "threshold": [
                    float(v) for v in nodes["num_threshold"]
                ],  # exact: a sample may sit on it
                "left": [int(v) for v in nodes["left"]],
                "right": [int(v) for v in nodes["right"]],
                "value": [round(float(v), 6) for v in nodes["value"]],
                "leaf": [bool(v) for v in nodes["is_leaf"]],
            }
        )
    baseline = float(np.ravel(model._baseline_prediction)[0])
    out = ScoreMap(
        version=version,
        features=list(FEATURES),
        baseline=round(baseline, 6),
        trees=trees,
        fitted_on={"hyperparameters": HYPER, "monotone": MONOTONE, **(fitted_on or {})},
        form="trees",
    )
    check = out.predict(X[:50])
    ref = np.clip(model.predict(X[:50]), 0, 10)
    if np.abs(check - ref).max() > 1e-3:  # the export must reproduce sklearn's predictions
        raise RuntimeError(
            f"exported trees disagree with sklearn by {np.abs(check - ref).max():.4f}"
        )
    return out
