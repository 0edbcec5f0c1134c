"""Score-mapping variants, grouped CV on the 2 trained folds: chosen on the fit sets
(judge-train, interview-graded); the other rows are transfer (no guards applied)."""

import pickle
from pathlib import Path

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import Ridge
from sklearn.metrics import roc_auc_score

from mockint.grading.scoring import arithmetic as arith
from mockint.grading.scoring import fit

d = pickle.loads(Path("build/diag-rows.pkl").read_bytes())
d = {n: (v[0][:, :7], *v[1:]) for n, v in d.items()}  # without the old red_flag column
FITS = ["judge-train", "interview-graded"]
models = {
    "gbm (shipped)": lambda X, y: (lambda m: m.predict)(fit(X, y, version="x", form="trees")),
    "linear on arithmetic": lambda X, y: (
        lambda a: lambda Z: np.clip(np.polyval(a, arith(Z)), 0, 10)
    )(np.polyfit(arith(X), y, 1)),
    "ridge all features": lambda X, y: (lambda r: lambda Z: np.clip(r.predict(Z), 0, 10))(
        Ridge(1.0).fit(X, y)
    ),
    "raw arithmetic": lambda X, y: arith,
}


def rows(names, excl):
    Xs, ys = [], []
    for n in names:
        X, y, has, folds, _ = d[n]
        k = has & (folds != excl)
        Xs.append(X[k])
        ys.append(y[k])
    return np.vstack(Xs), np.concatenate(ys)


for mname, mk in models.items():
    preds = {}
    for n in d:
        X, y, has, folds, labels = d[n]
        p = np.zeros(len(y))
        for k in (0, 1):
            f = mk(*rows(FITS, k))
            idx = folds == k
            p[idx] = f(X[idx])
        p[~has] = 0
        preds[n] = p
    out = []
    for n in d:
        X, y, has, folds, labels = d[n]
        p = preds[n]
        s = f"{n}: r {pearsonr(p, y)[0]:.3f} rho {spearmanr(p, y)[0]:.3f} MAE {np.mean(np.abs(p - y)):.2f}"
        if n.startswith("semeval"):
            pos = np.array([lab == "correct" for lab in labels])
            s += f" AUC {roc_auc_score(pos, p):.3f}"
        out.append(s)
    print(f"== {mname}\n   " + "\n   ".join(out))
