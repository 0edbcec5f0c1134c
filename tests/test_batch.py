"""`mockint grade` on files, offline (hash embedder) and through a fake OpenAI server."""

import csv
import json

import pytest
from fakeopenai import FakeOpenAI
from typer.testing import CliRunner

from mockint.cli import app

runner = CliRunner()
QID = "what-are-l1-and-l2-regularization-what-are-the-differences"
QTEXT = "What are L1 and L2 regularization, and what are the differences between the two?"


@pytest.fixture
def fast_env(home, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    return home


def write_csv(path, rows, header=("id", "question", "answer", "reference")):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_offline_batch_with_error_rows_and_resume(tmp_path, fast_env):
    src = tmp_path / "answers.csv"
    write_csv(
        src,
        [
            (
                "a1",
                QID,
                "L1 adds absolute weights and gives sparsity; L2 adds squared weights.",
                "",
            ),
            ("a2", QTEXT, "L2 shrinks weights smoothly.", ""),
            ("a3", "What is the capital of the moon?", "Cheese city.", ""),
            (
                "a4",
                "Name a sorting algorithm",
                "Merge sort",
                "Merge sort, quicksort and heap sort are common.",
            ),
            ("a5", QID, "", ""),
            ("a6", QID, "x" * 30_000, ""),
        ],
    )
    out = tmp_path / "graded.jsonl"
    res = runner.invoke(app, ["grade", str(src), "-o", str(out), "--grader", "offline"])
    assert res.exit_code == 2, res.output  # one error row (the 30k answer)
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["a1"]["question_id"] == QID and 0 <= rows["a1"]["score"] <= 10
    assert (
        rows["a2"]["question_id"] == QID and rows["a2"]["match_similarity"] > 0.6
    )  # free text matched
    assert rows["a3"]["verdict"] == "ungradable" and "reference_not_found" in rows["a3"]["flags"]
    assert rows["a4"]["question_id"] == "row-a4"  # graded against its own reference
    assert rows["a5"]["verdict"] == "no_answer"
    assert "limit" in rows["a6"]["error"]
    summary = out.with_suffix(".summary.md").read_text()
    assert "1 errors" in summary and out.with_suffix(".hist.png").exists()
    res = runner.invoke(app, ["grade", str(src), "-o", str(out), "--grader", "offline"])
    assert "5 already done" in res.output


def test_broken_lines_and_csv_output(tmp_path, fast_env):
    src = tmp_path / "answers.jsonl"
    src.write_text(
        json.dumps({"question": QID, "answer": "L1 gives sparse weights."})
        + "\n{broken\n"
        + json.dumps({"question": QID, "answer": "<script>alert(1)</script> L2 squares weights 😀"})
        + "\n"
    )
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["grade", str(src), "-o", str(out), "--grader", "offline"])
    assert res.exit_code == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 3 and "invalid JSON" in rows[1]["error"]
    assert rows[2]["answer"].startswith("<script>") and rows[2]["score"] != ""


def test_missing_column_is_a_clear_error(tmp_path, fast_env):
    src = tmp_path / "bad.csv"
    src.write_text("q,a\nx,y\n")
    res = runner.invoke(app, ["grade", str(src)])
    assert res.exit_code != 0 and "header lacks column" in str(res.exception)


def test_llm_grader_needs_a_backend(tmp_path, fast_env):
    src = tmp_path / "a.csv"
    write_csv(src, [("a1", QID, "answer text here", "")])
    res = runner.invoke(app, ["grade", str(src), "--grader", "llm"])
    assert res.exit_code != 0 and "OPENAI_API_KEY" in str(res.exception)


def test_hybrid_batch_through_an_openai_compatible_server(
    tmp_path, fast_env, monkeypatch, fake_runtime
):
    server = FakeOpenAI()
    try:
        q = fake_runtime.by_id[QID]
        good = json.dumps(
            {
                "key_points": [
                    {"id": k.id, "status": "covered", "quote": "L1"} for k in q.key_points
                ],
                "incorrect_claims": [],
                "feedback_good": "ok",
                "feedback_add": "",
            }
        )
        server.script = [{"content": good}, {"status": 500}, {"status": 500}, {"status": 500}]
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-never-shown-123")
        monkeypatch.setenv("MOCKINT_LLM_TIMEOUT", "2")
        src = tmp_path / "a.csv"
        write_csv(
            src,
            [
                ("a1", QID, "L1 adds absolute weights; L2 squares them.", ""),
                ("a2", QID, "L1 is lasso and L2 is ridge.", ""),
            ],
        )
        out = tmp_path / "g.jsonl"
        res = runner.invoke(app, ["grade", str(src), "-o", str(out), "--concurrency", "1"])
        assert res.exit_code == 0, res.output
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert rows[0]["grader"] == "hybrid" and "llm_failed_fallback" not in rows[0]["flags"]
        assert "llm_failed_fallback" in rows[1]["flags"]
        secret = "sk-never-shown-123"
        assert secret not in res.output and secret not in out.read_text()
        for f in fast_env.rglob("*"):
            if f.is_file():
                assert secret.encode() not in f.read_bytes(), f
    finally:
        server.close()


