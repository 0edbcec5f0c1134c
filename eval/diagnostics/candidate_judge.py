"""A candidate judgement model against the shipped one, through the product's grader (second look and
swap check on): every human-graded interview slice, the swap and flip sets (the flip set, answers
with a direction reversed, was written and graded while the candidate trained; it is reported, not
part of the rule), the held-out probe sets. Writes
eval/reports/candidate-judge.md:

    .venv/bin/python eval/diagnostics/candidate_judge.py build/judge-swap   (about 6 minutes)

The rule for shipping the candidate, written down (and committed) before it was first evaluated:
ship it if, with the product's grader,
1. the mean MAE over the held-out slices 5, 6 and 7 (all answers) is at most 0.03 worse,
2. on the held-out swap set the swapped answers' mean falls and the correct answers' mean falls by
   at most 0.3, and
3. no held-out probe set's share at or below 2.5 falls by more than 2 points.
Otherwise the shipped model stays and this report says what the candidate did.
"""

import sys
from pathlib import Path

import numpy as np
from sets import INTERVIEW_SETS

from mockint.config import Config
from mockint.evaluation.datasets import task_for
from mockint.evaluation.probes import HELD_OUT_SETS, PROBE_LIMIT, held_out_probes
from mockint.evaluation.protocol import load_specs
from mockint.runtime import Runtime

SLICES = INTERVIEW_SETS
HELD = ["interview-heldout-5", "interview-heldout-6", "concise-heldout-7"]


def measure(folder: str, names: list[str] | None = None) -> dict:
    """Per set of ``names`` (default: the slices, the swap and flip sets): human scores, the
    grader's, whether each answer is text (not code), the answer's level; per held-out probe set
    the share at or below the limit."""
    rt = Runtime(Config.load(judge_model=folder))
    grader = rt.make_grader("offline")
    grade = grader.grade_many
    out: dict = {"slices": {}, "probes": {}}
    for name in names or SLICES + ["swaps-heldout", "flips-heldout"]:
        _, items = load_specs([f"eval/datasets/{name}.jsonl:mockint"], rt.by_id)[0]
        h = np.array([it.human for it in items])
        p = np.array([g.score for g in grade([task_for(it) for it in items])])
        text = np.array([not (it.question and it.question.problem) for it in items])
        levels = np.array([it.level or "" for it in items])
        out["slices"][name] = (h, p, text, levels)
    for key, path, _ in HELD_OUT_SETS:
        r = held_out_probes(grade, rt.by_id, path=path)
        out["probes"][key] = r["all"][f"share_le_{PROBE_LIMIT:g}"]
    return out


def _m(h: np.ndarray, p: np.ndarray) -> str:
    return f"{np.abs(h - p).mean():.2f} / {np.corrcoef(h, p)[0, 1]:.3f}"


def slice_stats(run: dict, names: list[str]) -> tuple[list[float], list[float]]:
    """Per named slice of a ``measure`` run: (MAE, Pearson) of the grader against the humans."""
    hp = [run["slices"][n][:2] for n in names]
    return [float(np.abs(h - p).mean()) for h, p in hp], [np.corrcoef(h, p)[0, 1] for h, p in hp]


def swap_and_probe_checks(old: dict, new: dict) -> list[tuple[str, str, bool]]:
    """The two checks every rule for a new model shares: swap set 2 (mixed-up answers' mean up by
    at most 0.3, correct answers' down by at most 0.3) and the held-out probe sets (none's share at
    or below 2.5 down by more than 2 points)."""
    h, p0, _, lv = old["slices"]["swaps-heldout-2"]
    p1 = new["slices"]["swaps-heldout-2"][1]
    sw, ok = lv == "swapped", lv == "correct"
    return [
        (
            "swap set 2: mixed-up mean rises by at most 0.3, correct mean falls by at most 0.3",
            f"mixed up {p0[sw].mean():.2f} → {p1[sw].mean():.2f}; correct {p0[ok].mean():.2f} → {p1[ok].mean():.2f}",
            p1[sw].mean() <= p0[sw].mean() + 0.3 and p1[ok].mean() >= p0[ok].mean() - 0.3,
        ),
        (
            "no held-out probe set's share ≤ 2.5 falls by more than 2 points",
            ", ".join(f"{old['probes'][k]:.1%} → {new['probes'][k]:.1%}" for k in old["probes"]),
            all(new["probes"][k] >= old["probes"][k] - 0.02 for k in old["probes"]),
        ),
    ]


