"""The LLM judge: per-key-point verdicts from any ``ChatModel``, on the same footing as the model's.

Two modes, two classes: ``LLMGrader`` asks a capable endpoint for a status and a verbatim quote
per key point, wrong claims and feedback (``prompts/grade.yaml``); ``CompactLLMGrader`` asks a
small local model (``ChatModel.compact``) for one status per key point in a grammar-constrained
JSON object (``prompts/grade-compact.yaml``), reads the prompt ahead while the candidate types,
and takes quotes and feedback from the offline evidence. ``llm_grader`` picks the class.

A reply must validate (``replies.py``); otherwise the judge is re-asked with the error, at most
``retries`` times, then the offline grade is returned flagged ``llm_failed_fallback`` — never a
default score. The judgement model always reads the answer too, and the two meet per key point
(``combine``): the LLM's status is mixed into the model's probabilities with a weight that lets a
capable endpoint lead and keeps the packaged 1.5B model anchored (``LLM_WEIGHT``); the score
mapping and the guard table are the offline grader's. Replies are cached on disk.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from mockint.errors import LLMError
from mockint.grading.guards import GuardContext, apply_guards
from mockint.grading.hygiene import exact_quote, feedback_for, is_non_answer, strip_instructions
from mockint.grading.offline import OfflineGrader
from mockint.grading.replies import JudgeReply, compact_schema, parse_compact, parse_reply
from mockint.grading.rubric import verdict_for
from mockint.grading.schema import Grade, Grader, GradingTask, KeyPointResult
from mockint.grading.scoring import ONE_HOT, Point, ScoreMap, features, status
from mockint.llm.cache import DiskCache
from mockint.llm.client import ChatModel, Completion
from mockint.llm.prompts import load_prompt
from mockint.text import content_words

# How much the LLM's status for a key point counts against the judgement model's probabilities
# (``combine``). A capable endpoint leads; the packaged 1.5B model stays anchored. Both are settings
# chosen by design, not yet measured on the judgement model: ``make eval-llm`` writes
# eval/reports/hybrid-rule.md, which picks the compact weight on a development set.
LLM_WEIGHT = {"strong": 0.7, "compact": 0.15}
LEADS = 0.5  # an LLM whose verdict counts at least this much may lead, and grade alone
GENERIC_POINT = {
    "id": "kp1",
    "text": "a correct and complete answer to the question",
    "weight": "essential",
}


def combine(model: Sequence[float], llm_status: str | None, weight: float) -> tuple[float, ...]:
    """One key point's probabilities: the LLM's verdict (one-hot) mixed into the model's.

    >>> combine((0.0, 0.0, 0.0, 1.0), "covered", 0.7)
    (0.7, 0.0, 0.0, 0.3)
    >>> combine((0.2, 0.2, 0.1, 0.5), None, 0.7)  # the LLM did not judge it: the model alone
    (0.2, 0.2, 0.1, 0.5)
    """
    if llm_status is None:
        return tuple(float(x) for x in model)
    hot = ONE_HOT[llm_status]
    return tuple(round(weight * h + (1 - weight) * float(m), 6) for h, m in zip(hot, model))


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


class LLMGrader(Grader):
    """A capable endpoint: statuses with quotes, wrong claims and feedback from the LLM."""

    prompt_name = "grade"
    weight_class = "strong"

    def __init__(
        self,
        model: ChatModel,
        offline: OfflineGrader,
        *,
        cache_dir: Path | None = None,
        hybrid: bool = True,
        retries: int = 2,
        concurrency: int = 4,
    ):
        self.model = model
        self.offline = offline
        self.hybrid = hybrid
        self.retries = retries
        self.concurrency = concurrency
        self.cache_dir = cache_dir
        self.prompt = load_prompt(self.prompt_name)
        self.cache = DiskCache(cache_dir / "llm" if cache_dir else None)
        self.name = "hybrid" if hybrid else "llm"

    @property
    def score_map(self) -> ScoreMap:
        return self.offline.score_map

    @property
    def version(self) -> str:
        """What a stored grade depends on: the prompt, the LLM and the offline grader."""
        return f"{self.prompt.hash}+{self.model.name}+{self.offline.version}"

    @property
    def weight(self) -> float:
        """The LLM's share per key point: 1 for ``--grader llm``, else by the model's class."""
        return LLM_WEIGHT[self.weight_class] if self.hybrid else 1.0

    def quick(self) -> OfflineGrader:
        return self.offline

    def without_cache(self) -> LLMGrader:
        """The same grader asking the model every time (for re-grade stability)."""
        return type(self)(
            self.model,
            self.offline,
            cache_dir=None,
            hybrid=self.hybrid,
            retries=self.retries,
            concurrency=self.concurrency,
        )

    # ----------------------------------------------------------------- asking
    def _shown_points(self, task: GradingTask) -> list[dict]:
        q = task.question
        kps = [
            k
            for k in (q.key_points if q else [])
            if not task.only_key_points or k.id in task.only_key_points
        ]
        return [k.model_dump() for k in kps]

    def _messages(self, task: GradingTask) -> tuple[list[tuple[str, str]], list[str]]:
        q = task.question
        shown = self._shown_points(task)
        kp_ids = [k["id"] for k in shown] or ["kp1"]
        user = self.prompt.render(
            "user",
            question=task.question_text,
            key_points=shown,
            red_flags=list(q.red_flags) if q else [],
            reference=q.reference_text[:3000] if q else "",
            answer=task.answer,
            key_point_ids=", ".join(kp_ids),
        )
        return [("system", self.prompt.render("system")), ("user", user)], kp_ids

    def _format(self, kp_ids: list[str]) -> dict:
        return {"type": "json_object"}

    def _parse(self, text: str, task: GradingTask, kp_ids: list[str]) -> JudgeReply:
        return parse_reply(text, task.answer, kp_ids)

    def _complete(self, messages: list[tuple[str, str]], response_format: dict) -> Completion:
        key = self.cache.key(self.model.name, self.prompt.hash, messages)
        cached = self.cache.get(key)
        if cached is not None:
            return Completion(cached, self.model.name, "stop", 0.0)
        done = self.model.complete(messages, response_format=response_format)
        if done.finish_reason != "length":
            self.cache.put(key, done.text)
        return done

    def judge(self, task: GradingTask) -> tuple[JudgeReply | None, list[str], str]:
        """(validated reply or None, flags, last error): asked once, re-asked with the error."""
        messages, kp_ids = self._messages(task)
        error, flags = "", []
        for _ in range(self.retries + 1):
            try:
                done = self._complete(messages, self._format(kp_ids))
            except LLMError as exc:
                return None, flags, exc.render()
            if done.finish_reason == "length":
                flags.append("truncated")
                error = "the reply was cut off before the JSON object ended; keep it shorter"
            else:
                try:
                    return self._parse(done.text, task, kp_ids), flags, ""
                except ValueError as exc:
                    error = str(exc)
            repair = self.prompt.render("repair", error=error, key_point_ids=", ".join(kp_ids))
            messages = [*messages, ("assistant", done.text), ("user", repair)]
        return None, sorted(set(flags)), error

    # ----------------------------------------------------------------- grading
    def grade(self, task: GradingTask, judged: tuple | None = None) -> Grade:
        """``judged``: the judgement model's output for the task when the caller has it (the
        evaluation passes out-of-fold ones)."""
        t0 = time.perf_counter()
        off = self.offline
        meta = dict(
            grader=self.name,
            model=self.model.name,
            prompt=self.prompt.name,
            prompt_hash=self.version,
        )
        if is_non_answer(strip_instructions(task.answer)):
            return off.empty(task).model_copy(update={**meta, "latency_ms": _ms(t0)})
        judged = judged if judged is not None else off.judgements([task])[0]
        if judged is None:  # no reference: the LLM judges from the question alone
            return self._without_reference(task, meta, t0)
        model_only = float(off.score_map.predict(off.row(task, judged))[0])
        reply, flags, error = self.judge(task)
        if reply is None:
            g = off.finish(task, judged, model_only)
            off.attach_quotes([task], [judged], [g])
            return g.model_copy(
                update={
                    "flags": sorted(set(g.flags) | set(flags) | {"llm_failed_fallback"}),
                    "feedback_add": (
                        g.feedback_add + f" (LLM judge failed: {error[:160]})"
                    ).strip(),
                    "latency_ms": _ms(t0),
                }
            )
        g = self._combined(task, judged, reply, model_only)
        update = {**meta, "flags": sorted(set(g.flags) | set(flags)), "latency_ms": _ms(t0)}
        return g.model_copy(update={**update, **self._own_words(task, reply, g)})

    def _combined(
        self, task: GradingTask, judged: tuple, reply: JudgeReply, model_only: float
    ) -> Grade:
        """The grade from the LLM's statuses mixed into the model's probabilities, per key point."""
        ps, probs, clean = judged
        off = self.offline
        said = {jp.id: jp.status for jp in reply.key_points}
        mixed = np.array([combine(pr, said.get(p.id), self.weight) for p, pr in zip(ps, probs)])
        predicted = float(
            off.score_map.predict(
                features([Point(p.id, p.weight, tuple(m)) for p, m in zip(ps, mixed)])
            )[0]
        )
        statuses = [said.get(p.id) or status(m) for p, m in zip(ps, mixed)]
        g = off.finish(
            task, (ps, mixed, clean), predicted, model_score=model_only, statuses=statuses
        )
        off.attach_quotes([task], [(ps, mixed, clean)], [g])
        return g

    def _own_words(self, task: GradingTask, reply: JudgeReply, g: Grade) -> dict:
        """A capable judge's verbatim quotes, wrong claims and feedback, where it gave them."""
        quotes = {jp.id: exact_quote(task.answer, jp.quote) for jp in reply.key_points if jp.quote}
        for k in g.key_points:
            if k.status != "missing" and quotes.get(k.id):
                k.evidence = quotes[k.id]
        claims = [c for c in (exact_quote(task.answer, c) for c in reply.incorrect_claims) if c]
        out: dict = {"incorrect_claims": list(dict.fromkeys(g.incorrect_claims + claims))}
        if reply.feedback_good or reply.feedback_add:
            out.update(feedback_good=reply.feedback_good, feedback_add=reply.feedback_add)
        return out

    def _without_reference(self, task: GradingTask, meta: dict, t0: float) -> Grade:
        """No corpus question matched: one generic key point judged by the LLM alone — if its
        verdict may lead (``weight`` ≥ ``LEADS``: ``--grader llm``, or a capable endpoint in the
        hybrid). The packaged 1.5B model counts ``LLM_WEIGHT["compact"]`` beside the judgement
        model; with no reference there is nothing to stand beside, and alone it is not trusted with
        a grade (it gave a one-line answer in French 10/10 in an ad-hoc try): the grade is the
        offline grader's ``ungradable``, saying how to get one, and the model is not asked."""
        if self.weight < LEADS:
            return self._ungradable(
                task,
                meta,
                t0,
                "This LLM does not grade alone without one: add a reference column, or grade "
                "with a capable endpoint (--llm openai).",
            )
        reply, flags, error = self.judge(task)
        if reply is None:
            return self._ungradable(
                task,
                meta,
                t0,
                f"(LLM judge failed: {error[:160]})",
                {*flags, "llm_failed_fallback"},
            )
        said = reply.key_points[0].status
        clean = strip_instructions(task.answer)
        row = features([Point("kp1", "essential", ONE_HOT[said])])
        ctx = GuardContext(
            answer=task.answer,
            body=clean,
            question=task.question_text,
            reference="",
            topical=set(content_words(task.question_text)),
            hints_used=task.hints_used,
        )
        score, guard_flags, _ = apply_guards(float(self.score_map.predict(row)[0]), ctx)
        results = [
            KeyPointResult(
                id="kp1",
                text="a correct and complete answer",
                weight="essential",
                status=said,
                evidence=exact_quote(task.answer, reply.key_points[0].quote),
            )
        ]
        good, add = self._feedback(reply, results)
        return Grade(
            score=score,
            verdict=verdict_for(score),
            key_points=results,
            feedback_good=good,
            feedback_add=add,
            flags=sorted(set(flags) | set(guard_flags) | {"reference_not_found"}),
            match_similarity=task.match_similarity,
            latency_ms=_ms(t0),
            **meta,
        )

    def _ungradable(
        self, task: GradingTask, meta: dict, t0: float, note: str, flags: set[str] = frozenset()
    ) -> Grade:
        """The offline grader's grade for a question without a reference, with ``note`` added."""
        g = self.offline.empty(task)
        return g.model_copy(
            update={
                **meta,
                "flags": sorted(set(g.flags) | set(flags)),
                "feedback_add": f"{g.feedback_add} {note}",
                "latency_ms": _ms(t0),
            }
        )

    def _feedback(self, reply: JudgeReply, results: list[KeyPointResult]) -> tuple[str, str]:
        return reply.feedback_good, reply.feedback_add

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        judged = self.offline.judgements(tasks)  # every answer through the judgement model at once
        if self.concurrency <= 1 or len(tasks) <= 1:
            return [self.grade(t, judged=j) for t, j in zip(tasks, judged)]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self.grade, tasks, judged))


