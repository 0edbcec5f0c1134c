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
``review``, ``batch``, ``search``, ``question``, ``import_corpus``) for gradio_client.

Not here: turn logic (``handlers.py``), escaping and charts (``render.py``), starting a
server (``mockint ui`` in ``cli_ui.py``; ``launch_kwargs`` holds its launch settings).
"""

from __future__ import annotations

import functools
from functools import partial

from mockint import config as _config  # noqa: F401  (offline, no-telemetry environment before gradio loads)

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from mockint import llm  # noqa: E402
from mockint.corpus import TOPICS, TYPES  # noqa: E402
from mockint.errors import MockintError  # noqa: E402
from mockint.interviewer import MODES  # noqa: E402
from mockint.ui import handlers as h  # noqa: E402
from mockint.ui import tools  # noqa: E402
from mockint.ui.render import text_md  # noqa: E402

INTERVIEW_CONCURRENCY = 4  # turns graded at once (SQLite and the embedder serialise what must be)
_FROM_CONFIG = object()
SESSION_COLUMNS = ["id", "date", "mode", "questions", "mean", "status"]
TOPIC_COLUMNS = ["topic", "answers", "mean", "due for review"]
MATH = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def theme() -> gr.themes.Base:
    """The default theme with system fonts, so the page fetches no web fonts."""
    return gr.themes.Default(font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                             font_mono=["ui-monospace", "Consolas", "monospace"])


def launch_kwargs(**overrides) -> dict:
    """Settings for ``Blocks.launch``: no share link, no SSR (no Node), no browser, system fonts."""
    return {"share": False, "ssr_mode": False, "inbrowser": False, "show_error": False, "quiet": True,
            "theme": theme(), **overrides}


def _guard(fn):
    """Turn a ``MockintError`` into a ``gr.Error`` (one line in a toast, an error for API clients)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MockintError as exc:
            raise gr.Error(exc.render()) from exc
    return wrapper


def _turn(v: h.TurnView) -> tuple:
    text = v.editor == "text"
    keep = {} if v.keep_input else {"value": ""}
    return (v.state, v.chat, gr.update(visible=text, **keep),
            gr.update(visible=not text, language=None if text else v.editor, **keep),
            v.feedback_html, v.model_answer, gr.update(visible=bool(v.model_answer), open=False), v.status)


def _report(v: h.ReportView) -> tuple:
    return v.html, (str(v.chart) if v.chart else None), [str(p) for p in v.files] or None


