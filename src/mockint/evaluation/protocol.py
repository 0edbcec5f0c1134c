"""Evaluate a grader against human grades: protocol, probes, reports.

Protocol: anything fitted (the offline calibration) is evaluated with grouped k-fold by
question, so every reported prediction is for a question unseen in fitting. Without
``folds`` the shipped calibration is used as is (fine for sets it was not fitted on).
Probes: injection (12 kinds), keyword stuffing, question echo, filler padding,
paraphrase and re-grade stability. Reports are written by ``reports.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mockint.config import REPO_ROOT
from mockint.errors import ConfigError
from mockint.evaluation import metrics
from mockint.evaluation.datasets import EvalItem, dataset_name, task_for
from mockint.evaluation.probes import held_out_probes, run_probes
from mockint.evaluation.scores import EvalRun, score_metrics
from mockint.grading.schema import Grade
from mockint.grading.scoring import FEATURES as SCORE_FEATURES
from mockint.grading.scoring import ScoreMap, fit


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
) -> list[Grade]:
    """Out-of-fold grades: fold k's answers are judged by the model without fold k, and scored by a
    mapping fitted on the ``fit_sets``' answers of the other folds. ``grade(i, score_map)`` grades
    item i some other way (an LLM grader on top of the same judgements)."""
    from mockint.grading.offline import OfflineGrader

    grades: list = [None] * len(target.items)
    X, _, _ = target.rows()
    for k in sorted(set(target.folds)):
        Xf, yf = fit_rows(fit_sets, exclude_fold=k)
        smap = fit(Xf, yf, version=f"cv-fold{k}")
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


def fit_score_map(fit_sets: Sequence[Judged], *, datasets: list[str], judge: str) -> ScoreMap:
    """The shipped mapping: fitted on every answer of the fit sets, with their out-of-fold judgements
    (what the shipped model gives on answers it never saw)."""
    X, y = fit_rows(fit_sets)
    return fit(
        X,
        y,
        version="score-map-v1",
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
) -> list[Grade]:
    """LLM/hybrid grades on the out-of-fold judgements, each fold scored by its own mapping; in
    question order, so a local model reads each question's prompt prefix once."""
    from mockint.grading.offline import OfflineGrader

    order = sorted(range(len(target.items)), key=lambda i: (target.items[i].question_id, i))
    rank = {i: n for n, i in enumerate(order)}
    maps: dict[int, ScoreMap] = {}
    for k in sorted(set(target.folds)):
        maps[k] = fit(*fit_rows(fit_sets, exclude_fold=k), version=f"cv-fold{k}")
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


# ----------------------------------------------------------------- the protocol, end to end

DEFAULT_FOLDS = REPO_ROOT / "build" / "judge-cv"


def guess_format(path: Path) -> str:
    """The dataset format from a file name: mohler, saf, semeval (XML, a folder, or a SemEval JSONL),
    pairs (a folder of key-point-labelled answers), else mockint."""
    name = str(path).lower()
    if "mohler" in name:
        return "mohler"
    if "saf" in path.parts or "saf" in path.name.lower():
        return "saf"
    if "semeval" in name or path.suffix == ".xml":
        return "semeval"
    if path.is_dir():
        return "pairs"
    return "mockint"


def load_specs(specs: Sequence[str], questions: dict) -> list[tuple[str, list[EvalItem]]]:
    """``PATH[:FORMAT]`` -> [(name, items)]."""
    from mockint.evaluation.datasets import load_dataset

    out = []
    for spec in specs:
        path_s, sep, fmt = spec.rpartition(":")
        if not sep or "/" in fmt:
            path_s, fmt = spec, ""
        path = Path(path_s)
        out.append((dataset_name(path), load_dataset(path, fmt or guess_format(path), questions)))
    return out


