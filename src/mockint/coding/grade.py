"""Grading a coding answer by running it: the tests say what the code does, the judgement model
what the explanation says.

An answer to a coding question is code (a fenced block, or the whole answer when there is no
fence) and an explanation (the text around the fence, and the code's comments). ``CodeGrader``
wraps any grader: for a question with a problem (``Question.problem``) it runs the code in the
sandbox on the examples and the hidden tests, turns each kind of test into a key point ("handles
an empty input": covered when all of that kind pass, partial when some do, partial too when the
code is right but far slower than the reference on the large input), has the inner grader judge
the explanation against the problem's rubric (approach, complexity), and scores it all with the
rubric arithmetic (``grading.rubric``). Other questions go to the inner grader unchanged.

Feedback shows the first failing example in full; a hidden test shows only its kind.
"""

from __future__ import annotations

import ast
import re
import threading
import time
from collections.abc import Sequence

from mockint.coding import sandbox
from mockint.coding.problems import KIND_POINTS, Problem, is_test_point
from mockint.coding.sandbox import Limits
from mockint.corpus.schema import Question
from mockint.grading.rubric import hint_cap, score_from_statuses, verdict_for
from mockint.grading.schema import (
    CodeReport,
    Grade,
    Grader,
    GradingTask,
    KeyPointResult,
    TestRow,
)
from mockint.text import clip

FENCE_OPEN = re.compile(r"^\s*(`{3,})[^`]*$")
SLOW_RATIO = 10.0  # slower than this many times the reference on a large input: partial credit
SLOW_FLOOR_S = 0.25  # ... and by more than this (timings under it are noise)


SQL_START = re.compile(r"\s*(?:--[^\n]*\n\s*)*(?:select|with)\b", re.I)


def looks_like_code(text: str, track: str) -> bool:
    """An answer without a fence is code when it is a query (SQL) or Python that parses and
    defines a function; anything else is words.

    >>> looks_like_code("def f(x):\\n    return x", "python"), looks_like_code("I'd use a set.", "python")
    (True, False)
    """
    if track == "sql":
        return bool(SQL_START.match(text))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in tree.body)


def split_answer(answer: str, track: str) -> tuple[str, str]:
    """(code, explanation). Fenced blocks are the code and the text around them the explanation;
    without a fence the answer is code if it ``looks_like_code``, else words only. The code's
    comments count as explanation too.

    >>> split_answer("Hash map, O(n).\\n```python\\ndef f(x):  # one pass\\n    return x\\n```", "python")
    ('def f(x):  # one pass\\n    return x', 'Hash map, O(n). one pass')
    """
    blocks, prose_lines = _fenced(answer or "")
    if blocks:
        code = "\n".join(b.rstrip() for b in blocks).strip("\n")
        prose = " ".join(line.strip() for line in prose_lines if line.strip())
    elif looks_like_code((answer or "").strip(), track):
        code, prose = (answer or "").strip("\n"), ""
    else:
        code, prose = "", (answer or "").strip()
    mark = "--" if track == "sql" else "#"
    comments = [
        line.split(mark, 1)[1].strip()
        for line in code.splitlines()
        if mark in line and line.split(mark, 1)[1].strip()
    ]
    return code, " ".join(x for x in (prose, *comments) if x).strip()


def _fenced(text: str) -> tuple[list[str], list[str]]:
    """(the fenced blocks, the lines outside them). A fence closes on a line of at least as many
    backticks as opened it (CommonMark); an unclosed one runs to the end."""
    blocks, prose, fence, current = [], [], "", []
    for line in text.splitlines():
        if not fence:
            m = FENCE_OPEN.match(line)
            if m:
                fence, current = m.group(1), []
            else:
                prose.append(line)
        elif line.strip().startswith(fence) and not line.strip().strip("`"):
            blocks.append("\n".join(current))
            fence = ""
        else:
            current.append(line)
    if fence:
        blocks.append("\n".join(current))
    return blocks, prose


def compose_answer(code: str, explanation: str, track: str) -> str:
    """The stored answer for code typed in an editor and an explanation typed beside it."""
    lang = "sql" if track == "sql" else "python"
    parts = [explanation.strip()] if explanation.strip() else []
    if code.strip():
        longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        parts.append(f"{fence}{lang}\n{code.strip(chr(10))}\n{fence}")
    return "\n\n".join(parts)


