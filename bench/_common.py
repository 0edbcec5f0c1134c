"""Shared helpers for the benchmarks: machine description and result writing."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH
        ).stdout.strip(),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def write(name: str, result: dict, markdown: str) -> None:
    result = {"machine": machine(), **result}
    (BENCH / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    header = (
        f"_Measured {m['date']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}, "
        f"commit {m['commit']}._\n\n"
    )
    (BENCH / f"{name}.md").write_text(markdown.rstrip() + "\n\n" + header)
    print(markdown)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_rss_mb(pid: int, key: str = "VmHWM") -> float | None:
    """Process ``pid``'s peak (``VmHWM``) or current (``VmRSS``) resident memory in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


def text_of(chat) -> str:
    """A Gradio chat's messages as plain text (HTML entities decoded)."""
    import html

    parts = []
    for m in chat:
        c = m["content"]
        parts.append("".join(p.get("text", "") for p in c) if isinstance(c, list) else str(c))
    return html.unescape("\n".join(parts))
