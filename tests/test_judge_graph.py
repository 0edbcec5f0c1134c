"""The judgement model runs without the exporter's NaN guards, and that changes no output."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from mockint.judge.encoding import PairEncoder, batch_arrays
from mockint.judge.graph import drop_nan_guards, fast_graph
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


def test_the_shipped_graph_loses_its_guards_and_keeps_every_output():
    path = SHIPPED / "judge.onnx"
    slim = fast_graph(path)
    assert isinstance(slim, bytes)
    ops = [n.op_type for n in onnx.load_from_string(slim).graph.node]
    assert "IsNaN" not in ops
    assert "IsNaN" in [n.op_type for n in onnx.load(str(path)).graph.node]
    enc = PairEncoder(SHIPPED / "tokenizer.json")
    # one padded batch of pairs of very different lengths: padding is what the guards were for
    feed = batch_arrays([enc.pair(enc.head(q, p), enc.ids([a])[0]) for q, p, a in TRIPLES], enc.pad)
    assert feed["attention_mask"].min() == 0
    before = _session(str(path)).run(None, feed)[0]
    after = _session(slim).run(None, feed)[0]
    assert np.isfinite(after).all()
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)


def test_the_judge_loads_the_fast_graph():
    judge = OnnxJudge(SHIPPED / "judge.onnx", threads=1)
    plain = _session(str(SHIPPED / "judge.onnx"))
    enc = judge.encoder
    feed = batch_arrays([enc.pair(enc.head(q, p), enc.ids([a])[0]) for q, p, a in TRIPLES], enc.pad)
    np.testing.assert_allclose(
        judge.session.run(None, feed)[0], plain.run(None, feed)[0], rtol=0, atol=1e-6
    )
    assert "IsNaN" not in [
        n.op_type for n in onnx.load_from_string(fast_graph(SHIPPED / "judge.onnx")).graph.node
    ]


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
    assert drop_nan_guards(model) == 1
    assert [n.op_type for n in model.graph.node] == ["Softmax", "Relu"]
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
    assert fast_graph(path) == str(path)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a graph")
    assert fast_graph(broken) == str(broken)  # onnxruntime reports it when the session loads
