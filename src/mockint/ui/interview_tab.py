"""The Interview tab: the setup panel, the conversation, the answer box (or a code editor for
coding and SQL questions; both for a coding problem, with Run tests and its results table),
Submit / Hint / Skip / I don't know / End, the practice-mode feedback and the model answer; wired
to ``handlers.start`` / ``respond`` / ``run_tests`` / ``move`` and ``live.tick``."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from mockint.corpus.schema import TOPICS, TYPES
from mockint.interview.choice import TRACKS
from mockint.interview.moves import MODES
from mockint.speech.live import STREAM_EVERY_S
from mockint.ui import code as code_ui
from mockint.ui import handlers as h
from mockint.ui import live, voice
from mockint.ui.clock import TICK_S
from mockint.ui.wiring import MATH, TURN_KW, guard, turn_update


def _setup_panel() -> SimpleNamespace:
    with gr.Column(scale=1, min_width=260):
        return SimpleNamespace(
            topics=gr.CheckboxGroup(list(TOPICS), label="Topics (none = all)", elem_id="mi-topics"),
            types=gr.CheckboxGroup(
                list(TYPES), label="Question types (none = all)", elem_id="mi-types"
            ),
            difficulty=gr.Dropdown(
                ["any", "1", "2", "3"], value="any", label="Starting difficulty"
            ),
            n_questions=gr.Slider(1, 20, value=3, step=1, label="Questions", elem_id="mi-n"),
            followups=gr.Slider(
                0, 3, value=1, step=1, label="Follow-ups per question", elem_id="mi-followups"
            ),
            focus=gr.Textbox(
                label="Focus (your own words)",
                lines=2,
                elem_id="mi-focus",
                placeholder="NLP engineer: transformers and LLM fine-tuning",
            ),
            mode=gr.Radio(list(MODES), value="practice", label="Mode", elem_id="mi-mode"),
            track=gr.Radio(
                list(TRACKS),
                value="concepts",
                label="Track (coding: Python, pandas and SQL problems; your code runs on tests)",
                elem_id="mi-track",
            ),
            speak=gr.Checkbox(
                False, label="Read questions aloud (your browser's voice)", elem_id="mi-speak"
            ),
            start=gr.Button("Start interview", variant="primary", elem_id="mi-start"),
        )


def _voice_inputs() -> dict:
    """The microphone (streamed to the server while it records), an upload, the voice note."""
    return {
        "mic": gr.Audio(
            sources=["microphone"],
            streaming=True,
            type="numpy",
            label="Answer out loud (transcribed on this machine while you speak; check the text, "
            "then Submit)",
            elem_id="mi-mic",
        ),
        "upload": gr.Audio(
            sources=["upload"],
            type="filepath",
            label="…or upload a recording (WAV, MP3, M4A, WebM, OGG)",
            elem_id="mi-upload",
        ),
        "voice_note": gr.Markdown("", elem_id="mi-voice-note"),
    }


def _conversation(tick_s: float) -> SimpleNamespace:
    with gr.Column(scale=2):
        ui = SimpleNamespace(
            notice=gr.HTML("", elem_id="mi-llm-notice"),
            status=gr.Markdown(
                "Set up an interview and press **Start interview**.", elem_id="mi-status"
            ),
            timer=gr.HTML("", elem_id="mi-timer"),
            ticker=gr.Timer(tick_s),
            chat=gr.Chatbot(
                label="Interview",
                elem_id="mi-chat",
                height=420,
                sanitize_html=True,
                render_markdown=True,
                latex_delimiters=MATH[:1],
            ),
            answer=gr.Textbox(
                label="Your answer",
                lines=6,
                max_lines=30,
                elem_id="mi-answer",
                placeholder="Type your answer (several lines are fine), then Submit.",
            ),
            code=gr.Code(
                label="Your answer (code)",
                language="python",
                lines=10,
                interactive=True,
                visible=False,
                elem_id="mi-code",
            ),
            **_voice_inputs(),
        )
        with gr.Row():
            ui.buttons = {
                "submit": gr.Button("Submit", variant="primary", elem_id="mi-submit"),
                "run": gr.Button("Run tests", visible=False, elem_id="mi-run"),
                "hint": gr.Button("Hint", elem_id="mi-hint"),
                "skip": gr.Button("Skip", elem_id="mi-skip"),
                "idk": gr.Button("I don't know", elem_id="mi-idk"),
                "end": gr.Button("End", variant="stop", elem_id="mi-end"),
            }
        ui.tests = gr.HTML("", visible=False, elem_id="mi-tests")
        ui.feedback = gr.HTML("", label="Feedback", elem_id="mi-feedback")
        with gr.Accordion("Model answer", open=False, visible=False) as ui.model_box:
            ui.model_answer = gr.Markdown(
                label="Model answer", elem_id="mi-model-answer", latex_delimiters=MATH
            )
    return ui


def interview_tab(ctx: h.UIContext, state: gr.State) -> SimpleNamespace:
    """Lay out and wire the tab; returns its components (``turn_out`` is what a turn updates)."""
    with gr.Row():
        setup = _setup_panel()
        ui = _conversation(TICK_S["llm" if ctx.live else "offline"])
    ui.setup, ui.state = setup, state
    ui.turn_out = [
        state,
        ui.chat,
        ui.answer,
        ui.code,
        ui.feedback,
        ui.model_answer,
        ui.model_box,
        ui.status,
        ui.buttons["run"],
        ui.tests,
        ui.mic,
        ui.upload,
        ui.voice_note,
        ui.timer,
    ]
    _wire(ctx, ui)
    return ui


def _wire(ctx: h.UIContext, ui: SimpleNamespace) -> None:
    setup, state = ui.setup, ui.state

    @guard
    def on_start(st, topics, types, difficulty, questions, followups, focus, mode, track):
        view = h.start(
            ctx,
            st,
            topics=topics,
            types=types,
            difficulty=difficulty,
            questions=questions,
            focus=focus,
            mode=mode,
            followups=followups,
            track=track,
        )
        return turn_update(view)

    @guard
    def on_submit(st, answer, code):
        for view in live.respond_live(ctx, st, answer, code):
            yield turn_update(view)

    def on_tick(st):
        timer, feedback, notice = live.tick(ctx, st)
        return timer, gr.update() if feedback is None else feedback, notice

    def mover(which):
        return guard(lambda st: turn_update(h.move(ctx, st, which)))

    ui.ticker.tick(
        on_tick,
        [state],
        [ui.timer, ui.feedback, ui.notice],
        show_progress="hidden",
        concurrency_limit=None,
        api_name="tick",
    )
    inputs = [
        state,
        setup.topics,
        setup.types,
        setup.difficulty,
        setup.n_questions,
        setup.followups,
        setup.focus,
        setup.mode,
        setup.track,
    ]
    setup.start.click(on_start, inputs, ui.turn_out, api_name="start", **TURN_KW)
    ui.buttons["submit"].click(
        on_submit, [state, ui.answer, ui.code], ui.turn_out, api_name="submit", **TURN_KW
    )
    _wire_run(ctx, ui)
    _wire_voice(ctx, ui)
    for which in ("hint", "skip", "idk", "end"):
        ui.buttons[which].click(mover(which), [state], ui.turn_out, api_name=which, **TURN_KW)


def _wire_run(ctx: h.UIContext, ui: SimpleNamespace) -> None:
    """Run tests: the examples on the editor's code, into the results table (not graded)."""

    @guard
    def on_run(st, answer, code):
        return code_ui.run_tests(ctx, st, answer, code)

    ui.buttons["run"].click(
        on_run, [ui.state, ui.answer, ui.code], [ui.tests], api_name="run_tests", **TURN_KW
    )


