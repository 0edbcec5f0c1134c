"""The sandbox's launcher: a fresh ``python -I -S jail.py SPEC -- COMMAND...`` that locks itself
down and then becomes ``COMMAND`` (``execv``, same process). Standard library only.

It runs as a process of its own, not as ``preexec_fn`` code in a fork of the caller, because a
fork of a busy multi-threaded process (a web server's worker thread, a test runner that loaded
torch) is not a clean slate: a library's fork handler can start a thread in the child, and the
kernel refuses a new user namespace to a threaded process (``EINVAL``). A fresh interpreter has
one thread. ``sandbox.py`` starts it; SPEC is JSON: ``{"hide": [...], "work": dir, "home": the
caller's home, "groups": [cgroup dirs], "report": fd, "limits": {...}}``.

Before ``execv`` it writes to the ``report`` pipe which isolation applied: ``namespaces``, or
``limits:<why the kernel refused them>``; if a step fails or ``COMMAND`` cannot be executed it
writes ``\\nrefused:<error>`` and exits 126.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = (
    0x00020000,
    0x10000000,
    0x20000000,
    0x40000000,
)
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS = 24, 28, 38
SECURE_NOROOT_LOCKED = 0b1111 | (1 << 5)  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, all locked
NOBODY = 65534
EXEC_FAILED = 126

SECRET_DIRS = ("~/.ssh", "~/.aws", "~/.gnupg", "~/.config", "~/.docker", "~/.kube", "~/.cache")
SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "~/.netrc", "~/.pypirc", "~/.git-credentials")

_MOUNT_OPTS = {
    "nosuid": 2,
    "nodev": 4,
    "noexec": 8,
    "noatime": 1024,
    "nodiratime": 2048,
    "relatime": 1 << 21,
}


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(
    libc, source: bytes | None, target: str, fstype: bytes | None, flags: int, data: bytes | None
) -> None:
    if libc.mount(source, target.encode(), fstype, flags, data) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}")


def _read_only_everywhere(libc) -> None:
    """Every mount of this (new) namespace read-only, keeping the flags the kernel locked; the
    pseudo file systems (/proc, /sys) are left as they are. Any mount that stays writable is an
    error (nothing may hold a file open for writing here: the kernel then refuses, EBUSY)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        cols = line.split()
        point, opts = cols[4], cols[5].split(",")
        if point.startswith(("/proc", "/sys")) or "ro" in opts:
            continue
        points.append((point, sum(_MOUNT_OPTS.get(o, 0) for o in opts)))
    for point, flags in sorted(points, key=lambda p: len(p[0])):
        _mount(libc, None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, None)


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


def _home(path: str, home: str) -> str:
    """``~/x`` under the caller's home (this process's own HOME is the sandbox's working folder)."""
    return os.path.join(home, path[2:]) if path.startswith("~/") else path


def enter_namespaces(hide: list[str], tmpfs_mb: int, work: str, home: str) -> None:
    """New namespaces, a private read-only view of the file system with empty tmpfs over
    ``hide``, the usual places of credentials under ``home`` (the caller's) and the world-writable
    folders, a fresh tmpfs as the working directory ``work``, then every capability dropped for
    good. Raises OSError when the kernel refuses."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    _mount(libc, b"none", "/", None, MS_REC | MS_PRIVATE, None)
    _read_only_everywhere(libc)
    for path in [*hide, *(_home(d, home) for d in SECRET_DIRS)]:
        if Path(path).is_dir():  # the data dir, the problems, credentials: empty in this view
            _mount(libc, b"tmpfs", path, b"tmpfs", MS_RDONLY, b"size=4k")
    for path in (_home(f, home) for f in SECRET_FILES):
        if Path(path).is_file():
            _mount(libc, b"/dev/null", path, None, MS_BIND, None)
    for path in dict.fromkeys((work, "/var/tmp", "/dev/shm")):  # throw-away, size-limited
        if Path(path).is_dir():
            _mount(libc, b"tmpfs", path, b"tmpfs", 0, f"size={tmpfs_mb}m".encode())
    os.chdir(work)
    drop_capabilities(libc)


def _user_processes() -> int:
    uid = os.getuid()
    n = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                n += d.stat().st_uid == uid
            except OSError:
                pass
    return n


def lock_down(spec: dict) -> bytes:
    """Join the cgroups, enter the namespaces (or, refused, drop root to ``nobody``), set the
    resource limits; returns what to report."""
    for group in spec["groups"]:
        Path(group, "cgroup.procs").write_text("0")
    limits = spec["limits"]
    try:
        enter_namespaces(spec["hide"], limits["tmpfs_mb"], spec["work"], spec["home"])
        isolation = b"namespaces"
    except OSError as exc:  # only the limits below apply; the parent is told why
        isolation = b"limits:" + f"{type(exc).__name__}: {exc}".encode()[:400]
        if os.getuid() == 0:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
    nproc = _user_processes() + limits["processes"]
    for res, value in (
        (resource.RLIMIT_CPU, limits["cpu_s"]),
        (resource.RLIMIT_AS, limits["memory_mb"] << 20),
        (resource.RLIMIT_FSIZE, limits["output_kb"] << 10),
        (resource.RLIMIT_NOFILE, limits["files"]),
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(res, (value, value))
    return isolation


def main(argv: list[str]) -> None:
    spec, command = json.loads(argv[1]), argv[3:]
    report = spec["report"]
    os.set_inheritable(report, False)  # closed by a successful exec: the parent reads to EOF
    try:
        os.write(report, lock_down(spec))
        os.execv(command[0], command)
    except Exception as exc:  # whatever it was, the parent reports it
        os.write(report, f"\nrefused:{type(exc).__name__}: {exc}".encode()[:500])
        os._exit(EXEC_FAILED)


if __name__ == "__main__":
    main(sys.argv)
