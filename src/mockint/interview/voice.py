"""The interviewer's words beyond the rubric: a follow-up question aimed at a missed key point and
an answer to "what do you mean?", phrased by an LLM when one is configured and accepted only when
the phrasing does not give the key point away (``moves.leaks``); otherwise the rubric's probe or
the question's scope. No state: the engine stores what was said and by whom."""

from __future__ import annotations

from collections.abc import Iterator

from mockint.corpus.schema import KeyPoint, Question
from mockint.errors import LLMError
from mockint.interview.moves import leaks
from mockint.interview.report import scope_text
from mockint.llm.client import ChatModel
from mockint.llm.prompts import load_prompt

GENERIC_PROBE = "What else would you add to your answer?"


class Voice:
    def __init__(self, chat: ChatModel | None):
        self.chat = chat
        self.prompts = load_prompt("interviewer")

    def ask(self, part: str, **values) -> str:
        """The LLM's plain-text reply to one of the interviewer prompt's parts ("" when it fails or
        is cut off)."""
        if self.chat is None:
            return ""
        messages = [
            ("system", self.prompts.render("system")),
            ("user", self.prompts.render(part, **values)),
        ]
        try:
            done = self.chat.complete(messages)
        except LLMError:
            return ""
        text = " ".join(done.text.split()).strip().strip('"').strip()
        return "" if done.finish_reason == "length" else text[:600]

    def followup(self, q: Question, kp: KeyPoint, answer: str) -> tuple[str, str, list[dict]]:
        """(text, phrased_by, actions): the LLM's phrasing if it does not leak, else the probe."""
        probe = kp.probe or GENERIC_PROBE
        if self.chat is None:
            return probe, "probe", []
        text = self.ask(
            "followup", question=q.question, answer=answer[:3000], key_point=kp.text, probe=probe
        )
        if not text:
            return probe, "probe", [{"action": "llm_failed"}]
        if leaks(text, kp.text, q.question):
            return (
                probe,
                "probe",
                [{"action": "llm_rejected", "reason": "leaks the key point", "text": text}],
            )
        return text, "llm", []

    def followup_stream(self, q: Question, kp: KeyPoint, answer: str) -> Iterator[str]:
        """The LLM's follow-up phrasing as it is written (raises ``LLMError`` when it fails; the
        caller keeps the probe). The caller checks the text for leaks as it grows."""
        if self.chat is None:
            raise LLMError("no LLM is configured", fix="phrase with the rubric's probe")
        probe = kp.probe or GENERIC_PROBE
        prompt = self.prompts.render(
            "followup", question=q.question, answer=answer[:3000], key_point=kp.text, probe=probe
        )
        yield from self.chat.stream([("system", self.prompts.render("system")), ("user", prompt)])

    def clarify(self, q: Question, asked: str, request: str) -> tuple[str, str]:
        """(text, phrased_by): what the question means, without giving away a key point."""
        if self.chat is not None:
            text = self.ask(
                "clarify", question=asked, scope=scope_text(q, restate=False), request=request
            )
            if text and not any(leaks(text, k.text, q.question) for k in q.key_points):
                return text, "llm"
        return scope_text(q), "scope"
