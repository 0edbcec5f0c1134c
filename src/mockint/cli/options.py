"""Options shared by the ``mockint`` commands (one definition, one help text)."""

from __future__ import annotations

from pathlib import Path

import typer

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
