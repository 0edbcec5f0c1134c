"""`mockint interview` / `mockint history` driven through stdin, offline and with a scripted LLM;
and a real process killed mid-session, then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import QID, write_mini_corpus
from typer.testing import CliRunner

from mockint.cli import app
from mockint.cli.interview import register
from mockint.config import Config
from mockint.interview.engine import Interview
from mockint.interview.store import Store
from mockint.llm import backend
from mockint.llm.client import ScriptedModel
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder

register(app)
register(app)  # a second registration is a no-op
runner = CliRunner()


@pytest.fixture
def env(home, tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    monkeypatch.setenv("MOCKINT_CORPUS", str(write_mini_corpus(tmp_path / "mini.jsonl")))
    rt = Runtime(Config.load(), embedder=HashEmbedder())
    return rt


def only_session(home):
    store = Store(home / "history.db")
    (session,) = store.sessions()
    return store.load(session.id)


def test_registration_is_idempotent():
    names = [c.name for c in app.registered_commands]
    assert names.count("interview") == 1 and names.count("history") == 1


def test_offline_interview_end_to_end(env, home, tmp_path):
    q = env.by_id[QID]
    essentials = " ".join(k.text for k in q.essential_points())
    script = (
        "\n".join(
            [
                "hint please",
                "L1 uses absolute values.",  # the answer to question 1 (two lines)
                "L2 uses something else.",
                "",
                essentials,  # the follow-up's answer
                "",
                "repeat the question",
                "what do you mean by that?",
                "skip",  # question 2
                "I don't know",  # question 3
            ]
        )
        + "\n"
    )
    out = tmp_path / "reports"
    res = runner.invoke(
        app,
        [
            "interview",
            "--focus",
            q.question,
            "--questions",
            "3",
            "--grader",
            "offline",
            "--report-dir",
            str(out),
        ],
        input=script,
    )
    assert res.exit_code == 0, res.output
    rec = only_session(home)
    assert f"session {rec.session.id}" in res.output and rec.session.status == "finished"
    turns = rec.turns
    assert [(t.position, t.kind, t.outcome) for t in turns] == [
        (1, "question", "answered"),
        (1, "followup", "answered"),
        (2, "question", "skipped"),
        (3, "question", "idk"),
    ]
    main, follow = turns[0], turns[1]
    assert (
        main.question_id == QID
        and main.answer == "L1 uses absolute values.\nL2 uses something else."
    )
    assert [a["action"] for a in main.actions] == ["hint"]
    assert follow.phrased_by == "probe" and follow.prompt == next(
        k.probe for k in q.key_points if k.id == follow.key_point_id
    )
    assert [a["action"] for a in follow.actions] == []  # repeat / clarify came after: on question 2
    assert [a["action"] for a in turns[2].actions] == ["repeat", "clarify"]
    first, final = rec.answer_grades[main.id], rec.final_grades[main.id]
    assert first.score <= final.score <= 8.5 and final.verdict != "no_answer"
    assert (
        rec.final_grades[turns[2].id].score == 0
        and rec.final_grades[turns[3].id].verdict == "no_answer"
    )
    assert (
        "Hint:" in res.output
        and "Follow-up:" in res.output
        and "Feedback on question 1" in res.output
    )
    assert "Model answer:" in res.output and "Study list" in res.output
    md = (out / f"interview-{rec.session.id}.md").read_text()
    data = json.loads((out / f"interview-{rec.session.id}.json").read_text())
    assert data["summary"] == {**data["summary"], "asked": 3, "answered": 2, "skipped": 1}
    assert data["questions"][0]["followups"][0]["answer"] == essentials
    assert any(k["quote"] for k in data["questions"][0]["covered"])
    assert {turns[2].question_id, turns[3].question_id} <= {s["question_id"] for s in data["study"]}
    assert "## Study list" in md and QID in md and "Model answer" in md

    hist = runner.invoke(app, ["history", "--json"])
    assert hist.exit_code == 0, hist.output
    h = json.loads(hist.output)
    assert h["sessions"][0]["id"] == rec.session.id and h["sessions"][0]["questions"] == 2
    assert {t["topic"] for t in h["topics"]} >= set(q.topics)
    assert "finished" in runner.invoke(app, ["history"]).output


def test_interview_with_a_scripted_llm_interviewer(env, home, tmp_path, monkeypatch):
    q = env.by_id[QID]

    def leak_the_secret(
        messages,
    ):  # the fake branches on the prompt: it repeats the secret key point
        user = messages[-1][1]
        return "Right, and " + user.split("do not use its key terms):")[1].strip().splitlines()[0]

    clean = "What happens to the individual weights when each penalty is applied during training?"
    chat = ScriptedModel([leak_the_secret, clean])
    monkeypatch.setattr(backend, "resolve_backend", lambda config: chat)
    script = "L1 uses absolute values.\n\nIt changes the weights somehow.\n\nI am not sure it matters much.\n\nend\n"
    res = runner.invoke(
        app,
        [
            "interview",
            "--focus",
            q.question,
            "--questions",
            "2",
            "--followups",
            "2",
            "--grader",
            "offline",
            "--mode",
            "exam",
            "--report-dir",
            str(tmp_path / "r"),
        ],
        input=script,
    )
    assert res.exit_code == 0, res.output
    assert "interviewer: LLM scripted" in res.output and clean in res.output
    rec = only_session(home)
    leaky, good = rec.turns[1], rec.turns[2]
    # live: the probe is stored at once, the LLM's phrasing streamed and rejected (it leaked)
    assert leaky.phrased_by == "probe" and leaky.actions[:2] == [
        {"action": "phrasing_pending"},
        {"action": "phrased", "by": "probe", "why": "llm_rejected"},
    ]
    assert leaky.prompt == next(k.probe for k in q.key_points if k.id == leaky.key_point_id)
    assert (
        good.phrased_by == "llm"
        and good.prompt == clean
        and good.answer == "I am not sure it matters much."
    )
    assert len(chat.calls) == 2
    during, after = res.output.split("Interview ended.")
    assert (
        "Feedback on question" not in during and "Feedback on question 1" in after
    )  # exam: at the end only
    assert rec.turns[-1].outcome == "ended" and rec.session.status == "finished"


def test_eof_pauses_and_the_session_resumes(env, home, tmp_path):
    q = env.by_id[QID]
    res = runner.invoke(
        app,
        [
            "interview",
            "--focus",
            q.question,
            "--questions",
            "2",
            "--grader",
            "offline",
            "--followups",
            "0",
            "--report-dir",
            str(tmp_path / "r"),
        ],
        input="skip\n",
    )
    assert res.exit_code == 0 and "session paused" in res.output
    sid = only_session(home).session.id
    assert only_session(home).session.status == "paused"
    res = runner.invoke(
        app,
        ["interview", "--resume", sid, "--grader", "offline", "--report-dir", str(tmp_path / "r")],
        input="L1 is the sum of absolute weights.\n",
    )  # EOF right after: the answer still counts
    assert res.exit_code == 0 and f"resumed session {sid}" in res.output
    rec = only_session(home)
    assert (
        rec.session.status == "finished"
        and rec.turns[-1].answer == "L1 is the sum of absolute weights."
    )


@pytest.mark.slow  # a subprocess killed with SIGKILL
def test_killed_process_resumes_with_every_answer(env, home, tmp_path):
    env.ensure_index()  # built here, so the child only reads it
    q = env.by_id[QID]
    code = (
        "import sys; from mockint.cli import app; from mockint.cli.interview import register; register(app); "
        "app(sys.argv[1:])"
    )
    args = [
        sys.executable,
        "-c",
        code,
        "interview",
        "--focus",
        q.question,
        "--questions",
        "2",
        "--grader",
        "offline",
        "--followups",
        "1",
    ]
    log = (tmp_path / "child.log").open("w")
    child = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    answer = "L1 adds the absolute values of the weights.\nL2 adds their squares."
    try:
        child.stdin.write(answer + "\n\n")
        child.stdin.flush()
        store = Store(home / "history.db")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (home / "history.db").exists() and store.sessions():
                rec = store.load(store.sessions()[0].id)
                if rec.turns and rec.turns[0].answer is not None:
                    break
            assert child.poll() is None, (tmp_path / "child.log").read_text()
            time.sleep(0.05)
        else:
            pytest.fail(
                "the child never stored the answer: " + (tmp_path / "child.log").read_text()
            )
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        log.close()
    assert child.returncode == -signal.SIGKILL
    sid = store.sessions()[0].id
    assert store.load(sid).session.status == "active"

    iv = Interview.resume(sid, env, grader=env.offline_grader())
    rec = iv.store.load(sid)
    assert rec.turns[0].answer == answer and rec.turns[0].outcome == "answered"
    assert rec.turns[0].id in rec.answer_grades  # graded before the kill, or on resume
    assert iv.prompt is not None and not iv.finished
    while not iv.finished:
        iv.respond(
            "skip" if iv.prompt.kind == "question" else "Both penalise the weights in the loss."
        )
    rec = iv.store.load(sid)
    assert rec.turns[0].answer == answer and rec.session.status == "finished"
    assert [t.position for t in rec.turns if t.kind == "question"] == [1, 2]
