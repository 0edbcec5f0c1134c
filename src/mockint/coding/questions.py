"""A coding problem as a corpus question: what the candidate reads (statement, signature,
examples as Markdown), the reference solution as the model answer, and a rubric of a key point per
kind of hidden test (judged by running the code) plus the problem's explanation points (judged by
the judgement model). ``build_all`` is what ``mockint corpus build`` runs for the coding track.
"""

from __future__ import annotations

from pathlib import Path

from mockint.coding.problems import (
    ESSENTIAL_KINDS,
    KIND_POINTS,
    Case,
    Problem,
    build,
    load_sources,
    tests_point_id,
)
from mockint.corpus.schema import KeyPoint, Question, ReferenceAnswer
from mockint.errors import CorpusError


def as_question(p: Problem, base: Question | None = None) -> Question:
    """The corpus question for a problem: the statement with its signature and examples, the
    reference solution as the model answer, a key point per kind of test (judged by running the
    code) and the rubric's explanation points (judged by the judgement model). ``base``: the
    corpus question the problem gives tests to (its id, section and red flags are kept)."""
    kinds = ["examples", *dict.fromkeys(c.kind for c in p.tests)]
    order = sorted(kinds, key=lambda k: k not in ESSENTIAL_KINDS)
    tests = [
        KeyPoint(
            id=tests_point_id(k),
            text=KIND_POINTS[k][0],
            weight="essential" if k in ESSENTIAL_KINDS else "supporting",
            probe=KIND_POINTS[k][1],
        )
        for k in order
    ]
    explain = [
        KeyPoint(id=f"explain-{i}", text=k.text, weight=k.weight, probe=k.probe)
        for i, k in enumerate(p.key_points, start=1)
    ]
    essential = [k for k in tests if k.weight == "essential"]
    lang = "sql" if p.track == "sql" else "python"
    model = f"```{lang}\n{p.reference.rstrip()}\n```\n\n{p.complexity}".strip()
    return Question(
        id=base.id if base else p.id,
        section=base.section if base else "Coding track",
        heading=base.heading if base else p.title,
        question=f"{base.question}\n\n{statement_md(p)}" if base else statement_md(p),
        topics=list(base.topics) if base else p.topics,
        type="sql" if p.track == "sql" else "coding",
        difficulty=p.difficulty,
        references=[
            ReferenceAnswer(heading="Reference solution", markdown=model),
            *(base.references if base else []),
        ],
        key_points=[*essential, *explain, *[k for k in tests if k not in essential]],
        red_flags=list(base.red_flags) if base else [],
        notes=base.notes if base else None,
        merged_ids=list(base.merged_ids) if base else [],
        problem=p.id,
    )


def statement_md(p: Problem) -> str:
    """What the candidate reads: the statement, the signature, the examples."""
    out = [p.statement.strip(), f"`{p.signature}`" if p.track != "sql" else p.signature]
    if p.track == "sql":
        cols = "; ".join(f"{t}({', '.join(spec['columns'])})" for t, spec in p.tables.items())
        out.append(f"Tables: {cols}")
    for c in p.examples:
        sep = "\n\n" if p.track == "sql" else " "
        out.append(f"**Example ({c.name}):**{sep}" + example_md(p, c))
    return "\n\n".join(out)


def example_md(p: Problem, c: Case) -> str:
    if p.track == "sql":
        tables = [
            f"`{t}`:\n\n{table_md(p.tables[t]['columns'], rows)}"
            for t, rows in (c.rows or {}).items()
        ]
        exp = c.expected or {"columns": [], "rows": []}
        return "\n\n".join([*tables, "Result:\n\n" + table_md(exp["columns"], exp["rows"])])
    args = ", ".join(repr(a) for a in (c.args or []))
    return f"`{p.entry}({args})` returns `{c.expected!r}`"


def table_md(columns: list[str], rows: list[list]) -> str:
    """A Markdown table (a column definition's name only: ``id INTEGER`` is shown as ``id``)."""
    names = [str(c).split()[0] for c in columns]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join("NULL" if v is None else str(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) if rows else "\n".join(lines) + "\n\n(no rows)"


def build_all(folder: Path, questions: list[Question]) -> tuple[list[Problem], list[Question]]:
    """The problems of ``folder`` built, and ``questions`` with each linked question replaced by
    its problem's version and every other problem added (section "Coding track")."""
    problems = [build(p) for p in load_sources(folder)]
    by_id = {q.id: q for q in questions}
    linked = {p.question_id: p for p in problems if p.question_id}
    unknown = sorted(set(linked) - set(by_id))
    if unknown:
        raise CorpusError(
            f"problems link questions that are not in the corpus: {unknown}",
            where=str(folder),
            fix="use an existing question id in question_id, or remove it",
        )
    out = [as_question(linked[q.id], q) if q.id in linked else q for q in questions]
    out += [as_question(p) for p in problems if not p.question_id]
    return problems, out
