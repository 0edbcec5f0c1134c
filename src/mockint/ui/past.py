"""The Report and History tabs' logic as plain functions: a session's report (HTML, chart and the
Markdown / JSON / HTML downloads) and the history (sessions, per-topic mastery, resumable
sessions, the mastery chart). Tests call them directly; ``tabs.py`` wires them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mockint.errors import SessionError
from mockint.interview.engine import Interview
from mockint.interview.export import export, safe_name
from mockint.interview.moves import Prompt
from mockint.interview.report import build_report
from mockint.ui import render
from mockint.ui.handlers import (
    TurnView,
    UIContext,
    intro_messages,
    pause,
    prompt_md,
    say,
    turn_view,
)
from mockint.ui.svgchart import report_chart


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
    svg = report_chart(rep)
    chart = None
    if svg:
        chart = folder / f"interview-{safe_name(sid)}.svg"
        chart.write_bytes(svg)
    page = folder / f"interview-{safe_name(sid)}.html"
    page.write_text(render.report_page(rep, svg), encoding="utf-8")
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


def transcript(ctx: UIContext, iv: Interview) -> list[dict]:
    """The conversation so far, rebuilt from the store (for a resumed session)."""
    chat = intro_messages(iv)
    said = {"skipped": "skip", "idk": "I don't know", "ended": "end"}
    for t in iv.record.turns:
        p = Prompt(
            t.id,
            t.kind,
            t.position,
            iv.setup.questions,
            t.prompt,
            t.question_id,
            t.topics,
            iv.setup.seconds_per_answer,
        )
        chat.append(say("assistant", prompt_md(p, ctx.runtime.by_id.get(t.question_id))))
        if t.outcome == "answered" and t.answer:
            chat.append(say("user", render.text_md(t.answer)))
        elif t.outcome in said:
            chat.append(say("user", f"*{said[t.outcome]}*"))
    return chat


def resume(ctx: UIContext, state: dict | None, session_id: str) -> TurnView:
    """Continue an unfinished session in this tab (the tab's own unfinished one is paused)."""
    session_id = (session_id or "").strip()
    if not session_id:
        raise SessionError("no session chosen", fix="pick an unfinished session in the History tab")
    if (state or {}).get("sid") and state["sid"] != session_id:
        pause(ctx, state)
    iv = Interview.resume(
        session_id, ctx.runtime, grader=ctx.grader, chat=ctx.chat, store=ctx.store, live=ctx.live
    )
    chat = transcript(ctx, iv) + [say("assistant", "(resumed)")]
    return turn_view(ctx, iv, chat)
