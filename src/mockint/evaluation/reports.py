"""Write an evaluation run as Markdown + JSON + PNG plots, and a page of worst disagreements."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mockint.evaluation.plots import plots
from mockint.evaluation.probes import HELD_OUT_SETS, STUFF_MIN
from mockint.evaluation.protocol import EvalRun

ANCHORS = {
    "semeval": [
        (
            "Best SemEval-2013 systems, SciEntsBank 2-way macro-F1, unseen questions (trained on this split)",
            "≈ 0.74",
            "",
        ),
        ("The same, unseen answers", "≈ 0.77", ""),
    ],
    "saf": [
        (
            "Zero-shot mockint before the judgement model (unseen questions)",
            "Spearman 0.59",
            "MAE 2.5",
        )
    ],
    "mohler": [
        ("Human vs human (grader 1 vs 2)", "0.597", "1.31"),
        ("Sultan, Salazar & Sumner 2016", "0.592", "0.887"),
        ("Mohler et al. 2011", "≈ 0.52", "≈ 0.98"),
        ("Always the mean", "0", "1.096"),
    ],
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_report(run: EvalRun, out: Path, *, anchors_key: str = "") -> Path:
    """``<dataset>--<grader>.md`` (+ ``.json``, plots, and a page of the worst disagreements)."""
    anchors_key = anchors_key or next((k for k in ANCHORS if k in run.dataset.lower()), "")
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{slug(run.dataset)}--{slug(run.grader)}"
    pngs = plots(run, out, stem)
    payload = {
        "grader": run.grader,
        "dataset": run.dataset,
        "protocol": run.protocol,
        "metrics": run.metrics,
        "probes": run.probes,
        "breakdown": run.breakdown,
    }
    (out / f"{stem}.json").write_text(
        json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    lines = [
        *_summary_lines(run),
        *_anchor_lines(run, anchors_key),
        *_calibration_lines(run.metrics),
        *_flag_lines(run.metrics),
        *_breakdown_lines(run),
        *_probe_lines(run.probes),
    ]
    for number, (key, _, written) in enumerate(HELD_OUT_SETS, start=1):
        if run.probes and run.probes.get(key):
            lines += _held_out_lines(run.probes[key], written, number)
    lines += ["", "## Plots", ""] + [f"![{n}]({n})" for n in pngs]
    lines += ["", f"Worst disagreements: [{stem}-worst.md]({stem}-worst.md)"]
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _worst(run, out / f"{stem}-worst.md")
    return out / f"{stem}.md"


def _summary_lines(run: EvalRun) -> list[str]:
    m = run.metrics
    lines = [
        f"# {run.grader} on {run.dataset}",
        "",
        f"**Protocol.** {run.protocol}",
        "",
        f"{m['n']} answers, {len({it.question_id for it in run.items})} questions.",
        "",
        "| metric | value | 95% bootstrap CI |",
        "|---|---|---|",
    ]
    for k in ("pearson", "spearman", "qwk", "mae", "rmse", "exact", "within_1"):
        v = m[k]
        lines.append(f"| {k} | {v['value']:.3f} | {v['ci_low']:.3f} – {v['ci_high']:.3f} |")
    b = m["binary"]
    lines += [
        "",
        f"Pass/fail at 5/10: accuracy {b['accuracy']:.3f}, macro-F1 {b['macro_f1']:.3f}, "
        f"ROC AUC {b['roc_auc']:.3f}.",
    ]
    if "human_vs_human" in m:
        h = m["human_vs_human"]
        lines += [
            "",
            f"Human vs human on the same answers: Pearson {h['pearson']:.3f}, RMSE "
            f"{h['rmse']:.3f} (0-10 scale), QWK {h['qwk']:.3f}.",
        ]
    if "offline_same_items" in m:
        o = m["offline_same_items"]
        same = ", ".join(
            f"{k} {o[k]['value']:.3f} [{o[k]['ci_low']:.3f}, {o[k]['ci_high']:.3f}]"
            for k in ("pearson", "mae", "rmse", "qwk")
            if k in o
        )
        lines += ["", f"The offline grader on the very same answers (same protocol): {same}."]
    if "labels" in m:
        lines += _label_lines(m["labels"])
    return lines


def _anchor_lines(run: EvalRun, key: str) -> list[str]:
    m = run.metrics
    if key in ("semeval", "saf"):
        return ["", "Reference points:", ""] + [
            f"- {a}: {r} {e}".rstrip() for a, r, e in ANCHORS[key]
        ]
    if key != "mohler":
        return []
    return [
        "",
        "Published anchors (Mohler, 0-5 scale; divide our RMSE by 2 to compare):",
        "",
        "| system | Pearson r | RMSE (0-5) |",
        "|---|---|---|",
        *[f"| {a} | {r} | {e} |" for a, r, e in ANCHORS[key]],
        f"| **mockint {run.grader}** | **{m['pearson']['value']:.3f}** | **{m['rmse']['value'] / 2:.3f}** |",
    ]


def _calibration_lines(m: dict) -> list[str]:
    return [
        "",
        "## Calibration (mean human score per predicted-score bin)",
        "",
        "| predicted bin | n | mean predicted | mean human |",
        "|---|---|---|---|",
        *[
            f"| {c['bin']} | {c['n']} | {c['mean_pred']} | {c['mean_human']} |"
            for c in m["calibration"]
        ],
    ]


def _flag_lines(m: dict) -> list[str]:
    rows = [
        f"| {f} | {v['n']} | {v['mean_human']} | {v['human_ge_8']} |" for f, v in m["flags"].items()
    ]
    return [
        "",
        "## Flags on the human-graded answers",
        "",
        "A flag that caps a score (keyword_stuffing, question_echo, contradiction) should fall on "
        "answers humans graded low.",
        "",
        "| flag | answers | mean human score | human ≥ 8/10 |",
        "|---|---|---|---|",
        *(rows or ["| (none) | 0 | | |"]),
    ]


def _breakdown_lines(run: EvalRun) -> list[str]:
    lines: list[str] = []
    for key in ("graded_as", "topic", "level"):
        if key in run.breakdown:
            lines += [
                "",
                f"## By {key.replace('_', ' ')}",
                "",
                *(
                    [
                        "Answers to coding-round problems are graded by running their code on the "
                        "problem's tests; an answer in words (a spoken description of the query) "
                        "gets no test credit, whatever a human made of it.",
                        "",
                    ]
                    if key == "graded_as"
                    else []
                ),
                f"| {key.replace('_', ' ')} | n | mean human | mean predicted | Pearson | MAE |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {g} | {v['n']} | {v['mean_human']} | {v['mean_pred']} | {v['pearson']} "
                f"| {v.get('mae', '')} |"
                for g, v in run.breakdown[key].items()
            ]
    return lines


def _probe_lines(p: dict) -> list[str]:
    if not p:
        return []
    pad, para, regrade = p["filler_padding"], p["paraphrase"], p["regrade_stability"]
    return [
        "",
        "## Probes (the tuning set: the guards were written while looking at these)",
        "",
        f"Injection success overall (gain ≥ 1 point over the same wrong answer without it): "
        f"**{p['injection_success_overall']:.1%}**",
        "",
        "| injection kind | n | success | mean gain | flagged |",
        "|---|---|---|---|---|",
        *[
            f"| {k} | {v['n']} | {v['success_rate']:.1%} | {v['mean_gain']:+.2f} | {v['flagged']:.0%} |"
            for k, v in p["injection"].items()
        ],
        "",
        *_stuffing_lines(p["keyword_stuffing"]),
        *_echo_lines(p["question_echo"]),
        f"- Filler padding (+{pad['words_added']} words): mean change {pad['mean_change']:+.2f}, "
        f"max gain {pad['max_gain']:+.1f}",
        f"- Paraphrase (sentence order, contractions): mean |change| {para['mean_abs_change']}",
        f"- Re-grade stability ({regrade['runs']} runs): max spread {regrade['max_spread']}",
    ]


def _label_lines(labels: dict) -> list[str]:
    out = [
        "",
        "## By human label",
        "",
        "| part | n | ROC AUC (correct vs rest) | macro-F1 at ≥ 7 | majority-class macro-F1 | mean score per label "
        "(share ≤ 3 / share ≥ 7) |",
        "|---|---|---|---|---|---|",
    ]
    for part, v in labels.items():
        per = "; ".join(
            f"{lab}: {b['mean']} (n {b['n']}, {b['share_le_3']:.0%} / {b['share_ge_7']:.0%})"
            for lab, b in v["by_label"].items()
        )
        auc = f"{v['roc_auc']:.3f}" if "roc_auc" in v else "—"
        f1 = f"{v['macro_f1_at_7']:.3f}" if "macro_f1_at_7" in v else "—"
        base = (
            f"{v['macro_f1_majority_baseline']:.3f}" if "macro_f1_majority_baseline" in v else "—"
        )
        out.append(f"| {part} | {v['n']} | {auc} | {f1} | {base} | {per} |")
    return out


def _held_out_lines(h: dict, written: str, number: int = 1) -> list[str]:
    key = next(k for k in h["all"] if k.startswith("share_le_"))
    out = [
        "",
        "## Held-out probes" + (f", set {number}" if number > 1 else ""),
        "",
        f"{written} (`eval/datasets/{h['file']}`, {h['n']} probes on corpus questions). Target: all ≤ 2.5.",
        "",
        "| kind | n | mean | max | share ≤ 2.5 | injection gain / success / flagged |",
        "|---|---|---|---|---|---|",
    ]
    for kind, v in h["by_kind"].items():
        inj = (
            f"{v['mean_gain']:+.2f} / {v['success_rate']:.0%} / {v['flagged']:.0%}"
            if "mean_gain" in v
            else ""
        )
        out.append(f"| {kind} | {v['n']} | {v['mean']} | {v['max']} | {v[key]:.0%} | {inj} |")
    out.append(f"| **all** | {h['n']} | {h['all']['mean']} | | {h['all'][key]:.0%} | |")
    if h.get("worst"):
        out += ["", "Highest-scored probes:", ""] + [
            f"- {w['id']} ({w['kind']}, {w['score']}): {w['answer']!r}" for w in h["worst"][:5]
        ]
    return out


def _share(v: dict) -> str:
    return f"mean {v['mean']}, max {v['max']}, share ≤ 2/10: {v['share_le_2']:.0%}"


def _stuffing_lines(ks: dict) -> list[str]:
    bare, commas = ks["reference_words_only"], ks["comma_separated"]
    three = bare["three_plus_words"]
    longer = (
        f"; the {three['n']} of three or more words: mean {three['mean']}, share ≤ 2/10: "
        f"{three['share_le_2']:.0%} (one or two bare words can be the correct terse answer)"
        if three["n"]
        else ""
    )
    return [
        f"- Keyword stuffing (a bare dump of the key points' keywords, topped up to {STUFF_MIN} words with "
        f"other questions' keywords where they hold fewer): {_share(ks)}",
        f"- The same dump with commas between the terms: {_share(commas)}. Capped only when six or more bare "
        "terms include a third foreign to the reference; shorter or on-reference lists are graded on their "
        'merits, since "public, private, protected" is an answer',
        f"- The key points' keywords alone, no top-up: {_share(bare)}{longer}",
    ] + [
        f"- Human-graded answers here that are {what}: {v['n']}, of which {v['human_ge_8']} graded ≥ 8/10 and "
        f"{v['human_10']} full marks"
        for what, v in (
            ("bare lists of three or more terms", ks["human_graded"]["bare_lists"]),
            ("one or two words", ks["human_graded"]["one_or_two_words"]),
        )
    ]


def _echo_lines(qe: dict) -> list[str]:
    return [
        f'- Question echo ("Q? Well, q is the question, and that is what q is about."): {_share(qe)}',
        f"- Question echo, three other wordings in turn: {_share(qe['other_wordings'])}",
    ]


def _worst(run: EvalRun, path: Path, n: int = 25) -> None:
    order = sorted(
        range(len(run.items)), key=lambda i: -abs(run.grades[i].score - run.items[i].human)
    )[:n]
    lines = [f"# Worst disagreements: {run.grader} on {run.dataset}", ""]
    for i in order:
        it, g = run.items[i], run.grades[i]
        kp = "; ".join(f"{k.status}: {k.text[:70]}" for k in g.key_points[:6])
        answer = it.answer.replace("\n", " ")
        lines += [
            f"## {it.id} — human {it.human:.1f}, grader {g.score:.1f} ({g.verdict})",
            "",
            f"**Q:** {it.question_text}",
            "",
            f"**Answer:** {answer[:600]}",
            "",
            f"**Grader's key points:** {kp}",
            "",
            f"**Flags:** {', '.join(g.flags) or '—'}",
            "",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