class CodeRunner:
    """Runs code for one problem set: the candidate's on the tests, the reference's (once per
    problem and process) for timings to compare with."""

    def __init__(self, problems: dict[str, Problem], *, hide: Sequence[str] = (), limits=None):
        self.problems, self.hide, self.limits = problems, list(hide), limits or Limits()
        self._reference: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def reference_seconds(self, p: Problem) -> dict[str, float]:
        with self._lock:
            if p.id not in self._reference:
                r = sandbox.run(p.job(p.reference, [*p.examples, *p.tests]), self.limits)
                self._reference[p.id] = {x["name"]: x["seconds"] for x in r.results}
            return self._reference[p.id]

    def run(self, p: Problem, code: str, *, hidden: bool = True) -> CodeReport:
        """The examples (and the hidden tests) run on ``code``; a test a limit stopped before
        it ran is reported failed with the reason."""
        cases = [*p.examples, *(p.tests if hidden else [])]
        r = sandbox.run(p.job(code, cases), self.limits, hide=self.hide)
        ref = self.reference_seconds(p) if hidden else {}
        by_name = {x["name"]: x for x in r.results}
        message = "" if r.status == "ok" else r.message
        if r.status == "ok" and not r.loaded:
            message = f"your code does not load: {r.error}"
        rows = []
        for i, c in enumerate(cases):
            visible = i < len(p.examples)
            got = by_name.get(c.name)
            rows.append(_row(p, c, got, visible, ref.get(c.name), message or "not run"))
        return CodeReport(
            problem_id=p.id, track=p.track, status=r.status, message=message,
            isolation=r.isolation, rows=rows,
        )  # fmt: skip


def _call(p: Problem, c) -> str:
    if p.track == "sql":
        return "the query on: " + ", ".join(
            f"{t} ({len(rows)} rows)" for t, rows in (c.rows or {}).items()
        )
    args = ", ".join(clip(repr(a), 160) for a in (c.args or []))
    return f"{p.entry}({args})"


def _row(p: Problem, c, got: dict | None, visible: bool, ref_s: float | None, why: str) -> TestRow:
    if got is None:
        return TestRow(visible=visible, kind=c.kind, passed=False, name=c.name if visible else "",
                       got=why if visible else why.split(":")[0])  # fmt: skip
    error = got.get("error", "")
    shown = error or got.get("got", "")
    if visible:
        return TestRow(
            visible=True, kind=c.kind, passed=got["passed"], name=c.name, call=_call(p, c),
            expected=clip(repr(c.expected), 160), got=clip(shown, 160), seconds=got["seconds"],
            reference_seconds=ref_s,
        )  # fmt: skip
    return TestRow(
        visible=False, kind=c.kind, passed=got["passed"], got=error.split(":")[0],
        seconds=got["seconds"], reference_seconds=ref_s,
    )  # fmt: skip


def judged_test_points(q: Question, report: CodeReport | None) -> list[KeyPointResult]:
    """The question's test key points judged by what the code did."""
    out = []
    for kp in q.key_points:
        if not is_test_point(kp.id):
            continue
        kind = kp.id.removeprefix("tests-")
        rows = [] if report is None else _rows_for(report, kind)
        passed = sum(r.passed for r in rows)
        status = "covered" if rows and passed == len(rows) else "partial" if passed else "missing"
        note = f"{passed}/{len(rows)} pass" if rows else "not run"
        slow = [r for r in rows if r.passed and _slow(r)]
        if status == "covered" and kind == "large" and slow:
            ratio = slow[0].seconds / max(slow[0].reference_seconds, 1e-6)
            status, note = "partial", f"correct but {ratio:.0f}× slower than the reference"
        out.append(
            KeyPointResult(
                id=kp.id,
                text=kp.text,
                weight=kp.weight,
                status=status,
                evidence="",
                reference=f"{q.id}#{kp.id}: {note}",
            )  # fmt: skip
        )
    return out


def _rows_for(report: CodeReport, kind: str) -> list[TestRow]:
    if kind == "examples":
        return [r for r in report.rows if r.visible]
    return [r for r in report.rows if not r.visible and r.kind == kind]


def _slow(r: TestRow) -> bool:
    if r.seconds is None or r.reference_seconds is None:
        return False
    return (
        r.seconds > SLOW_RATIO * r.reference_seconds
        and r.seconds - r.reference_seconds > SLOW_FLOOR_S
    )


