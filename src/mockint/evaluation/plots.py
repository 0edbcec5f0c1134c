"""The report's plots (PNG, matplotlib's Agg backend): predicted vs human scatter, calibration by
predicted-score bin, and the confusion of 0-2 ... 8-10 bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mockint.evaluation.scores import EvalRun

EDGES = [0, 2, 4, 6, 8, 10.01]
BANDS = ["0-2", "2-4", "4-6", "6-8", "8-10"]


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def plots(run: EvalRun, out: Path, stem: str) -> list[str]:
    """Write the three plots into ``out``; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred = np.array([g.score for g in run.grades])
    human = np.array([it.human for it in run.items])
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(human + np.random.default_rng(0).normal(0, 0.08, len(human)), pred, s=8, alpha=0.35)
    ax.plot([0, 10], [0, 10], "k--", lw=1)
    ax.set(
        xlabel="human score (0-10)",
        ylabel="predicted score",
        title=f"{run.grader} on {run.dataset}",
        xlim=(-0.5, 10.5),
        ylim=(-0.5, 10.5),
    )
    names = [_save(fig, out / f"{stem}-scatter.png")]
    bins = [b for b in run.metrics["calibration"] if b["n"]]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([b["mean_pred"] for b in bins], [b["mean_human"] for b in bins], "o-")
    ax.plot([0, 10], [0, 10], "k--", lw=1)
    ax.set(
        xlabel="mean predicted score (bin)",
        ylabel="mean human score",
        title="calibration",
        xlim=(0, 10),
        ylim=(0, 10),
    )
    names.append(_save(fig, out / f"{stem}-calibration.png"))
    names.append(_confusion(human, pred, out / f"{stem}-confusion.png"))
    return names


def _confusion(human: np.ndarray, pred: np.ndarray, path: Path) -> str:
    import matplotlib.pyplot as plt

    cm = np.zeros((5, 5), int)
    for h, p in zip(human, pred):
        cm[
            np.searchsorted(EDGES, h, side="right") - 1, np.searchsorted(EDGES, p, side="right") - 1
        ] += 1
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(cm, cmap="Blues")
    for i in range(5):
        for j in range(5):
            ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8)
    ax.set(
        xticks=range(5),
        yticks=range(5),
        xticklabels=BANDS,
        yticklabels=BANDS,
        xlabel="predicted band",
        ylabel="human band",
        title="confusion (score bands)",
    )
    return _save(fig, path)
