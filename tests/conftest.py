"""Shared fixtures. Tests never touch the network: the model is the packaged MiniLM or a hash fake."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for var in (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "MOCKINT_CORPUS",
    "MOCKINT_CHROMA_URL",
    "MOCKINT_LLM",
):
    os.environ.pop(var, None)
os.environ["MOCKINT_LOCAL_MODEL"] = (
    "off"  # "auto" never starts the local model in tests; its own tests opt in
)
os.environ["MOCKINT_JUDGE_MODEL"] = (
    "overlap-fake"  # the lexical fake; real_runtime and the judge's own tests use the real one
)

from mockint.config import Config  # noqa: E402
from mockint.judge.model import OverlapJudge  # noqa: E402
from mockint.runtime import Runtime  # noqa: E402
from mockint.search.embedding import HashEmbedder, MiniLMEmbedder  # noqa: E402

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
    return Runtime(Config.load(home=home), embedder=HashEmbedder(), judge=OverlapJudge())


@pytest.fixture(scope="session")
def minilm(tmp_path_factory):
    """The real model, through onnxruntime as in production (exported once per test run)."""
    return MiniLMEmbedder(onnx_dir=tmp_path_factory.mktemp("onnx"))


@pytest.fixture(scope="session")
def real_runtime(tmp_path_factory, minilm):
    """The real model and a real Chroma store with the whole corpus, built once per test run."""
    home = tmp_path_factory.mktemp("real-home")
    rt = Runtime(Config.load(home=home, judge_model="packaged"), embedder=minilm)
    rt.ensure_index()
    return rt


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a test server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_ui(base: Path):
    """Launch the web app over the small UI test corpus on 127.0.0.1; returns (demo, url, runtime)."""
    from helpers import make_runtime, write_ui_corpus

    from mockint.ui.app import build_app, launch_kwargs

    rt = make_runtime(base / "home", write_ui_corpus(base / "ui.jsonl"))
    demo = build_app(rt, grader="offline", chat=None, files_dir=base / "files")
    _, url, _ = demo.launch(
        **launch_kwargs(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True)
    )
    return demo, url, rt


def run_in_threads(target, n: int) -> None:
    """Start ``target(i)`` for i in range(n) in threads and wait for all of them."""
    import threading

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
