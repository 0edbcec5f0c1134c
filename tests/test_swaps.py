"""Two compared things swapped (``grading/swaps.py``): the lexical check, then the grade."""

import pytest

from mockint.grading.schema import GradingTask
from mockint.grading.swaps import candidates, compared, contrast_pairs, swapped_points

Q = "What is the difference between supervised and unsupervised learning?"
POINT = (
    "Supervised learning trains on labeled input-output pairs to predict a target for new inputs."
)
PAIRS = [("supervised", "unsupervised")]


def test_the_compared_pair_comes_from_the_question_or_two_parallel_key_points():
    assert compared(Q) == ("supervised", "unsupervised")
    assert compared("Compare the Pearson and Spearman correlation coefficients.") == (
        "Pearson",
        "Spearman",
    )
    assert compared("What is dropout?") is None
    three = [
        "Batch gradient descent uses all data.",
        "Stochastic gradient descent uses one.",
        "Mini-batch gradient descent uses a few.",
    ]
    assert contrast_pairs("Explain the three kinds of gradient descent.", three) == []


def test_a_point_stated_of_the_other_thing_is_a_candidate_and_a_contrast_is_not():
    swapped = "Unsupervised learning trains on labeled input-output pairs to predict new targets."
    assert candidates(swapped, Q, [POINT], PAIRS) == {POINT: swapped}
    # within one sentence, cut at "while"
    both = "Unsupervised learning trains on labeled pairs to predict targets, while supervised finds clusters."
    assert candidates(both, Q, [POINT], PAIRS) == {
        POINT: "Unsupervised learning trains on labeled pairs to predict targets"
    }
    for fine in (
        # a contrast: what the other one lacks
        "Supervised needs labels. Unsupervised learning has no labeled pairs to predict targets from.",
        # the other name only at the end, after the point's words
        "Labeled input-output pairs train a model to predict targets, which is what we call not unsupervised.",
        # the answer says it of the right one as well, as fully
        "Supervised learning trains on labeled pairs to predict targets. Unsupervised learning trains on "
        "unlabeled data instead.",
    ):
        assert candidates(fine, Q, [POINT], PAIRS) == {}, fine


def test_the_model_must_agree_that_the_clause_states_the_point():
    swapped = "Unsupervised learning trains on labeled input-output pairs to predict new targets."
    asked = []

    def states(pairs):
        asked.extend(pairs)
        return [0.2]

    assert swapped_points(swapped, Q, [POINT], states) == {}
    assert asked == [(POINT, swapped)]
    assert swapped_points(swapped, Q, [POINT], lambda pairs: [0.9]) == {POINT: swapped}
    assert swapped_points("Dropout drops units.", "What is dropout?", [POINT], states) == {}


RIGHT = (
    "Supervised learning trains on labeled input-output pairs so it can predict the label of new inputs, "
    "as in classification or regression. Unsupervised learning gets no labels and finds structure in "
    "the data itself, such as clusters or a lower-dimensional representation."
)
SWAPPED = (
    RIGHT.replace("Supervised", "@")
    .replace("Unsupervised", "Supervised")
    .replace("@", "Unsupervised")
)


@pytest.mark.slow
def test_a_swapped_answer_is_graded_as_contradicting_the_point_and_quoted(real_runtime):
    grader = real_runtime.offline_grader()
    q = real_runtime.by_id["what-is-the-difference-between-supervised-and-unsupervised"]
    right, swapped = grader.grade_many(
        [GradingTask(question_text=q.question, answer=a, question=q) for a in (RIGHT, SWAPPED)]
    )
    assert right.score >= 6 and "contradiction" not in right.flags
    assert swapped.score <= 3 and "contradiction" in swapped.flags
    first = swapped.key_points[0]
    assert first.status == "contradicted" and first.evidence == SWAPPED.split(". ")[0] + "."
    assert "Got wrong" in swapped.feedback_add


@pytest.mark.slow
def test_mockint_grade_marks_the_swapped_answer(tmp_path, home, monkeypatch):
    """What a user of ``mockint grade`` sees: the swapped answer capped and flagged, the point it
    states of the other thing marked contradicted with the clause as its quote."""
    import csv
    import json

    from typer.testing import CliRunner

    from mockint.cli import app

    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    monkeypatch.setenv("MOCKINT_JUDGE_MODEL", "packaged")
    qid = "what-is-the-difference-between-supervised-and-unsupervised"
    src, out = tmp_path / "answers.csv", tmp_path / "graded.jsonl"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("id", "question", "answer"))
        w.writerows([("right", qid, RIGHT), ("swapped", qid, SWAPPED)])
    res = CliRunner().invoke(app, ["grade", str(src), "-o", str(out), "--grader", "offline"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["right"]["score"] >= 6 and "contradiction" not in rows["right"]["flags"]
    assert rows["swapped"]["score"] <= 3 and "contradiction" in rows["swapped"]["flags"]
    first = json.loads(rows["swapped"]["key_points"])[0]  # a JSON string: the row is flat for CSV
    assert first["status"] == "contradicted" and first["evidence"].startswith(
        "Unsupervised learning"
    )


def test_more_question_shapes_give_the_pair_and_brackets_give_abbreviations():
    from mockint.grading.swaps import compared_all

    assert compared("Are multicollinearity and correlation the same?") == (
        "multicollinearity",
        "correlation",
    )
    assert compared("Define tuples and lists in Python. What are the differences?") == (
        "tuples",
        "lists",
    )
    # what kind of thing a side is does not name it
    assert compared(
        "What is the difference between a model that minimizes squared error and one that "
        "minimizes absolute error?"
    ) == ("squared", "absolute")
    assert compared_all(
        "What is the difference between an autoencoder (AE) and a variational autoencoder (VAE)?"
    ) == [("AE", "variational"), ("AE", "VAE")]
    # "pros and cons" compares nothing; a long clause is not the name of a thing
    assert compared("Explain bagging. What are the pros and cons of it?") is None
    assert compared("How do you handle missing values in a large dataset and outliers?") is None


def test_a_clause_that_may_name_the_points_own_thing_is_not_a_swap():
    """Key points "Multi-head attention ..." and "Dot-product attention ...": a list naming dot-product
    attention and "several heads" states multi-head attention of itself, not of dot-product."""
    points = [
        "Multi-head attention runs several attentions in parallel on different learned projections.",
        "Dot-product attention scores queries against keys with a scaled dot product.",
    ]
    pairs = contrast_pairs("Explain attention.", points)
    assert pairs == [("Multi-head", "Dot-product")]
    answer = "The dot-product kind is used in Transformers, running several heads in parallel on projections."
    assert candidates(answer, "Explain attention.", points, pairs) == {}
    assert (
        swapped_points(answer, "Explain attention.", points, lambda asked: [0.9] * len(asked)) == {}
    )


def test_a_key_point_that_sets_one_thing_against_the_other_is_not_checked():
    """ "Self-attention handles any length, whereas a dense layer needs a fixed input size": a clause
    about the fully connected layer's fixed size states that point rightly."""
    q = "Both a fully-connected layer and a self-attention layer allow all-to-all interactions. Why attention?"
    point = (
        "Self-attention handles variable-length inputs naturally, whereas a dense layer needs a "
        "fixed input size with padding or truncation."
    )
    answer = "A fully connected layer has a fixed input size, so you pad or truncate the inputs."
    assert swapped_points(answer, q, [point], lambda asked: [0.9] * len(asked)) == {}
