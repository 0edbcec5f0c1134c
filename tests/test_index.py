import pytest
from conftest import REPO

from mockint.corpus.schema import load_questions
from mockint.errors import SearchIndexError
from mockint.search.embedding import HashEmbedder
from mockint.search.index import CorpusIndex, chunk_reference


@pytest.fixture(scope="module")
def small_corpus():
    return load_questions(REPO / "corpus" / "questions.jsonl")[:12]


def test_build_is_incremental(tmp_path, small_corpus):
    idx = CorpusIndex(HashEmbedder(), tmp_path / "chroma", model="hash-fake")
    first = idx.build(small_corpus)
    assert first.added > 12 and first.unchanged == 0
    again = CorpusIndex(HashEmbedder(), tmp_path / "chroma", model="hash-fake").build(small_corpus)
    assert again.added == again.updated == 0 and again.unchanged == first.added
    changed = [
        small_corpus[0].model_copy(update={"question": "A new wording of the first question?"})
    ]
    third = idx.build(changed + small_corpus[1:])
    assert third.updated == 1 and third.added == 0
    fewer = idx.build(small_corpus[:6])
    assert fewer.deleted > 0


def test_search_filters_and_exclusions(tmp_path, small_corpus):
    idx = CorpusIndex(HashEmbedder(), tmp_path / "chroma", model="hash-fake")
    idx.build(small_corpus)
    q = small_corpus[3]
    hits = idx.search(q.question, k=3)
    assert hits[0].qid == q.id and hits[0].similarity > 0.9
    assert all(h.qid != q.id for h in idx.search(q.question, k=3, exclude=[q.id]))
    topic = q.topics[0]
    for h in idx.search("anything at all", k=5, topics=[topic]):
        assert topic in next(x for x in small_corpus if x.id == h.qid).topics


def test_empty_index_says_how_to_fix(tmp_path):
    with pytest.raises(SearchIndexError, match="mockint index"):
        CorpusIndex(HashEmbedder(), tmp_path / "chroma", model="hash-fake").search("x")


def test_corrupt_store_is_rebuilt(tmp_path, small_corpus):
    path = tmp_path / "chroma"
    CorpusIndex(HashEmbedder(), path, model="hash-fake").build(small_corpus)
    for f in path.glob("*.sqlite3"):
        f.write_bytes(b"this is not a database" * 100)
    report = CorpusIndex(HashEmbedder(), path, model="hash-fake").build(small_corpus)
    assert report.rebuilt_from_corrupt and report.added > 0
    assert list(tmp_path.glob("chroma.corrupt-*"))


def test_chunking_keeps_text_and_limits_size():
    md = "- " + "word " * 300 + ".\n- short point here"
    chunks = chunk_reference(md, max_chars=500)
    assert all(len(c) <= 500 for c in chunks) and chunks[-1].endswith("short point here")


@pytest.mark.slow
def test_real_model_and_real_chroma(real_runtime):
    hits = real_runtime.index.search(
        "GAN generator collapses to a few modes and produces the same samples", k=3
    )
    assert "what-is-mode-collapse-in-gans" in [h.qid for h in hits]
    hits = real_runtime.index.search("SQL clause order of evaluation", k=3, topics=["sql"])
    assert hits[0].qid == "order-of-execution-of-an-sql-query-in-detail"
    vecs = real_runtime.index.vectors()
    assert len(next(iter(vecs.values()))) == 384


def test_a_server_builds_a_missing_index_in_a_child_process(tmp_path, monkeypatch):
    """``mockint ui`` on a fresh data dir: the embedding of the corpus happens in a child process
    (whose memory is returned when it ends), and the server then finds the index built."""
    from mockint.config import Config
    from mockint.runtime import Runtime

    def no_build_here(*args, **kwargs):
        raise AssertionError("the server process built the index itself")

    monkeypatch.setattr(CorpusIndex, "build", no_build_here)
    rt = Runtime(Config.load(home=tmp_path, embedding_model="hash-fake"))
    said = []
    index = rt.ready_index_apart(say=said.append)
    assert index.count() > 100 and said == [
        "building the index (first run, in a separate process)…"
    ]
    said.clear()
    assert (
        Runtime(Config.load(home=tmp_path, embedding_model="hash-fake"))
        .ready_index_apart(say=said.append)
        .count()
        == index.count()
        and said == []
    )  # built: nothing to do
