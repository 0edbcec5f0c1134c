"""``mockint corpus build|import``, ``mockint index`` and ``mockint search``: the corpus and its index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from mockint import config as cfg
from mockint.cli.options import (
    ChromaOpt,
    CorpusOpt,
    HomeOpt,
    err,
    out,
    progress_bar,
)
from mockint.cli.options import load_runtime as _runtime
from mockint.errors import MockintError


def corpus_build(
    source: Path = typer.Option(
        None, help="Source page (default corpus/source/interview-questions.md)."
    ),
    curation: Path = typer.Option(
        None, help="Folder of curation YAML files (default corpus/curation)."
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Where to write (default corpus/questions.jsonl)."
    ),
    coding: Path = typer.Option(
        None, help="Folder of coding-track problem YAML files (default corpus/coding)."
    ),
) -> None:
    """Parse the source page + curation, and the coding problems, into corpus/questions.jsonl and
    corpus/coding/problems.jsonl (byte-identical on rebuild)."""
    from mockint.coding.problems import write_built
    from mockint.coding.questions import build_all
    from mockint.corpus.build import build_corpus, load_curation, parse_source
    from mockint.corpus.schema import write_jsonl

    root = cfg.packaged_path("corpus")
    source = source or root / "source" / "interview-questions.md"
    curation = curation or root / "curation"
    coding = coding or root / "coding"
    output = output or root / "questions.jsonl"
    if not source.exists():
        raise MockintError("source page not found", where=str(source), fix="pass --source PATH")
    entries = parse_source(source.read_text(encoding="utf-8"), origin=str(source))
    questions = build_corpus(entries, load_curation(curation))
    problems, questions = build_all(coding, questions)
    write_jsonl(questions, output)
    write_built(problems, output.parent / "coding" / "problems.jsonl")
    merged = sum(len(q.merged_ids) for q in questions)
    out.print(
        f"{len(entries)} headings -> {len(questions)} questions ({merged} duplicates merged, "
        f"{len(problems)} coding problems) -> {output}"
    )


def corpus_import(
    file: Path = typer.Argument(
        ..., help="Markdown (## Section / ### Question), CSV or JSONL with question, answer."
    ),
    output: Path = typer.Option(
        None,
        "-o",
        "--output",
        help="Questions JSONL to write (default <home>/corpus/<name>.jsonl).",
    ),
    section: str = typer.Option("Imported", help="Section name for CSV/JSONL records."),
    home: Path | None = HomeOpt,
) -> None:
    """Import your own question set; records without key points get them extracted (rubric: auto)."""
    from mockint.corpus.importing import import_file
    from mockint.corpus.schema import write_jsonl

    conf = cfg.Config.load(home=home)
    questions, warnings = import_file(file, section=section)
    output = output or conf.home / "corpus" / f"{file.stem}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(questions, output)
    for w in warnings:
        err.print(f"[yellow]warning[/]: {w}")
    auto = sum(q.rubric == "auto" for q in questions)
    out.print(
        f"imported {len(questions)} questions ({auto} with auto-extracted rubrics) -> {output}"
    )
    out.print(f"use it with: mockint --corpus {output} … or MOCKINT_CORPUS={output}")


def index_cmd(
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
    chroma_url: str | None = ChromaOpt,
) -> None:
    """Embed the corpus into Chroma; unchanged documents are not re-embedded."""
    rt = _runtime(home, corpus, chroma_url)
    bar, update = progress_bar("embedding")
    with bar:
        report = rt.ensure_index(progress=update)
    out.print(report.summary())


def search_cmd(
    text: str = typer.Argument(
        "", help="What to look for, in your own words (omit to type queries one per line)."
    ),
    k: int = typer.Option(5, "--k", min=1, max=50, help="How many questions."),
    topic: list[str] = typer.Option([], "--topic", help="Only these topics (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
    chroma_url: str | None = ChromaOpt,
) -> None:
    """Print the corpus questions closest to TEXT, with ids and similarity."""
    rt = _runtime(home, corpus, chroma_url)
    rt.ready_index()
    if not text.strip():
        err.print("Type what you want to practise (empty line or Ctrl-D to quit).")
        for line in sys.stdin:
            if not line.strip():
                break
            _print_hits(rt, line.strip(), k, topic, as_json)
        return
    _print_hits(rt, text, k, topic, as_json)


def _print_hits(rt, text: str, k: int, topic: list[str], as_json: bool) -> None:
    hits = rt.index.search(text, k=k, topics=topic)
    rows = [
        {
            "id": h.qid,
            "similarity": h.similarity,
            "matched": h.matched,
            "question": rt.by_id[h.qid].question if h.qid in rt.by_id else "",
        }
        for h in hits
    ]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("similarity", "id", "question")
    for r in rows:
        table.add_row(f"{r['similarity']:.3f}", r["id"], r["question"])
    out.print(table)


def register(app: typer.Typer) -> typer.Typer:
    """Add these commands to ``app`` (a second call does nothing)."""
    if "corpus" not in {g.name for g in app.registered_groups}:
        corpus_app = typer.Typer(
            no_args_is_help=True,
            help="Build the corpus from the source page, or import your own questions.",
        )
        corpus_app.command("build")(corpus_build)
        corpus_app.command("import")(corpus_import)
        app.add_typer(corpus_app, name="corpus")
    have = {c.name for c in app.registered_commands}
    if "index" not in have:
        app.command("index")(index_cmd)
    if "search" not in have:
        app.command("search")(search_cmd)
    return app
