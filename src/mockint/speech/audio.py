"""Answers given out loud: the recording kept with its turn in the data dir
(``audio/<session>/turn-<id>.<ext>``, so a session can be replayed) and a ``voice`` action on the
turn with the transcript as heard and the delivery numbers. The answer itself is whatever the
candidate submits (the transcript, corrected or not) and is graded like typed text."""

from __future__ import annotations

import shutil
from pathlib import Path

from mockint.errors import SessionError
from mockint.speech.delivery import advice, measure
from mockint.speech.transcribe import Transcript

FOLDER = "audio"


def keep(home: Path, session_id: str, turn_id: int, src: Path) -> str:
    """Copy ``src`` next to the session's other recordings; the path relative to ``home``."""
    rel = Path(FOLDER) / session_id / f"turn-{turn_id}{src.suffix.lower() or '.wav'}"
    (home / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, home / rel)
    return str(rel)


def voice_action(rel: str, t: Transcript) -> dict:
    d = measure(t).as_dict()
    return {
        "action": "voice",
        "file": rel,
        "transcript": t.text,
        "delivery": d,
        "advice": advice(d),
        "notes": t.notes,
        "audio_s": round(t.audio_s, 1),
    }


def pending_voice(interview, src: Path, t: Transcript) -> dict:
    """What to keep with the turn now waiting for an answer once it is sent: the recording's path
    and what was heard (the UI holds it in the page's state between transcribing and Submit)."""
    interview._reload()
    turn = interview._pending()
    if turn is None:
        raise SessionError("no question is waiting for an answer", fix="start an interview")
    return {"turn": turn.id, "src": str(src), **voice_action("", t)}


def attach(interview, pending: dict) -> dict | None:
    """Keep a ``pending_voice`` with its turn (call it just before the answer is sent); nothing
    when the session moved on to another turn meanwhile or the recording is gone."""
    interview._reload()
    turn = interview._pending()
    src = Path(pending.get("src", ""))
    if turn is None or turn.id != pending.get("turn") or not src.is_file():
        return None
    action = {k: v for k, v in pending.items() if k not in ("turn", "src")}
    action["file"] = keep(interview.runtime.config.home, interview.session_id, turn.id, src)
    interview.store.add_action(turn.id, action)
    return action


def delivery_of(turn) -> dict | None:
    """The delivery numbers of the last recording kept with ``turn`` (None: typed)."""
    voices = [a for a in turn.actions if a.get("action") == "voice"]
    return {**voices[-1]["delivery"], "advice": voices[-1].get("advice", [])} if voices else None
