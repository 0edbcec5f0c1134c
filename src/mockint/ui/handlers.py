"""The web UI's logic as plain functions: what each button does, without Gradio.

The Blocks callbacks in ``app.py`` call these and map the results onto components; tests
call them directly. A ``UIContext`` holds the parts shared by every browser session (the
``Runtime``, the grader, the optional LLM interviewer, the history ``Store`` and a folder
for downloads); it holds nothing per session. Per-session state is a small dict kept in
Gradio's ``gr.State`` (``{"sid": session id or None, "chat": transcript, "shown": the score on
the feedback panel, "asked_at": when the waiting question was asked}``): handlers never
mutate it, they return a new one. The interview itself is rebuilt from the store on every
turn (``Interview`` derives its state from SQLite), so two browser sessions share nothing
but the database rows of their own session ids.

Interview turns go through ``mockint.interview.engine`` exactly as the terminal does: the
buttons send the same words ("hint", "skip", "I don't know", "end") to ``Interview.respond``,
which classifies them. Not here: rendering (``render.py``), Run tests (``code.py``), voice
(``voice.py``), the Batch and Corpus tabs (``tools.py``), layout (``app.py``), grading, question
choice and scheduling (the library).
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from mockint import llm
from mockint.errors import SessionError
from mockint.grading.schema import Grader
from mockint.interview.engine import Interview
from mockint.interview.export import safe_name
from mockint.interview.moves import Prompt, Reply, Setup
from mockint.interview.records import pending_turn
from mockint.interview.store import Store
from mockint.ui import render

MOVES = {"hint": "hint", "skip": "skip", "idk": "I don't know", "end": "end"}
CODE_TYPES = {"coding": "python", "sql": "sql"}
MAX_ANSWER_CHARS = 20_000


def new_state() -> dict:
    return {"sid": None, "chat": []}


class UIContext:
    """What every browser session shares. Build one per app; nothing in it is per session but the
    microphone recordings in progress (``recordings``, keyed by page)."""

    def __init__(
        self,
        runtime,
        *,
        grader: str = "auto",
        chat=None,
        store: Store | None = None,
        files_dir: Path | None = None,
    ):
        self.runtime = runtime
        self.grader_kind = grader
        self.chat = chat
        self.store = store or Store(runtime.config.db_path)
        self.files = Path(files_dir) if files_dir else Path(tempfile.mkdtemp(prefix="mockint-ui-"))
        self._graders: dict[str, object] = {}
        self._lock = threading.Lock()
        self.recordings: dict[str, object] = {}  # page -> LiveRecording (ui/voice.py)

    @property
    def live(self) -> bool:
        """Turns show the quick grade first and the LLM's words and verdict as they come."""
        return self.chat is not None or self.grader.quick() is not self.grader

    def grader_for(self, kind: str | None = None) -> Grader:
        if kind is None and isinstance(self.grader_kind, Grader):
            return self.grader_kind  # a grader built by the caller (tests, the load benchmark)
        kind = kind or self.grader_kind
        with self._lock:
            if kind not in self._graders:
                self._graders[kind] = self.runtime.make_grader(kind)
            return self._graders[kind]

    @property
    def grader(self):
        return self.grader_for()

    def backend_line(self) -> str:
        """Which grader and LLM are active, or that grading is offline (plain text)."""
        g = self.grader
        voice = f"LLM {self.chat.name}" if self.chat is not None else "rubric probes (no LLM)"
        line = llm.describe_model(g.model or self.chat, self.runtime.config)
        if g.name == "offline":
            line = (
                "LLM: none (offline grading)" if self.chat is None else f"{line}; grading offline"
            )
        return f"Grader: {g.name} · {line} · interviewer: {voice}"

    def folder(self, *parts: str) -> Path:
        """A fresh folder under the download area (for one report or one batch)."""
        path = self.files.joinpath(*[safe_name(p) for p in parts])
        path.mkdir(parents=True, exist_ok=True)
        return path


# ------------------------------------------------------------------ interview


@dataclass
class TurnView:
    state: dict
    status: str  # Markdown built from escaped parts
    feedback_html: str = ""
    model_answer: str = ""  # corpus Markdown of the last finished question
    editor: str = "text"  # text | python | sql
    finished: bool = False
    keep_input: bool = False  # the Hint button: leave what was typed so far
    coding: bool = False  # a coding problem: editor + explanation box + Run tests
    keep_code: bool = False  # a coding follow-up: the code stays in the editor to revise

    @property
    def chat(self) -> list[dict]:
        return self.state["chat"]


