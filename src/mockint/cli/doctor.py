"""``mockint doctor``: one line per part of the installation, with the fix; exit 1 if any fails."""

from __future__ import annotations

from pathlib import Path

import typer

from mockint.cli.options import BaseUrlOpt, CorpusOpt, HomeOpt, LLMOpt, ModelOpt, out
from mockint.cli.options import load_runtime as _runtime


def doctor_cmd(
    llm: str | None = LLMOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Check every part (corpus, index, models, LLM backend, data dir, disk) and say how to fix
    what fails. Exit code 1 when any part fails."""
    from mockint.doctor import run_checks

    rt = _runtime(home, corpus, llm=llm, model=model, base_url=base_url)
    results = run_checks(
        rt, on_result=lambda c: out.print(c.line(), markup=False, highlight=False, soft_wrap=True)
    )
    failed = [c for c in results if not c.ok]
    out.print(f"{len(results) - len(failed)} of {len(results)} parts ok", markup=False)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> typer.Typer:
    """Add ``doctor`` to ``app`` (a second call does nothing)."""
    if "doctor" not in {c.name for c in app.registered_commands}:
        app.command("doctor")(doctor_cmd)
    return app
