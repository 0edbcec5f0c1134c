import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from mockint.corpus.build import Curation, build_corpus, load_curation, parse_source, slugify
from mockint.corpus.schema import load_questions
from mockint.errors import CorpusError

QUESTIONS = REPO / "corpus" / "questions.jsonl"
SOURCE = REPO / "corpus" / "source" / "interview-questions.md"


@pytest.fixture(scope="module")
def corpus():
    return {q.id: q for q in load_questions(QUESTIONS)}


def test_corpus_size_and_rubrics(corpus):
    assert len(corpus) >= 200
    for q in corpus.values():
        assert q.references and q.references[0].markdown.strip()
        # a coding problem adds a point per kind of test (tests/test_coding_corpus.py)
        assert 3 <= len(q.key_points) <= (16 if q.problem else 8)
        assert any(k.weight == "essential" for k in q.key_points)
        assert all(k.probe for k in q.key_points)
        assert q.rubric == "curated"


def test_rebuild_is_byte_identical(tmp_path):
    out = tmp_path / "q.jsonl"
    subprocess.run(
        [sys.executable, "-m", "mockint.cli", "corpus", "build", "-o", str(out)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    assert out.read_bytes() == QUESTIONS.read_bytes()


# A dozen records checked exactly (id, section, question text, taxonomy, merges).
SPOT = [
    (
        "what-are-some-drawbacks-of-the-transformer",
        "Deep Learning",
        "What are some drawbacks of the Transformer?",
    ),
    ("what-is-active-learning", "Deep Learning", "What is active learning?"),
    ("dimensionality-reduction-techniques", "Deep Learning", None),
    ("small-file-and-big-file-problem-in-big-data", "Deep Learning", None),
    ("if-you-roll-a-dice-three-times-what-is-the-probability-to-get", "Deep Learning", None),
    ("order-of-execution-of-an-sql-query-in-detail", "Deep Learning", None),
    ("what-is-entropy-in-information-theory", "Deep Learning", None),
    ("what-are-l1-and-l2-regularization-what-are-the-differences", "Deep Learning", None),
    ("what-is-weight-tying-in-language-model", "NLP", "What is weight tying in language models?"),
    ("what-is-dummy-variable-trap-in-ml", "Machine Learning", None),
    ("what-is-redis", "Misc", "What is Redis?"),
    (
        "how-do-you-swap-two-numbers-without-a-temporary-variable",
        "Misc",
        "How do you swap two numbers without a temporary variable?",
    ),
]


@pytest.mark.parametrize("qid,section,question", SPOT)
def test_spot_check(corpus, qid, section, question):
    q = corpus[qid]
    assert q.section == section
    headline = q.question.split("\n\n", 1)[0]  # a coding problem's statement follows
    if question:
        assert headline == question
    assert headline.endswith("?")


def test_headings_that_are_not_questions_are_rewritten(corpus):
    q = corpus["dimensionality-reduction-techniques"]
    assert q.heading == "Dimensionality reduction techniques"
    assert q.question != q.heading and q.question.endswith("?")
    assert corpus["small-file-and-big-file-problem-in-big-data"].question.endswith("?")


def test_duplicates_are_merged_with_all_references(corpus):
    entropy = corpus["what-is-entropy-in-information-theory"]
    assert set(entropy.merged_ids) == {
        "what-is-entropy-in-information-theory-2",
        "what-is-entropy-information-theory",
    }
    assert len(entropy.references) == 3
    assert "active-learning" in corpus["what-is-active-learning"].merged_ids
    assert "what-is-the-difference-between-l1-and-l2-regularization-in" not in corpus
    for merged in (
        "what-is-the-difference-between-standardization-and-normalization-2",
        "what-is-the-difference-between-an-autoencoder-and-a-variational",
        "what-are-generative-and-discriminative-models",
    ):
        assert merged not in corpus


def test_taxonomy_and_types(corpus):
    sql = corpus["order-of-execution-of-an-sql-query-in-detail"]
    assert sql.type == "sql" and "sql" in sql.topics
    dice = corpus["if-you-roll-a-dice-three-times-what-is-the-probability-to-get"]
    assert dice.type == "probability-math" and "statistics-probability" in dice.topics
    assert corpus["how-do-you-swap-two-numbers-without-a-temporary-variable"].type == "coding"


def test_page_errors_are_noted(corpus):
    dice = corpus["if-you-roll-a-dice-three-times-what-is-the-probability-to-get"]
    assert dice.notes and "^3" in dice.notes
    assert "11/216" in " ".join(k.text for k in dice.key_points)
    pvalue = corpus["describe-briefly-the-hypothesis-testing-and-p-value-in-laymans"]
    assert pvalue.notes
    assert corpus["dimensionality-reduction-techniques"].notes  # ICA is not supervised


def test_reference_markdown_is_clean(corpus):
    text = "\n".join(q.reference_text for q in corpus.values())
    assert "\\\\(" not in text and "\\\\[" not in text and "\\[" not in text
    assert "var headings" not in text and "![](" not in text
    assert "$O(T^2 d)$" in corpus["what-are-some-drawbacks-of-the-transformer"].reference_text
    assert "```" in corpus["given-two-arrays-write-a-python-function-to-return-the"].reference_text
    assert "##### Pros" in corpus["popular-machine-learning-models-pros-and-cons"].reference_text


def test_parse_source_drops_toc_references_and_script():
    entries = parse_source(SOURCE.read_text(encoding="utf-8"))
    assert len(entries) == 211
    assert entries[0].id == "what-are-some-drawbacks-of-the-transformer"
    assert entries[-1].section == "Misc"
    assert all("var headings" not in e.markdown for e in entries)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("# Title\n\nno sections at all", "no questions found"),
        ("## Deep Learning\n\n### An empty one\n\n### Next?\n\nanswer", "has no answer text"),
        ("## Recipes\n\n### Pancakes?\n\nflour", "no questions found"),
    ],
)
def test_parser_rejects_malformed_input(text, needle):
    with pytest.raises(CorpusError, match=needle) as exc:
        parse_source(text, origin="page.md")
    assert "page.md" in str(exc.value)


def test_build_names_missing_and_bad_curation(tmp_path):
    entries = parse_source("## NLP\n\n### What is X?\n\nX is a thing.\n")
    with pytest.raises(CorpusError, match="no curation record"):
        build_corpus(entries, {})
    bad = Curation(
        id="what-is-x",
        topics=["cooking"],
        type="concept",
        difficulty=1,
        key_points=[{"text": "X is a thing", "probe": "What is it?"}] * 3,
    )
    with pytest.raises(CorpusError, match="topics"):
        build_corpus(entries, {"what-is-x": bad})
    (tmp_path / "a.yaml").write_text("- id: x\n  difficulty: 9\n")
    with pytest.raises(CorpusError, match="a.yaml"):
        load_curation(tmp_path)


def test_slugify_is_stable():
    assert slugify("What is Redis?") == "what-is-redis"
    assert len(slugify("word " * 40)) <= 64


def test_curation_files_are_valid_yaml_with_one_record_per_heading():
    ids = []
    for path in sorted((REPO / "corpus" / "curation").glob("*.yaml")):
        ids += [r["id"] for r in yaml.safe_load(path.read_text())]
    assert len(ids) == len(set(ids)) == 211
