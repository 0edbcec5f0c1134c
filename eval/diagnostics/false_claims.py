"""Can the judgement model see a false claim that touches no key point? (The "one false claim"
level of the slices scores ~2-3 points above the graders, "wrong" ~1-2.) Writes
eval/reports/false-claims.md. Run from the repository root (about 12 minutes on 2 cores):

    .venv/bin/python eval/diagnostics/false_claims.py

1. Each sentence of an answer is judged against the question's whole reference answer, against
   each key point, and the other way round (the sentence as the premise, the reference as the
   answer); per answer the strongest contradiction over its sentences, by the writers' level.
2. Score forms that charge the contradiction probabilities the shipped score ignores below the
   guard's 0.5 (the core floor minus b x con_ess, minus b x con_all, times 1 - b x con_all), guards
   applied, on the feature rows of ``slice_rows.py`` (build/slice-rows.pkl: slices 1-11).
"""

import pickle
from pathlib import Path

import numpy as np
from sets import HELD_OUT_SLICES

from mockint.config import Config
from mockint.corpus.markdown import plain_text
from mockint.evaluation.datasets import task_for
from mockint.evaluation.protocol import load_specs
from mockint.grading.guards import apply_guards
from mockint.grading.hygiene import judged_text
from mockint.grading.scoring import FEATURES, core_floor
from mockint.runtime import Runtime
from mockint.text import sentences

SLICES = HELD_OUT_SLICES + ["interview-heldout-10", "interview-heldout-11", "interview-heldout-12"]
LEVELS = ["complete", "incomplete", "mixed", "partly", "wrong", "hedged"]
ROWS, OUT = Path("build/slice-rows.pkl"), Path("eval/reports/false-claims.md")
FORMS = {
    "minus b x con_ess": [1, 2, 4],
    "minus b x con_all": [1, 2, 4],
    "times 1 - b x con_all": [0.25, 0.5],
}


def strongest(judge, it) -> tuple[float, float, float] | None:
    """(reference vs sentence, key points vs sentence, sentence vs reference): the answer's
    strongest contradiction probability over its sentences."""
    t = task_for(it)
    q = t.question
    sents = [s for s in sentences(judged_text(t.answer)) if s.strip()]
    if q is None or q.problem is not None or not sents:
        return None
    ref = " ".join(plain_text(r.markdown) for r in q.references).strip()
    kps = [k.text for k in q.key_points]
    qt = t.question_text
    fwd = judge.predict([(qt, ref, s) for s in sents])
    kp = judge.predict([(qt, k, s) for s in sents for k in kps])
    rev = judge.predict([(qt, s, ref) for s in sents])
    return float(fwd[:, 2].max()), float(kp[:, 2].max()), float(rev[:, 2].max())


def part_one(rt) -> list[str]:
    judge = rt.offline_grader().judge
    by_level: dict[str, list] = {}
    for name in SLICES:
        _, items = load_specs([f"eval/datasets/{name}.jsonl:mockint"], rt.by_id)[0]
        for it in items:
            s = strongest(judge, it)
            if s is not None and it.level in LEVELS:
                by_level.setdefault(it.level, []).append(s)
        print(name, flush=True)
    out = [
        "| level | answers | reference vs sentence: mean / share ≥ 0.5 | key points vs sentence |"
        " sentence vs reference |",
        "|---|---|---|---|---|",
    ]
    for lv in LEVELS:
        v = np.array(by_level.get(lv, [])).reshape(-1, 3)
        cells = " | ".join(
            f"{v[:, i].mean():.3f} / {(v[:, i] >= 0.5).mean():.0%}" for i in range(3)
        )
        out.append(f"| {lv} | {len(v)} | {cells} |")
    return out


def form_score(r: dict, form: str, b: float) -> float:
    if r["x"] is None:
        return r["shipped"]
    x = r["x"][None, :]
    s = float(core_floor(x)[0])
    ess, alls = x[0, FEATURES.index("con_ess")], x[0, FEATURES.index("con_all")]
    if form == "minus b x con_ess":
        s = max(0.0, s - b * ess)
    elif form == "minus b x con_all":
        s = max(0.0, s - b * alls)
    elif form == "times 1 - b x con_all":
        s = s * (1 - b * alls)
    return apply_guards(s, r["ctx"])[0]


def part_two() -> list[str]:
    data = pickle.loads(ROWS.read_bytes())
    sets = {k: [r for r in data[k] if not r["code"]] for k in SLICES if k in data}
    mae = lambda rows, f, b: np.mean([abs(form_score(r, f, b) - r["human"]) for r in rows])  # noqa: E731
    out = [
        f"Slices in build/slice-rows.pkl: {', '.join(sets)} (answers graded as text).",
        "",
        "| form | b | mean slice MAE | slices better than shipped |",
        "|---|---|---|---|",
    ]
    base = {k: mae(v, "shipped", 0) for k, v in sets.items()}
    out.append(f"| shipped (core floor) | – | {np.mean(list(base.values())):.3f} | – |")
    for form, bs in FORMS.items():
        for b in bs:
            m = {k: mae(v, form, b) for k, v in sets.items()}
            better = sum(m[k] < base[k] - 1e-9 for k in m)
            out.append(
                f"| {form} | {b:g} | {np.mean(list(m.values())):.3f} | {better} of {len(m)} |"
            )
    return out


def main() -> None:
    rt = Runtime(Config.load())
    lines = [
        "# False claims: what the judgement model sees (diagnostic)",
        "",
        f"Written by `eval/diagnostics/false_claims.py` on slices {', '.join(SLICES)}.",
        "",
        "## 1. The strongest contradiction over an answer's sentences, by the writers' level",
        "",
        *part_one(rt),
        "",
        "## 2. Charging the contradiction probabilities below the guard (in-sample)",
        "",
        *part_two(),
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
