"""Red-flag probability vs human score on the out-of-fold judgements of the calibration sets
(rows from judge_rows.py, written with the code before red flags were dropped)."""

import pickle
from pathlib import Path

from mockint.grading.scoring import FEATURES as SCORE_FEATURES

# the feature order the rows were written with (before red flags were dropped)
FEATURES = [*SCORE_FEATURES, "red_flag"]
d = pickle.loads(Path("build/diag-rows.pkl").read_bytes())
i = FEATURES.index("red_flag")
c = FEATURES.index("con_ess")
for n in ["interview-graded", "judge-train"]:
    X, y, has, folds, _ = d[n]
    print(n, "n", len(y))
    for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.98):
        m = X[:, i] >= t
        print(
            f"  red_flag>={t}: {m.sum()} answers, mean human {y[m].mean() if m.any() else 0:.2f}, >=8: {(y[m] >= 8).sum()}"
        )
    for t in (0.5, 0.7, 0.9):
        m = X[:, c] >= t
        print(
            f"  con_ess>={t}: {m.sum()} answers, mean human {y[m].mean() if m.any() else 0:.2f}, >=8: {(y[m] >= 8).sum()}"
        )
