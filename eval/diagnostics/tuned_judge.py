"""The judgement model tuned on whole answers (``python -m mockint.judge.tune``) against the shipped
one, through the product's grader: every human-graded interview slice (those it was tuned on marked
in-sample), the swap and flip sets, the held-out probe sets. Writes eval/reports/tuned-judge.md:

    .venv/bin/python eval/diagnostics/tuned_judge.py build/judge-tuned

Tuned on the answers of TUNED. Held out: HELD, i.e. slices 5-7 (graded before, never trained on)
and slices 8 and 9 (written and graded blind for this, committed before any model graded them).

The rule for shipping the tuned model, written down (and committed) before it was first evaluated:
ship it if, with the product's grader,
1. the mean MAE over the five held-out slices falls by at least 0.10, and no held-out slice's MAE
   rises by more than 0.05;
2. the mean Pearson over the five held-out slices falls by at most 0.01;
3. on the held-out swap set 2 the mixed-up answers' mean rises by at most 0.3 and the correct
   answers' mean falls by at most 0.3;
4. no held-out probe set's share at or below 2.5 falls by more than 2 points.
Otherwise the shipped model stays and this report says what the tuned one did.
"""

import json
import sys
from pathlib import Path

import numpy as np
from candidate_judge import _m, measure, slice_stats, swap_and_probe_checks, verdict
from sets import INTERVIEW_SETS

TUNED = [
    "interview-graded",
    "concise-heldout",
    "concise-heldout-2",
    "interview-heldout-3",
    "interview-heldout-4",
]
HELD = [
    "interview-heldout-5",
    "interview-heldout-6",
    "concise-heldout-7",
    "concise-heldout-8",
    "interview-heldout-9",
]
OTHER = ["swaps-heldout", "swaps-heldout-2", "flips-heldout"]


def _questions(names: list[str]) -> list[np.ndarray]:
    rows = [
        [json.loads(x) for x in Path(f"eval/datasets/{n}.jsonl").read_text().splitlines()]
        for n in names
    ]
    return [np.array([r["question_id"] for r in rs]) for rs in rows]


def slice_rows(old: dict, new: dict) -> list[str]:
    lines = [
        "| set | tuned on it | n | MAE / Pearson, shipped | tuned | as text: shipped | tuned |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in INTERVIEW_SETS + HELD[-2:]:
        h, p0, text, _ = old["slices"][name]
        p1 = new["slices"][name][1]
        lines.append(
            f"| {name} | {'in-sample' if name in TUNED else 'held out'} | {len(h)} | {_m(h, p0)} | "
            f"{_m(h, p1)} | {_m(h[text], p0[text])} | {_m(h[text], p1[text])} |"
        )
    seen = set(np.concatenate(_questions(TUNED)))
    qs = np.concatenate(_questions(HELD))
    h, p0, p1 = (
        np.concatenate([run["slices"][n][i] for n in HELD])
        for run, i in ((old, 0), (old, 1), (new, 1))
    )
    lines += [
        "",
        "Held-out slices pooled, by whether the answer's question has answers in a tuning set:",
        "",
        "| questions | n | MAE / Pearson, shipped | tuned |",
        "|---|---|---|---|",
    ]
    for label, k in (
        ("asked in a tuning set", np.isin(qs, list(seen))),
        ("never in a tuning set", ~np.isin(qs, list(seen))),
    ):
        lines.append(f"| {label} | {k.sum()} | {_m(h[k], p0[k])} | {_m(h[k], p1[k])} |")
    lv = np.concatenate([old["slices"][n][3] for n in HELD])
    lines += [
        "",
        "Held-out slices pooled, by the writer's level:",
        "",
        "| level | n | human | shipped | tuned |",
        "|---|---|---|---|---|",
    ]
    for level in sorted(set(lv)):
        k = lv == level
        lines.append(
            f"| {level} | {k.sum()} | {h[k].mean():.2f} | {p0[k].mean():.2f} | {p1[k].mean():.2f} |"
        )
    return lines


def other_rows(old: dict, new: dict) -> list[str]:
    lines = ["", "| set: kind | n | human | shipped | tuned |", "|---|---|---|---|---|"]
    for name in OTHER:
        h, p0, _, lv = old["slices"][name]
        p1 = new["slices"][name][1]
        for kind in sorted(set(lv)):
            k = lv == kind
            lines.append(
                f"| {name}: {kind} | {k.sum()} | {h[k].mean():.2f} | {p0[k].mean():.2f} | {p1[k].mean():.2f} |"
            )
    lines += ["", "| held-out probe set | ≤ 2.5, shipped | tuned |", "|---|---|---|"]
    lines += [f"| {k} | {old['probes'][k]:.1%} | {new['probes'][k]:.1%} |" for k in old["probes"]]
    return lines


def checks(old: dict, new: dict) -> list[tuple[str, str, bool]]:
    (m0, r0), (m1, r1) = slice_stats(old, HELD), slice_stats(new, HELD)
    return [
        (
            "held-out slices' mean MAE falls by at least 0.10; none rises by more than 0.05",
            f"{np.mean(m0):.3f} → {np.mean(m1):.3f}; largest rise {max(b - a for a, b in zip(m0, m1)):+.3f}",
            np.mean(m1) <= np.mean(m0) - 0.10 and all(b <= a + 0.05 for a, b in zip(m0, m1)),
        ),
        (
            "held-out slices' mean Pearson falls by at most 0.01",
            f"{np.mean(r0):.3f} → {np.mean(r1):.3f}",
            np.mean(r1) >= np.mean(r0) - 0.01,
        ),
        *swap_and_probe_checks(old, new),
    ]


def main(folder: str) -> None:
    names = INTERVIEW_SETS + HELD[-2:] + OTHER
    old, new = measure("packaged", names), measure(folder, names)
    lines = [
        f"# The judgement model tuned on whole answers (`{folder}`) against the shipped one",
        "",
        "The product's grader, same code, only the model differs. Written by `eval/diagnostics/tuned_judge.py`; "
        "the rule for shipping is in its docstring, committed before the tuned model was first evaluated.",
        "",
    ]
    lines += slice_rows(old, new) + other_rows(old, new)
    verdict(lines, checks(old, new), "ship the tuned model", "eval/reports/tuned-judge.md")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/judge-tuned")
