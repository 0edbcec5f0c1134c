"""The ``interview`` and ``history`` commands: a terminal adapter over ``interview.engine``.

``mockint interview`` reads replies from stdin (a pipe works): an answer may span several lines
and ends with an empty line (code between ``` lines keeps its empty lines; ``/run`` runs a coding
problem's examples); ``/audio FILE`` answers with a recording (transcribed offline); a move (hint,
skip, "I don't know", repeat, clarify…, end) on its own line acts at once; EOF pauses the session
(resumable) and prints the report. ``--speak`` reads questions aloud (espeak-ng). ``mockint
history`` lists sessions and per-topic mastery. Only input/output lives here: what to ask,
grading and the report's content are the library's.
"""

from __future__ import annotations

import queue
import re
import sys
import threading
from pathlib import Path
from typing import TextIO

import typer
from rich.console import Console
from rich.markup import escape as _rich_escape
from rich.table import Table

from mockint import llm
from mockint.cli import coding as coding_cli
from mockint.cli import voice as voice_cli
from mockint.cli.options import BaseUrlOpt, CorpusOpt, HomeOpt, LLMOpt, ModelOpt
from mockint.cli.options import load_runtime as _runtime

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    r"""Rich markup escaped and control characters (terminal escape codes) removed.

    >>> escape("[b]x\x1b[31m")
    '\\[b]x[31m'
    """
    return _rich_escape(_CONTROL.sub("", text))


def _show_prompt(con: Console, p, coding: bool = False) -> None:
    if p.kind == "question":
        limit = f" — {p.seconds_limit} s" if p.seconds_limit else ""
        con.print(
            f"\n[bold]Question {p.position}/{p.total}[/] [dim]({escape(', '.join(p.topics))}{limit})[/]"
        )
        con.print(escape(p.text))
    else:
        con.print(f"\n[bold]Follow-up:[/] {escape(p.text)}")
    if coding:
        con.print(f"[dim]{escape(coding_cli.HOW)}[/]")
    con.print(
        "[dim](answer, then an empty line; or: hint, skip, I don't know, repeat, clarify …, end)[/]"
    )


def _show_feedback(con: Console, s) -> None:
    score = "not graded" if s.score is None else f"{s.score:.1f}/10 ({s.verdict})"
    con.print(
        f"[bold green]Feedback[/] on question {s.position}: {score}"
        + (f", {s.hints} hint(s)" if s.hints else "")
    )
    for k in s.covered:
        quote = f' — "{escape(" ".join(k.quote.split()))}"' if k.quote else ""
        mark = "[green]✓[/]" if k.status == "covered" else "[yellow]~[/]"
        con.print(f"  {mark} {escape(f'[{k.status}]')} {escape(k.text)}{quote}")
    for k in s.missed:
        con.print(f"  [red]✗[/] {escape(k.text)}")
    if s.tests:
        coding_cli.show_report(con, s.tests)
    if s.model_answer:
        con.print("[bold]Model answer:[/]")
        con.print(escape(s.model_answer[:2500]))


class Terminal:
    """What the terminal interview prints after each message: the reply, a follow-up an LLM is
    phrasing (streamed as it is written), the LLM's verdicts as they arrive (from a background
    thread; printed before the next prompt is read), and once per session that the LLM is not
    answering."""

    def __init__(self, interview, con: Console, speak=None):
        self.iv, self.con = interview, con
        self.speak = speak or (lambda prompt: None)  # cli.voice.Speaker
        self.verdicts: queue.Queue = queue.Queue()
        self.told_down = False
        self._judge: threading.Thread | None = None

    def show(self, reply) -> None:
        con = self.con
        for m in reply.messages:
            con.print(escape(m))
        for s in reply.feedback:
            _show_feedback(con, s)
        streaming = self.iv.live and self.iv.pending_phrasing() is not None
        if (
            reply.prompt is not None
            and reply.intent not in ("hint", "repeat", "clarify")
            and not streaming
        ):
            _show_prompt(con, reply.prompt, self.iv.problem_now() is not None)
            self.speak(reply.prompt)
        if streaming:
            self._stream()
        self._judge_later()
        self.tell()

    def _stream(self) -> None:
        self.con.print("\n[bold]Follow-up:[/] ", end="")
        shown = ""
        for text in self.iv.stream_followup():
            if text.startswith(shown):
                self.con.print(escape(text[len(shown) :]), end="")
            else:  # the probe instead (the LLM's words gave the point away, or it failed)
                self.con.print("\n" + escape(text), end="")
            shown = text
        self.con.print(
            "\n[dim](answer, then an empty line; or: hint, skip, I don't know, repeat, clarify …, end)[/]"
        )

    def _judge_later(self) -> None:
        if self.iv.grader.quick() is self.iv.grader or (self._judge and self._judge.is_alive()):
            return

        def run() -> None:
            while changes := self.iv.judge_later():
                for c in changes:
                    self.verdicts.put(c)

        self._judge = threading.Thread(target=run, name="mockint-judge", daemon=True)
        self._judge.start()

    def tell(self) -> None:
        """Verdicts that arrived, and (once) that the LLM is not answering."""
        while not self.verdicts.empty():
            c = self.verdicts.get()
            if c["failed"]:
                continue
            before = "—" if c["before"] is None else f"{c['before']:.1f}"
            after = "—" if c["after"] is None else f"{c['after']:.1f}"
            if before != after:
                self.con.print(
                    f"[dim]LLM verdict on question {c['position']}: {before} → {after}[/]"
                )
        chat = self.iv.chat or self.iv.grader.model
        notice = chat.notice() if chat is not None else ""
        if notice and not self.told_down:
            self.con.print(f"[yellow]{escape(notice)}[/]")
            self.told_down = True

    def finish(self, timeout: float = 120.0) -> None:
        """Wait for the verdicts still coming (so the report has them), and say them."""
        if self._judge is not None:
            self._judge.join(timeout=timeout)
        self.tell()


