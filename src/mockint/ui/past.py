"""The Report and History tabs' logic as plain functions: a session's report (HTML, chart and the
Markdown / JSON / HTML downloads) and the history (sessions, per-topic mastery, resumable
sessions, the mastery chart). Tests call them directly; ``tabs.py`` wires them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mockint.interview.export import export, safe_name
from mockint.interview.report import build_report
from mockint.ui import render
from mockint.ui.handlers import UIContext


@dataclass
class ReportView:
    html: str
    chart: Path | None = None
    files: list[Path] = field(default_factory=list)  # Markdown, JSON, HTML page


def report(ctx: UIContext, state: dict | None, session_id: str | None = None) -> ReportView:
    """The report of ``session_id`` (default: this tab's session), its chart and three downloads."""
    sid = (session_id or "").strip() or (state or {}).get("sid")
    if not sid:
        return ReportView(
            render.notice_html("No session yet: start an interview, or pick a past session.")
        )
    rep = build_report(
        ctx.store.load(sid), ctx.runtime.by_id, ctx.store.history(exclude_session=sid)
    )
    folder = ctx.folder(
        "reports", sid, secrets.token_hex(4)
    )  # a new folder per request: no stale files
    md, js = export(rep, folder)
    png = render.report_chart(rep)
    chart = None
    if png:
        chart = folder / f"interview-{safe_name(sid)}.png"
        chart.write_bytes(png)
    page = folder / f"interview-{safe_name(sid)}.html"
    page.write_text(render.report_page(rep, png), encoding="utf-8")
    return ReportView(render.report_html(rep), chart, [md, js, page])


def history(ctx: UIContext) -> dict:
    """Sessions (newest first), per-topic mastery, and the ids that can be resumed."""
    from mockint.interview.schedule import history_summary

    sessions, summary = history_summary(ctx.store, datetime.now(UTC))
    rows = [
        [s["id"], s["date"], s["mode"], s["questions"], s["mean_score"], s["status"]]
        for s in reversed(sessions)
    ]
    topics = [[t["topic"], t["answers"], t["mean_score"], t["due"]] for t in summary]
    chart = render.mastery_chart(ctx.store.history())
    chart_path = None
    if chart:
        ctx.files.mkdir(parents=True, exist_ok=True)
        chart_path = ctx.files / f"mastery-{secrets.token_hex(6)}.png"
        chart_path.write_bytes(chart)
    return {
        "sessions": rows,
        "topics": topics,
        "chart": chart_path,
        "resumable": [r[0] for r in rows if r[5] != "finished"],
        "all": [r[0] for r in rows],
    }
