"""What every tab's callbacks share: turning a ``MockintError`` into a ``gr.Error``, and mapping a
handler's view (``handlers.TurnView`` / ``ReportView``) onto the components it updates."""

from __future__ import annotations

import functools
import inspect

import gradio as gr

from mockint.errors import MockintError
from mockint.ui import handlers as h
from mockint.ui import past
from mockint.ui.clock import clock_html

INTERVIEW_CONCURRENCY = 4  # turns graded at once (SQLite and the grader serialise what must be)
TURN_KW = {"concurrency_id": "interview", "concurrency_limit": INTERVIEW_CONCURRENCY}
SESSION_COLUMNS = ["id", "date", "mode", "questions", "mean", "status"]
TOPIC_COLUMNS = ["topic", "answers", "mean", "due for review"]
MATH = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]


def guard(fn):
    """Turn a ``MockintError`` into a ``gr.Error`` (one line in a toast, an error for API clients);
    a generator (a streaming callback) stays a generator, so Gradio streams its yields."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except MockintError as exc:
                raise gr.Error(exc.render()) from exc

        return streaming

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MockintError as exc:
            raise gr.Error(exc.render()) from exc

    return wrapper


EXPLAIN = "Explain your approach and its time / space complexity"


def turn_update(v: h.TurnView) -> tuple:
    """A turn's view onto (state, chat, answer box, code editor, feedback, model answer, its
    accordion, status, Run tests button, test results, microphone, upload, voice note, timer)."""
    text = v.editor == "text"
    keep = {} if v.keep_input else {"value": ""}
    keep_code = {} if v.keep_input or v.keep_code else {"value": ""}
    label = EXPLAIN if v.coding else "Your answer"
    return (
        v.state,
        v.chat,
        gr.update(visible=text or v.coding, label=label, **keep),
        gr.update(visible=not text, language=None if text else v.editor, **keep_code),
        v.feedback_html,
        v.model_answer,
        gr.update(visible=bool(v.model_answer), open=False),
        v.status,
        gr.update(visible=v.coding),
        gr.update(value="", visible=v.coding),
        gr.update(value=None, visible=not v.finished),
        gr.update(value=None, visible=not v.finished),
        "",
        clock_html(None, v.state),  # every turn sets the state's asked_at: no store read
    )


def report_update(v: past.ReportView) -> tuple:
    return v.html, (str(v.chart) if v.chart else None), [str(p) for p in v.files] or None