def build_app(runtime, *, grader: str = "auto", chat=_FROM_CONFIG, store=None, files_dir=None,
              title: str = "mockint") -> gr.Blocks:
    """The app over ``runtime``; ``chat`` defaults to the configured LLM backend (None = rubric probes)."""
    if chat is _FROM_CONFIG:
        chat = llm.resolve_backend(runtime.config)
    if hasattr(chat, "start_in_background"):  # the local model loads while the page is opened
        chat.start_in_background()
    ctx = h.UIContext(runtime, grader=grader, chat=chat, store=store, files_dir=files_dir)
    turn_kw = {"concurrency_id": "interview", "concurrency_limit": INTERVIEW_CONCURRENCY}

    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        state = gr.State(h.new_state(), delete_callback=partial(h.pause, ctx))
        gr.Markdown("## mockint — mock interviews for ML and data-science roles")
        gr.Markdown(f"<small>{text_md(ctx.backend_line())}</small>", elem_id="mi-backend")
        with gr.Tabs() as tabs:
            # ---------------------------------------------------------- interview
            with gr.Tab("Interview", id="interview"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        topics = gr.CheckboxGroup(list(TOPICS), label="Topics (none = all)", elem_id="mi-topics")
                        types = gr.CheckboxGroup(list(TYPES), label="Question types (none = all)", elem_id="mi-types")
                        difficulty = gr.Dropdown(["any", "1", "2", "3"], value="any", label="Starting difficulty")
                        n_questions = gr.Slider(1, 20, value=3, step=1, label="Questions", elem_id="mi-n")
                        followups = gr.Slider(0, 3, value=1, step=1, label="Follow-ups per question",
                                              elem_id="mi-followups")
                        focus = gr.Textbox(label="Focus (your own words)", lines=2, elem_id="mi-focus",
                                           placeholder="NLP engineer: transformers and LLM fine-tuning")
                        mode = gr.Radio(list(MODES), value="practice", label="Mode", elem_id="mi-mode")
                        start_btn = gr.Button("Start interview", variant="primary", elem_id="mi-start")
                    with gr.Column(scale=2):
                        status = gr.Markdown("Set up an interview and press **Start interview**.", label="Status",
                                             elem_id="mi-status")
                        timer_md = gr.Markdown("", elem_id="mi-timer")
                        ticker = gr.Timer(1.0)
                        chatbot = gr.Chatbot(label="Interview", elem_id="mi-chat", height=420, sanitize_html=True,
                                             render_markdown=True, latex_delimiters=MATH[:1])
                        answer = gr.Textbox(label="Your answer", lines=6, max_lines=30, elem_id="mi-answer",
                                            placeholder="Type your answer (several lines are fine), then Submit.")
                        code = gr.Code(label="Your answer (code)", language="python", lines=10, interactive=True,
                                       visible=False, elem_id="mi-code")
                        with gr.Row():
                            submit_btn = gr.Button("Submit", variant="primary", elem_id="mi-submit")
                            hint_btn = gr.Button("Hint", elem_id="mi-hint")
                            skip_btn = gr.Button("Skip", elem_id="mi-skip")
                            idk_btn = gr.Button("I don't know", elem_id="mi-idk")
                            end_btn = gr.Button("End", variant="stop", elem_id="mi-end")
                        feedback = gr.HTML("", label="Feedback", elem_id="mi-feedback")
                        with gr.Accordion("Model answer", open=False, visible=False) as model_box:
                            model_answer = gr.Markdown(label="Model answer", elem_id="mi-model-answer", latex_delimiters=MATH)
            # ---------------------------------------------------------- report
            with gr.Tab("Report", id="report") as report_tab:
                with gr.Row():
                    report_pick = gr.Dropdown([], label="Session (empty = this tab's interview)",
                                              allow_custom_value=True, elem_id="mi-report-pick")
                    report_btn = gr.Button("Show report", elem_id="mi-report-btn")
                report_chart = gr.Image(type="filepath", label="Scores", interactive=False, elem_id="mi-report-chart")
                report_files = gr.File(label="Downloads (Markdown, JSON, HTML)", file_count="multiple",
                                       interactive=False, elem_id="mi-report-files")
                report_html = gr.HTML("", label="Report", elem_id="mi-report")
            # ---------------------------------------------------------- history
            with gr.Tab("History", id="history") as history_tab:
                history_btn = gr.Button("Refresh", elem_id="mi-history-btn")
                sessions_df = gr.Dataframe(pd.DataFrame(columns=SESSION_COLUMNS), label="Sessions", interactive=False)
                topics_df = gr.Dataframe(pd.DataFrame(columns=TOPIC_COLUMNS), label="Mastery per topic",
                                         interactive=False)
                mastery_img = gr.Image(type="filepath", label="Mastery per topic over time", interactive=False,
                                       elem_id="mi-mastery-chart")
                with gr.Row():
                    resume_pick = gr.Dropdown([], label="Unfinished session", allow_custom_value=True)
                    resume_btn = gr.Button("Resume in the Interview tab", elem_id="mi-resume")
                with gr.Row():
                    review_n = gr.Slider(1, 20, value=5, step=1, label="Review questions")
                    review_btn = gr.Button("Start a weak-spots review", elem_id="mi-review")
            # ---------------------------------------------------------- batch
            with gr.Tab("Batch", id="batch"):
                gr.Markdown("Grade a CSV or JSONL file with `question` (a corpus id or free text) and `answer` "
                            "columns, optionally `id` and `reference`.")
                batch_file = gr.File(label="Answers file", file_types=[".csv", ".tsv", ".jsonl", ".ndjson"],
                                     type="filepath")
                batch_grader = gr.Radio(["auto", "offline", "llm", "hybrid"], value=grader, label="Grader")
                batch_btn = gr.Button("Grade", variant="primary")
                batch_hist = gr.Image(type="filepath", label="Score histogram", interactive=False)
                batch_files = gr.File(label="Graded file and summary", file_count="multiple", interactive=False)
                batch_summary = gr.Markdown()
            # ---------------------------------------------------------- corpus
            with gr.Tab("Corpus", id="corpus"):
                with gr.Row():
                    search_text = gr.Textbox(label="Search the questions", scale=3)
                    search_k = gr.Slider(1, 20, value=5, step=1, label="Results", scale=1)
                search_topics = gr.CheckboxGroup(list(TOPICS), label="Topics (none = all)")
                search_btn = gr.Button("Search")
                results = gr.Dataframe(pd.DataFrame(columns=["similarity", "id", "question"]), interactive=False,
                                       label="Results (click a row to read it)")
                with gr.Row():
                    q_pick = gr.Dropdown([], label="Question id", allow_custom_value=True)
                    q_btn = gr.Button("Show reference answer and rubric")
                q_html = gr.HTML("")
                gr.Markdown("### Import your own questions (Markdown, CSV or JSONL)")
                imp_file = gr.File(label="Q&A file", file_types=[".md", ".markdown", ".csv", ".tsv", ".jsonl"],
                                   type="filepath")
                imp_section = gr.Textbox("Imported", label="Section name for CSV/JSONL records")
                imp_btn = gr.Button("Import")
                imp_msg = gr.Textbox(label="Result", lines=3, interactive=False)
                imp_out = gr.File(label="Imported questions (JSONL)", interactive=False)

        # -------------------------------------------------------------- wiring
        turn_out = [state, chatbot, answer, code, feedback, model_answer, model_box, status]

        @_guard
        def on_start(st, topics, types, difficulty, questions, followups, focus, mode):
            return _turn(h.start(ctx, st, topics=topics, types=types, difficulty=difficulty, questions=questions,
                                 focus=focus, mode=mode, followups=followups))

        @_guard
        def on_submit(st, answer, code):
            return _turn(h.respond(ctx, st, answer, code))

        def mover(which):
            return _guard(lambda st: _turn(h.move(ctx, st, which)))

        ticker.tick(lambda st: h.clock(ctx, st), [state], [timer_md], show_progress="hidden",
                    concurrency_limit=None)
        start_btn.click(on_start, [state, topics, types, difficulty, n_questions, followups, focus, mode], turn_out,
                        api_name="start", **turn_kw)
        submit_btn.click(on_submit, [state, answer, code], turn_out, api_name="submit", **turn_kw)
        for btn, which in ((hint_btn, "hint"), (skip_btn, "skip"), (idk_btn, "idk"), (end_btn, "end")):
            btn.click(mover(which), [state], turn_out, api_name=which, **turn_kw)

        @_guard
        def on_report(st, session_id):
            return _report(h.report(ctx, st, session_id))

        @_guard
        def on_report_tab(st):
            sid = st.get("sid")
            return (gr.update(choices=h.history(ctx)["all"], value=sid), *_report(h.report(ctx, st)))

        report_out = [report_html, report_chart, report_files]
        report_btn.click(on_report, [state, report_pick], report_out, api_name="report")
        report_tab.select(on_report_tab, [state], [report_pick, *report_out], api_visibility="private")

        @_guard
        def on_history():
            data = h.history(ctx)
            return (pd.DataFrame(data["sessions"], columns=SESSION_COLUMNS),
                    pd.DataFrame(data["topics"], columns=TOPIC_COLUMNS),
                    gr.update(choices=data["resumable"], value=(data["resumable"] or [None])[0]),
                    str(data["chart"]) if data["chart"] else None)

        history_out = [sessions_df, topics_df, resume_pick, mastery_img]
        history_btn.click(on_history, None, history_out, api_name="history")
        history_tab.select(on_history, None, history_out, api_visibility="private")

        @_guard
        def on_resume(st, session_id):
            return (*_turn(h.resume(ctx, st, session_id)), gr.Tabs(selected="interview"))

        @_guard
        def on_review(st, questions, mode):
            return (*_turn(h.review(ctx, st, questions=questions, mode=mode)), gr.Tabs(selected="interview"))

        resume_btn.click(on_resume, [state, resume_pick], [*turn_out, tabs], api_name="resume", **turn_kw)
        review_btn.click(on_review, [state, review_n, mode], [*turn_out, tabs], api_name="review", **turn_kw)

        @_guard
        def on_batch(answers_file, grader_kind, progress=gr.Progress()):
            v = tools.batch(ctx, answers_file, grader_kind, progress=lambda done, total: progress((done, total), desc="grading"))
            return v.summary, (str(v.histogram) if v.histogram else None), [str(p) for p in v.files]

        batch_btn.click(on_batch, [batch_file, batch_grader], [batch_summary, batch_hist, batch_files],
                        api_name="batch", concurrency_limit=1)

        @_guard
        def on_search(text, k, topics):
            rows = tools.search(ctx, text, k, topics)
            ids = [r[1] for r in rows]
            return (pd.DataFrame(rows, columns=["similarity", "id", "question"]),
                    gr.update(choices=ids, value=ids[0] if ids else None),
                    tools.question(ctx, ids[0]) if ids else "")

        @_guard
        def on_question(question_id):
            return tools.question(ctx, question_id)

        def on_row(evt: gr.SelectData):
            row = evt.row_value or []
            qid = str(row[1]) if len(row) > 1 else ""
            return gr.update(value=qid), tools.question(ctx, qid)

        search_btn.click(on_search, [search_text, search_k, search_topics], [results, q_pick, q_html],
                         api_name="search")
        search_text.submit(on_search, [search_text, search_k, search_topics], [results, q_pick, q_html],
                           api_visibility="private")
        q_btn.click(on_question, [q_pick], q_html, api_name="question")
        results.select(on_row, None, [q_pick, q_html], api_visibility="private")

        @_guard
        def on_import(qa_file, section):
            message, out = tools.import_corpus(ctx, qa_file, section)
            return message, str(out)

        imp_btn.click(on_import, [imp_file, imp_section], [imp_msg, imp_out], api_name="import_corpus",
                      concurrency_limit=1)

    demo.queue(default_concurrency_limit=2)
    demo.mockint_context = ctx  # for tests and the load benchmark; not used by the callbacks
    return demo
