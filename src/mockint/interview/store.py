"""SQLite history of interviews: sessions, turns and grades, with append-only migrations.

The database is ``$MOCKINT_HOME/history.db`` in WAL mode. Every write is one short
``BEGIN IMMEDIATE`` transaction on its own connection, so several sessions (threads or
processes) can write at once and a killed process loses nothing it had committed.
Schema changes are numbered entries appended to ``MIGRATIONS`` and recorded in the
``migrations`` table; an applied migration is never edited, only followed by another.

Tables: ``sessions`` (settings, mode, status), ``turns`` (each question or follow-up
asked, the answer, the outcome, the actions taken on it and its timings) and ``grades``
(the JSON of a ``mockint.grading.schema.Grade``: ``answer`` for one turn's answer, ``final`` for
a question's merged grade, keyed by the question's main turn).

This module stores and loads; it decides nothing about what to ask (``interviewer.py``)
or what to pick (``choice.py``).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from mockint.errors import SessionError
from mockint.grading.schema import Grade
from mockint.interview.records import (
    STATUSES,
    PastGrade,
    SessionRecord,
    SessionRow,
    iso,
    parse_time,
    session_from_row,
    turn_from_row,
    utcnow,
)

# (name, statements). Append only: never edit or reorder an entry once released.
MIGRATIONS: list[tuple[str, tuple[str, ...]]] = [
    (
        "0001_sessions_turns_grades",
        (
            """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT,
            mode TEXT NOT NULL,
            status TEXT NOT NULL,
            grader TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            settings TEXT NOT NULL DEFAULT '{}')""",
            """CREATE TABLE turns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            seq INTEGER NOT NULL,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            question_id TEXT NOT NULL,
            topics TEXT NOT NULL DEFAULT '[]',
            prompt TEXT NOT NULL,
            key_point_id TEXT,
            phrased_by TEXT NOT NULL DEFAULT '',
            asked_at TEXT NOT NULL,
            answer TEXT,
            answered_at TEXT,
            seconds REAL,
            outcome TEXT,
            actions TEXT NOT NULL DEFAULT '[]',
            UNIQUE (session_id, seq))""",
            """CREATE TABLE grades (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            turn_id INTEGER NOT NULL REFERENCES turns(id),
            question_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            score REAL NOT NULL,
            grade TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (turn_id, kind))""",
            "CREATE INDEX turns_session ON turns(session_id, seq)",
            "CREATE INDEX grades_question ON grades(question_id, kind)",
        ),
    ),
]


_SESSION_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def session_lock(session_id: str) -> threading.Lock:
    """One lock per session in this process: a background LLM verdict and the candidate's next
    answer recompute a question's grade one at a time."""
    with _LOCKS_LOCK:
        return _SESSION_LOCKS.setdefault(session_id, threading.Lock())


