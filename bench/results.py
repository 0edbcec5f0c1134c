"""Collect every committed benchmark output into bench/results.{md,json}, with the machine.

Reads the JSON the other scripts wrote (search, grading, local_llm, ui_cold, ui_load, ui_load-50,
ui_load-think, install, sandbox, voice, voice-heldout) and puts each number beside its target. A missing input is listed as not
measured, never filled in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH, machine

NAMES = (
    "search",
    "grading",
    "local_llm",
    "ui_cold",
    "ui_load",
    "ui_load-think",
    "ui_load-50",
    "install",
    "sandbox",
    "voice",
    "voice-heldout",
)
Row = tuple[str, str, str, str]


def load(name: str) -> dict | None:
    path = BENCH / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _search(s: dict) -> list[Row]:
    return [
        ("index build, cold (whole corpus)", f"{s['index_cold_s']} s", "", "search"),
        (
            "index build, nothing changed",
            f"{s['index_unchanged_s']} s ({s['reembedded_when_unchanged']} re-embedded)",
            "",
            "search",
        ),
        (
            "search latency p50 / p95",
            f"{s['search_p50_ms']} / {s['search_p95_ms']} ms",
            "",
            "search",
        ),
        ("search recall@3 (paraphrased queries)", f"{s['recall_at_3']}", "≥ 0.9", "search"),
    ]


def _guarded(g: dict) -> str:
    """The raw model as exported (with the NaN guards the grader drops), when measured."""
    x = g.get("raw_judge_with_nan_guards_pairs_per_s")
    out = f"; as exported, with the NaN guards: {x} pairs/s" if x is not None else ""
    exact = g.get("raw_judge_exact_int8_pairs_per_s")
    if exact is not None:
        out += f"; with the exact int8 kernel (needed only without VNNI): {exact} pairs/s"
    return out


def _grading(g: dict) -> list[Row]:
    return (
        [
            (
                "offline grade (judgement model), five sentences vs six key points, p50 / p95",
                f"{g['grade_p50_ms']} / {g['grade_p95_ms']} ms",
                f"p50 ≤ {g['target_p50_ms']} ms",
                "grading",
            ),
            (
                "offline batch throughput",
                f"{g['batch_answers_per_s']} answers/s",
                f"≥ {g['target_batch_answers_per_s']} answers/s",
                "grading",
            ),
            (
                "raw judgement model, same pairs, same run",
                f"{g['raw_judge_answers_per_s']} answers/s "
                f"({g['raw_judge_pairs_per_s']} pairs/s); grader ÷ raw {g['ratio_to_raw_judge']:.0%}"
                + _guarded(g),
                "",
                "grading",
            ),
        ]
        + (
            [
                (
                    "judgement model load (sha256 check + session): shipped file / as PyTorch exports it",
                    f"{g['load_s']} / {g['load_as_exported_s']} s",
                    "",
                    "grading",
                )
            ]
            if "load_s" in g
            else []
        )
        + (
            [
                (
                    "offline grade, the same answer alone and inside batches: largest score difference",
                    f"{g['batch_vs_alone_max_score_diff']}",
                    "0",
                    "grading",
                )
            ]
            if "batch_vs_alone_max_score_diff" in g
            else []
        )
    )


def _local(llm: dict) -> list[Row]:
    def s(k: str) -> str:
        return f"{llm[k]['p50_ms'] / 1000:.1f} / {llm[k]['p95_ms'] / 1000:.1f} s"

    return [
        ("local LLM hybrid grade, cold prompt, p50 / p95", s("grade_cold"), "", "local_llm"),
        (
            "local LLM hybrid grade, prompt read while typing, p50 / p95",
            s("grade_warm"),
            "",
            "local_llm",
        ),
        ("local LLM follow-up phrasing (whole reply) p50 / p95", s("followup"), "", "local_llm"),
        (
            "local LLM prompt read / decode",
            f"{llm['prompt_read_tok_s']} / {llm['decode_tok_s']} tokens/s",
            "",
            "local_llm",
        ),
        ("local LLM server peak RSS", f"{llm['server_peak_rss_mb']} MB", "", "local_llm"),
    ]


def _ui_cold(ui: dict) -> list[Row]:
    out = []
    for r in ui["runs"]:

        def s(k: str, r: dict = r) -> str:
            v = r[k]
            return "—" if not v["n"] else f"{v['p50_s']} / {v['p95_s']} s"

        who = f"UI ({r['llm']} LLM, {r['users']} user{'s' if r['users'] > 1 else ''})"
        out += [
            (
                f"{who}: Submit → first update p50 / p95",
                s("first_update_s"),
                "p50 ≤ 1.5 s",
                "ui_cold",
            ),
            (
                f"{who}: Submit → follow-up's first word / complete (p50 / p95)",
                f"{s('followup_first_word_s')}; {s('followup_done_s')}",
                "",
                "ui_cold",
            ),
            (f"{who}: Submit → LLM verdict stored p50 / p95", s("verdict_s"), "", "ui_cold"),
            (
                f"{who}: process start → page; server RSS with children",
                f"{r['process_to_page_s']} s; {r['server_peak_rss_mb']} MB",
                "",
                "ui_cold",
            ),
        ]
    return out


def _ui_load(ld: dict, name: str) -> list[Row]:
    t, rep = ld["turn_s"], ld["report_s"]
    think = (
        "no think time"
        if not any(ld["think_s"])
        else f"think {ld['think_s'][0]:g}–{ld['think_s'][1]:g} s"
    )
    who = f"UI, {ld['sessions']} sessions ({think})"
    target = ld["sessions"] == 20
    return [
        (f"{who}: errors / leaks", f"{ld['errors']} / {len(ld['leaks'])}", "0 / 0", name),
        (
            f"{who}: answer turn p50 / p95",
            f"{t['p50']} / {t['p95']} s",
            "p95 ≤ 1.5 s" if target else "",
            name,
        ),
        (
            f"{who}: report p50 / p95",
            f"{rep['p50']} / {rep['p95']} s",
            "p95 ≤ 2 s" if target else "",
            name,
        ),
        (
            f"{who}: server RSS peak / end",
            f"{ld['server_peak_rss_mb']} / {ld['server_rss_end_mb']} MB",
            "≤ 2048 MB" if target else "",
            name,
        ),
    ]


def _install(i: dict) -> list[Row]:
    return [
        (
            "fresh install, cold (empty caches, llama.cpp compiled)",
            f"{i['cold_s'] / 60:.1f} min",
            "≤ 8 min",
            "install",
        ),
        ("fresh install, warm (caches kept)", f"{i['warm_s']:.0f} s", "≤ 60 s", "install"),
    ]


def _sandbox(s: dict) -> list[Row]:
    c = s["concurrent_20"]
    return [
        (
            f"sandboxed code run, start-up p50 / p95 ({s['isolation']})",
            f"{s['startup_sandboxed']['p50_ms']} / {s['startup_sandboxed']['p95_ms']} ms "
            f"(+{s['overhead_p50_ms']} ms over plain python)",
            "",
            "sandbox",
        ),
        ("sandboxed code run, each further test", f"{s['per_test_ms']} ms", "", "sandbox"),
        (
            "20 concurrent full test runs, per run p50 / p95",
            f"{c['p50_ms']} / {c['p95_ms']} ms (all in {c['wall_s']} s)",
            "",
            "sandbox",
        ),
    ]


def _voice(v: dict) -> list[Row]:
    x = v.get("batched, beam 5") or v["beam5"]  # the default (files before batching: beam5)
    out = [
        ("speech to text, word error rate (espeak-ng voices)", f"{x['wer']:.1%}", "≤ 15%", "voice"),
        ("speech to text, real-time factor", f"{x['rtf']:.2f}", "≤ 0.5", "voice"),
        (
            "transcript after a 30-s answer, whole file, p50 / p95",
            f"{x['latency_30s_p50']:.1f} / {x['latency_30s_p95']:.1f} s",
            "≤ 3 s",
            "voice",
        ),
    ]
    live = v.get("streamed while spoken (batched, beam 5)")
    if live:  # the web page's microphone: transcribed while spoken
        out += [
            ("microphone (streamed), word error rate", f"{live['wer']:.1%}", "≤ 15%", "voice"),
            (
                "microphone (streamed): transcript after Stop, 30-s answer, p50 / p95",
                f"{live['latency_30s_p50']:.1f} / {live['latency_30s_p95']:.1f} s",
                "≤ 3 s",
                "voice",
            ),
        ]
    return out


def _voice_held_out(h: dict) -> list[Row]:
    """Per held-out set, mockint's window (the first one measured)."""
    out = []
    for name, x in h.items():
        if name == "machine":
            continue
        if not isinstance(x, dict):  # one set's numbers at the top: an older format
            raise TypeError(name)
        window, run = next((k, v) for k, v in x.items() if isinstance(v, dict) and "wer" in v)
        out.append(
            (
                f"microphone (streamed), WER, held-out set {name} ({run['clips']} clips, {window})",
                f"{run['wer']:.1%}",
                "≤ 15%",
                "voice-heldout",
            )
        )
    return out


