"""The guards: one ordered table of what the score mapping cannot be trusted to learn.

Every grader (offline, LLM, hybrid) computes its score from per-key-point judgements
(``scoring.py``) and then calls ``apply_guards`` once, with the same table: each row is a
detector, what it does (``cap`` the score, ``deduct`` points, or only ``flag``), the value and
why. Rows apply in order; caps come after deductions, so a cap is a true ceiling. The
detectors are pure functions of the answer, the question and the judgements (``features.py``
holds the lexical ones). Nothing here calls a model.

>>> [(g.name, g.action, g.value) for g in GUARDS][:3]
[('instructions', 'deduct', 1.0), ('llm_raised_by_injection', 'cap', None), ('contradiction', 'cap', 3.0)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mockint.grading.detectors import (
    bare_list,
    copied_keywords,
    echoes,
    looks_stuffed,
    other_language,
    shotgun_list,
    words,
)
from mockint.grading.hygiene import instruction_spans
from mockint.grading.rubric import hint_cap

CONTRADICTION_P = 0.5  # the judgement model's probability that an essential point is contradicted
OFF_TOPIC_P = 0.9  # ... that no key point is addressed
TERM_LIST_MIN = 3  # bare terms for an answer to be a list ("push, pop" is an answer in two words)


@dataclass
class GuardContext:
    """What the detectors read. ``score`` is the mapping's score before the guards."""

    answer: str  # as given
    body: str  # instructions stripped
    question: str
    reference: str  # the key points and the reference answer, as one text
    topical: set[str]  # content words of the key points and the question
    con_ess: float = 0.0  # the strongest contradiction of an essential point
    not_addressed_min: float = 0.0  # the lowest not-addressed probability over the key points
    hints_used: int = 0
    model_score: float | None = None  # the judgement model's own score, when an LLM also judged
    arithmetic: float | None = None  # the rubric's arithmetic (the score without the core floor)


@dataclass(frozen=True)
class Guard:
    name: str
    detect: Callable[[GuardContext], bool]
    action: Literal["cap", "deduct", "flag"]
    value: float | None  # cap or deduction; None: computed by ``compute`` (see ``why``)
    flag: str
    why: str
    compute: Callable[[GuardContext], float] | None = None  # a cap that depends on the answer


def _keyword_list(c: GuardContext) -> bool:
    return (
        looks_stuffed(c.body)
        or copied_keywords(c.body, c.reference)
        or shotgun_list(c.body, c.reference)
    )


GUARDS: tuple[Guard, ...] = (
    Guard(
        "instructions",
        lambda c: bool(instruction_spans(c.answer)),
        "deduct",
        1.0,
        "injection_suspected",
        "Text addressed to the grader is removed before judging; trying costs a point, so it never pays.",
    ),
    Guard(
        "llm_raised_by_injection",
        lambda c: c.model_score is not None and bool(instruction_spans(c.answer)),
        "cap",
        None,
        "injection_suspected",
        "With instructions in the answer, an LLM may have been talked into a grade: the score may not exceed "
        "the judgement model's own, less the instructions' point.",
        lambda c: (c.model_score or 0.0) - GUARDS[0].value,
    ),
    Guard(
        "contradiction",
        lambda c: c.con_ess >= CONTRADICTION_P,
        "cap",
        3.0,
        "contradiction",
        "An answer that contradicts an essential point is at most 3, however fluent the rest (the scale).",
    ),
    Guard(
        "keyword_list",
        _keyword_list,
        "cap",
        2.0,
        "keyword_stuffing",
        "A bare run of terms, terms lifted from the reference, or a list sprayed with off-rubric terms "
        "states nothing: at most 2.",
    ),
    Guard(
        "term_list",
        lambda c: c.arithmetic is not None and len(bare_list(c.body)) >= TERM_LIST_MIN,
        "cap",
        None,
        "term_list",
        "A list of bare terms states no core idea, so the floor for a stated core idea does not lift "
        "it: at most the rubric's arithmetic (a list of the reference's own terms is graded on its merits).",
        lambda c: float(c.arithmetic),
    ),
    Guard(
        "question_echo",
        lambda c: echoes(c.body, c.question, c.topical),
        "cap",
        1.0,
        "question_echo",
        "A restatement of the question that adds no key-point word answers nothing: at most 1.",
    ),
    Guard(
        "hints",
        lambda c: c.hints_used > 0,
        "cap",
        None,
        "hint_capped",
        "Each hint used lowers the attainable maximum by 1.5 points.",
        lambda c: hint_cap(c.hints_used),
    ),
    Guard(
        "off_topic",
        lambda c: c.not_addressed_min >= OFF_TOPIC_P,
        "flag",
        None,
        "off_topic",
        "No key point is addressed (p ≥ 0.9 for every one); the mapping already scores it low.",
    ),
    Guard(
        "too_short",
        lambda c: len(words(c.body)) < 4,
        "flag",
        None,
        "too_short",
        "Fewer than four words; flagged only, short correct answers exist ('push and pop').",
    ),
    Guard(
        "other_language",
        lambda c: len(words(c.body)) >= 5 and other_language(c.body),
        "flag",
        None,
        "other_language",
        "Mostly another language: the judgement model reads English best, so say so.",
    ),
)


def _value(g: Guard, c: GuardContext) -> float:
    return g.compute(c) if g.compute is not None else float(g.value)


def apply_guards(score: float, ctx: GuardContext) -> tuple[float, list[str], list[str]]:
    """(guarded score, flags raised, names of the guards that changed the score), in table order:
    deductions first, then caps, flags throughout.

    >>> ctx = GuardContext(answer="momentum learning rate adam sgd convergence loss", body="momentum learning rate "
    ...                    "adam sgd convergence loss", question="What is momentum?", reference="", topical=set())
    >>> apply_guards(6.0, ctx)[:2]
    (2.0, ['keyword_stuffing'])
    """
    flags: list[str] = []
    changed: list[str] = []
    hits = [g for g in GUARDS if g.detect(ctx)]
    for g in hits:
        if g.action == "deduct":
            new = score - _value(g, ctx)
            changed.append(g.name)
            score = new
    for g in hits:
        if g.action == "cap":
            cap = _value(g, ctx)
            if score > cap:
                score = cap
                changed.append(g.name)
    for g in hits:
        if g.compute is not None and g.name not in changed:
            continue  # a computed cap that did not bite is not news
        flags.append(g.flag)
    return round(min(10.0, max(0.0, score)), 1), sorted(set(flags)), changed


def table_markdown() -> str:
    """The guard table as Markdown (README and reports)."""
    rows = ["| # | guard | action | value | flag | why |", "|---|---|---|---|---|---|"]
    for i, g in enumerate(GUARDS, start=1):
        value = "—" if g.value is None else f"{g.value:g}"
        rows.append(f"| {i} | `{g.name}` | {g.action} | {value} | `{g.flag}` | {g.why} |")
    return "\n".join(rows)