def say(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def prompt_md(p: Prompt, q=None) -> str:
    if p.kind == "followup":
        return f"**Follow-up:** {render.text_md(p.text)}"
    about = ", ".join(p.topics) + (f" · {q.type}" if q is not None else "")
    limit = f" · {p.seconds_limit} s" if p.seconds_limit else ""
    return f"**Question {p.position}/{p.total}** ({render.text_md(about)}{limit})\n\n{render.text_md(p.text)}"


def editor_for(ctx: UIContext, p: Prompt | None) -> str:
    """A code editor for a coding problem (and its follow-ups) and for the main turn of any
    coding or SQL question; the text box otherwise."""
    q = ctx.runtime.by_id.get(p.question_id) if p is not None else None
    if q is None or (p.kind != "question" and not q.problem):
        return "text"
    return CODE_TYPES.get(q.type, "text")


def problem_for(ctx: UIContext, p: Prompt | None):
    q = ctx.runtime.by_id.get(p.question_id) if p is not None else None
    return ctx.runtime.problems.get(q.problem) if q is not None and q.problem else None


def _open(ctx: UIContext, state: dict) -> Interview:
    sid = state.get("sid")
    if not sid:
        raise SessionError(
            "no interview is running in this tab", fix="set it up and press Start, or resume one"
        )
    return Interview(ctx.runtime, ctx.store, sid, grader=ctx.grader, chat=ctx.chat, live=ctx.live)


def status_md(ctx: UIContext, iv: Interview) -> str:
    p = iv.prompt
    where = (
        "finished — see the Report tab"
        if iv.finished
        else (
            f"question {p.position} of {p.total}" + (" (follow-up)" if p.kind == "followup" else "")
            if p
            else "waiting"
        )
    )
    return (
        f"**Session** {render.ident_md(iv.session_id)} · {iv.setup.mode} · {where}  \n"
        f"<small>{render.text_md(ctx.backend_line())}</small>"
    )


def turn_view(
    ctx: UIContext,
    iv: Interview,
    chat: list[dict],
    reply: Reply | None = None,
    *,
    keep_input: bool = False,
) -> TurnView:
    feedback, model = "", ""
    shown = None
    if reply is not None and reply.feedback:
        last = reply.feedback[-1]
        feedback, model = render.feedback_html(last), last.model_answer
        shown = {"position": last.position, "score": last.score}
    if iv.finished:
        feedback += render.notice_html(
            "The interview is finished. The Report tab has your scores and study list."
        )
    coding = not iv.finished and problem_for(ctx, iv.prompt) is not None
    pending = None if iv.finished else pending_turn(iv.record)
    asked = pending.asked_at.isoformat() if pending is not None else None
    return TurnView(
        state={"sid": iv.session_id, "chat": chat, "shown": shown, "asked_at": asked},
        status=status_md(ctx, iv),
        feedback_html=feedback,
        model_answer=model,
        editor=editor_for(ctx, iv.prompt),
        finished=iv.finished,
        keep_input=keep_input and not iv.finished,
        coding=coding,
        keep_code=coding and iv.prompt.kind == "followup",
    )


def intro_messages(iv: Interview) -> list[dict]:
    how = (
        "feedback after each question"
        if iv.setup.mode == "practice"
        else "feedback at the end (exam)"
    )
    return [
        say(
            "assistant",
            f"Session {render.ident_md(iv.session_id)}: {iv.setup.questions} question(s), {how}. "
            "Answer in the box; the buttons ask for a hint, skip, say you don't know, or end.",
        )
    ]


def pause(ctx: UIContext, state: dict | None) -> None:
    """Leave this tab's unfinished session resumable (a tab closed, or another session started)."""
    sid = (state or {}).get("sid")
    if not sid:
        return
    try:
        iv = Interview(ctx.runtime, ctx.store, sid, grader=ctx.grader, chat=ctx.chat, live=ctx.live)
        iv.pause()
    except SessionError:
        pass  # the session is gone or unreadable: nothing to leave resumable


def parse_difficulty(value) -> int | None:
    """'any' / '' / None -> None; '2' -> 2.

    >>> parse_difficulty("any"), parse_difficulty("3"), parse_difficulty(1)
    (None, 3, 1)
    """
    if value in (None, "", "any", "Any"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SessionError(
            f"difficulty {value!r} is not 1, 2 or 3", fix="pick any, 1, 2 or 3"
        ) from None


def start(
    ctx: UIContext,
    state: dict | None,
    *,
    topics=(),
    types=(),
    difficulty=None,
    questions: int = 3,
    focus: str = "",
    mode: str = "practice",
    followups: int = 1,
    review: bool = False,
    track: str = "concepts",
) -> TurnView:
    """Start a new session from the setup panel (an unfinished one in this tab is paused first)."""
    setup = Setup(
        track=track or "concepts",
        topics=list(topics or []),
        types=list(types or []),
        difficulty=parse_difficulty(difficulty),
        questions=int(questions),
        focus=(focus or "").strip()[:2000],
        mode=mode or "practice",
        max_followups=int(followups),
        review=bool(review),
    )
    ctx.runtime.ready_index()
    iv = Interview.start(
        ctx.runtime, setup, grader=ctx.grader, chat=ctx.chat, store=ctx.store, live=ctx.live
    )
    if (state or {}).get("sid"):
        pause(ctx, state)
    chat = intro_messages(iv)
    if iv.prompt is not None:
        chat.append(
            say("assistant", prompt_md(iv.prompt, ctx.runtime.by_id.get(iv.prompt.question_id)))
        )
    return turn_view(ctx, iv, chat)


def respond(ctx: UIContext, state: dict, text: str = "", code: str = "") -> TurnView:
    """Send what the candidate typed (the code editor's text for coding / SQL questions)."""
    iv = _open(ctx, state)
    if iv.finished:
        raise SessionError(
            f"session {iv.session_id} is finished", fix="see the Report tab, or start a new one"
        )
    editor = editor_for(ctx, iv.prompt)
    use_code = editor != "text" and (code or "").strip()
    p = problem_for(ctx, iv.prompt)
    if p is not None:  # code and its explanation, one answer
        from mockint.coding.grade import compose_answer

        answer = compose_answer(code or "", text or "", p.track)
    else:
        answer = (code if use_code else text) or ""
    if len(answer) > MAX_ANSWER_CHARS:
        raise SessionError(
            f"the answer is {len(answer)} characters; the limit is {MAX_ANSWER_CHARS}",
            fix="shorten it",
        )
    if state.get("voice") and answer.strip():  # answered out loud: keep the recording
        from mockint.speech.audio import attach

        attach(iv, state["voice"])
    reply = iv.respond(answer)
    chat = list(state.get("chat") or [])
    if answer.strip():
        said = render.code_md(code, editor) if use_code else ""
        if (not use_code or p is not None) and (text or "").strip():
            said = "\n\n".join(x for x in (render.text_md(text), said) if x)
        chat.append(say("user", said or render.text_md(answer)))
    return _after(ctx, iv, chat, reply)


def move(ctx: UIContext, state: dict, which: str) -> TurnView:
    """A button: hint | skip | idk | end (the same words the terminal understands)."""
    if which not in MOVES:
        raise SessionError(f"unknown move {which!r}", fix=f"use one of {', '.join(MOVES)}")
    iv = _open(ctx, state)
    if iv.finished:
        raise SessionError(
            f"session {iv.session_id} is finished", fix="see the Report tab, or start a new one"
        )
    reply = iv.respond(MOVES[which])
    chat = list(state.get("chat") or []) + [say("user", f"*{render.text_md(MOVES[which])}*")]
    return _after(ctx, iv, chat, reply, keep_input=which == "hint")


def _after(
    ctx: UIContext, iv: Interview, chat: list[dict], reply: Reply, *, keep_input: bool = False
) -> TurnView:
    chat += [say("assistant", render.text_md(m)) for m in reply.messages]
    for s in reply.feedback:
        score = "not graded" if s.score is None else f"{s.score:.1f}/10 ({s.verdict})"
        chat.append(
            say(
                "assistant",
                f"Feedback on question {s.position}: **{render.text_md(score)}** "
                "(details below the answer box)",
            )
        )
    if reply.prompt is not None and reply.intent not in ("hint", "repeat", "clarify"):
        chat.append(
            say(
                "assistant",
                prompt_md(reply.prompt, ctx.runtime.by_id.get(reply.prompt.question_id)),
            )
        )
    if reply.finished:
        chat.append(
            say("assistant", "The interview is finished. Open the **Report** tab for your report.")
        )
    return turn_view(ctx, iv, chat, reply, keep_input=keep_input)


# ------------------------------------------------------------------ report


# ------------------------------------------------------------------ history


def review(
    ctx: UIContext, state: dict | None, questions: int = 5, mode: str = "practice"
) -> TurnView:
    """A weak-spots review: due and weakest questions from the history first."""
    return start(ctx, state, questions=questions, mode=mode, review=True)
