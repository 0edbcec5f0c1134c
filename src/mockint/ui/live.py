"""Live turns in the web UI: the quick grade at once, the follow-up streamed, the verdict in place.

``respond_live`` answers with the quick grade (the judgement model, well under a second) and the
next prompt, then streams an LLM's phrasing of a pending follow-up piece by piece, then starts the
LLM's verdicts in a background thread (``judging``). The page's ``tick`` shows the
timer, replaces the feedback panel when a verdict changed the score shown there (a stale tick
repairs itself a second later: the panel follows the tab's state), and carries the notice that the
LLM is not answering; with no LLM it only re-anchors the clock, which the page's script counts
on its own (``clock.CLOCK_JS``, ``clock.TICK_S``). Nothing here changes the conversation or the answer box after the fact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

from mockint.interview.engine import Interview
from mockint.ui import handlers as h
from mockint.ui import render
from mockint.ui.clock import clock_html

_JUDGING: set[str] = set()
_JUDGING_LOCK = threading.Lock()


def judging(ctx: h.UIContext, session_id: str) -> threading.Thread | None:
    """Run the session's pending LLM verdicts in a thread (one per session at a time); None when one
    is already running (it picks up new ones before it ends)."""
    if ctx.grader.quick() is ctx.grader:
        return None
    with _JUDGING_LOCK:
        if session_id in _JUDGING:
            return None
        _JUDGING.add(session_id)

    def run() -> None:
        try:
            iv = Interview(
                ctx.runtime, ctx.store, session_id, grader=ctx.grader, chat=ctx.chat, live=True
            )
            while iv.judge_later():
                pass
        finally:
            with _JUDGING_LOCK:
                _JUDGING.discard(session_id)

    thread = threading.Thread(target=run, name=f"mockint-judge-{session_id}", daemon=True)
    thread.start()
    return thread


def respond_live(
    ctx: h.UIContext, state: dict, text: str = "", code: str = ""
) -> Iterator[h.TurnView]:
    """``handlers.respond``, then the follow-up as the LLM writes it, then the verdicts in the
    background. Each yield is a complete view of the tab."""
    view = h.respond(ctx, state, text, code)
    iv = Interview(
        ctx.runtime, ctx.store, view.state["sid"], grader=ctx.grader, chat=ctx.chat, live=ctx.live
    )
    if iv.pending_phrasing() is not None:
        view = _last_said(view, "**Follow-up:** …")
        yield view
        for partial in iv.stream_followup():
            view = _last_said(view, f"**Follow-up:** {render.text_md(partial)}")
            yield view
        iv._reload()
        view = replace(view, status=h.status_md(ctx, iv))
    judging(ctx, view.state["sid"])
    yield view


def _last_said(view: h.TurnView, content: str) -> h.TurnView:
    """The view with its last message replaced (a new list: each yield is its own view)."""
    chat = [*view.chat[:-1], h.say("assistant", content)]
    return replace(view, state={**view.state, "chat": chat})


def tick(ctx: h.UIContext, state: dict | None) -> tuple[str, str | None, str]:
    """(timer line as HTML, the feedback panel again when a verdict changed its score, else None,
    the LLM notice as HTML or "")."""
    chat = ctx.chat if ctx.chat is not None else ctx.grader.model
    notice = chat.notice() if chat is not None else ""
    notice_html = render.notice_html(notice) if notice else ""
    shown = (state or {}).get("shown")
    later = ctx.grader.quick() is not ctx.grader  # an LLM's verdict may still replace the grade
    if not later or not shown or not (state or {}).get("sid"):
        return clock_html(ctx, state), None, notice_html
    iv = Interview(ctx.runtime, ctx.store, state["sid"], grader=ctx.grader, chat=ctx.chat)
    summary = iv.summary(shown["position"])
    if summary.score == shown["score"]:
        return clock_html(ctx, state), None, notice_html
    note = render.notice_html(
        f"The LLM's verdict is in: {_score(shown['score'])} → {_score(summary.score)} (key points updated)."
    )
    return clock_html(ctx, state), note + render.feedback_html(summary), notice_html


def _score(x: float | None) -> str:
    return "not graded" if x is None else f"{x:.1f}"
