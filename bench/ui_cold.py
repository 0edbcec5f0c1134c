"""Users as `make run` serves them: `mockint ui` started as a process on 127.0.0.1 (index already
built — its cold build is in search.md), driven through gradio_client, one user and then several
at once.

Per answer turn, from pressing Submit: the first update on the page (the quick grade, or the
follow-up about to be phrased), the follow-up's first word and its last (streamed from the LLM),
and the LLM's verdict stored (read from the history database). Also process start to page,
Start to the first question, and the server's peak RSS with its children (the local LLM server).
Run with the offline grader (no LLM) and with the packaged local LLM when it is installed.
Writes bench/ui_cold.{json,md}.

    .venv/bin/python bench/ui_cold.py [--turns 4] [--users 1,5]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, percentile, server_rss_mb, text_of, write
from ui_load import ANSWER, GradioClientSession

from mockint.config import Config
from mockint.llm import gguf
from mockint.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]


def tree_rss_mb(pid: int) -> int:
    """RSS of the process plus its children (the local LLM server is one)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += server_rss_mb(p) or 0
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return total


def serve(home: Path, llm: str) -> tuple[subprocess.Popen, str, float]:
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
    url = f"http://127.0.0.1:{port}/"
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"mockint ui exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.2)


def _verdict_after(db: Path, sid: str, since: float, timeout: float = 180.0) -> float | None:
    """Seconds from ``since`` until every answered turn of session ``sid`` has its LLM verdict."""
    while time.perf_counter() - since < timeout:
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT actions FROM turns WHERE session_id = ? AND outcome = 'answered'", (sid,)
            ).fetchall()
        acts = [[a.get("action") for a in json.loads(r[0])] for r in rows]
        if acts and all("llm_judge_pending" not in a or "llm_judged" in a for a in acts):
            return time.perf_counter() - since
        time.sleep(0.2)
    return None


def interview(
    url: str, downloads: Path, turns: int, db: Path, timings: list, lock: threading.Lock
) -> float:
    """One user's interview; appends one timing dict per answer turn; returns Start → first question."""
    c = GradioClientSession(url, downloads).c  # a gradio_client Client, as the page's calls
    t0 = time.perf_counter()
    chat, *_ = c.predict([], [], "any", turns, 1, "", "practice", api_name="/start")
    first_q = time.perf_counter() - t0
    sid = text_of(chat).split("Session ", 1)[1].split(":", 1)[0].strip("`")
    for i in range(turns * 2):
        t1 = time.perf_counter()
        job = c.submit(ANSWER.format(marker=f"bench{i}"), "", api_name="/submit")
        first = word = None
        for out in job:
            now = time.perf_counter() - t1
            first = first if first is not None else now
            last = (
                text_of(out[0][-1:]) if out and out[0] else ""
            )  # (chat, answer, code, feedback, model, status)
            if word is None and "Follow-up:" in last and "…" not in last:
                word = now
        done = time.perf_counter() - t1
        status = (
            job.outputs()[-1][5] if job.outputs() else ""
        )  # chat, answer, code, feedback, model, status
        verdict = _verdict_after(db, sid, t1)
        with lock:
            timings.append(
                {
                    "first_update_s": first,
                    "followup_first_word_s": word,
                    "followup_done_s": done if word is not None else None,
                    "turn_done_s": done,
                    "verdict_s": verdict,
                }
            )
        if "finished" in str(status):
            break
    return first_q


def run(home: Path, llm: str, users: int, turns: int) -> dict:
    proc, url, up = serve(home, llm)
    timings: list[dict] = []
    firsts: list[float] = []
    lock = threading.Lock()
    try:
        with tempfile.TemporaryDirectory() as downloads:

            def one(i: int) -> None:
                firsts.append(
                    interview(
                        url, Path(downloads) / str(i), turns, home / "history.db", timings, lock
                    )
                )

            threads = [threading.Thread(target=one, args=(i,)) for i in range(users)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        rss = tree_rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    def stat(key: str) -> dict:
        xs = [t[key] for t in timings if t[key] is not None]
        return {
            "n": len(xs),
            "p50_s": round(percentile(xs, 0.5), 2) if xs else None,
            "p95_s": round(percentile(xs, 0.95), 2) if xs else None,
        }

    return {
        "llm": llm,
        "users": users,
        "process_to_page_s": round(up, 1),
        "start_to_first_question_s": round(percentile(firsts, 0.5), 1),
        **{
            k: stat(k)
            for k in (
                "first_update_s",
                "followup_first_word_s",
                "followup_done_s",
                "turn_done_s",
                "verdict_s",
            )
        },
        "server_peak_rss_mb": rss,
    }


def _row(r: dict) -> str:
    def s(k: str) -> str:
        v = r[k]
        return "—" if not v["n"] else f"{v['p50_s']} / {v['p95_s']} s"

    return (
        f"| {r['llm']} | {r['users']} | {s('first_update_s')} | {s('followup_first_word_s')} | "
        f"{s('followup_done_s')} | {s('verdict_s')} | {r['process_to_page_s']} s | "
        f"{r['start_to_first_question_s']} s | {r['server_peak_rss_mb']} MB |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--turns", type=int, default=3, help="questions per interview (one follow-up each)"
    )
    ap.add_argument("--users", default="1,5", help="concurrent users, comma-separated runs")
    args = ap.parse_args()
    users = [int(u) for u in args.users.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(os.environ.get("MOCKINT_HOME") or tmp)
        Runtime(Config.load(home=home)).ensure_index()
        runs = [run(home, "none", 1, args.turns)]
        if gguf.available("packaged"):
            runs += [run(home, "local", n, args.turns) for n in users]
    md = f"""**Web UI, live turns** (`bench/ui_cold.md`): `mockint ui` as a process, gradio_client users, practice
interviews of {args.turns} questions with one follow-up each. Times from pressing Submit, p50 / p95:

| LLM | users at once | first update on the page | follow-up's first word | follow-up complete | LLM verdict stored | process → page | Start → question | peak RSS (with children) |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(_row(r) for r in runs)}

The first update is the quick grade (the judgement model) or the follow-up about to be phrased;
the follow-up then streams from the LLM; the LLM's verdict replaces the quick grade in the
background (the page shows it at its next one-second tick). `none`: the offline grader and
rubric-probe follow-ups; `local`: the packaged Qwen2.5-Coder-1.5B through llama.cpp's server, one
model serving every user in turn. Target: first update ≤ 1.5 s p50.
"""
    write("ui_cold", {"runs": runs, "turns": args.turns}, md)


if __name__ == "__main__":
    main()
