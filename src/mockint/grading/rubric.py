"""Rubric arithmetic: pure functions from per-key-point verdicts to a 0-10 score.

The LLM (or the offline evidence) decides each key point's status; the score is computed
here, never by the judge. Essential points weigh twice as much as supporting ones; a
contradicted point counts as missing and costs a further penalty; a hint caps the score.

>>> score_from_statuses([("covered", "essential"), ("partial", "supporting")])
8.3
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Status = Literal["covered", "partial", "missing", "contradicted"]
Verdict = Literal["strong", "adequate", "weak", "incorrect", "no_answer", "ungradable"]

STATUS_CREDIT = {"covered": 1.0, "partial": 0.5, "missing": 0.0, "contradicted": 0.0}
WEIGHT = {"essential": 2.0, "supporting": 1.0}
CONTRADICTION_PENALTY = 1.5  # points off per contradicted point / stated misconception
HINT_CAP_STEP = 1.5  # each hint lowers the attainable maximum by this much


def score_from_statuses(items: Iterable[tuple[str, str]], *, incorrect_claims: int = 0) -> float:
    """0-10 from (status, weight) pairs, minus penalties for contradictions, one decimal."""
    items = list(items)
    if not items:
        return 0.0
    total = sum(WEIGHT[w] for _, w in items)
    got = sum(WEIGHT[w] * STATUS_CREDIT[s] for s, w in items)
    contradicted = sum(1 for s, _ in items if s == "contradicted") + incorrect_claims
    raw = 10.0 * got / total - CONTRADICTION_PENALTY * contradicted
    return round(min(10.0, max(0.0, raw)), 1)


def verdict_for(score: float) -> Verdict:
    """Map a score to a verdict.

    >>> [verdict_for(s) for s in (9, 6, 3, 1)]
    ['strong', 'adequate', 'weak', 'incorrect']
    """
    if score >= 7.5:
        return "strong"
    if score >= 5.0:
        return "adequate"
    if score >= 2.0:
        return "weak"
    return "incorrect"


def hint_cap(hints_used: int) -> float:
    """Highest attainable score after some hints.

    >>> hint_cap(0), hint_cap(2)
    (10.0, 7.0)
    """
    return max(0.0, 10.0 - HINT_CAP_STEP * max(0, hints_used))


def merge_statuses(first: str, second: str) -> str:
    """A follow-up can raise a key point's status, never lower it (except to contradicted).

    >>> merge_statuses("missing", "partial"), merge_statuses("covered", "missing")
    ('partial', 'covered')
    """
    if "contradicted" in (first, second) and "covered" not in (first, second):
        return "contradicted"
    order = ["missing", "partial", "covered"]
    a = order.index(first) if first in order else 0
    b = order.index(second) if second in order else 0
    return order[max(a, b)]
