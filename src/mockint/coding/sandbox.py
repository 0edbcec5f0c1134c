"""Run a candidate's code in a separate, locked-down process (Linux).

The child is ``python -I runner.py`` with an empty environment (no API keys, no settings), in a
new user, mount, network and PID namespace where the kernel allows them (``isolation`` says which
applied): no network (only a loopback that is down); ``/proc`` of its own (no other process, no
other environment to read); the data dir, the problem files and the world-writable folders
covered by empty, size-limited tmpfs mounts, and the rest of the file system read-only, so the
only place it can write is its throw-away working directory; and resource limits: CPU seconds,
address space, file size, open files, processes, no core dumps. The parent enforces the wall time
and the output size, and kills the whole process group (and with it the PID namespace) when either
is exceeded. Tests go in on stdin; nothing of them is on a disk the child can see.

What this is not: a jail for hostile multi-tenant hosting. It relies on the Linux kernel's
namespaces and rlimits, shares the kernel and the Python interpreter's files with the host, and
has no seccomp filter; a kernel exploit escapes it. Where namespaces are not allowed it falls back
to the limits and the empty environment alone, and says so (``isolation: "limits"``): the code can
then read what your user can read.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mockint.coding import confine, runner

RUNNER = Path(runner.__file__).resolve()
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = (
    0x00020000,
    0x10000000,
    0x20000000,
    0x40000000,
)
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


@dataclass
class Limits:
    cpu_s: int = 10  # CPU seconds for the whole run
    wall_s: float = 20.0  # wall-clock seconds
    test_s: float = 4.0  # wall-clock seconds per test (the other tests still run)
    memory_mb: int = 1536  # address space (pandas alone maps a few hundred MB)
    output_kb: int = 256  # what the code may print, and the size of any file it writes
    processes: int = 16  # more than the parent already has
    files: int = 64  # open file descriptors
    tmpfs_mb: int = 64  # the working directory's size


@dataclass
class RunResult:
    status: str  # ok | timeout | memory | output | crashed | no_result | refused
    isolation: str  # namespaces | limits | none (refused)
    seconds: float
    loaded: bool = False
    error: str = ""
    results: list[dict] = field(default_factory=list)
    stderr: str = ""

    @property
    def message(self) -> str:
        """One line for the candidate about a run that did not finish normally."""
        return {
            "timeout": "stopped: the code ran past the time limit (an infinite loop, or too slow)",
            "memory": "stopped: the code used more memory than allowed",
            "output": "stopped: the code printed or wrote more than allowed",
            "crashed": f"the process crashed ({self.error})",
            "no_result": "the process ended before reporting (os._exit, sys.exit in a test, or a crash)",
            "refused": f"the code was not run: the sandbox could not be set up ({self.error}); "
            "run 'mockint doctor'",
        }.get(self.status, self.error)


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


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(
    libc, source: bytes, target: str, fstype: bytes | None, flags: int, data: bytes | None
) -> None:
    if libc.mount(source, target.encode(), fstype, flags, data) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}")


_MOUNT_OPTS = {
    "nosuid": 2,
    "nodev": 4,
    "noexec": 8,
    "noatime": 1024,
    "nodiratime": 2048,
    "relatime": 1 << 21,
}


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


NOBODY = 65534


SECRET_DIRS = ("~/.ssh", "~/.aws", "~/.gnupg", "~/.config", "~/.docker", "~/.kube", "~/.cache")
SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "~/.netrc", "~/.pypirc", "~/.git-credentials")


def _workdir(folder: Path) -> str:
    """Where the code works: ``/tmp`` (covered by a fresh tmpfs) unless the Python or mockint runs
    from under it (a checkout or virtualenv in /tmp), then ``folder``, a fresh tmpfs of its own,
    with the rest of /tmp read-only like everything else."""
    needed = (sys.prefix, sys.base_prefix, sys.executable, str(RUNNER))
    if any(Path(p).resolve().is_relative_to("/tmp") for p in needed):
        return str(folder)
    return "/tmp"


def _enter_namespaces(hide: list[str], limits: Limits, work: str) -> None:
    """In the child, before exec: new namespaces, a private read-only view of the file system with
    empty tmpfs over ``hide``, the usual places of credentials and the world-writable folders,
    a fresh tmpfs as the working directory ``work``, then every capability dropped for good.
    Raises OSError when the kernel refuses."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    _mount(libc, b"none", "/", None, MS_REC | MS_PRIVATE, None)
    _read_only_everywhere(libc)
    for path in [*hide, *(os.path.expanduser(d) for d in SECRET_DIRS)]:
        if Path(path).is_dir():  # the data dir, the problems, credentials: empty in this view
            _mount(libc, b"tmpfs", path, b"tmpfs", MS_RDONLY, b"size=4k")
    for path in (os.path.expanduser(f) for f in SECRET_FILES):
        if Path(path).is_file():
            _mount(libc, b"/dev/null", path, None, MS_BIND, None)
    for path in dict.fromkeys((work, "/var/tmp", "/dev/shm")):  # throw-away, size-limited
        if Path(path).is_dir():
            opts = f"size={limits.tmpfs_mb}m".encode()
            _mount(libc, b"tmpfs", path, b"tmpfs", 0, opts)
    os.chdir(work)
    confine.drop_capabilities(libc)


