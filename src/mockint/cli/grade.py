"""``mockint grade FILE``: grade a file of written answers (CSV or JSONL)."""

from __future__ import annotations

from pathlib import Path

import typer

from mockint import llm as llm_mod
from mockint.cli.options import (
    BaseUrlOpt,
    CorpusOpt,
    HomeOpt,
    LLMOpt,
    ModelOpt,
    err,
    out,
    progress_bar,
)
from mockint.cli.options import load_runtime as _runtime


def grade_cmd(
    input: Path = typer.Argument(
        ...,
        help="CSV or JSONL with columns question (corpus id or free text) and answer; optional "
        "id, reference, audio (a recording's path, relative to the file: transcribed, then graded).",
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Graded file, .jsonl or .csv (default INPUT.graded.<ext>)."
    ),
    grader: str = typer.Option(
        "auto",
        "--grader",
        help="offline | llm | hybrid | auto (hybrid if an LLM is configured, else offline).",
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=32, help="Parallel LLM requests."
    ),
    llm: str | None = LLMOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Grade a file of answers (written, spoken in an audio column, or code for coding questions,
    which is run on the problem's tests). Re-running skips rows already graded the same way.

    Exit code 0 when every row was graded, 2 when some rows are error rows (see the summary)."""
    from mockint.grading.batch import default_output, grade_file, summary_page

    rt = _runtime(home, corpus, llm=llm, model=model, base_url=base_url)
    output = output or default_output(input)
    g = rt.make_grader(grader, concurrency=concurrency)
    backend = llm_mod.describe_model(g.model, rt.config)
    err.print(
        f"grader: {g.name}; {backend}"
    )  # described from the grader: no second client is built
    rt.ready_index()
    bar, update = progress_bar("grading")
    with bar:
        result = grade_file(input, output, rt, g, progress=update)
    summary = summary_page(result, rt, output)
    out.print(
        f"{result.graded} graded, {result.skipped} already done, {result.errors} error rows -> {output} "
        f"(summary: {summary})"
    )
    if result.errors:
        raise typer.Exit(2)


def register(app: typer.Typer) -> typer.Typer:
    """Add these commands to ``app`` (a second call does nothing)."""
    have = {c.name for c in app.registered_commands}
    if "grade" not in have:
        app.command("grade")(grade_cmd)
    return app
