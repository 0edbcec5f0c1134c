"""The sentence second look (``OfflineGrader.second_look``) on and off, same code and model: the
interview sets, all answers and those graded as text; the same with every pair judged in a batch of
its own; and how far a pair's probabilities move with what shares its int8 batch. Writes
eval/reports/second-look.md. Run from the repository root (about 8 minutes on 2 cores):

    .venv/bin/python eval/diagnostics/second_look.py
"""

from pathlib import Path

import numpy as np

from mockint.config import Config
from mockint.evaluation.datasets import task_for
from mockint.evaluation.protocol import load_specs
from mockint.grading.offline import OfflineGrader, premises
from mockint.judge.model import SHIPPED, OnnxJudge
from mockint.runtime import Runtime
from mockint.text import sentences

# (set, what the second look's choice has seen of it)
SETS = [
    ("concise-heldout", "chosen on it"),
    ("concise-heldout-2", "chosen on it"),
    ("interview-heldout-3", "chosen on it"),
    ("interview-heldout-4", "chosen on it"),
    ("interview-graded", "chosen on it; the model was trained on it"),
    ("interview-heldout-5", "written after the choice; two variants then tried on it, not adopted"),
    ("interview-heldout-6", "written and graded after the rule froze: held out"),
]


def _metrics(h: np.ndarray, p: np.ndarray) -> str:
    return f"{np.abs(h - p).mean():.2f} / {np.corrcoef(h, p)[0, 1]:.3f}"


def _scores(rt: Runtime, items: list, look: bool) -> np.ndarray:
    grader = rt.make_grader("offline")  # the product's grader (coding problems run as code)
    off = OfflineGrader.second_look
    if not look:
        OfflineGrader.second_look = lambda self, task, clean: {}
    try:
        rt.judge._cache.clear()
        out = []
        for s in range(0, len(items), 32):
            out += grader.grade_many([task_for(it) for it in items[s : s + 32]])
    finally:
        OfflineGrader.second_look = off
    return np.array([g.score for g in out])


def _rows(rt: Runtime, batch_size: int) -> list[str]:
    rt.judge.batch_size = batch_size
    out = []
    for name, seen in SETS:
        _, items = load_specs([f"eval/datasets/{name}.jsonl:mockint"], rt.by_id)[0]
        h = np.array([it.human for it in items])
        text = np.array([not (it.question and it.question.problem) for it in items])
        off, on = _scores(rt, items, False), _scores(rt, items, True)
        cells = [f"{_metrics(h, off)} → {_metrics(h, on)}"]
        cells.append(
            f"{_metrics(h[text], off[text])} → {_metrics(h[text], on[text])} ({text.sum()})"
            if not text.all()
            else "(all)"
        )
        out.append(f"| {name} | {len(items)} | {seen} | " + " | ".join(cells) + " |")
    return out


def _batch_noise(rt: Runtime, n: int = 20) -> tuple[float, float]:
    """Largest probability change of a pair judged alone against beside its answer's other key
    points: (the answer's first sentence, the whole answer), over ``n`` answers of slice 5."""
    judge = OnnxJudge(SHIPPED / "judge.onnx", cache_size=0)
    _, items = load_specs(["eval/datasets/interview-heldout-5.jsonl:mockint"], rt.by_id)[0]
    worst = [0.0, 0.0]
    for it in items[:n]:
        ps = [p.text for p in premises(it.question)]
        for k, text in enumerate((sentences(it.answer)[0], it.answer)):
            together = judge._run([(it.question_text, p, text) for p in ps])
            alone = np.array([judge._run([(it.question_text, p, text)])[0] for p in ps])
            worst[k] = max(worst[k], float(np.abs(together - alone).max()))
    return worst[0], worst[1]


def main() -> None:
    rt = Runtime(Config.load(judge_model="packaged"))
    head = [
        "| set | n | what the choice saw | all: MAE / Pearson, look off → on | graded as text "
        "(n): off → on |",
        "|---|---|---|---|---|",
    ]
    noise = _batch_noise(rt)
    out = [
        "# The sentence second look, on and off",
        "",
        "Shipped judgement model, the product's grader (`make_grader('offline')`; coding-round "
        "problems graded by running their code), same code with `second_look` switched off. Sets "
        "the look was chosen on are in-sample for it; the model was trained on `interview-graded`.",
        "",
        "## The judge's batches as shipped (one batch per (question, answer), up to 16 pairs)",
        "",
        *head,
        *_rows(rt, 16),
        "",
        "## Every pair in a batch of its own",
        "",
        *head,
        *_rows(rt, 1),
        "",
        "## How far a pair moves with its batch-mates (int8 activations, one scale per batch)",
        "",
        f"Over 20 answers of interview-heldout-5, each key point judged alone against beside the "
        f"answer's other key points: largest probability change {noise[0]:.3f} for the answer's "
        f"first sentence, {noise[1]:.3f} for the whole answer.",
    ]
    Path("eval/reports/second-look.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
