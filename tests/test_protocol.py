"""The evaluation protocol with stand-in fold models (the lexical fake judge): every answer is
judged by the model of its question's fold, every fold's mapping is fitted without that fold, the
shipped mapping is fitted on out-of-fold judgements; labelled sets get AUC and macro-F1."""

from __future__ import annotations

import json

import pytest

from mockint.evaluation.datasets import load_saf, load_semeval_jsonl
from mockint.evaluation.protocol import (
    FoldJudges,
    Protocol,
    calibrate,
    cross_validated,
    evaluate,
    fit_rows,
    load_specs,
)
from mockint.evaluation.scores import label_metrics
from mockint.judge.model import OverlapJudge

FITS = ["eval/datasets/judge-train:pairs", "eval/datasets/interview-graded.jsonl:mockint"]


class Spy(OverlapJudge):
    def __init__(self, k: int):
        self.name, self.k, self.seen = f"fold{k}", k, []

    def predict(self, triples):
        self.seen += [t[0] for t in triples]
        return super().predict(triples)


@pytest.fixture
def folds(fake_runtime):
    groups = sorted(f"corpus:{q}" for q in fake_runtime.by_id)
    fold_of = {g: i % 2 for i, g in enumerate(groups)}
    return FoldJudges(folder=fake_runtime.config.home, judges=[Spy(0), Spy(1)], fold_of=fold_of)


def test_each_answer_is_judged_by_the_model_that_never_saw_its_question(fake_runtime, folds):
    proto = Protocol(fake_runtime, cv=True, fit_specs=FITS, folds=folds)
    by_question = {it.question_text: it.group for _, j in proto.fit_sets for it in j.items}
    for k, judge in enumerate(folds.judges):
        assert judge.seen and all(folds.fold_of[by_question[text]] == k for text in judge.seen)
    j = proto.fit_sets[0][1]
    X, _ = fit_rows([s for _, s in proto.fit_sets], exclude_fold=0)
    in_fold_0 = sum(
        f == 0 and jj is not None
        for s in (x for _, x in proto.fit_sets)
        for f, jj in zip(s.folds, s.judged)
    )
    total = sum(jj is not None for _, s in proto.fit_sets for jj in s.judged)
    assert len(X) == total - in_fold_0 and len(j.items) > 1000


@pytest.mark.slow  # fits the score mapping five times
def test_evaluate_and_calibrate_with_the_cross_validation(fake_runtime, folds):
    proto = Protocol(fake_runtime, cv=True, fit_specs=FITS, folds=folds)
    name, items = load_specs(["eval/datasets/concise-heldout.jsonl:mockint"], fake_runtime.by_id)[0]
    run = evaluate(fake_runtime, name, items, fake_runtime.offline_grader(), proto, probes=False)
    assert (
        run.metrics["n"] == 96
        and "human_vs_human" in run.metrics
        and "Cross-validation" in run.protocol
    )
    smap, cv = calibrate(proto)
    # every form measured, the choice on record
    assert set(cv) == {"arithmetic", "core_floor", "trees"}
    for sets in cv.values():
        assert set(sets) == {"judge-train", "interview-graded"}
        assert all(-1 <= m["pearson"] <= 1 for m in sets.values())
    assert cv["arithmetic"] != cv["trees"]
    assert smap.form == "core_floor" and not smap.trees
    assert smap.fitted_on["datasets"] == ["judge-train", "interview-graded"]
    assert smap.fitted_on["cross_validation"]["folds"] == 2
    assert smap.fitted_on["cross_validation"]["forms"] == cv
    trees, _ = calibrate(proto, form="trees")
    assert trees.form == "trees" and trees.trees and trees.fitted_on["datasets"]


def test_a_set_outside_the_cross_validation_is_refused(fake_runtime, folds, tmp_path):
    from mockint.errors import ConfigError

    path = tmp_path / "own.jsonl"
    path.write_text(
        json.dumps({"question": "What is X?", "reference": "X is Y.", "answer": "Y", "score": 5})
        + "\n"
    )
    proto = Protocol(fake_runtime, cv=True, fit_specs=[], folds=folds)
    items = load_specs([f"{path}:mockint"], fake_runtime.by_id)[0][1]
    with pytest.raises(ConfigError, match="not in the cross-validation"):
        proto.judged("own", items)


def test_untrained_folds_leave_their_questions_out_and_say_so(fake_runtime, tmp_path):
    """2 of 4 fold models trained: only answers to those folds' questions are graded (nothing is
    graded by a model that saw its question) and the report says how many were left out."""
    from mockint.errors import ConfigError

    groups = sorted(f"corpus:{q}" for q in fake_runtime.by_id)
    fold_of = {g: i % 4 for i, g in enumerate(groups) if i % 4 < 2}
    folds = FoldJudges(tmp_path, [Spy(0), Spy(1)], fold_of, total=4)
    proto = Protocol(fake_runtime, cv=True, fit_specs=FITS[1:], folds=folds)
    name, items = load_specs(["eval/datasets/concise-heldout.jsonl:mockint"], fake_runtime.by_id)[0]
    kept = proto.usable(name, items)
    assert 0 < len(kept) < len(items) and all(it.group in fold_of for it in kept)
    run = evaluate(fake_runtime, name, kept, fake_runtime.offline_grader(), proto, probes=False)
    assert run.metrics["n"] == len(kept)
    assert (
        "Only 2 of the 4 fold models" in run.protocol
        and f"{len(kept)} of {len(items)}" in run.protocol
    )
    outside = [it for it in items if it.group not in fold_of]
    with pytest.raises(ConfigError, match="none of"):
        proto.usable("rest", outside)