def _preexec(limits: Limits, hide: list[str], report: int, groups: list[Path], work: str) -> None:
    """Runs in the child between fork and exec (no Python objects shared with the parent after).
    Writes which isolation applied to the pipe ``report``. Without namespaces, root becomes
    ``nobody`` (the code then runs only if ``nobody`` can read the Python installation)."""
    os.setsid()
    for group in groups:
        (group / "cgroup.procs").write_text("0")
    try:
        _enter_namespaces(hide, limits, work)
        isolation = b"namespaces"
    except OSError:  # only the limits below apply
        isolation = b"limits"
        if os.getuid() == 0:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
    os.write(report, isolation)
    os.close(report)
    nproc = _user_processes() + limits.processes
    for res, value in (
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_AS, limits.memory_mb << 20),
        (resource.RLIMIT_FSIZE, limits.output_kb << 10),
        (resource.RLIMIT_NOFILE, limits.files),
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(res, (value, value))


def run(job: dict, limits: Limits | None = None, *, hide: list[str] = ()) -> RunResult:
    """Run ``job`` (see ``runner``) in a fresh sandboxed process."""
    limits = limits or Limits()
    workdir = Path(tempfile.mkdtemp(prefix="mockint-sbx-"))  # the cwd if namespaces are refused
    workdir.chmod(0o1777)
    work = _workdir(workdir)
    env = {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "HOME": work,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    read_end, write_end = os.pipe()
    groups = confine.cgroups(limits)
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", str(RUNNER), "--pid-one"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(workdir),
            preexec_fn=lambda: _preexec(limits, list(hide), write_end, groups, work),
        )
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        for group in groups:
            confine.remove_cgroup(group)
        os.close(read_end)
        why = f"{type(exc).__name__}: {exc}"
        return RunResult("refused", "none", time.perf_counter() - t0, error=why)
    finally:
        os.close(write_end)
    try:
        isolation = os.read(read_end, 64).decode() or "limits"
    finally:
        os.close(read_end)
    try:
        nonce = "\x00" + secrets.token_hex(16) + "\x00"
        extra = {"nonce": nonce, "test_s": limits.test_s, "print_limit": limits.output_kb << 10}
        data = json.dumps({**job, **extra}).encode()
        out, err, status = _communicate(proc, data, limits)
    finally:
        _kill(proc)
        shutil.rmtree(workdir, ignore_errors=True)
        for group in groups:
            confine.remove_cgroup(group)
    seconds = time.perf_counter() - t0
    return _result(out, err, status, proc.returncode, isolation, seconds, nonce)


def _communicate(proc: subprocess.Popen, data: bytes, limits: Limits) -> tuple[bytes, bytes, str]:
    """Feed stdin, read stdout and stderr with a size cap and a wall-clock limit."""
    import selectors

    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    cap = (limits.output_kb << 10) + 65536  # the results themselves need room
    bufs = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    sel = selectors.DefaultSelector()
    for f in bufs:
        sel.register(f, selectors.EVENT_READ)
    deadline = time.monotonic() + limits.wall_s
    while sel.get_map():
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(bufs[proc.stdout]), bytes(bufs[proc.stderr]), "timeout"
        for key, _ in sel.select(timeout=min(left, 0.5)):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                continue
            bufs[key.fileobj] += chunk
            if len(bufs[key.fileobj]) > cap:
                return bytes(bufs[proc.stdout]), bytes(bufs[proc.stderr]), "output"
    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    return bytes(bufs[proc.stdout]), bytes(bufs[proc.stderr]), ""


def _kill(proc: subprocess.Popen) -> None:
    """The whole process group (and so the PID namespace: its init is in the group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _events(out: bytes, nonce: str) -> list[dict]:
    events = []
    for part in out.decode("utf-8", "replace").split(nonce)[1:]:
        try:
            events.append(json.loads(part.split("\n", 1)[0]))
        except json.JSONDecodeError:
            break  # cut off mid-line by a limit
    return events


def _result(
    out: bytes,
    err: bytes,
    status: str,
    code: int | None,
    isolation: str,
    seconds: float,
    nonce: str,
) -> RunResult:
    """The run's outcome; a run stopped by a limit keeps the results of the tests that finished."""
    tail = err.decode("utf-8", "replace")[-2000:]
    events = _events(out, nonce)
    head = next((e for e in events if "loaded" in e), {})
    results = [e["result"] for e in events if "result" in e]
    done = any("done" in e for e in events)
    common = dict(
        loaded=head.get("loaded", False), error=head.get("error", ""), results=results, stderr=tail
    )
    if status:
        return RunResult(status, isolation, seconds, **common)
    if done:
        return RunResult("ok", isolation, seconds, **common)
    sig = (
        -code
        if code is not None and code < 0
        else code - 128
        if code is not None and code > 128
        else 0
    )
    if sig in (signal.SIGXCPU, signal.SIGKILL):
        status = "timeout"
    elif sig == signal.SIGXFSZ:
        status = "output"
    elif "MemoryError" in tail:
        status = "memory"
    elif sig:
        status, common["error"] = "crashed", f"signal {sig}"
    else:
        status, common["error"] = "no_result", f"exit code {code}"
    return RunResult(status, isolation, seconds, **common)