def rows(data: dict) -> list[Row]:
    """(measure, value, target, source) rows."""
    makers = {
        "search": _search,
        "grading": _grading,
        "local_llm": _local,
        "ui_cold": _ui_cold,
        "install": _install,
        "sandbox": _sandbox,
        "voice": _voice,
        "voice-heldout": _voice_held_out,
    }
    out: list[Row] = []
    for name, d in data.items():
        if d is None:
            continue
        try:
            out += _ui_load(d, name) if name.startswith("ui_load") else makers[name](d)
        except (KeyError, TypeError):  # written by an older version of the script
            when = d.get("machine", {}).get("commit", "?")
            out.append(
                (
                    f"`{name}`: output of an older bench/{name.split('-')[0]}.py (commit {when})",
                    "not comparable",
                    "re-run it",
                    name,
                )
            )
    return out


def main() -> None:
    data = {n: load(n) for n in NAMES}
    m = machine()
    cpus: dict[str, list[str]] = {}  # each script's run names its machine: they differ by day
    for n, d in data.items():
        if d:
            cpus.setdefault(d.get("machine", {}).get("cpu", "?"), []).append(n)
    md = [
        "# Benchmark results",
        "",
        f"Machines: {m['cores']} cores, Python {m['python']}; the CPU differs between runs, and "
        "times are only comparable within one machine: "
        + "; ".join(f"{cpu}: {', '.join(names)}" for cpu, names in cpus.items())
        + ".",
        "",
        "| measure | value | target | from |",
        "|---|---|---|---|",
    ]
    md += [f"| {a} | {b} | {c} | [{d}.md]({d}.md) |" for a, b, c, d in rows(data)]
    missing = [n for n, d in data.items() if d is None]
    if missing:
        md += ["", "Not measured: " + ", ".join(f"`bench/{n}`" for n in missing) + "."]
    commits = {n: (d or {}).get("machine", {}).get("commit") for n, d in data.items()}
    md += [
        "",
        "Each line comes from the JSON the named script wrote (commit it ran on: "
        + ", ".join(f"{n} {c}" for n, c in commits.items() if c)
        + ").",
    ]
    (BENCH / "results.md").write_text("\n".join(md) + "\n")
    (BENCH / "results.json").write_text(
        json.dumps({"machine": m, "rows": rows(data), "measured_on": commits}, indent=1) + "\n"
    )
    print("\n".join(md))


if __name__ == "__main__":
    main()
