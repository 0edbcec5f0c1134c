"""Assemble the parts from a ``Config``: corpus, embedder, index (and later graders).

Everything is built lazily and once per ``Runtime``; nothing connects at import time.
The CLI and the UI both receive a ``Runtime``; tests build one with the hash embedder.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from mockint.config import Config
from mockint.corpus.schema import Question, load_questions
from mockint.grading.offline import OfflineGrader
from mockint.grading.schema import Grader
from mockint.llm.health import Watched
from mockint.search.embedding import Embedder, make_embedder
from mockint.search.index import BuildReport, CorpusIndex


class Runtime:
    def __init__(self, config: Config, *, embedder: Embedder | None = None, judge=None):
        self.config = config
        self._embedder = embedder
        self._judge = judge

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or make_embedder(
            self.config.embedding_model,
            self.config.embedding_backend,
            self.config.home / "models" / "onnx",
        )

    @cached_property
    def questions(self) -> list[Question]:
        return load_questions(self.config.corpus)

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def index(self) -> CorpusIndex:
        return CorpusIndex(
            self.embedder,
            self.config.chroma_dir,
            self.config.chroma_url,
            model=self.config.embedding_model,
        )

    def ready_index(self, say: Callable[[str], None] | None = None) -> CorpusIndex:
        """The index, built first when it is empty (the one place that does this); ``say`` hears
        that it is being built."""
        if self.index.count() == 0:
            if say is not None:
                say("building the index (first run)…")
            self.ensure_index()
        return self.index

    def ready_index_apart(self, say: Callable[[str], None] | None = None) -> CorpusIndex:
        """``ready_index`` for a long-lived server: a first build runs in a child process, so the
        server does not keep the memory that embedding the whole corpus peaked at (GBs; see
        README, "Known limits"). A build that fails there is tried again here, for its error."""
        built = (self.config.chroma_dir / "chroma.sqlite3").exists()
        if self._embedder is None and not self.config.chroma_url and not built:
            import multiprocessing

            if say is not None:
                say("building the index (first run, in a separate process)…")
            child = multiprocessing.get_context("spawn").Process(
                target=_build_index, args=(self.config,), daemon=True
            )
            child.start()
            child.join()
        return self.ready_index(say)

    def ensure_index(self, progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Bring the index up to date with the corpus (cheap when nothing changed)."""
        return self.index.build(self.questions, progress=progress)

    @cached_property
    def judge(self):
        """The judgement model (``judge_model``), loaded once; every grader of this Runtime shares it
        and its cache of judged pairs."""
        from mockint.judge.model import make_judge

        return self._judge or make_judge(self.config.judge_model)

    @cached_property
    def score_map(self):
        from mockint.grading.scoring import ScoreMap

        return ScoreMap.load()

    @cached_property
    def chat(self) -> Watched | None:
        """The configured LLM (``llm`` setting), built once and watched: the grader and the
        interviewer share it and what it failed at. None: offline grading, rubric probes."""
        from mockint.llm.backend import resolve_backend

        model = resolve_backend(self.config)
        return Watched(model, base_url=self.config.base_url) if model is not None else None

    def offline_grader(self) -> OfflineGrader:
        """A grader on the shared judgement model and the shipped score mapping."""
        return OfflineGrader(self.judge, self.score_map)

    def make_grader(self, kind: str, *, concurrency: int = 4) -> Grader:
        """offline | llm | hybrid | auto (hybrid when an LLM is configured, else offline); coding
        questions' code is run on their tests (``coding.grade``) whichever it is."""
        return self._with_code(self._text_grader(kind, concurrency))

    def _text_grader(self, kind: str, concurrency: int) -> Grader:
        from mockint.errors import ConfigError

        if kind not in ("offline", "llm", "hybrid", "auto"):
            raise ConfigError(f"unknown grader {kind!r}", fix="use offline, llm, hybrid or auto")
        if kind == "offline":
            return self.offline_grader()
        model = self.chat
        if model is None:
            if kind == "auto":
                return self.offline_grader()
            raise ConfigError(
                f"--grader {kind} needs an LLM, and none is configured",
                fix="set OPENAI_API_KEY (and OPENAI_BASE_URL for another endpoint), or use --grader offline",
            )
        from mockint.grading.llm_judge import llm_grader

        return llm_grader(
            model,
            self.offline_grader(),
            cache_dir=self.config.cache_dir,
            hybrid=kind != "llm",
            retries=self.config.llm_retries,
            concurrency=concurrency,
        )

    @cached_property
    def transcriber(self):
        """Speech to text (``speech_model``), assembled and checked on first use; the model
        itself loads on the first transcription."""
        from mockint.speech.model import model_dir
        from mockint.speech.transcribe import Transcriber

        folder = model_dir(self.config.speech_model, self.config.home)
        return Transcriber(folder, max_seconds=self.config.audio_max_seconds)

    @cached_property
    def problems(self) -> dict:
        """The coding problems of the corpus (beside its questions file), by id."""
        from mockint.coding.problems import built_path, load_built

        local = self.config.corpus.parent / "coding" / "problems.jsonl"
        if not any(q.problem for q in self.questions):
            return {}
        return load_built(local if local.exists() else built_path())

    @cached_property
    def code_runner(self):
        """Runs candidates' code in the sandbox; the data dir and the problems' hidden tests are
        out of its sight."""
        from mockint.coding.grade import CodeRunner
        from mockint.coding.problems import built_path

        hide = [str(self.config.home), str(built_path().parent), str(self.config.corpus.parent)]
        return CodeRunner(self.problems, hide=hide)

    def _with_code(self, grader: Grader) -> Grader:
        if not self.problems:
            return grader
        from mockint.coding.grade import CodeGrader

        return CodeGrader(grader, self.code_runner)

    def resolve_question(self, text: str) -> tuple[Question | None, float | None]:
        """A corpus id, or free text matched through the index (None below the threshold)."""
        text = (text or "").strip()
        if text in self.by_id:
            return self.by_id[text], None
        if not text:
            return None, None
        hits = self.ready_index().search(text, k=1)
        if not hits:
            return None, None
        best = hits[0]
        return (
            self.by_id.get(best.qid) if best.similarity >= self.config.match_threshold else None
        ), best.similarity


def _build_index(config: Config) -> None:
    """The child process of ``Runtime.ready_index_apart``."""
    Runtime(config).ensure_index()
