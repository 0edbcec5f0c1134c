"""The report of one interview session, and the per-question results it is built from.

A question's result is its merged grade: ``merge_grades`` folds a follow-up's grade into
it (statuses only rise; score = max(first, rubric score of the merged statuses), capped
by the hints used) and ``zero_grade`` stands for a skip or an "I don't know".
``model_answer`` and ``scope_text`` (what kind of answer a question expects, never a key
point's text) are what the candidate may be shown about a question; ``summarize_question``
turns a question's stored turns and merged grade into what the candidate sees (score,
key points covered with quotes / missed, the model answer, the time taken); ``build_report`` gathers those for a session with per-topic scores, the
trend against earlier sessions and a study list that points at the reference answers
(question ids); ``to_markdown`` / ``export`` write it as Markdown and JSON under a
sanitised file name. Pure over data loaded from the store: this module neither grades
nor decides what to ask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from mockint.corpus.schema import Question
from mockint.grading.hygiene import feedback_for
from mockint.grading.rubric import hint_cap, merge_statuses, verdict_for
from mockint.grading.schema import Grade, KeyPointResult
from mockint.interview.records import COUNTED, Turn
from mockint.interview.store import PastGrade, SessionRecord
from mockint.speech.audio import delivery_of


@dataclass
class PointResult:
    id: str
    text: str
    weight: str
    status: str
    quote: str = ""


@dataclass
class QuestionSummary:
    position: int
    question_id: str
    question: str
    topics: list[str]
    outcome: str  # answered | skipped | idk | ended | pending
    score: float | None
    verdict: str
    answer: str = ""
    hints: int = 0
    followups: list[dict] = field(default_factory=list)
    covered: list[PointResult] = field(default_factory=list)
    missed: list[PointResult] = field(default_factory=list)
    model_answer: str = ""
    seconds: float = 0.0
    feedback: str = ""
    flags: list[str] = field(default_factory=list)
    tests: dict | None = None  # coding: the CodeReport of the code graded (as a dict)
    delivery: dict | None = None  # answered out loud: pace, fillers, pauses (speech.delivery)

    @property
    def counted(self) -> bool:
        return self.outcome in COUNTED and self.score is not None


def model_answer(q: Question | None) -> str:
    """The first reference answer's Markdown ("" for a question outside the corpus)."""
    return q.references[0].markdown if q and q.references else ""


_EXPECT = {
    "concept": "explain what it is, how it works and why it matters",
    "comparison": "contrast the two sides on their main differences and say when to use each",
    "coding": "describe or write the code, and say what it costs in time and memory",
    "probability-math": "set up the calculation and show the steps to the result",
    "sql": "write the query and explain what each part does",
    "open-ended": "give several distinct points, each with a reason",
}


def scope_text(q: Question, *, restate: bool = True) -> str:
    """Restate what kind of answer a question expects, without any key point's text."""
    essential = len(q.essential_points())
    article = "an" if q.type[0] in "aeiou" else "a"
    text = (
        f"This is {article} {q.type} question on {', '.join(q.topics)} (difficulty {q.difficulty} of 3). "
        f"A good answer should {_EXPECT.get(q.type, 'answer the question directly')}; the rubric has "
        f"{len(q.key_points)} key points, {essential} of them essential."
    )
    return f"{text} The question is: {q.question}" if restate else text