def _slash(term: Terminal, cmd: str, buffer: list[str]) -> bool:
    """``/run`` (a coding problem's examples on what is typed) and ``/audio FILE`` (an answer
    from a recording); True when ``cmd`` was one of them."""
    if cmd == coding_cli.RUN:
        coding_cli.run_examples(term.con, term.iv, buffer)
        return True
    if cmd.startswith(voice_cli.AUDIO_CMD) and not buffer:
        heard = voice_cli.answer_from_audio(term.con, term.iv, cmd)
        if heard:
            term.show(term.iv.respond(heard))
        return True
    return False


def drive(interview, stream: TextIO, con: Console, speak=None) -> str:
    """Feed lines from ``stream`` to the interview until it finishes or input ends.

    Returns ``finished`` or ``paused`` (input ended first)."""
    from mockint.interview.moves import classify

    term = Terminal(interview, con, speak)
    if interview.prompt is not None:
        _show_prompt(con, interview.prompt, interview.problem_now() is not None)
        term.speak(interview.prompt)
    buffer: list[str] = []
    fenced = False  # inside ``` … ```: empty lines are part of the code
    try:
        while not interview.finished:
            term.tell()
            raw = stream.readline()
            if raw == "":  # EOF: submit what was typed, then pause
                if buffer:
                    term.show(interview.respond("\n".join(buffer)))
                break
            line = raw.rstrip("\r\n")
            if not fenced and _slash(term, line.strip(), buffer):
                continue
            if not buffer:
                if not line.strip():
                    continue
                if classify(line) != "answer":  # a move on its own line acts at once
                    term.show(interview.respond(line))
                    continue
            fenced ^= coding_cli.is_fence(line)
            if line.strip() or fenced:
                buffer.append(line)
                continue
            term.show(interview.respond("\n".join(buffer)))
            buffer = []
    except KeyboardInterrupt:  # Ctrl-C: what was answered is stored; the rest can be resumed
        con.print("\ninterrupted")
    term.finish()
    if interview.finished:
        return "finished"
    interview.pause()
    return "paused"


def _print_report(con: Console, report: dict, paths: tuple[Path, Path]) -> None:
    m = report["summary"]
    mean = "n/a" if m["mean_score"] is None else f"{m['mean_score']:.1f}/10"
    con.print(
        f"\n[bold]Report[/] — {m['answered']} answered, {m['skipped']} skipped, mean {mean}, "
        f"{m['total_seconds']:.0f} s"
    )
    table = Table("#", "question", "score", "outcome", "seconds")
    for q in report["questions"]:
        table.add_row(
            str(q["position"]),
            q["question_id"],
            "—" if q["score"] is None else f"{q['score']:.1f}",
            q["outcome"],
            f"{q['seconds']:.0f}",
        )
    con.print(table)
    for t in report["topics"]:
        trend = "" if t["trend"] is None else f" (earlier {t['previous']:.1f}, {t['trend']:+.1f})"
        con.print(f"  {t['topic']}: {t['score']:.1f}{trend}")
    if report["study"]:
        con.print("[bold]Study list[/] (reference answers by question id):")
        for item in report["study"]:
            con.print(f"  - {item['question_id']}")
    con.print(f"report: {escape(str(paths[0]))} and {escape(str(paths[1]))}")


