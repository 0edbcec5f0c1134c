"""Load test of the web app: N concurrent interview sessions on 127.0.0.1.

Starts ``mockint.ui.build_app`` in a child process on a free loopback port (the offline grader:
the judgement model; the packaged MiniLM for question search, ``--fake`` for the hash embedder),
then runs ``--sessions`` clients at once. Each starts a practice interview, asks for a hint,
answers every question with text that carries its own marker, then fetches its report. With
``--think A B`` each client waits a random A to B seconds before each answer, as a candidate
writes one; ``--think 0 0`` is the stress case where every client submits at once. Checked per
session: no call failed; its transcript and its report JSON hold its own marker and no other
session's. While a session is open it calls the page's timer as the browser does (``--tick``:
every 30 s with the offline grader, the clock counting in the page between calls). Measured: answer-turn, start, report and timer latency (p50 / p95 / max), wall time, and the
server's RSS sampled every half second (peak and at the end), and the CPU seconds the server and
the bench's own clients used. Writes bench/ui_load{,-<name>}.{json,md}.

The clients (``--client``): ``http`` (default) runs every session on one asyncio loop over plain
HTTP (``_http_client.py``: the page's own queue calls; a chart served as a file is fetched as
the page would, an SVG one comes inline); ``gradio`` gives each session a gradio_client in a thread, as this bench did before — on
two shared cores those clients used about as much CPU as the server, which real users' browsers,
on their own machines, do not.

    .venv/bin/python bench/ui_load.py [--sessions 20] [--questions 3] [--think 5 15] [--name NAME]
                                      [--client http|gradio] [--tick 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_s, free_port, peak_rss_mb, percentile, server_rss_mb, text_of, write

import mockint.config  # noqa: F401  (offline environment before gradio)
from mockint.config import Config
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder
from mockint.ui.clock import TICK_S

ANSWER = (
    "{marker} The main idea is to trade bias for variance: a penalty or constraint keeps the model simple, "
    "and we check it on held-out data with cross-validation before trusting it."
)
TARGETS = {"turn_p95_s": 1.5, "report_p95_s": 2.0, "rss_mb_at_20": 2048}


class GradioClientSession:
    """One session through gradio_client (its calls run in the loop's thread pool)."""

    def __init__(self, url: str, downloads: Path):
        from gradio_client import Client

        self.c = Client(
            url,
            verbose=False,
            download_files=str(downloads),
            analytics_enabled=False,
            httpx_kwargs={"timeout": 300},
        )

    async def call(self, name: str, *args) -> list:
        return list(await asyncio.to_thread(self.c.predict, *args, api_name="/" + name))

    async def report(self) -> dict:
        _, _, files = await self.call("report", "")  # every file downloaded by the client
        js = next(f for f in files if f.endswith(".json"))
        return json.loads(Path(js).read_text(encoding="utf-8"))

    async def close(self) -> None:
        self.c.close()


class HTTPSession:
    """One session over plain HTTP (``_http_client``)."""

    def __init__(self, app):
        self.app, self.session = app, app.session()

    async def call(self, name: str, *args) -> list:
        return await self.app.call(self.session, name, *args)

    async def report(self) -> dict:
        _, chart, files = await self.call("report", "")
        if chart and not chart["url"].startswith("data:"):  # the page fetches a chart file
            await self.app.fetch(chart)
        js = next(f for f in files if (f.get("orig_name") or f["path"]).endswith(".json"))
        return json.loads(await self.app.fetch(js))

    async def close(self) -> None:
        pass


async def run_session(client, i: int, args, out: dict, barrier: asyncio.Barrier) -> None:
    marker = f"marker-{i:03d}-{time.time_ns() % 10**6:06d}"
    rec = out[i] = {"marker": marker, "turns": [], "errors": [], "start_s": None}
    rec.update(report_s=None, sid=None)
    rng = random.Random(i)
    ticker = None
    try:
        await barrier.wait()  # start together
        t0 = time.perf_counter()
        chat = (await client.call("start", [], [], "any", args.questions, 0, "", "practice"))[0]
        rec["start_s"] = time.perf_counter() - t0
        rec["sid"] = text_of(chat).split("Session ", 1)[1].split(":", 1)[0].strip("`")
        ticker = asyncio.create_task(tick_while_open(client, args.tick, rec))
        await client.call("hint")
        for _ in range(args.questions):
            await asyncio.sleep(rng.uniform(*args.think))
            t0 = time.perf_counter()
            out = await client.call("submit", ANSWER.format(marker=marker), "")
            rec["turns"].append(time.perf_counter() - t0)
            chat, status = out[0], out[5]  # chat, answer, code, feedback, model answer, status
            if "finished" in status:
                break
        rec["chat"] = text_of(chat)
        t0 = time.perf_counter()
        rec["report"] = await client.report()
        rec["report_s"] = time.perf_counter() - t0
    except Exception as exc:
        rec["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        if ticker is not None:
            ticker.cancel()


async def tick_while_open(client, every: float, rec: dict) -> None:
    """The page's timer (``gr.Timer``: the clock re-anchored, a late verdict, the LLM notice) while
    the session is open: one call every ``every`` seconds, the next one only after the last has
    answered, as the browser's timer does not pile up events. ``every`` 0: no timer."""
    rec["ticks"] = []
    if not every:
        return
    while True:
        t0 = time.perf_counter()
        try:
            await client.call("tick")
        except Exception as exc:
            rec["errors"].append(f"tick: {type(exc).__name__}: {exc}")
            return
        took = time.perf_counter() - t0
        rec["ticks"].append(took)
        await asyncio.sleep(max(0.0, every - took))


async def drive(args, url: str, work: Path, server) -> tuple[dict, float, list[float], dict]:
    """Run every session on one asyncio loop; returns (results, wall seconds, RSS samples in MB,
    CPU seconds of the server and of the clients while the sessions ran)."""
    import httpx
    from _http_client import GradioHTTP

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(args.sessions))
    limits = httpx.Limits(max_connections=4 * args.sessions)
    async with httpx.AsyncClient(timeout=300, limits=limits) as http:
        if args.client == "http":
            app = await GradioHTTP.connect(url, http)
            clients = [HTTPSession(app) for _ in range(args.sessions)]
        else:  # not timed: each client fetches the app's config and API description
            clients = [
                GradioClientSession(url, work / "dl" / f"s{i}") for i in range(args.sessions)
            ]
        results: dict[int, dict] = {}
        barrier = asyncio.Barrier(args.sessions)
        samples: list[float] = []
        t0, cpu0, server0 = time.perf_counter(), time.process_time(), cpu_s(server.pid)
        tasks = [
            asyncio.create_task(run_session(c, i, args, results, barrier))
            for i, c in enumerate(clients)
        ]
        while not all(t.done() for t in tasks):
            samples.append(server_rss_mb(server.pid, "VmRSS") or 0)
            await asyncio.wait(tasks, timeout=0.5)
        wall = time.perf_counter() - t0
        cpu = {
            "clients": round(time.process_time() - cpu0, 1),
            "server": round(cpu_s(server.pid) - server0, 1),
        }
        for c in clients:
            await c.close()
    return results, wall, samples, cpu


def serve(home: Path, files: Path, port: int, fake: bool) -> None:
    """The server process: build the index and the app, launch on 127.0.0.1:port, block."""
    from mockint.ui.app import build_app, launch_kwargs

    rt = Runtime(
        Config.load(home=home, embedding_model="hash-fake" if fake else None, llm="none"),
        embedder=HashEmbedder() if fake else None,
    )
    t0 = time.perf_counter()
    rt.ensure_index()
    index_s = time.perf_counter() - t0
    rt.offline_grader().grade_many([])  # load the judgement model before the clock starts
    demo = build_app(rt, grader="offline", chat=None, files_dir=files)
    print(
        json.dumps(
            {"ready": True, "index_build_s": round(index_s, 2), "embedder": rt.embedder.name}
        ),
        flush=True,
    )
    demo.launch(**launch_kwargs(server_name="127.0.0.1", server_port=port))


def build_index(work: Path) -> float:
    """The index built by ``mockint index`` in a process of its own, before the server starts, as
    ``make run`` does (a server that builds it cold itself keeps the embedder's peak memory)."""
    env = {**os.environ, "MOCKINT_HOME": str(work / "home")}
    t0 = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "mockint"), "index"],
        env=env,
        check=True,
        capture_output=True,
    )
    return round(time.perf_counter() - t0, 2)


