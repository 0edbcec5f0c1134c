"""The ``mockint`` command: a thin Typer adapter over the library.

Each command resolves a ``Config`` (flags > environment > config file > defaults), builds a
``Runtime`` and calls one library function; the commands live by subject (``corpus``, ``grade``,
``evaluate``, ``interview``, ``ui``) and register themselves here. A ``MockintError`` becomes one
line on stderr and exit code 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mockint import config as cfg
from mockint import llm as llm_mod
from mockint.cli import corpus, doctor, evaluate, grade, interview, ui, voice
from mockint.cli.options import HomeOpt, err, out
from mockint.errors import MockintError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Mock interviews for ML / data-science roles, graded against curated reference answers.",
)


def config_cmd(
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the settings table as Markdown."
    ),
    home: Path | None = HomeOpt,
) -> None:
    """Show the resolved settings (the API key is only shown as set / not set)."""
    if markdown:
        out.print(cfg.settings_table(), markup=False)
        return
    conf = cfg.Config.load(home=home)
    for s in cfg.SETTINGS:
        value = getattr(conf, s.name)
        if s.name == "api_key":
            value = "(set)" if value else "(not set)"
        out.print(f"{s.name} = {value}", markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"-> LLM backend in use: {llm_mod.backend_kind(conf)} (order: --llm / MOCKINT_LLM, then an "
        "API key or base URL, then the local model if installed, then none)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


for module in (corpus, grade, evaluate, interview, ui, doctor, voice):
    module.register(app)
app.command("config")(config_cmd)


def main() -> None:
    try:
        app()
    except MockintError as exc:
        err.print(f"[red]error[/]: {exc.render()}", markup=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
