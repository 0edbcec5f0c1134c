"""A wheel built from the checkout carries what an installed mockint needs: the corpus, the
prompts, the judgement model and the score mapping; a grade runs from it, away from the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_wheel_grades_without_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    wheel = next(dist.glob("mockint-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "mockint/_data/corpus/questions.jsonl",
        "mockint/_data/corpus/coding/problems.jsonl",
        "mockint/_data/prompts/grade.yaml",
        "mockint/_data/prompts/grade-compact.yaml",
        "mockint/_data/prompts/interviewer.yaml",
        "mockint/params/score-map.json",
        "mockint/params/judge/judge.onnx",
        "mockint/params/judge/tokenizer.json",
        "mockint/params/judge/meta.json",
    ):
        assert needed in names, needed
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        json.dumps(
            {
                "question": "what-are-l1-and-l2-regularization-what-are-the-differences",
                "answer": "L1 adds absolute weights and makes some exactly zero; L2 adds "
                "squared weights and shrinks them.",
            }
        )
        + "\n"
        + json.dumps(  # a coding answer: the installed sandbox and problems run it
            {
                "question": "how-do-you-swap-two-numbers-without-a-temporary-variable",
                "answer": "```python\ndef swap(a, b):\n    a, b = b, a\n    return a, b\n```",
            }
        )
        + "\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKINT_", "OPENAI_"))}
    env.update(
        PYTHONPATH=str(site),
        MOCKINT_HOME=str(tmp_path / "home"),
        MOCKINT_LLM="none",
        MOCKINT_LOCAL_MODEL="off",
        HF_HUB_OFFLINE="1",
    )
    code = (
        "import sys, mockint.cli; print(mockint.cli.__file__); from mockint.cli import main; "
        "sys.argv = ['mockint', 'grade', sys.argv[1], '-o', sys.argv[2], '--grader', 'offline']; main()"
    )
    out = tmp_path / "graded.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", code, str(answers), str(out)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[0].startswith(str(site))  # the installed copy, not the checkout
    row, code_row = (json.loads(x) for x in out.read_text().splitlines())
    assert row["error"] == "" and row["grader"] == "offline" and 0 < row["score"] <= 10
    assert code_row["error"] == "" and "examples" in code_row["tests"], code_row