def verdict(lines: list[str], rule: list[tuple[str, str, bool]], ship: str, report: str) -> None:
    """The rule's table and the verdict appended to ``lines``, written to ``report`` and printed."""
    lines += ["", "| rule | measured | met |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {'yes' if c else '**no**'} |" for a, b, c in rule]
    met = all(c for *_, c in rule)
    lines += ["", f"**Verdict: {ship if met else 'keep the shipped model'}.**"]
    Path(report).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def tables(folder: str, old: dict, new: dict) -> list[str]:
    """The slices, the swap and flip sets by kind, the probe sets: shipped against candidate."""
    lines = [
        f"# Candidate judgement model `{folder}` against the shipped one",
        "",
        "The product's grader (second look and swap check on), same code, only the model differs. "
        "Written by `eval/diagnostics/candidate_judge.py`; the rule for shipping is in its "
        "docstring, committed before the candidate was first evaluated.",
        "",
        "| set | n | MAE / Pearson, shipped | candidate | as text: shipped | candidate |",
        "|---|---|---|---|---|---|",
    ]
    for name in SLICES:
        h, p0, text, _ = old["slices"][name]
        p1 = new["slices"][name][1]
        lines.append(
            f"| {name} | {len(h)} | {_m(h, p0)} | {_m(h, p1)} | "
            f"{_m(h[text], p0[text])} | {_m(h[text], p1[text])} |"
        )
    lines += ["", "| set: kind | n | human | shipped | candidate |", "|---|---|---|---|---|"]
    for name, kinds in (
        ("swaps-heldout", ("correct", "swapped", "one_swap")),
        ("flips-heldout", ("correct", "flipped")),
    ):
        h, p0, _, lv = old["slices"][name]
        p1 = new["slices"][name][1]
        for kind in kinds:
            k = lv == kind
            lines.append(
                f"| {name}: {kind} | {k.sum()} | {h[k].mean():.2f} | {p0[k].mean():.2f} | "
                f"{p1[k].mean():.2f} |"
            )
    lines += ["", "| held-out probe set | ≤ 2.5, shipped | candidate |", "|---|---|---|"]
    for key in old["probes"]:
        lines.append(f"| {key} | {old['probes'][key]:.1%} | {new['probes'][key]:.1%} |")
    return lines


def main(folder: str) -> None:
    old, new = measure("packaged"), measure(folder)
    lines = tables(folder, old, new)
    h, p0, _, lv = old["slices"]["swaps-heldout"]
    p1 = new["slices"]["swaps-heldout"][1]
    mae = lambda run: np.mean(  # noqa: E731
        [np.abs(run["slices"][n][0] - run["slices"][n][1]).mean() for n in HELD]
    )
    swapped = lv == "swapped"
    correct = lv == "correct"
    checks = [
        (
            "held-out slices' mean MAE at most 0.03 worse",
            f"{mae(old):.3f} → {mae(new):.3f}",
            mae(new) <= mae(old) + 0.03,
        ),
        (
            "swapped answers' mean falls",
            f"{p0[swapped].mean():.2f} → {p1[swapped].mean():.2f}",
            p1[swapped].mean() < p0[swapped].mean(),
        ),
        (
            "correct answers' mean falls by at most 0.3",
            f"{p0[correct].mean():.2f} → {p1[correct].mean():.2f}",
            p1[correct].mean() >= p0[correct].mean() - 0.3,
        ),
        (
            "no held-out probe set's share ≤ 2.5 falls by more than 2 points",
            ", ".join(f"{old['probes'][k]:.1%} → {new['probes'][k]:.1%}" for k in old["probes"]),
            all(new["probes"][k] >= old["probes"][k] - 0.02 for k in old["probes"]),
        ),
    ]
    lines += ["", "| rule | measured | met |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {'yes' if c else '**no**'} |" for a, b, c in checks]
    verdict = all(c for *_, c in checks)
    lines += ["", f"**Verdict: {'ship the candidate' if verdict else 'keep the shipped model'}.**"]
    Path("eval/reports/candidate-judge.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/judge-swap")
