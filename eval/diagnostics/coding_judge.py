"""The judgement model retrained with pairs for the coding round's explanation points against the
shipped one, through the product's grader. Writes eval/reports/coding-judge.md:

    .venv/bin/python eval/diagnostics/coding_judge.py build/judge-coding

Why: the shipped model never saw a coding-round problem's explanation points in training (its
data skipped those questions), and it misreads them in words: "join the employees table to
itself" left "Self-join: the same table twice under two aliases" missing; "RANK() over a partition
by category ..., keep rank at most 3 in the outer query" left the RANK point missing and called
"the rank filter must go in an outer query" contradicted. The candidate is ``make train-judge``
unchanged but for ``eval/datasets/judge-train/part6.jsonl``: 352 answers in words to the 44
problems, one of each kind per problem, every explanation point's status marked by its writer
(three helpers, one per third of the problems).

Held out: ``eval/datasets/words-coding-heldout.jsonl`` — 66 answers in words to the same 44
problems by a fourth helper who saw neither the grader nor the training answers, each graded blind
by two others (a 0-10 score and every explanation point's status), committed before any model
judged it; slices 5-9, swap set 2 and the held-out probe sets as in ``tuned_judge.py``.

The rule for shipping the candidate, written down (and committed) before it was first evaluated:
ship it if, with the product's grader,
1. on the held-out answers in words, the explanation points' credit (covered 1, partial 0.5, else
   0) is closer to the graders' mean credit (entailed 1, partly 0.5): its mean absolute difference
   falls by at least 0.05;
2. the mean MAE over slices 5-9 rises by at most 0.03 and no slice's MAE rises by more than 0.08;
   their mean Pearson falls by at most 0.01;
3. on swap set 2 the mixed-up answers' mean rises by at most 0.3 and the correct answers' mean
   falls by at most 0.3;
4. no held-out probe set's share at or below 2.5 falls by more than 2 points.
Otherwise the shipped model stays and this report says what the candidate did. The whole answers'
scores on the words set are reported, not part of the rule: the coding round grades the tests by
running code, so an answer in words cannot reach what its graders give it (README, Known limits).
"""

import json
import sys
from pathlib import Path

import numpy as np
from candidate_judge import _m, measure, slice_stats, swap_and_probe_checks, verdict

from mockint.config import Config
from mockint.evaluation.datasets import task_for
from mockint.evaluation.protocol import load_specs
from mockint.runtime import Runtime

WORDS = "words-coding-heldout"
HELD = [
    "interview-heldout-5",
    "interview-heldout-6",
    "concise-heldout-7",
    "concise-heldout-8",
    "interview-heldout-9",
]
CREDIT = {"covered": 1.0, "partial": 0.5, "missing": 0.0, "contradicted": 0.0}
HUMAN_CREDIT = {"entailed": 1.0, "partly": 0.5, "not_addressed": 0.0, "contradicted": 0.0}


def points(folder: str) -> dict:
    """Per explanation point of the words set: the graders' mean credit, the grader's credit, the
    answer's level; and the whole answers' human and graded scores."""
    rt = Runtime(Config.load(judge_model=folder))
    _, items = load_specs([f"eval/datasets/{WORDS}.jsonl:mockint"], rt.by_id)[0]
    rows = {
        r["id"]: r
        for r in map(json.loads, Path(f"eval/datasets/{WORDS}.jsonl").read_text().splitlines())
    }
    grades = rt.make_grader("offline").grade_many([task_for(it) for it in items])
    human, model, level, contra = [], [], [], []
    for it, g in zip(items, grades):
        r = rows[it.id]
        for k in g.key_points:
            if k.id not in r["statuses_a"]:
                continue
            a, b = r["statuses_a"][k.id], r["statuses_b"][k.id]
            human.append((HUMAN_CREDIT[a] + HUMAN_CREDIT[b]) / 2)
            model.append(CREDIT[k.status])
            level.append(r.get("level", ""))
            contra.append((a == "contradicted" or b == "contradicted", k.status == "contradicted"))
    return {
        "human": np.array(human),
        "model": np.array(model),
        "level": np.array(level),
        "contra": np.array(contra, dtype=bool).reshape(-1, 2),
        "scores": (np.array([it.human for it in items]), np.array([g.score for g in grades])),
        "levels": np.array([it.level or "" for it in items]),
    }


