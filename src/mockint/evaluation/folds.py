"""The cross-validation's pieces: the fold models, each answer judged by the model that never saw
its question, and score mappings fitted without a fold (``protocol.py`` puts them together).

A fold model (``make train-judge-cv``) is trained without the questions of its fold; while some
folds are untrained, the answers to their questions are left out and the reports say how many.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mockint.errors import ConfigError
from mockint.evaluation.datasets import EvalItem, task_for
from mockint.grading.schema import Grade
from mockint.grading.scoring import DEFAULT_FORM, VERSIONS, ScoreMap, fit
from mockint.grading.scoring import FEATURES as SCORE_FEATURES


@dataclass
class FoldJudges:
    """The cross-validation's judgement models (``make train-judge-cv``): ``folder/fold<k>/`` holds
    a model trained without the questions of fold k, and its ``meta.json`` names them."""

    folder: Path
    judges: list
    fold_of: dict[str, int]
    total: int = (
        0  # the folds of the split (meta "folds"); more than len(judges) while some are untrained
    )

    @property
    def partial(self) -> bool:
        return self.total > len(self.judges)

    @classmethod
    def load(cls, folder: Path) -> FoldJudges:
        from mockint.judge.model import OnnxJudge

        dirs = sorted(folder.glob("fold[0-9]*"), key=lambda d: int(d.name[4:]))
        if not dirs or not all((d / "judge.onnx").is_file() for d in dirs):
            raise ConfigError(
                "no cross-validation models found",
                where=str(folder),
                fix="train them with 'make train-judge-cv' (about 2 hours on 2 cores)",
            )
        fold_of: dict[str, int] = {}
        total = 0
        for k, d in enumerate(dirs):
            meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
            total = max(total, int(meta.get("folds", len(dirs))))
            for g in meta["held_out_groups"]:
                fold_of[g] = k
        return cls(folder, [OnnxJudge(d / "judge.onnx") for d in dirs], fold_of, total)

    def covered(self, items: Sequence[EvalItem]) -> list[EvalItem]:
        """The items whose question belongs to a trained fold. With every fold trained that is all
        of them; while some folds are missing, the others' answers have no out-of-fold model."""
        if not self.partial:
            return list(items)
        keep = [it for it in items if it.group in self.fold_of]
        if items and not keep:
            raise ConfigError(
                f"none of {len(items)} answers belongs to a trained fold "
                f"({len(self.judges)} of {self.total} trained)",
                where=str(self.folder),
                fix="train the missing folds with 'make train-judge-cv', or use --protocol shipped",
            )
        return keep

    def folds(self, items: Sequence[EvalItem]) -> list[int]:
        unknown = sorted({it.group for it in items if it.group not in self.fold_of})
        if unknown:
            raise ConfigError(
                f"{len(unknown)} questions are not in the cross-validation (e.g. {unknown[0]!r})",
                where=str(self.folder),
                fix="use --protocol shipped for sets the model never saw",
            )
        return [self.fold_of[it.group] for it in items]


