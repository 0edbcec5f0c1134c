"""The judgement model runs without the exporter's NaN guards, and that changes no output."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from mockint.errors import ConfigError
from mockint.judge.encoding import PairEncoder, batch_arrays
from mockint.judge.graph import add_nan_guards, drop_nan_guards, fast_graph, has_nan_guards
from mockint.judge.model import SHIPPED, OnnxJudge

TRIPLES = [
    ("What is overfitting?", "The model fits noise in the training data", "It memorises noise."),
    (
        "What is overfitting?",
        "It does well on training data and badly on new data",
        "A model that overfits has a low training error but a high test error, because it "
        "learned the quirks of its sample. Regularisation, more data and early stopping help. "
        "Cross-validation shows it.",
    ),
    ("Why scale features?", "Gradient descent converges faster", "No idea."),
    ("x", "y", "z"),
]


def _session(model: bytes | str) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def _feed(enc: PairEncoder) -> dict:
    """One padded batch of pairs of very different lengths: padding is what the guards were for."""
    feed = batch_arrays([enc.pair(enc.head(q, p), enc.ids([a])[0]) for q, p, a in TRIPLES], enc.pad)
    assert feed["attention_mask"].min() == 0
    return feed


def test_the_shipped_graph_has_no_guards_and_they_would_change_no_output():
    path = SHIPPED / "judge.onnx"
    shipped = onnx.load(str(path))
    assert "IsNaN" not in [n.op_type for n in shipped.graph.node]  # exported without them
    assert not has_nan_guards(path.read_bytes())  # not even a shape record of one: no parse
    assert fast_graph(path) == path.read_bytes()  # loaded as it is, no rewrite
    guarded = onnx.load(str(path))
    assert add_nan_guards(guarded) == 6  # one per attention layer
    onnx.checker.check_model(guarded)
    feed = _feed(PairEncoder(SHIPPED / "tokenizer.json"))
    before = _session(guarded.SerializeToString()).run(None, feed)[0]
    after = _session(str(path)).run(None, feed)[0]
    assert np.isfinite(after).all()
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)
    # a file exported with them (before make train-judge dropped them) loses them at load
    slim = fast_graph(guarded.SerializeToString())
    assert "IsNaN" not in [n.op_type for n in onnx.load_from_string(slim).graph.node]
    np.testing.assert_allclose(_session(slim).run(None, feed)[0], before, rtol=0, atol=1e-6)


def test_the_judge_loads_the_shipped_graph_checked_against_its_card(tmp_path):
    judge = OnnxJudge(SHIPPED / "judge.onnx", threads=1)
    plain = _session(str(SHIPPED / "judge.onnx"))
    feed = _feed(judge.encoder)
    np.testing.assert_allclose(
        judge.session.run(None, feed)[0], plain.run(None, feed)[0], rtol=0, atol=1e-6
    )
    # a damaged copy is refused with the file named, not graded with
    folder = tmp_path / "judge"
    folder.mkdir()
    for f in ("meta.json", "tokenizer.json"):
        (folder / f).write_bytes((SHIPPED / f).read_bytes())
    data = bytearray((SHIPPED / "judge.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "judge.onnx").write_bytes(bytes(data))
    with pytest.raises(ConfigError) as e:
        OnnxJudge(folder / "judge.onnx", threads=1)
    assert "sha256" in str(e.value) and str(folder / "judge.onnx") in str(e.value)
    # without a card (a folder being written) nothing is checked; a file that is no graph is
    # refused by onnxruntime, and the error names the file
    (folder / "meta.json").unlink()
    (folder / "judge.onnx").write_bytes(b"not a graph")
    with pytest.raises(ConfigError) as e:
        OnnxJudge(folder / "judge.onnx", threads=1)
    assert "cannot be loaded" in str(e.value) and str(folder / "judge.onnx") in str(e.value)
    (folder / "judge.onnx").unlink()
    with pytest.raises(ConfigError, match="cannot be read"):
        OnnxJudge(folder / "judge.onnx", threads=1)


def _guarded(consumer: str) -> onnx.ModelProto:
    """x -> Softmax -> Where(IsNaN(p), 0, p) -> consumer (Relu, or the graph output itself)."""
    nodes = [
        helper.make_node("Softmax", ["x"], ["p"], axis=-1),
        helper.make_node("IsNaN", ["p"], ["nan"]),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", 1, [1], [0.0])),
        helper.make_node("Where", ["nan", "zero", "p"], ["guarded"]),
    ]
    out = "guarded"
    if consumer == "Relu":
        nodes.append(helper.make_node("Relu", ["guarded"], ["y"]))
        out = "y"
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [2, 3])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_a_guard_inside_the_graph_goes_with_its_test_and_constant():
    model = _guarded("Relu")
    model.graph.value_info.extend(
        [helper.make_tensor_value_info(x, t, [2, 3]) for x, t in (("nan", 9), ("p", 1))]
    )
    assert drop_nan_guards(model) == 1
    assert [n.op_type for n in model.graph.node] == ["Softmax", "Relu"]
    assert [v.name for v in model.graph.value_info] == ["p"]  # the guard's test went with it
    onnx.checker.check_model(model)
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    y = _session(model.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(y.sum(axis=1), [1.0, 1.0], rtol=1e-6)


def test_a_guard_on_the_output_or_no_guard_leaves_the_graph_alone(tmp_path):
    model = _guarded("output")
    assert drop_nan_guards(model) == 0
    assert len(model.graph.node) == 4
    path = tmp_path / "plain.onnx"
    onnx.save(model, str(path))
    assert fast_graph(path) == path.read_bytes()
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"IsNaN but not a graph")
    assert fast_graph(broken) == str(broken)  # onnxruntime reports it when the session loads


def test_loading_the_shipped_judge_never_parses_the_graph():
    """A guard-free file goes to onnxruntime as it is: ``onnx`` (0.4 s to import) is not loaded."""
    import subprocess
    import sys

    code = (
        "import sys; from mockint.judge.model import SHIPPED, OnnxJudge; "
        "OnnxJudge(SHIPPED / 'judge.onnx', threads=1); print('onnx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
