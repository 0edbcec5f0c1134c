"""Helpers shared by the test modules (so no test module imports another): the L1/L2 question id,
small corpora cut from the real one, a hash-embedder Runtime over them, and transcript helpers."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import REPO

from mockint.config import Config
from mockint.judge.model import OverlapJudge
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder
from mockint.ui import handlers as h

QID = "what-are-l1-and-l2-regularization-what-are-the-differences"
XSS = "<img src=x onerror=alert(1)>"


def _corpus_records() -> list[dict]:
    return [
        json.loads(line)
        for line in (REPO / "corpus" / "questions.jsonl").read_text().splitlines()
        if line
    ]


def write_mini_corpus(path):
    """14 real questions: 3 of difficulty 3, 4 of difficulty 1, 6 of difficulty 2, plus L1/L2."""
    recs = _corpus_records()
    pick = (
        [r for r in recs if r["difficulty"] == 3][:3]
        + [r for r in recs if r["difficulty"] == 1][:4]
        + [r for r in recs if r["difficulty"] == 2][:6]
    )
    if QID not in {r["id"] for r in pick}:
        pick.append(next(r for r in recs if r["id"] == QID))
    path.write_text("".join(json.dumps(r) + "\n" for r in pick), encoding="utf-8")
    return path


def write_ui_corpus(path):
    """The L1/L2 question plus 9 concept/comparison questions, one coding and one SQL question."""
    recs = _corpus_records()
    pick = [r for r in recs if r["id"] == QID]
    pick += [r for r in recs if r["type"] in ("concept", "comparison") and r["id"] != QID][:9]
    pick += [
        next(r for r in recs if r["type"] == "coding"),
        next(r for r in recs if r["type"] == "sql"),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in pick), encoding="utf-8")
    return path


def make_runtime(home, corpus_path):
    rt = Runtime(
        Config.load(home=home, corpus=corpus_path, embedding_model="hash-fake"),
        embedder=HashEmbedder(),
        judge=OverlapJudge(),
    )
    rt.ensure_index()
    return rt


def essentials(q) -> str:
    return " ".join(k.text for k in q.essential_points())


def chat_text(chat) -> str:
    """The transcript as a reader sees it (character references decoded)."""
    return html.unescape("\n".join(str(m["content"]) for m in chat))


def begin(ctx, **kw):
    kw = {
        "questions": 2,
        "focus": ctx.runtime.by_id[QID].question,
        "followups": 0,
        "types": ["comparison", "concept"],
        **kw,
    }
    return h.start(ctx, h.new_state(), **kw)


def ui_env(**extra: str) -> dict:
    """This environment without OpenAI or mockint settings, offline, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MOCKINT_"))}
    return {
        **env,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        **extra,
    }


def start_ui(
    port: int, args: list[str], env: dict, log: Path, timeout: float = 120
) -> tuple[subprocess.Popen, str]:
    """``mockint ui`` as a real process on 127.0.0.1:``port``; returns (process, url) once it answers."""
    url = f"http://127.0.0.1:{port}/"
    cmd = [
        sys.executable,
        "-m",
        "mockint.cli",
        "ui",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *args,
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"mockint ui exited with {proc.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise AssertionError(
        f"mockint ui did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')}"
    )
