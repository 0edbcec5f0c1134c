"""Delivery feedback from a transcript's word timestamps: speaking rate, filler words, long
pauses and length. Content grading never sees these numbers (the transcript is graded like typed
text); they are shown beside the grade, per answer and per session.

>>> from mockint.speech.transcribe import Transcript, Word
>>> ws = [Word(w, i * 0.4, i * 0.4 + 0.3, 0.9) for i, w in enumerate("um so L1 is sparse".split())]
>>> ws.append(Word("basically,", 6.0, 6.4, 0.9))
>>> d = measure(Transcript("um so L1 is sparse basically,", ws, 7.0, 7.0))
>>> d.words, d.fillers, d.long_pauses
(6, {'um': 1, 'basically': 1}, [4.1])
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from mockint.speech.transcribe import Transcript

FILLERS = ("um", "uh", "er", "erm", "ah", "hmm", "like", "you know", "basically", "i mean")
LONG_PAUSE_S = 2.5  # silence between two words longer than this is a long pause
PACE = (110, 170)  # words per minute that listeners follow easily (interview speech)
_CLEAN = re.compile(r"[^\w' ]+")


@dataclass
class Delivery:
    seconds: float  # the answer's length: first word to last word
    words: int
    wpm: float
    fillers: dict[str, int] = field(default_factory=dict)
    long_pauses: list[float] = field(default_factory=list)  # each one's length in seconds

    @property
    def filler_count(self) -> int:
        return sum(self.fillers.values())

    def as_dict(self) -> dict:
        return {**asdict(self), "filler_count": self.filler_count}


_STRETCHED = {
    "umm": "um",
    "ummm": "um",
    "uhh": "uh",
    "uhhh": "uh",
    "hm": "hmm",
    "hmmm": "hmm",
    "erm": "erm",
}


def _norm(word: str) -> str:
    """Lower case, punctuation off, a stretched filler ("Umm", "uhhh") as its short form."""
    w = _CLEAN.sub("", word.lower()).strip()
    return _STRETCHED.get(w, w)


def _count_fillers(words: list) -> dict[str, int]:
    """Filler words and phrases. "like" counts only where it stands apart (a comma after it, or a
    pause of 0.3 s around it), so "models like BERT" is not a filler."""
    toks = [_norm(w.text) for w in words]
    out: dict[str, int] = {}
    i = 0
    while i < len(toks):
        two = " ".join(toks[i : i + 2])
        if two in FILLERS:
            out[two] = out.get(two, 0) + 1
            i += 2
            continue
        tok = toks[i]
        if tok in FILLERS and (tok != "like" or _apart(words, i)):
            out[tok] = out.get(tok, 0) + 1
        i += 1
    return out


def _apart(words: list, i: int) -> bool:
    w = words[i]
    before = w.start - words[i - 1].end if i > 0 else 1.0
    after = words[i + 1].start - w.end if i + 1 < len(words) else 1.0
    return w.text.rstrip().endswith(",") or before >= 0.3 or after >= 0.3


def measure(t: Transcript) -> Delivery:
    ws = t.words
    if not ws:
        return Delivery(0.0, 0, 0.0)
    seconds = max(0.0, ws[-1].end - ws[0].start)
    gaps = [round(b.start - a.end, 1) for a, b in zip(ws, ws[1:]) if b.start - a.end > LONG_PAUSE_S]
    wpm = len(ws) / seconds * 60 if seconds > 0 else 0.0
    return Delivery(round(seconds, 1), len(ws), round(wpm), _count_fillers(ws), gaps)


def advice(d: Delivery | dict) -> list[str]:
    """Short notes on delivery, for the feedback panel and the report."""
    d = d if isinstance(d, dict) else d.as_dict()
    if not d["words"]:
        return []
    notes = []
    lo, hi = PACE
    if d["wpm"] > hi:
        notes.append(f"fast ({d['wpm']:.0f} words/min; {lo}–{hi} is easy to follow)")
    elif d["wpm"] < lo:
        notes.append(f"slow ({d['wpm']:.0f} words/min; {lo}–{hi} is easy to follow)")
    per100 = 100 * d["filler_count"] / d["words"]
    if d["filler_count"] >= 2 and per100 >= 3:
        top = ", ".join(f"{w} ×{n}" for w, n in sorted(d["fillers"].items(), key=lambda x: -x[1]))
        notes.append(f"{d['filler_count']} filler words ({top}): pause silently instead")
    if d["long_pauses"]:
        notes.append(
            f"{len(d['long_pauses'])} pause(s) over {LONG_PAUSE_S:g} s (longest "
            f"{max(d['long_pauses']):.1f} s): say what you are thinking about"
        )
    return notes


def summary_line(d: dict) -> str:
    """One line: length, pace, fillers, pauses."""
    return (
        f"{d['seconds']:.0f} s · {d['words']} words · {d['wpm']:.0f} words/min · "
        f"{d['filler_count']} filler(s) · {len(d['long_pauses'])} long pause(s)"
    )
