"""Collect every committed benchmark output into bench/results.{md,json}, with the machine.

Reads search.json, grading.json, local_llm.json, ui_cold.json and ui_load.json (written by
the scripts `make bench` runs before this one) and puts the numbers beside their targets.
A missing input is listed as not measured, never filled in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH, machine

NAMES = ("search", "grading", "local_llm", "ui_cold", "ui_load")


def load(name: str) -> dict | None:
    path = BENCH / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def rows(data: dict) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, source) rows."""
    out = []
    s = data.get("search")
    if s:
        out += [
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
    g = data.get("grading")
    if g:
        out += [
            (
                "offline grade, five-sentence answer, p50 / p95",
                f"{g['grade_p50_ms']} / {g['grade_p95_ms']} ms",
                "p50 ≤ 50 ms",
                "grading",
            ),
            (
                "offline batch throughput",
                f"{g['batch_answers_per_s']} answers/s ({g['batch_units_per_s']} texts/s)",
                "",
                "grading",
            ),
            (
                f"raw MiniLM encoding, same texts, same run ({g.get('encoder', 'pytorch')})",
                f"{g['raw_encode_units_per_s']} texts/s"
                + (
                    f" (PyTorch: {g['pytorch_encode_units_per_s']})"
                    if "pytorch_encode_units_per_s" in g
                    else ""
                ),
                "",
                "grading",
            ),
            (
                "batch ÷ encoder ceiling (answers and their sentences)",
                f"{g['ratio_to_encoder_ceiling']:.0%}",
                "≥ 70%",
                "grading",
            ),
        ]
        if "ratio_to_one_pass_ceiling" in g:
            out += [
                (
                    "batch ÷ encoding each answer once",
                    f"{g['ratio_to_one_pass_ceiling']:.0%}"
                    f" (encoder alone: {g['raw_encode_answers_per_s']} answers/s)",
                    "",
                    "grading",
                )
            ]
    llm = data.get("local_llm")
    if llm:
        out += [
            (
                "local LLM hybrid grade, cold prompt, p50 / p95",
                f"{llm['grade_cold']['p50_ms'] / 1000:.1f} / {llm['grade_cold']['p95_ms'] / 1000:.1f} s",
                "p50 ≤ 4 s",
                "local_llm",
            ),
            (
                "local LLM hybrid grade, prefix read while typing, p50 / p95",
                f"{llm['grade_warm']['p50_ms'] / 1000:.1f} / {llm['grade_warm']['p95_ms'] / 1000:.1f} s",
                "p50 ≤ 4 s",
                "local_llm",
            ),
            (
                "local LLM follow-up phrasing p50",
                f"{llm['followup']['p50_ms'] / 1000:.1f} s",
                "",
                "local_llm",
            ),
            (
                "local LLM prompt read / decode",
                f"{llm['prompt_read_tok_s']} / {llm['decode_tok_s']} tokens/s",
                "",
                "local_llm",
            ),
            ("local LLM server peak RSS", f"{llm['server_peak_rss_mb']} MB", "", "local_llm"),
        ]
    ui = data.get("ui_cold")
    if ui:
        for r in ui["runs"]:
            out += [
                (
                    f"UI ({r['llm']} LLM): process start → page",
                    f"{r['process_to_page_s']} s",
                    "",
                    "ui_cold",
                ),
                (
                    f"UI ({r['llm']} LLM): Start → first question",
                    f"{r['start_to_first_question_s']} s",
                    "",
                    "ui_cold",
                ),
                (
                    f"UI ({r['llm']} LLM): answer turn p50 / p95, one user",
                    f"{r['turn_p50_ms'] / 1000:.1f} / {r['turn_p95_ms'] / 1000:.1f} s",
                    "",
                    "ui_cold",
                ),
                (
                    f"UI ({r['llm']} LLM): server peak RSS",
                    f"{r['server_peak_rss_mb']} MB",
                    "",
                    "ui_cold",
                ),
            ]
    load_ = data.get("ui_load")
    if load_:
        t = load_["turn_latency_ms"]
        out += [
            (
                f"UI, {load_['sessions']} concurrent sessions: errors / leaks",
                f"{load_['errors']} / {len(load_['leaks'])}",
                "0 / 0",
                "ui_load",
            ),
            (
                f"UI, {load_['sessions']} concurrent sessions: turn p50 / p95",
                f"{t['p50'] / 1000:.1f} / {t['p95'] / 1000:.1f} s",
                "",
                "ui_load",
            ),
            (
                f"UI, {load_['sessions']} concurrent sessions: server peak RSS",
                f"{load_['server_peak_rss_mb']} MB",
                "",
                "ui_load",
            ),
        ]
    return out


def main() -> None:
    data = {n: load(n) for n in NAMES}
    table = rows(data)
    measured_on = {n: (d or {}).get("machine", {}).get("commit") for n, d in data.items()}
    m = machine()
    md = [
        "# Benchmark results",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, {m['platform']}.",
        "",
        "| measure | value | target | from |",
        "|---|---|---|---|",
    ]
    md += [f"| {a} | {b} | {c} | [{d}.md]({d}.md) |" for a, b, c, d in table]
    missing = [n for n, d in data.items() if d is None]
    if missing:
        md += ["", "Not measured: " + ", ".join(f"`bench/{n}.py`" for n in missing) + "."]
    md += [
        "",
        "Each line comes from the JSON the named script wrote (commit it ran on: "
        + ", ".join(f"{n} {c}" for n, c in measured_on.items() if c)
        + ").",
    ]
    (BENCH / "results.md").write_text("\n".join(md) + "\n")
    (BENCH / "results.json").write_text(
        json.dumps(
            {
                "machine": m,
                "rows": [dict(zip(("measure", "value", "target", "source"), r)) for r in table],
                "inputs": data,
            },
            indent=1,
        )
        + "\n"
    )
    print("\n".join(md))


if __name__ == "__main__":
    main()
