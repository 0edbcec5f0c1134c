"""One user, as `make run` serves them: `mockint ui` started as a process on 127.0.0.1 (index
already built — its cold build is in search.md), then driven through gradio_client.

Measures: process start to the page answering; connect + "Start" to the first question;
per-turn latency of answer turns (grade, feedback, next question or follow-up); the
server's peak RSS. Run once with the offline grader (no LLM) and once with the packaged
local LLM (hybrid grade, LLM follow-ups), when it is installed.
Writes bench/ui_cold.{json,md}.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write
from ui_load import ANSWER, connect, free_port, server_rss_mb

from mockint.config import Config
from mockint.llm import gguf
from mockint.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
TURNS = int(os.environ.get("BENCH_UI_TURNS", "4"))


def tree_rss_mb(pid: int) -> int:
    """Peak RSS of the process plus its children (the local LLM server is one)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += server_rss_mb(p) or 0
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return total


def run(home: Path, llm: str) -> dict:
    port = free_port()
    env = dict(os.environ, MOCKINT_HOME=str(home), MOCKINT_LLM=llm, MOCKINT_LOCAL_MODEL="packaged")
    cmd = [
        sys.executable,
        "-m",
        "mockint.cli",
        "ui",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--grader",
        "auto",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"mockint ui exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        up_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as downloads:
            c = connect(url, Path(downloads))
            t1 = time.perf_counter()
            c.predict([], [], "any", TURNS, 0, "", "practice", api_name="/start")
            first_q_s = time.perf_counter() - t1
            turns = []
            for _ in range(TURNS):
                t2 = time.perf_counter()
                _, *_, status = c.predict(ANSWER.format(marker="bench"), "", api_name="/submit")
                turns.append((time.perf_counter() - t2) * 1000)
                if "finished" in status:
                    break
        rss = tree_rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "llm": llm,
        "process_to_page_s": round(up_s, 1),
        "start_to_first_question_s": round(first_q_s, 1),
        "turn_p50_ms": round(percentile(turns, 0.5)),
        "turn_p95_ms": round(percentile(turns, 0.95)),
        "turns": len(turns),
        "server_peak_rss_mb": rss,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(os.environ.get("MOCKINT_HOME") or tmp)
        Runtime(Config.load(home=home)).ensure_index()
        runs = [run(home, "none")]
        if gguf.available("packaged"):
            runs.append(run(home, "local"))
    rows = "\n".join(
        f"| {r['llm']} | {r['process_to_page_s']} s | {r['start_to_first_question_s']} s | "
        f"{r['turn_p50_ms'] / 1000:.1f} s / {r['turn_p95_ms'] / 1000:.1f} s ({r['turns']} turns) | "
        f"{r['server_peak_rss_mb']} MB |"
        for r in runs
    )
    md = f"""# Web UI, one user (`mockint ui` process, gradio_client)

| LLM | process start → page | Start → first question | answer turn p50 / p95 | server peak RSS (incl. children) |
|---|---|---|---|---|
{rows}

`none`: offline grader and rubric-probe follow-ups. `local`: hybrid grade with the packaged
Qwen2.5-Coder-1.5B (llama.cpp server, started by the UI) and LLM-phrased follow-ups.
"""
    write("ui_cold", {"runs": runs}, md)


if __name__ == "__main__":
    main()
