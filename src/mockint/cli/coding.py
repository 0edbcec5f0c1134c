"""The terminal's part of the coding round: how to type code (between ``` lines, where empty lines
do not end the answer), ``/run`` (the examples run on the code typed so far, as often as wanted,
not graded) and the table of test results shown with the feedback."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

RUN = "/run"
HOW = (
    "(code between ``` lines — empty lines inside are kept; /run on its own line runs the examples "
    "on what you typed; explain your approach and its complexity outside the block; then an empty "
    "line to submit)"
)


def is_fence(line: str) -> bool:
    return line.strip().startswith("```")


def report_table(report: dict) -> Table:
    """A CodeReport (as a dict) as a table: examples with what they gave, hidden tests by kind."""
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("test", "result", "detail", "ms (reference)"):
        t.add_column(col)
    for r in report["rows"]:
        name = r["name"] if r["visible"] else f"hidden · {r['kind']}"
        mark = "[green]pass[/]" if r["passed"] else "[red]fail[/]"
        detail = (
            f"{r['call']} → {r['got']}" + ("" if r["passed"] else f" (expected {r['expected']})")
            if r["visible"]
            else r["got"]
        )
        ms = "" if r["seconds"] is None else f"{r['seconds'] * 1000:.0f}"
        if ms and r.get("reference_seconds") is not None:
            ms += f" ({r['reference_seconds'] * 1000:.0f})"
        t.add_row(escape(name), mark, escape(detail[:160]), ms)
    return t


def show_report(con: Console, report: dict) -> None:
    if report.get("message"):
        con.print(f"[yellow]{escape(report['message'])}[/]")
    if report["rows"]:
        con.print(report_table(report))


def run_examples(con: Console, interview, typed: list[str]) -> None:
    """``/run``: the examples on the code typed so far (the answer is not submitted)."""
    if not any(line.strip() for line in typed):
        con.print("[dim]nothing to run yet: type your code first[/]")
        return
    report = interview.run_examples("\n".join(typed))
    if report is None:
        con.print("[dim]/run works on coding questions only[/]")
        return
    passed, total = report.count(True)
    con.print(f"examples: {passed}/{total} pass")
    show_report(con, report.model_dump())
