"""Run tests, the coding problem's button: the examples on the editor's code (not graded, as
often as the candidate likes), shown as a results table."""

from __future__ import annotations

from mockint.errors import SessionError
from mockint.ui import render
from mockint.ui.handlers import UIContext, _open, problem_for


def run_tests(ctx: UIContext, state: dict, text: str = "", code: str = "") -> str:
    """The Run tests button: the examples on the code in the editor (not graded; as often as the
    candidate likes), as an HTML table."""
    from mockint.coding.grade import compose_answer

    iv = _open(ctx, state)
    p = problem_for(ctx, iv.prompt)
    if p is None:
        raise SessionError("Run tests works on coding problems only", fix="answer in words")
    if not (code or "").strip():
        raise SessionError("the code editor is empty", fix="write your code, then Run tests")
    report = iv.run_examples(compose_answer(code, text, p.track))
    return render.tests_html(report.model_dump(), title="Examples (not graded)")
