"""Restarts and storage: the web UI server killed (SIGKILL) mid-interview and started again on
the same data dir, and the API key never written to the database, caches, reports or output.

Concurrent SQLite writes from several sessions are covered elsewhere
(``test_interview_engine.test_concurrent_writes``, ``test_ui_handlers.test_concurrent_sessions_are_isolated``).
"""

from __future__ import annotations

import html
import json
import logging
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import free_port
from fakeopenai import FakeOpenAI
from helpers import QID, start_ui, ui_env, write_ui_corpus
from typer.testing import CliRunner

from mockint.cli import app
from mockint.config import Config
from mockint.interview.engine import Interview, Setup
from mockint.interview.export import export
from mockint.interview.store import Store
from mockint.llm.backend import resolve_backend
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder

CANARY = "sk-mockint-canary-7f3a"
ANSWER_1 = "L1 adds the absolute values of the weights and drives some of them to exactly zero."


# ------------------------------------------------------------------ the UI server killed and restarted


def start_server(home: Path, corpus: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``mockint ui`` over the hash embedder and ``corpus``, offline grading, on a free port."""
    env = ui_env(
        MOCKINT_EMBEDDING_MODEL="hash-fake",
        MOCKINT_CORPUS=str(corpus),
        MOCKINT_LOCAL_MODEL="off",
        MOCKINT_LLM="none",
        MOCKINT_JUDGE_MODEL="overlap-fake",
    )
    return start_ui(free_port(), ["--home", str(home), "--grader", "offline"], env, log)


def kill(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def said(chat) -> str:
    parts = []
    for m in chat:
        content = m["content"]
        parts.append(
            "".join(p.get("text", "") for p in content)
            if isinstance(content, list)
            else str(content)
        )
    return html.unescape("\n".join(parts))


def _chat_status(out: tuple) -> tuple:
    """A turn's chat and status among the Interview tab's outputs (``ui.turn_out`` without the
    state and the model answer's box: chat, answer, code, feedback, model answer, status, ...)."""
    return out[0], out[5]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ui_server_killed_mid_interview_resumes(tmp_path):
    gradio_client = pytest.importorskip("gradio_client")
    home, corpus, log = (
        tmp_path / "home",
        write_ui_corpus(tmp_path / "ui.jsonl"),
        tmp_path / "server.log",
    )
    focus = next(
        json.loads(line)["question"] for line in corpus.read_text().splitlines() if QID in line
    )
    proc = None
    try:
        proc, url = start_server(home, corpus, log)
        c = gradio_client.Client(
            url, verbose=False, download_files=str(tmp_path / "dl1"), analytics_enabled=False
        )
        chat, *_ = c.predict(
            [],
            ["comparison", "concept"],
            "any",
            2,
            0,
            focus,
            "practice",
            "concepts",
            api_name="/start",
        )
        assert "Question 1/2" in said(chat)
        chat, status = _chat_status(c.predict(ANSWER_1, "", api_name="/submit"))
        assert "question 2 of 2" in status and "Question 2/2" in said(chat)
        proc.send_signal(signal.SIGKILL)  # no shutdown hook runs: only what was committed survives
        proc.wait(timeout=30)

        store = Store(home / "history.db")
        (session,) = store.sessions()
        rec = store.load(session.id)
        assert session.status != "finished"  # still resumable
        assert [(t.position, t.answer, t.outcome) for t in rec.turns] == [
            (1, ANSWER_1, "answered"),
            (2, None, None),
        ]
        assert rec.turns[0].id in rec.final_grades  # the answer was graded before the kill

        proc, url = start_server(home, corpus, log)  # the same data dir, a new process
        c = gradio_client.Client(
            url, verbose=False, download_files=str(tmp_path / "dl2"), analytics_enabled=False
        )
        sessions, _topics, resume_pick, _chart = c.predict(api_name="/history")
        rows = {r[0]: r for r in sessions["data"]}
        assert (
            rows[session.id][5] in ("active", "paused") and resume_pick["value"] == session.id
        )  # offered first
        chat, status = _chat_status(c.predict(session.id, api_name="/resume"))
        text = said(chat)
        assert (
            ANSWER_1 in text
            and "(resumed)" in text
            and "Question 2/2" in text
            and "question 2 of 2" in status
        )
        chat, status = _chat_status(
            c.predict(
                "Pearson's r is the covariance divided by the product of the standard deviations.",
                "",
                api_name="/submit",
            )
        )
        assert "finished" in status
        rec = Store(home / "history.db").load(session.id)
        assert rec.session.status == "finished" and [t.outcome for t in rec.turns] == [
            "answered",
            "answered",
        ]
        assert rec.turns[0].answer == ANSWER_1 and len(rec.final_grades) == 2
        assert any(a["action"] == "resumed" for a in rec.turns[1].actions)
    finally:
        kill(proc)


# ------------------------------------------------------------------ the API key is never stored


def judge_reply(q, covered: int) -> str:
    return json.dumps(
        {
            "key_points": [
                {
                    "id": k.id,
                    "status": "covered" if i < covered else "missing",
                    "quote": "L1" if i < covered else "",
                }
                for i, k in enumerate(q.key_points)
            ],
            "incorrect_claims": [],
            "feedback_good": "ok",
            "feedback_add": "",
        }
    )


def test_api_key_never_reaches_the_db_caches_reports_or_output(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, at its most talkative
    home, corpus = tmp_path / "home", write_ui_corpus(tmp_path / "ui.jsonl")
    server = FakeOpenAI()
    try:
        for name, value in {
            "MOCKINT_EMBEDDING_MODEL": "hash-fake",
            "MOCKINT_CORPUS": str(corpus),
            "OPENAI_BASE_URL": server.url,
            "OPENAI_API_KEY": CANARY,
            "MOCKINT_LLM_TIMEOUT": "2",
            "MOCKINT_LLM_RETRIES": "1",
        }.items():
            monkeypatch.setenv(name, value)
        rt = Runtime(Config.load(home=home), embedder=HashEmbedder())
        rt.ensure_index()
        q = rt.by_id[QID]

        # a batch graded by the LLM judge: one good reply, then 500s (retries, then the offline fallback)
        server.script = [{"content": judge_reply(q, len(q.key_points))}] + [{"status": 500}] * 6
        src, out = tmp_path / "answers.csv", tmp_path / "out" / "graded.jsonl"
        src.write_text(
            f"id,question,answer\na1,{QID},{ANSWER_1}\na2,{QID},L1 is lasso and L2 is ridge.\n",
            encoding="utf-8",
        )
        res = CliRunner().invoke(
            app,
            [
                "grade",
                str(src),
                "-o",
                str(out),
                "--grader",
                "llm",
                "--concurrency",
                "1",
                "--home",
                str(home),
            ],
        )
        assert res.exit_code == 0, (res.exception, res.output)
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert rows[0]["grader"] == "llm" and "llm_failed_fallback" not in rows[0]["flags"]
        assert "llm_failed_fallback" in rows[1]["flags"]  # the fault path ran and was recorded

        # an interview with the LLM judge and the LLM interviewer on the same endpoint, a fault at the end
        server.script = [
            {"content": judge_reply(q, 1)},
            {"content": "Which of the two penalties can set a weight to exactly zero?"},
        ] + [{"status": 500}] * 6
        iv = Interview.start(
            rt,
            Setup(focus=q.question, questions=1, max_followups=1),
            grader=rt.make_grader("hybrid"),
            chat=resolve_backend(rt.config),
        )
        assert iv.prompt.question_id == QID
        iv.respond(
            "L1 sums the absolute weights, and that is all I remember."
        )  # not cached by the batch
        assert iv.prompt is not None and iv.prompt.kind == "followup"
        iv.respond("L2 keeps every weight small but not zero.")
        assert iv.finished
        rec = iv.store.load(iv.session_id)
        assert any("llm_failed_fallback" in g.flags for g in rec.answer_grades.values())
        export(iv.report(), home / "reports")
        history = CliRunner().invoke(app, ["history", "--json", "--home", str(home)])
        config = CliRunner().invoke(app, ["config", "--home", str(home)])
    finally:
        server.close()

    auth = {h.get("authorization") or h.get("Authorization") for h in server.headers}
    assert auth == {f"Bearer {CANARY}"} and len(server.requests) >= 6  # the key was really in use
    files = [p for p in [*home.rglob("*"), *out.parent.rglob("*")] if p.is_file()]
    assert any(p.suffix == ".db" for p in files) and any(
        p.parent.name == "llm" for p in files
    )  # db and cache
    assert any(p.parent.name == "reports" for p in files)
    needle = CANARY.removeprefix("sk-").encode()
    leaked = [p for p in files if needle in p.read_bytes()]
    assert leaked == []
    for text in (res.output, history.output, config.output, caplog.text):
        assert needle.decode() not in text
