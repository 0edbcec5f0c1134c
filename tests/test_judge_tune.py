"""The second training stage (``mockint.judge.tune``): whole answers scored by the rubric's
arithmetic against human grades."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mockint.errors import InputFileError
from mockint.judge.model import SHIPPED, OnnxJudge

pytestmark = pytest.mark.slow


def test_the_dequantised_weights_judge_as_the_int8_file_does():
    import torch

    from mockint.judge.data import Pair
    from mockint.judge.encoding import PairEncoder, batch_arrays
    from mockint.judge.train import encode_pairs
    from mockint.judge.tune import load_model

    q = "How does L1 regularization affect the weights?"
    kp = "L1 drives some weights exactly to zero, giving sparse models."
    answers = [
        "Many weights end up exactly at zero with L1, so the model is sparse.",
        "I would tune the learning rate and train longer.",
        "It adds the absolute values of the weights to the loss.",
        "L2 shrinks weights smoothly; L1 pushes small ones all the way to zero.",
    ]
    pairs = [Pair("", "", q, kp, a, (0,)) for a in answers]
    model = load_model(SHIPPED / "judge.onnx", 0.1).eval()
    enc = PairEncoder(SHIPPED / "tokenizer.json")
    arrays = {
        k: torch.from_numpy(v) for k, v in batch_arrays(encode_pairs(enc, pairs), enc.pad).items()
    }
    with torch.no_grad():
        ours = torch.softmax(model(**arrays), -1).numpy()
    shipped = OnnxJudge(SHIPPED / "judge.onnx").predict([(q, kp, a) for a in answers])
    # the int8 file also quantises activations, so probabilities differ a little (a near tie
    # can flip: the last answer, entailed against not addressed); a wrong weight would not be close
    assert (ours.argmax(1)[:3] == shipped.argmax(1)[:3]).all()
    assert np.abs(ours - shipped).mean() < 0.05, (ours, shipped)


def test_the_training_score_is_the_graders_arithmetic():
    import torch

    from mockint.grading.scoring import Point, arithmetic, features
    from mockint.judge.tune import arithmetic_score

    rng = np.random.default_rng(0)
    for essential in [(True, True, False), (True, False, False, False), (False, False), (True,)]:
        p = rng.dirichlet(np.ones(4), size=len(essential))
        points = [
            Point(f"k{i}", "essential" if e else "supporting", tuple(map(float, row)))
            for i, (e, row) in enumerate(zip(essential, p))
        ]
        want = float(arithmetic(features(points))[0])
        got = float(arithmetic_score(torch.tensor(p, dtype=torch.float32), essential))
        assert got == pytest.approx(want, abs=1e-4)


def test_graded_answers_drop_non_answers_and_questions_without_premises(fake_runtime):
    from mockint.judge.tune import graded_answers

    rows = graded_answers(["concise-heldout-7"], fake_runtime.by_id)
    assert 60 <= len(rows) <= 72  # coding answers and non-answers are left out
    assert all(r.premises and len(r.premises) == len(r.essential) for r in rows)
    assert all(0 <= r.human <= 10 for r in rows)


@pytest.mark.timeout(900)
def test_tuning_runs_end_to_end_and_its_export_loads(tmp_path):
    from mockint.judge.tune import main

    main(
        [
            "--out",
            str(tmp_path / "t"),
            "--sets",
            "concise-heldout-7",
            "--limit",
            "4",
            "--epochs",
            "1",
        ]
    )
    meta = json.loads((tmp_path / "t" / "meta.json").read_text())
    assert meta["tuned_on"]["answers"] == 4 and meta["tuned_on"]["sets"] == ["concise-heldout-7"]
    assert meta["int8_check"]["same_status"] >= 0.9
    p = OnnxJudge(tmp_path / "t" / "judge.onnx").predict([("q", "a premise", "an answer")])
    assert p.shape == (1, 4) and abs(float(p.sum()) - 1) < 1e-4


def test_an_unknown_set_is_refused_with_the_fix(tmp_path, capsys):
    from mockint.judge.tune import main

    with pytest.raises(SystemExit) as e:
        main(["--out", str(tmp_path / "t"), "--sets", "no-such-set"])
    assert "no eval/datasets/no-such-set.jsonl" in str(e.value) and "--sets" in str(e.value)
    assert not (tmp_path / "t").exists()


def _refused(out, start) -> str:
    from mockint.judge.tune import main

    with pytest.raises(SystemExit) as e:
        main(["--out", str(out), "--sets", "concise-heldout-7", "--start", str(start)])
    assert not out.exists()
    return str(e.value)


def test_a_missing_or_foreign_start_model_is_refused_with_the_fix(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    said = _refused(tmp_path / "t", tmp_path / "x.onnx")
    assert "no model file" in said and "--start" in said
    graph = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["b"])],
        "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])],
    )
    onnx.save(helper.make_model(graph), str(tmp_path / "other.onnx"))
    said = _refused(tmp_path / "t", tmp_path / "other.onnx")
    assert "not an int8 judgement model" in said and "make train-judge" in said


def test_a_broken_graded_set_is_refused_with_where_and_the_fix(tmp_path, monkeypatch, fake_runtime):
    import mockint.judge.tune as tune

    (tmp_path / "bad.jsonl").write_text(
        '{"id": "a", "question_id": "q", "answer": "x", "score": 5}\n{"id": "b", "answer": "y"}\n'
    )
    monkeypatch.setattr(tune, "DATASETS", tmp_path)
    with pytest.raises(InputFileError) as e:
        tune.graded_answers(["bad"], fake_runtime.by_id)
    assert "bad.jsonl:2" in str(e.value) and "score" in str(e.value)
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(SystemExit) as e:
        tune.main(["--out", str(tmp_path / "t"), "--sets", "bad"])
    assert "bad.jsonl:1" in str(e.value) and "invalid JSON" in str(e.value)
