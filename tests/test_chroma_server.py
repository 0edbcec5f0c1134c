"""The index against a real `chroma run` server on 127.0.0.1 (HttpClient path)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, free_port

from mockint.corpus.schema import load_questions
from mockint.search.embedding import HashEmbedder
from mockint.search.index import CorpusIndex


@pytest.fixture
def chroma_server(tmp_path):
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        exe = shutil.which("chroma")
    assert exe, "the chroma CLI ships with chromadb; it should be in the venv"
    port = free_port()
    proc = subprocess.Popen(
        [
            str(exe),
            "run",
            "--path",
            str(tmp_path / "srv"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_index_and_search_through_a_chroma_server(chroma_server, tmp_path):
    qs = load_questions(REPO / "corpus" / "questions.jsonl")[:8]
    idx = CorpusIndex(
        HashEmbedder(), tmp_path / "unused", chroma_url=chroma_server, model="hash-fake"
    )
    report = idx.build(qs)
    assert report.added > 8
    assert idx.search(qs[2].question, k=1)[0].qid == qs[2].id
    again = CorpusIndex(
        HashEmbedder(), tmp_path / "unused", chroma_url=chroma_server, model="hash-fake"
    ).build(qs)
    assert again.unchanged == report.added
    assert not (tmp_path / "unused").exists()
