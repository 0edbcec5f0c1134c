"""The ``Grade`` schema, the ``Grader`` protocol and how a question finds its references.

A grade is explained by per-key-point results with verbatim quotes from the answer and
the reference they rest on. The offline grader lives in ``offline.py``, the LLM judge in
``llm_grader.py``; both return this same schema. Nothing here embeds or calls a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, field_validator

from mockint.corpus.schema import Question
from mockint.grading.rubric import Status, Verdict
from mockint.llm.client import ChatModel

if TYPE_CHECKING:
    from mockint.grading.scoring import ScoreMap

Flag = Literal[
    "injection_suspected",
    "off_topic",
    "other_language",
    "too_short",
    "truncated",
    "reference_not_found",
    "llm_failed_fallback",
    "keyword_stuffing",
    "question_echo",
    "term_list",
    "hint_capped",
    "filler",
    "contradiction",
    "misconception",
]


class KeyPointResult(BaseModel):
    id: str
    text: str
    weight: str
    status: Status
    evidence: str = ""  # verbatim substring of the answer ("" when missing)
    reference: str = ""  # "<question id>#<chunk or key point id>"
    similarity: float | None = (
        None  # credit: p(entailed) + p(partly) / 2 (None when not judged by the model)
    )
    probs: list[float] | None = None  # p(entailed, partly, contradicted, not addressed)


class TestRow(BaseModel):
    """One test of a coding answer. Hidden tests show only their kind and whether they passed."""

    visible: bool
    kind: str
    passed: bool
    name: str = ""  # visible tests only
    call: str = ""  # visible: what was run, e.g. two_sum([3, 2, 4], 6)
    expected: str = ""  # visible only
    got: str = ""  # visible: the value or the error; hidden: the error's type only
    seconds: float | None = None
    reference_seconds: float | None = None


class CodeReport(BaseModel):
    """What running a coding answer's code gave (``coding.grade``)."""

    problem_id: str
    track: str
    status: str  # the sandbox's: ok | timeout | memory | output | crashed | no_result | refused
    message: str = ""  # a run that did not finish normally, or code that did not load
    isolation: str = ""
    rows: list[TestRow] = []

    def count(self, visible: bool) -> tuple[int, int]:
        rows = [r for r in self.rows if r.visible == visible]
        return sum(r.passed for r in rows), len(rows)

    def summary(self) -> str:
        """One sentence: how many tests pass (or why none ran)."""
        (vp, vt), (hp, ht) = self.count(True), self.count(False)
        if self.message and vp + hp == 0:
            return self.message
        hidden = f" and {hp}/{ht} hidden tests" if ht else ""
        return f"Your code passes {vp}/{vt} examples{hidden}."


class Grade(BaseModel):
    score: float = Field(ge=0, le=10)
    verdict: Verdict
    key_points: list[KeyPointResult] = []
    incorrect_claims: list[str] = []
    feedback_good: str = ""
    feedback_add: str = ""
    flags: list[Flag] = []
    question_id: str | None = None
    match_similarity: float | None = None
    grader: str
    model: str = ""
    prompt: str = ""
    prompt_hash: str = ""
    latency_ms: float = 0.0
    code: CodeReport | None = None  # coding questions: the tests the code was run on

    @field_validator("score")
    @classmethod
    def _one_decimal(cls, v: float) -> float:
        return round(float(v), 1)

    @property
    def feedback(self) -> str:
        return " ".join(x for x in (self.feedback_good, self.feedback_add) if x)


@dataclass
class GradingTask:
    """What to grade: the question (corpus record or free text) and the answer."""

    question_text: str
    answer: str
    question: Question | None = None  # None: no reference found
    match_similarity: float | None = None
    hints_used: int = 0
    only_key_points: tuple[str, ...] = ()  # follow-up: grade against these points only

    @property
    def judged_question(self) -> str:
        """The question the judgement model reads with the key points: a corpus question matched
        from free text (a batch row's own wording, ``match_similarity`` set) in the corpus wording
        its key points were written for and the model was trained on; otherwise the text as given
        (the interview and the evaluation already give the corpus wording; a row's own reference
        is its own question). The guards and the output keep the text as asked."""
        if self.question is not None and self.match_similarity is not None:
            return self.question.question
        return self.question_text


class Grader:
    """What every grader is (offline, LLM, hybrid): tasks in, ``Grade`` out, with what the grade
    depends on (``version``) and the mapping it scores with. Capabilities are declared here, with
    harmless defaults, so callers never probe with ``hasattr``."""

    name: str = ""
    model: ChatModel | None = None  # the LLM behind the grade; None when grading offline

    def grade(self, task: GradingTask) -> Grade:
        return self.grade_many([task])[0]

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        raise NotImplementedError

    @property
    def version(self) -> str:
        """Changes whenever the same answer could get another grade (a re-run re-grades it)."""
        raise NotImplementedError

    @property
    def score_map(self) -> ScoreMap:
        raise NotImplementedError

    def prepare(self, task: GradingTask) -> None:
        """Called when a question is asked, before the answer exists (a local LLM reads ahead)."""

    def quick(self) -> Grader:
        """The grader that answers in well under a second: this one, or for an LLM grader the
        offline grader it builds on (a live interview shows that grade first)."""
        return self

    def without_cache(self) -> Grader:
        """The same grader, asking its model every time (for re-grade stability)."""
        return self

    def merged_score(self, question: Question | None, key_points: list) -> float:
        """The score of key-point results merged over a question's answers (a follow-up)."""
        from mockint.grading.scoring import rescore

        return rescore(self.score_map, key_points)