def start_server(args, work: Path) -> tuple[subprocess.Popen, str, dict]:
    index_s = None if args.fake else build_index(work)
    port = free_port()
    cmd = [sys.executable, __file__, "--serve", str(work / "home"), str(work / "files"), str(port)]
    server = subprocess.Popen(
        cmd + (["--fake"] if args.fake else []), stdout=subprocess.PIPE, text=True
    )
    info = json.loads(server.stdout.readline() or "{}")
    if not info.get("ready"):
        raise SystemExit("the server did not start")
    if index_s is not None:
        info["index_build_s"] = index_s  # by 'mockint index'; the server found it built
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "config", timeout=5).read()
            return server, url, info
        except OSError as exc:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server never answered") from exc
            time.sleep(0.2)


def leaks_in(results: dict) -> list[dict]:
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
    return leaks


def summarize(
    args, info: dict, results: dict, wall: float, samples: list[float], peak: float | None
) -> dict:
    from mockint.ui.wiring import INTERVIEW_CONCURRENCY

    def sec(xs: list[float]) -> dict:
        return {
            "p50": round(percentile(xs, 0.5), 2),
            "p95": round(percentile(xs, 0.95), 2),
            "max": round(max(xs), 2) if xs else None,
        }

    turns = [t for r in results.values() for t in r["turns"]]
    errors = [e for r in results.values() for e in r["errors"]]
    return {
        "sessions": args.sessions,
        "questions_per_session": args.questions,
        "think_s": list(args.think),
        "embedder": info["embedder"],
        "grader": "offline (judgement model)",
        "interview_concurrency_limit": INTERVIEW_CONCURRENCY,
        "client": args.client,
        "cpu_s": info["cpu_s"],
        "wall_s": round(wall, 2),
        "errors": len(errors),
        "error_samples": errors[:5],
        "leaks": leaks_in(results),
        "answer_turns": len(turns),
        "turn_s": sec(turns),
        "start_s": sec([r["start_s"] for r in results.values() if r["start_s"] is not None]),
        "report_s": sec([r["report_s"] for r in results.values() if r["report_s"] is not None]),
        "tick_every_s": args.tick,
        "ticks": sum(len(r.get("ticks", [])) for r in results.values()),
        "tick_s": sec([t for r in results.values() for t in r.get("ticks", [])]),
        "server_peak_rss_mb": peak,
        "server_rss_end_mb": samples[-1] if samples else None,
        "server_rss_samples_mb": samples[:: max(1, len(samples) // 40)],
        "client_process_peak_rss_mb": round(peak_rss_mb()),
    }


def markdown(r: dict) -> str:
    t, s, rep = r["turn_s"], r["start_s"], r["report_s"]
    think = (
        "no think time: every client submits at once (the stress case)"
        if not any(r["think_s"])
        else f"each client thinks {r['think_s'][0]:g}–{r['think_s'][1]:g} s before each answer"
    )
    k = r.get("tick_s") or {}
    tick_line = (
        f"one call every {r['tick_every_s']:g} s per open session: calls, p50 / p95 | "
        f"{r['ticks']}, {k.get('p50')} / {k.get('p95')} s"
        if r.get("tick_every_s")
        else "not simulated (--tick 0) | –"
    )
    client = {
        "http": "sessions over plain HTTP (one asyncio loop: the page's queue calls; the report's chart comes inline)",
        "gradio": "gradio_client sessions (one per thread)",
    }[r["client"]]
    return f"""**Web UI load, {r["sessions"]} sessions** ({think}): {client} against the app on
127.0.0.1 (server in its own process, started on an index `mockint index` built before, as `make run` does; offline grader, {r["interview_concurrency_limit"]} turns at once, one
judgement-model call at a time). Each session: a {r["questions_per_session"]}-question practice interview, one
hint, every answer marked, the report; every transcript and report checked for its own marker and no other.

| metric | value | target (20 sessions) |
|---|---|---|
| errors / sessions leaking into another | {r["errors"]} / {len(r["leaks"])} | 0 / 0 |
| answer turn p50 / p95 / max | {t["p50"]} / {t["p95"]} / {t["max"]} s | p95 ≤ {TARGETS["turn_p95_s"]} s |
| report p50 / p95 | {rep["p50"]} / {rep["p95"]} s | p95 ≤ {TARGETS["report_p95_s"]} s |
| start p50 / p95 | {s["p50"]} / {s["p95"]} s | |
| the page's timer: {tick_line} | |
| server RSS: peak / at the end | {r["server_peak_rss_mb"]} / {r["server_rss_end_mb"]} MB | ≤ {TARGETS["rss_mb_at_20"]} MB |
| wall time | {r["wall_s"]} s for {r["answer_turns"]} answer turns | |
| CPU time: server / the bench's clients (same 2 cores) | {r["cpu_s"]["server"]} / {r["cpu_s"]["clients"]} s | |
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument("--think", type=float, nargs=2, default=(0.0, 0.0), metavar=("MIN", "MAX"))
    ap.add_argument(
        "--tick",
        type=float,
        default=TICK_S["offline"],
        help="seconds between the page's timer calls per open session (default: what the page "
        f"does with the offline grader, {TICK_S['offline']:g}; 1: what it does with an LLM and "
        "did before the clock counted in the page; 0: no timer)",
    )
    ap.add_argument("--name", default="", help="suffix of the output files (ui_load-NAME)")
    ap.add_argument(
        "--fake", action="store_true", help="hash embedder instead of the packaged MiniLM"
    )
    ap.add_argument(
        "--client",
        choices=("http", "gradio"),
        default="http",
        help="http: one asyncio loop over plain HTTP, as browsers would cost the server's cores "
        "nothing (default); gradio: a gradio_client per session, in threads (heavier)",
    )
    ap.add_argument("--serve", nargs=3, metavar=("HOME", "FILES", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), Path(args.serve[1]), int(args.serve[2]), args.fake)
        return
    work = Path(tempfile.mkdtemp(prefix="mockint-ui-load-"))
    server, url, info = start_server(args, work)
    try:
        results, wall, samples, info["cpu_s"] = asyncio.run(drive(args, url, work, server))
        peak = server_rss_mb(server.pid)
    finally:
        server.terminate()  # the process this script started, by its handle
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    result = summarize(args, info, results, wall, samples, peak)
    write("ui_load" + (f"-{args.name}" if args.name else ""), result, markdown(result))
    if result["errors"] or result["leaks"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
