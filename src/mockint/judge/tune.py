"""Tune the judgement model on whole answers (``make tune-judge``): the second training stage.

``make train-judge`` teaches the model per key point (pairs whose status a writer or a dataset
marked). The product, though, turns the statuses into a score by the rubric's arithmetic
(``scoring.arithmetic``), and measured against human grades the per-point model errs in one
direction per kind of answer: a correct but thin answer gets too little credit on the points it
states, a fluent wrong one too much (README, "Known limits"). This stage fine-tunes the model so
that the arithmetic over its judgements of an answer's key points lands on the human's 0-10 grade,
while it keeps learning the per-point labels (every step also holds pairs of ``data.all_pairs``,
with ``train``'s loss), so a status keeps meaning what it says.

It starts from an int8 ``judge.onnx`` (by default the shipped one) whose weights it dequantises
into the PyTorch model ``train.build_model`` builds, trains on the answers of the human-graded
interview sets named by ``--sets`` (the sets not named stay held out), and exports int8 as
``train`` does. Seeds are fixed (whether a re-run gives the same file was not checked).

    python -m mockint.judge.tune --out build/judge-tuned --sets interview-graded,concise-heldout

Tried and not shipped: the sets it was tuned on improved, the held-out slices hardly moved
(``eval/reports/tuned-judge.md``, by the rule in ``eval/diagnostics/tuned_judge.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mockint.errors import InputFileError, MockintError
from mockint.judge.data import REPO, Pair, _lines, all_pairs
from mockint.judge.encoding import PairEncoder, batch_arrays
from mockint.judge.model import SHIPPED, model_card
from mockint.judge.train import (
    _loss,
    _optimizer,
    _schedule,
    allowed_mask,
    build_model,
    encode_pairs,
    export,
    sha256,
)
from mockint.search.embedding import packaged_minilm_path

TUNE = {
    "epochs": 2,
    "answers_per_step": 4,
    "pairs_per_step": 8,
    "lr": 2e-5,
    "weight_decay": 0.01,
    "warmup": 0.1,
    "dropout": 0.1,
    "score_weight": 4.0,
    "autocast": "bf16",
}
DATASETS = REPO / "eval" / "datasets"


@dataclass(frozen=True)
class Graded:
    """One human-graded answer with the premises the grader asks about it."""

    id: str
    question: str
    answer: str  # as the grader judges it (instructions, asides and repeats dropped)
    premises: tuple[str, ...]
    essential: tuple[bool, ...]
    human: float  # 0-10


def dequantised_state(onnx_path: Path) -> dict[str, np.ndarray]:
    """The float weights of an int8 ``judge.onnx`` (``quantize_dynamic``, per channel), named as
    ``train.build_model``'s parameters: each MatMulInteger's weight is found through the bias its
    result is added to; the embedding tables and the float initialisers keep their names."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(str(onnx_path)).graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    users: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)

    def deq(name: str) -> np.ndarray:  # per channel (the last axis) or per tensor: both broadcast
        q = init[name + "_quantized"].astype(np.float32)
        return (q - init[name + "_zero_point"].astype(np.float32)) * init[name + "_scale"]

    state = {
        k: v for k, v in init.items() if k.startswith(("bert.", "head.")) and v.dtype == np.float32
    }
    for n in g.node:
        if n.op_type != "MatMulInteger":
            continue
        out, bias = n.output[0], None
        for _ in range(4):  # MatMulInteger -> Cast -> Mul (scales) -> Add (bias)
            nxt = users.get(out, [])
            if not nxt:
                break
            bias = next((i for i in nxt[0].input if i.endswith(".bias") and i in init), None)
            if bias:
                break
            out = nxt[0].output[0]
        if bias is None:
            raise ValueError(f"no bias found after {n.name} in {onnx_path}")
        state[bias[: -len("bias")] + "weight"] = deq(n.input[1][: -len("_quantized")]).T
    for emb in ("word", "position", "token_type"):
        name = f"bert.embeddings.{emb}_embeddings.weight"
        state[name] = deq(name)
    return {k: v for k, v in state.items() if not k.endswith(("_scale", "_zero_point"))}


