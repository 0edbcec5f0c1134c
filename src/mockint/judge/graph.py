"""Load the judgement model's ONNX graph without the exporter's NaN guards.

PyTorch exports BERT's attention with a guard after every softmax, ``Where(IsNaN(p), 0, p)``, for
rows where every key is masked. Our batches only mask padding *keys* and ``[CLS]`` is never masked,
so no row is ever all-masked, the guard never fires, and dropping it leaves every output the same
(``tests/test_judge_graph.py`` checks equality on padded batches). It is not free: it runs over
the (batch, 12 heads, tokens, tokens) attention tensor, and without it the model ran 115 pairs/s
against 83 with it in the same run (``bench/grading.md``). Graphs without the pattern load
unchanged.
"""

from __future__ import annotations

from pathlib import Path


def drop_nan_guards(model) -> int:
    """Remove every ``Where(IsNaN(x), c, x)`` from ``model`` (an ``onnx.ModelProto``) in place,
    wiring its consumers to ``x``; the tests and constants only the guards read go too. Returns
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
    return len(rename)


def fast_graph(path: Path) -> bytes | str:
    """What to hand ``onnxruntime.InferenceSession``: the serialized graph without NaN guards, or
    the path itself when it has none (or is not a graph ``onnx`` can read)."""
    import onnx

    try:
        model = onnx.load(str(path))
    except Exception:  # onnxruntime gives the better error for a broken file
        return str(path)
    if drop_nan_guards(model) == 0:
        return str(path)
    return model.SerializeToString()
