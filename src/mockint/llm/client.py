"""The one narrow model boundary: ``ChatModel.complete(messages, response_format) -> Completion``.

``OpenAICompatModel`` speaks to any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, a
llama.cpp server) through LangChain's ``ChatOpenAI`` at temperature 0 with a fixed seed;
faults (timeout, connection, 429 with Retry-After, 5xx) are retried a bounded number of
times, then raised as ``LLMError``. ``ScriptedModel`` replays queued replies and records
every call, for tests and demos. ``resolve_backend`` picks the backend from the config.
Nothing connects at import time; no tokenizer data is fetched (``get_num_tokens`` is
never used).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from mockint.errors import LLMError

Message = tuple[str, str]  # (role, content) with role in system / user / assistant


@dataclass
class Completion:
    text: str
    model: str
    finish_reason: str = "stop"
    latency_ms: float = 0.0


class ChatModel:
    """The boundary every LLM backend implements, with its capabilities declared (as simonw/llm's
    ``Model`` declares ``can_stream``): callers read these, never probe with ``hasattr``."""

    name: str = ""
    compact: bool = False  # a small model: ask for one status per key point, grammar-constrained
    can_prefill: bool = False  # reads a prompt prefix ahead of time (``prefill``) to answer faster

    def complete(
        self, messages: Sequence[Message], response_format: dict | None = None
    ) -> Completion:
        raise NotImplementedError

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """The reply in pieces as it is written (a backend that cannot stream yields it whole)."""
        yield self.complete(messages).text

    def ping(self) -> None:
        """A one-token request: returns when the model answers, raises ``LLMError`` otherwise."""
        self.complete([("user", "Reply with OK.")])

    def prefill(self, messages: Sequence[Message]) -> None:
        """Read ``messages`` now so a later request sharing their prefix is faster (``can_prefill``)."""

    def start_in_background(self) -> None:
        """Get ready (load a model) without blocking; a remote endpoint has nothing to do."""

    def describe(self, base_url: str = "") -> str:
        """One line: which model, where."""
        return f"{self.name} at {base_url or 'api.openai.com'}"

    def notice(self) -> str:
        """What the user must know about this backend now ("" when all is well; see ``health``)."""
        return ""


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class OpenAICompatModel(ChatModel):
    """Any OpenAI-compatible chat endpoint via LangChain's ChatOpenAI."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "",
        api_key: str = "",
        timeout: float = 60.0,
        retries: int = 2,
        seed: int = 0,
        max_tokens: int = 800,
        sleep: Callable[[float], None] = time.sleep,
    ):
        from langchain_openai import ChatOpenAI

        self.name = model
        self.retries = retries
        self._sleep = sleep
        self._chat = ChatOpenAI(
            model=model,
            base_url=base_url or None,
            api_key=api_key or "not-needed",
            temperature=0,
            seed=seed,
            timeout=timeout,
            max_retries=0,
            max_tokens=max_tokens,
        )

    def complete(
        self, messages: Sequence[Message], response_format: dict | None = None
    ) -> Completion:
        import openai

        chat = self._chat.bind(response_format=response_format) if response_format else self._chat
        lc_messages = [
            ("human" if r == "user" else "ai" if r == "assistant" else r, c) for r, c in messages
        ]
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            t0 = time.perf_counter()
            try:
                reply = chat.invoke(lc_messages)
            except openai.LengthFinishReasonError:  # the reply hit max_tokens: the caller re-asks
                return Completion("", self.name, "length", (time.perf_counter() - t0) * 1000)
            except openai.RateLimitError as exc:
                last = exc
                wait = _retry_after(exc)
                self._sleep(min(30.0, wait if wait is not None else 2.0**attempt))
                continue
            except (
                openai.APITimeoutError,
                openai.APIConnectionError,
                openai.InternalServerError,
            ) as exc:
                last = exc
                self._sleep(min(10.0, 0.5 * 2**attempt))
                continue
            except openai.APIStatusError as exc:  # 4xx other than 429: asking again will not help
                raise LLMError(
                    f"the endpoint refused the request ({exc.status_code}): {exc.message}",
                    fix="check the model name, the base URL and the API key",
                ) from exc
            except (
                openai.APIError,
                ValueError,
                KeyError,
                TypeError,
            ) as exc:  # a reply that is not an API response
                last = exc
                self._sleep(min(10.0, 0.5 * 2**attempt))
                continue
            text = reply.content if isinstance(reply.content, str) else str(reply.content)
            finish = (reply.response_metadata or {}).get("finish_reason") or "stop"
            return Completion(text, self.name, finish, (time.perf_counter() - t0) * 1000)
        raise LLMError(
            f"the endpoint failed {self.retries + 1} times: {type(last).__name__}: {last}",
            fix="check the endpoint is up, or grade with --grader offline",
        )

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """Token by token; a fault before the first token falls back to ``complete`` (its retries),
        a fault after it ends the stream with ``LLMError``."""
        import openai

        lc_messages = [
            ("human" if r == "user" else "ai" if r == "assistant" else r, c) for r, c in messages
        ]
        started = False
        try:
            for chunk in self._chat.stream(lc_messages):
                piece = chunk.content if isinstance(chunk.content, str) else str(chunk.content)
                if piece:
                    started = True
                    yield piece
        except (openai.APIError, ValueError, KeyError, TypeError) as exc:
            if started:
                raise LLMError(
                    f"the endpoint stopped mid-reply: {type(exc).__name__}: {exc}",
                    fix="check the endpoint is up",
                ) from exc
            yield self.complete(messages).text

    def ping(self) -> None:
        """One token, one try: returns when the endpoint answers."""
        import openai

        try:
            self._chat.bind(max_tokens=1).invoke([("human", "Reply with OK.")])
        except openai.APIError as exc:
            raise LLMError(
                f"the endpoint did not answer: {type(exc).__name__}: {exc}",
                fix="check the endpoint is up, the model name and the API key",
            ) from exc


@dataclass
class ScriptedModel(ChatModel):
    """Replies from a queue (strings, exceptions to raise, or callables of the messages)."""

    replies: list = field(default_factory=list)
    name: str = "scripted"
    calls: list = field(default_factory=list)

    def complete(
        self, messages: Sequence[Message], response_format: dict | None = None
    ) -> Completion:
        self.calls.append({"messages": list(messages), "response_format": response_format})
        if not self.replies:
            raise LLMError(
                "the scripted model has no reply left", fix="queue more replies in the test"
            )
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(messages)
        finish = "length" if isinstance(reply, str) and reply.endswith("\x00") else "stop"
        return Completion(reply.rstrip("\x00"), self.name, finish)

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """The next reply, a word at a time (an exception in the queue is raised before any)."""
        text = self.complete(messages).text
        for i, word in enumerate(text.split(" ")):
            yield word if i == 0 else " " + word
