"""The ``mockint`` command: a thin Typer adapter over the library (``app``), with the interview
(``interview``) and web UI (``ui``) commands and the shared options (``options``)."""

from mockint.cli.app import app, main

__all__ = ["app", "main"]
