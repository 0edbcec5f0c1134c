"""The Report, History, Batch and Corpus tabs: each lays out its components and wires them to
``handlers`` (reports, history) or ``tools`` (batch grading, corpus search and import)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pandas as pd

from mockint.corpus.schema import TOPICS
from mockint.ui import handlers as h
from mockint.ui import past, tools
from mockint.ui.wiring import (
    SESSION_COLUMNS,
    TOPIC_COLUMNS,
    TURN_KW,
    guard,
    report_update,
    turn_update,
)


def svg_image(**kw) -> gr.Image:
    """An output image for the report's SVG chart. Gradio sends an SVG inline (a data URL) and,
    since every gr.Image carries default watermark options, pops up "Watermarking for SVG images
    is currently not supported" on each one; without the options there is nothing to warn about
    (the attribute is only read when an image is sent)."""
    image = gr.Image(type="filepath", interactive=False, **kw)
    image.watermark = None
    return image


def report_tab(ctx: h.UIContext, state: gr.State, tab: gr.Tab) -> None:
    with gr.Row():
        pick = gr.Dropdown(
            [],
            label="Session (empty = this tab's interview)",
            allow_custom_value=True,
            elem_id="mi-report-pick",
        )
        show = gr.Button("Show report", elem_id="mi-report-btn")
    chart = svg_image(label="Scores", elem_id="mi-report-chart")
    files = gr.File(
        label="Downloads (Markdown, JSON, HTML)",
        file_count="multiple",
        interactive=False,
        elem_id="mi-report-files",
    )
    page = gr.HTML("", label="Report", elem_id="mi-report")
    out = [page, chart, files]

    @guard
    def on_report(st, session_id):
        return report_update(past.report(ctx, st, session_id))

    @guard
    def on_open(st):
        choices = gr.update(choices=past.history(ctx)["all"], value=st.get("sid"))
        return (choices, *report_update(past.report(ctx, st)))

    show.click(on_report, [state, pick], out, api_name="report")
    tab.select(on_open, [state], [pick, *out], api_visibility="private")


def history_tab(
    ctx: h.UIContext, state: gr.State, tab: gr.Tab, interview: SimpleNamespace, tab_set: gr.Tabs
) -> None:
    refresh = gr.Button("Refresh", elem_id="mi-history-btn")
    sessions = gr.Dataframe(
        pd.DataFrame(columns=SESSION_COLUMNS), label="Sessions", interactive=False
    )
    topics = gr.Dataframe(
        pd.DataFrame(columns=TOPIC_COLUMNS), label="Mastery per topic", interactive=False
    )
    chart = gr.Image(
        type="filepath",
        label="Mastery per topic over time",
        interactive=False,
        elem_id="mi-mastery-chart",
    )
    with gr.Row():
        resume_pick = gr.Dropdown([], label="Unfinished session", allow_custom_value=True)
        resume = gr.Button("Resume in the Interview tab", elem_id="mi-resume")
    with gr.Row():
        review_n = gr.Slider(1, 20, value=5, step=1, label="Review questions")
        review = gr.Button("Start a weak-spots review", elem_id="mi-review")

    @guard
    def on_history():
        data = past.history(ctx)
        return (
            pd.DataFrame(data["sessions"], columns=SESSION_COLUMNS),
            pd.DataFrame(data["topics"], columns=TOPIC_COLUMNS),
            gr.update(choices=data["resumable"], value=(data["resumable"] or [None])[0]),
            str(data["chart"]) if data["chart"] else None,
        )

    @guard
    def on_resume(st, session_id):
        return (*turn_update(past.resume(ctx, st, session_id)), gr.Tabs(selected="interview"))

    @guard
    def on_review(st, questions, mode):
        view = h.review(ctx, st, questions=questions, mode=mode)
        return (*turn_update(view), gr.Tabs(selected="interview"))

    out = [sessions, topics, resume_pick, chart]
    refresh.click(on_history, None, out, api_name="history")
    tab.select(on_history, None, out, api_visibility="private")
    moved = [*interview.turn_out, tab_set]
    resume.click(on_resume, [state, resume_pick], moved, api_name="resume", **TURN_KW)
    review.click(
        on_review, [state, review_n, interview.setup.mode], moved, api_name="review", **TURN_KW
    )


def batch_tab(ctx: h.UIContext, grader: str) -> None:
    gr.Markdown(
        "Grade a CSV or JSONL file with `question` (a corpus id or free text) and `answer` "
        "columns, optionally `id` and `reference`. Spoken answers: an `audio` column naming "
        "recordings you upload beside the file (transcribed on this machine, then graded)."
    )
    upload = gr.File(
        label="Answers file", file_types=[".csv", ".tsv", ".jsonl", ".ndjson"], type="filepath"
    )
    recordings = gr.File(
        label="Recordings named in the audio column (optional)",
        file_count="multiple",
        file_types=["audio"],
        type="filepath",
        elem_id="mi-batch-audio",
    )
    kind = gr.Radio(["auto", "offline", "llm", "hybrid"], value=grader, label="Grader")
    go = gr.Button("Grade", variant="primary")
    histogram = gr.Image(type="filepath", label="Score histogram", interactive=False)
    files = gr.File(label="Graded file and summary", file_count="multiple", interactive=False)
    summary = gr.Markdown()

    @guard
    def on_batch(answers_file, grader_kind, audio_files, progress=gr.Progress()):
        v = tools.batch(
            ctx,
            answers_file,
            grader_kind,
            progress=lambda done, total: progress((done, total), desc="grading"),
            recordings=audio_files,
        )
        return v.summary, (str(v.histogram) if v.histogram else None), [str(p) for p in v.files]

    go.click(
        on_batch,
        [upload, kind, recordings],
        [summary, histogram, files],
        api_name="batch",
        concurrency_limit=1,
    )


def corpus_tab(ctx: h.UIContext) -> None:
    with gr.Row():
        text = gr.Textbox(label="Search the questions", scale=3)
        k = gr.Slider(1, 20, value=5, step=1, label="Results", scale=1)
    topics = gr.CheckboxGroup(list(TOPICS), label="Topics (none = all)")
    search = gr.Button("Search")
    results = gr.Dataframe(
        pd.DataFrame(columns=["similarity", "id", "question"]),
        interactive=False,
        label="Results (click a row to read it)",
    )
    with gr.Row():
        pick = gr.Dropdown([], label="Question id", allow_custom_value=True)
        show = gr.Button("Show reference answer and rubric")
    page = gr.HTML("")

    @guard
    def on_search(query, n, chosen):
        rows = tools.search(ctx, query, n, chosen)
        ids = [r[1] for r in rows]
        return (
            pd.DataFrame(rows, columns=["similarity", "id", "question"]),
            gr.update(choices=ids, value=ids[0] if ids else None),
            tools.question(ctx, ids[0]) if ids else "",
        )

    def on_row(evt: gr.SelectData):
        row = evt.row_value or []
        qid = str(row[1]) if len(row) > 1 else ""
        return gr.update(value=qid), tools.question(ctx, qid)

    out = [results, pick, page]
    search.click(on_search, [text, k, topics], out, api_name="search")
    text.submit(on_search, [text, k, topics], out, api_visibility="private")
    show.click(guard(lambda qid: tools.question(ctx, qid)), [pick], page, api_name="question")
    results.select(on_row, None, [pick, page], api_visibility="private")
    _import_panel(ctx)


def _import_panel(ctx: h.UIContext) -> None:
    gr.Markdown("### Import your own questions (Markdown, CSV or JSONL)")
    upload = gr.File(
        label="Q&A file", file_types=[".md", ".markdown", ".csv", ".tsv", ".jsonl"], type="filepath"
    )
    section = gr.Textbox("Imported", label="Section name for CSV/JSONL records")
    go = gr.Button("Import")
    message = gr.Textbox(label="Result", lines=3, interactive=False)
    out = gr.File(label="Imported questions (JSONL)", interactive=False)

    @guard
    def on_import(qa_file, section_name):
        text, path = tools.import_corpus(ctx, qa_file, section_name)
        return text, str(path)

    go.click(
        on_import, [upload, section], [message, out], api_name="import_corpus", concurrency_limit=1
    )
