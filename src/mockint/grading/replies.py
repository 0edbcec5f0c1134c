"""An LLM judge's reply, validated: the full reply (``parse_reply``: a status and a verbatim quote per
key point, wrong claims, feedback) and the compact one (``parse_compact``: one status per key point,
in the JSON object ``compact_schema`` describes, which llama.cpp turns into a grammar). A reply that
does not validate raises ``ValueError`` with a message fit to send back to the judge.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ValidationError

from mockint.grading.hygiene import exact_quote


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
        reply = JudgeReply.model_validate(json.loads(body[start : end + 1]))
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
            raise ValueError(
                f"the quote for {k.id} is not an exact substring of the answer: {k.quote[:80]!r}"
            )
    return reply


STATUSES = ["covered", "partial", "missing", "contradicted"]


def compact_schema(kp_ids: list[str]) -> dict:
    """JSON schema of the compact reply: ``{"kp1": "covered", …}``, every key point once, in order.

    llama.cpp turns it into a grammar, so a small model cannot skip, add or misspell one.
    (A bare list of statuses is shorter, but the 1.5B model then cycles through the enum
    instead of judging: tried and rejected.)
    """
    return {
        "type": "object",
        "properties": {i: {"type": "string", "enum": STATUSES} for i in kp_ids},
        "required": list(kp_ids),
        "additionalProperties": False,
    }


def parse_compact(text: str, kp_ids: list[str]) -> JudgeReply:
    """``{"kp1": "covered", …}`` -> a ``JudgeReply`` (no quotes: those come from the evidence)."""
    body = text.strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the reply is not a JSON object")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ValueError("the reply is not a JSON object")
    missing = [i for i in kp_ids if i not in data]
    bad = {k: v for k, v in data.items() if k in kp_ids and v not in STATUSES}
    if missing or bad:
        raise ValueError(
            f"give one status of {STATUSES} for each key point: missing {missing}, invalid {bad}"
        )
    return JudgeReply(key_points=[JudgedPoint(id=i, status=data[i]) for i in kp_ids])