class Store:
    """The history database. Cheap to build; ``migrate()`` runs once on first use."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._migrated = False

    # ------------------------------------------------------------------ plumbing
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise SessionError(
                f"cannot open the history database: {exc}",
                where=str(self.path),
                fix="move the file aside; a new one is created",
            ) from exc
        return conn

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        if not self._migrated:
            self.migrate()
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def migrate(self) -> int:
        """Apply the migrations not yet recorded, each once, in order; returns the version."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_at TEXT NOT NULL)"
            )
            done = {r["id"] for r in conn.execute("SELECT id FROM migrations")}
            for number, (name, statements) in enumerate(MIGRATIONS, start=1):
                if number in done:
                    continue
                for sql in statements:
                    conn.execute(sql)
                conn.execute(
                    "INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, iso(utcnow())),
                )
            conn.execute("COMMIT")
            version = conn.execute("SELECT COALESCE(MAX(id), 0) FROM migrations").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise SessionError(
                f"cannot migrate the history database: {exc}",
                where=str(self.path),
                fix="move the file aside; a new one is created",
            ) from exc
        finally:
            conn.close()
        self._migrated = True
        return int(version)

    def version(self) -> int:
        with self._tx(write=False) as conn:
            return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM migrations").fetchone()[0])

    # ------------------------------------------------------------------ sessions
    def create_session(
        self,
        settings: dict,
        *,
        mode: str,
        grader: str,
        model: str = "",
        now: datetime | None = None,
    ) -> str:
        now = now or utcnow()
        sid = now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO sessions (id, created_at, updated_at, mode, status, grader, model, settings) "
                "VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
                (sid, iso(now), iso(now), mode, grader, model, json.dumps(settings)),
            )
        return sid

    def set_status(self, session_id: str, status: str, now: datetime | None = None) -> None:
        if status not in STATUSES:
            raise SessionError(f"unknown session status {status!r}", fix=f"use one of {STATUSES}")
        now = now or utcnow()
        with self._tx() as conn:
            conn.execute(
                "UPDATE sessions SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                (status, iso(now), iso(now) if status == "finished" else None, session_id),
            )

    def sessions(self) -> list[SessionRow]:
        with self._tx(write=False) as conn:
            return [
                session_from_row(r)
                for r in conn.execute("SELECT * FROM sessions ORDER BY created_at, id")
            ]

    # ------------------------------------------------------------------ turns
    def add_turn(
        self,
        session_id: str,
        *,
        position: int,
        kind: str,
        question_id: str,
        prompt: str,
        topics: list[str],
        asked_at: datetime,
        key_point_id: str | None = None,
        phrased_by: str = "",
        actions: list[dict] | None = None,
    ) -> int:
        with self._tx() as conn:
            seq = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO turns (session_id, seq, position, kind, question_id, topics, prompt, key_point_id, "
                "phrased_by, asked_at, actions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    seq,
                    position,
                    kind,
                    question_id,
                    json.dumps(topics),
                    prompt,
                    key_point_id,
                    phrased_by,
                    iso(asked_at),
                    json.dumps(actions or []),
                ),
            )
            conn.execute(
                "UPDATE sessions SET updated_at = ? WHERE id = ?", (iso(asked_at), session_id)
            )
            return int(cur.lastrowid)

    def record_answer(
        self,
        turn_id: int,
        answer: str,
        *,
        outcome: str,
        answered_at: datetime,
        seconds: float | None,
    ) -> None:
        """Store the candidate's reply to a pending turn (before anything grades it)."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE turns SET answer = ?, outcome = ?, answered_at = ?, seconds = ? "
                "WHERE id = ? AND outcome IS NULL",
                (answer, outcome, iso(answered_at), seconds, turn_id),
            )
            if cur.rowcount != 1:
                raise SessionError(
                    f"turn {turn_id} is not waiting for an answer",
                    fix="resume the session to see what it is waiting for",
                )

    def set_prompt(self, turn_id: int, prompt: str, phrased_by: str) -> bool:
        """Replace an unanswered turn's wording (a follow-up the LLM phrased while it was shown);
        False, and nothing changed, once the turn has an outcome."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE turns SET prompt = ?, phrased_by = ? WHERE id = ? AND outcome IS NULL",
                (prompt, phrased_by, turn_id),
            )
            return cur.rowcount == 1

    def add_action(self, turn_id: int, action: dict) -> None:
        with self._tx() as conn:
            row = conn.execute("SELECT actions FROM turns WHERE id = ?", (turn_id,)).fetchone()
            if row is None:
                raise SessionError(f"no turn {turn_id}")
            actions = json.loads(row["actions"]) + [action]
            conn.execute(
                "UPDATE turns SET actions = ? WHERE id = ?", (json.dumps(actions), turn_id)
            )

    def restart_clock(self, turn_id: int, asked_at: datetime) -> None:
        """A resumed pending turn is timed from the moment it is shown again."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE turns SET asked_at = ? WHERE id = ? AND outcome IS NULL",
                (iso(asked_at), turn_id),
            )

    # ------------------------------------------------------------------ grades
    def save_grade(
        self,
        session_id: str,
        turn_id: int,
        question_id: str,
        kind: str,
        grade: Grade,
        now: datetime | None = None,
    ) -> None:
        """Insert (or, for the ``final`` grade of a question, replace) a grade."""
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO grades (session_id, turn_id, question_id, kind, score, grade, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    turn_id,
                    question_id,
                    kind,
                    grade.score,
                    grade.model_dump_json(),
                    iso(now or utcnow()),
                ),
            )

    # ------------------------------------------------------------------ reading
    def load(self, session_id: str) -> SessionRecord:
        with self._tx(write=False) as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise SessionError(
                    f"no session {session_id!r}",
                    where=str(self.path),
                    fix="see 'mockint history' for the session ids",
                )
            turns = [
                turn_from_row(r)
                for r in conn.execute(
                    "SELECT * FROM turns WHERE session_id = ? ORDER BY seq", (session_id,)
                )
            ]
            answer, final = {}, {}
            for g in conn.execute(
                "SELECT turn_id, kind, grade FROM grades WHERE session_id = ?", (session_id,)
            ):
                (final if g["kind"] == "final" else answer)[g["turn_id"]] = (
                    Grade.model_validate_json(g["grade"])
                )
        return SessionRecord(session_from_row(row), turns, answer, final)

    def history(self, *, exclude_session: str | None = None) -> list[PastGrade]:
        """Final grades of every question asked, oldest first (optionally excluding a session)."""
        sql = (
            "SELECT t.session_id, t.question_id, t.topics, t.outcome, t.answered_at, t.asked_at, g.score "
            "FROM grades g JOIN turns t ON t.id = g.turn_id WHERE g.kind = 'final'"
        )
        with self._tx(write=False) as conn:
            rows = list(conn.execute(sql))
        out = []
        for r in rows:
            if r["session_id"] == exclude_session:
                continue
            out.append(
                PastGrade(
                    r["session_id"],
                    r["question_id"],
                    tuple(json.loads(r["topics"])),
                    float(r["score"]),
                    r["outcome"] or "",
                    parse_time(r["answered_at"] or r["asked_at"]),
                )
            )
        return sorted(out, key=lambda p: (p.at, p.session_id))
