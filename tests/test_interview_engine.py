"""The interview engine and its store, in-process: hash embedder, a small corpus, no network."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from conftest import run_in_threads
from helpers import QID, essentials, write_mini_corpus

from mockint.config import Config
from mockint.errors import LLMError, SessionError
from mockint.grading.schema import Grade, KeyPointResult
from mockint.interview.engine import Interview, Setup, classify
from mockint.interview.export import export
from mockint.interview.moves import leaks
from mockint.interview.report import merge_grades, scope_text
from mockint.interview.store import MIGRATIONS, Store
from mockint.llm.client import ScriptedModel
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder


@pytest.fixture
def mini_env(home, tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    monkeypatch.setenv("MOCKINT_CORPUS", str(write_mini_corpus(tmp_path / "mini.jsonl")))
    return home


@pytest.fixture
def rt(mini_env):
    runtime = Runtime(Config.load(), embedder=HashEmbedder())
    runtime.ensure_index()
    return runtime


class Clock:
    def __init__(self, start=datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self):
        return self.now

    def tick(self, seconds):
        self.now += timedelta(seconds=seconds)


def start(rt, clock=None, chat=None, **setup):
    setup = {"focus": rt.by_id[QID].question, "questions": 2, **setup}
    return Interview.start(
        rt, Setup(**setup), grader=rt.offline_grader(), chat=chat, clock=clock or Clock()
    )


# ------------------------------------------------------------------ pure parts


@pytest.mark.parametrize(
    "text,intent",
    [
        ("Can I get a hint?", "hint"),
        ("hint please", "hint"),
        ("skip", "skip"),
        ("next question", "skip"),
        ("I don't know", "idk"),
        ("no idea", "idk"),
        ("repeat the question", "repeat"),
        ("can you clarify what you mean by loss?", "clarify"),
        ("what do you mean by regularization?", "clarify"),
        ("end", "end"),
        ("quit", "end"),
        ("L1 adds absolute weights.", "answer"),
        ("We skip the next layer with a residual connection.", "answer"),
        ("I don't know\nbut maybe L1", "answer"),
    ],
)
def test_classify(text, intent):
    assert classify(text) == intent


def test_leak_check_and_scope_text(rt):
    q = rt.by_id[QID]
    kp = q.key_points[1]
    assert leaks(kp.text, kp.text, q.question)
    assert not leaks(kp.probe, kp.text, q.question)
    scope = scope_text(q)
    assert q.type in scope and str(len(q.key_points)) in scope
    assert not any(leaks(scope, k.text, q.question) for k in q.key_points)


def test_merge_grades_only_raises_and_caps():
    def g(score, statuses):
        return Grade(
            score=score,
            verdict="weak",
            grader="offline",
            key_points=[
                KeyPointResult(
                    id=f"kp{i}",
                    text=f"point {i}",
                    weight="essential",
                    status=s,
                    evidence="e" if s != "missing" else "",
                )
                for i, s in enumerate(statuses, 1)
            ],
        )

    def rescore(points):
        return 10.0 * sum(k.status == "covered" for k in points) / len(points)

    first = g(3.0, ["covered", "missing", "missing"])
    follow = g(0.0, ["missing", "covered", "partial"])
    merged = merge_grades(first, follow, 0, rescore)
    assert [k.status for k in merged.key_points] == ["covered", "covered", "partial"]
    assert merged.score == 6.7 and merged.verdict == "adequate"
    assert merge_grades(first, follow, 2, lambda p: 9.0).score == 7.0  # hint cap
    assert (
        merge_grades(g(9.0, ["covered"] * 3), g(0, ["missing"] * 3), 0, rescore).score == 9.0
    )  # never lowered


# ------------------------------------------------------------------ store


def test_store_migrations_fresh_and_idempotent(tmp_path):
    path = tmp_path / "h" / "history.db"
    store = Store(path)
    assert store.migrate() == len(MIGRATIONS)
    assert Store(path).migrate() == len(MIGRATIONS)  # re-open: nothing applied twice
    assert Store(path).version() == len(MIGRATIONS)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, name FROM migrations").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert rows == [(i, name) for i, (name, _) in enumerate(MIGRATIONS, 1)]
    assert {"sessions", "turns", "grades", "migrations"} <= tables and mode == "wal"


def test_concurrent_writes(tmp_path):
    path = tmp_path / "history.db"
    Store(path).migrate()
    errors, ids = [], []
    grade = Grade(score=5, verdict="adequate", grader="offline")

    def work(n):
        try:
            store = Store(path)  # each thread its own store, like separate processes
            for _ in range(3):
                sid = store.create_session({"n": n}, mode="practice", grader="offline")
                for pos in range(1, 4):
                    tid = store.add_turn(
                        sid,
                        position=pos,
                        kind="question",
                        question_id=f"q{pos}",
                        prompt="?",
                        topics=["sql"],
                        asked_at=datetime.now(UTC),
                    )
                    store.record_answer(
                        tid,
                        f"answer {n}-{pos}",
                        outcome="answered",
                        answered_at=datetime.now(UTC),
                        seconds=1.0,
                    )
                    store.save_grade(sid, tid, f"q{pos}", "final", grade)
                ids.append(sid)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    run_in_threads(work, 8)
    assert not errors
    store = Store(path)
    assert len(store.sessions()) == 24 == len(set(ids))
    assert len(store.history()) == 72
    assert all(len(store.load(s).turns) == 3 for s in ids)


# ------------------------------------------------------------------ sessions


def test_practice_flow_hint_followup_merge(rt):
    clock = Clock()
    iv = start(rt, clock, max_followups=1)
    p = iv.prompt
    assert p.question_id == QID and p.kind == "question" and p.position == 1
    hint = iv.respond("Can I get a hint?")
    assert hint.intent == "hint" and hint.messages[0].startswith("Hint: ")
    clock.tick(42)
    r = iv.respond("L1 uses absolute values.")
    assert (
        r.prompt.kind == "followup" and not r.feedback
    )  # feedback waits until the question is done
    fu = iv.record.turns[-1]
    q = rt.by_id[QID]
    hinted = iv.record.turns[0].actions[0]["key_point"]
    assert fu.key_point_id != hinted and fu.prompt == next(
        k.probe for k in q.key_points if k.id == fu.key_point_id
    )
    first = iv.record.final_grades[iv.record.turns[0].id]
    r = iv.respond(essentials(q))
    assert r.feedback and r.feedback[0].question_id == QID and r.prompt.position == 2
    rec = iv.store.load(iv.session_id)
    main, follow = rec.turns[0], rec.turns[1]
    assert main.seconds == 42.0 and main.answer == "L1 uses absolute values."
    graded_ids = {k.id for k in rec.answer_grades[follow.id].key_points}
    assert graded_ids == {
        k.id for k in first.key_points if k.status != "covered"
    }  # remaining points only
    final = rec.final_grades[main.id]
    assert first.score <= final.score <= 8.5  # one hint caps at 8.5
    assert sum(k.status == "covered" for k in final.key_points) > sum(
        k.status == "covered" for k in first.key_points
    )


def test_skip_idk_exam_mode_and_report(rt, tmp_path):
    iv = start(rt, mode="exam", questions=3)
    r = iv.respond("skip")
    assert r.intent == "skip" and not r.feedback and r.prompt.position == 2
    r = iv.respond("I don't know")
    assert r.intent == "idk" and not r.feedback and "report" in r.messages[0]
    r = iv.respond("end")
    assert r.finished and r.prompt is None
    report = iv.report()
    outcomes = [q["outcome"] for q in report["questions"]]
    assert outcomes == ["skipped", "idk", "ended"]
    assert report["summary"]["answered"] == 1 and report["summary"]["mean_score"] == 0.0
    assert report["questions"][1]["model_answer"] and report["questions"][1]["missed"]
    assert {s["question_id"] for s in report["study"]} == {
        q["question_id"] for q in report["questions"]
    }
    md, js = export(report, tmp_path / "out", name="../../escape me")
    assert (
        md.parent == tmp_path / "out" and md.name == "escape_me.md" and json.loads(js.read_text())
    )
    with pytest.raises(SessionError, match="already finished"):
        Interview.resume(iv.session_id, rt, grader=rt.offline_grader())


def test_answer_is_stored_before_grading_and_graded_on_resume(rt):
    from mockint.grading.schema import Grader

    class Broken(Grader):
        name = "offline"

        def grade(self, task):
            raise RuntimeError("grader crashed")

    iv = Interview.start(
        rt, Setup(focus=rt.by_id[QID].question, questions=1), grader=Broken(), clock=Clock()
    )
    with pytest.raises(RuntimeError):
        iv.respond("L1 gives sparse weights; L2 shrinks them.")
    rec = iv.store.load(iv.session_id)
    assert (
        rec.turns[0].answer == "L1 gives sparse weights; L2 shrinks them." and not rec.answer_grades
    )
    again = Interview.resume(iv.session_id, rt, grader=rt.offline_grader(), clock=Clock())
    rec = again.store.load(iv.session_id)
    assert rec.turns[0].id in rec.answer_grades and rec.turns[0].id in rec.final_grades
    assert again.prompt.kind == "followup"  # the session carries on where it stopped


def test_pending_followup_resumes_word_for_word(rt):
    iv = start(rt, max_followups=2)
    iv.respond("L1 uses absolute values.")
    asked = iv.prompt
    assert asked.kind == "followup"
    iv.pause()
    assert iv.store.load(iv.session_id).session.status == "paused"
    again = Interview.resume(iv.session_id, rt, grader=rt.offline_grader(), clock=Clock())
    assert again.prompt.turn_id == asked.turn_id and again.prompt.text == asked.text
    assert any(a["action"] == "resumed" for a in again.record.turns[-1].actions)


def test_llm_followup_clarify_and_fallbacks(rt):
    q = rt.by_id[QID]

    def secret_of(messages):  # the fake leaks whatever key point the prompt marks as secret
        user = messages[-1][1]
        return user.split("do not use its key terms):")[1].strip().splitlines()[0]

    chat = ScriptedModel(
        [
            secret_of,
            "What does each penalty do to the individual weights during training?",
            LLMError("down"),
            "It asks how the two penalties behave differently.",
        ]
    )
    iv = start(rt, chat=chat, max_followups=3, questions=1)
    iv.respond("L1 uses absolute values.")
    first = iv.record.turns[-1]
    assert first.phrased_by == "probe" and first.actions[0]["action"] == "llm_rejected"
    iv.respond("It changes the weights somehow.")
    second = iv.record.turns[-1]
    assert second.phrased_by == "llm" and second.prompt.startswith("What does each penalty do")
    iv.respond("Something about the loss function getting bigger.")
    third = iv.record.turns[-1]
    assert third.phrased_by == "probe" and third.actions[0]["action"] == "llm_failed"
    r = iv.respond("what do you mean by penalties?")
    assert r.messages == ["It asks how the two penalties behave differently."]
    assert third.key_point_id not in {first.key_point_id, second.key_point_id}
    prompt = chat.calls[0]["messages"][-1][1]
    assert q.question in prompt and "L1 uses absolute values." in prompt and len(chat.calls) == 4


def test_clarify_without_llm_and_a_leaking_llm_clarification(rt):
    q = rt.by_id[QID]
    iv = start(rt)
    r = iv.respond("what do you mean by regularization?")
    assert r.messages[0] == scope_text(q) and r.prompt.turn_id == iv.prompt.turn_id
    iv2 = start(rt, chat=ScriptedModel([q.key_points[0].text]))
    r = iv2.respond("can you clarify?")
    assert r.messages[0] == scope_text(q)  # the LLM's reply gave a key point away: rejected
    assert iv2.record.turns[-1].actions[-1]["by"] == "scope"


def test_timing_overtime_and_repeat(rt):
    clock = Clock()
    iv = start(rt, clock, seconds_per_answer=30, max_followups=0)
    r = iv.respond("repeat the question")
    assert r.messages == [rt.by_id[QID].question]
    clock.tick(95)
    r = iv.respond("L1 sums absolute weights and L2 sums squared weights.")
    assert "95 s" in r.messages[0] and r.feedback[0].seconds == 95.0
    assert iv.record.turns[0].actions[-1]["action"] == "overtime"


def test_setup_is_validated(rt):
    with pytest.raises(SessionError, match="unknown topic"):
        Interview.start(rt, Setup(topics=["astrology"]), grader=rt.offline_grader())
    with pytest.raises(SessionError, match="invalid interview setup"):
        Interview.start(rt, Setup(mode="casual"), grader=rt.offline_grader())
    with pytest.raises(SessionError, match="no question of the concepts track matches"):
        Interview.start(rt, Setup(topics=["sql"], types=["coding"]), grader=rt.offline_grader())


def test_merged_feedback_has_no_doubled_full_stops():
    def g(score, statuses):
        return Grade(
            score=score,
            verdict="weak",
            grader="offline",
            key_points=[
                KeyPointResult(
                    id=f"kp{i}", text="At 4-bit it is about 3.5 GB.", weight="essential", status=s
                )
                for i, s in enumerate(statuses, 1)
            ],
        )

    merged = merge_grades(
        g(3.0, ["covered", "missing"]), g(0.0, ["missing", "missing"]), 0, lambda p: 3.0
    )
    text = merged.feedback
    assert ".." not in text and "GB; " not in text.split("To add")[0][-3:]
    assert (
        text
        == "Covered: At 4-bit it is about 3.5 GB. To add or sharpen: At 4-bit it is about 3.5 GB."
    )
