"""The LLM judge: per-key-point verdicts from any ``ChatModel``, on the same footing as the model's.

The reply must validate (JSON object, every key point judged once, statuses from the fixed
set, quotes verbatim in the answer); otherwise the judge is re-asked with the error, at most
``retries`` times, then the offline grade is returned flagged ``llm_failed_fallback`` — never
a default score. The judgement model always reads the answer too, and the two meet per key
point (``combine``): the LLM's status is mixed into the model's probabilities with a weight that
lets a capable endpoint lead and keeps the packaged 1.5B model anchored (``LLM_WEIGHT``); the
score mapping and the guard table are the offline grader's. Replies are cached on disk by
(model, prompt hash, messages).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
from pydantic import BaseModel, ValidationError

from .errors import LLMError
from .features import content_words, words
from .grading import Grade, GradingTask, KeyPointResult, exact_quote, feedback_for, is_non_answer, strip_instructions
from .guards import GuardContext, apply_guards
from .rubric import verdict_for
from .llm import ChatModel, Completion
from .prompts import load_prompt
from .scoring import ONE_HOT, Point, features, status

# How much the LLM's status for a key point counts against the judgement model's probabilities
# (``combine``). A capable endpoint leads; the packaged 1.5B model stays anchored: see
# eval/reports/hybrid-rule.md for how these were measured.
LLM_WEIGHT = {"strong": 0.7, "compact": 0.15}


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


class JudgedPoint(BaseModel):
    id: str
    status: Literal["covered", "partial", "missing", "contradicted"]
    quote: str = ""


class JudgeReply(BaseModel):
    key_points: list[JudgedPoint]
    incorrect_claims: list[str] = []
    feedback_good: str = ""
    feedback_add: str = ""


def parse_reply(text: str, answer: str, kp_ids: list[str]) -> JudgeReply:
    """Validate a judge reply; raises ValueError with a message fit to send back to the judge."""
    body = text.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", body, re.S)
    if fence:
        body = fence.group(1).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the reply is not a JSON object")
    try:
        reply = JudgeReply.model_validate(json.loads(body[start:end + 1]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"field {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    got = [k.id for k in reply.key_points]
    missing = [i for i in kp_ids if i not in got]
    extra = [i for i in got if i not in kp_ids]
    if missing or extra or len(got) != len(set(got)):
        raise ValueError(f"judge each key point exactly once: missing {missing}, unknown {extra}")
    for k in reply.key_points:
        if k.status != "missing" and k.quote and not exact_quote(answer, k.quote):
            raise ValueError(f"the quote for {k.id} is not an exact substring of the answer: {k.quote[:80]!r}")
    return reply


STATUSES = ["covered", "partial", "missing", "contradicted"]


def compact_schema(kp_ids: list[str]) -> dict:
    """JSON schema of the compact reply: ``{"kp1": "covered", …}``, every key point once, in order.

    llama.cpp turns it into a grammar, so a small model cannot skip, add or misspell one.
    (A bare list of statuses is shorter, but the 1.5B model then cycles through the enum
    instead of judging: tried and rejected.)
    """
    return {"type": "object", "properties": {i: {"type": "string", "enum": STATUSES} for i in kp_ids},
            "required": list(kp_ids), "additionalProperties": False}


def parse_compact(text: str, kp_ids: list[str]) -> JudgeReply:
    """``{"kp1": "covered", …}`` -> a ``JudgeReply`` (no quotes: those come from the evidence)."""
    body = text.strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the reply is not a JSON object")
    try:
        data = json.loads(body[start:end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ValueError("the reply is not a JSON object")
    missing = [i for i in kp_ids if i not in data]
    bad = {k: v for k, v in data.items() if k in kp_ids and v not in STATUSES}
    if missing or bad:
        raise ValueError(f"give one status of {STATUSES} for each key point: missing {missing}, invalid {bad}")
    return JudgeReply(key_points=[JudgedPoint(id=i, status=data[i]) for i in kp_ids])


class DiskCache:
    def __init__(self, folder: Path | None):
        self.folder = folder

    def key(self, *parts: object) -> str:
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))["text"]
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, text: str) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{key}.tmp"
        tmp.write_text(json.dumps({"text": text}), encoding="utf-8")
        tmp.replace(self.folder / f"{key}.json")


class LLMGrader:
    def __init__(self, model: ChatModel, offline, *, cache_dir: Path | None = None, hybrid: bool = True,
                 retries: int = 2, concurrency: int = 4):
        self.model = model
        self.offline = offline
        self.hybrid = hybrid
        self.retries = retries
        self.concurrency = concurrency
        self.compact = bool(getattr(model, "compact", False))  # small local model: statuses only
        self.prompt = load_prompt("grade-compact" if self.compact else "grade")
        self.cache = DiskCache(cache_dir / "llm" if cache_dir else None)
        self.name = "hybrid" if hybrid else "llm"

    @property
    def score_map(self):
        return self.offline.score_map

    @property
    def version(self) -> str:
        """What a stored grade depends on: the prompt, the LLM and the offline grader."""
        return f"{self.prompt.hash}+{self.model.name}+{self.offline.version}"

    def _messages(self, task: GradingTask) -> tuple[list[tuple[str, str]], list[str]]:
        q = task.question
        kps = [k for k in (q.key_points if q else []) if not task.only_key_points or k.id in task.only_key_points]
        kp_ids = [k.id for k in kps] or ["kp1"]
        shown = [k.model_dump() for k in kps]
        if self.compact and not shown:  # the compact prompt always lists key points
            shown = [{"id": "kp1", "text": "a correct and complete answer to the question", "weight": "essential"}]
        user = self.prompt.render(
            "user", question=task.question_text, key_points=shown, red_flags=list(q.red_flags) if q else [],
            reference=q.reference_text[:3000] if q else "", answer=task.answer, key_point_ids=", ".join(kp_ids))
        return [("system", self.prompt.render("system")), ("user", user)], kp_ids

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
        """(validated reply or None, flags, last error)."""
        messages, kp_ids = self._messages(task)
        fmt = {"type": "json_object", "schema": compact_schema(kp_ids)} if self.compact else {"type": "json_object"}
        error, flags = "", []
        for _ in range(self.retries + 1):
            try:
                done = self._complete(messages, fmt)
            except LLMError as exc:
                return None, flags, exc.render()
            if done.finish_reason == "length":
                flags.append("truncated")
                error = "the reply was cut off before the JSON object ended; keep it shorter"
            else:
                try:
                    if self.compact:
                        return parse_compact(done.text, kp_ids), flags, ""
                    return parse_reply(done.text, task.answer, kp_ids), flags, ""
                except ValueError as exc:
                    error = str(exc)
            messages = messages + [("assistant", done.text),
                                   ("user", self.prompt.render("repair", error=error, key_point_ids=", ".join(kp_ids)))]
        return None, sorted(set(flags)), error

    def prepare(self, task: GradingTask) -> None:
        """Before the answer exists: let a local model evaluate the prompt up to the answer, in the
        background (llama.cpp then reads only the answer when grading). Other models: nothing."""
        prefill = getattr(self.model, "prefill", None)
        if prefill is None or task.question is None:
            return
        messages, _ = self._messages(replace(task, answer=""))
        threading.Thread(target=prefill, args=(messages,), name="mockint-prefill", daemon=True).start()

    def without_cache(self) -> "LLMGrader":
        """The same grader asking the model every time (for re-grade stability)."""
        return LLMGrader(self.model, self.offline, cache_dir=None, hybrid=self.hybrid, retries=self.retries,
                         concurrency=self.concurrency)

    @property
    def weight(self) -> float:
        """The LLM's share per key point: 1 for ``--grader llm``, else by the model's class."""
        if not self.hybrid:
            return 1.0
        return LLM_WEIGHT["compact" if self.compact else "strong"]

    def grade(self, task: GradingTask, judged: tuple | None = None) -> Grade:
        """``judged``: the judgement model's output for the task when the caller has it (the
        evaluation passes out-of-fold ones)."""
        t0 = time.perf_counter()
        off = self.offline
        if judged is None:
            judged = off.judgements([task])[0]
        meta = dict(grader=self.name, model=self.model.name, prompt=self.prompt.name, prompt_hash=self.version)
        if is_non_answer(strip_instructions(task.answer)):
            return off.empty(task).model_copy(update={**meta, "latency_ms": round((time.perf_counter() - t0) * 1000, 1)})
        if judged is None:  # no reference: the LLM judges from the question alone
            return self._without_reference(task, meta, t0)
        ps, probs, red, clean = judged
        model_only = float(off.score_map.predict(off.row(task, judged))[0])
        reply, flags, error = self.judge(task)
        if reply is None:
            g = off.finish(task, judged, model_only)
            off.attach_quotes([task], [judged], [g])
            return g.model_copy(update={
                "flags": sorted(set(g.flags) | set(flags) | {"llm_failed_fallback"}),
                "feedback_add": (g.feedback_add + f" (LLM judge failed: {error[:160]})").strip(),
                "latency_ms": round((time.perf_counter() - t0) * 1000, 1)})
        said = {jp.id: jp.status for jp in reply.key_points}
        mixed = [combine(pr, said.get(p.id), self.weight) for p, pr in zip(ps, probs)]
        points = [Point(p.id, p.weight, m) for p, m in zip(ps, mixed)]
        row = features(points, red)
        predicted = float(off.score_map.predict(row)[0])
        statuses = [said.get(p.id) or status(m) for p, m in zip(ps, mixed)]
        g = off.finish(task, (ps, np.array(mixed), red, clean), predicted, model_score=model_only,
                       statuses=statuses)
        quotes = {jp.id: exact_quote(task.answer, jp.quote) for jp in reply.key_points if jp.quote}
        off.attach_quotes([task], [(ps, np.array(mixed), red, clean)], [g])
        for k in g.key_points:  # a capable judge's own verbatim quote, where it gave one
            if not self.compact and k.status != "missing" and quotes.get(k.id):
                k.evidence = quotes[k.id]
        claims = [c for c in (exact_quote(task.answer, c) for c in reply.incorrect_claims) if c]
        update = {**meta, "flags": sorted(set(g.flags) | set(flags)),
                  "incorrect_claims": list(dict.fromkeys(g.incorrect_claims + claims)),
                  "latency_ms": round((time.perf_counter() - t0) * 1000, 1)}
        if not self.compact and (reply.feedback_good or reply.feedback_add):
            update.update(feedback_good=reply.feedback_good, feedback_add=reply.feedback_add)
        return g.model_copy(update=update)

    def _without_reference(self, task: GradingTask, meta: dict, t0: float) -> Grade:
        """No corpus question matched: one generic key point judged by the LLM alone."""
        reply, flags, error = self.judge(task)
        ms = round((time.perf_counter() - t0) * 1000, 1)
        if reply is None:
            g = self.offline.empty(task)
            return g.model_copy(update={**meta, "flags": sorted(set(g.flags) | set(flags) | {"llm_failed_fallback"}),
                                        "feedback_add": f"{g.feedback_add} (LLM judge failed: {error[:160]})",
                                        "latency_ms": ms})
        said = reply.key_points[0].status
        clean = strip_instructions(task.answer)
        row = features([Point("kp1", "essential", ONE_HOT[said])], [])
        ctx = GuardContext(answer=task.answer, body=clean, question=task.question_text, reference="",
                           topical=set(content_words(task.question_text)), hints_used=task.hints_used)
        score, guard_flags, _ = apply_guards(float(self.offline.score_map.predict(row)[0]), ctx)
        results = [KeyPointResult(id="kp1", text="a correct and complete answer", weight="essential", status=said,
                                  evidence=exact_quote(task.answer, reply.key_points[0].quote))]
        good, add = (reply.feedback_good, reply.feedback_add) if not self.compact else feedback_for(results, [])
        return Grade(score=score, verdict=verdict_for(score), key_points=results, feedback_good=good,
                     feedback_add=add, flags=sorted(set(flags) | set(guard_flags) | {"reference_not_found"}),
                     match_similarity=task.match_similarity, latency_ms=ms, **meta)

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        judged = self.offline.judgements(tasks)  # all answers through the judgement model in one batch
        if self.compact:  # one local model: in question order, so each prompt prefix is read once
            order = sorted(range(len(tasks)), key=lambda i: (tasks[i].question_text, i))
            done = {i: self.grade(tasks[i], judged=judged[i]) for i in order}
            return [done[i] for i in range(len(tasks))]
        if self.concurrency <= 1 or len(tasks) <= 1:
            return [self.grade(t, judged=j) for t, j in zip(tasks, judged)]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self.grade, tasks, judged))
