"""Load test of the web app: N concurrent interview sessions through gradio_client on 127.0.0.1.

Starts ``mockint.ui.build_app`` in a child process on a free loopback port (offline grader;
the packaged MiniLM by default, ``--fake`` for the hash embedder; the clients' threads do not
share the server's interpreter), then runs ``--sessions`` clients at once. Each starts a practice interview, answers every question with text that
carries its own marker, asks for a hint once, then fetches its report. Checked per
session: no call failed; its transcript and its report JSON hold its own marker and no
other session's; the report's session id is the one its transcript announced. Measured:
latency of the answer turns (p50 / p95 / max), of starts and reports, and wall time.
Writes bench/ui_load.json and bench/ui_load.md. Only 127.0.0.1 is contacted; the run is
bounded by the number of sessions and questions.

    .venv/bin/python bench/ui_load.py [--sessions 20] [--questions 3] [--fake]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, percentile, write

import mockint.config  # noqa: F401  (offline environment before gradio)
from mockint.config import Config
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder

ANSWER = (
    "{marker} The main idea is to trade bias for variance: a penalty or constraint keeps the model simple, "
    "and we check it on held-out data with cross-validation before trusting it."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text_of(chat) -> str:
    import html

    parts = []
    for m in chat:
        c = m["content"]
        parts.append("".join(p.get("text", "") for p in c) if isinstance(c, list) else str(c))
    return html.unescape("\n".join(parts))


def connect(url: str, downloads: Path):
    from gradio_client import Client

    return Client(
        url,
        verbose=False,
        download_files=str(downloads),
        analytics_enabled=False,
        httpx_kwargs={"timeout": 300},
    )


def run_session(c, i: int, questions: int, out: dict, barrier: threading.Barrier) -> None:
    marker = f"marker-{i:03d}-{time.time_ns() % 10**6:06d}"
    rec = {
        "marker": marker,
        "turns": [],
        "errors": [],
        "start_s": None,
        "report_s": None,
        "sid": None,
    }
    out[i] = rec
    try:
        barrier.wait(timeout=120)  # start together
        t0 = time.perf_counter()
        chat, *_, status = c.predict([], [], "any", questions, 0, "", "practice", api_name="/start")
        rec["start_s"] = time.perf_counter() - t0
        rec["sid"] = text_of(chat).split("Session ", 1)[1].split(":", 1)[0].strip("`")
        c.predict(api_name="/hint")
        for _ in range(questions):
            t0 = time.perf_counter()
            chat, *_, status = c.predict(ANSWER.format(marker=marker), "", api_name="/submit")
            rec["turns"].append(time.perf_counter() - t0)
            if "finished" in status:
                break
        rec["chat"] = text_of(chat)
        t0 = time.perf_counter()
        _, _, files = c.predict("", api_name="/report")
        rec["report_s"] = time.perf_counter() - t0
        report = next(f for f in files if f.endswith(".json"))
        rec["report"] = json.loads(Path(report).read_text(encoding="utf-8"))
    except Exception as exc:
        rec["errors"].append(f"{type(exc).__name__}: {exc}")


def serve(home: Path, files: Path, port: int, fake: bool) -> None:
    """The server process: build the index and the app, launch on 127.0.0.1:port, block."""
    from mockint.ui.app import build_app, launch_kwargs

    config = Config.load(home=home, embedding_model="hash-fake" if fake else None)
    rt = Runtime(config, embedder=HashEmbedder() if fake else None)
    t0 = time.perf_counter()
    rt.ensure_index()
    index_s = time.perf_counter() - t0
    rt.offline_grader().grade_many([])  # load the calibration before the clock starts
    demo = build_app(rt, grader="offline", chat=None, files_dir=files)
    print(
        json.dumps(
            {"ready": True, "index_build_s": round(index_s, 2), "embedder": rt.embedder.name}
        ),
        flush=True,
    )
    demo.launch(**launch_kwargs(server_name="127.0.0.1", server_port=port))


def server_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


def main() -> None:
    import subprocess
    import urllib.request

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument(
        "--fake", action="store_true", help="hash embedder instead of the packaged MiniLM"
    )
    ap.add_argument("--serve", nargs=3, metavar=("HOME", "FILES", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), Path(args.serve[1]), int(args.serve[2]), args.fake)
        return

    from mockint.ui.wiring import INTERVIEW_CONCURRENCY

    work = Path(tempfile.mkdtemp(prefix="mockint-ui-load-"))
    port = free_port()
    cmd = [sys.executable, __file__, "--serve", str(work / "home"), str(work / "files"), str(port)]
    server = subprocess.Popen(
        cmd + (["--fake"] if args.fake else []), stdout=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(server.stdout.readline() or "{}")
        if not info.get("ready"):
            raise SystemExit("the server did not start")
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "config", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server never answered")
                time.sleep(0.2)
        t0 = time.perf_counter()
        clients = [
            connect(url, work / "dl" / f"s{i}") for i in range(args.sessions)
        ]  # one at a time, not timed
        connect_s = time.perf_counter() - t0
        results: dict[int, dict] = {}
        barrier = threading.Barrier(args.sessions)
        threads = [
            threading.Thread(target=run_session, args=(c, i, args.questions, results, barrier))
            for i, c in enumerate(clients)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=900)
        wall = time.perf_counter() - t0
        rss = server_rss_mb(server.pid)
    finally:
        server.terminate()  # the process this script started, by its handle
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    errors = [e for r in results.values() for e in r["errors"]]
    markers = {i: r["marker"] for i, r in results.items()}
    leaks = []
    for i, r in results.items():
        if r["errors"]:
            continue
        body = r["chat"] + json.dumps(r["report"])
        own = markers[i] in r["chat"] and markers[i] in json.dumps(r["report"])
        others = [m for j, m in markers.items() if j != i and m in body]
        if not own or others or r["report"]["session"]["id"] != r["sid"]:
            leaks.append({"session": i, "own_marker_found": own, "foreign_markers": others})
    sids = [r["sid"] for r in results.values() if r["sid"]]
    if len(set(sids)) != len(sids):
        leaks.append({"duplicate_session_ids": len(sids) - len(set(sids))})
    turns = [t for r in results.values() for t in r["turns"]]
    starts = [r["start_s"] for r in results.values() if r["start_s"] is not None]
    reports = [r["report_s"] for r in results.values() if r["report_s"] is not None]
    ms = lambda xs, q: round(percentile(xs, q) * 1000, 1)  # noqa: E731
    result = {
        "sessions": args.sessions,
        "questions_per_session": args.questions,
        "embedder": info["embedder"],
        "grader": "offline",
        "interview_concurrency_limit": INTERVIEW_CONCURRENCY,
        "index_build_s": info["index_build_s"],
        "connect_all_clients_s": round(connect_s, 2),
        "wall_s": round(wall, 2),
        "errors": len(errors),
        "error_samples": errors[:5],
        "leaks": leaks,
        "answer_turns": len(turns),
        "turn_latency_ms": {"p50": ms(turns, 0.5), "p95": ms(turns, 0.95), "max": ms(turns, 1.0)},
        "start_latency_ms": {"p50": ms(starts, 0.5), "p95": ms(starts, 0.95)},
        "report_latency_ms": {"p50": ms(reports, 0.5), "p95": ms(reports, 0.95)},
        "turns_per_s": round(len(turns) / wall, 2) if wall else None,
        "server_peak_rss_mb": rss,
        "client_process_peak_rss_mb": round(peak_rss_mb()),
    }
    t, s, r = result["turn_latency_ms"], result["start_latency_ms"], result["report_latency_ms"]
    md = f"""**web UI load** (`bench/ui_load.md`)

{args.sessions} concurrent browser sessions simulated with gradio_client against the app on 127.0.0.1
(server in its own process, offline grader, embedder `{info["embedder"]}`, {INTERVIEW_CONCURRENCY} interview turns processed at
once). Each session: start a {args.questions}-question practice interview, one hint, answer every question with
text carrying its own marker, fetch the report; every transcript and report is checked for its own marker and
for any other session's.

| metric | value | target |
|---|---|---|
| errors | {result["errors"]} | 0 |
| sessions leaking into another | {len(leaks)} | 0 |
| answer turns | {len(turns)} | |
| answer turn latency p50 / p95 / max | {t["p50"]} / {t["p95"]} / {t["max"]} ms | |
| start latency p50 / p95 | {s["p50"]} / {s["p95"]} ms | |
| report latency p50 / p95 | {r["p50"]} / {r["p95"]} ms | |
| wall time, throughput | {result["wall_s"]} s, {result["turns_per_s"]} answer turns/s | |
| server peak RSS | {rss} MB | |
"""
    write("ui_load", result, md)
    for c in clients:
        c.close()
    if errors or leaks:
        sys.exit(1)


if __name__ == "__main__":
    main()
