"""The coding track's problems: written in ``corpus/coding/*.yaml``, built into
``corpus/coding/problems.jsonl`` (``mockint corpus build`` does both corpora).

A problem has a statement, a signature, visible examples, hidden tests (each with the kind of case
it checks: empty input, duplicates, NULLs, ties, large input…), a reference solution that passes
them, a plausible wrong solution that fails at least one (the suite checks both), and a rubric for
the explanation (approach, complexity). A test may give its arguments as Python code
(``args_code``, for large inputs) and may leave ``expected`` out: the build computes it with the
reference solution. ``python -m mockint.coding.problems check FILE`` validates a file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from mockint.coding import runner
from mockint.config import packaged_path
from mockint.errors import CorpusError

Track = Literal["python", "pandas", "sql"]


# A kind of test as a key point: (text, the interviewer's probe, the words feedback uses)
KIND_POINTS = {
    "examples": (
        "Passes the examples in the statement",
        "Walk me through your code on the first example: what does each step produce?",
        "the examples",
    ),
    "basic": (
        "Gives the right result on ordinary inputs",
        "Take an ordinary input of your own: what does your code return, step by step?",
        "ordinary inputs",
    ),
    "empty": (
        "Handles an empty input",
        "What does your code do when the input is empty?",
        "an empty input",
    ),
    "single": (
        "Handles a single element",
        "What happens with just one element?",
        "a single element",
    ),
    "duplicates": (
        "Handles repeated values",
        "What happens when values repeat?",
        "repeated values",
    ),
    "nulls": (
        "Handles missing values (NULL, NaN, None)",
        "How does your solution treat missing values?",
        "missing values (NULL / NaN / None)",
    ),
    "ties": ("Handles ties as the statement asks", "What happens when two values tie?", "ties"),
    "negative": (
        "Handles negative numbers",
        "Does your code still work with negative numbers?",
        "negative numbers",
    ),
    "large": (
        "Is efficient enough for a large input",
        "What is the time complexity of your code, and how would it do on a million items?",
        "a large input (too slow?)",
    ),
    "unicode": (
        "Handles non-ASCII text",
        "What happens with accented or non-Latin characters?",
        "non-ASCII text",
    ),
    "edge": (
        "Handles the edge cases of the statement",
        "Which edge cases did you consider, and how does your code handle them?",
        "an edge case",
    ),
    "order": (
        "Returns the result in the order asked",
        "In what order does your result come out, and is that the order asked for?",
        "the order of the result",
    ),
}
ESSENTIAL_KINDS = ("examples", "basic", "large")
KINDS = tuple(k for k in KIND_POINTS if k != "examples")


def tests_point_id(kind: str) -> str:
    return f"tests-{kind}"


def is_test_point(kp_id: str) -> bool:
    return kp_id.startswith("tests-")


class Case(BaseModel):
    name: str
    kind: str = "basic"
    args: list | None = None
    args_code: str | None = None  # a Python expression for the arguments (large inputs)
    rows: dict[str, list[list]] | None = None  # sql: the tables' rows for this case
    rows_code: str | None = None  # sql: a Python expression for ``rows`` (large inputs)
    expected: object = None
    expected_missing: bool = False


class KeyPointSpec(BaseModel):
    text: str
    weight: Literal["essential", "supporting"] = "essential"
    probe: str = ""  # the interviewer's question when the explanation missed it (no giveaway)


class Problem(BaseModel):
    id: str = Field(pattern=r"^(py|pd|sql)-[a-z0-9-]+$")
    track: Track
    title: str
    difficulty: int = Field(ge=1, le=3)
    topics: list[str]
    statement: str
    signature: str
    entry: str = ""
    compare: Literal["exact", "unordered", "float", "frame", "rows"] = "exact"
    ordered: bool = False
    tolerance: float | None = None  # compare "float": absolute tolerance (simulations)
    tables: dict[str, dict] = {}
    examples: list[Case] = Field(min_length=2)
    tests: list[Case] = Field(min_length=4)
    reference: str
    wrong: str
    complexity: str = ""
    key_points: list[KeyPointSpec] = Field(min_length=2)
    question_id: str | None = None  # the corpus question this problem gives tests to

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        if self.track != "sql" and not self.entry:
            raise ValueError("python and pandas problems name their function in 'entry'")
        if self.track == "sql" and not self.tables:
            raise ValueError("sql problems give their tables' columns in 'tables'")
        for c in [*self.examples, *self.tests]:
            if c.kind not in KINDS:
                raise ValueError(f"case {c.name!r}: kind {c.kind!r} is not one of {KINDS}")
        return self

    def job(self, code: str, cases: list[Case], *, ready: bool = False) -> dict:
        """The runner's job for ``code`` on ``cases`` (``materialize``d unless ``ready``)."""
        cases = cases if ready else [materialize(self, c) for c in cases]
        return {
            "track": self.track,
            "code": code,
            "entry": self.entry,
            "tables": self.tables,
            "compare": self.compare,
            "ordered": self.ordered,
            "tolerance": self.tolerance,
            "tests": [
                c.model_dump(exclude={"args_code", "rows_code", "expected_missing"}) for c in cases
            ],
        }


