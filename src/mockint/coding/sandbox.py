"""Run a candidate's code in a separate, locked-down process (Linux).

The child is ``python -I runner.py`` with an empty environment (no API keys, no settings),
started through a launcher (``jail.py``, a fresh single-threaded interpreter that locks itself
down, then becomes the runner) in a new user, mount, network and PID namespace where the kernel
allows them (``isolation`` says which applied): no network (only a loopback that is down); ``/proc`` of its own (no other process, no
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

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mockint.coding import confine, jail, runner

RUNNER = Path(runner.__file__).resolve()
JAIL = Path(jail.__file__).resolve()


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
    fallback: str = ""  # why the kernel refused the namespaces (isolation "limits")

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


def _workdir(folder: Path) -> str:
    """Where the code works: ``/tmp`` (covered by a fresh tmpfs) unless the Python or mockint runs
    from under it (a checkout or virtualenv in /tmp), then ``folder``, a fresh tmpfs of its own,
    with the rest of /tmp read-only like everything else."""
    needed = (sys.prefix, sys.base_prefix, sys.executable, str(RUNNER))
    if any(Path(p).resolve().is_relative_to("/tmp") for p in needed):
        return str(folder)
    return "/tmp"


def run(job: dict, limits: Limits | None = None, *, hide: list[str] = ()) -> RunResult:
    """Run ``job`` (see ``runner``) in a fresh sandboxed process."""
    limits = limits or Limits()
    workdir = Path(tempfile.mkdtemp(prefix="mockint-sbx-"))  # the cwd if namespaces are refused
    workdir.chmod(0o1777)
    groups = confine.cgroups(limits)
    t0 = time.perf_counter()
    proc, isolation, fallback, refused = _start(limits, list(hide), workdir, groups)
    if proc is None:
        shutil.rmtree(workdir, ignore_errors=True)
        for group in groups:
            confine.remove_cgroup(group)
        seconds = time.perf_counter() - t0
        return RunResult("refused", "none", seconds, error=refused, fallback=fallback)
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
    result = _result(out, err, status, proc.returncode, isolation, seconds, nonce)
    result.fallback = fallback
    return result


def _start(
    limits: Limits, hide: list[str], workdir: Path, groups: list[Path]
) -> tuple[subprocess.Popen | None, str, str, str]:
    """Start the launcher, which locks itself down and becomes the runner. Returns the process
    (None if it could not start), the isolation that applied, why the kernel refused the
    namespaces if it did, and why the run could not start if it could not."""
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
    spec = {
        "hide": hide,
        "work": work,
        "home": os.path.expanduser("~"),  # the child's HOME is its working folder
        "groups": [str(g) for g in groups],
        "report": write_end,
        "limits": asdict(limits),
    }
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(JAIL), json.dumps(spec), "--"]
            + [sys.executable, "-I", str(RUNNER), "--pid-one"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(workdir),
            pass_fds=(write_end,),
            start_new_session=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        proc, refused = None, f"{type(exc).__name__}: {exc}"
    os.close(write_end)
    isolation, fallback, why = _report(read_end)  # to EOF: the launcher exec'd the runner, or ended
    if proc is not None and why:
        _, err = proc.communicate(timeout=10)
        tail = err.decode("utf-8", "replace").strip()[-300:]
        proc, refused = None, why + (f" ({tail})" if tail and "without a word" in why else "")
    if proc is None:
        return (
            None,
            "none",
            fallback,
            refused + (f"; namespaces refused: {fallback}" if fallback else ""),
        )
    return proc, isolation, fallback, ""


def _report(read_end: int) -> tuple[str, str, str]:
    """What the launcher (``jail.py``) wrote before it became the runner, read to EOF (closes
    ``read_end``): the isolation that applied, why the kernel refused the namespaces (if it
    did), and why the run could not start (if it could not)."""
    chunks = []
    try:
        while chunk := os.read(read_end, 4096):
            chunks.append(chunk)
    finally:
        os.close(read_end)
    text = b"".join(chunks).decode("utf-8", "replace")
    head, _, failed = text.partition("\nrefused:")
    isolation, _, fallback = (head or "limits").partition(":")
    if not text:
        failed = "the launcher ended without a word (see its stderr)"
    return isolation, fallback.strip(), failed.strip()


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
