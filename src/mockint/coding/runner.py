"""Run a candidate's code against test cases and compare the results (stdlib, sqlite3, pandas).

This file is what the sandbox (``sandbox.py``) executes in a separate, locked-down process: it
reads one job as JSON on stdin and writes events as JSON lines, each after the job's ``nonce``
(whatever the candidate's code prints is captured per test, and cannot pass for a result). It
imports nothing of mockint (it runs with ``python -I``); the problem builder also imports it
in-process for trusted reference solutions.

A job: ``{"track": "python" | "pandas" | "sql", "code": str, "entry": str, "tables": {...},
"compare": "exact" | "unordered" | "float" | "frame" | "rows", "ordered": bool, "tests": [...],
"test_s": seconds per test (an alarm; the others still run), "print_limit": bytes, "nonce"}``.
A test: ``{"name", "kind", "args": [...], "expected": ...}`` (python, pandas: a frame is written
``{"frame": {"columns": [...], "rows": [[...], ...]}}``) or, for SQL, ``{"rows": {table: [[...]]},
"expected": {"columns": [...], "rows": [[...]]}}``. Events: ``{"loaded", "error"}``, then one
``{"result": {name, kind, passed, seconds, got | error, printed}}`` per test, then ``{"done"}``.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
import traceback
from collections import Counter

MARKER = "\x00mockint-results\x00"
SHOWN = 300  # characters of a value or error kept in a result


def _short(value) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


# ------------------------------------------------------------------ values


def decode(value):
    """JSON test values to Python: ``{"frame": {"columns", "rows"}}`` becomes a pandas DataFrame,
    ``{"series": [...], "name": ...}`` a Series."""
    if isinstance(value, dict) and set(value) == {"frame"}:
        import pandas as pd

        f = value["frame"]
        return pd.DataFrame(f["rows"], columns=f["columns"])
    if isinstance(value, dict) and set(value) in ({"series"}, {"series", "name"}):
        import pandas as pd

        return pd.Series(value["series"], name=value.get("name"))
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _norm(x):
    """A hashable, comparable form of a result cell (floats rounded, NaN and None alike)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if isinstance(x, float):
        return round(x, 6)
    if hasattr(x, "item"):  # numpy scalars
        return _norm(x.item())
    return x


def same(got, expected, compare: str, ordered: bool, tolerance: float = 1e-6) -> bool:
    """Whether a result matches: ``exact``, ``unordered`` (lists as multisets), ``float``
    (within ``tolerance``, 1e-6 unless given),
    ``frame`` (same columns, same rows; any order unless ``ordered``), ``rows`` (SQL)."""
    if compare == "float":
        try:
            return math.isclose(float(got), float(expected), rel_tol=1e-6, abs_tol=tolerance)
        except (TypeError, ValueError):
            return False
    if compare == "unordered":
        try:
            return Counter(map(_key, got)) == Counter(map(_key, expected))
        except TypeError:
            return False
    if compare in ("frame", "rows"):
        return _same_rows(got, expected, ordered)
    return _key(got) == _key(expected)


def _key(x):
    if isinstance(x, (list, tuple)):
        return tuple(_key(v) for v in x)
    if isinstance(x, set):
        return tuple(sorted(map(_key, x), key=repr))
    if isinstance(x, dict):
        return tuple(sorted((k, _key(v)) for k, v in x.items()))
    return _norm(x)


def _same_rows(got, expected, ordered: bool) -> bool:
    """Columns in order and rows as a multiset (or a list when ``ordered``)."""
    g_cols, g_rows = got
    e_cols, e_rows = expected["columns"], expected["rows"]
    if [str(c).lower() for c in g_cols] != [str(c).lower() for c in e_cols]:
        return False
    g = [tuple(map(_norm, r)) for r in g_rows]
    e = [tuple(map(_norm, r)) for r in e_rows]
    return g == e if ordered else Counter(g) == Counter(e)


def as_rows(result) -> tuple[list, list]:
    """A DataFrame (or Series) as (columns, rows)."""
    import pandas as pd

    if isinstance(result, pd.Series):
        result = result.to_frame()
    if not isinstance(result, pd.DataFrame):
        raise TypeError(f"expected a DataFrame, got {type(result).__name__}")
    frame = result.reset_index(drop=True)
    return [str(c) for c in frame.columns], frame.astype(object).where(
        frame.notna(), None
    ).values.tolist()


# ------------------------------------------------------------------ running


def _sql_db(tables: dict, rows: dict):
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA temp_store = MEMORY")  # sorts stay in memory: no temporary files
    for name, spec in tables.items():
        db.execute(f"CREATE TABLE {name} ({', '.join(spec['columns'])})")
        data = rows.get(name, [])
        if data:
            marks = ", ".join("?" * len(data[0]))
            db.executemany(f"INSERT INTO {name} VALUES ({marks})", data)
    return db


