"""The interview session engine: setup -> ask -> answer -> grade -> follow-up(s) -> next -> report.

No UI code: a terminal or web UI calls ``Interview.start`` / ``resume``, shows ``prompt`` and
passes what the candidate typed to ``respond``, where a regex classifier (``classify``) finds
the moves (hint, skip, "I don't know", repeat, clarify, end); anything else is an answer.

The state is derived from the store (``store.py``), so a session interrupted anywhere
resumes with all it had: an answer is stored *before* it is graded (an ungraded one is
graded on resume) and a pending follow-up is asked again word for word. A follow-up
probes one missing essential key point with the rubric's probe, or an LLM's phrasing of
it when a ``ChatModel`` is given and the phrasing does not leak the point; its answer is
graded against the remaining points and merged into the question's grade.

Not here: question and probe choice (``choice``), the interviewer's words (``voice``), the
report (``report``), scores (``grading``), terminal and web I/O (``cli``, ``ui``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from mockint.corpus.schema import KeyPoint, Question
from mockint.errors import SessionError
from mockint.grading.rubric import hint_cap
from mockint.grading.schema import Grader, GradingTask
from mockint.interview import choice
from mockint.interview.moves import Prompt, Reply, Setup, classify
from mockint.interview.records import Turn, pending_turn
from mockint.interview.report import (
    QuestionSummary,
    build_report,
    summarize_question,
    zero_grade,
)
from mockint.interview.store import Store, iso, utcnow
from mockint.llm.client import ChatModel

if TYPE_CHECKING:
    from mockint.runtime import Runtime
from mockint.interview.marking import Marking
from mockint.interview.voice import GENERIC_PROBE, Voice


class Interview(Marking):
    """One session. Build it with ``start`` or ``resume``; then ``respond`` until ``finished``."""

    def __init__(
        self,
        runtime,
        store: Store,
        session_id: str,
        *,
        grader: Grader,
        chat: ChatModel | None = None,
        clock: Callable[[], datetime] = utcnow,
        live: bool = False,
    ):
        self.runtime, self.store, self.session_id = runtime, store, session_id
        self.grader, self.chat, self.clock = grader, chat, clock
        self.live = (
            live  # grade with the quick grader first; an LLM's verdict and phrasing come after
        )
        self.voice = Voice(chat)
        self._reload()
        self.setup = Setup(**self.record.session.settings)

    @classmethod
    def start(
        cls,
        runtime: Runtime,
        setup: Setup,
        *,
        grader: Grader | None = None,
        chat: ChatModel | None = None,
        store: Store | None = None,
        clock: Callable[[], datetime] = utcnow,
        live: bool = False,
    ) -> Interview:
        setup.validate()
        levels = [setup.difficulty] if setup.strict_difficulty and setup.difficulty else []
        if not any(
            choice.matches(q, setup.topics, setup.types, levels, setup.track)
            for q in runtime.questions
        ):
            raise SessionError(
                f"no question of the {setup.track} track matches these topics / types / difficulty",
                fix="loosen the filters, or choose another track",
            )
        grader = grader or runtime.make_grader("auto")
        store = store or Store(runtime.config.db_path)
        sid = store.create_session(
            asdict(setup),
            mode=setup.mode,
            grader=grader.name,
            model=chat.name if chat else "",
            now=clock(),
        )
        interview = cls(runtime, store, sid, grader=grader, chat=chat, clock=clock, live=live)
        interview._settle()
        return interview

    @classmethod
    def resume(
        cls,
        session_id: str,
        runtime: Runtime,
        *,
        grader: Grader | None = None,
        chat: ChatModel | None = None,
        store: Store | None = None,
        clock: Callable[[], datetime] = utcnow,
        live: bool = False,
    ) -> Interview:
        store = store or Store(runtime.config.db_path)
        if store.load(session_id).session.status == "finished":
            raise SessionError(
                f"session {session_id} is already finished",
                fix="start a new one, or see its report",
            )
        store.set_status(session_id, "active", clock())
        interview = cls(
            runtime,
            store,
            session_id,
            grader=grader or runtime.make_grader("auto"),
            chat=chat,
            clock=clock,
            live=live,
        )
        if (
            pending := interview._pending()
        ) is not None:  # time the answer from now, not from the crash
            store.restart_clock(pending.id, clock())
            store.add_action(pending.id, {"action": "resumed", "at": iso(clock())})
        interview._settle()
        return interview

    def _reload(self) -> None:
        self.record = self.store.load(self.session_id)

    def _pending(self) -> Turn | None:
        return pending_turn(self.record)

    def _turns_at(self, position: int) -> list[Turn]:
        return [t for t in self.record.turns if t.position == position]

    def _main_turns(self) -> list[Turn]:
        return [t for t in self.record.turns if t.kind == "question"]

    def _question(self, qid: str) -> Question:
        q = self.runtime.by_id.get(qid)
        if q is None:
            raise SessionError(
                f"question {qid!r} is not in the corpus any more",
                fix="resume with the corpus the session was started with (--corpus)",
            )
        return q

    def _hinted(self, position: int) -> list[str]:
        return [
            a["key_point"]
            for t in self._turns_at(position)
            for a in t.actions
            if a.get("action") == "hint"
        ]

    @property
    def finished(self) -> bool:
        return self.record.session.status == "finished"

    @property
    def prompt(self) -> Prompt | None:
        t = self._pending()
        if t is None or self.finished:
            return None
        return Prompt(
            t.id,
            t.kind,
            t.position,
            self.setup.questions,
            t.prompt,
            t.question_id,
            t.topics,
            self.setup.seconds_per_answer,
        )

    def summary(self, position: int) -> QuestionSummary:
        t = self._turns_at(position)
        return summarize_question(
            t, self.record.final_grades.get(t[0].id), self.runtime.by_id.get(t[0].question_id)
        )

    def report(self) -> dict:
        self._reload()
        return build_report(
            self.record, self.runtime.by_id, self.store.history(exclude_session=self.session_id)
        )

    # ------------------------------------------------------------------ moves
    def respond(self, text: str) -> Reply:
        """Handle one message from the candidate (an answer or a move) and say what comes next."""
        self._reload()
        turn = self._pending()
        if self.finished or turn is None:
            raise SessionError(f"session {self.session_id} is not waiting for an answer")
        intent, now = classify(text), self.clock()
        if self.record.session.status == "paused":
            self.store.set_status(self.session_id, "active", now)
        seconds = round((now - turn.asked_at).total_seconds(), 1)
        reply = Reply(intent)
        if intent == "answer" and not text.strip():
            reply.messages.append("(empty answer ignored: type an answer, or 'skip')")
        elif intent in ("answer", "skip", "idk"):
            self._answer(turn, text, intent, now, seconds, reply)
        elif intent == "hint":
            reply.messages.append(self._hint(turn))
        elif intent in ("repeat", "clarify"):
            reply.messages.append(self._say_again(turn, intent, text.strip(), now))
        elif intent == "end":
            self.store.record_answer(turn.id, "", outcome="ended", answered_at=now, seconds=seconds)
            self.store.set_status(self.session_id, "finished", now)
            reply.messages.append("Interview ended.")
        self._reload()
        reply.prompt, reply.finished = self.prompt, self.finished
        return reply

    def _answer(
        self, turn: Turn, text: str, intent: str, now: datetime, seconds: float, reply: Reply
    ) -> None:
        """An answer, a skip or an "I don't know": stored, graded, and the session moved on."""
        outcome = {"answer": "answered", "skip": "skipped", "idk": "idk"}[intent]
        answer = text.strip() if intent != "skip" else ""
        self.store.record_answer(turn.id, answer, outcome=outcome, answered_at=now, seconds=seconds)
        limit = self.setup.seconds_per_answer
        if limit and seconds > limit:
            self.store.add_action(
                turn.id, {"action": "overtime", "limit": limit, "seconds": seconds}
            )
            reply.messages.append(
                f"That took {seconds:.0f} s (limit {limit} s); noted in the report."
            )
        self._settle()
        pending = self._pending()
        done = pending is None or pending.position != turn.position
        if done and self.setup.mode == "practice":
            reply.feedback.append(self.summary(turn.position))
        elif done and intent == "idk":
            reply.messages.append(
                "Noted. The model answer and what to study will be in the report."
            )

    def _say_again(self, turn: Turn, intent: str, request: str, now: datetime) -> str:
        """ "repeat": the question (and the follow-up); "clarify": what it means, no key point given."""
        main = self._turns_at(turn.position)[0].prompt
        if intent == "repeat":
            said, by = (
                (main if turn.kind == "question" else f"{main}\nFollow-up: {turn.prompt}"),
                "repeat",
            )
        else:
            said, by = self.voice.clarify(self._question(turn.question_id), turn.prompt, request)
        self.store.add_action(
            turn.id, {"action": intent, "request": request[:500], "by": by, "at": iso(now)}
        )
        return said

    def pause(self) -> None:  # input ended or the window closed: leave the session resumable
        if not self.finished:
            self.store.set_status(self.session_id, "paused", self.clock())
            self._reload()

    def _hint(self, turn: Turn) -> str:
        turns = self._turns_at(turn.position)
        hinted = self._hinted(turn.position)
        kp = choice.hint_point(
            self._question(turn.question_id),
            turns,
            self.record.final_grades.get(turns[0].id),
            hinted=set(hinted),
        )
        if kp is None:
            return "No more hints for this question."
        self.store.add_action(
            turn.id, {"action": "hint", "key_point": kp.id, "at": iso(self.clock())}
        )
        n = len(hinted) + 1
        return f"Hint: {kp.probe} (with {n} hint(s) the best attainable score is {hint_cap(n):.1f})"

    # ------------------------------------------------------------------ the state machine
    def _settle(self) -> None:
        """Move the session forward until it waits for the candidate (or is finished)."""
        while True:
            self._reload()
            if self.finished:
                return
            turns = self.record.turns
            last = turns[-1] if turns else None
            if last is not None and last.outcome is None:
                return
            if (
                last is not None
                and last.outcome == "answered"
                and last.id not in self.record.answer_grades
            ):
                self._grade(last)
                continue
            if (
                last is not None
                and last.kind == "question"
                and last.outcome in ("skipped", "idk")
                and last.id not in self.record.final_grades
            ):
                note = (
                    "Skipped."
                    if last.outcome == "skipped"
                    else "Study the model answer and the key points."
                )
                zero = zero_grade(self._question(last.question_id), self.grader.name, note)
                self.store.save_grade(
                    self.session_id, last.id, last.question_id, "final", zero, self.clock()
                )
                continue
            target = self._followup_target(last.position) if last is not None else None
            if target is not None:
                self._ask_followup(last, target)
                continue
            if len(self._main_turns()) >= self.setup.questions or not self._ask_next():
                self.store.set_status(self.session_id, "finished", self.clock())

    def _followup_target(self, position: int) -> KeyPoint | None:
        turns = self._turns_at(position)
        return choice.followup_target(
            self._question(turns[0].question_id),
            turns,
            self.record.final_grades.get(turns[0].id),
            max_followups=self.setup.max_followups,
            hinted=set(self._hinted(position)),
        )

    def _ask_followup(self, last: Turn, kp: KeyPoint) -> None:
        q = self._question(last.question_id)
        if (
            self.live and self.voice.chat is not None
        ):  # the probe now; the LLM phrases it while shown
            text, by, actions = kp.probe or GENERIC_PROBE, "probe", [{"action": "phrasing_pending"}]
        else:
            text, by, actions = self.voice.followup(q, kp, last.answer or "")
        self.store.add_turn(
            self.session_id,
            position=last.position,
            kind="followup",
            question_id=q.id,
            prompt=text,
            topics=list(q.topics),
            asked_at=self.clock(),
            key_point_id=kp.id,
            phrased_by=by,
            actions=actions,
        )

    def _ask_next(self) -> bool:
        """Add the next question; False when none is left that passes the filters."""
        mains = self._main_turns()
        qid = choice.next_question(
            self.runtime,
            self.setup,
            mains,
            self.record.final_grades,
            now=self.clock(),
            history=self.store.history(exclude_session=self.session_id),
            seed=self.session_id,
        )
        if qid is None:
            return False
        q = self._question(qid)
        self.store.add_turn(
            self.session_id,
            position=len(mains) + 1,
            kind="question",
            question_id=q.id,
            prompt=q.question,
            topics=list(q.topics),
            asked_at=self.clock(),
            phrased_by="question",
        )
        self.grader.prepare(
            GradingTask(q.question, "", q)
        )  # a local LLM reads ahead while they type
        return True