def load_model(onnx_path: Path, dropout: float):
    """``train.build_model`` with the weights of ``onnx_path``; every parameter the forward pass
    uses must be found (BERT's pooler is not used: the head reads the mean of the tokens)."""
    import torch

    model = build_model(packaged_minilm_path(), dropout)
    state = {
        k: torch.from_numpy(np.array(v, dtype=np.float32))
        for k, v in dequantised_state(onnx_path).items()
    }
    own = dict(model.named_parameters())
    missing = sorted(k for k in set(own) - set(state) if not k.startswith("bert.pooler."))  # unused
    if missing:
        raise ValueError(f"{onnx_path}: no weights for {missing[:5]}")
    model.load_state_dict(state, strict=False)
    return model


def graded_answers(names: list[str], corpus: dict) -> list[Graded]:
    """The answers of the named ``eval/datasets`` sets (the mockint format: question_id, answer,
    score 0-10), each with its question's premises as the offline grader asks them."""
    from mockint.grading.hygiene import is_non_answer, judged_text
    from mockint.grading.offline import premises

    out = []
    for name in names:
        path = DATASETS / f"{name}.jsonl"
        for n, r in _lines(path):
            missing = [k for k in ("id", "answer", "score") if k not in r]
            if missing:
                raise InputFileError(
                    f"a graded answer without {', '.join(missing)}",
                    where=f"{path}:{n}",
                    fix="give every line id, question_id, answer and score (0-10)",
                )
            q = corpus.get(r.get("question_id"))
            clean = judged_text(r["answer"])
            if q is None or q.problem or is_non_answer(clean):
                continue  # coding answers and non-answers are not judged by the model
            ps = premises(q)
            if not ps:
                continue
            out.append(
                Graded(
                    r["id"],
                    r.get("question") or q.question,
                    clean,
                    tuple(p.text for p in ps),
                    tuple(p.weight == "essential" for p in ps),
                    float(r["score"]),
                )
            )
    return out


def arithmetic_score(probs, essential):
    """``scoring.arithmetic`` on one answer's premise probabilities, differentiable (torch)."""
    import torch

    credit = probs[:, 0] + 0.5 * probs[:, 1]
    ess = torch.tensor(essential)
    if not ess.any():
        ess = torch.ones_like(ess)
    e = credit[ess].mean()
    s = credit[~ess].mean() if (~ess).any() else e
    return 10.0 * (2.0 * e + s) / 3.0


def _answer_loss(model, enc: PairEncoder, graded: list[Graded], autocast: bool):
    """Mean squared error, on the 0-1 scale, between the arithmetic over each answer's judged
    premises and the human grade; every answer's pairs go through the model in one batch."""
    import torch

    losses = []
    for g in graded:
        pairs = [Pair("", "", g.question, p, g.answer, (0,)) for p in g.premises]
        arrays = {
            k: torch.from_numpy(v)
            for k, v in batch_arrays(encode_pairs(enc, pairs), enc.pad).items()
        }
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logits = model(**arrays)
        probs = torch.softmax(logits.float(), dim=-1)
        losses.append(((arithmetic_score(probs, g.essential) - g.human) / 10.0) ** 2)
    return torch.stack(losses).mean()