def words_rows(old: dict, new: dict) -> list[str]:
    h = old["human"]
    lines = [
        f"## Held out: {WORDS} (explanation points)",
        "",
        "| level | points | graders' mean credit | shipped | candidate | |shipped − graders| | |candidate − graders| |",
        "|---|---|---|---|---|---|---|",
    ]
    for level in [*sorted(set(old["level"])), "all"]:
        k = np.ones(len(h), bool) if level == "all" else old["level"] == level
        lines.append(
            f"| {level} | {k.sum()} | {h[k].mean():.2f} | {old['model'][k].mean():.2f} | "
            f"{new['model'][k].mean():.2f} | {np.abs(old['model'][k] - h[k]).mean():.3f} | "
            f"{np.abs(new['model'][k] - h[k]).mean():.3f} |"
        )
    stated = h >= 0.5
    lines += [
        "",
        "| measure | shipped | candidate |",
        "|---|---|---|",
        f"| point stated (graders' mean credit ≥ 0.5) agrees with covered/partial | "
        f"{((old['model'] >= 0.5) == stated).mean():.1%} | {((new['model'] >= 0.5) == stated).mean():.1%} |",
        f"| points a grader marked contradicted: shown contradicted | "
        f"{old['contra'][old['contra'][:, 0], 1].sum()} of {old['contra'][:, 0].sum()} | "
        f"{new['contra'][new['contra'][:, 0], 1].sum()} of {new['contra'][:, 0].sum()} |",
        f"| points no grader marked contradicted: shown contradicted | "
        f"{old['contra'][~old['contra'][:, 0], 1].sum()} | {new['contra'][~new['contra'][:, 0], 1].sum()} |",
        "",
        "Whole answers (not part of the rule: the tests are graded by running code, so words get no "
        "test credit):",
        "",
        "| level | n | human | shipped | candidate |",
        "|---|---|---|---|---|",
    ]
    (hs, p0), p1 = old["scores"], new["scores"][1]
    for level in [*sorted(set(old["levels"])), "all"]:
        k = np.ones(len(hs), bool) if level == "all" else old["levels"] == level
        lines.append(
            f"| {level} | {k.sum()} | {hs[k].mean():.2f} | {p0[k].mean():.2f} | {p1[k].mean():.2f} |"
        )
    lines.append(f"| MAE / Pearson | | | {_m(hs, p0)} | {_m(hs, p1)} |")
    return lines


def other_rows(old: dict, new: dict) -> list[str]:
    lines = [
        "",
        "## Held-out interview slices, swap set 2, probe sets",
        "",
        "| set | n | MAE / Pearson, shipped | candidate | as text: shipped | candidate |",
        "|---|---|---|---|---|---|",
    ]
    for name in HELD:
        h, p0, text, _ = old["slices"][name]
        p1 = new["slices"][name][1]
        lines.append(
            f"| {name} | {len(h)} | {_m(h, p0)} | {_m(h, p1)} | "
            f"{_m(h[text], p0[text])} | {_m(h[text], p1[text])} |"
        )
    h, p0, _, lv = old["slices"]["swaps-heldout-2"]
    p1 = new["slices"]["swaps-heldout-2"][1]
    lines += ["", "| swap set 2: kind | n | human | shipped | candidate |", "|---|---|---|---|---|"]
    for kind in sorted(set(lv)):
        k = lv == kind
        lines.append(
            f"| {kind} | {k.sum()} | {h[k].mean():.2f} | {p0[k].mean():.2f} | {p1[k].mean():.2f} |"
        )
    lines += ["", "| held-out probe set | ≤ 2.5, shipped | candidate |", "|---|---|---|"]
    lines += [f"| {k} | {old['probes'][k]:.1%} | {new['probes'][k]:.1%} |" for k in old["probes"]]
    return lines


def checks(wo: dict, wn: dict, old: dict, new: dict) -> list[tuple[str, str, bool]]:
    d0, d1 = (np.abs(w["model"] - w["human"]).mean() for w in (wo, wn))
    (m0, r0), (m1, r1) = slice_stats(old, HELD), slice_stats(new, HELD)
    rise = max(b - a for a, b in zip(m0, m1))
    return [
        (
            "words set: explanation points' credit difference from the graders falls by ≥ 0.05",
            f"{d0:.3f} → {d1:.3f}",
            d1 <= d0 - 0.05,
        ),
        (
            "slices 5-9: mean MAE rises by ≤ 0.03, none by > 0.08; mean Pearson falls by ≤ 0.01",
            f"MAE {np.mean(m0):.3f} → {np.mean(m1):.3f} (largest rise {rise:+.3f}); "
            f"Pearson {np.mean(r0):.3f} → {np.mean(r1):.3f}",
            np.mean(m1) <= np.mean(m0) + 0.03
            and rise <= 0.08
            and np.mean(r1) >= np.mean(r0) - 0.01,
        ),
        *swap_and_probe_checks(old, new),
    ]


def main(folder: str) -> None:
    names = HELD + ["swaps-heldout-2"]
    wo, wn = points("packaged"), points(folder)
    old, new = measure("packaged", names), measure(folder, names)
    lines = [
        f"# The judgement model retrained with the coding round's explanation points (`{folder}`) "
        "against the shipped one",
        "",
        "The product's grader, same code, only the model differs. Written by "
        "`eval/diagnostics/coding_judge.py`; the rule for shipping is in its docstring, committed "
        "before the candidate was first evaluated.",
        "",
    ]
    lines += words_rows(wo, wn) + other_rows(old, new)
    verdict(lines, checks(wo, wn, old, new), "ship the candidate", "eval/reports/coding-judge.md")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/judge-coding")
