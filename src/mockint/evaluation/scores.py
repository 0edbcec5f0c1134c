"""Score a run against its human grades: agreement metrics with bootstrap intervals, calibration
bins, flags on human-graded answers, breakdowns, and for labelled sets (SemEval, SAF) the
per-label means, ROC AUC and 2-way macro-F1. Pure functions of grades and items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mockint.evaluation import metrics
from mockint.evaluation.datasets import EvalItem
from mockint.grading.schema import Grade


@dataclass
class EvalRun:
    grader: str
    dataset: str
    protocol: str
    items: list[EvalItem]
    grades: list[Grade]
    metrics: dict = field(default_factory=dict)
    probes: dict = field(default_factory=dict)
    breakdown: dict = field(default_factory=dict)


def score_metrics(run: EvalRun, *, seed: int = 0) -> None:
    pred = [g.score for g in run.grades]
    human = [it.human for it in run.items]
    run.metrics = {
        "n": len(pred),
        **metrics.score_report(pred, human, seed=seed),
        "calibration": metrics.calibration_bins(pred, human),
    }
    flagged: dict[str, list[float]] = {}
    for g, h in zip(run.grades, human):
        for f in g.flags:
            flagged.setdefault(f, []).append(h)
    run.metrics["flags"] = {
        f: {
            "n": len(hs),
            "mean_human": round(float(np.mean(hs)), 2),
            "human_ge_8": sum(h >= 8 for h in hs),
        }
        for f, hs in sorted(flagged.items())
    }
    pos = [h >= 5 for h in human]
    run.metrics["binary"] = {
        "accuracy": round(metrics.accuracy([p >= 5 for p in pred], pos), 4),
        "macro_f1": round(metrics.macro_f1([p >= 5 for p in pred], pos), 4),
        "roc_auc": round(metrics.roc_auc(pred, pos), 4),
    }
    if any(it.label for it in run.items):
        run.metrics["labels"] = label_metrics(pred, run.items)
    pairs = [(a, b) for a, b in (_two_graders(it) for it in run.items) if a is not None]
    if pairs:
        a, b = zip(*pairs)
        run.metrics["human_vs_human"] = {
            "pearson": round(metrics.pearson(a, b), 4),
            "rmse": round(metrics.rmse(a, b), 4),
            "qwk": round(metrics.qwk(a, b), 4),
        }
    for key in ("question_id", "topic", "level", "graded_as"):
        groups: dict[str, list[int]] = {}
        for i, it in enumerate(run.items):
            groups.setdefault(str(_group_of(it, key) or "-"), []).append(i)
        if len(groups) > 1:
            run.breakdown[key] = {
                g: {
                    "n": len(ix),
                    "mean_human": round(float(np.mean([human[i] for i in ix])), 2),
                    "mean_pred": round(float(np.mean([pred[i] for i in ix])), 2),
                    "pearson": round(
                        metrics.pearson([pred[i] for i in ix], [human[i] for i in ix]), 3
                    ),
                    "mae": round(metrics.mae([pred[i] for i in ix], [human[i] for i in ix]), 2),
                }
                for g, ix in sorted(groups.items())
            }


def _group_of(it: EvalItem, key: str) -> str:
    """An answer's group for a breakdown; ``graded_as``: ``code`` for a coding-round problem (its
    code is run on the tests, and an answer in words gets no test credit), else ``text``."""
    if key == "graded_as":
        return "code" if it.question is not None and it.question.problem else "text"
    return getattr(it, key)


CORRECT_AT = 7.0  # "≥ 7 = correct" for 2-way decisions on SemEval's labels


def label_metrics(pred: Sequence[float], items: Sequence[EvalItem]) -> dict:
    """For sets with categorical human labels (SemEval's correct / contradictory / incorrect, SAF's
    Correct / Partially correct / Incorrect): per ``topic`` (SemEval's corpus) and overall, the mean
    score per label, and for SemEval ROC AUC of correct vs the rest and 2-way macro-F1 at 7."""

    def block(ix: list[int]) -> dict:
        labels = sorted({items[i].label for i in ix})
        out: dict = {
            "n": len(ix),
            "by_label": {
                lab: {
                    "n": sum(items[i].label == lab for i in ix),
                    "mean": round(
                        float(np.mean([pred[i] for i in ix if items[i].label == lab])), 2
                    ),
                    "share_le_3": round(
                        float(np.mean([pred[i] <= 3 for i in ix if items[i].label == lab])), 3
                    ),
                    "share_ge_7": round(
                        float(
                            np.mean([pred[i] >= CORRECT_AT for i in ix if items[i].label == lab])
                        ),
                        3,
                    ),
                }
                for lab in labels
            },
        }
        if "correct" in labels:
            pos = [items[i].label == "correct" for i in ix]
            p = [pred[i] for i in ix]
            out["roc_auc"] = round(metrics.roc_auc(p, pos), 4)
            out["macro_f1_at_7"] = round(metrics.macro_f1([x >= CORRECT_AT for x in p], pos), 4)
            majority = sum(pos) * 2 >= len(pos)  # always answering the majority class
            out["macro_f1_majority_baseline"] = round(
                metrics.macro_f1([majority] * len(pos), pos), 4
            )
        return out

    out = {"all": block(list(range(len(items))))}
    topics = sorted({it.topic for it in items if it.topic})
    if len(topics) > 1 and len(topics) <= 6:
        for t in topics:
            out[t] = block([i for i, it in enumerate(items) if it.topic == t])
    return out


def _two_graders(it: EvalItem) -> tuple[float | None, float | None]:
    return it.grader_a, it.grader_b
