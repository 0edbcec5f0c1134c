"""Build the corpus from the source page and the hand curation.

``parse_source`` splits the Q&A page into one entry per ``###`` heading (sections, slugs,
cleaned headings), ``load_curation`` reads ``corpus/curation/*.yaml`` and ``build_corpus`` joins
them into ``Question`` records (merging questions asked twice). ``mockint corpus build`` writes the
result; nothing here is needed at run time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from mockint.corpus.markdown import clean_markdown
from mockint.corpus.schema import SECTIONS, KeyPoint, Question, ReferenceAnswer, Weight
from mockint.errors import CorpusError


@dataclass(frozen=True)
class RawEntry:
    """One ``###`` heading of the page with its cleaned body."""

    id: str
    section: str
    heading: str
    markdown: str
    line: int


def slugify(text: str, max_len: int = 64) -> str:
    """A stable id from a heading.

    >>> slugify("What are L1 and L2 regularization? What are the differences?")
    'what-are-l1-and-l2-regularization-what-are-the-differences'
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for w in words:
        candidate = f"{slug}-{w}" if slug else w
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or "question"


def clean_heading(heading: str) -> str:
    """Undo the exporter's escapes in a heading.

    >>> clean_heading(r"X = \\[1,5\\] and value\\_count")
    'X = [1,5] and value_count'
    """
    return re.sub(r"\\([\[\]_*#])", r"\1", heading).strip()


def parse_markdown_sections(
    text: str, *, origin: str = "source", sections: tuple[str, ...] | None = None
) -> list[tuple[str, str, str, int]]:
    """(section, heading, raw body, line) for each ``###`` heading under a ``##`` section.

    With ``sections`` given, other ``##`` sections (References, Citation, …) are skipped;
    text before the first section (a table of contents) is always dropped.
    """
    out: list[tuple[str, str, str, int]] = []
    section: str | None = None
    heading: str | None = None
    start = 0
    body: list[str] = []

    def flush() -> None:
        if heading is not None and section is not None:
            out.append((section, heading, "\n".join(body), start))

    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            flush()
            heading, body = None, []
            name = line[3:].strip()
            section = name if sections is None or name in sections else None
            continue
        if line.startswith("### ") and section is not None:
            flush()
            heading, body, start = line[4:].strip(), [], lineno
            continue
        if heading is not None:
            body.append(line)
    flush()
    if not out:
        wanted = list(sections) if sections else "any"
        raise CorpusError(
            "no questions found",
            where=origin,
            fix=f"questions must be '### ' headings under '## ' sections ({wanted})",
        )
    return out


def parse_source(text: str, *, origin: str = "source") -> list[RawEntry]:
    """Split the page into one entry per ``###`` heading under a known ``##`` section.

    The table of contents (before the first section), References, Citation and the
    trailing JavaScript (after them) are dropped.
    """
    entries: list[RawEntry] = []
    seen: dict[str, int] = {}
    for section, heading, body, line in parse_markdown_sections(
        text, origin=origin, sections=SECTIONS
    ):
        markdown = clean_markdown(body)
        if not markdown.strip():
            raise CorpusError(
                f"heading {heading!r} has no answer text",
                where=f"{origin}:{line}",
                fix="add an answer under the heading or remove it",
            )
        title = clean_heading(heading)
        base = slugify(title)
        seen[base] = seen.get(base, 0) + 1
        qid = base if seen[base] == 1 else f"{base}-{seen[base]}"
        entries.append(RawEntry(qid, section, title, markdown, line))
    return entries


class CuratedKeyPoint(BaseModel):
    text: str = Field(min_length=3)
    weight: Weight = "essential"
    probe: str = Field(min_length=3)


class Curation(BaseModel):
    """What a human decided about one raw entry (see corpus/curation/*.yaml)."""

    id: str
    question: str | None = None
    topics: list[str] = []
    type: str | None = None
    difficulty: int | None = Field(default=None, ge=1, le=3)
    key_points: list[CuratedKeyPoint] = []
    red_flags: list[str] = []
    notes: str | None = None
    merge_into: str | None = None


def load_curation(folder: Path) -> dict[str, Curation]:
    out: dict[str, Curation] = {}
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise CorpusError("no curation files", where=str(folder), fix="add corpus/curation/*.yaml")
    for path in files:
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise CorpusError(
                f"invalid YAML: {exc}", where=str(path), fix="fix the YAML syntax"
            ) from exc
        if not isinstance(items, list):
            raise CorpusError(
                "expected a list of records",
                where=str(path),
                fix="start each record with '- id: …'",
            )
        for n, item in enumerate(items, start=1):
            try:
                cur = Curation.model_validate(item)
            except ValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                ident = item.get("id", "?") if isinstance(item, dict) else "?"
                raise CorpusError(
                    f"record {n} ({ident}) field {loc}: {first['msg']}",
                    where=str(path),
                    fix="see corpus/README.md for the curation format",
                ) from exc
            if cur.id in out:
                raise CorpusError(
                    f"id {cur.id!r} curated twice", where=str(path), fix="keep one record per id"
                )
            out[cur.id] = cur
    return out


def build_corpus(entries: list[RawEntry], curation: dict[str, Curation]) -> list[Question]:
    """Join raw entries with their curation; merge duplicates into their target."""
    _check_ids(entries, curation)
    questions = {
        e.id: _question(e, curation[e.id]) for e in entries if not curation[e.id].merge_into
    }
    for entry in entries:
        target = curation[entry.id].merge_into
        if not target:
            continue
        if target not in questions:
            raise CorpusError(
                f"{entry.id} merges into unknown or merged id {target!r}",
                where="corpus/curation",
                fix="merge into a question that is kept",
            )
        q = questions[target]
        q.references.append(ReferenceAnswer(heading=entry.heading, markdown=entry.markdown))
        q.merged_ids.append(entry.id)
    return list(questions.values())


def _check_ids(entries: list[RawEntry], curation: dict[str, Curation]) -> None:
    """Every heading has a curation record and every record a heading."""
    missing = [e.id for e in entries if e.id not in curation]
    if missing:
        raise CorpusError(
            f"{len(missing)} question(s) have no curation record: {', '.join(missing[:5])}",
            where="corpus/curation",
            fix="add a record with id, topics, type, difficulty and key_points for each",
        )
    stray = sorted(set(curation) - {e.id for e in entries})
    if stray:
        raise CorpusError(
            f"curation for unknown ids: {', '.join(stray[:5])}",
            where="corpus/curation",
            fix="the id must be the slug of a heading in the source page",
        )


def _question(entry: RawEntry, cur: Curation) -> Question:
    """One entry and its curation as a ``Question`` (a rubric has 3 to 8 key points)."""
    try:
        q = Question(
            id=entry.id,
            section=entry.section,
            heading=entry.heading,
            question=cur.question or entry.heading,
            topics=cur.topics,
            type=cur.type or "",
            difficulty=cur.difficulty or 0,
            references=[ReferenceAnswer(heading=entry.heading, markdown=entry.markdown)],
            key_points=[
                KeyPoint(id=f"kp{i}", text=k.text, weight=k.weight, probe=k.probe)
                for i, k in enumerate(cur.key_points, start=1)
            ],
            red_flags=cur.red_flags,
            notes=cur.notes,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CorpusError(
            f"{entry.id}: {'.'.join(map(str, first['loc']))}: {first['msg']}",
            where="corpus/curation",
            fix="complete the curation record",
        ) from exc
    if not 3 <= len(cur.key_points) <= 8:
        raise CorpusError(
            f"{entry.id}: {len(cur.key_points)} key points",
            where="corpus/curation",
            fix="a rubric has 3 to 8 key points",
        )
    return q
