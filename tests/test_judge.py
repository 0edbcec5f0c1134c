"""The judgement model: the pair layout and windows, the training data's label sets, a smoke
training run (a few pairs, one epoch: the script works end to end and its int8 export loads), and
the shipped model's card and behaviour on clear cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mockint.judge.data import SEMEVAL_ALLOWED, keypoint_pairs, keypoint_records, mohler_allowed
from mockint.judge.encoding import MAX_LEN, PairEncoder, batch_arrays
from mockint.judge.model import SHIPPED, OnnxJudge, model_card, softmax
from mockint.search.embedding import packaged_minilm_path


@pytest.fixture(scope="module")
def enc():
    return PairEncoder(packaged_minilm_path() / "tokenizer.json")


def test_pair_layout_question_premise_answer(enc):
    head = enc.head("What is L1?", "L1 adds absolute weights.")
    e = enc.pair(head, enc.ids(["It gives sparse weights."])[0])
    assert (
        e.input_ids[0] == enc.cls and e.input_ids.count(enc.sep) == 3 and e.input_ids[-1] == enc.sep
    )
    assert set(e.token_type_ids[: len(head)]) == {0} and set(e.token_type_ids[len(head) :]) == {1}
    assert len(e.input_ids) <= MAX_LEN


def test_a_long_answer_is_cut_into_windows_at_sentence_ends(enc):
    answer = " ".join(
        f"Sentence number {i} says something about weights and losses." for i in range(60)
    )
    windows = enc.windows(answer, 100)
    assert len(windows) > 3 and all(len(w) <= 100 for w in windows)
    assert sum(len(w) for w in windows) == len(enc.ids([answer])[0])  # nothing lost
    assert enc.windows("Short answer.", 100) == [enc.ids(["Short answer."])[0]]


def test_coarse_labels_allow_several_statuses():
    assert SEMEVAL_ALLOWED["incorrect"] == (1, 3) and SEMEVAL_ALLOWED["contradictory"] == (2,)
    assert mohler_allowed(5.0) == (0,) and mohler_allowed(1.0) == (2, 3)


def _judged_points(q, record) -> list:
    """The key points a record makes pairs for: all of them; a coding-round problem's explanation
    points only, and none when the record names none of them (written for an older rubric)."""
    if q.problem is None:
        return list(q.key_points)
    points = [k for k in q.key_points if not k.id.startswith("tests-")]
    return points if any(k.id in record["statuses"] for k in points) else []


def test_our_key_point_labels_cover_every_point_of_every_record(fake_runtime):
    records = keypoint_records()
    assert len(records) >= 1400
    by_id = fake_runtime.by_id
    pairs = keypoint_pairs(records, by_id)
    real = [p for p in pairs if p.source == "keypoints"]
    assert len(real) == sum(len(_judged_points(by_id[r["question_id"]], r)) for r in records)
    assert {p.allowed for p in real} == {(0,), (1,), (2,), (3,)}
    tests = {
        k.text
        for q in by_id.values()
        if q.problem
        for k in q.key_points
        if k.id.startswith("tests-")
    }
    assert tests and not {p.premise for p in real} & tests  # a test point is run, never judged
    old = [
        r
        for r in records
        if by_id[r["question_id"]].problem and not _judged_points(by_id[r["question_id"]], r)
    ]
    assert len(old) == 42  # written for the page rubric the coding round replaced: skipped


def test_a_problem_record_must_label_every_explanation_point(fake_runtime, tmp_path):
    from mockint.errors import InputFileError

    q = next(q for q in fake_runtime.by_id.values() if q.problem)
    explain = [k.id for k in q.key_points if not k.id.startswith("tests-")]
    row = {"question_id": q.id, "answer": "I'd glue the table to itself.", "score": 6}
    (tmp_path / "a.jsonl").write_text(
        json.dumps({**row, "statuses": {k: "entailed" for k in explain}}) + "\n"
    )
    pairs = keypoint_pairs(keypoint_records(tmp_path), fake_runtime.by_id, negatives=0)
    assert [p.premise for p in pairs] == [k.text for k in q.key_points if k.id in explain]
    (tmp_path / "a.jsonl").write_text(
        json.dumps({**row, "statuses": {explain[0]: "entailed"}}) + "\n"
    )
    with pytest.raises(InputFileError) as e:
        keypoint_pairs(keypoint_records(tmp_path), fake_runtime.by_id)
    assert "a.jsonl:1" in str(e.value) and explain[1] in str(e.value)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_training_runs_end_to_end_and_its_export_loads(tmp_path):
    from mockint.judge.train import main

    main(["--out", str(tmp_path / "j"), "--limit", "48", "--epochs", "1"])
    meta = json.loads((tmp_path / "j" / "meta.json").read_text())
    assert meta["trained_on"]["pairs"] == 48 and meta["int8_check"]["same_status"] >= 0.9
    p = OnnxJudge(tmp_path / "j" / "judge.onnx").predict([("q", "a premise", "an answer")])
    assert p.shape == (1, 4) and abs(float(p.sum()) - 1) < 1e-4


@pytest.mark.slow
def test_the_shipped_model_has_its_card():
    from mockint.judge.train import sha256

    card = model_card(SHIPPED)
    assert card["sha256"] == sha256(SHIPPED / "judge.onnx") and card["fold"] == -1
    assert (SHIPPED / "MODEL_CARD.md").exists()


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known limit (README): a flat negation of the key point is read as 'partly', not "
    "'contradicted'; strict, so a model that fixes it turns this red",
)
def test_the_shipped_model_tells_a_statement_its_negation_and_an_off_topic_answer_apart():
    judge = OnnxJudge(SHIPPED / "judge.onnx")
    q = "How does L1 regularization affect the weights?"
    kp = "L1 drives some weights exactly to zero, giving sparse models."
    p = judge.predict(
        [
            (q, kp, "Many weights end up exactly at zero with L1, so the model is sparse."),
            (q, kp, "L1 never sets any weight to zero; it only shrinks them a little."),
            (q, kp, "I would tune the learning rate and train longer."),
        ]
    )
    assert np.argmax(p[0]) == 0 and np.argmax(p[1]) == 2 and np.argmax(p[2]) == 3


def test_model_card_is_written_from_the_model_and_the_reports(tmp_path):
    import json
    import shutil

    from mockint.judge import card

    model = tmp_path / "judge"
    model.mkdir()
    shutil.copy(card.MODEL / "meta.json", model / "meta.json")
    text = card.render(model, tmp_path / "no-reports")
    meta = json.loads((model / "meta.json").read_text())
    assert meta["sha256"] in text and "CC BY-SA 3.0" in text and "Dzikovska" in text
    assert "Filighera" in text and "Not measured yet" in text
    card.main(["--model", str(model), "--reports", str(tmp_path)])
    assert (model / "MODEL_CARD.md").read_text().startswith("# The judgement model")


def test_an_answer_is_judged_the_same_alone_in_a_batch_and_as_a_follow_up(tmp_path):
    """The int8 model's activation scale is per batch; the judge batches one answer's pairs only."""
    from dataclasses import replace

    from mockint.config import Config
    from mockint.grading.schema import GradingTask
    from mockint.runtime import Runtime
    from mockint.search.embedding import HashEmbedder

    rt = Runtime(Config.load(home=tmp_path, judge_model="packaged"), embedder=HashEmbedder())
    grader, judge = rt.offline_grader(), rt.judge
    rows = [
        json.loads(line)
        for line in Path("eval/datasets/concise-heldout-2.jsonl").read_text().splitlines()[:6]
    ]
    tasks = [GradingTask(r["question"], r["answer"], rt.by_id[r["question_id"]]) for r in rows]

    def probs(g):
        return {k.id: k.probs for k in g.key_points}

    judge._cache.clear()
    alone = grader.grade(tasks[0])
    judge._cache.clear()
    batched = grader.grade_many(tasks[::-1])[-1]  # behind five other answers
    assert batched.score == alone.score and probs(batched) == probs(alone)
    ids = tuple(k.id for k in alone.key_points[:2])
    judge._cache.clear()
    follow_up = grader.grade(replace(tasks[0], only_key_points=ids))
    assert probs(follow_up) == {i: probs(alone)[i] for i in ids}
    # why it matters: the same pairs in one batch with other answers' pairs come out different
    enc, triples = judge.encoder, []
    for t in tasks:
        triples += [(t.question_text, k.text, t.answer) for k in t.question.key_points]
    judge._cache.clear()
    grouped = judge.predict(triples)
    feed = batch_arrays([enc.pair(enc.head(q, p), enc.ids([a])[0]) for q, p, a in triples], enc.pad)
    mixed = softmax(judge.session.run(None, feed)[0].astype(np.float32))
    assert np.abs(grouped - mixed).max() > 1e-3


def test_a_cached_result_is_only_reused_for_the_same_batch():
    """A pair judged beside other premises comes out different from the pair judged alone; the
    cache keeps them apart, so what an earlier call asked never changes a later answer's numbers."""
    judge = OnnxJudge(SHIPPED / "judge.onnx")
    q = "What are L1 and L2 regularization, and how do they differ?"
    answer = "L1 adds the absolute weights to the loss and makes some weights exactly zero."
    one = (
        q,
        "L1 regularization drives some weights to exactly zero, giving sparse models.",
        answer,
    )
    two = (q, "L2 regularization adds the sum of squared weights to the loss.", answer)
    alone = judge.predict([one])[0]
    both = judge.predict([one, two])
    assert np.abs(both[0] - alone).max() > 1e-4  # the batch matters (int8 scale per batch)
    assert np.array_equal(judge.predict([one])[0], alone)  # not the value it had beside `two`
    assert np.array_equal(judge.predict([two, one]), both[::-1])
    fresh = OnnxJudge(SHIPPED / "judge.onnx")
    assert np.array_equal(fresh.predict([one])[0], alone)