def code_feedback(report: CodeReport | None, points: list[KeyPointResult]) -> tuple[str, str]:
    """(what was good, what to fix): the first failing example in full, hidden failures by kind,
    and the explanation's missing points."""
    good, add = [], []
    if report is None:
        add.append("Write the code (in the editor, or in a ``` block).")
    else:
        good.append(report.summary())
        first = next((r for r in report.rows if r.visible and not r.passed), None)
        if report.message:
            add.append(report.message[:300] + ".")
        if first is not None:
            add.append(f"Example '{first.name}': {first.call} gave {first.got}, "
                       f"expected {first.expected}.")  # fmt: skip
        kinds = sorted({r.kind for r in report.rows if not r.visible and not r.passed})
        if kinds:
            add.append("Hidden tests fail on: " + ", ".join(KIND_POINTS[k][2] for k in kinds) + ".")
    slow = [k for k in points if "slower than the reference" in k.reference]
    if slow:
        add.append("It is " + slow[0].reference.split(": ", 1)[1] + " on a large input.")
    said = [k.text for k in points if not is_test_point(k.id) and k.status == "covered"]
    if said:
        good.append("Explained: " + "; ".join(x.rstrip(".") for x in said) + ".")
    missing = [
        k.text for k in points
        if not is_test_point(k.id) and k.status != "covered" and k.weight == "essential"
    ]  # fmt: skip
    if missing:
        add.append("Explain: " + "; ".join(x.rstrip(".") for x in missing) + ".")
    return " ".join(good), " ".join(add)


class CodeGrader(Grader):
    """``inner`` for every question; for a question with a problem, the code run on its tests and
    the explanation judged by ``inner``. Same name and score map as ``inner``."""

    def __init__(self, inner: Grader, runner: CodeRunner):
        self.inner, self.runner = inner, runner
        self.name, self.model = inner.name, inner.model

    @property
    def version(self) -> str:
        return self.inner.version  # a code grade depends on the problem file and this module too

    @property
    def score_map(self):
        return self.inner.score_map

    def prepare(self, task: GradingTask) -> None:
        self.inner.prepare(task)

    def quick(self) -> Grader:
        inner = self.inner.quick()
        return self if inner is self.inner else CodeGrader(inner, self.runner)

    def without_cache(self) -> Grader:
        return CodeGrader(self.inner.without_cache(), self.runner)

    def problem_for(self, q: Question | None) -> Problem | None:
        return self.runner.problems.get(q.problem) if q is not None and q.problem else None

    def merged_score(self, question: Question | None, key_points: list) -> float:
        if self.problem_for(question) is None:
            return self.inner.merged_score(question, key_points)
        return score_from_statuses((k.status, k.weight) for k in key_points)

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        plain = [t for t in tasks if self.problem_for(t.question) is None]
        graded = iter(self.inner.grade_many(plain) if plain else [])
        return [
            self._grade_code(t, self.problem_for(t.question))
            if self.problem_for(t.question) is not None
            else next(graded)
            for t in tasks
        ]

    def _grade_code(self, task: GradingTask, p: Problem) -> Grade:
        t0 = time.perf_counter()
        q = task.question
        code, explanation = split_answer(task.answer, p.track)
        only = set(task.only_key_points)
        report = self.runner.run(p, code) if code.strip() else None
        points = judged_test_points(q, report)
        if only:
            points = [k for k in points if k.id in only]
        said = self._explanation(task, q, explanation, only, code_ran=report is not None)
        points += said
        score = min(
            hint_cap(task.hints_used), score_from_statuses((k.status, k.weight) for k in points)
        )
        good, add = code_feedback(report, points)
        return Grade(
            score=score, verdict=verdict_for(score) if task.answer.strip() else "no_answer",
            key_points=points, feedback_good=good, feedback_add=add, question_id=q.id,
            grader=self.inner.name, flags=["hint_capped"] if task.hints_used and score >= hint_cap(task.hints_used) else [],
            latency_ms=(time.perf_counter() - t0) * 1000, code=report, prompt_hash=self.version,
        )  # fmt: skip

    def _explanation(
        self, task: GradingTask, q: Question, text: str, only: set[str], *, code_ran: bool
    ) -> list[KeyPointResult]:
        """The rubric's points judged on the explanation. In a follow-up answered in words only,
        the open test points are judged on the words too, at most partly (saying how to fix a
        case is not a passing test)."""
        wanted = [
            k
            for k in q.key_points
            if (not only or k.id in only) and (not is_test_point(k.id) or (only and not code_ran))
        ]
        if not wanted:
            return []
        if not text.strip():
            return [
                KeyPointResult(id=k.id, text=k.text, weight=k.weight, status="missing")
                for k in wanted
                if not is_test_point(k.id)
            ]
        sub = q.model_copy(update={"key_points": wanted})
        g = self.inner.grade(
            GradingTask(q.question, text, sub, only_key_points=tuple(k.id for k in wanted))
        )
        out = []
        for k in g.key_points:
            if is_test_point(k.id) and k.status == "covered":
                k = k.model_copy(update={"status": "partial"})
            out.append(k)
        return out
