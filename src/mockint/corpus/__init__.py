"""The question corpus: records (``schema``), how they are built from the source page and the
curation (``build``), imported from a user's file (``importing``), and their Markdown (``markdown``)."""

from mockint.corpus.schema import (
    TOPICS,
    TYPES,
    KeyPoint,
    Question,
    ReferenceAnswer,
    load_questions,
    write_jsonl,
)

__all__ = [
    "TOPICS",
    "TYPES",
    "KeyPoint",
    "Question",
    "ReferenceAnswer",
    "load_questions",
    "write_jsonl",
]
