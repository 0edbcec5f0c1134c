"""One exception tree. The CLI turns any ``MockintError`` into one clear line and exit 1.

Each error says what went wrong, where (file, line, row, field) and how to fix it.
"""

from __future__ import annotations


class MockintError(Exception):
    """Base of every error mockint raises on purpose."""

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None):
        self.message = message
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text += f" (fix: {self.fix})"
        return text


class CorpusError(MockintError):
    """The corpus source, a curation file or an imported file is malformed."""


class InputFileError(MockintError):
    """A user-supplied file (batch grading, import, eval dataset) cannot be read."""


class SearchIndexError(MockintError):
    """The Chroma index is missing, corrupt or unreachable."""


class ConfigError(MockintError):
    """A setting is missing or invalid."""


class LLMError(MockintError):
    """An LLM call failed after its bounded retries; carries the last completion."""

    def __init__(self, message: str, *, last_completion: str | None = None, **kw):
        self.last_completion = last_completion
        super().__init__(message, **kw)


class SessionError(MockintError):
    """An interview session cannot be started, resumed or continued."""


class AudioError(MockintError):
    """A recording or audio file cannot be used (empty, not audio, no speech, unreadable codec)."""