def load_sources(folder: Path) -> list[Problem]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise CorpusError(f"invalid YAML: {exc}", where=str(path), fix="fix the file") from exc
        for i, rec in enumerate(records, start=1):
            try:
                out.append(Problem.model_validate(rec))
            except ValidationError as exc:
                first = exc.errors()[0]
                raise CorpusError(
                    f"problem {i} ({rec.get('id', '?')}): {'.'.join(map(str, first['loc']))}: "
                    f"{first['msg']}",
                    where=str(path),
                    fix="see corpus/README.md, 'Coding track'",
                ) from exc
    ids = [p.id for p in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CorpusError(
            f"duplicate problem ids: {dupes}", where=str(folder), fix="make every id unique"
        )
    return out


STORED_EXPECTED = 8192  # characters: a larger expected value is recomputed when needed


def materialize(p: Problem, c: Case) -> Case:
    """``c`` ready to run: arguments and rows from their code, ``expected`` computed with the
    reference when the file left it out (cached per process; the reference is trusted corpus
    code, run in-process)."""
    update: dict = {}
    if c.args_code is not None:
        update.update(args=eval(c.args_code, {"__builtins__": __builtins__}), args_code=None)
    if c.rows_code is not None:
        update.update(rows=eval(c.rows_code, {"__builtins__": __builtins__}), rows_code=None)
    c = c.model_copy(update=update)
    if c.expected_missing or c.expected is None:
        key = (p.id, c.name, p.reference)
        if key not in _EXPECTED:
            _EXPECTED[key] = _expected_from_reference(p, c)
        c = c.model_copy(update={"expected": _EXPECTED[key], "expected_missing": False})
    return c


_EXPECTED: dict[tuple, object] = {}


def build(p: Problem) -> Problem:
    """Every missing ``expected`` computed with the reference: stored when small, else marked
    ``expected_missing`` (recomputed when the tests run); large inputs stay as code."""
    cases = []
    for c in [*p.examples, *p.tests]:
        try:
            value = materialize(p, c).expected
        except Exception as exc:
            raise CorpusError(
                f"{p.id}: the reference fails on case {c.name!r}: {type(exc).__name__}: {exc}",
                fix="fix the reference or the case",
            ) from exc
        if c.expected is None:
            small = len(json.dumps(value, default=str)) <= STORED_EXPECTED
            c = c.model_copy(update={"expected": value} if small else {"expected_missing": True})
        cases.append(c)
    n = len(p.examples)
    return p.model_copy(update={"examples": cases[:n], "tests": cases[n:]})


def _expected_from_reference(p: Problem, c: Case):
    """What the reference returns for ``c`` (arguments already evaluated), as tests store it."""
    if p.track == "sql":
        cols, rows = runner.run_sql(p.job(p.reference, [c], ready=True), c.model_dump())
        return {"columns": cols, "rows": rows}
    space: dict = {}
    exec(compile(p.reference, p.id, "exec"), space)
    got = space[p.entry](*runner.decode(c.args or []))
    if p.compare == "frame":
        cols, rows = runner.as_rows(got)
        return {"columns": cols, "rows": rows}
    return json.loads(json.dumps(got, default=list))


def check(p: Problem, limits=None) -> list[str]:
    """What is wrong with a built problem: the reference must pass every case, the wrong solution
    fail at least one. Both run in the sandbox (a wrong solution may loop or be quadratic)."""
    from mockint.coding import sandbox

    cases = [*p.examples, *p.tests]
    problems = []
    ref = sandbox.run(p.job(p.reference, cases), limits)
    if ref.status != "ok" or not ref.loaded:
        problems.append(f"the reference does not run: {ref.message or ref.error}")
    else:
        problems += [
            f"the reference fails {r['name']}: {r.get('error') or r.get('got')}"
            for r in ref.results
            if not r["passed"]
        ]
    wrong = sandbox.run(p.job(p.wrong, cases), limits)
    if wrong.status == "ok" and wrong.loaded and all(r["passed"] for r in wrong.results):
        problems.append("the wrong solution passes every case: add a case that catches it")
    return problems


def built_path() -> Path:
    return packaged_path("corpus") / "coding" / "problems.jsonl"


def write_built(problems: list[Problem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(p.model_dump_json() + "\n" for p in problems), encoding="utf-8")


def load_built(path: Path | None = None) -> dict[str, Problem]:
    path = path or built_path()
    if not path.exists():
        raise CorpusError(
            "the coding problems are not built", where=str(path), fix="run 'mockint corpus build'"
        )
    return {
        p.id: p
        for p in (
            Problem.model_validate_json(x)
            for x in path.read_text(encoding="utf-8").splitlines()
            if x.strip()
        )
    }


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2 or args[0] != "check":
        sys.exit("usage: python -m mockint.coding.problems check FILE.yaml")
    path = Path(args[1])
    tmp = path.parent
    bad = 0
    for p in load_sources(tmp) if path.is_dir() else _one_file(path):
        problems = check(build(p))
        print(
            f"{'ok  ' if not problems else 'FAIL'} {p.id}"
            + "".join(f"\n     - {x}" for x in problems)
        )
        bad += bool(problems)
    sys.exit(1 if bad else 0)


def _one_file(path: Path) -> list[Problem]:
    records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Problem.model_validate(r) for r in records]


if __name__ == "__main__":
    main()
