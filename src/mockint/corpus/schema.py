"""The question corpus: parse the source page, apply the hand curation, load the result.

``parse_source`` splits the page into raw entries (one per ``###`` heading under the
four sections), ``build_corpus`` joins them with the curation files in
``corpus/curation/*.yaml`` (rewritten questions, taxonomy, rubrics, notes, merges of
questions the page asks twice) and ``write_jsonl`` writes ``corpus/questions.jsonl``
byte-identically for the same inputs. Importing a user's own file lives in
``corpus_import.py``; this module does not embed anything (see ``index.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from mockint.errors import CorpusError

SECTIONS = ("Deep Learning", "NLP", "Machine Learning", "Misc")
TOPICS = (
    "ml-fundamentals",
    "deep-learning",
    "nlp-llm",
    "generative-models",
    "statistics-probability",
    "sql",
    "coding",
    "data-engineering",
)
TYPES = ("concept", "comparison", "coding", "probability-math", "sql", "open-ended")

Weight = Literal["essential", "supporting"]


class KeyPoint(BaseModel):
    id: str
    text: str = Field(min_length=3)
    weight: Weight = "essential"
    probe: str = ""


class ReferenceAnswer(BaseModel):
    heading: str
    markdown: str


class Question(BaseModel):
    id: str
    section: str
    heading: str
    question: str
    topics: list[str]
    type: str
    difficulty: int = Field(ge=1, le=3)
    references: list[ReferenceAnswer]
    key_points: list[KeyPoint]
    red_flags: list[str] = []
    rubric: Literal["curated", "auto"] = "curated"
    notes: str | None = None
    merged_ids: list[str] = []
    problem: str | None = None  # the coding problem whose tests grade the code (coding track)

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TOPICS]
        if unknown or not value:
            raise ValueError(f"topics {unknown or value} not in the taxonomy {list(TOPICS)}")
        return value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in TYPES:
            raise ValueError(f"type {value!r} not one of {list(TYPES)}")
        return value

    @property
    def reference_text(self) -> str:
        return "\n\n".join(r.markdown for r in self.references)

    def essential_points(self) -> list[KeyPoint]:
        return [k for k in self.key_points if k.weight == "essential"]


# ------------------------------------------------------------------------- curation


def write_jsonl(questions: Iterable[Question], path: Path) -> None:
    lines = [json.dumps(q.model_dump(mode="json"), ensure_ascii=False) for q in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_questions(path: Path) -> list[Question]:
    if not path.exists():
        raise CorpusError(
            "corpus file not found", where=str(path), fix="run 'mockint corpus build'"
        )
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Question.model_validate_json(line))
        except ValidationError as exc:
            raise CorpusError(
                f"line {n} is not a valid question record: {exc.errors()[0]['msg']}",
                where=str(path),
                fix="rebuild it with 'mockint corpus build'",
            ) from exc
    return out
