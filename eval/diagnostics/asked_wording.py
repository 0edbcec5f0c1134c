"""A batch row's question in the user's own words: what the judgement model should read with the
key points. ``eval/datasets/wordings/asked-10-13.jsonl`` holds one rewording per question of slices
10-13 (how a hiring manager would type it into a spreadsheet; written by a helper who saw only the
questions, 2026-12-02). Each answer of those slices is graded as ``mockint grade`` grades a row
whose question is that rewording: the question is matched through the index (the packaged MiniLM),
and where it matches the answer's own question the grade is computed twice: the model reading the
row's wording (the grader before ``GradingTask.judged_question``) and reading the corpus wording
(now). Writes eval/reports/asked-wording.md. From the repository root (about 6 minutes):

    .venv/bin/python eval/diagnostics/asked_wording.py
"""

import json
from pathlib import Path

import numpy as np

from mockint.config import Config
from mockint.evaluation.datasets import task_for
from mockint.evaluation.protocol import load_specs
from mockint.grading.schema import GradingTask
from mockint.runtime import Runtime

SLICES = [f"interview-heldout-{n}" for n in (10, 11, 12, 13)]
WORDINGS = Path("eval/datasets/wordings/asked-10-13.jsonl")
OUT = Path("eval/reports/asked-wording.md")


def metrics(h: list[float], p: list[float]) -> str:
    h_, p_ = np.array(h), np.array(p)
    return f"{np.abs(h_ - p_).mean():.2f} / {np.corrcoef(h_, p_)[0, 1]:.3f}"


def main() -> None:
    rt = Runtime(Config.load())
    grader = rt.make_grader("offline")
    asked = {
        r["question_id"]: r["asked"]
        for r in map(json.loads, WORDINGS.read_text(encoding="utf-8").splitlines())
    }
    matched = {qid: rt.resolve_question(text)[0] for qid, text in asked.items()}
    same = {qid for qid, q in matched.items() if q is not None and q.id == qid}
    rows = []  # (slice, human, corpus wording as given, row wording: old, row wording: now)
    as_given = GradingTask.judged_question
    for name in SLICES:
        _, items = load_specs([f"eval/datasets/{name}.jsonl:mockint"], rt.by_id)[0]
        items = [it for it in items if it.question is not None and it.question.id in same]
        given = [task_for(it) for it in items]
        typed = [
            GradingTask(asked[it.question.id], it.answer, it.question, match_similarity=1.0)
            for it in items
        ]
        base = [g.score for g in grader.grade_many(given)]
        now = [g.score for g in grader.grade_many(typed)]
        GradingTask.judged_question = property(lambda t: t.question_text)
        try:
            old = [g.score for g in grader.grade_many(typed)]
        finally:
            GradingTask.judged_question = as_given
        rows += [(name, it.human, b, o, n) for it, b, o, n in zip(items, base, old, now)]
        print(name, len(items), flush=True)
    lines = [
        "# A row's question in the user's words (diagnostic)",
        "",
        f"Written by `eval/diagnostics/asked_wording.py`. {len(asked)} rewordings; matched through "
        f"the index to their own question: {len(same)}; to another question: "
        f"{sum(q is not None and q.id != k for k, q in matched.items())}; to none (below "
        f"`match_threshold`, graded `ungradable`): {sum(q is None for q in matched.values())}.",
        "",
        "Answers of the slices whose question's rewording matched it, MAE / Pearson against the graders:",
        "",
        "| slice | answers | corpus wording given (the eval's) | the row's wording read by the model (before) | the corpus wording read (now) |",
        "|---|---|---|---|---|",
    ]
    for name in SLICES + ["all"]:
        r = [x for x in rows if name in ("all", x[0])]
        h = [x[1] for x in r]
        cells = " | ".join(metrics(h, [x[i] for x in r]) for i in (2, 3, 4))
        lines.append(f"| {name} | {len(r)} | {cells} |")
    moved = [abs(x[3] - x[4]) for x in rows]
    lines += [
        "",
        f"Score change before → now: mean {np.mean(moved):.2f}, largest {max(moved):.2f}; "
        f"now equal to the eval's grade for {sum(abs(x[4] - x[2]) < 1e-9 for x in rows)} of "
        f"{len(rows)} answers.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