def test_semeval_and_saf_loaders_and_label_metrics(tmp_path):
    rows = [
        ("correct", "It evaporated."),
        ("contradictory", "It did not evaporate."),
        ("incorrect", "By magic."),
    ]
    path = tmp_path / "semeval.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "corpus": c,
                    "question_id": "Q1",
                    "question": "How did you separate the salt?",
                    "reference_answer": "The water evaporated.",
                    "answer_id": f"{c}{i}",
                    "answer": a,
                    "label_3way": lab,
                }
            )
            + "\n"
            for c in ("beetle", "scientsbank")
            for i, (lab, a) in enumerate(rows)
        )
    )
    items = load_semeval_jsonl(path)
    assert [it.human for it in items[:3]] == [10.0, 0.0, 0.0] and items[
        0
    ].group == "semeval-beetle:Q1"
    m = label_metrics([9.0, 1.0, 4.0] * 2, items)
    assert m["all"]["roc_auc"] == 1.0 and m["beetle"]["macro_f1_at_7"] == 1.0
    assert m["all"]["by_label"]["contradictory"]["share_le_3"] == 1.0
    saf = tmp_path / "saf.jsonl"
    saf.write_text(
        json.dumps(
            {
                "question_id": "1.1",
                "question": "Q?",
                "reference_answer": "TCP is connection-oriented and reliable.",
                "answer_id": "a",
                "answer": "A.",
                "score": 0.5,
                "verification": "Partially correct",
            }
        )
        + "\n"
    )
    [it] = load_saf(saf)
    assert it.human == 5.0 and it.label == "Partially correct" and it.group == "saf:1.1"


def test_the_llm_weight_table_scores_weight_zero_as_the_model_alone(fake_runtime, folds):
    """``python -m mockint.evaluation.llm_rule``'s table: w = 0 ignores the LLM (the offline
    cross-validated grade), w = 1 with every point 'covered' raises every answer that was not
    already at the top."""
    from mockint.evaluation.llm_rule import scores_at, table

    proto = Protocol(fake_runtime, cv=True, fit_specs=FITS[1:], folds=folds)
    name, items = load_specs(["eval/datasets/concise-heldout.jsonl:mockint"], fake_runtime.by_id)[0]
    judged = proto.judged(name, proto.usable(name, items[:30]))
    fits = [j for _, j in proto.fit_sets]
    offline = [g.score for g in cross_validated(judged, fits, "cv")]
    nothing = [None] * len(judged.items)
    assert [round(x, 1) for x in scores_at(0.0, judged, nothing, fits)] == offline
    covered = [{p.id: "covered" for p in j[0]} if j is not None else None for j in judged.judged]
    raised = scores_at(1.0, judged, covered, fits)
    assert all(r >= o - 0.05 for r, o in zip(raised, offline)) and sum(raised) > sum(offline)
    # (at w = 1 with every point covered the rubric arithmetic gives every answer 10: no
    # correlation to report, so the table is checked at weights where the scores still vary)
    rows = table([0.0, 0.5], judged, covered, fits)
    assert [r["weight"] for r in rows] == [0.0, 0.5] and all(-1 <= r["pearson"] <= 1 for r in rows)


def test_reports_split_answers_graded_as_code_from_those_graded_as_text(fake_runtime, tmp_path):
    """A coding-round problem's answer is graded by running its code (words get no test credit):
    the report and the CLI give those answers their own row, so a set of spoken answers to such
    problems does not hide how the text grader does on the rest."""
    from mockint.evaluation.datasets import EvalItem
    from mockint.evaluation.reports import write_report
    from mockint.evaluation.scores import EvalRun, score_metrics
    from mockint.grading.schema import Grade

    coded = [q for q in fake_runtime.by_id.values() if q.problem][:2]
    plain = [q for q in fake_runtime.by_id.values() if not q.problem][:3]
    assert len(coded) == 2 and len(plain) == 3
    items = [
        EvalItem(id=q.id, question_id=q.id, question_text=q.question, answer="a b c",
                 human=h, question=q)
        for q, h in zip(coded + plain, (8.0, 7.0, 2.0, 5.0, 9.0))
    ]  # fmt: skip
    grades = [
        Grade(score=s, verdict="adequate", grader="offline") for s in (1.0, 0.0, 2.5, 5.5, 8.0)
    ]
    run = EvalRun(grader="offline", dataset="t", protocol="", items=items, grades=grades)
    score_metrics(run)
    split = run.breakdown["graded_as"]
    assert split["code"]["n"] == 2 and split["code"]["mae"] == 7.0
    assert split["text"]["n"] == 3 and split["text"]["mae"] == round((0.5 + 0.5 + 1.0) / 3, 2)
    md = write_report(run, tmp_path).read_text()
    assert "## By graded as" in md and "gets no test credit" in md
    assert "| code | 2 | 7.5 | 0.5 |" in md and "| text | 3 |" in md
