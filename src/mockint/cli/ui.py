"""The ``ui`` command: serve the Gradio web app (``mockint.ui``) on this machine.

``register(app)`` adds ``mockint ui [--host 127.0.0.1] [--port 7860] [--auth user:pass]
[--home DIR] [--corpus FILE] [--grader KIND]`` to the Typer app of ``mockint.cli`` (it does not
modify that module; a second call does nothing). It builds the index when it is empty,
then launches with no share link, no telemetry and no server-side rendering. Binding to
anything but a loopback address without ``--auth`` is refused: the app serves the whole
interview history of the data dir. ``--auth`` may also come from ``MOCKINT_UI_AUTH``
(so the password need not show in the process list).

Only argument handling and the launch live here; the app is ``mockint.ui.app.build_app``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from mockint.cli.options import BaseUrlOpt, CorpusOpt, HomeOpt, LLMOpt, ModelOpt
from mockint.config import Config
from mockint.errors import ConfigError


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:pass`` -> (user, pass); the password may contain colons.

    >>> parse_auth("ana:s3:cret"), parse_auth(None)
    (('ana', 's3:cret'), None)
    """
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError(
            "--auth must be USER:PASSWORD with both parts non-empty",
            fix="e.g. --auth ana:long-passphrase, or set MOCKINT_UI_AUTH",
        )
    return user, password


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ui_cmd(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (loopback by default)."
    ),
    port: int = typer.Option(7860, "--port", min=1, max=65535, help="Port to listen on."),
    auth: str | None = typer.Option(
        None,
        "--auth",
        envvar="MOCKINT_UI_AUTH",
        help="USER:PASSWORD required to open the app ($MOCKINT_UI_AUTH).",
    ),
    grader: str = typer.Option("auto", "--grader", help="offline | llm | hybrid | auto."),
    llm: str | None = LLMOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Serve the web app: interview, report, history, batch grading and corpus search."""
    from mockint.runtime import Runtime
    from mockint.ui.app import build_app, launch_kwargs

    credentials = parse_auth(auth)
    if not is_loopback(host) and credentials is None:
        raise ConfigError(
            f"--host {host} exposes your interview history to the network without a password",
            fix="add --auth USER:PASSWORD (or MOCKINT_UI_AUTH), or keep --host 127.0.0.1",
        )
    rt = Runtime(Config.load(home=home, corpus=corpus, llm=llm, model=model, base_url=base_url))
    rt.ready_index_apart(say=lambda msg: typer.echo(msg, err=True))
    demo = build_app(rt, grader=grader)
    typer.echo(f"mockint ui on http://{host}:{port} (Ctrl-C to stop)", err=True)
    demo.launch(**launch_kwargs(server_name=host, server_port=port, auth=credentials))


def register(app: typer.Typer) -> typer.Typer:
    """Add ``ui`` to ``app`` (a second call does nothing)."""
    if "ui" not in {c.name for c in app.registered_commands}:
        app.command("ui")(ui_cmd)
    return app