TopicOpt = typer.Option([], "--topic", help="Only these topics (repeatable).")
TypeOpt = typer.Option([], "--type", help="Only these question types (repeatable).")
DifficultyOpt = typer.Option(None, "--difficulty", min=1, max=3, help="Starting difficulty 1-3.")
FixedOpt = typer.Option(
    False, "--fixed-difficulty", help="Keep --difficulty fixed (a filter) instead of adapting."
)
FocusOpt = typer.Option(
    "", "--focus", help="What to practise, in your own words (retrieval from the index)."
)
ModeOpt = typer.Option(
    "practice", "--mode", help="practice (feedback after each question) | exam (at the end)."
)
ReviewOpt = typer.Option(
    False, "--review", help="Due and weakest questions from your history first."
)
SecondsOpt = typer.Option(
    None, "--seconds", min=1, help="Seconds per answer (noted when exceeded)."
)
FollowupsOpt = typer.Option(
    1, "--followups", min=0, max=5, help="Follow-up questions per question at most."
)
ResumeOpt = typer.Option(None, "--resume", help="Continue an interrupted session by its id.")
ReportDirOpt = typer.Option(
    None, "--report-dir", help="Where to write the report (default <home>/reports)."
)


def interview_cmd(
    topic: list[str] = TopicOpt,
    type_: list[str] = TypeOpt,
    difficulty: int | None = DifficultyOpt,
    fixed: bool = FixedOpt,
    questions: int = typer.Option(3, "--questions", min=1, max=100, help="How many questions."),
    focus: str = FocusOpt,
    mode: str = ModeOpt,
    review: bool = ReviewOpt,
    seconds: int | None = SecondsOpt,
    followups: int = FollowupsOpt,
    track: str = typer.Option(
        "concepts",
        "--track",
        help="concepts (the Q&A page; its coding questions run tests) | coding (problems whose "
        "code runs on tests: Python, pandas, SQL) | all.",
    ),
    resume: str | None = ResumeOpt,
    speak: bool = typer.Option(
        False, "--speak", help="Read each question aloud (espeak-ng: offline, robotic)."
    ),
    speak_to: Path | None = typer.Option(
        None, "--speak-to", help="Also write each question as a WAV file into this folder."
    ),
    grader: str = typer.Option("auto", "--grader", help="offline | llm | hybrid | auto."),
    report_dir: Path | None = ReportDirOpt,
    llm_backend: str | None = LLMOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Run a mock interview in the terminal; answers are read from stdin (end each with an empty line)."""
    from mockint.interview.moves import Setup

    con = Console(highlight=False, soft_wrap=True)
    rt = _runtime(home, corpus, llm=llm_backend, model=model, base_url=base_url)
    g = rt.make_grader(grader)
    chat = rt.chat
    if chat is not None:  # a local model loads while the index is checked
        chat.start_in_background()
    rt.ready_index(say=con.print)
    setup = Setup(
        topics=topic, types=type_, difficulty=difficulty, strict_difficulty=fixed,
        questions=questions, focus=focus, mode=mode, seconds_per_answer=seconds,
        max_followups=followups, review=review, track=track,
    )  # fmt: skip
    speaker = voice_cli.Speaker(speak, speak_to)  # before the session: a missing espeak-ng fails
    interview = _open(con, rt, g, chat, resume, setup)
    by = "LLM " + chat.name if chat else "rubric probes (no LLM)"
    con.print(
        f"grader: {g.name}; {llm.describe_model(g.model or chat, rt.config)}; "
        f"interviewer: {by}; mode: {interview.setup.mode}"
    )
    if drive(interview, sys.stdin, con, speaker) == "paused":
        con.print(
            f"\ninput ended: session paused; resume with: mockint interview --resume "
            f"{interview.session_id}"
        )
    _finish(con, interview, report_dir or rt.config.home / "reports")


def _finish(con: Console, interview, report_dir: Path) -> None:
    """The feedback an exam held back, then the report (printed and exported)."""
    from mockint.interview.export import export

    report = interview.report()  # reloads the session
    if interview.setup.mode == "exam":
        for position in sorted({t.position for t in interview.record.turns}):
            _show_feedback(con, interview.summary(position))
    _print_report(con, report, export(report, report_dir))


def _open(con: Console, rt, grader, chat, resume: str | None, setup):
    """The interview to run: the resumed one, or a new one with ``setup``."""
    from mockint.interview.engine import Interview
    from mockint.interview.store import Store

    live = chat is not None or grader.quick() is not grader  # quick grade first, the LLM after
    store = Store(rt.config.db_path)
    if resume:
        interview = Interview.resume(resume, rt, grader=grader, chat=chat, store=store, live=live)
        con.print(f"resumed session {interview.session_id}")
        return interview
    interview = Interview.start(rt, setup, grader=grader, chat=chat, store=store, live=live)
    sid = interview.session_id
    con.print(f"session {sid} (resume with: mockint interview --resume {sid})")
    return interview


def register(app: typer.Typer) -> typer.Typer:
    """Add ``interview`` and ``history`` to ``app`` (a second call does nothing)."""
    names = {c.name for c in app.registered_commands}
    if "interview" not in names:
        app.command("interview")(interview_cmd)
    if "history" not in names:
        from mockint.cli.history import history_cmd

        app.command("history")(history_cmd)
    return app
