"""Shared fixtures. Tests never touch the network: the model is the packaged MiniLM or a hash fake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MOCKINT_CORPUS", "MOCKINT_CHROMA_URL", "MOCKINT_LLM"):
    os.environ.pop(var, None)

from mockint.config import Config  # noqa: E402
from mockint.embedding import HashEmbedder, MiniLMEmbedder  # noqa: E402
from mockint.runtime import Runtime  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MOHLER = REPO.parent / "shared" / "data" / "asag" / "mohler.jsonl"


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.setenv("MOCKINT_HOME", str(h))
    return h


@pytest.fixture
def fake_runtime(home):
    return Runtime(Config.load(home=home), embedder=HashEmbedder())


@pytest.fixture(scope="session")
def minilm():
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def real_runtime(tmp_path_factory, minilm):
    """The real model and a real Chroma store with the whole corpus, built once per test run."""
    home = tmp_path_factory.mktemp("real-home")
    rt = Runtime(Config.load(home=home), embedder=minilm)
    rt.ensure_index()
    return rt
