"""Spaced repetition and mastery, pure: an SM-2-like schedule per question (``sm2_update``,
``mastery_from_history``: ease factor, interval, due date, the quality taken from the 0-10 score),
per-topic scores and weights (weak topics weigh more), and the history summary the CLI and the
History tab show. Every function that depends on the date takes ``now``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mockint.interview.store import PastGrade

START_EASE = 2.5


MIN_EASE = 1.3


@dataclass(frozen=True)
class Mastery:
    """SM-2 state of one question after its graded attempts."""

    question_id: str
    ease: float = START_EASE
    interval_days: int = 0
    repetitions: int = 0
    due: datetime | None = None
    last_score: float | None = None
    last_seen: datetime | None = None
    attempts: int = 0

    def is_due(self, now: datetime) -> bool:
        return self.due is not None and self.due <= now


def quality_from_score(score: float) -> int:
    """SM-2 quality 0-5 from a 0-10 score, half up; 3 (a pass) starts at 5.0 ("adequate").

    >>> [quality_from_score(s) for s in (0, 4.9, 5.0, 7.5, 10)]
    [0, 2, 3, 4, 5]
    """
    return min(5, max(0, int(score / 2 + 0.5)))


def sm2_update(state: Mastery, score: float, when: datetime) -> Mastery:
    """One review: a pass grows the interval (1 day, 6 days, then x ease), a fail restarts it.

    The interval uses the ease before this review; the ease then moves by the SM-2 rule
    ``+0.1 - (5-q)(0.08 + 0.02(5-q))`` and never drops below 1.3.

    >>> from datetime import datetime
    >>> m = sm2_update(Mastery("q"), 8.0, datetime(2026, 1, 1))
    >>> m.interval_days, m.ease, m.due.day
    (1, 2.5, 2)
    """
    q = quality_from_score(score)
    if q >= 3:
        interval = (
            1
            if state.repetitions == 0
            else 6
            if state.repetitions == 1
            else round(state.interval_days * state.ease)
        )
        reps = state.repetitions + 1
    else:
        interval, reps = 1, 0
    ease = max(MIN_EASE, round(state.ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02), 4))
    return Mastery(
        state.question_id,
        ease,
        interval,
        reps,
        when + timedelta(days=interval),
        score,
        when,
        state.attempts + 1,
    )


def mastery_from_history(history: Iterable[PastGrade]) -> dict[str, Mastery]:
    """SM-2 state per question, replaying its graded attempts oldest first.

    A skipped question was seen but not graded: it only moves ``last_seen``.
    """
    out: dict[str, Mastery] = {}
    for p in sorted(history, key=lambda p: p.at):
        state = out.get(p.question_id, Mastery(p.question_id))
        if p.outcome == "skipped":
            out[p.question_id] = Mastery(
                state.question_id,
                state.ease,
                state.interval_days,
                state.repetitions,
                state.due or p.at,
                state.last_score,
                p.at,
                state.attempts,
            )
        else:
            out[p.question_id] = sm2_update(state, p.score, p.at)
    return out


def topic_scores(history: Iterable[PastGrade]) -> dict[str, tuple[float, int]]:
    """Mean score and count per topic over graded (not skipped) attempts."""
    acc: dict[str, list[float]] = defaultdict(list)
    for p in history:
        if p.outcome != "skipped":
            for t in p.topics:
                acc[t].append(p.score)
    return {t: (round(sum(v) / len(v), 2), len(v)) for t, v in acc.items()}


def topic_weights(history: Iterable[PastGrade]) -> dict[str, float]:
    """Weight per practised topic, ``1 + (10 - mean)/10``: weak topics come up more often.

    Topics never practised weigh 1.0 (absent from the dict).
    """
    return {
        t: round(1.0 + (10.0 - mean) / 10.0, 3) for t, (mean, _) in topic_scores(history).items()
    }


def history_summary(store, now: datetime) -> tuple[list[dict], list[dict]]:
    """(sessions oldest first, per-topic mastery) for ``mockint history`` and the History tab."""
    past = store.history()
    sessions = []
    for s in store.sessions():
        mine = [p for p in past if p.session_id == s.id and p.outcome in ("answered", "idk")]
        sessions.append(
            {
                "id": s.id,
                "date": s.created_at.isoformat(timespec="seconds"),
                "mode": s.mode,
                "questions": len(mine),
                "status": s.status,
                "mean_score": round(sum(p.score for p in mine) / len(mine), 2) if mine else None,
            }
        )
    mastery = mastery_from_history(past)
    topics_of = {p.question_id: p.topics for p in past}
    topics = []
    for t, (mean, n) in sorted(topic_scores(past).items()):
        due = sum(
            1 for m in mastery.values() if t in topics_of.get(m.question_id, ()) and m.is_due(now)
        )
        topics.append({"topic": t, "answers": n, "mean_score": mean, "due": due})
    return sessions, topics