def tune(model, graded: list[Graded], pairs: list[Pair], *, seed: int = 0, log=print, **overrides):
    """Fine-tune ``model`` in place: each step ``answers_per_step`` graded answers (score loss,
    weighted ``score_weight``) and ``pairs_per_step`` labelled pairs (``train``'s loss)."""
    import torch

    hp = {**TUNE, **overrides}
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    enc = PairEncoder(packaged_minilm_path() / "tokenizer.json")
    rng = random.Random(seed)
    n_a, n_p = hp["answers_per_step"], hp["pairs_per_step"]
    plan = []
    for _ in range(hp["epochs"]):
        order = list(range(len(graded)))
        rng.shuffle(order)
        plan += [order[s : s + n_a] for s in range(0, len(order), n_a)]
    extra = [rng.sample(range(len(pairs)), n_p) for _ in plan]
    opt = _optimizer(model, hp)
    total, warm = len(plan), max(1, int(hp["warmup"] * len(plan)))
    sched = _schedule(opt, total, warm)
    autocast = hp["autocast"] == "bf16"
    model.train()
    t0, run_a, run_p = time.time(), 0.0, 0.0
    for step, (idx, pidx) in enumerate(zip(plan, extra), start=1):
        la = _answer_loss(model, enc, [graded[i] for i in idx], autocast)
        chosen = [pairs[i] for i in pidx]
        arrays = {
            k: torch.from_numpy(v)
            for k, v in batch_arrays(encode_pairs(enc, chosen), enc.pad).items()
        }
        weights = torch.tensor([p.weight for p in chosen], dtype=torch.float32)
        lp = _loss(model, arrays, torch.tensor(allowed_mask(chosen)), weights, autocast)
        (hp["score_weight"] * la + lp).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        run_a = 0.95 * run_a + 0.05 * la.item() if step > 1 else la.item()
        run_p = 0.95 * run_p + 0.05 * lp.item() if step > 1 else lp.item()
        if step % 25 == 0 or step == total:
            log(
                f"step {step}/{total}: score rmse {10 * run_a**0.5:.2f} pts, pair loss {run_p:.3f} "
                f"({time.time() - t0:.0f} s)"
            )
    model.eval()
    return enc, {
        "steps": total,
        "seconds": round(time.time() - t0, 1),
        "hyperparameters": hp,
        "seed": seed,
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m mockint.judge.tune", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "--out", type=Path, required=True, help="folder for judge.onnx, tokenizer.json, meta.json"
    )
    ap.add_argument(
        "--start", type=Path, default=SHIPPED / "judge.onnx", help="the int8 model to start from"
    )
    ap.add_argument(
        "--sets",
        required=True,
        help="comma-separated eval/datasets names whose answers it trains on (the rest stay held out)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=TUNE["epochs"])
    ap.add_argument("--lr", type=float, default=TUNE["lr"])
    ap.add_argument(
        "--score-weight",
        type=float,
        default=TUNE["score_weight"],
        help="weight of the whole-answer score loss against the per-pair loss",
    )
    ap.add_argument(
        "--limit", type=int, default=0, help="tune on a seeded sample of N answers (smoke runs)"
    )
    return ap.parse_args(argv)


def _names(args: argparse.Namespace) -> list[str]:
    """The sets to tune on, after checking that they and the start model exist."""
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [n for n in names if not (DATASETS / f"{n}.jsonl").is_file()]
    if unknown or not names:
        sys.exit(
            f"error: no eval/datasets/{(unknown or [''])[0]}.jsonl (--sets takes names from "
            "eval/datasets, comma-separated)"
        )
    if not args.start.is_file():
        sys.exit(
            f"error: no model file {args.start} (--start takes an int8 judge.onnx, such as the "
            "shipped src/mockint/params/judge/judge.onnx)"
        )
    return names


def _meta(args: argparse.Namespace, names: list[str], graded: list[Graded], info, quant) -> dict:
    """meta.json: the start model's format and training, then what this stage did."""
    start = model_card(args.start.parent)
    where = args.start.relative_to(REPO) if args.start.is_relative_to(REPO) else args.start
    return {
        **{
            k: start[k]
            for k in ("labels", "format", "q_max", "p_max", "max_len", "base")
            if k in start
        },
        "started_from": {
            "file": str(where),
            "sha256": sha256(args.start),
            "trained_on": start.get("trained_on"),
            "training": start.get("training"),
        },
        "tuned_on": {
            "sets": names,
            "answers": len(graded),
            "questions": len({g.question for g in graded}),
        },
        "tuning": info,
        "int8_check": quant,
        "sha256": sha256(args.out / "judge.onnx"),
        "size_bytes": (args.out / "judge.onnx").stat().st_size,
    }


def main(argv: list[str] | None = None) -> None:
    from mockint.corpus.schema import load_questions

    args = _arguments(argv)
    names = _names(args)
    corpus = {q.id: q for q in load_questions(REPO / "corpus" / "questions.jsonl")}
    try:
        graded = graded_answers(names, corpus)
    except MockintError as e:
        sys.exit(f"error: {e}")
    if args.limit:
        graded = random.Random(args.seed).sample(graded, min(args.limit, len(graded)))
    pairs = all_pairs(corpus)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    log(
        f"tuning {args.start} on {len(graded)} graded answers of {names}, {len(pairs)} labelled pairs"
    )
    try:
        model = load_model(args.start, TUNE["dropout"])
    except (ValueError, KeyError) as e:
        sys.exit(
            f"error: {args.start} is not an int8 judgement model this stage can read ({e}); "
            "start from one that make train-judge wrote"
        )
    hp = {"epochs": args.epochs, "lr": args.lr, "score_weight": args.score_weight}
    enc, info = tune(model, graded, pairs, seed=args.seed, log=log, **hp)
    quant = export(model, enc, args.out, random.Random(args.seed + 2).sample(pairs, 600), log=log)
    meta = _meta(args, names, graded, info, quant)
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {args.out / 'judge.onnx'} ({meta['size_bytes'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
