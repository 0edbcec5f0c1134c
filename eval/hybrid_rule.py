"""How the hybrid's nudge is set: the local judge's own score beside the offline evidence.

For a seeded 200-answer Mohler sample and all of our graded set, it takes the out-of-fold
offline grade (grouped 10-fold, as ``mockint eval``) and the compact judge's score from
its key-point statuses (replies from the LLM cache; a miss asks the local model), then
scores candidate combinations. Our set is split into the 120 answers the first hybrid
report used (seen while choosing the rule: the development part) and the other 200
(held out). Writes eval/reports/hybrid-rule.{md,json}.

    .venv/bin/python eval/hybrid_rule.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

from mockint import metrics
from mockint.config import Config
from mockint.datasets import load_dataset
from mockint.evaluation import offline_cross_validated, task_for
from mockint.llm_grader import SMALL_JUDGE_POINTS, SMALL_JUDGE_SWING, SMALL_JUDGE_WEIGHT, LLMGrader
from mockint.rubric import score_from_statuses
from mockint.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
MOHLER = ROOT.parent / "shared" / "data" / "asag" / "mohler.jsonl"
OURS = ROOT / "eval" / "datasets" / "interview-graded.jsonl"
OUT = ROOT / "eval" / "reports"


def rows_for(rt: Runtime, grader: LLMGrader, path: Path, fmt: str, other: Path, other_fmt: str, limit: int) -> list[dict]:
    items = load_dataset(path, fmt, rt.by_id)
    if limit:
        items = random.Random(0).sample(items, limit)  # the sample `mockint eval --limit N --seed 0` takes
    oof = offline_cross_validated(grader.offline, items, 10, seed=0, extra=load_dataset(other, other_fmt, rt.by_id))
    out = []
    for it, off in zip(items, oof):
        reply, _, error = grader.judge(task_for(it))
        if reply is None:
            sys.exit(f"hybrid_rule: the judge failed on {it.id}: {error}")
        weight = {k.id: k.weight for k in it.question.key_points}
        judge = score_from_statuses([(k.status, weight.get(k.id, "essential")) for k in reply.key_points])
        out.append({"id": it.id, "human": it.human, "offline": off.score, "judge": judge,
                    "points": len(reply.key_points)})
    return out


def nudge(off: float, judge: float, weight: float, swing: float) -> float:
    delta = max(-swing, min(swing, weight * (judge - off)))
    return round(min(10.0, max(0.0, off + delta)), 1)


RULES = {
    "offline evidence alone": lambda r: r["offline"],
    "judge alone": lambda r: r["judge"],
    "fixed nudge (0.3, at most 1.5)": lambda r: nudge(r["offline"], r["judge"], SMALL_JUDGE_WEIGHT, SMALL_JUDGE_SWING),
    "fixed nudge (0.3, at most 1.0)": lambda r: nudge(r["offline"], r["judge"], SMALL_JUDGE_WEIGHT, 1.0),
    "fixed nudge (0.1, at most 1.0)": lambda r: nudge(r["offline"], r["judge"], 0.1, 1.0),
    "shrinking with key points (shipped)": lambda r: nudge(
        r["offline"], r["judge"], SMALL_JUDGE_WEIGHT * min(1, SMALL_JUDGE_POINTS / r["points"]),
        SMALL_JUDGE_SWING * min(1, SMALL_JUDGE_POINTS / r["points"])),
}


def main() -> None:
    rt = Runtime(Config.load())
    rt.ensure_index()
    grader = rt.make_grader("hybrid")
    if not isinstance(grader, LLMGrader) or not grader.compact:
        sys.exit("hybrid_rule: needs the local model (run with MOCKINT_LLM=local)")
    mohler = rows_for(rt, grader, MOHLER, "mohler", OURS, "mockint", 200)
    ours = rows_for(rt, grader, OURS, "mockint", MOHLER, "mohler", 0)
    dev = {it.id for it in random.Random(0).sample(load_dataset(OURS, "mockint", rt.by_id), 120)}
    parts = {"Mohler, 200": mohler, "ours, development 120": [r for r in ours if r["id"] in dev],
             "ours, held-out 200": [r for r in ours if r["id"] not in dev], "ours, all 320": ours}
    table = {}
    for rule, f in RULES.items():
        for part, rows in parts.items():
            pred, human = [f(r) for r in rows], [r["human"] for r in rows]
            table.setdefault(rule, {})[part] = {"pearson": round(metrics.pearson(pred, human), 3),
                                                "rmse": round(metrics.rmse(pred, human), 3),
                                                "qwk": round(metrics.qwk(pred, human), 3)}
    x = np.array([[1, r["offline"], r["judge"]] for r in mohler])
    coef = np.linalg.lstsq(x, np.array([r["human"] for r in mohler]), rcond=None)[0]
    points = {part: sorted({r["points"] for r in rows}) for part, rows in parts.items()}
    lines = ["# The hybrid's nudge: how it was chosen", "",
             "Out-of-fold offline grades (grouped 10-fold) and the local 1.5B judge's own score (from its",
             "key-point statuses) on the same answers. The weight and swing were set on Mohler; the",
             "shrinking with the number of key points was chosen after the first 120 answers of our set",
             "(development part) were seen; the other 200 were held out until the rule was fixed.", "",
             f"Least squares on Mohler: human = {coef[0]:.2f} + {coef[1]:.2f} x offline + {coef[2]:.2f} x judge "
             f"(the judge's share {coef[2] / (coef[1] + coef[2]):.2f}).", "",
             "Key points per question: " + "; ".join(f"{p}: {v}" for p, v in points.items()), "",
             "| rule | " + " | ".join(parts) + " |", "|---|" + "---|" * len(parts)]
    for rule, per in table.items():
        lines.append(f"| {rule} | " + " | ".join(
            f"r {m['pearson']:.3f}, RMSE {m['rmse']:.2f}, QWK {m['qwk']:.3f}" for m in per.values()) + " |")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "hybrid-rule.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (OUT / "hybrid-rule.json").write_text(json.dumps({"rules": table, "mohler_stack": coef.round(4).tolist(),
                                                      "key_points": points}, indent=1) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
