"""Kernel-level confinement the sandbox adds around a run: capabilities dropped for good inside
its user namespace, and cgroups capping its processes and memory together where this user may
create them (``sandbox.py`` uses both; each is a no-op where the kernel does not allow it)."""

from __future__ import annotations

import ctypes
import os
import secrets
import time
from pathlib import Path

PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS = 24, 28, 38
SECURE_NOROOT_LOCKED = 0b1111 | (1 << 5)  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, all locked


def drop_capabilities(libc) -> None:
    """Root of the new user namespace could undo the read-only mounts (CAP_SYS_ADMIN there):
    drop every capability, from the bounding set too, and lock ``NOROOT`` so exec as uid 0 does
    not grant them back; no new privileges through setuid files either."""
    if libc.prctl(PR_SET_SECUREBITS, SECURE_NOROOT_LOCKED, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "securebits")
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            raise OSError(ctypes.get_errno(), f"drop capability {cap}")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (x2): all empty
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs")


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
