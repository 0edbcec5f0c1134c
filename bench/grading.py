"""Offline grading speed: single-answer latency (five-sentence answers) and batch throughput,
beside the raw MiniLM encoding throughput of the same sentences in the same run.
Writes bench/grading.{json,md}."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, percentile, write

from mockint.config import Config
from mockint.grading.schema import GradingTask
from mockint.runtime import Runtime
from mockint.text import sentences

DATA = Path(__file__).resolve().parents[1] / "eval" / "datasets" / "interview-graded.jsonl"


def main() -> None:
    rows = [json.loads(l) for l in DATA.read_text().splitlines() if l.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime(
            Config.load(home=os.environ.get("MOCKINT_HOME") or tmp)
        )  # reuse an index when there is one
        rt.ensure_index()
        grader = rt.offline_grader()
        tasks = [
            GradingTask(
                rt.by_id[r["question_id"]].question, r["answer"], rt.by_id[r["question_id"]]
            )
            for r in rows
        ]
        grader.grade_many(tasks[:4])  # load model + reference vectors once
        for t in tasks:
            grader.reference(t.question, t.question_text)
        five = [t for t in tasks if 4 <= len(sentences(t.answer)) <= 6][:60]
        lat = []
        for i, t in enumerate(five):
            t = GradingTask(t.question_text, t.answer + f" (run {i})", t.question)
            rt.embedder._cache.clear()  # nothing of the answer may be cached: a candidate's answer is new text
            t0 = time.perf_counter()
            grader.grade(t)
            lat.append((time.perf_counter() - t0) * 1000)
        fresh = [GradingTask(t.question_text, t.answer + " (batch)", t.question) for t in tasks]
        t0 = time.perf_counter()
        grader.grade_many(fresh)
        batch_s = time.perf_counter() - t0
        texts = []
        for t in fresh:
            texts += [t.answer + " [raw]", *[s + " [raw]" for s in sentences(t.answer)]]
        encode = (
            rt.embedder._encoder()
        )  # the encoder the grader uses (onnxruntime unless it fell back)
        t0 = time.perf_counter()
        encode(texts)
        raw_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        encode(
            [t.answer + " [whole]" for t in fresh]
        )  # the least any grader must do: read each answer once
        whole_s = time.perf_counter() - t0
        torch_model = rt.embedder._load()
        t0 = time.perf_counter()
        torch_model.encode(
            [x + " [torch]" for x in texts],
            batch_size=64,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        torch_s = time.perf_counter() - t0
        units = sum(1 + len(sentences(t.answer)) for t in fresh)
    res = {
        "answers": len(fresh),
        "five_sentence_answers": len(five),
        "grade_p50_ms": round(percentile(lat, 0.5), 1),
        "grade_p95_ms": round(percentile(lat, 0.95), 1),
        "batch_answers_per_s": round(len(fresh) / batch_s, 1),
        "batch_units_per_s": round(units / batch_s, 1),
        "raw_encode_units_per_s": round(len(texts) / raw_s, 1),
        "encoder": "onnxruntime" if rt.embedder._onnx else "pytorch",
        "pytorch_encode_units_per_s": round(len(texts) / torch_s, 1),
        "ratio_to_encoder_ceiling": round((units / batch_s) / (len(texts) / raw_s), 3),
        "raw_encode_answers_per_s": round(len(fresh) / whole_s, 1),
        "ratio_to_one_pass_ceiling": round((len(fresh) / batch_s) / (len(fresh) / whole_s), 3),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    md = f"""# Offline grading benchmark

{len(five)} single five-sentence answers graded one at a time (the encoder's text cache emptied
before each, so nothing of the answer is precomputed; the question's vectors are, as in an
interview), then all {len(fresh)} answers of `eval/datasets/interview-graded.jsonl` as one batch.

Two ceilings are timed in the same run, through the encoder the grader uses ({res["encoder"]}):
the raw MiniLM encoding of each answer and each of its sentences (the issue's "same
sentences"), and the stricter one, each answer encoded once, which is all the grader encodes
(it pools its sentence vectors out of that one pass). PyTorch (sentence-transformers) on the
first set of texts is shown for comparison.

| metric | value | target |
|---|---|---|
| single grade p50 / p95 (five sentences) | {res["grade_p50_ms"]} / {res["grade_p95_ms"]} ms | p50 <= 50 ms |
| batch throughput | {res["batch_answers_per_s"]} answers/s ({res["batch_units_per_s"]} texts/s) | |
| raw MiniLM encoding, same texts ({res["encoder"]}) | {res["raw_encode_units_per_s"]} texts/s | |
| the same through PyTorch | {res["pytorch_encode_units_per_s"]} texts/s | |
| grader / encoder ceiling (texts/s, answers and sentences) | {res["ratio_to_encoder_ceiling"]:.0%} | >= 70% |
| raw MiniLM encoding, each answer once | {res["raw_encode_answers_per_s"]} answers/s | |
| grader / one-pass ceiling (answers/s) | {res["ratio_to_one_pass_ceiling"]:.0%} | |
| peak RSS | {res["peak_rss_mb"]} MB | |
"""
    write("grading", res, md)


if __name__ == "__main__":
    main()
