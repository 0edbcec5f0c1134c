"""The LLM judge: per-key-point verdicts with quotes from any ``ChatModel``; Python does the score.

The reply must validate (JSON object, every key point judged once, statuses from the fixed
set, quotes verbatim in the answer); otherwise the judge is re-asked with the error, at most
``retries`` times, then the offline grade is returned flagged ``llm_failed_fallback`` — never
a default score. The offline grade is always computed too: it anchors the result (``hybrid``
averages the two; with instruction-like text in the answer an LLM score far above the
evidence is replaced by the evidence and flagged). Replies are cached on disk by
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
from typing import Literal

from pydantic import BaseModel, ValidationError

from .errors import LLMError
from .grading import (Grade, GradingTask, KeyPointResult, exact_quote, feedback_for, instruction_spans,
                      is_non_answer)
from .llm import ChatModel, Completion
from .prompts import load_prompt
from .rubric import hint_cap, score_from_statuses, verdict_for

INJECTION_MARGIN = 3.0
SMALL_JUDGE_WEIGHT = 0.3  # how far a small (compact) judge pulls the offline score towards its own
SMALL_JUDGE_SWING = 1.5  # and never more than this many points
SMALL_JUDGE_POINTS = 2  # ... when it rates at most this many key points in one reply; less when it rates more


def anchored(offline: float, judge: float, points: int = 1) -> float:
    """The hybrid score with a small local judge: the evidence, nudged towards the judge.

    Weight and swing were fitted on Mohler (one or two key points per question: stacking
    gave the judge 0.28 of the weight). With more key points in one reply the 1.5B judge gets
    worse (on our 5-8-point rubrics its Pearson is 0.29 against 0.44), so both shrink by
    ``SMALL_JUDGE_POINTS / points``.

    >>> anchored(4.0, 10.0), anchored(4.0, 5.0), anchored(6.0, 0.0), anchored(4.0, 10.0, points=6)
    (5.5, 4.3, 4.5, 4.5)
    """
    share = min(1.0, SMALL_JUDGE_POINTS / max(1, points))
    swing = SMALL_JUDGE_SWING * share
    delta = max(-swing, min(swing, SMALL_JUDGE_WEIGHT * share * (judge - offline)))
    return round(min(10.0, max(0.0, offline + delta)), 1)


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
    def embedder(self):
        return self.offline.embedder

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

    def grade(self, task: GradingTask, offline: Grade | None = None) -> Grade:
        """``offline``: the evidence grade when the caller has it (evaluation passes out-of-fold ones)."""
        t0 = time.perf_counter()
        offline = offline or self.offline.grade(task)
        meta = dict(grader=self.name, model=self.model.name, prompt=self.prompt.name, prompt_hash=self.prompt.hash,
                    question_id=offline.question_id, match_similarity=task.match_similarity)
        if is_non_answer(task.answer):
            return offline.model_copy(update={**meta, "latency_ms": round((time.perf_counter() - t0) * 1000, 1)})
        reply, flags, error = self.judge(task)
        if reply is None:
            fallback = offline.model_copy(update={
                "flags": sorted(set(offline.flags) | set(flags) | {"llm_failed_fallback"}),
                "feedback_add": (offline.feedback_add + f" (LLM judge failed: {error[:160]})").strip(),
                "latency_ms": round((time.perf_counter() - t0) * 1000, 1)})
            return fallback
        q = task.question
        texts = {k.id: k for k in (q.key_points if q else [])}
        evidence = {k.id: k.evidence for k in offline.key_points}
        results = []
        for jp in reply.key_points:
            kp = texts.get(jp.id)
            quote = "" if jp.status == "missing" else \
                exact_quote(task.answer, jp.quote) if not self.compact else evidence.get(jp.id, "")
            results.append(KeyPointResult(
                id=jp.id, text=kp.text if kp else "a correct and complete answer", weight=kp.weight if kp else "essential",
                status=jp.status, evidence=quote, reference=f"{q.id}#{jp.id}" if q else ""))
        claims = [c for c in (exact_quote(task.answer, c) for c in reply.incorrect_claims) if c]
        llm_score = score_from_statuses([(r.status, r.weight) for r in results], incorrect_claims=min(2, len(claims)))
        flags = set(flags) | set(offline.flags)
        if self.hybrid and q is not None:
            # a small local judge only nudges the evidence; a capable one is averaged with it
            score = anchored(offline.score, llm_score, points=len(results)) if self.compact \
                else round((llm_score + offline.score) / 2, 1)
        else:
            score = llm_score
        if instruction_spans(task.answer) and llm_score > offline.score + INJECTION_MARGIN:
            flags.add("injection_suspected")
            score = offline.score  # trust the evidence over a judge that may have been talked into it
        for capped in ("keyword_stuffing", "question_echo"):
            if capped in offline.flags:
                score = min(score, offline.score)
        cap = hint_cap(task.hints_used)
        if score > cap:
            flags.add("hint_capped")
            score = cap
        if q is None:
            flags.add("reference_not_found")
        good, add = (reply.feedback_good, reply.feedback_add) if not self.compact else feedback_for(results, claims)
        return Grade(score=score, verdict=verdict_for(score), key_points=results, incorrect_claims=claims,
                     feedback_good=good, feedback_add=add, flags=sorted(flags),
                     latency_ms=round((time.perf_counter() - t0) * 1000, 1), **meta)

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        evidence = self.offline.grade_many(tasks)  # all answers through the encoder in one batch
        if self.compact:  # one local model: in question order, so each prompt prefix is read once
            order = sorted(range(len(tasks)), key=lambda i: (tasks[i].question_text, i))
            done = {i: self.grade(tasks[i], offline=evidence[i]) for i in order}
            return [done[i] for i in range(len(tasks))]
        if self.concurrency <= 1 or len(tasks) <= 1:
            return [self.grade(t, offline=e) for t, e in zip(tasks, evidence)]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self.grade, tasks, evidence))
