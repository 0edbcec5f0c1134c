"""The house rules of ``pyproject.toml``'s [tool.mockint.house]: no module over 400 lines and no
function over 60 at the formatter's width (100), except where a one-line reason is written down."""

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RULES = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mockint"][
    "house"
]


def _sources():
    for folder in RULES["folders"]:
        yield from sorted((REPO / folder).rglob("*.py"))


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_module_over_the_limit():
    too_long = []
    for path in _sources():
        rel = str(path.relative_to(REPO))
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > RULES["max_module_lines"] and rel not in RULES["allow"]:
            too_long.append(f"{rel}: {n} lines")
    assert not too_long, (
        "split these modules by concept (or add a one-line reason to [tool.mockint.house.allow]):\n"
        + "\n".join(too_long)
    )


def test_no_function_over_the_limit():
    too_long = []
    for path in _sources():
        rel = str(path.relative_to(REPO))
        for fn in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            n = fn.end_lineno - fn.lineno + 1
            if n > RULES["max_function_lines"] and f"{rel}::{fn.name}" not in RULES["allow"]:
                too_long.append(f"{rel}::{fn.name}: {n} lines")
    assert not too_long, (
        "split these functions (or add a one-line reason to [tool.mockint.house.allow]):\n"
        + "\n".join(too_long)
    )


def test_every_allowance_names_something_that_exists_and_says_why():
    for key, why in RULES["allow"].items():
        path = REPO / key.split("::")[0]
        assert path.exists(), key
        assert len(why.split()) >= 4, f"{key}: give a reason"
