"""Offline grading speed with the judgement model: single-answer latency (five-sentence answers
against questions with six key points) and batch throughput, beside the raw judgement model
running the very same (question, premise, answer) pairs in the same run, once as the grader loads it
and once as PyTorch exports it (with the NaN guards ``make train-judge`` drops).

Nothing of an answer is cached (the judge's pair cache is emptied before each timed grade: a
candidate's answer is new text). Writes bench/grading.{json,md}.

    .venv/bin/python bench/grading.py
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, percentile, write

from mockint.config import Config
from mockint.grading.offline import premises
from mockint.grading.schema import GradingTask
from mockint.judge.graph import fast_graph
from mockint.judge.model import SHIPPED, OnnxJudge, exact_int8_needed, read_model
from mockint.runtime import Runtime
from mockint.text import sentences

DATA = Path(__file__).resolve().parents[1] / "eval" / "datasets"
TARGET_P50_MS, TARGET_BATCH = 60, 30


def _answers(rt: Runtime) -> tuple[list[GradingTask], list[GradingTask]]:
    """(five-sentence answers to six-point questions, every answer of our graded set)."""
    rows = [
        json.loads(x)
        for x in (DATA / "interview-graded.jsonl").read_text().splitlines()
        if x.strip()
    ]
    rows += [
        json.loads(x)
        for f in sorted((DATA / "judge-train").glob("*.jsonl"))
        for x in f.read_text().splitlines()
        if x.strip()
    ]
    tasks = [
        GradingTask(rt.by_id[r["question_id"]].question, r["answer"], rt.by_id[r["question_id"]])
        for r in rows
        if r["question_id"] in rt.by_id
    ]
    five = [t for t in tasks if len(sentences(t.answer)) == 5 and len(t.question.key_points) == 6][
        :60
    ]
    return five, tasks[:320]


def _triples(tasks: list[GradingTask]) -> list[tuple[str, str, str]]:
    """The pairs the grader sends to the model for ``tasks`` (one per key point)."""
    return [
        (t.question_text, text, t.answer)
        for t in tasks
        for text in [p.text for p in premises(t.question)]
    ]


def _as_exported(tmp: str) -> Path:
    """The shipped graph as PyTorch exports it: with the NaN guards that ``make train-judge``
    drops (``graph.add_nan_guards`` puts them back), in a folder of its own with the tokenizer
    and no card. Built once; both measurements below use it."""
    import onnx

    from mockint.judge.graph import add_nan_guards

    folder = Path(tmp) / "as-exported"
    folder.mkdir()
    guarded = onnx.load(str(SHIPPED / "judge.onnx"))
    add_nan_guards(guarded)
    onnx.save(guarded, str(folder / "judge.onnx"))
    (folder / "tokenizer.json").write_bytes((SHIPPED / "tokenizer.json").read_bytes())
    return folder / "judge.onnx"


def _run_through(
    judge: OnnxJudge, graph: bytes, triples: list[tuple[str, str, str]], **config: str
) -> float:
    """Seconds for the same pairs through ``graph`` in a session of its own (session config entries
    in ``config``), so a variant of the shipped model is measured in the same run."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = judge.session.get_session_options().intra_op_num_threads
    opts.inter_op_num_threads = 1
    for key, value in config.items():
        opts.add_session_config_entry(key, value)
    plain = copy.copy(judge)
    plain.session = ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])
    t0 = time.perf_counter()
    plain._run(triples)
    return time.perf_counter() - t0


def _batch_drift(grader, five: list, others: list, alone: list[float]) -> float:
    """Largest score difference between each five-sentence answer graded alone (``alone``) and the
    same answer graded again in batches of 32, among other answers, with nothing cached."""
    fill = [t for t in others if t not in five]
    scores = []
    for s in range(0, len(five), 8):
        grader.judge._cache.clear()
        mates = five[s : s + 8] + fill[s * 3 : s * 3 + 24]
        scores += [g.score for g in grader.grade_many(mates)[: len(five[s : s + 8])]]
    return round(max(abs(a - b) for a, b in zip(alone, scores)), 3)