ISA_SCRIPT = """
import json, sys
from mockint.judge.model import shipped_judge
triples = json.loads(sys.stdin.read())
print(json.dumps(shipped_judge().predict([tuple(t) for t in triples]).tolist()))
"""
ISA_TRIPLES = [
    (
        "What is overfitting?",
        "The model fits noise in the training data and generalises poorly.",
        "Overfitting is when a model memorises the training set, noise included, so it does badly "
        "on new data.",
    ),
    (
        "How much VRAM is required to load a 7B LLM?",
        "In fp16 each parameter takes 2 bytes, so about 14 GB for the weights.",
        "In half precision each parameter is two bytes, so about 14 gigs. If you quantize it to "
        "4-bit you can get it much smaller.",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("cpu", ["Haswell", "Skylake-Server"])
def test_the_same_answer_gets_the_same_judgement_on_a_cpu_without_vnni(cpu):
    """int8 kernels differ by CPU: without VNNI (AVX2; AVX-512 before Cascade Lake) onnxruntime's
    fast U8S8 product saturates and moved these probabilities by up to 0.05. The judge asks for
    the exact kernel, so a CPU without VNNI (emulated by qemu's user mode, which CI installs) gives
    what this machine gives."""
    import shutil
    import subprocess
    import sys

    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        pytest.skip("qemu-x86_64 (Debian's qemu-user) is not installed; .ci/run installs it")
    here = OnnxJudge(SHIPPED / "judge.onnx").predict(ISA_TRIPLES)
    res = subprocess.run(
        [qemu, "-cpu", cpu, sys.executable, "-c", ISA_SCRIPT],
        input=json.dumps(ISA_TRIPLES),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    there = np.array(json.loads(res.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(there, here, atol=1e-5)


@pytest.mark.parametrize("needed", [True, False])
def test_the_exact_int8_kernel_is_asked_for_only_where_the_cpu_needs_it(monkeypatch, needed):
    """Where the fast kernel is exact (VNNI) the setting only costs time (bench/grading.md)."""
    import mockint.judge.model as model

    monkeypatch.setattr(model, "exact_int8_needed", lambda: needed)
    opts = OnnxJudge(SHIPPED / "judge.onnx").session.get_session_options()
    try:
        entry = opts.get_session_config_entry("session.x64quantprecision")
    except Exception:  # onnxruntime raises for an entry that was never set
        entry = None
    assert (entry == "1") is needed
