"""How much an LLM's per-key-point verdict should count against the judgement model's (``LLM_WEIGHT``).

For each answer of a development set and a held-out set this takes the out-of-fold judgement-model
probabilities (the cross-validation's models) and the LLM's statuses for the same key points (its
replies are cached, so a second run asks nothing), then scores every candidate weight with the same
``combine``, score mapping (refitted per fold, as ``mockint eval`` does) and guards as the hybrid
grader. The weight is chosen on the development set only; the held-out set shows what it does on
answers it was not chosen on. Writes ``eval/reports/hybrid-rule.{md,json}``.

    python -m mockint.evaluation.llm_rule [--dev PATH:FORMAT] [--held-out PATH:FORMAT]

Needs the cross-validation's models (``make train-judge-cv``) and an LLM (``--llm``, default the
configured one).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from mockint.config import REPO_ROOT, Config
from mockint.evaluation import metrics
from mockint.evaluation.datasets import task_for
from mockint.evaluation.protocol import DEFAULT_FOLDS, Judged, Protocol, fit_rows, load_specs
from mockint.grading.guards import apply_guards
from mockint.grading.llm_judge import LLMGrader, combine, llm_grader
from mockint.grading.offline import OfflineGrader, guard_context
from mockint.grading.scoring import DEFAULT_FORM, Point, features, fit
from mockint.runtime import Runtime

WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0)
OUT = REPO_ROOT / "eval" / "reports"


def llm_statuses(grader: LLMGrader, judged: Judged) -> list[dict | None]:
    """The LLM's status per key point for every answer (None: no answer, or the LLM failed)."""
    out = []
    for it, j in zip(judged.items, judged.judged):
        if j is None:
            out.append(None)
            continue
        reply, _, _ = grader.judge(task_for(it))
        out.append({jp.id: jp.status for jp in reply.key_points} if reply else None)
    return out


def scores_at(
    weight: float, target: Judged, said: list, fit_sets: list[Judged], form: str = DEFAULT_FORM
) -> list[float]:
    """Each answer's hybrid score with ``weight``: the fold's mapping (of ``form``), the guard
    table."""
    out = [0.0] * len(target.items)
    for k in sorted(set(target.folds)):
        smap = fit(*fit_rows(fit_sets, exclude_fold=k), version=f"cv-fold{k}", form=form)
        for i in (i for i, f in enumerate(target.folds) if f == k):
            j = target.judged[i]
            if j is None:
                continue
            ps, probs, clean = j
            mixed = [combine(pr, (said[i] or {}).get(p.id), weight) for p, pr in zip(ps, probs)]
            predicted = float(
                smap.predict(features([Point(p.id, p.weight, m) for p, m in zip(ps, mixed)]))[0]
            )
            task = task_for(target.items[i])
            out[i] = apply_guards(predicted, guard_context(task, (ps, np.array(mixed), clean)))[0]
    return out


def table(
    weights, target: Judged, said: list, fit_sets: list[Judged], form: str = DEFAULT_FORM
) -> list[dict]:
    human = [it.human for it in target.items]
    rows = []
    for w in weights:
        pred = scores_at(w, target, said, fit_sets, form)
        rows.append(
            {
                "weight": w,
                "pearson": round(metrics.pearson(pred, human), 4),
                "mae": round(metrics.mae(pred, human), 4),
                "qwk": round(metrics.qwk(pred, human), 4),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m mockint.evaluation.llm_rule", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--dev", default="eval/datasets/interview-graded.jsonl:mockint")
    ap.add_argument("--held-out", default="eval/datasets/concise-heldout.jsonl:mockint")
    ap.add_argument("--llm", default=None)
    args = ap.parse_args(argv)
    rt = Runtime(Config.load(llm=args.llm))
    if rt.chat is None:
        raise SystemExit("no LLM is configured: pass --llm local (or set OPENAI_API_KEY)")
    proto = Protocol(
        rt,
        cv=True,
        folds_dir=DEFAULT_FOLDS,
        fit_specs=[
            "eval/datasets/judge-train:pairs",
            "eval/datasets/interview-graded.jsonl:mockint",
        ],
    )
    grader = llm_grader(
        rt.chat, OfflineGrader(rt.judge, rt.score_map), cache_dir=rt.config.cache_dir
    )
    fits = [j for _, j in proto.fit_sets]
    result = {"llm": rt.chat.name, "compact": rt.chat.compact, "weights": list(WEIGHTS)}
    for part, spec in (("dev", args.dev), ("held_out", args.held_out)):
        name, items = load_specs([spec], rt.by_id)[0]
        items = proto.usable(name, items)  # with untrained folds, their questions are left out
        judged = proto.judged(name, items)
        said = llm_statuses(grader, judged)
        result[part] = {
            "set": name,
            "n": len(items),
            "llm_failed": sum(s is None for s in said),
            "rows": table(WEIGHTS, judged, said, fits, rt.score_map.form),
        }
    best = max(result["dev"]["rows"], key=lambda r: (r["pearson"], -r["mae"]))
    result["chosen_on_dev"] = best["weight"]
    _write(result)


def _write(r: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "hybrid-rule.json").write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")
    dev = {x["weight"]: x for x in r["dev"]["rows"]}
    held = {x["weight"]: x for x in r["held_out"]["rows"]}
    lines = [
        f"# How much the LLM's verdict counts ({r['llm']})",
        "",
        "Per key point the hybrid grade mixes the LLM's status (one-hot) into the judgement model's "
        "probabilities with weight w (`grading.llm_judge.combine`), then the score mapping and the guards "
        "apply. w = 0 is the judgement model alone, w = 1 the LLM alone. Out-of-fold judgement-model "
        "probabilities and per-fold mappings throughout.",
        "",
        f"Chosen on the development set ({r['dev']['set']}, {r['dev']['n']} answers): "
        f"**w = {r['chosen_on_dev']}** (highest Pearson). The held-out set ({r['held_out']['set']}, "
        f"{r['held_out']['n']} answers) was not looked at to choose it.",
        "",
        "| w | dev Pearson | dev MAE | dev QWK | held-out Pearson | held-out MAE | held-out QWK |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in r["weights"]:
        d, h = dev[w], held[w]
        mark = " **(chosen)**" if w == r["chosen_on_dev"] else ""
        lines.append(
            f"| {w}{mark} | {d['pearson']:.3f} | {d['mae']:.2f} | {d['qwk']:.3f} | {h['pearson']:.3f} | "
            f"{h['mae']:.2f} | {h['qwk']:.3f} |"
        )
    lines += [
        "",
        f"LLM replies that failed validation or the endpoint: {r['dev']['llm_failed']} (dev), "
        f"{r['held_out']['llm_failed']} (held out); those key points keep the model's probabilities.",
    ]
    (OUT / "hybrid-rule.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
