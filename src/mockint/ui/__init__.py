"""The Gradio web UI: ``build_app(runtime, ...)`` returns a ``gr.Blocks`` (it never launches).

``handlers.py`` holds the turn logic as plain functions (tests call them directly),
``render.py`` the escaping and HTML, ``app.py`` the Blocks layout and wiring; the
``mockint ui`` command lives in ``mockint.cli.ui``. Importing this package does not
import Gradio: ``build_app`` loads it on first use.
"""

from __future__ import annotations


def build_app(runtime, **kwargs):
    """See ``mockint.ui.app.build_app``."""
    from mockint.ui.app import build_app as _build

    return _build(runtime, **kwargs)


__all__ = ["build_app"]
