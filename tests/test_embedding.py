"""The MiniLM embedder: the ONNX path gives PyTorch's vectors, is exported once, and falls back."""

import numpy as np
import pytest

from mockint.config import Config
from mockint.errors import ConfigError
from mockint.search import onnx_encoder
from mockint.search.embedding import MiniLMEmbedder

TEXTS = [
    "L1 regularization drives some weights to exactly zero.",
    "What is a confusion matrix?",
    "Bagging trains models on bootstrap samples and averages them, which lowers variance. " * 3,
]


@pytest.mark.slow
def test_onnx_vectors_equal_pytorch_and_the_export_is_reused(minilm, tmp_path):
    torch_vecs = MiniLMEmbedder(backend="torch").encode(TEXTS)
    onnx_vecs = minilm.encode(TEXTS)
    assert minilm._onnx, "the ONNX path should be active in the test environment"
    assert float((onnx_vecs * torch_vecs).sum(1).min()) > 0.9999
    onnx_file = next(minilm.onnx_dir.glob("*/model.onnx"))
    mtime = onnx_file.stat().st_mtime_ns
    again = MiniLMEmbedder(onnx_dir=minilm.onnx_dir)
    assert np.allclose(again.encode(TEXTS), onnx_vecs, atol=1e-5)
    assert onnx_file.stat().st_mtime_ns == mtime  # loaded, not exported again


@pytest.mark.slow
def test_a_failed_export_falls_back_to_pytorch_and_says_so(tmp_path, monkeypatch, capsys):
    def broken(*a, **k):
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(onnx_encoder, "_export", broken)
    emb = MiniLMEmbedder(onnx_dir=tmp_path / "onnx")
    vecs = emb.encode(TEXTS[:2])
    assert emb._onnx is False and vecs.shape == (2, 384)
    assert "using PyTorch for embeddings" in capsys.readouterr().err


def test_a_corrupt_export_falls_back(tmp_path, monkeypatch, capsys):
    emb = MiniLMEmbedder(onnx_dir=tmp_path / "onnx")
    folder = tmp_path / "onnx" / f"{emb.path.name}-{onnx_encoder._fingerprint(emb.path)}"
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"not a model")
    (folder / "probes.json").write_text('{"max_length": 256, "vectors": []}')
    assert onnx_encoder.load_or_export(emb.path, tmp_path / "onnx", lambda: None) is None
    assert "ONNX unavailable" in capsys.readouterr().err


def test_unknown_backend_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(ConfigError):
        MiniLMEmbedder(backend="tpu")
    monkeypatch.setenv("MOCKINT_EMBEDDING_BACKEND", "tpu")
    with pytest.raises(ConfigError) as e:
        Config.load(home=tmp_path)
    assert "onnx or torch" in e.value.render()
