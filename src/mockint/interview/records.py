"""What the history holds, as plain records: a session (``SessionRow``), its turns (``Turn``: a question
or follow-up asked, the answer, the outcome, the actions, the timings), the whole session with its
grades (``SessionRecord``), a past grade for scheduling (``PastGrade``), the row converters, time
helpers, and which turn waits for the candidate (``pending_turn``). ``store.py`` reads and writes them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mockint.grading.schema import Grade

STATUSES = ("active", "paused", "finished")
COUNTED = ("answered", "idk")  # outcomes that count as answered (a skip does not)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    """ISO-8601 text of an aware datetime (naive ones are taken as UTC)."""
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).isoformat(timespec="milliseconds")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass
class Turn:
    id: int
    session_id: str
    seq: int
    position: int
    kind: str  # question | followup
    question_id: str
    topics: list[str]
    prompt: str
    key_point_id: str | None
    phrased_by: str  # question | probe | llm
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    seconds: float | None
    outcome: str | None  # None (pending) | answered | skipped | idk | ended
    actions: list[dict] = field(default_factory=list)


@dataclass
class SessionRow:
    id: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    mode: str
    status: str
    grader: str
    model: str
    settings: dict


@dataclass
class SessionRecord:
    """Everything stored about one session."""

    session: SessionRow
    turns: list[Turn]
    answer_grades: dict[int, Grade]  # turn id -> grade of that turn's answer
    final_grades: dict[int, Grade]  # main turn id -> merged grade of the question


@dataclass(frozen=True)
class PastGrade:
    """One question's final grade in some session, for mastery and trends."""

    session_id: str
    question_id: str
    topics: tuple[str, ...]
    score: float
    outcome: str
    at: datetime


def session_from_row(row: sqlite3.Row) -> SessionRow:
    return SessionRow(
        row["id"],
        parse_time(row["created_at"]),
        parse_time(row["updated_at"]),
        parse_time(row["finished_at"]),
        row["mode"],
        row["status"],
        row["grader"],
        row["model"],
        json.loads(row["settings"]),
    )


def turn_from_row(row: sqlite3.Row) -> Turn:
    return Turn(
        row["id"],
        row["session_id"],
        row["seq"],
        row["position"],
        row["kind"],
        row["question_id"],
        json.loads(row["topics"]),
        row["prompt"],
        row["key_point_id"],
        row["phrased_by"],
        parse_time(row["asked_at"]),
        row["answer"],
        parse_time(row["answered_at"]),
        row["seconds"],
        row["outcome"],
        json.loads(row["actions"]),
    )


def pending_turn(record: SessionRecord) -> Turn | None:
    """The turn waiting for the candidate: the last one, when it has no outcome yet (the engine and
    the UI's timer share this one definition)."""
    turns = record.turns
    return turns[-1] if turns and turns[-1].outcome is None else None