def _wire_voice(ctx: h.UIContext, ui: SimpleNamespace) -> None:
    """The microphone streams to the server while the candidate speaks (transcribed in pieces,
    the words so far shown under it); Stop puts the words into the answer box. An uploaded file
    is transcribed whole. Questions are read aloud when ticked."""
    live_kw = {"concurrency_limit": None, "show_progress": "hidden", "queue": True}

    @guard
    def on_record(st, request: gr.Request):
        return voice.begin_recording(ctx, request.session_hash, st)

    def on_piece(piece, request: gr.Request):
        note = voice.hear(ctx, request.session_hash, piece)
        return gr.skip() if note is None else note

    @guard
    def on_stop(st, last, typed, request: gr.Request):
        return voice.end_recording(ctx, request.session_hash, st, last, typed)

    @guard
    def on_upload(st, path, typed):
        return voice.transcribe_answer(ctx, st, path, typed)

    ui.mic.start_recording(on_record, [ui.state], [ui.voice_note], api_name=False, **live_kw)
    ui.mic.stream(
        on_piece,
        [ui.mic],
        [ui.voice_note],
        stream_every=STREAM_EVERY_S,
        time_limit=int(ctx.runtime.config.audio_max_seconds) + 10,
        api_name=False,
        **live_kw,
    )
    ui.mic.stop_recording(
        on_stop,
        [ui.state, ui.mic, ui.answer],
        [ui.state, ui.answer, ui.voice_note],
        api_name=False,
        **TURN_KW,
    )
    ui.upload.upload(
        on_upload,
        [ui.state, ui.upload, ui.answer],
        [ui.state, ui.answer, ui.voice_note],
        api_name="transcribe",
        **TURN_KW,
    )
    ui.chat.change(None, [ui.chat, ui.setup.speak], None, js=voice.SPEAK_JS)
