"""The session report written out: Markdown (``to_markdown``) and JSON files in a folder
(``export``), with file names made safe (``safe_name``). The report's content is ``report.py``'s.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mockint.errors import SessionError


def _quote(text: str) -> str:
    return " ".join(text.split())


def to_markdown(report: dict) -> str:
    s, m = report["session"], report["summary"]
    mean = "n/a" if m["mean_score"] is None else f"{m['mean_score']:.1f} / 10"
    lines = [
        f"# Interview {s['id']}",
        "",
        f"- mode: {s['mode']}; status: {s['status']}; grader: {s['grader']}; started {s['created_at']}",
        f"- {m['asked']} asked, {m['answered']} answered, {m['skipped']} skipped; mean score {mean}; "
        f"time {m['total_seconds']:.0f} s",
        "",
    ]
    if m["previous_mean_score"] is not None:
        lines += [f"Earlier sessions averaged {m['previous_mean_score']:.1f} / 10.", ""]
    if report.get("delivery"):
        d = report["delivery"]
        lines += [
            f"Delivery ({d['answers']} answer(s) out loud, {d['seconds']:.0f} s): {d['wpm']:.0f} "
            f"words/min, {d['filler_count']} filler word(s) ({d['fillers_per_100_words']:.1f} per "
            f"100 words), {d['long_pauses']} long pause(s).",
            "",
        ]
    for q in report["questions"]:
        lines += _question_markdown(q)
    if report["topics"]:
        lines += [
            "## Topics",
            "",
            "| topic | score | n | earlier | trend |",
            "|---|---|---|---|---|",
        ]
        for t in report["topics"]:
            prev = "—" if t["previous"] is None else f"{t['previous']:.1f}"
            trend = "—" if t["trend"] is None else f"{t['trend']:+.1f}"
            lines.append(f"| {t['topic']} | {t['score']:.1f} | {t['n']} | {prev} | {trend} |")
        lines.append("")
    if report["study"]:
        lines += ["## Study list", ""]
        for item in report["study"]:
            lines.append(f"- `{item['question_id']}` {item['question']}")
            lines += [f"  - {point}" for point in item["study"]]
        lines.append("")
    return "\n".join(lines)


def _question_markdown(q: dict) -> list[str]:
    score = "not graded" if q["score"] is None else f"{q['score']:.1f} / 10 ({q['verdict']})"
    hints = f" — {q['hints']} hint(s)" if q["hints"] else ""
    lines = [
        f"## {q['position']}. {q['question']}",
        "",
        f"`{q['question_id']}` — {', '.join(q['topics'])} — {q['outcome']} — {score} — "
        f"{q['seconds']:.0f} s{hints}",
        "",
    ]
    if q["answer"]:
        lines += ["**Your answer:** " + _quote(q["answer"]), ""]
    for f in q["followups"]:
        reply = _quote(f["answer"]) or "(" + f["outcome"] + ")"
        lines += [f"**Follow-up:** {f['prompt']}", "", f"**Reply:** {reply}", ""]
    if q["covered"]:
        lines += [
            "Covered:",
            *[
                f"- [{k['status']}] {k['text']}"
                + (f" — “{_quote(k['quote'])}”" if k["quote"] else "")
                for k in q["covered"]
            ],
            "",
        ]
    if q["missed"]:
        lines += ["Missed:", *[f"- [{k['status']}] {k['text']}" for k in q["missed"]], ""]
    if q.get("tests"):
        from mockint.grading.schema import CodeReport

        code = CodeReport.model_validate(q["tests"])
        failed = sorted({r.kind for r in code.rows if not r.passed})
        lines += [
            f"Tests: {code.summary()}"
            + (f" Failing kinds: {', '.join(failed)}." if failed else ""),
            "",
        ]
    if q.get("delivery") and q["delivery"]["words"]:
        from mockint.speech.delivery import summary_line

        d = q["delivery"]
        lines += [f"Delivery: {summary_line(d)}", *[f"- {a}" for a in d.get("advice", [])], ""]
    if q["model_answer"]:
        lines += [
            "<details><summary>Model answer</summary>",
            "",
            q["model_answer"],
            "",
            "</details>",
            "",
        ]
    return lines


def safe_name(name: str) -> str:
    """A file name with no directory parts or odd characters; a short extension survives.

    >>> safe_name("../../etc/passwd"), safe_name("a b/c.md"), safe_name("answers..csv")
    ('etc_passwd', 'a_b_c.md', 'answers.csv')
    """
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "_", name))  # no "/", no ".."
    cleaned = re.sub(r"_+", "_", cleaned).strip("._-")
    stem, dot, ext = cleaned.rpartition(".")
    if len(cleaned) > 120 and dot and len(ext) <= 10:  # shorten the stem, keep the type
        return f"{stem[: 119 - len(ext)]}.{ext}"
    return cleaned[:120] or "session"


def export(report: dict, folder: Path, name: str | None = None) -> tuple[Path, Path]:
    """Write ``<name>.md`` and ``<name>.json`` into ``folder`` (name sanitised, default the session id)."""
    base = safe_name(name or f"interview-{report['session']['id']}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    md, js = folder / f"{base}.md", folder / f"{base}.json"
    for path in (md, js):
        if path.resolve().parent != folder.resolve():
            raise SessionError(f"refusing to write a report outside {folder}", where=str(path))
    md.write_text(to_markdown(report), encoding="utf-8")
    js.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return md, js