@dataclass
class Judged:
    """Items, the judgement model's output for each (None: nothing to judge) and their folds."""

    items: list[EvalItem]
    judged: list
    folds: list[int]

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(features, human scores, mask of the rows that have features)."""
        from mockint.grading.offline import OfflineGrader

        X = np.array(
            [
                OfflineGrader.row(task_for(it), j)
                if j is not None
                else np.zeros(len(SCORE_FEATURES))
                for it, j in zip(self.items, self.judged)
            ]
        ).reshape(len(self.items), len(SCORE_FEATURES))
        return (
            X,
            np.array([it.human for it in self.items]),
            np.array([j is not None for j in self.judged]),
        )


def judge_out_of_fold(
    folds: FoldJudges,
    items: list[EvalItem],
    progress: Callable[[int, int], None] | None = None,
) -> Judged:
    """Each item judged by the fold model that never saw its question (judging needs no score
    mapping, so this works while the shipped one is being refitted)."""
    from mockint.grading.offline import OfflineGrader

    fold = folds.folds(items)
    judged: list = [None] * len(items)
    done = 0
    for k, judge in enumerate(folds.judges):
        idx = [i for i, f in enumerate(fold) if f == k]
        grader = OfflineGrader(judge, None)
        for s in range(0, len(idx), 64):
            part = idx[s : s + 64]
            for i, j in zip(part, grader.judgements([task_for(items[i]) for i in part])):
                judged[i] = j
            done += len(part)
            if progress:
                progress(done, len(items))
    return Judged(items, judged, fold)


def fit_rows(
    sets: Sequence[Judged], *, exclude_fold: int | None = None, exclude_ids: set[str] = frozenset()
) -> tuple[np.ndarray, np.ndarray]:
    Xs, ys = [], []
    for s in sets:
        X, y, has = s.rows()
        keep = has & np.array(
            [
                (exclude_fold is None or f != exclude_fold) and it.id not in exclude_ids
                for it, f in zip(s.items, s.folds)
            ],
            dtype=bool,
        )
        Xs.append(X[keep])
        ys.append(y[keep])
    return np.vstack(Xs), np.concatenate(ys)


def cross_validated(
    target: Judged,
    fit_sets: Sequence[Judged],
    judge_name: str,
    grade: Callable[[int, ScoreMap], Grade] | None = None,
    form: str = DEFAULT_FORM,
) -> list[Grade]:
    """Out-of-fold grades: fold k's answers are judged by the model without fold k, and scored by a
    mapping of ``form`` fitted on the ``fit_sets``' answers of the other folds. ``grade(i,
    score_map)`` grades item i some other way (an LLM grader on top of the same judgements)."""
    from mockint.grading.offline import OfflineGrader

    grades: list = [None] * len(target.items)
    X, _, _ = target.rows()
    for k in sorted(set(target.folds)):
        Xf, yf = fit_rows(fit_sets, exclude_fold=k)
        smap = fit(Xf, yf, version=f"cv-fold{k}", form=form)
        idx = [i for i, f in enumerate(target.folds) if f == k]
        offline = OfflineGrader(_Named(judge_name), smap)
        preds = smap.predict(X[idx]) if idx else []
        for i, p in zip(idx, preds):
            task = task_for(target.items[i])
            if grade is not None:
                grades[i] = grade(i, smap)
            elif target.judged[i] is None:
                grades[i] = offline.empty(task)
            else:
                grades[i] = offline.finish(task, target.judged[i], float(p))
    return grades


@dataclass
class _Named:
    """A judge stand-in that only carries a name (the grades of a cross-validation are assembled
    from judgements made earlier)."""

    name: str
    version: str = "cv"

    def predict(self, triples):  # pragma: no cover - never called
        raise RuntimeError("judgements were made before")


def fit_score_map(
    fit_sets: Sequence[Judged], *, datasets: list[str], judge: str, form: str = DEFAULT_FORM
) -> ScoreMap:
    """The shipped mapping: fitted on every answer of the fit sets, with their out-of-fold judgements
    (what the shipped model gives on answers it never saw); the arithmetic and the core floor fit
    nothing."""
    X, y = fit_rows(fit_sets)
    return fit(
        X,
        y,
        form=form,
        version=VERSIONS[form],
        fitted_on={
            "datasets": datasets,
            "answers": int(len(y)),
            "judge": judge,
            "features": "out-of-fold judgements of the cross-validation models",
            "target": "human score on 0-10 (eval/SCALE.md)",
        },
    )


def llm_cross_validated(
    grader,
    target: Judged,
    fit_sets: Sequence[Judged],
    progress: Callable[[int, int], None] | None = None,
    form: str = DEFAULT_FORM,
) -> list[Grade]:
    """LLM/hybrid grades on the out-of-fold judgements, each fold scored by its own mapping; in
    question order, so a local model reads each question's prompt prefix once."""
    from mockint.grading.offline import OfflineGrader

    order = sorted(range(len(target.items)), key=lambda i: (target.items[i].question_id, i))
    rank = {i: n for n, i in enumerate(order)}
    maps: dict[int, ScoreMap] = {}
    for k in sorted(set(target.folds)):
        maps[k] = fit(*fit_rows(fit_sets, exclude_fold=k), version=f"cv-fold{k}", form=form)
    out: dict[int, Grade] = {}
    shipped = grader.offline
    try:
        for n, i in enumerate(order, start=1):
            grader.offline = OfflineGrader(shipped.judge, maps[target.folds[i]])
            out[i] = grader.grade(task_for(target.items[i]), judged=target.judged[i])
            if progress:
                progress(n, len(order))
    finally:
        grader.offline = shipped
    del rank
    return [out[i] for i in range(len(target.items))]
