"""The cgroups the sandbox puts a run in: its processes and memory capped together, where this
user may create them (a no-op where the kernel does not allow it). The launcher (``jail.py``)
joins them; ``sandbox.py`` makes and removes them."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

# (hierarchy root, file, value): cgroup v1 has one hierarchy per controller, v2 one for all
CGROUP_CAPS = (
    ("/sys/fs/cgroup/pids", "pids.max", lambda lim: str(lim.processes)),
    ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", lambda lim: str(2 * lim.memory_mb << 20)),
    ("/sys/fs/cgroup", "pids.max", lambda lim: str(lim.processes)),
    ("/sys/fs/cgroup", "memory.max", lambda lim: str(2 * lim.memory_mb << 20)),
)


def cgroups(limits) -> list[Path]:
    """Fresh cgroups capping the number of processes and their memory together, where this user
    may make them (the process-count rlimit does not bind root, and the address-space rlimit is
    per process: a fork bomb run by root needs these)."""
    groups: dict[str, Path] = {}
    for root, name, value in CGROUP_CAPS:
        root = Path(root)
        if not (root / "cgroup.procs").exists() or not os.access(root, os.W_OK):
            continue
        group = groups.get(str(root)) or root / f"mockint-{secrets.token_hex(6)}"
        try:
            group.mkdir(exist_ok=True)
            (group / name).write_text(value(limits))
            groups[str(root)] = group
        except OSError:
            if str(root) not in groups:
                remove_cgroup(group)
    return list(groups.values())


def remove_cgroup(group: Path) -> None:
    for _ in range(50):  # the killed processes take a moment to leave it
        try:
            if group.exists():
                group.rmdir()
            return
        except OSError:
            time.sleep(0.02)