class Protocol:
    """What every report of one run shares: the fit sets' judgements (cross-validation), the
    fold models, the shipped grader. Judgements are computed once per set and reused."""

    def __init__(
        self,
        rt,
        *,
        cv: bool,
        folds_dir: Path = DEFAULT_FOLDS,
        fit_specs: Sequence[str] = (),
        progress: Callable[[str], tuple] | None = None,
        folds: FoldJudges | None = None,
    ):
        self.rt = rt
        self.cv = cv
        self.folds = (folds or FoldJudges.load(folds_dir)) if cv else None
        self._judged: dict[str, Judged] = {}
        self.progress = progress
        self.coverage: dict[str, tuple[int, int]] = {}  # name -> (answers kept, answers given)
        self.fit_sets = (
            [
                (name, self.judged(name, self.usable(name, items)))
                for name, items in load_specs(fit_specs, rt.by_id)
            ]
            if cv
            else []
        )

    def usable(self, name: str, items: list[EvalItem]) -> list[EvalItem]:
        """The answers this protocol can grade honestly: all of them, except under a
        cross-validation with untrained folds (then those folds' questions are left out)."""
        if not self.cv:
            return items
        keep = self.folds.covered(items)
        self.coverage[name] = (len(keep), len(items))
        return keep

    def judged(self, name: str, items: list[EvalItem]) -> Judged:
        key = f"{name}:{len(items)}:{items[0].id if items else ''}"
        if key not in self._judged:
            bar, update = self.progress(f"judging {name}") if self.progress else (None, None)
            if bar is not None:
                with bar:
                    self._judged[key] = judge_out_of_fold(self.folds, items, update)
            else:
                self._judged[key] = judge_out_of_fold(self.folds, items)
        return self._judged[key]

    def describe(self, name: str) -> str:
        if not self.cv:
            fitted = ", ".join(self.rt.score_map.fitted_on.get("datasets", []))
            return (
                "Shipped judgement model and score mapping (the mapping fitted on: "
                + (fitted or "?")
                + "). "
                "Honest for answers neither was trained on; for sets they were trained on use --protocol cv."
            )
        k = len(self.folds.judges)
        fits = ", ".join(n for n, _ in self.fit_sets)
        text = (
            f"Cross-validation grouped by question, {max(k, self.folds.total)} folds: each answer is judged "
            f"by the model trained without its question (and every other question of its fold), and scored "
            f"by a mapping fitted on the human grades of {fits} outside that fold. Every number is out-of-fold."
        )
        if self.folds.partial:
            kept, given = self.coverage.get(name, (0, 0))
            text += (
                f" Only {k} of the {self.folds.total} fold models are trained, so this covers the "
                f"{kept} of {given} answers whose questions fall in those folds."
            )
        return text

    def grades(self, name: str, items: list[EvalItem], grader) -> list[Grade]:
        if not self.cv:
            out: list[Grade] = []
            for s in range(0, len(items), 32):
                out += grader.grade_many([task_for(it) for it in items[s : s + 32]])
            return out
        target = self.judged(name, items)
        fits = [j for _, j in self.fit_sets]
        if grader.name == "offline":
            return cross_validated(target, fits, "cv-" + self.rt.judge.name)
        bar, update = self.progress("grading") if self.progress else (None, None)
        if bar is None:
            return llm_cross_validated(grader, target, fits)
        with bar:
            return llm_cross_validated(grader, target, fits, progress=update)


def evaluate(
    rt,
    name: str,
    items: list[EvalItem],
    grader,
    protocol: Protocol,
    *,
    seed: int = 0,
    probes: bool = True,
    probe_n: int = 0,
) -> EvalRun:
    """One report's run: grades by the protocol, metrics, the tuning probes and the held-out ones."""
    grades = protocol.grades(name, items, grader)
    label = grader.name if grader.name == "offline" else f"{grader.name} {grader.model.name}"
    run = EvalRun(
        grader=label, dataset=name, protocol=protocol.describe(name), items=items, grades=grades
    )
    score_metrics(run, seed=seed)
    if grader.quick() is not grader:  # the offline grader on the very same answers, same protocol
        quick = protocol.grades(name, items, grader.quick())
        same = metrics.score_report([g.score for g in quick], [it.human for it in items], seed=seed)
        run.metrics["offline_same_items"] = {k: same[k] for k in ("pearson", "mae", "rmse", "qwk")}
    if probes:
        is_llm = grader.name != "offline"
        n = probe_n or (12 if is_llm else 60)
        run.probes = run_probes(
            grader.grade_many,
            items,
            seed=seed,
            stability_runs=5 if is_llm else 2,
            per_probe=n,
            regrade_fn=grader.without_cache().grade_many if is_llm else None,
        )
        run.probes["held_out"] = held_out_probes(
            grader.grade_many, rt.by_id, limit=n * 3 if is_llm else 0, seed=seed
        )
    return run


def calibrate(protocol: Protocol) -> tuple[ScoreMap, dict]:
    """The shipped mapping, fitted on every fit set's out-of-fold judgements, with each fit set's
    cross-validated numbers stored beside it."""
    cv = {}
    fits = [j for _, j in protocol.fit_sets]
    for name, j in protocol.fit_sets:
        grades = cross_validated(j, fits, "cv")
        pred, human = [g.score for g in grades], [it.human for it in j.items]
        cv[name] = {
            "pearson": round(metrics.pearson(pred, human), 4),
            "mae": round(metrics.mae(pred, human), 4),
            "rmse": round(metrics.rmse(pred, human), 4),
        }
    smap = fit_score_map(
        fits, datasets=[n for n, _ in protocol.fit_sets], judge=protocol.rt.judge.name
    )
    smap.fitted_on["cross_validation"] = {
        "folds": len(protocol.folds.judges),
        "folds_in_split": protocol.folds.total,
        "answers_covered": {n: list(c) for n, c in protocol.coverage.items()},
        "grouped_by": "question",
        **cv,
    }
    return smap, cv
