"""The shipped coding track (issue 18): its size and spread, every reference solution passing its
tests and every planted wrong solution failing one (both run in the sandbox), the built files in
sync with the YAML, and the six coding questions of the Q&A page linked to problems."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mockint.coding import problems as pr
from mockint.coding.sandbox import Limits
from mockint.corpus.schema import load_questions

REPO = Path(__file__).resolve().parents[1]
CODING = REPO / "corpus" / "coding"
PROBLEMS = pr.load_built(CODING / "problems.jsonl")
QUESTIONS = {q.id: q for q in load_questions(REPO / "corpus" / "questions.jsonl")}
LINKED = {
    "given-two-arrays-write-a-python-function-to-return-the",
    "given-an-array-find-all-the-duplicates-in-this-array-for-example",
    "given-an-integer-array-return-the-maximum-product-of-any-three",
    "given-two-python-series-write-a-function-to-compute-the",
    "given-an-integer-n-and-an-integer-k-output-a-list-of-all-of-the",
    "how-do-you-swap-two-numbers-without-a-temporary-variable",
}


def test_the_track_has_what_the_issue_asks():
    tracks = Counter(p.track for p in PROBLEMS.values())
    assert len(PROBLEMS) >= 40
    assert tracks["sql"] >= 15 and tracks["pandas"] >= 10 and tracks["python"] >= 15
    for p in PROBLEMS.values():
        assert len(p.examples) >= 2 and len(p.tests) >= 4, p.id
        assert p.key_points and all(k.probe for k in p.key_points), p.id
        kinds = {c.kind for c in p.tests}
        assert kinds - {"basic"}, f"{p.id}: no edge case among the hidden tests"


def test_every_coding_question_of_the_page_has_tests():
    linked = {p.question_id for p in PROBLEMS.values() if p.question_id}
    assert linked == LINKED
    for qid in LINKED:
        q = QUESTIONS[qid]
        assert q.problem and q.problem in PROBLEMS
        assert any(k.id.startswith("tests-") for k in q.key_points)


def test_every_problem_is_a_question_of_the_corpus():
    by_problem = {q.problem: q for q in QUESTIONS.values() if q.problem}
    assert set(by_problem) == set(PROBLEMS)
    for pid, q in by_problem.items():
        assert q.type == ("sql" if PROBLEMS[pid].track == "sql" else "coding")
        assert q.references[0].markdown.startswith("```")


def test_built_file_matches_the_sources(tmp_path):
    out = tmp_path / "questions.jsonl"
    subprocess.run(
        [sys.executable, "-m", "mockint.cli", "corpus", "build", "-o", str(out)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    assert (tmp_path / "coding" / "problems.jsonl").read_bytes() == (
        CODING / "problems.jsonl"
    ).read_bytes(), "corpus/coding changed: run 'mockint corpus build' and commit the result"


CHECK = Limits(cpu_s=8, wall_s=15, test_s=3)


def _check(p: pr.Problem) -> tuple[str, list[str]]:
    return p.id, pr.check(p, CHECK)


@pytest.mark.slow
def test_references_pass_and_wrong_solutions_fail():
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(_check, PROBLEMS.values()))
    bad = {pid: why for pid, why in results.items() if why}
    assert not bad, bad
