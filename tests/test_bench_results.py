"""bench/results.py reads every committed bench output: a script changed without its output
re-run (or the collector not following a new format) shows as a "not comparable" row."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_every_committed_bench_output_is_read():
    sys.path.insert(0, str(BENCH))
    try:
        import results
    finally:
        sys.path.remove(str(BENCH))
    data = {n: results.load(n) for n in results.NAMES}
    rows = results.rows({n: d for n, d in data.items() if d is not None})
    stale = [r for r in rows if r[1] == "not comparable"]
    assert not stale, stale
    assert {r[3] for r in rows} >= {"grading", "voice"}, rows
