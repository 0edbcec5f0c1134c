"""The shipped judgement model's per-answer features on every human-graded interview set it was
not trained on (the held-out slices, the swap and flip sets), saved for the score forms'
diagnostic (``eval/diagnostics/score_forms.py``; the probe sets it grades whole):

    .venv/bin/python eval/diagnostics/slice_rows.py [SET ...]   (about 3 minutes on 2 cores)

Per answer: the set, id, question id, human score, level,
whether the question is a coding-round problem (its answers are graded by running code, so no
text score form applies), the feature row, the guard context and the shipped score."""

import pickle
import sys
from pathlib import Path

from sets import HELD_OUT_SLICES

from mockint.config import Config
from mockint.evaluation.datasets import task_for
from mockint.evaluation.protocol import load_specs
from mockint.grading.guards import apply_guards
from mockint.grading.offline import guard_context
from mockint.runtime import Runtime

OTHER_SETS = [
    "swaps-heldout",
    "swaps-heldout-2",
    "flips-heldout",
]
OUT = Path("build/slice-rows.pkl")


def rows_of(rt, grader, name: str) -> list[dict]:
    _, items = load_specs([f"eval/datasets/{name}.jsonl:mockint"], rt.by_id)[0]
    out = []
    for s in range(0, len(items), 32):
        chunk = items[s : s + 32]
        tasks = [task_for(it) for it in chunk]
        for it, t, j in zip(chunk, tasks, grader.judgements(tasks)):
            row = dict(
                set=name,
                id=it.id,
                question_id=t.question.id if t.question else None,
                human=it.human,
                level=it.level,
                code=bool(t.question is not None and t.question.problem is not None),
                x=None,
                ctx=None,
                shipped=0.0,
            )
            if j is not None:
                row["x"] = grader.row(t, j)
                row["ctx"] = guard_context(t, j)
                row["shipped"] = apply_guards(
                    float(grader.score_map.predict(row["x"])[0]), row["ctx"]
                )[0]
            out.append(row)
    return out


def main(names: list[str]) -> None:
    rt = Runtime(Config.load())
    grader = rt.offline_grader()
    data = pickle.loads(OUT.read_bytes()) if OUT.exists() else {}
    for n in names:
        data[n] = rows_of(rt, grader, n)
        print(n, len(data[n]), flush=True)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_bytes(pickle.dumps(data))


if __name__ == "__main__":
    main(sys.argv[1:] or HELD_OUT_SLICES + OTHER_SETS)
