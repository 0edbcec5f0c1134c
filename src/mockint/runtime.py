"""Assemble the parts from a ``Config``: corpus, embedder, index (and later graders).

Everything is built lazily and once per ``Runtime``; nothing connects at import time.
The CLI and the UI both receive a ``Runtime``; tests build one with the hash embedder.
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable

from .config import Config
from .corpus import Question, load_questions
from .embedding import Embedder, make_embedder
from .index import BuildReport, CorpusIndex


class Runtime:
    def __init__(self, config: Config, *, embedder: Embedder | None = None):
        self.config = config
        self._embedder = embedder

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or make_embedder(self.config.embedding_model)

    @cached_property
    def questions(self) -> list[Question]:
        return load_questions(self.config.corpus)

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def index(self) -> CorpusIndex:
        return CorpusIndex(self.embedder, self.config.chroma_dir, self.config.chroma_url,
                           model=self.config.embedding_model)

    def ensure_index(self, progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Bring the index up to date with the corpus (cheap when nothing changed)."""
        return self.index.build(self.questions, progress=progress)

    def offline_grader(self):
        from .offline import OfflineGrader

        index = None
        try:
            if self.index.count() > 0:
                index = self.index
        except Exception:  # an unreadable index only costs speed here
            index = None
        return OfflineGrader(self.embedder, index=index)

    def make_grader(self, kind: str):
        """The grader named by ``kind``. Only the offline grader exists so far; the LLM judge
        is the next step of the grader work and is refused with a clear message until then."""
        from .errors import ConfigError

        if kind in ("offline", "auto"):
            return self.offline_grader()
        if kind in ("llm", "hybrid"):
            raise ConfigError(f"the {kind} grader is not available in this version",
                              fix="use --grader offline (the LLM judge is not shipped yet)")
        raise ConfigError(f"unknown grader {kind!r}", fix="use offline")
