"""Evaluate a grader against human grades: protocol, probes, reports.

Protocol: anything fitted (the offline calibration) is evaluated with grouped k-fold by
question, so every reported prediction is for a question unseen in fitting. Without
``folds`` the shipped calibration is used as is (fine for sets it was not fitted on).
Probes: injection (12 kinds), keyword stuffing, question echo, filler padding,
paraphrase and re-grade stability. Reports are written by ``reports.py``; the cross-validation's
pieces live in ``folds.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from mockint.config import REPO_ROOT
from mockint.evaluation import metrics
from mockint.evaluation.datasets import EvalItem, dataset_name, task_for
from mockint.evaluation.folds import (
    FoldJudges,
    Judged,
    cross_validated,
    fit_rows,
    fit_score_map,
    judge_out_of_fold,
    llm_cross_validated,
)
from mockint.evaluation.probes import HELD_OUT_SETS, held_out_probes, run_probes
from mockint.evaluation.scores import EvalRun, score_metrics
from mockint.grading.schema import Grade
from mockint.grading.scoring import DEFAULT_FORM, FORMS, ScoreMap

__all__ = [  # the folds' names stay importable from here
    "FoldJudges",
    "Judged",
    "Protocol",
    "calibrate",
    "cross_validated",
    "evaluate",
    "fit_rows",
    "load_specs",
]

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


FORM_SAYS = {  # how a report describes a score form that fits nothing
    "arithmetic": "the rubric's arithmetic, nothing fitted",
    "core_floor": "the rubric's arithmetic with a floor of 5.5 for a stated core idea, nothing fitted",
}


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
        smap = self.rt.score_map
        if not self.cv:
            fitted = ", ".join(smap.fitted_on.get("datasets", []))
            score = (
                f"the score is {FORM_SAYS[smap.form]}"
                if smap.form in FORM_SAYS
                else f"the score mapping fitted on: {fitted or '?'}"
            )
            return (
                f"Shipped judgement model ({score}). Honest for answers the model was not trained "
                "on; for sets it was trained on use --protocol cv."
            )
        k = len(self.folds.judges)
        fits = ", ".join(n for n, _ in self.fit_sets)
        scored = (
            f"scored by {FORM_SAYS[smap.form]}"
            if smap.form in FORM_SAYS
            else f"scored by a mapping fitted on the human grades of {fits} outside that fold"
        )
        text = (
            f"Cross-validation grouped by question, {max(k, self.folds.total)} folds: each answer is judged "
            f"by the model trained without its question (and every other question of its fold), and "
            f"{scored}. Every number is out-of-fold."
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
            return cross_validated(
                target, fits, "cv-" + self.rt.judge.name, form=self.rt.score_map.form
            )
        bar, update = self.progress("grading") if self.progress else (None, None)
        if bar is None:
            return llm_cross_validated(grader, target, fits, form=self.rt.score_map.form)
        with bar:
            return llm_cross_validated(
                grader, target, fits, progress=update, form=self.rt.score_map.form
            )


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
        for key, path, _ in HELD_OUT_SETS:
            run.probes[key] = held_out_probes(
                grader.grade_many, rt.by_id, path=path, limit=n * 3 if is_llm else 0, seed=seed
            )
    return run


def calibrate(protocol: Protocol, form: str = DEFAULT_FORM) -> tuple[ScoreMap, dict]:
    """The shipped mapping of ``form``, fitted on every fit set's out-of-fold judgements, with each
    fit set's cross-validated numbers for every form stored beside it (``{form: {set: metrics}}``,
    also returned), so the choice of form is on record."""
    cv: dict[str, dict] = {}
    fits = [j for _, j in protocol.fit_sets]
    for f in FORMS:
        cv[f] = {}
        for name, j in protocol.fit_sets:
            grades = cross_validated(j, fits, "cv", form=f)
            pred, human = [g.score for g in grades], [it.human for it in j.items]
            cv[f][name] = {
                "pearson": round(metrics.pearson(pred, human), 4),
                "mae": round(metrics.mae(pred, human), 4),
                "rmse": round(metrics.rmse(pred, human), 4),
            }
    smap = fit_score_map(
        fits, datasets=[n for n, _ in protocol.fit_sets], judge=protocol.rt.judge.name, form=form
    )
    smap.fitted_on["cross_validation"] = {
        "folds": len(protocol.folds.judges),
        "folds_in_split": protocol.folds.total,
        "answers_covered": {n: list(c) for n, c in protocol.coverage.items()},
        "grouped_by": "question",
        "forms": cv,
    }
    return smap, cv
