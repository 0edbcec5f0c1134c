"""The Gradio Blocks app: five tabs wired to ``handlers.py``. ``build_app`` never launches.

Tabs: Interview (setup panel, conversation, answer box or code editor, Submit / Hint /
Skip / I don't know / End, practice-mode feedback with the model answer in an
accordion), Report (chart, the report, Markdown / JSON / HTML downloads), History
(sessions, per-topic mastery, resume, weak-spots review), Batch (grade a CSV/JSONL
file) and Corpus (search, reference answer and rubric, import a Q&A file).

The app receives its parts (a ``Runtime``, the grader kind, an optional ``ChatModel`` for
the interviewer's voice, the ``Store``); per-browser-session state lives only in a
``gr.State`` (the session id and the transcript). Callbacks are thin: they call one
handler and map its result onto components; a ``MockintError`` becomes a ``gr.Error``
with its one-line message. Every API endpoint has a stable ``api_name`` (``start``,
``submit``, ``hint``, ``skip``, ``idk``, ``end``, ``report``, ``history``, ``resume``,
``review``, ``batch``, ``search``, ``question``, ``import_corpus``, and ``tick``: the page's
timer) for gradio_client.

Not here: turn logic (``handlers.py``), escaping and charts (``render.py``), starting a
server (``mockint ui`` in ``cli_ui.py``; ``launch_kwargs`` holds its launch settings).
"""

from __future__ import annotations

from functools import partial

import gradio as gr

from mockint import config as _config  # noqa: F401  (offline, no-telemetry environment before gradio loads)
from mockint.ui import handlers as h
from mockint.ui import tabs
from mockint.ui.clock import CLOCK_JS
from mockint.ui.interview_tab import interview_tab
from mockint.ui.render import text_md

_FROM_CONFIG = object()


def theme() -> gr.themes.Base:
    """The default theme with system fonts, so the page fetches no web fonts."""
    return gr.themes.Default(
        font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


def launch_kwargs(**overrides) -> dict:
    """Settings for ``Blocks.launch``: no share link, no SSR (no Node), no browser, system fonts,
    the page's clock (``clock.CLOCK_JS``)."""
    return {
        "js": CLOCK_JS,
        "share": False,
        "ssr_mode": False,
        "inbrowser": False,
        "show_error": False,
        "quiet": True,
        "theme": theme(),
        **overrides,
    }


def build_app(
    runtime,
    *,
    grader: str = "auto",
    chat=_FROM_CONFIG,
    store=None,
    files_dir=None,
    title: str = "mockint",
) -> gr.Blocks:
    """The app over ``runtime``; ``chat`` defaults to the configured LLM backend (None = rubric probes)."""
    if chat is _FROM_CONFIG:
        chat = runtime.chat
    if chat is not None:  # a local model loads while the page is opened
        chat.start_in_background()
    ctx = h.UIContext(runtime, grader=grader, chat=chat, store=store, files_dir=files_dir)
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        state = gr.State(h.new_state(), delete_callback=partial(h.pause, ctx))
        gr.Markdown("## mockint — mock interviews for ML and data-science roles")
        gr.Markdown(f"<small>{text_md(ctx.backend_line())}</small>", elem_id="mi-backend")
        with gr.Tabs() as tab_set:
            with gr.Tab("Interview", id="interview"):
                interview = interview_tab(ctx, state)
            with gr.Tab("Report", id="report") as report:
                tabs.report_tab(ctx, state, report)
            with gr.Tab("History", id="history") as history:
                tabs.history_tab(ctx, state, history, interview, tab_set)
            with gr.Tab("Batch", id="batch"):
                tabs.batch_tab(ctx, grader)
            with gr.Tab("Corpus", id="corpus"):
                tabs.corpus_tab(ctx)
    demo.queue(default_concurrency_limit=2)
    demo.mockint_context = ctx  # for tests and the load benchmark; not used by the callbacks
    return demo
