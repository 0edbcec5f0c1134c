"""Write an evaluation run as Markdown + JSON + PNG plots, and a page of worst disagreements."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from mockint.evaluation.probes import STUFF_MIN
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


def _plots(run: EvalRun, out: Path, stem: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred = np.array([g.score for g in run.grades])
    human = np.array([it.human for it in run.items])
    names = []
    fig, ax = plt.subplots(figsize=(5, 5))
    jitter = np.random.default_rng(0).normal(0, 0.08, len(human))
    ax.scatter(human + jitter, pred, s=8, alpha=0.35)
    ax.plot([0, 10], [0, 10], "k--", lw=1)
    ax.set(
        xlabel="human score (0-10)",
        ylabel="predicted score",
        title=f"{run.grader} on {run.dataset}",
        xlim=(-0.5, 10.5),
        ylim=(-0.5, 10.5),
    )
    fig.tight_layout()
    fig.savefig(out / f"{stem}-scatter.png", dpi=90)
    plt.close(fig)
    names.append(f"{stem}-scatter.png")
    bins = [b for b in run.metrics["calibration"] if b["n"]]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([b["mean_pred"] for b in bins], [b["mean_human"] for b in bins], "o-")
    ax.plot([0, 10], [0, 10], "k--", lw=1)
    ax.set(
        xlabel="mean predicted score (bin)",
        ylabel="mean human score",
        title="calibration",
        xlim=(0, 10),
        ylim=(0, 10),
    )
    fig.tight_layout()
    fig.savefig(out / f"{stem}-calibration.png", dpi=90)
    plt.close(fig)
    names.append(f"{stem}-calibration.png")
    edges = [0, 2, 4, 6, 8, 10.01]
    labels = ["0-2", "2-4", "4-6", "6-8", "8-10"]
    cm = np.zeros((5, 5), int)
    for h, p in zip(human, pred):
        cm[
            np.searchsorted(edges, h, side="right") - 1, np.searchsorted(edges, p, side="right") - 1
        ] += 1
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(cm, cmap="Blues")
    for i in range(5):
        for j in range(5):
            ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8)
    ax.set(
        xticks=range(5),
        yticks=range(5),
        xticklabels=labels,
        yticklabels=labels,
        xlabel="predicted band",
        ylabel="human band",
        title="confusion (score bands)",
    )
    fig.tight_layout()
    fig.savefig(out / f"{stem}-confusion.png", dpi=90)
    plt.close(fig)
    names.append(f"{stem}-confusion.png")
    return names


def write_report(run: EvalRun, out: Path, *, anchors_key: str = "") -> Path:
    anchors_key = anchors_key or next((k for k in ANCHORS if k in run.dataset.lower()), "")
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{slug(run.dataset)}--{slug(run.grader)}"
    m = run.metrics
    pngs = _plots(run, out, stem)
    payload = {
        "grader": run.grader,
        "dataset": run.dataset,
        "protocol": run.protocol,
        "metrics": m,
        "probes": run.probes,
        "breakdown": run.breakdown,
    }
    (out / f"{stem}.json").write_text(
        json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
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
            f"Human vs human on the same answers: Pearson {h['pearson']:.3f}, RMSE {h['rmse']:.3f} "
            f"(0-10 scale), QWK {h['qwk']:.3f}.",
        ]
    if "offline_same_items" in m:
        o = m["offline_same_items"]
        lines += [
            "",
            "The offline grader (out-of-fold) on the very same answers: "
            + ", ".join(
                f"{k} {o[k]['value']:.3f} [{o[k]['ci_low']:.3f}, {o[k]['ci_high']:.3f}]"
                for k in ("pearson", "rmse", "qwk")
                if k in o
            )
            + ".",
        ]
    if "labels" in m:
        lines += _label_lines(m["labels"])
    if anchors_key in ("semeval", "saf"):
        lines += ["", "Reference points:", ""] + [
            f"- {a}: {r} {e}".rstrip() for a, r, e in ANCHORS[anchors_key]
        ]
    if anchors_key == "mohler":
        lines += [
            "",
            "Published anchors (Mohler, 0-5 scale; divide our RMSE by 2 to compare):",
            "",
            "| system | Pearson r | RMSE (0-5) |",
            "|---|---|---|",
        ]
        lines += [f"| {a} | {r} | {e} |" for a, r, e in ANCHORS[anchors_key]]
        lines.append(
            f"| **mockint {run.grader}** | **{m['pearson']['value']:.3f}** | **{m['rmse']['value'] / 2:.3f}** |"
        )
    lines += [
        "",
        "## Calibration (mean human score per predicted-score bin)",
        "",
        "| predicted bin | n | mean predicted | mean human |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {c['bin']} | {c['n']} | {c['mean_pred']} | {c['mean_human']} |"
        for c in m["calibration"]
    ]
    lines += [
        "",
        "## Flags on the human-graded answers",
        "",
        "A flag that caps a score (keyword_stuffing, question_echo) should fall on answers humans graded low.",
        "",
        "| flag | answers | mean human score | human ≥ 8/10 |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {f} | {v['n']} | {v['mean_human']} | {v['human_ge_8']} |" for f, v in m["flags"].items()
    ] or ["| (none) | 0 | | |"]
    for key in ("topic", "level"):
        if key in run.breakdown:
            lines += [
                "",
                f"## By {key}",
                "",
                f"| {key} | n | mean human | mean predicted | Pearson |",
                "|---|---|---|---|---|",
            ]
            lines += [
                f"| {g} | {v['n']} | {v['mean_human']} | {v['mean_pred']} | {v['pearson']} |"
                for g, v in run.breakdown[key].items()
            ]
    if run.probes:
        p = run.probes
        lines += [
            "",
            "## Probes",
            "",
            f"Injection success overall (gain ≥ 1 point over the same wrong answer "
            f"without it): **{p['injection_success_overall']:.1%}**",
            "",
            "| injection kind | n | success | mean gain | flagged |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {k} | {v['n']} | {v['success_rate']:.1%} | {v['mean_gain']:+.2f} | {v['flagged']:.0%} |"
            for k, v in p["injection"].items()
        ]
        ks, qe = p["keyword_stuffing"], p["question_echo"]
        lines += [
            "",
            *_stuffing_lines(ks),
            *_echo_lines(qe),
            f"- Filler padding (+{p['filler_padding']['words_added']} words): mean change "
            f"{p['filler_padding']['mean_change']:+.2f}, max gain {p['filler_padding']['max_gain']:+.1f}",
            f"- Paraphrase (sentence order, contractions): mean |change| {p['paraphrase']['mean_abs_change']}",
            f"- Re-grade stability ({p['regrade_stability']['runs']} runs): max spread "
            f"{p['regrade_stability']['max_spread']}",
        ]
    if run.probes and run.probes.get("held_out"):
        lines += _held_out_lines(run.probes["held_out"])
    lines += ["", "## Plots", ""] + [f"![{n}]({n})" for n in pngs]
    lines += ["", f"Worst disagreements: [{stem}-worst.md]({stem}-worst.md)"]
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _worst(run, out / f"{stem}-worst.md")
    return out / f"{stem}.md"


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


def _held_out_lines(h: dict) -> list[str]:
    key = next(k for k in h["all"] if k.startswith("share_le_"))
    out = [
        "",
        "## Held-out probes",
        "",
        f"Written after the guards were frozen, by a helper who saw neither the guards nor the tuning probes "
        f"(`eval/datasets/{h['file']}`, {h['n']} probes on corpus questions). Target: all ≤ 2.5.",
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
