"""The interview's clock: time on the question waiting for an answer. The server renders it with
the seconds so far (``clock_html``); the page's script (``CLOCK_JS``, passed to ``launch``) counts
on from there every second, so the page's timer asks the server only as often as something else
may change (``TICK_S``).

>>> from datetime import UTC, datetime, timedelta
>>> now = datetime(2026, 1, 1, tzinfo=UTC)
>>> clock(None, {"sid": "s1", "asked_at": (now - timedelta(seconds=75)).isoformat()}, now)
'Time on this question: 1:15'
"""

from __future__ import annotations

from datetime import UTC, datetime

from mockint.interview.records import pending_turn

# The page's timer: with an LLM it asks the server every second (a verdict that replaces the grade,
# the notice that the LLM is not answering); with the offline grader nothing can change between
# turns, so it only re-anchors the clock twice a minute. The clock itself counts in the page
# (CLOCK_JS): 50 open pages asking every second cost the server more than their answers
# (bench/ui_load-50.md, bench/ui_load-timer-1s.md).
TICK_S = {"llm": 1.0, "offline": 30.0}
CLOCK_JS = """
() => {
  const text = (s) => `Time on this question: ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  setInterval(() => {
    for (const el of document.querySelectorAll("#mi-timer .mi-clock")) {
      if (el.dataset.seen === undefined) el.dataset.seen = String(Date.now());
      const s = Number(el.dataset.elapsed) + Math.floor((Date.now() - Number(el.dataset.seen)) / 1000);
      if (el.textContent !== text(s)) el.textContent = text(s);
    }
  }, 1000);
}
"""


def clock(ctx, state: dict | None, now: datetime | None = None) -> str:
    """The timer line: time spent on the question now waiting for an answer ("" when none)."""
    seconds = _waited(ctx, state, now)
    return "" if seconds is None else _clock_text(seconds)


def clock_html(ctx, state: dict | None, now: datetime | None = None) -> str:
    """The timer line as the page shows it: the seconds so far in ``data-elapsed``; the page's
    script (``CLOCK_JS``) counts on from there every second, so the server is
    asked only when something else may have changed."""
    seconds = _waited(ctx, state, now)
    if seconds is None:
        return ""
    return f'<span class="mi-clock" data-elapsed="{seconds}">{_clock_text(seconds)}</span>'


def _clock_text(seconds: int) -> str:
    return f"Time on this question: {seconds // 60}:{seconds % 60:02d}"  # text: no emoji font


def _waited(ctx, state: dict | None, now: datetime | None) -> int | None:
    """Seconds since the waiting question was asked (None: no question waits). The page's state
    carries when it was asked (every turn sets it), so the timer reads no session file; a state
    from before that key existed falls back to the store."""
    sid = (state or {}).get("sid")
    if not sid:
        return None
    if "asked_at" in state:
        if state["asked_at"] is None:
            return None
        asked = datetime.fromisoformat(state["asked_at"])
    else:
        record = ctx.store.load(sid)
        pending = pending_turn(record)
        if record.session.status == "finished" or pending is None:
            return None
        asked = pending.asked_at
    return max(0, int(((now or datetime.now(UTC)) - asked).total_seconds()))
