"""Whether the LLM is answering, so a fallback is a state the user sees, not a flag in small print.

``Watched`` wraps any ``ChatModel``: every request that fails with ``LLMError`` records since when
the backend has been failing and why; the next success clears it. The UI shows ``notice()`` at
the top of the page until then, the terminal interview prints it once per session, and
``mockint doctor`` checks the backend outright. One ``Watched`` per ``Runtime`` (``Runtime.chat``),
so the grader and the interviewer's voice share what they saw.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from mockint.errors import LLMError
from mockint.llm.client import ChatModel, Completion, Message


class Watched(ChatModel):
    def __init__(self, inner: ChatModel, *, base_url: str = ""):
        self.inner = inner
        self.name = inner.name
        self.compact = inner.compact
        self.can_prefill = inner.can_prefill
        self.base_url = base_url
        self.failing_since: datetime | None = None
        self.last_error = ""
        self._lock = threading.Lock()

    def _failed(self, exc: LLMError) -> None:
        with self._lock:
            self.failing_since = self.failing_since or datetime.now(UTC)
            self.last_error = exc.render()

    def _ok(self) -> None:
        with self._lock:
            self.failing_since, self.last_error = None, ""

    def complete(
        self, messages: Sequence[Message], response_format: dict | None = None
    ) -> Completion:
        try:
            done = self.inner.complete(messages, response_format)
        except LLMError as exc:
            self._failed(exc)
            raise
        self._ok()
        return done

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        try:
            yield from self.inner.stream(messages)
        except LLMError as exc:
            self._failed(exc)
            raise
        self._ok()

    def ping(self) -> None:
        try:
            self.inner.ping()
        except LLMError as exc:
            self._failed(exc)
            raise
        self._ok()

    def prefill(self, messages: Sequence[Message]) -> None:
        self.inner.prefill(messages)

    def start_in_background(self) -> None:
        self.inner.start_in_background()

    def describe(self, base_url: str = "") -> str:
        return self.inner.describe(base_url or self.base_url)

    def notice(self) -> str:
        """One paragraph for the user while the backend fails ("" while it answers): what failed,
        since when, how to fix it, and that grading goes on offline."""
        with self._lock:
            since, error = self.failing_since, self.last_error
        if since is None:
            return ""
        local = since.astimezone().strftime("%H:%M:%S")
        return (
            f"The LLM ({self.describe()}) has not been answering since {local}: {error} "
            "Grading offline meanwhile (the judgement model alone); this notice clears when the "
            "LLM answers again."
        )
