"""The judgement model's ONNX graph without the exporter's NaN guards.

PyTorch exports BERT's attention with a guard after every softmax, ``Where(IsNaN(p), 0, p)``, for
rows where every key is masked. Our batches only mask padding *keys* and ``[CLS]`` is never masked,
so no row is ever all-masked, the guard never fires, and dropping it leaves every output the same
(``tests/test_judge_graph.py``). It is not free: it runs over the (batch, 12 heads, tokens,
tokens) attention tensor, and without it the model ran 115 pairs/s against 83 with it in the same
run (``bench/grading.md`` at 0aa3ef8). ``make train-judge`` drops the guards when it exports
(``judge.onnx`` ships without them); ``fast_graph`` still drops them at load from a file exported
before that, and hands over a guard-free file untouched (no parse).
"""

from __future__ import annotations

from pathlib import Path


def drop_nan_guards(model) -> int:
    """Remove every ``Where(IsNaN(x), c, x)`` from ``model`` (an ``onnx.ModelProto``) in place,
    wiring its consumers to ``x``; the tests and constants only the guards read go too, and so do
    the shape records of the tensors that no longer exist. Returns
    how many guards were removed."""
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    outputs = {out.name for out in graph.output}
    rename: dict[str, str] = {}
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "Where" or len(node.input) != 3:
            continue
        test = producer.get(node.input[0])
        if test is None or test.op_type != "IsNaN" or test.input[0] != node.input[2]:
            continue
        if node.output[0] in outputs:  # renaming a graph output would change the model's API
            continue
        rename[node.output[0]] = node.input[2]
        dropped.add(id(node))
    if not rename:
        return 0
    kept = [n for n in graph.node if id(n) not in dropped]
    for node in kept:
        for i, name in enumerate(node.input):
            node.input[i] = rename.get(name, name)
    used = {name for node in kept for name in node.input} | outputs
    kept = [  # the guards' tests and constants, when nothing else reads them
        n
        for n in kept
        if n.op_type not in ("IsNaN", "Constant") or any(o in used for o in n.output)
    ]
    del graph.node[:]
    graph.node.extend(kept)
    alive = {name for node in kept for name in (*node.input, *node.output)}
    infos = [v for v in graph.value_info if v.name in alive]  # shapes of the tensors that went
    del graph.value_info[:]
    graph.value_info.extend(infos)
    return len(rename)


def add_nan_guards(model) -> int:
    """Put the exporter's guard, ``Where(IsNaN(p), 0, p)``, after every Softmax of ``model`` in
    place, as PyTorch exports attention (the benchmark and the tests compare against it); returns
    how many."""
    from onnx import helper

    graph, nodes, n = model.graph, [], 0
    for node in list(graph.node):
        nodes.append(node)
        if node.op_type != "Softmax":
            continue
        p, n = node.output[0], n + 1
        for other in graph.node:
            for i, name in enumerate(other.input):
                if name == p:
                    other.input[i] = f"{p}_guarded"
        nodes += [
            helper.make_node("IsNaN", [p], [f"{p}_nan"]),
            helper.make_node(
                "Constant", [], [f"{p}_zero"], value=helper.make_tensor("z", 1, [], [0.0])
            ),
            helper.make_node("Where", [f"{p}_nan", f"{p}_zero", p], [f"{p}_guarded"]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    return n


def has_nan_guards(data: bytes) -> bool:
    """Whether a serialized graph may hold guards (op type names are stored as plain strings, so a
    graph without ``IsNaN`` cannot have any; a byte search instead of a 23-MB parse)."""
    return b"IsNaN" in data


def fast_graph(model: Path | bytes) -> bytes | str:
    """What to hand ``onnxruntime.InferenceSession``: the serialized graph without NaN guards, the
    graph itself when it has none, or the path when it is not a graph ``onnx`` can read (so
    onnxruntime gives its own, better error)."""
    data = model if isinstance(model, bytes) else Path(model).read_bytes()
    if not has_nan_guards(data):
        return data  # no parse: onnx is not even imported
    import onnx

    try:
        parsed = onnx.load_from_string(data)
    except Exception:
        return data if isinstance(model, bytes) else str(model)
    if drop_nan_guards(parsed) == 0:
        return data
    return parsed.SerializeToString()
