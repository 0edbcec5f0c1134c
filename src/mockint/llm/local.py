"""The embedded local LLM as a ``ChatModel``: the packaged Qwen2.5-Coder-1.5B (``gguf``) behind
llama.cpp's server (``server``), through the same OpenAI-compatible client as a remote endpoint.

Why a server and not ``Llama()`` in-process: the HTTP hop costs milliseconds against seconds of
decoding (see ``bench/local_llm.md``), the model's 1.9 GB and its native threads live in a child
that can be restarted when it crashes, and the fault handling (timeouts, retries, fallback) is the
one already tested against a fake OpenAI server.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from mockint.llm.client import ChatModel, OpenAICompatModel
from mockint.llm.gguf import MODEL_ALIAS
from mockint.llm.server import LocalServer, shared_server


class LocalChatModel(ChatModel):
    """A ``ChatModel`` on the local server: started on first use, restarted if it died.

    ``compact`` tells the grader to ask for the short, schema-constrained verdict (the
    1.5B model decodes ~20 tokens/s); ``prefill`` evaluates a prompt prefix (the grading
    prompt up to the answer) while the candidate is still typing, so the grade itself
    only reads the answer (llama.cpp reuses the longest common token prefix).
    """

    compact = True
    can_prefill = True

    def __init__(
        self,
        model: Path,
        *,
        threads: int = 0,
        n_ctx: int = 4096,
        timeout: float = 120.0,
        retries: int = 2,
        log_path: Path | None = None,
        max_tokens: int = 400,
    ):
        self.model_path = model
        self.threads = threads or os.cpu_count() or 2
        self.n_ctx = n_ctx
        self.timeout = timeout
        self.retries = retries
        self.log_path = log_path
        self.max_tokens = max_tokens
        self.name = MODEL_ALIAS
        self._clients: dict[str, object] = {}

    def server(self) -> LocalServer:
        return shared_server(
            self.model_path, threads=self.threads, n_ctx=self.n_ctx, log_path=self.log_path
        )

    def _client(self, max_tokens: int | None = None):
        url = self.server().base_url
        key = f"{url}|{max_tokens or self.max_tokens}"
        if key not in self._clients:
            self._clients[key] = OpenAICompatModel(
                MODEL_ALIAS,
                base_url=url,
                api_key="local",
                timeout=self.timeout,
                retries=self.retries,
                max_tokens=max_tokens or self.max_tokens,
            )
        return self._clients[key]

    def complete(self, messages, response_format: dict | None = None):
        return self._client().complete(messages, response_format)

    def stream(self, messages):
        return self._client().stream(messages)

    def ping(self) -> None:
        self._client(max_tokens=1).ping()

    def prefill(self, messages) -> None:
        """Evaluate ``messages`` and generate one token; errors are ignored (it only saves time)."""
        try:
            self._client(max_tokens=1).complete(messages)
        except Exception:
            pass

    def start_in_background(self) -> None:
        """Start the server now, without waiting (the UI and the terminal interview do this, so
        the first grade does not pay for loading the model)."""
        threading.Thread(target=self._start_quietly, name="mockint-local-llm", daemon=True).start()

    def _start_quietly(self) -> None:
        try:
            self.server()
        except Exception:
            pass

    def describe(self, base_url: str = "") -> str:
        return f"{MODEL_ALIAS} (local llama.cpp server on 127.0.0.1, {self.threads} threads, {self.n_ctx}-token context)"
