"""Import a user's own question set (Markdown, CSV or JSONL) as ``Question`` records.

Markdown uses the source page's structure (``## Section`` then ``### Question`` with the
answer below). CSV/JSONL rows carry ``question`` and ``answer`` and optionally
``key_points`` (list, or ``;``-separated), ``topic``, ``type``, ``difficulty``.
Records without key points get them extracted from the answer (``rubric: auto``):
the first sentence of each bullet or paragraph, longest first, up to six.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mockint.corpus.build import clean_heading, slugify
from mockint.corpus.markdown import clean_markdown, plain_text
from mockint.corpus.schema import TOPICS, TYPES, KeyPoint, Question, ReferenceAnswer
from mockint.errors import CorpusError
from mockint.textio import RowError, file_format, iter_records, read_text

GENERIC_PROBES = (
    "Can you go one level deeper into how it works?",
    "What else would matter here in practice?",
    "Which trade-offs or limitations come to mind?",
    "Can you give a concrete example?",
    "How would you explain the core idea to a colleague?",
    "Is there anything you would add about when to use it?",
)


def _sentences(markdown: str) -> list[str]:
    units = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+\.)\s)", markdown):
        text = plain_text(block)
        if not text:
            continue
        first = re.split(r"(?<=[.!?])\s+", text)[0].strip()
        if 20 <= len(first) <= 300:
            units.append(first)
    return list(dict.fromkeys(units))


def auto_key_points(answer: str, limit: int = 6) -> list[KeyPoint]:
    """Key points extracted from an answer (no LLM): see the module docstring.

    >>> [k.text for k in auto_key_points("- Bagging trains models on bootstrap samples.\\n- It lowers variance a lot.")]
    ['Bagging trains models on bootstrap samples.', 'It lowers variance a lot.']
    """
    units = _sentences(answer)
    if len(units) < 3:  # a short answer: fall back to its individual sentences
        units = list(
            dict.fromkeys(
                s.strip()
                for s in re.split(r"(?<=[.!?])\s+", plain_text(answer))
                if len(s.strip()) >= 12
            )
        )
    if not units:  # a one-phrase reference: it is its own key point
        units = [plain_text(answer)] if len(plain_text(answer)) >= 3 else []
    picked = sorted(units, key=len, reverse=True)[:limit]
    ordered = [u for u in units if u in picked]
    return [
        KeyPoint(
            id=f"kp{i}",
            text=t,
            weight="essential" if i <= 2 else "supporting",
            probe=GENERIC_PROBES[(i - 1) % len(GENERIC_PROBES)],
        )
        for i, t in enumerate(ordered, start=1)
    ]


def _key_points(value, answer: str) -> tuple[list[KeyPoint], str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(";") if v.strip()]
    if value:
        kps = [
            KeyPoint(
                id=f"kp{i}",
                text=str(v),
                weight="essential",
                probe=GENERIC_PROBES[(i - 1) % len(GENERIC_PROBES)],
            )
            for i, v in enumerate(value, start=1)
        ]
        return kps, "curated"
    return auto_key_points(answer), "auto"


def make_question(
    question: str,
    answer: str,
    *,
    section: str,
    qid: str | None = None,
    topic: str = "",
    qtype: str = "",
    difficulty=None,
    key_points=None,
    where: str = "",
) -> Question:
    topics = [t.strip() for t in re.split(r"[;,|]", topic or "") if t.strip()] or [
        "ml-fundamentals"
    ]
    bad = [t for t in topics if t not in TOPICS]
    if bad:
        raise CorpusError(
            f"unknown topic(s) {bad}", where=where, fix=f"use one of {', '.join(TOPICS)}"
        )
    qtype = (qtype or "concept").strip()
    if qtype not in TYPES:
        raise CorpusError(
            f"unknown type {qtype!r}", where=where, fix=f"use one of {', '.join(TYPES)}"
        )
    try:
        level = int(difficulty) if str(difficulty or "").strip() else 2
    except ValueError:
        raise CorpusError(
            f"difficulty {difficulty!r} is not 1, 2 or 3", where=where, fix="use 1, 2 or 3"
        ) from None
    if level not in (1, 2, 3):
        raise CorpusError(f"difficulty {level} is not 1, 2 or 3", where=where, fix="use 1, 2 or 3")
    markdown = clean_markdown(answer) if answer.strip() else ""
    if not markdown.strip():
        raise CorpusError(
            "the answer is empty", where=where, fix="give each question a reference answer"
        )
    kps, rubric = _key_points(key_points, markdown)
    if len(kps) < 1:
        raise CorpusError(
            "no key points could be extracted from the answer",
            where=where,
            fix="write a longer answer or give key_points explicitly",
        )
    return Question(
        id=qid or slugify(question),
        section=section,
        heading=question,
        question=question,
        topics=topics,
        type=qtype,
        difficulty=level,
        references=[ReferenceAnswer(heading=question, markdown=markdown)],
        key_points=kps,
        rubric=rubric,
    )


def import_file(path: Path, *, section: str = "Imported") -> tuple[list[Question], list[str]]:
    """Parse one file into questions; returns (questions, warnings). Errors name the line."""
    fmt = file_format(path)
    warnings: list[str] = []
    questions: list[Question] = []
    if fmt == "markdown":
        from mockint.corpus.build import parse_markdown_sections

        for qsection, heading, body, line in parse_markdown_sections(
            read_text(path), origin=str(path)
        ):
            questions.append(
                make_question(
                    clean_heading(heading), body, section=qsection, where=f"{path}:{line}"
                )
            )
    else:
        for n, rec in iter_records(path, ("question", "answer")):
            if isinstance(rec, RowError):
                raise CorpusError(rec.reason, where=f"{path}:{n}", fix="fix or remove that line")
            kp = rec.get("key_points")
            if isinstance(kp, str) and kp.strip().startswith("["):
                try:
                    kp = json.loads(kp)
                except json.JSONDecodeError:
                    pass
            questions.append(
                make_question(
                    str(rec["question"]).strip(),
                    str(rec.get("answer", "")),
                    section=str(rec.get("section") or section),
                    qid=rec.get("id") or None,
                    topic=str(rec.get("topic") or rec.get("topics") or ""),
                    qtype=str(rec.get("type") or ""),
                    difficulty=rec.get("difficulty"),
                    key_points=kp,
                    where=f"{path}:{n}",
                )
            )
    seen: dict[str, int] = {}
    for q in questions:
        seen[q.id] = seen.get(q.id, 0) + 1
        if seen[q.id] > 1:
            warnings.append(f"duplicate id {q.id!r}; renamed to {q.id}-{seen[q.id]}")
            q.id = f"{q.id}-{seen[q.id]}"
    if not questions:
        raise CorpusError(
            "no questions found", where=str(path), fix="see README 'Import your own questions'"
        )
    return questions, warnings
