"""What the ``mockint`` commands share: options (one definition, one help text), the consoles, a
progress bar, and building a ``Runtime`` from the options."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from mockint.config import Config

HomeOpt = typer.Option(
    None, "--home", help="Data dir (default $MOCKINT_HOME or ~/.local/share/mockint)."
)
CorpusOpt = typer.Option(
    None, "--corpus", help="Questions JSONL (default: the repo's corpus/questions.jsonl)."
)
ChromaOpt = typer.Option(
    None, "--chroma-url", help="Use a Chroma server (http://HOST:PORT) instead of the local store."
)
LLMOpt = typer.Option(
    None,
    "--llm",
    help="LLM backend: auto | openai | local | none (default $MOCKINT_LLM or auto: "
    "an API key or base URL, else the local model if installed, else none).",
)
ModelOpt = typer.Option(
    None, "--model", help="Model name for the OpenAI-compatible endpoint ($MOCKINT_MODEL)."
)
BaseUrlOpt = typer.Option(
    None, "--base-url", help="OpenAI-compatible endpoint URL ($OPENAI_BASE_URL)."
)


def load_runtime(
    home: Path | None = None,
    corpus: Path | None = None,
    chroma_url: str | None = None,
    **kw,
):
    """A ``Runtime`` from the options (unset ones fall back to env, config file, default)."""
    from mockint.runtime import Runtime

    return Runtime(Config.load(home=home, corpus=corpus, chroma_url=chroma_url, **kw))


out = Console()
err = Console(stderr=True)


def progress_bar(label: str):
    """A rich progress bar on stderr; returns (context manager, callback(done, total))."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update
