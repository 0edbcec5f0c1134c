"""Question choice: SM-2 scheduling, weak topics, adaptive difficulty, ranking — fixed dates, made-up histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import QID, write_mini_corpus

from mockint.config import Config
from mockint.interview import choice
from mockint.interview.choice import (
    Candidate,
    Mastery,
    adapt_difficulty,
    mastery_from_history,
    next_probe,
    rank_candidates,
    target_difficulty,
    topic_weights,
)
from mockint.interview.schedule import quality_from_score, sm2_update
from mockint.interview.store import PastGrade
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def past(qid, score, at, topics=("ml-fundamentals",), outcome="answered", session="s"):
    return PastGrade(session, qid, tuple(topics), score, outcome, at)


def test_quality_from_score():
    assert [quality_from_score(s) for s in (0, 1.0, 3.0, 4.9, 5.0, 7.0, 8.9, 9.0, 10)] == [
        0,
        1,
        2,
        2,
        3,
        4,
        4,
        5,
        5,
    ]


def test_sm2_intervals_grow_then_reset():
    m = Mastery("q")
    m = sm2_update(m, 8.0, day(0))  # q=4: ease unchanged
    assert (m.interval_days, m.repetitions, m.ease, m.due) == (1, 1, 2.5, day(1))
    m = sm2_update(m, 8.0, day(1))
    assert (m.interval_days, m.due) == (6, day(7))
    m = sm2_update(m, 10.0, day(7))  # q=5: interval uses the old ease, then ease +0.1
    assert (m.interval_days, m.ease, m.due) == (15, 2.6, day(22))
    m = sm2_update(m, 3.0, day(22))  # q=2: a fail restarts the interval, ease drops
    assert (m.interval_days, m.repetitions, m.due) == (1, 0, day(23))
    assert m.ease == pytest.approx(2.6 + 0.1 - 3 * (0.08 + 3 * 0.02))
    for _ in range(10):
        m = sm2_update(m, 0.0, day(30))
    assert m.ease == 1.3 and m.attempts == 14  # floor


def test_mastery_from_history_replays_in_time_order_and_skips_only_touch_last_seen():
    hist = [
        past("a", 8, day(1)),
        past("a", 8, day(0)),
        past("b", 2, day(0)),
        past("c", 0, day(3), outcome="skipped"),
    ]
    m = mastery_from_history(hist)
    assert (m["a"].interval_days, m["a"].due, m["a"].last_seen) == (6, day(7), day(1))
    assert (m["b"].interval_days, m["b"].due, m["b"].last_score) == (1, day(1), 2)
    assert m["c"].attempts == 0 and m["c"].last_seen == day(3) and m["c"].is_due(day(3))


def test_weak_topics_weigh_more():
    hist = [
        past("a", 9, day(0), ("sql",)),
        past("b", 2, day(0), ("coding",)),
        past("c", 4, day(1), ("coding",)),
        past("d", 0, day(1), ("sql",), outcome="skipped"),
    ]
    w = topic_weights(hist)
    assert w == {"sql": 1.1, "coding": 1.7}
    cands = [
        Candidate("s1", ("sql",), 2, 0.9),
        Candidate("c1", ("coding",), 2, 0.6),
        Candidate("n1", ("nlp-llm",), 2, 0.8),
    ]
    assert rank_candidates(cands, asked=[], mastery={}, weights=w, target=2, now=day(2)) == [
        "c1",
        "s1",
        "n1",
    ]


def test_difficulty_adapts_up_and_down():
    assert adapt_difficulty(1, 7.5) == 2 and adapt_difficulty(3, 8) == 3
    assert adapt_difficulty(2, 4.9) == 1 and adapt_difficulty(1, 0) == 1
    assert adapt_difficulty(2, 5.0) == 2 and adapt_difficulty(2, 7.4) == 2
    assert target_difficulty(None, []) is None and target_difficulty(None, [None]) is None
    assert target_difficulty(2, [8, 9]) == 3 and target_difficulty(3, [1, None, 2]) == 1
    cands = [Candidate(f"d{d}", ("sql",), d, 1.0) for d in (1, 2, 3)]

    def rank(t):
        return rank_candidates(cands, asked=[], mastery={}, weights={}, target=t, now=T0)[0]

    assert (rank(1), rank(2), rank(3)) == ("d1", "d2", "d3")


def test_no_repeats_and_recently_seen_later():
    cands = [
        Candidate(q, ("sql",), 2, rel)
        for q, rel in (("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.6))
    ]
    mastery = mastery_from_history([past("a", 9, day(-0.5)), past("c", 9, day(-30))])
    ranked = rank_candidates(cands, asked=["b"], mastery=mastery, weights={}, target=2, now=T0)
    assert "b" not in ranked
    assert ranked == [
        "c",
        "d",
        "a",
    ]  # a was seen 12 hours ago (not due): last; c long ago: by relevance


def test_review_mode_due_first_then_weakest():
    hist = [
        past("due-old", 8, day(-20)),
        past("due-new", 8, day(-2)),
        past("weak", 3, day(0)),
        past("ok", 6, day(0)),
    ]
    mastery = mastery_from_history(hist)
    cands = [
        Candidate(q, ("sql",), 2, r)
        for q, r in (("fresh", 1.0), ("ok", 0.5), ("weak", 0.5), ("due-new", 0.5), ("due-old", 0.5))
    ]
    now = day(0.5)
    assert (
        mastery["due-old"].is_due(now)
        and mastery["due-new"].is_due(now)
        and not mastery["weak"].is_due(now)
    )
    ranked = rank_candidates(
        cands, asked=[], mastery=mastery, weights={}, target=None, now=now, review=True
    )
    assert ranked == ["due-old", "due-new", "weak", "ok", "fresh"]
    normal = rank_candidates(cands, asked=[], mastery=mastery, weights={}, target=None, now=now)
    assert normal[0] == "fresh" and set(normal[-2:]) == {
        "ok",
        "weak",
    }  # seen hours ago, not due: last


def test_next_probe_order():
    from mockint.corpus.schema import KeyPoint, Question, ReferenceAnswer

    q = Question(
        id="q",
        section="s",
        heading="h",
        question="q?",
        topics=["sql"],
        type="sql",
        difficulty=1,
        references=[ReferenceAnswer(heading="h", markdown="m")],
        key_points=[
            KeyPoint(id="kp1", text="one point", probe="p1"),
            KeyPoint(id="kp2", text="two point", weight="supporting", probe="p2"),
            KeyPoint(id="kp3", text="three point", probe="p3"),
            KeyPoint(id="kp4", text="four point", probe="p4"),
        ],
    )
    statuses = {"kp1": "covered", "kp2": "missing", "kp3": "partial", "kp4": "missing"}
    assert next_probe(q, statuses).id == "kp3"
    assert next_probe(q, statuses, later={"kp3"}).id == "kp4"
    assert next_probe(q, statuses, exclude={"kp3", "kp4"}) is None
    assert next_probe(q, statuses, exclude={"kp3", "kp4"}, supporting=True).id == "kp2"
    assert next_probe(q, {}).id == "kp1"  # nothing graded yet: everything is missing


@pytest.fixture
def rt(home, tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    runtime = Runtime(
        Config.load(home=home, corpus=write_mini_corpus(tmp_path / "mini.jsonl")),
        embedder=HashEmbedder(),
    )
    runtime.ensure_index()
    return runtime


def test_pick_next_retrieves_the_focus_filters_and_never_repeats(rt):
    q = rt.by_id[QID]
    first = choice.pick_next(rt, focus=q.question, now=T0)
    assert first == QID
    asked = []
    for _ in range(len(rt.questions)):
        nxt = choice.pick_next(rt, focus=q.question, asked=asked, now=T0, seed="s")
        assert nxt not in asked
        asked.append(nxt)
    assert choice.pick_next(rt, focus=q.question, asked=asked, now=T0) is None
    topic = "nlp-llm"
    picks = []
    while (nxt := choice.pick_next(rt, topics=[topic], asked=picks, now=T0)) is not None:
        picks.append(nxt)
    assert picks and all(topic in rt.by_id[p].topics for p in picks)
    assert len(picks) == sum(topic in x.topics for x in rt.questions)
    fixed = choice.pick_next(
        rt, focus="neural network training", difficulty=3, strict_difficulty=True, now=T0
    )
    assert rt.by_id[fixed].difficulty == 3


def test_pick_next_review_brings_back_due_questions(rt):
    other = next(x.id for x in rt.questions if x.id != QID)
    hist = [past(other, 2.0, day(-3), tuple(rt.by_id[other].topics))]
    assert (
        choice.pick_next(rt, focus=rt.by_id[QID].question, history=hist, review=True, now=T0)
        == other
    )
    assert choice.pick_next(rt, focus=rt.by_id[QID].question, history=hist, now=T0) == QID
