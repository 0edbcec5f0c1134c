"""Which question to ask next: retrieval, filters, adaptive difficulty and spaced repetition.

The scheduling is pure: ``sm2_update`` / ``mastery_from_history`` (an SM-2-like schedule
per question: ease factor, interval, due date, with the quality taken from the 0-10
score), ``topic_weights`` (weak topics weigh more), ``adapt_difficulty`` (up after a
strong answer, down after a weak one) and ``rank_candidates`` (no repeats, recently seen
questions later, due / weakest first in review mode). Every function that depends on
the date takes ``now`` explicitly, so tests use fixed dates and hand-made histories.

``candidates`` and ``pick_next`` add the ``Runtime``: the corpus for the filters and the
Chroma index to retrieve questions close to the free-text focus. ``next_probe`` picks
the key point a follow-up or a hint probes within a question. This module does not
store anything (``store.py``) and does not run a session (``interviewer.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from mockint.corpus.schema import KeyPoint, Question
from mockint.interview.records import COUNTED
from mockint.interview.schedule import Mastery, mastery_from_history, topic_weights
from mockint.interview.store import PastGrade

STRONG, WEAK = 7.5, 5.0  # same thresholds as the verdicts in rubric.py
RECENT = timedelta(days=3)
DEFAULT_DIFFICULTY = 2


@dataclass(frozen=True)
class Candidate:
    question_id: str
    topics: tuple[str, ...]
    difficulty: int
    relevance: float  # similarity to the focus text (1.0 when there is no focus)


# ------------------------------------------------------------------ spaced repetition


def adapt_difficulty(current: int, score: float | None) -> int:
    """Next target difficulty (1-3): up after a strong answer, down after a weak one.

    >>> adapt_difficulty(2, 8.0), adapt_difficulty(2, 4.0), adapt_difficulty(3, 9), adapt_difficulty(2, None)
    (3, 1, 3, 2)
    """
    if score is None:
        return current
    if score >= STRONG:
        return min(3, current + 1)
    if score < WEAK:
        return max(1, current - 1)
    return current


def target_difficulty(start: int | None, scores: Sequence[float | None]) -> int | None:
    """The target after a session's answers so far (``None`` for a skipped question).

    No starting level and nothing graded yet: no preference (None). Otherwise adapt from
    the start (default 2) after each graded answer.

    >>> target_difficulty(None, []), target_difficulty(None, [9.0]), target_difficulty(1, [9, 9, 2])
    (None, 3, 2)
    """
    if start is None and not any(s is not None for s in scores):
        return None
    level = start or DEFAULT_DIFFICULTY
    for s in scores:
        level = adapt_difficulty(level, s)
    return level


# ------------------------------------------------------------------ ranking


def _jitter(seed: str, qid: str) -> float:
    """A stable tie-breaker in [0, 0.001): the same session orders ties the same way."""
    return int(hashlib.sha256(f"{seed}\x00{qid}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF / 1000


def priority(
    c: Candidate, *, target: int | None, weights: dict[str, float], seed: str = ""
) -> float:
    """Relevance x weakest-topic weight x difficulty fit (1 / (1 + distance to the target);
    1 without a target)."""
    weight = max((weights.get(t, 1.0) for t in c.topics), default=1.0)
    fit = 1.0 if target is None else 1.0 / (1.0 + abs(c.difficulty - target))
    return c.relevance * weight * fit + _jitter(seed, c.question_id)


def rank_candidates(
    cands: Sequence[Candidate],
    *,
    asked: Iterable[str],
    mastery: dict[str, Mastery],
    weights: dict[str, float],
    target: int | None,
    now: datetime,
    review: bool = False,
    seed: str = "",
    recent: timedelta = RECENT,
) -> list[str]:
    """Question ids best first; never one already asked in this session.

    Normal mode: by priority, but questions seen within ``recent`` (and not due) go last.
    Review mode: due questions first (most overdue first), then the other practised ones
    weakest first (lowest last score), then unseen ones by priority.
    """
    seen_now = set(asked)
    pool = [c for c in {c.question_id: c for c in cands}.values() if c.question_id not in seen_now]

    def key(c: Candidate):
        m = mastery.get(c.question_id)
        p = priority(c, target=target, weights=weights, seed=seed)
        if review:
            if m is not None and m.is_due(now):
                return (0, m.due.timestamp(), -p)
            if m is not None and m.last_score is not None:
                return (1, m.last_score, -p)
            return (2, 0.0, -p)
        is_recent = (
            m is not None
            and m.last_seen is not None
            and now - m.last_seen < recent
            and not m.is_due(now)
        )
        return (1 if is_recent else 0, 0.0, -p)

    return [c.question_id for c in sorted(pool, key=key)]


def next_probe(
    q: Question,
    statuses: dict[str, str],
    *,
    exclude: Iterable[str] = (),
    later: Iterable[str] = (),
    supporting: bool = False,
) -> KeyPoint | None:
    """The key point a follow-up or hint should probe: an essential one still missing or
    partial (status absent = missing), in rubric order, skipping ``exclude`` and putting
    ``later`` last; with ``supporting`` the supporting points follow the essential ones."""
    skip, last = set(exclude), set(later)
    pool = [
        k
        for k in q.key_points
        if k.id not in skip
        and statuses.get(k.id, "missing") in ("missing", "partial")
        and (supporting or k.weight == "essential")
    ]
    pool.sort(
        key=lambda k: (k.weight != "essential", k.id in last)
    )  # stable: rubric order otherwise
    return pool[0] if pool else None


# ------------------------------------------------------------------ with the runtime


TRACKS = ("concepts", "coding", "all")


def on_track(q: Question, track: str) -> bool:
    """``concepts``: the questions of the Q&A page (its coding questions too, graded by their
    tests); ``coding``: every question whose code is run (the coding track); ``all``: both."""
    if track == "coding":
        return q.problem is not None
    if track == "concepts":
        return q.section != "Coding track"
    return True


def matches(
    q: Question,
    topics: Sequence[str],
    types: Sequence[str],
    difficulty: Sequence[int] = (),
    track: str = "all",
) -> bool:
    """The filters: any of the topics, any of the types, any of the difficulties (empty = all),
    on the track."""
    return (
        on_track(q, track)
        and (not topics or any(t in q.topics for t in topics))
        and (not types or q.type in types)
        and (not difficulty or q.difficulty in difficulty)
    )


def candidates(
    runtime,
    *,
    focus: str,
    topics: Sequence[str],
    types: Sequence[str],
    difficulty: Sequence[int],
    asked: Sequence[str],
    extra: Iterable[str] = (),
    k: int = 40,
    track: str = "all",
) -> list[Candidate]:
    """Questions passing the filters: retrieved from the index by ``focus`` when there is one
    (relevance = similarity), else all of them (relevance 1.0). ``extra`` ids (due or weak
    questions for review) are added with relevance 0.5 when they pass the filters."""

    def cand(q: Question, rel: float) -> Candidate:
        return Candidate(q.id, tuple(q.topics), q.difficulty, rel)

    pool = {
        q.id: q
        for q in runtime.questions
        if matches(q, topics, types, difficulty, track) and q.id not in asked
    }
    if focus.strip():
        hits = runtime.ready_index().search(
            focus,
            k=min(k, max(1, len(pool))),
            topics=topics,
            types=types,
            difficulty=difficulty,
            exclude=list(asked),
        )
        out = [cand(pool[h.qid], max(0.0, h.similarity)) for h in hits if h.qid in pool]
        if not out:  # nothing close to the focus is left: any question passing the filters
            out = [cand(q, 0.1) for q in pool.values()]
    else:
        out = [cand(q, 1.0) for q in pool.values()]
    have = {c.question_id for c in out}
    out += [cand(pool[i], 0.5) for i in extra if i in pool and i not in have]
    return out


def pick_next(
    runtime,
    *,
    focus: str = "",
    topics: Sequence[str] = (),
    types: Sequence[str] = (),
    difficulty: int | None = None,
    strict_difficulty: bool = False,
    asked: Sequence[str] = (),
    history: Sequence[PastGrade] = (),
    target: int | None = None,
    review: bool = False,
    now: datetime,
    seed: str = "",
    track: str = "all",
) -> str | None:
    """The next question id, or None when no question is left that passes the filters."""
    mastery = mastery_from_history(history)
    extra = [m.question_id for m in mastery.values() if review]
    levels = [difficulty] if strict_difficulty and difficulty else []
    cands = candidates(
        runtime,
        focus=focus,
        topics=topics,
        types=types,
        difficulty=levels,
        asked=asked,
        extra=extra,
        track=track,
    )
    ranked = rank_candidates(
        cands,
        asked=asked,
        mastery=mastery,
        weights=topic_weights(history),
        target=target,
        now=now,
        review=review,
        seed=seed,
    )
    return ranked[0] if ranked else None


def followup_target(q: Question, turns: list, final, *, max_followups: int, hinted: set[str]):
    """The key point a follow-up should probe after this question's ``turns`` (main, follow-ups),
    or None: not answered, follow-ups used up, the last one passed, nothing gradable missing."""
    main, followups = turns[0], turns[1:]
    if main.outcome != "answered" or len(followups) >= max_followups:
        return None
    if followups and followups[-1].outcome != "answered":
        return None  # the candidate passed on the last follow-up
    if final is None or final.verdict == "ungradable" or not final.key_points:
        return None
    return next_probe(
        q,
        {k.id: k.status for k in final.key_points},
        exclude={t.key_point_id for t in followups},
        later=hinted,
        supporting=q.problem is not None,  # coding: an edge case the tests caught is worth asking
    )


def hint_point(q: Question, turns: list, final, *, hinted: set[str]):
    """The key point whose probe a hint reveals: not covered, not hinted or followed up before,
    with a probe; supporting points too."""
    statuses = {k.id: k.status for k in final.key_points} if final else {}
    no_probe = {k.id for k in q.key_points if not k.probe}
    asked = {t.key_point_id for t in turns if t.key_point_id}
    return next_probe(q, statuses, supporting=True, exclude=hinted | no_probe | asked)


def next_question(
    runtime, setup, mains: list, finals: dict, *, now: datetime, history: list, seed: str
) -> str | None:
    """The id of the next question for a session with ``setup`` that asked ``mains`` so far
    (difficulty adapted to their scores), or None when none is left."""
    scores = [
        finals[t.id].score if t.id in finals and t.outcome in COUNTED else None for t in mains
    ]
    return pick_next(
        runtime,
        focus=setup.focus,
        topics=setup.topics,
        types=setup.types,
        difficulty=setup.difficulty,
        strict_difficulty=setup.strict_difficulty,
        asked=[t.question_id for t in mains],
        history=history,
        target=target_difficulty(setup.difficulty, scores),
        review=setup.review,
        now=now,
        seed=seed,
        track=setup.track,
    )