def summarize_question(
    turns: list[Turn], final: Grade | None, question: Question | None
) -> QuestionSummary:
    """What the candidate gets back for one question (its main turn first, then follow-ups)."""
    main = turns[0]
    outcome = main.outcome or "pending"
    hints = sum(1 for t in turns for a in t.actions if a.get("action") == "hint")
    followups = [
        {
            "prompt": t.prompt,
            "answer": t.answer or "",
            "outcome": t.outcome or "pending",
            "key_point": t.key_point_id,
            "phrased_by": t.phrased_by,
            "seconds": t.seconds,
            "delivery": delivery_of(t),
        }
        for t in turns[1:]
    ]
    covered, missed = [], []
    if final is not None:
        for k in final.key_points:
            item = PointResult(k.id, k.text, k.weight, k.status, k.evidence)
            (covered if k.status in ("covered", "partial") else missed).append(item)
    elif question is not None:
        missed = [PointResult(k.id, k.text, k.weight, "missing") for k in question.key_points]
    return QuestionSummary(
        position=main.position,
        question_id=main.question_id,
        question=main.prompt,
        topics=list(main.topics),
        outcome=outcome,
        score=final.score if final else None,
        verdict=final.verdict if final else "",
        answer=main.answer or "",
        hints=hints,
        followups=followups,
        covered=covered,
        missed=missed,
        model_answer=model_answer(question),
        seconds=round(sum(t.seconds or 0.0 for t in turns), 1),
        feedback=final.feedback if final else "",
        tests=final.code.model_dump() if final is not None and final.code is not None else None,
        delivery=delivery_of(main),
        flags=list(final.flags) if final else [],
    )


def zero_grade(q: Question, grader: str, feedback: str) -> Grade:
    """Score 0 / no_answer with every key point missing (a skip or an "I don't know")."""
    return Grade(
        score=0,
        verdict="no_answer",
        grader=grader,
        question_id=q.id,
        feedback_add=feedback,
        key_points=[
            KeyPointResult(
                id=k.id, text=k.text, weight=k.weight, status="missing", reference=f"{q.id}#{k.id}"
            )
            for k in q.key_points
        ],
    )


def merge_grades(
    first: Grade, follow: Grade, hints_used: int, rescore: Callable[[list], float]
) -> Grade:
    """The question's grade after a follow-up: statuses merged (a follow-up only raises them; a
    raised point takes the follow-up's judgement), score = max(first score, ``rescore`` of the
    merged points) when some status rose (else the first score), capped by the hints used."""
    new = {k.id: k for k in follow.key_points}
    merged, rose = [], False
    for k in first.key_points:
        n = new.get(k.id)
        status = merge_statuses(k.status, n.status) if n else k.status
        raised = status != k.status and status != "contradicted"
        rose = rose or raised
        evidence = n.evidence if n and status != k.status and n.evidence else k.evidence
        update = {"status": status, "evidence": evidence}
        if raised and n is not None:
            update.update(probs=n.probs, similarity=n.similarity)
        merged.append(k.model_copy(update=update))
    cap = hint_cap(hints_used)
    best = max(first.score, round(rescore(merged), 1) if rose else 0.0)
    score = min(cap, best)
    flags = set(first.flags) | ({"hint_capped"} if best > cap else set())
    claims = list(dict.fromkeys(first.incorrect_claims + follow.incorrect_claims))
    good, add = feedback_for(merged, claims)  # one wording for every grade (no doubled full stops)
    if follow.code is not None:  # new code was run: its tests tell what the code does now
        good = " ".join(x for x in (follow.code.summary(), good) if x)
    return first.model_copy(
        update={
            "score": score,
            "verdict": verdict_for(score),
            "key_points": merged,
            "flags": sorted(flags),
            "incorrect_claims": claims,
            "feedback_good": good,
            "feedback_add": add,
            "code": follow.code or first.code,
        }
    )


