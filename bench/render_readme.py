"""Fill the README's results, benchmark and settings tables from committed outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mockint.config import settings_table

ROOT = Path(__file__).resolve().parents[1]


def _protocol(text: str) -> str:
    if "Cross-validation" not in text:
        return "shipped model + score"
    m = re.search(
        r"Only (\d+) of the (\d+) fold models are trained, so this covers the (\d+) of (\d+)", text
    )
    if m:
        return f"grouped CV, unseen questions ({m[1]} of {m[2]} folds: {m[3]} of {m[4]} answers)"
    return "grouped CV, unseen questions"


def results_table() -> str:
    """One row per offline report, then the labelled sets' correct-vs-not numbers."""
    rows = [
        "| dataset | grader | protocol | n | Pearson [95% CI] | Spearman | MAE (0-10) | QWK |",
        "|---|---|---|---|---|---|---|---|",
    ]
    labelled = [
        "",
        "| dataset | part | n | AUC correct vs not | macro-F1 at 7 (majority baseline) | mean score by human label |",
        "|---|---|---|---|---|---|",
    ]
    for path in sorted((ROOT / "eval" / "reports").glob("*--*.json")):
        d = json.loads(path.read_text())
        m = d["metrics"]
        link = f"[{d['dataset']}](eval/reports/{path.stem}.md)"
        rows.append(
            f"| {link} | {d['grader']} | {_protocol(d['protocol'])} | {m['n']} | "
            f"{m['pearson']['value']:.3f} [{m['pearson']['ci_low']:.3f}, {m['pearson']['ci_high']:.3f}] | "
            f"{m['spearman']['value']:.3f} | {m['mae']['value']:.2f} | {m['qwk']['value']:.3f} |"
        )
        for part, v in m.get("labels", {}).items():
            means = ", ".join(f"{lab} {b['mean']}" for lab, b in v["by_label"].items())
            if "roc_auc" in v:
                f1 = f"{v['macro_f1_at_7']:.3f} ({v['macro_f1_majority_baseline']:.3f})"
                labelled.append(
                    f"| {link} | {part} | {v['n']} | {v['roc_auc']:.3f} | {f1} | {means} |"
                )
            else:
                labelled.append(f"| {link} | {part} | {v['n']} | | | {means} |")
    if len(labelled) > 3:
        rows += labelled
    return "\n".join(rows)


def bench_table() -> str:
    p = ROOT / "bench" / "results.md"
    if not p.exists():
        return "(run `make bench`)"
    body = (
        p.read_text().split("\n", 2)[2].replace("](", "](bench/").replace("](bench/http", "](http")
    )
    return (
        body.strip()
        + "\n\nFull outputs: [`bench/results.md`](bench/results.md) and the per-script pages it links."
    )


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    for marker, content in (
        ("RESULTS_TABLE", results_table()),
        ("BENCH_TABLE", bench_table()),
        ("SETTINGS_TABLE", settings_table()),
    ):
        text = re.sub(
            rf"<!-- {marker} -->.*?<!-- /{marker} -->|{marker}",
            lambda _m, marker=marker, content=content: (
                f"<!-- {marker} -->\n{content}\n<!-- /{marker} -->"
            ),
            text,
            flags=re.S,
        )
    readme.write_text(text)


if __name__ == "__main__":
    main()
