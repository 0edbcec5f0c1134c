"""The sandbox's cost: what a run costs beyond the code itself, and 20 runs at once.

- start-up: a sandboxed run of one trivial test, against a plain ``python -I`` of the same
  runner without any isolation (what the namespaces, mounts, cgroups and limits add);
- per test: (a run of 50 trivial tests - a run of 1) / 49;
- real problems: the candidate-visible "Run tests" (examples only) and a full grade run (examples
  and hidden tests) for a Python, a pandas and an SQL problem of the corpus, with the reference
  solution as the candidate's code;
- 20 concurrent runs of a full Python problem (threads, each starting its own sandbox), and 20
  concurrent hostile runs (infinite loops) to show they are stopped on time.

Writes bench/sandbox.{json,md}.

    .venv/bin/python bench/sandbox.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, write

from mockint.coding import sandbox
from mockint.coding.problems import load_built
from mockint.coding.sandbox import Limits

REPEAT = 30
PROBLEMS = (
    "py-array-intersection",
    "py-merge-intervals",
    "pd-customer-order-stats",
    "sql-running-balance",
)


def _trivial(n: int) -> dict:
    return {
        "track": "python",
        "code": "def f(x):\n    return x",
        "entry": "f",
        "compare": "exact",
        "tests": [{"name": f"t{i}", "kind": "basic", "args": [i], "expected": i} for i in range(n)],
    }


def _timed(fn, n: int = REPEAT) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _plain(job: dict) -> None:
    """The same runner without isolation (no namespaces, no limits): the baseline."""
    subprocess.run(
        [sys.executable, "-I", str(sandbox.RUNNER)],
        input=json.dumps(job).encode(),
        capture_output=True,
        check=True,
    )


def _stats(ms: list[float]) -> dict:
    return {"p50_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1)}


def _problems() -> dict:
    built = load_built()
    out = {}
    for pid in PROBLEMS:
        p = built.get(pid)
        if p is None:
            continue
        visible = p.job(p.reference, p.examples)
        full = p.job(p.reference, [*p.examples, *p.tests])
        r = sandbox.run(full)
        assert r.status == "ok" and all(x["passed"] for x in r.results), (pid, r.status)
        out[pid] = {
            "track": p.track,
            "tests": len(p.examples) + len(p.tests),
            "run_tests": _stats(_timed(lambda j=visible: sandbox.run(j), 10)),
            "full": _stats(_timed(lambda j=full: sandbox.run(j), 10)),
        }
    return out


def _concurrent(job: dict, n: int, limits: Limits | None = None) -> dict:
    def one(_):
        t0 = time.perf_counter()
        r = sandbox.run(job, limits)
        return (time.perf_counter() - t0) * 1000, r.status

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        done = list(pool.map(one, range(n)))
    ms = [d[0] for d in done]
    return {
        "runs": n,
        "wall_s": round(time.perf_counter() - t0, 2),
        **_stats(ms),
        "max_ms": round(max(ms), 1),
        "statuses": sorted({d[1] for d in done}),
    }


def main() -> None:
    one, fifty = _trivial(1), _trivial(50)
    isolation = sandbox.run(one).isolation
    start = _timed(lambda: sandbox.run(one))
    plain = _timed(lambda: _plain(one))
    many = _timed(lambda: sandbox.run(fifty), 10)
    per_test = (percentile(many, 0.5) - percentile(start, 0.5)) / 49
    built = load_built()
    p = built["py-merge-intervals"]
    full = p.job(p.reference, [*p.examples, *p.tests])
    loop = {**_trivial(1), "code": "def f(x):\n    while True:\n        pass"}
    result = {
        "isolation": isolation,
        "startup_sandboxed": _stats(start),
        "startup_plain": _stats(plain),
        "overhead_p50_ms": round(percentile(start, 0.5) - percentile(plain, 0.5), 1),
        "per_test_ms": round(per_test, 2),
        "problems": _problems(),
        "concurrent_20": _concurrent(full, 20),
        "concurrent_20_loops": _concurrent(loop, 20, Limits(test_s=2, cpu_s=4, wall_s=6)),
    }
    write("sandbox", result, _markdown(result))


def _markdown(r: dict) -> str:
    s, pl = r["startup_sandboxed"], r["startup_plain"]
    c, cl = r["concurrent_20"], r["concurrent_20_loops"]
    lines = [
        "# Sandbox: what a run costs",
        "",
        f"Isolation that applied here: **{r['isolation']}**.",
        "",
        "| measure | p50 | p95 |",
        "|---|---|---|",
        f"| a sandboxed run of one trivial test | {s['p50_ms']} ms | {s['p95_ms']} ms |",
        f"| the same runner as a plain `python -I` (no isolation) | {pl['p50_ms']} ms | "
        f"{pl['p95_ms']} ms |",
        f"| what the isolation adds per run (p50 difference) | {r['overhead_p50_ms']} ms | |",
        f"| each further test in the same run | {r['per_test_ms']} ms | |",
        "",
        "Runs of corpus problems with the reference solution as the code (pandas runs import "
        "pandas in the sandboxed process):",
        "",
        "| problem | track | tests | Run tests (examples) p50 / p95 | full grade run p50 / p95 |",
        "|---|---|---|---|---|",
    ]
    for pid, x in r["problems"].items():
        lines.append(
            f"| {pid} | {x['track']} | {x['tests']} | {x['run_tests']['p50_ms']} / "
            f"{x['run_tests']['p95_ms']} ms | {x['full']['p50_ms']} / {x['full']['p95_ms']} ms |"
        )
    lines += [
        "",
        f"**20 concurrent full runs** (py-merge-intervals, every test): all done in "
        f"{c['wall_s']} s; per run p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms, slowest "
        f"{c['max_ms']} ms; statuses {', '.join(c['statuses'])}.",
        "",
        f"**20 concurrent infinite loops** (2 s per test, 4 CPU-s, 6 s wall): all stopped in "
        f"{cl['wall_s']} s; per run p50 {cl['p50_ms']} ms, slowest {cl['max_ms']} ms; statuses "
        f"{', '.join(cl['statuses'])}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