def run_sql(job: dict, test: dict):
    db = _sql_db(job.get("tables", {}), test.get("rows", {}))
    try:
        cur = db.execute(job["code"])
        cols = [d[0] for d in cur.description or []]
        return cols, [list(r) for r in cur.fetchall()]
    finally:
        db.close()


class TestTimeLimit(BaseException):
    """One test ran past its share of the time (an alarm, so the other tests still run)."""


class PrintLimitError(Exception):
    pass


class _Capture:
    """Stands in for stdout and stderr during a test: keeps the start, stops a flood."""

    def __init__(self, limit: int):
        self.limit, self.size, self.parts = limit, 0, []

    def write(self, text: str) -> int:
        self.size += len(text)
        if self.size > self.limit:
            raise PrintLimitError(f"printed more than {self.limit // 1024} KB")
        if sum(map(len, self.parts)) < SHOWN:
            self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return _short("".join(self.parts))


def _alarm(signum, frame):
    raise TestTimeLimit


def run_test(job: dict, fn, test: dict) -> dict:
    """One test, timed from the call (the arguments are built before), with its own alarm."""
    out = {"name": test.get("name", ""), "kind": test.get("kind", ""), "passed": False}
    per_test = job.get("test_s")
    capture = _Capture(job.get("print_limit", 1 << 20))
    try:
        args = decode(test.get("args", [])) if job["track"] != "sql" else None
    except Exception as exc:
        out.update(error=_short(f"{type(exc).__name__}: {exc}"), seconds=0.0)
        return out
    t0 = time.perf_counter()
    try:
        if per_test:
            signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, per_test)
        sys.stdout = sys.stderr = capture
        try:
            out.update(_check(job, fn, test, args))
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            if per_test:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except TestTimeLimit:
        out["error"] = f"TimeLimit: stopped after {per_test:g} s on this test"
    except Exception as exc:
        out["error"] = _short(f"{type(exc).__name__}: {exc}")
    out["seconds"] = time.perf_counter() - t0
    if capture.parts:
        out["printed"] = capture.text()
    return out


def _check(job: dict, fn, test: dict, args) -> dict:
    if job["track"] == "sql":
        got = run_sql(job, test)
    else:
        got = fn(*args)
        if job.get("compare") == "frame":
            got = as_rows(got)
    ok = same(
        got,
        test["expected"],
        job.get("compare", "exact"),
        job.get("ordered", False),
        job.get("tolerance") or 1e-6,
    )
    shown = (
        {"columns": got[0], "rows": got[1][:20]} if job.get("compare") in ("frame", "rows") else got
    )
    return {"passed": ok, "got": _short(shown)}


def load(job: dict) -> tuple[object, str]:
    """The candidate's function (None for SQL) and, when the code does not load, why."""
    if job["track"] == "sql":
        return None, ""
    space: dict = {"__name__": "candidate"}
    capture = _Capture(job.get("print_limit", 1 << 20))
    try:
        sys.stdout = sys.stderr = capture
        exec(compile(job["code"], "<your code>", "exec"), space)
    except BaseException as exc:
        return None, _short(traceback.format_exception_only(type(exc), exc)[-1].strip())
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    fn = space.get(job["entry"])
    if not callable(fn):
        return None, f"define a function named {job['entry']}"
    return fn, ""


def events(job: dict):
    """What a run reports, in order: whether the code loaded, then one result per test."""
    fn, error = load(job)
    yield {"loaded": not error, "error": error}
    if not error:
        for t in job["tests"]:
            yield {"result": run_test(job, fn, t)}
    yield {"done": True}


def run_job(job: dict) -> dict:
    """In-process (trusted code only: the problem builder's reference solutions)."""
    out = {"loaded": False, "error": "", "results": []}
    for e in events(job):
        if "loaded" in e:
            out.update(loaded=e["loaded"], error=e["error"])
        elif "result" in e:
            out["results"].append(e["result"])
    return out


def _as_pid_one() -> None:
    """In a new PID namespace (the sandbox created it): run the job in a child, which is PID 1 of
    the namespace and sees only its own ``/proc``; when it ends, every process it started ends with
    it. Exit as the child did (128 + a signal's number when a signal ended it)."""
    import ctypes

    pid = os.fork()
    if pid == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount(b"proc", b"/proc", b"proc", 0, None)  # this namespace's processes only
        try:
            _run_stdin()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    sys.exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


def _run_stdin() -> None:
    """Read the job, write each event on its own line after the job's nonce (the candidate's
    code, which cannot see the nonce, cannot forge a result line by printing)."""
    job = json.loads(sys.stdin.read())
    nonce = job.pop("nonce", MARKER)
    fd = os.dup(1)
    for e in events(job):
        os.write(fd, f"\n{nonce}{json.dumps(e, default=str)}\n".encode())


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--pid-one":
        _as_pid_one()
    else:
        _run_stdin()


if __name__ == "__main__":
    main()
