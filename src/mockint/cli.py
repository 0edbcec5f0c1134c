"""The ``mockint`` command: a thin Typer adapter over the library.

Each command resolves a ``Config`` (flags > environment > config file > defaults), builds
a ``Runtime`` and calls one library function. A ``MockintError`` becomes one line on
stderr and exit code 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import config as cfg
from .errors import MockintError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Mock interviews for ML / data-science roles, graded against curated reference answers.")
corpus_app = typer.Typer(no_args_is_help=True, help="Build the corpus from the source page, or import your own questions.")
app.add_typer(corpus_app, name="corpus")
out = Console()
err = Console(stderr=True)

HomeOpt = typer.Option(None, "--home", help="Data dir (default $MOCKINT_HOME or ~/.local/share/mockint).")
CorpusOpt = typer.Option(None, "--corpus", help="Questions JSONL (default: the repo's corpus/questions.jsonl).")
ChromaOpt = typer.Option(None, "--chroma-url", help="Use a Chroma server (http://HOST:PORT) instead of the local store.")


def _runtime(home: Optional[Path] = None, corpus: Optional[Path] = None, chroma_url: Optional[str] = None, **kw):
    from .runtime import Runtime

    return Runtime(cfg.Config.load(home=home, corpus=corpus, chroma_url=chroma_url, **kw))


def progress_bar(label: str):
    """A rich progress bar on stderr; returns (context manager, callback(done, total))."""
    bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


@corpus_app.command("build")
def corpus_build(
    source: Path = typer.Option(None, help="Source page (default corpus/source/interview-questions.md)."),
    curation: Path = typer.Option(None, help="Folder of curation YAML files (default corpus/curation)."),
    output: Path = typer.Option(None, "-o", "--output", help="Where to write (default corpus/questions.jsonl)."),
) -> None:
    """Parse the source page + curation into corpus/questions.jsonl (byte-identical on rebuild)."""
    from .corpus import build_corpus, load_curation, parse_source, write_jsonl

    root = cfg.packaged_path("corpus")
    source = source or root / "source" / "interview-questions.md"
    curation = curation or root / "curation"
    output = output or root / "questions.jsonl"
    if not source.exists():
        raise MockintError("source page not found", where=str(source), fix="pass --source PATH")
    entries = parse_source(source.read_text(encoding="utf-8"), origin=str(source))
    questions = build_corpus(entries, load_curation(curation))
    write_jsonl(questions, output)
    merged = sum(len(q.merged_ids) for q in questions)
    out.print(f"{len(entries)} headings -> {len(questions)} questions ({merged} duplicates merged) -> {output}")


@corpus_app.command("import")
def corpus_import(
    file: Path = typer.Argument(..., help="Markdown (## Section / ### Question), CSV or JSONL with question, answer."),
    output: Path = typer.Option(None, "-o", "--output", help="Questions JSONL to write (default <home>/corpus/<name>.jsonl)."),
    section: str = typer.Option("Imported", help="Section name for CSV/JSONL records."),
    home: Optional[Path] = HomeOpt,
) -> None:
    """Import your own question set; records without key points get them extracted (rubric: auto)."""
    from .corpus import write_jsonl
    from .corpus_import import import_file

    conf = cfg.Config.load(home=home)
    questions, warnings = import_file(file, section=section)
    output = output or conf.home / "corpus" / f"{file.stem}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(questions, output)
    for w in warnings:
        err.print(f"[yellow]warning[/]: {w}")
    auto = sum(q.rubric == "auto" for q in questions)
    out.print(f"imported {len(questions)} questions ({auto} with auto-extracted rubrics) -> {output}")
    out.print(f"use it with: mockint --corpus {output} … or MOCKINT_CORPUS={output}")


@app.command("index")
def index_cmd(home: Optional[Path] = HomeOpt, corpus: Optional[Path] = CorpusOpt,
              chroma_url: Optional[str] = ChromaOpt) -> None:
    """Embed the corpus into Chroma; unchanged documents are not re-embedded."""
    rt = _runtime(home, corpus, chroma_url)
    bar, update = progress_bar("embedding")
    with bar:
        report = rt.ensure_index(progress=update)
    out.print(report.summary())


@app.command("search")
def search_cmd(
    text: str = typer.Argument(..., help="What to look for, in your own words."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="How many questions."),
    topic: list[str] = typer.Option([], "--topic", help="Only these topics (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    home: Optional[Path] = HomeOpt, corpus: Optional[Path] = CorpusOpt, chroma_url: Optional[str] = ChromaOpt,
) -> None:
    """Print the corpus questions closest to TEXT, with ids and similarity."""
    if not text.strip():
        raise MockintError("empty search text", fix="pass some words to look for")
    rt = _runtime(home, corpus, chroma_url)
    if rt.index.count() == 0:
        rt.ensure_index()
    hits = rt.index.search(text, k=k, topics=topic)
    rows = [{"id": h.qid, "similarity": h.similarity, "matched": h.matched,
             "question": rt.by_id[h.qid].question if h.qid in rt.by_id else ""} for h in hits]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("similarity", "id", "question")
    for r in rows:
        table.add_row(f"{r['similarity']:.3f}", r["id"], r["question"])
    out.print(table)


@app.command("config")
def config_cmd(markdown: bool = typer.Option(False, "--markdown", help="Print the settings table as Markdown."),
               home: Optional[Path] = HomeOpt) -> None:
    """Show the resolved settings (the API key is masked)."""
    if markdown:
        out.print(cfg.settings_table(), markup=False)
        return
    conf = cfg.Config.load(home=home)
    table = Table("setting", "value")
    for s in cfg.SETTINGS:
        value = getattr(conf, s.name)
        if s.name == "api_key":
            value = "(set)" if value else "(not set)"
        table.add_row(s.name, str(value))
    out.print(table)


def main() -> None:
    try:
        app()
    except MockintError as exc:
        err.print(f"[red]error[/]: {exc.render()}", markup=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
