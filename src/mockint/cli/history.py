"""``mockint history``: past sessions and mastery per topic (registered by ``cli.interview``)."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from mockint.cli.options import HomeOpt
from mockint.config import Config


def history_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    home: Path | None = HomeOpt,
) -> None:
    """List past interview sessions and your mastery per topic."""
    from datetime import datetime

    from mockint.interview.schedule import history_summary
    from mockint.interview.store import Store

    conf = Config.load(home=home)
    store = Store(conf.db_path)
    sessions, topics = history_summary(store, datetime.now(UTC))
    if as_json:
        typer.echo(json.dumps({"sessions": sessions, "topics": topics}, indent=2))
        return
    con = Console(highlight=False)
    table = Table("id", "date", "mode", "questions", "mean", "status")
    for s in sessions:
        table.add_row(
            s["id"],
            s["date"],
            s["mode"],
            str(s["questions"]),
            "—" if s["mean_score"] is None else f"{s['mean_score']:.1f}",
            s["status"],
        )
    con.print(table)
    table = Table("topic", "answers", "mean", "due for review")
    for t in topics:
        table.add_row(t["topic"], str(t["answers"]), f"{t['mean_score']:.1f}", str(t["due"]))
    con.print(table)
