"""Why wrong answers score like partly right ones: the shipped model's judgements on the five
interview sets it was not trained on, by level, and two remedies tried on them (in-sample: chosen
and measured on the same answers; not shipped). Writes eval/reports/wrong-answers.md:

    .venv/bin/python eval/diagnostics/wrong_answers.py    (about 3 minutes on 2 cores)
"""

import collections
from pathlib import Path

import numpy as np
from scipy.stats import pearsonr
from sklearn.metrics import roc_auc_score

from mockint.config import Config
from mockint.evaluation.datasets import task_for
from mockint.evaluation.protocol import load_specs
from mockint.grading.guards import apply_guards
from mockint.grading.hygiene import drop_repeats, strip_instructions
from mockint.grading.offline import guard_context, premises
from mockint.grading.scoring import FEATURES
from mockint.runtime import Runtime
from mockint.text import sentences

SETS = [
    "interview-graded",
    "concise-heldout",
    "concise-heldout-2",
    "interview-heldout-3",
    "interview-heldout-4",
]
E, S = FEATURES.index("ess_mean"), FEATURES.index("sup_mean")


def judged(rt, grader, name):
    """Per answer: human score, level, essential points' probabilities (whole answer), the strongest
    contradiction of any single sentence judged alone, features, guard context."""
    _, items = load_specs([f"eval/datasets/{name}.jsonl:mockint"], rt.by_id)[0]
    out = []
    for it in items:
        t = task_for(it)
        j = grader.judgements([t])[0]
        if j is None:
            continue
        ps, probs, _ = j
        ess = [i for i, p in enumerate(ps) if p.weight == "essential"] or list(range(len(ps)))
        clean = drop_repeats(strip_instructions(t.answer))
        asks = [
            (t.question_text, p.text, s) for p in premises(t.question) for s in sentences(clean)
        ]
        pr = rt.judge.predict(asks).reshape(len(ps), -1, 4) if asks else np.zeros((len(ps), 1, 4))
        out.append(
            dict(
                human=it.human,
                level=it.level,
                ess=probs[ess].mean(0),
                con_whole=float(probs[ess, 2].max()),
                con_sentence=float(pr[ess, :, 2].max()),
                x=grader.row(t, j),
                ctx=guard_context(t, j),
            )
        )
    return out


def _form_rows(data: dict) -> list[str]:
    """One table row per weight a of the essential points: MAE / Pearson on each set."""
    out = []
    for a in (2 / 3, 0.75, 0.8, 0.85, 0.9):
        cells = []
        for n in SETS:
            h = np.array([r["human"] for r in data[n]])
            p = np.array(
                [
                    apply_guards(
                        float(np.clip(10 * (a * r["x"][E] + (1 - a) * r["x"][S]), 0, 10)), r["ctx"]
                    )[0]
                    for r in data[n]
                ]
            )
            cells.append(f"{np.abs(h - p).mean():.2f} / {pearsonr(h, p)[0]:.3f}")
        out.append(f"| {a:.2f} | " + " | ".join(cells) + " |")
    return out


def main() -> None:
    rt = Runtime(Config.load())
    grader = rt.offline_grader()
    data = {n: judged(rt, grader, n) for n in SETS}
    rows = [r for n in SETS for r in data[n]]
    out = [
        "# Wrong answers against partly right ones (diagnostic, in-sample)",
        "",
        f"Shipped judgement model on {len(rows)} answers of the five interview sets it was not trained on "
        f"({', '.join(SETS)}). Written by `eval/diagnostics/wrong_answers.py`.",
        "",
        "## Mean probabilities over an answer's essential key points, by the writer's level",
        "",
        "| level | n | human | entailed | partly | contradicted | not addressed |",
        "|---|---|---|---|---|---|---|",
    ]
    by = collections.defaultdict(list)
    for r in rows:
        by[r["level"]].append(r)
    for level, rs in sorted(by.items()):
        p = np.mean([r["ess"] for r in rs], axis=0)
        out.append(
            f"| {level} | {len(rs)} | {np.mean([r['human'] for r in rs]):.2f} | "
            + " | ".join(f"{v:.2f}" for v in p)
            + " |"
        )
    bad = np.array([r["human"] <= 2.5 for r in rows])
    good = np.array([r["human"] >= 5 for r in rows])
    m = bad | good
    auc = {
        k: roc_auc_score(bad[m], np.array([r[k] for r in rows])[m])
        for k in ("con_whole", "con_sentence")
    }
    out += [
        "",
        "## Remedy 1: the strongest contradiction of a single sentence judged alone",
        "",
        f"AUC for telling answers humans graded ≤ 2.5 from those graded ≥ 5 ({int(bad.sum())} against "
        f"{int(good.sum())}): the whole answer's strongest essential contradiction {auc['con_whole']:.3f}; "
        f"the strongest over single sentences {auc['con_sentence']:.3f}.",
        "",
        "## Remedy 2: the score form `10 × (a × essential + (1 − a) × supporting)` (guards applied)",
        "",
        "a = 2/3 is the shipped arithmetic; a = 0.8 is `8 × essential + 2 × supporting`.",
        "",
        "| a | " + " | ".join(f"{n}: MAE / Pearson" for n in SETS) + " |",
        "|---|" + "---|" * len(SETS),
    ]
    out += _form_rows(data)
    Path("eval/reports/wrong-answers.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