class CompactLLMGrader(LLMGrader):
    """A small local model: one status per key point, grammar-constrained; the prompt up to the
    answer is read while the candidate types; quotes and feedback come from the offline evidence."""

    prompt_name = "grade-compact"
    weight_class = "compact"

    def _shown_points(self, task: GradingTask) -> list[dict]:
        return super()._shown_points(task) or [
            GENERIC_POINT
        ]  # the compact prompt always lists points

    def _format(self, kp_ids: list[str]) -> dict:
        return {"type": "json_object", "schema": compact_schema(kp_ids)}

    def _parse(self, text: str, task: GradingTask, kp_ids: list[str]) -> JudgeReply:
        return parse_compact(text, kp_ids)

    def _own_words(self, task: GradingTask, reply: JudgeReply, g: Grade) -> dict:
        return {}  # a 1.5B model's words are not shown: the evidence's quotes and feedback stand

    def _feedback(self, reply: JudgeReply, results: list[KeyPointResult]) -> tuple[str, str]:
        return feedback_for(results, [])

    def prepare(self, task: GradingTask) -> None:
        """Before the answer exists: let the model read the prompt up to the answer, in the
        background (llama.cpp then reads only the answer when grading)."""
        if not self.model.can_prefill or task.question is None:
            return
        messages, _ = self._messages(replace(task, answer=""))
        threading.Thread(
            target=self.model.prefill, args=(messages,), name="mockint-prefill", daemon=True
        ).start()

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        """In question order, so one local model reads each question's prompt prefix once."""
        judged = self.offline.judgements(tasks)
        order = sorted(range(len(tasks)), key=lambda i: (tasks[i].question_text, i))
        done = {i: self.grade(tasks[i], judged=judged[i]) for i in order}
        return [done[i] for i in range(len(tasks))]


def llm_grader(model: ChatModel, offline: OfflineGrader, **kw) -> LLMGrader:
    """The grader for ``model``'s declared capabilities (``compact``: a small local model)."""
    return (CompactLLMGrader if model.compact else LLMGrader)(model, offline, **kw)