def question_summaries(
    record: SessionRecord, questions: dict[str, Question]
) -> list[QuestionSummary]:
    by_pos: dict[int, list[Turn]] = defaultdict(list)
    for t in record.turns:
        by_pos[t.position].append(t)
    out = []
    for pos in sorted(by_pos):
        turns = by_pos[pos]
        out.append(
            summarize_question(
                turns, record.final_grades.get(turns[0].id), questions.get(turns[0].question_id)
            )
        )
    return out


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def build_report(
    record: SessionRecord, questions: dict[str, Question], history: list[PastGrade]
) -> dict:
    """The session's report as plain data; ``history`` holds other sessions' grades."""
    s = record.session
    items = question_summaries(record, questions)
    counted = [q for q in items if q.counted]
    earlier = [
        p for p in history if p.session_id != s.id and p.at < s.created_at and p.outcome in COUNTED
    ]
    per_session: dict[str, list[float]] = defaultdict(list)
    for p in earlier:
        per_session[p.session_id].append(p.score)
    past = [{"session_id": sid, "mean_score": _mean(v)} for sid, v in per_session.items()][-5:]
    return {
        "session": {
            "id": s.id,
            "created_at": s.created_at.isoformat(),
            "mode": s.mode,
            "status": s.status,
            "finished_at": s.finished_at.isoformat() if s.finished_at else None,
            "grader": s.grader,
            "settings": s.settings,
        },
        "summary": {
            "asked": len(items),
            "answered": len(counted),
            "skipped": sum(q.outcome == "skipped" for q in items),
            "mean_score": _mean([q.score for q in counted]),
            "total_seconds": round(sum(q.seconds for q in items), 1),
            "previous_mean_score": _mean([p.score for p in earlier]),
        },
        "questions": [{**asdict(q), "counted": q.counted} for q in items],
        "topics": _topic_trends(counted, earlier),
        "past_sessions": past,
        "study": _study_list(items),
        "delivery": session_delivery(items),
    }


def session_delivery(items: list[QuestionSummary]) -> dict | None:
    """Delivery over every answer given out loud in the session (None: all typed)."""
    ds = [q.delivery for q in items if q.delivery] + [
        f["delivery"] for q in items for f in q.followups if f.get("delivery")
    ]
    ds = [d for d in ds if d["words"]]
    if not ds:
        return None
    words, seconds = sum(d["words"] for d in ds), sum(d["seconds"] for d in ds)
    fillers = sum(d["filler_count"] for d in ds)
    return {
        "answers": len(ds),
        "seconds": round(seconds, 1),
        "words": words,
        "wpm": round(words / seconds * 60) if seconds else 0,
        "filler_count": fillers,
        "fillers_per_100_words": round(100 * fillers / words, 1) if words else 0.0,
        "long_pauses": sum(len(d["long_pauses"]) for d in ds),
    }


def _topic_trends(counted: list[QuestionSummary], earlier: list[PastGrade]) -> list[dict]:
    """Per topic: this session's mean, the mean before it, and the difference."""
    now_topic: dict[str, list[float]] = defaultdict(list)
    for q in counted:
        for t in q.topics:
            now_topic[t].append(q.score)
    past_topic: dict[str, list[float]] = defaultdict(list)
    for p in earlier:
        for t in p.topics:
            past_topic[t].append(p.score)
    out = []
    for t in sorted(now_topic):
        mean, before = _mean(now_topic[t]), _mean(past_topic.get(t, []))
        trend = round(mean - before, 2) if before is not None else None
        out.append(
            {"topic": t, "score": mean, "n": len(now_topic[t]), "previous": before, "trend": trend}
        )
    return out


def _study_list(items: list[QuestionSummary]) -> list[dict]:
    """Weakest first: what to study for each question not fully answered."""
    study = []
    for q in sorted(items, key=lambda q: (q.score if q.score is not None else -1.0, q.position)):
        essential_missed = [m.text for m in q.missed if m.weight == "essential"]
        partial = [c.text for c in q.covered if c.status == "partial" and c.weight == "essential"]
        if q.outcome in ("skipped", "idk", "ended", "pending") or essential_missed or partial:
            study.append(
                {
                    "question_id": q.question_id,
                    "question": q.question,
                    "score": q.score,
                    "study": essential_missed + partial or [m.text for m in q.missed],
                    "reference": f"corpus question {q.question_id} (first reference answer)",
                }
            )
    return study
