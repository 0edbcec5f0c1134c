"""MiniLM through onnxruntime: the same weights and vectors as sentence-transformers, less overhead.

``load_or_export(model_dir, onnx_dir, load_torch)`` returns an ``OnnxEncoder`` for the
sentence-transformers folder: it exports the transformer once (``torch.onnx``, needs the
``onnx`` package) into ``onnx_dir/<model>-<hash>/``, stores the PyTorch vectors of a few
probe sentences beside it, and on every load checks the ONNX vectors against them. Mean
pooling over the attention mask and L2 normalisation follow, as in the model's own
``modules.json`` (Transformer → Pooling(mean) → Normalize). Any failure returns None
with the reason on stderr, and the caller stays on PyTorch.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

PROBES = [
    "Regularization adds a penalty on large weights.",
    "What is a p-value?",
    "Gradient boosting fits each new tree to the residuals of the ensemble so far, one after another.",
]
MIN_COS = 0.9999


class OnnxEncoder:
    def __init__(self, onnx_path: Path, model_dir: Path, max_length: int):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = os.cpu_count() or 2
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(onnx_path), opts, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.max_length = max_length
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        order = sorted(
            range(len(texts)), key=lambda i: len(texts[i])
        )  # similar lengths share a batch
        out = np.zeros((len(texts), 384), np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = self.tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            feed = {
                k: enc[k].astype(np.int64)
                for k in ("input_ids", "attention_mask", "token_type_ids")
                if k in self.inputs
            }
            hidden = self.session.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            vec = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            out[idx] = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
        return out


def _fingerprint(model_dir: Path) -> str:
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        p = model_dir / name
        if p.exists():
            st = p.stat()
            h.update(f"{name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:12]


def _export(st_model, target: Path) -> None:
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    auto = st_model[0].auto_model.eval()
    enc = st_model.tokenizer(PROBES[:2], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # the exporter's notes on opset details; the result is checked below
        torch.onnx.export(
            Hidden(auto),
            tuple(enc[n] for n in names),
            str(tmp),
            input_names=names,
            output_names=["last_hidden_state"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["last_hidden_state"]},
        )
    tmp.replace(target)


def load_or_export(
    model_dir: Path, onnx_dir: Path, load_torch: Callable[[], object]
) -> OnnxEncoder | None:
    folder = onnx_dir / f"{model_dir.name}-{_fingerprint(model_dir)}"
    onnx_path, probe_path = folder / "model.onnx", folder / "probes.json"
    try:
        if not (onnx_path.exists() and probe_path.exists()):
            st = load_torch()
            folder.mkdir(parents=True, exist_ok=True)
            _export(st, onnx_path)
            ref = st.encode(
                PROBES, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            probe_path.write_text(
                json.dumps({"max_length": int(st.max_seq_length), "vectors": ref.tolist()})
            )
        probes = json.loads(probe_path.read_text())
        encoder = OnnxEncoder(onnx_path, model_dir, probes["max_length"])
        cos = (encoder.encode(PROBES) * np.array(probes["vectors"], np.float32)).sum(1)
        if float(cos.min()) < MIN_COS:
            raise ValueError(f"ONNX vectors differ from PyTorch's (cosine {float(cos.min()):.5f})")
        return encoder
    except Exception as exc:
        print(
            f"mockint: using PyTorch for embeddings (ONNX unavailable: {type(exc).__name__}: {exc})",
            file=sys.stderr,
        )
        return None
