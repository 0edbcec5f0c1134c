"""What the candidate can do and what the session is made of: the move classifier (``classify``:
hint, skip, "I don't know", repeat, clarify, end, or an answer), the leak test for follow-up
phrasings (``leaks``), the session's settings (``Setup``), what the candidate is asked now
(``Prompt``) and what a move returns (``Reply``). Pure data and functions; no store, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mockint.corpus.schema import TOPICS, TYPES
from mockint.errors import SessionError
from mockint.grading.detectors import content_words
from mockint.interview.report import (
    QuestionSummary,
)

MODES = ("practice", "exam")


# ------------------------------------------------------------------ intents
_POLITE = r"^\s*(?:ok(?:ay)?[,.]?\s+|please[,]?\s+)?(?:{})(?:[\s,]*please)?[\s.!?]*$"


_INTENTS = [
    (
        "end",
        r"end|quit|exit|stop|bye|goodbye|end (?:the |this )?(?:interview|session)|i'?m done|that'?s all",
    ),
    (
        "skip",
        (
            r"skip|pass|next|next question|(?:let'?s |can we |i'?d like to )?(?:skip|move on)(?: (?:this|it|"
            r"this one|this question|the question|to the next(?: question)?))?"
        ),
    ),
    (
        "hint",
        r"(?:can|could|may) i (?:get|have) a hint|(?:a |another )?hint|give me a hint|i need a hint|any hints?",
    ),
    (
        "idk",
        (
            r"i (?:really )?(?:don'?t|do not|dont) know(?: the answer)?|(?:i have )?no idea|idk|(?:i'?m )?not sure|"
            r"no clue|i can'?t remember"
        ),
    ),
    (
        "repeat",
        (
            r"repeat|repeat (?:the|that) question|(?:can|could) you repeat(?: the question| that)?|"
            r"say (?:that|it) again|what was the question|again"
        ),
    ),
]


_COMPILED = [(name, re.compile(_POLITE.format(rx), re.I)) for name, rx in _INTENTS]


_CLARIFY = re.compile(
    r"^\s*(?:(?:can|could) you (?:please )?(?:clarify|explain what you mean|be more specific)|"
    r"what do you mean|clarify|clarification|do you mean|what does .{1,80}? mean\b|"
    r"by .{1,60}? do you mean)",
    re.I,
)


def classify(text: str) -> str:
    """The candidate's move: answer | hint | skip | idk | repeat | clarify | end.

    Only a short message that is nothing but the move counts; a long answer that happens
    to contain "skip" or "next" is an answer.

    >>> [classify(t) for t in ("Can I get a hint?", "skip", "I don't know", "what do you mean by bias?",
    ...                         "We skip layers with residual connections.")]
    ['hint', 'skip', 'idk', 'clarify', 'answer']
    """
    stripped = text.strip()
    if not stripped or "\n" in stripped:
        return "answer"
    for name, rx in _COMPILED:
        if rx.match(stripped):
            return name
    if len(stripped) <= 200 and _CLARIFY.match(stripped):
        return "clarify"
    return "answer"


def leaks(text: str, key_point: str, question: str, *, share: float = 0.5) -> bool:
    """True when ``text`` shares more than ``share`` of the key point's content words not in the
    question (a phrasing being streamed is held to a third, so little of a leak is ever shown).

    >>> q = "How does k-means work?"
    >>> leaks("It minimizes the within-cluster sum of squares.", "Minimizes within-cluster sum of squares", q)
    True
    >>> leaks("What objective does the algorithm optimise?", "Minimizes within-cluster sum of squares", q)
    False
    """
    secret = set(content_words(key_point)) - set(content_words(question))
    if not secret:
        return False
    return len(secret & set(content_words(text))) / len(secret) > share


@dataclass
class Setup:
    topics: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    difficulty: int | None = None  # starting level; a filter too when strict_difficulty
    strict_difficulty: bool = False
    questions: int = 3
    focus: str = ""
    mode: str = "practice"
    seconds_per_answer: int | None = None
    max_followups: int = 1
    review: bool = False
    track: str = "concepts"  # concepts | coding | all (interview.choice.TRACKS)

    def validate(self) -> Setup:
        if bad := [t for t in self.topics if t not in TOPICS] + [
            t for t in self.types if t not in TYPES
        ]:
            raise SessionError(
                f"unknown topic or type {bad}",
                fix=f"topics: {', '.join(TOPICS)}; types: {', '.join(TYPES)}",
            )
        if (
            self.mode not in MODES
            or self.track not in ("concepts", "coding", "all")
            or self.difficulty not in (None, 1, 2, 3)
            or not 1 <= self.questions <= 100
            or not 0 <= self.max_followups <= 5
            or (self.seconds_per_answer or 1) <= 0
        ):
            raise SessionError(
                "invalid interview setup",
                where=str(self),
                fix="mode practice|exam, track concepts|coding|all, difficulty 1-3, questions 1-100, "
                "follow-ups 0-5, seconds > 0",
            )
        return self


@dataclass
class Prompt:  # what the candidate is asked now
    turn_id: int
    kind: str  # question | followup
    position: int
    total: int
    text: str
    question_id: str
    topics: list[str]
    seconds_limit: int | None


@dataclass
class Reply:
    intent: str
    messages: list[str] = field(default_factory=list)
    feedback: list[QuestionSummary] = field(
        default_factory=list
    )  # practice mode: finished questions
    prompt: Prompt | None = None
    finished: bool = False
