"""How a session's answers become grades, now and later.

``Marking`` is the part of ``Interview`` (``engine.py``) that grades: each answer against the
question, a follow-up's against the key points still open (``task_for``), folded into the
question's grade in order (``refold``: a follow-up only raises a point). In a live interview
(``Interview.live``) the quick grader (the judgement model) grades at once and the LLM comes
after the candidate has read it: ``stream_followup`` phrases the pending follow-up piece by
piece (kept only while the turn is unanswered: a late phrasing never replaces a question already
answered), and ``judge_later`` replaces each quick grade with the LLM's verdict and refolds the
question. Both are safe to run in a background thread; the store is the only shared state.
"""

from __future__ import annotations

from collections.abc import Iterator

from mockint.errors import LLMError
from mockint.grading.schema import GradingTask
from mockint.interview.moves import leaks
from mockint.interview.records import Turn
from mockint.interview.report import merge_grades
from mockint.interview.store import session_lock

STREAM_LEAK = 1 / 3  # a phrasing being shown stops once it holds a third of the key point's words


class Marking:
    def task_for(self, turn: Turn) -> GradingTask:
        """What grading ``turn`` means: its answer against the question, or for a follow-up
        against the key points still open after the answers before it."""
        q = self._question(turn.question_id)
        main = self._turns_at(turn.position)[0]
        previous = self.record.final_grades.get(main.id) if turn.kind == "followup" else None
        remaining = (
            tuple(k.id for k in previous.key_points if k.status != "covered") if previous else ()
        )
        return GradingTask(
            q.question,
            turn.answer or "",
            q,
            hints_used=len(self._hinted(turn.position)),
            only_key_points=remaining,
        )

    def _grade(self, turn: Turn) -> None:
        grader = self.grader.quick() if self.live else self.grader
        task = self.task_for(turn)
        grade = grader.grade(task)
        self.store.save_grade(
            self.session_id, turn.id, turn.question_id, "answer", grade, self.clock()
        )
        if grader is not self.grader:
            self.store.add_action(
                turn.id, {"action": "llm_judge_pending", "key_points": list(task.only_key_points)}
            )
        self.refold(turn.position)

    def refold(self, position: int) -> None:
        """The question's grade from its turns' answer grades in order (a follow-up only raises a
        point): after each grade, and again when an LLM's verdict replaces a quick one."""
        with session_lock(self.session_id):
            self._reload()
            turns = self._turns_at(position)
            hints = len(self._hinted(position))
            q = self.runtime.by_id.get(turns[0].question_id)
            final = None
            for t in turns:
                g = self.record.answer_grades.get(t.id)
                if g is not None:
                    final = (
                        g
                        if final is None
                        else merge_grades(
                            final, g, hints, lambda points: self.grader.merged_score(q, points)
                        )
                    )
            if final is not None:
                self.store.save_grade(
                    self.session_id, turns[0].id, turns[0].question_id, "final", final, self.clock()
                )
            self._reload()

    def pending_phrasing(self) -> Turn | None:
        """The follow-up now shown with its rubric probe while an LLM phrases it, if any."""
        self._reload()
        t = self._pending()
        acts = [a.get("action") for a in t.actions] if t is not None else []
        return t if "phrasing_pending" in acts and "phrased" not in acts else None

    def stream_followup(self) -> Iterator[str]:
        """The pending follow-up as the LLM writes it (each yield the text so far); at the end the
        turn keeps the LLM's words if they do not give the key point away and the candidate has
        not answered yet, else the probe. Nothing when no phrasing is pending."""
        turn = self.pending_phrasing()
        if turn is None:
            return
        q = self._question(turn.question_id)
        kp = next(k for k in q.key_points if k.id == turn.key_point_id)
        earlier = [t for t in self._turns_at(turn.position) if t.id != turn.id and t.answer]
        text, outcome = "", "llm"
        try:
            for piece in self.voice.followup_stream(q, kp, earlier[-1].answer if earlier else ""):
                text += piece
                if leaks(text, kp.text, q.question, share=STREAM_LEAK):
                    outcome = "llm_rejected"
                    break
                yield text
        except LLMError:
            outcome = "llm_failed"
        text = " ".join(text.split())
        if outcome == "llm" and text and self.store.set_prompt(turn.id, text, "llm"):
            self.store.add_action(turn.id, {"action": "phrased", "by": "llm"})
        else:
            self.store.add_action(
                turn.id,
                {"action": "phrased", "by": "probe", "why": outcome if text else "llm_failed"},
            )
        self._reload()
        yield self._turns_at(turn.position)[-1].prompt if outcome == "llm" else turn.prompt

    def problem_now(self):
        """The coding problem of the question being answered (main turn or follow-up), if any."""
        t = self._pending()
        q = self.runtime.by_id.get(t.question_id) if t is not None else None
        return self.runtime.problems.get(q.problem) if q is not None and q.problem else None

    def run_examples(self, answer: str):
        """Run the code in ``answer`` on the examples only (as often as the candidate likes; not
        graded, counted in the session's record). None when no coding question is pending."""
        from mockint.coding.grade import split_answer

        self._reload()
        p, turn = self.problem_now(), self._pending()
        if p is None:
            return None
        code, _ = split_answer(answer, p.track)
        report = self.runtime.code_runner.run(p, code, hidden=False)
        passed, total = report.count(True)
        self.store.add_action(turn.id, {"action": "ran_examples", "passed": passed, "total": total})
        return report

    def judge_later(self) -> list[dict]:
        """Every quick grade of this session that awaits the LLM's verdict, replaced by it; returns
        what changed ({position, before, after}) for the UI and the terminal to say."""
        self._reload()
        changes = []
        for t in self.record.turns:
            acts = [a.get("action") for a in t.actions]
            if (
                "llm_judge_pending" not in acts
                or "llm_judged" in acts
                or t.id not in self.record.answer_grades
            ):
                continue
            pending = next(a for a in t.actions if a.get("action") == "llm_judge_pending")
            main = self._turns_at(t.position)[0]
            before = self.record.final_grades.get(main.id)
            q = self._question(t.question_id)
            task = GradingTask(
                q.question,
                t.answer or "",
                q,
                hints_used=len(self._hinted(t.position)),
                only_key_points=tuple(pending.get("key_points") or ()),
            )
            grade = self.grader.grade(task)
            self.store.save_grade(
                self.session_id, t.id, t.question_id, "answer", grade, self.clock()
            )
            self.store.add_action(
                t.id,
                {
                    "action": "llm_judged",
                    "grader": grade.grader,
                    "flags": [f for f in grade.flags if f == "llm_failed_fallback"],
                },
            )
            self.refold(t.position)
            after = self.record.final_grades.get(main.id)
            changes.append(
                {
                    "position": t.position,
                    "before": before.score if before else None,
                    "after": after.score if after else None,
                    "failed": "llm_failed_fallback" in grade.flags,
                }
            )
        return changes
