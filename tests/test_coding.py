"""The coding round (issue 18): problems, grading by running the code, the interview's coding
track in the engine, the terminal and the web handlers. The grading tests use two small fixture
problems (tests/fixtures/coding); the shipped problems are checked in test_coding_corpus.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mockint.coding.grade import compose_answer, looks_like_code, split_answer
from mockint.coding.problems import load_sources
from mockint.coding.questions import build_all
from mockint.config import Config
from mockint.corpus.schema import load_questions, write_jsonl
from mockint.grading.schema import GradingTask
from mockint.interview.engine import Interview
from mockint.interview.moves import Setup
from mockint.judge.model import OverlapJudge
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "coding"

FAST_SUM = """def two_sum(nums, target):
    seen = {}
    for i, x in enumerate(nums):
        if target - x in seen:
            return [seen[target - x], i]
        seen[x] = i
"""
SLOW_SUM = """def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == target:
                return [i, j]
"""
WRONG_SUM = """def two_sum(nums, target):
    for i in range(len(nums)):
        for j in range(len(nums)):
            if nums[i] + nums[j] == target:
                return [i, j]
"""
EXPLAIN = (
    "One pass with a hash map from value to index: for each x I look up target - x before "
    "inserting x, so [3, 3] works. O(n) time and O(n) extra space instead of O(n^2) for all pairs."
)
TOP_SQL = """SELECT dept, name FROM (
  SELECT dept, name, RANK() OVER (PARTITION BY dept ORDER BY salary DESC) AS r
  FROM employees WHERE salary IS NOT NULL) WHERE r = 1 ORDER BY dept, name"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The real questions without their coding problems, plus the two fixture problems, built as
    ``mockint corpus build`` does."""
    out = tmp_path_factory.mktemp("corpus")
    page = [q for q in load_questions(REPO / "corpus" / "questions.jsonl") if not q.problem]
    problems, questions = build_all(FIXTURE, page)
    from mockint.coding.problems import write_built

    write_jsonl(questions, out / "questions.jsonl")
    write_built(problems, out / "coding" / "problems.jsonl")
    return out / "questions.jsonl"


@pytest.fixture
def rt(corpus, tmp_path) -> Runtime:
    return Runtime(
        Config.load(home=tmp_path / "home", corpus=corpus),
        embedder=HashEmbedder(),
        judge=OverlapJudge(),
    )


def grade(rt: Runtime, qid: str, answer: str, **kw):
    q = rt.by_id[qid]
    return rt.make_grader("offline").grade(GradingTask(q.question, answer, q, **kw))


# ------------------------------------------------------------------ answers


def test_split_answer_finds_code_and_explanation():
    code, said = split_answer(f"{EXPLAIN}\n```python\n{FAST_SUM}```\nThat is all.", "python")
    assert code.startswith("def two_sum") and "hash map" in said and "That is all." in said
    assert split_answer(FAST_SUM, "python")[0].startswith("def two_sum")  # no fence: still code
    assert split_answer("I would use a hash map.", "python") == ("", "I would use a hash map.")
    assert split_answer("-- keep ties\nSELECT 1", "sql") == ("-- keep ties\nSELECT 1", "keep ties")
    assert looks_like_code("with t as (select 1) select * from t", "sql")
    assert not looks_like_code("RANK keeps the ties", "sql")


def test_compose_answer_round_trips():
    answer = compose_answer(FAST_SUM, EXPLAIN, "python")
    code, said = split_answer(answer, "python")
    assert code.strip() == FAST_SUM.strip() and said.startswith("One pass")


# ------------------------------------------------------------------ grading


def test_correct_code_with_explanation_scores_high(rt):
    g = grade(rt, "py-two-sum", compose_answer(FAST_SUM, EXPLAIN, "python"))
    assert g.code is not None and g.code.status == "ok"
    assert g.code.count(True) == (2, 2) and g.code.count(False) == (4, 4)
    statuses = {k.id: k.status for k in g.key_points}
    assert all(statuses[k] == "covered" for k in statuses if k.startswith("tests-"))
    assert g.score >= 7.5 and g.verdict == "strong"


def test_correct_code_without_explanation_asks_for_one(rt):
    g = grade(rt, "py-two-sum", FAST_SUM)
    assert g.code.count(False) == (4, 4)
    assert "Explain:" in g.feedback_add
    assert g.score < grade(rt, "py-two-sum", compose_answer(FAST_SUM, EXPLAIN, "python")).score


def test_quadratic_code_fails_the_large_input_only(rt):
    g = grade(rt, "py-two-sum", SLOW_SUM)
    statuses = {k.id: k.status for k in g.key_points}
    assert statuses["tests-large"] == "missing"
    assert statuses["tests-examples"] == "covered"
    assert "a large input" in g.feedback_add
    hidden = [r for r in g.code.rows if not r.visible]
    assert all(r.name == "" and r.expected == "" and r.call == "" for r in hidden)
    assert any(r.kind == "large" and r.got == "TimeLimit" for r in hidden)


def test_wrong_code_shows_the_first_failing_example_in_full(rt):
    g = grade(rt, "py-two-sum", WRONG_SUM)
    assert g.code.count(True)[0] < 2
    assert "Example 'later pair': two_sum([3, 2, 4], 6) gave [0, 0], expected [1, 2]" in (
        g.feedback_add
    )
    assert g.verdict in ("weak", "incorrect", "adequate") and g.score < 7.5


def test_code_that_does_not_load_is_reported(rt):
    g = grade(rt, "py-two-sum", "```python\ndef two_sum(nums, target)\n    return []\n```")
    assert "does not load" in g.code.message and "SyntaxError" in g.code.message
    assert g.score <= 1.0


def test_words_only_get_no_test_credit(rt):
    g = grade(rt, "py-two-sum", EXPLAIN)
    assert g.code is None and "Write the code" in g.feedback_add
    assert all(k.status == "missing" for k in g.key_points if k.id.startswith("tests-"))


def test_hints_cap_a_coding_grade(rt):
    g = grade(rt, "py-two-sum", compose_answer(FAST_SUM, EXPLAIN, "python"), hints_used=2)
    assert g.score <= 7.0 and "hint_capped" in g.flags


def test_sql_is_graded_by_running_the_query(rt):
    g = grade(rt, "sql-dept-top-salary", TOP_SQL)
    assert g.code.count(True) == (2, 2) and g.code.count(False) == (4, 4)
    bad = "SELECT dept, name FROM employees GROUP BY dept HAVING salary = MAX(salary) ORDER BY dept"
    g2 = grade(rt, "sql-dept-top-salary", bad)
    assert g2.code.count(False)[0] < 4
    assert "Hidden tests fail on:" in g2.feedback_add


def test_hostile_code_in_an_answer_is_contained_and_reported(rt):
    g = grade(rt, "py-two-sum", "```python\nimport os\ndef two_sum(n, t):\n    os._exit(3)\n```")
    assert g.code.status == "no_result" and "ended before reporting" in g.code.message
    g = grade(rt, "py-two-sum", "```python\ndef two_sum(n, t):\n    return sum(range(10**14))\n```")
    assert g.code.status == "timeout" and g.score <= 2.0


def test_the_candidate_code_cannot_read_the_hidden_tests(rt):
    where = str(rt.code_runner.problems["py-two-sum"].tests[0].name)
    spy = (
        "```python\nimport glob\ndef two_sum(nums, target):\n"
        "    found = [p for p in glob.glob('/**/problems.jsonl', recursive=True)]\n"
        "    found += [p for p in glob.glob('/**/corpus/coding/*.yaml', recursive=True)]\n"
        "    return found\n```"
    )
    g = grade(rt, "py-two-sum", spy)
    if g.code.isolation != "namespaces":
        pytest.skip("namespaces are not allowed here")
    shown = " ".join(r.got for r in g.code.rows)
    assert "problems.jsonl" not in shown and ".yaml" not in shown, shown
    assert where  # (the hidden test exists; the code just cannot see it)


# ------------------------------------------------------------------ the interview


def test_coding_track_interview_runs_examples_and_follows_up(rt):
    rt.ensure_index()
    iv = Interview.start(
        rt, Setup(track="coding", questions=2, max_followups=1), grader=rt.make_grader("offline")
    )
    assert iv.problem_now() is not None
    first = iv.problem_now()
    answer = compose_answer(SLOW_SUM if first.track == "python" else TOP_SQL, "", first.track)
    report = iv.run_examples(answer)
    assert report.count(True) == (2, 2)
    iv._reload()
    acts = [a["action"] for a in iv._pending().actions]
    assert "ran_examples" in acts
    reply = iv.respond(answer)
    assert reply.prompt is not None and reply.prompt.kind == "followup"
    iv._reload()
    grade = iv.record.answer_grades[iv.record.turns[0].id]
    assert grade.code is not None
    # the follow-up answered in words: judged on the words, never re-run as code
    reply = iv.respond("I would explain the complexity and the edge cases.")
    iv._reload()
    follow = iv.record.answer_grades[iv.record.turns[1].id]
    assert follow.code is None


def test_concepts_track_never_asks_a_coding_track_problem(rt):
    rt.ensure_index()
    iv = Interview.start(rt, Setup(track="concepts", questions=5, max_followups=0))
    seen = set()
    while not iv.finished:
        seen.add(iv.prompt.question_id)
        iv.respond("skip")
    assert not seen & {"py-two-sum", "sql-dept-top-salary"}


def test_terminal_interview_with_fenced_code_and_run(rt, corpus, tmp_path):
    home = tmp_path / "home"
    sql = TOP_SQL.replace("\n", " ")
    py = FAST_SUM
    # whichever problem comes first: fenced code with an empty line inside, /run, then submit
    answer = "\n".join(
        [
            "```",
            *py.splitlines()[:2],
            "",
            *py.splitlines()[2:],
            "```",
            "/run",
            "",
            "skip",
            "```",
            sql,
            "```",
            "/run",
            "",
            "end",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-m", "mockint.cli", "interview", "--track", "coding", "--questions", "2",
         "--followups", "0", "--grader", "offline", "--home", str(home), "--corpus", str(corpus)],
        input=answer, capture_output=True, text=True, cwd=REPO, timeout=300,
        env={**__import__("os").environ, "MOCKINT_JUDGE_MODEL": "overlap-fake", "MOCKINT_EMBEDDING": "hash"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "code between ``` lines" in out.stdout
    assert "examples: " in out.stdout and "pass" in out.stdout


def test_grade_command_runs_code_answers(corpus, tmp_path):
    rows = [
        {"id": "a", "question": "py-two-sum", "answer": FAST_SUM},
        {"id": "b", "question": "py-two-sum", "answer": WRONG_SUM},
    ]
    src = tmp_path / "answers.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "graded.jsonl"
    res = subprocess.run(
        [sys.executable, "-m", "mockint.cli", "grade", str(src), "-o", str(out), "--grader",
         "offline", "--home", str(tmp_path / "home"), "--corpus", str(corpus)],
        capture_output=True, text=True, cwd=REPO, timeout=300,
        env={**__import__("os").environ, "MOCKINT_JUDGE_MODEL": "overlap-fake", "MOCKINT_EMBEDDING": "hash"},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    graded = [json.loads(x) for x in out.read_text().splitlines()]
    assert graded[0]["tests"] == "Your code passes 2/2 examples and 4/4 hidden tests."
    assert json.loads(graded[1]["test_rows"]) and graded[0]["score"] > graded[1]["score"]


def test_problem_sources_load(tmp_path):
    assert {p.id for p in load_sources(FIXTURE)} == {"py-two-sum", "sql-dept-top-salary"}