def _load_times(exported: Path, runs: int = 7) -> tuple[float, float]:
    """Median seconds for a new Python process to import mockint's judge and load it (read, sha256
    check, onnxruntime session), from the shipped file and from ``exported`` (guards dropped at
    load, no card): the two alternate, after one untimed start of each (the files in the page
    cache, as on a second start). A bare ``python -c pass`` is subtracted."""
    import subprocess

    code = (
        "from pathlib import Path; from mockint.judge.model import OnnxJudge; OnnxJudge(Path({!r}))"
    )
    cmds = {
        "bare": [sys.executable, "-c", "pass"],
        "shipped": [sys.executable, "-c", code.format(str(SHIPPED / "judge.onnx"))],
        "exported": [sys.executable, "-c", code.format(str(exported))],
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs + 1):
        for k, cmd in cmds.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            times[k].append(time.perf_counter() - t0)
    med = {k: sorted(t[1:])[runs // 2] for k, t in times.items()}
    return med["shipped"] - med["bare"], med["exported"] - med["bare"]


def _markdown(res: dict, n_five: int, n_batch: int, n_pairs: int) -> str:
    return f"""**Offline grading** (`bench/grading.md`): the judgement model (int8 ONNX, {os.cpu_count()} threads)
on {n_five} five-sentence answers to six-key-point questions, one at a time with nothing cached;
then {n_batch} answers in batches of 32. The raw model runs the same {n_pairs} (question, key
point, answer) pairs in the same run: the grader's own work is the difference.

| metric | value | target |
|---|---|---|
| single grade p50 / p95 (five sentences, six key points) | {res["grade_p50_ms"]} / {res["grade_p95_ms"]} ms | p50 ≤ {TARGET_P50_MS} ms |
| batch throughput | {res["batch_answers_per_s"]} answers/s | ≥ {TARGET_BATCH} answers/s |
| the raw judgement model on the same pairs | {res["raw_judge_answers_per_s"]} answers/s ({res["raw_judge_pairs_per_s"]} pairs/s) | |
| grader ÷ raw model | {res["ratio_to_raw_judge"]:.0%} | |
| the raw model as PyTorch exports it (with the NaN guards `make train-judge` drops), same pairs | {res["raw_judge_with_nan_guards_pairs_per_s"]} pairs/s | |
| the raw model with onnxruntime's exact int8 kernel (`session.x64quantprecision`; set by the judge only on CPUs without VNNI — {"set" if res["exact_int8_set_here"] else "not set"} on this one), same pairs | {res["raw_judge_exact_int8_pairs_per_s"]} pairs/s | |
| a new process importing and loading the judge (read, sha256 check, session): the shipped file / as PyTorch exports it (guards dropped at load); median of 7, alternating | {res["load_s"]} / {res["load_as_exported_s"]} s | |
| the same answers graded alone and inside batches of 32 (other answers around them): largest score difference | {res["batch_vs_alone_max_score_diff"]} | 0 |
| peak RSS | {res["peak_rss_mb"]} MB | |
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime(
            Config.load(home=os.environ.get("MOCKINT_HOME") or tmp, judge_model="packaged")
        )
        grader, judge = rt.offline_grader(), rt.judge
        five, batch = _answers(rt)
        grader.grade_many(batch[:4])  # load the model once
        lat, alone = [], []
        for t in five:
            judge._cache.clear()
            t0 = time.perf_counter()
            alone.append(grader.grade(t).score)
            lat.append((time.perf_counter() - t0) * 1000)
        judge._cache.clear()
        t0 = time.perf_counter()
        for s in range(0, len(batch), 32):
            grader.grade_many(batch[s : s + 32])
        batch_s = time.perf_counter() - t0
        drift = _batch_drift(grader, five, batch, alone)
        triples = _triples(batch)
        judge._cache.clear()
        t0 = time.perf_counter()
        judge._run(triples)
        raw_s = time.perf_counter() - t0
        rss = peak_rss_mb()  # before the second session below
        exported = _as_exported(tmp)
        guarded_s = _run_through(judge, exported.read_bytes(), triples)
        # onnxruntime's exact int8 kernel, which the judge sets only on CPUs without VNNI
        # (``exact_int8_needed``): what it costs where it is not needed
        exact_s = _run_through(
            judge,
            fast_graph(read_model(SHIPPED / "judge.onnx")),
            triples,
            **{"session.x64quantprecision": "1"},
        )
        load_s, load_exported_s = _load_times(exported)
    res = {
        "five_sentence_answers": len(five),
        "answers": len(batch),
        "pairs": len(triples),
        "grade_p50_ms": round(percentile(lat, 0.5), 1),
        "grade_p95_ms": round(percentile(lat, 0.95), 1),
        "batch_answers_per_s": round(len(batch) / batch_s, 1),
        "raw_judge_answers_per_s": round(len(batch) / raw_s, 1),
        "raw_judge_pairs_per_s": round(len(triples) / raw_s, 1),
        "ratio_to_raw_judge": round(raw_s / batch_s, 3),
        "raw_judge_with_nan_guards_pairs_per_s": round(len(triples) / guarded_s, 1),
        "raw_judge_exact_int8_pairs_per_s": round(len(triples) / exact_s, 1),
        "exact_int8_set_here": exact_int8_needed(),
        "load_s": round(load_s, 3),
        "load_as_exported_s": round(load_exported_s, 3),
        "batch_vs_alone_max_score_diff": drift,
        "peak_rss_mb": round(rss),
        "target_p50_ms": TARGET_P50_MS,
        "target_batch_answers_per_s": TARGET_BATCH,
    }
    write("grading", res, _markdown(res, len(five), len(batch), len(triples)))


if __name__ == "__main__":
    main()