def test_eval_with_an_llm_grader_through_the_server(tmp_path, fast_env, monkeypatch):
    from conftest import FIXTURES

    server = FakeOpenAI()
    try:

        def judge_all_missing(n):
            return [
                {
                    "content": json.dumps(
                        {
                            "key_points": [
                                {"id": f"kp{i}", "status": "missing", "quote": ""}
                                for i in range(1, 9)
                            ]
                        }
                    )
                }
            ] * n

        server.script = judge_all_missing(3) + [{"status": 500}] * 30
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        out = tmp_path / "rep"
        res = runner.invoke(
            app,
            [
                "eval",
                "--dataset",
                str(FIXTURES / "mockint-mini.jsonl"),
                "--grader",
                "llm",
                "--limit",
                "4",
                "--no-probes",
                "--out",
                str(out),
                "--model",
                "judge-x",
                "--protocol",
                "shipped",
            ],
        )
        assert res.exit_code == 0, res.output
        data = json.loads(next(out.glob("*.json")).read_text())
        assert data["grader"] == "llm judge-x" and data["metrics"]["n"] == 4
    finally:
        server.close()


def test_grade_gives_a_stated_core_idea_the_floor_and_a_term_list_none(
    tmp_path, fast_env, fake_runtime
):
    """`mockint grade`: an answer that states one essential point and stops scores at least the
    floor (5.5, the scale's "core idea right but thin"); the same point's words as a bare comma list
    get the rubric's arithmetic, flagged ``term_list``."""
    from mockint.grading.detectors import content_words

    point = next(k for k in fake_runtime.by_id[QID].key_points if k.weight == "essential")
    src = tmp_path / "answers.csv"
    write_csv(
        src,
        [
            ("said", QID, f"In short: {point.text}", ""),
            ("list", QID, ", ".join(dict.fromkeys(content_words(point.text))), ""),
        ],
    )
    out = tmp_path / "graded.jsonl"
    res = runner.invoke(app, ["grade", str(src), "-o", str(out), "--grader", "offline"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["said"]["score"] >= 5.5 and "term_list" not in rows["said"]["flags"]
    assert rows["list"]["score"] < 5.5 and "term_list" in rows["list"]["flags"]


def test_a_free_text_row_is_judged_in_the_corpus_wording(tmp_path, fast_env, monkeypatch):
    """A row whose question is free text matched to a corpus question is judged by the model in the
    corpus question's wording (the one its key points were written for and the model was trained
    on); the output keeps the row's own text. A row with its own reference keeps its own question."""
    from mockint.config import Config
    from mockint.corpus.schema import load_questions
    from mockint.judge.model import OverlapJudge

    corpus = load_questions(Config.load(home=fast_env).corpus)
    corpus_text = next(q.question for q in corpus if q.id == QID)
    asked = "L1 and L2 regularization: what are they, and what are the differences between the two?"
    seen: list[str] = []
    real = OverlapJudge.predict

    def spy(self, triples):
        seen.extend(t[0] for t in triples)
        return real(self, triples)

    monkeypatch.setattr(OverlapJudge, "predict", spy)
    src = tmp_path / "answers.csv"
    write_csv(
        src,
        [
            (
                "free",
                asked,
                "L1 adds absolute weights and gives sparsity; L2 adds squared ones.",
                "",
            ),
            ("own", "Name a sorting algorithm", "Merge sort", "Merge sort and quicksort."),
        ],
    )
    out = tmp_path / "graded.jsonl"
    res = runner.invoke(app, ["grade", str(src), "-o", str(out), "--grader", "offline"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["free"]["question_id"] == QID and rows["free"]["question"] == asked
    assert set(seen) == {corpus_text, "Name a sorting algorithm"}


def test_a_question_in_shorthand_is_matched(tmp_path, fast_env):
    """`mockint grade` on a row typed in practitioners' shorthand: it is spelled out before the
    question is matched, so the row is graded against the corpus question, not `ungradable`."""
    src = tmp_path / "answers.csv"
    write_csv(
        src, [("bp", "How does backprop work in a NN?", "The chain rule, layer by layer.", "")]
    )
    out = tmp_path / "graded.jsonl"
    res = runner.invoke(app, ["grade", str(src), "-o", str(out), "--grader", "offline"])
    assert res.exit_code == 0, res.output
    row = json.loads(out.read_text().splitlines()[0])
    assert row["question_id"] == "how-does-backpropagation-work-in-a-neural-network", row
    assert row["question"] == "How does backprop work in a NN?" and row["verdict"] != "ungradable"
