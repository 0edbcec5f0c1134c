"""llama.cpp's OpenAI-compatible server (``python -m llama_cpp.server``) as mockint's child.

One server per (model, threads, context) and process, on a free 127.0.0.1 port, started on first
use, restarted if it died, stopped at exit; its launcher (``llama_child``) ends it when mockint is
gone, even after a kill -9. Its environment is an allow-list (``server_env``): the server reads
its settings from the environment over its flags. After start it must listen on 127.0.0.1 and its
port only (``listening`` reads /proc).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mockint.errors import LLMError
from mockint.llm.gguf import MODEL_ALIAS

# The child's environment is built from this allow-list, never copied whole: llama.cpp's server
# reads every one of its settings from the environment *over* its command-line flags (HOST,
# PORT, MODEL, CONFIG_FILE, API_KEY, N_CTX, …, case-insensitively), so a PORT=7861 meant for the
# UI made it bind the UI's port, and HOST=0.0.0.0 would expose it on every interface.
ENV_ALLOW = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TMP",
    "TEMP",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "LD_LIBRARY_PATH",
    "SYSTEMROOT",
)


ENV_ALLOW_PREFIXES = ("LC_",)


def server_env(parent_pid: int) -> dict[str, str]:
    """The environment of the model server: the allow-listed variables of ours, and no setting.

    >>> os.environ["PORT"] = "7861"; sorted(set(server_env(42)) & {"PORT", "MOCKINT_PARENT_PID"})
    ['MOCKINT_PARENT_PID']
    >>> del os.environ["PORT"]
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k in ENV_ALLOW or any(k.startswith(p) for p in ENV_ALLOW_PREFIXES)
    }
    env.update(HF_HUB_OFFLINE="1", MOCKINT_PARENT_PID=str(parent_pid))
    return env


def listening(pid: int) -> list[tuple[str, int]] | None:
    """(address, port) of every TCP socket process ``pid`` listens on; None where /proc cannot tell.

    Reads /proc (Linux): the process's socket inodes, matched against the kernel's TCP tables.
    """
    try:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        found = []
        for table in ("tcp", "tcp6"):
            try:
                lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                cols = line.split()
                if len(cols) > 9 and cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                    addr, port = cols[1].split(":")
                    found.append((_proc_address(addr), int(port, 16)))
        return found
    except OSError:
        return None


def _proc_address(hex_addr: str) -> str:
    """/proc/net/tcp's little-endian hex address as text.

    >>> _proc_address("0100007F"), _proc_address("00000000"), _proc_address("00000000000000000000000001000000")
    ('127.0.0.1', '0.0.0.0', '::1')
    """
    import ipaddress

    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalServer:
    """``python -m llama_cpp.server`` on 127.0.0.1, owned by this process."""

    model: Path
    threads: int = 0
    n_ctx: int = 4096
    log_path: Path | None = None
    port: int = 0
    startup_timeout: float = 180.0
    _proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        threads = str(self.threads or os.cpu_count() or 2)
        # llama_child: the server exits when this process is gone, even after a kill -9
        return [
            sys.executable,
            "-m",
            "mockint.llm.llama_child",
            "llama_cpp.server",
            "--model",
            str(self.model),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_threads",
            threads,
            "--n_threads_batch",
            threads,
            "--n_ctx",
            str(self.n_ctx),
            "--n_batch",
            "512",
            "--verbose",
            "false",
        ]

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> LocalServer:
        if self.alive():
            return self
        self.port = self.port or _free_port()
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self._proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(os.getpid()),
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise LLMError(
                    f"the local model server exited with code {self._proc.returncode} while starting",
                    fix=f"see {self.log_path}" if self.log_path else "run with --llm none",
                )
            self._check_address()
            try:
                with urllib.request.urlopen(self.base_url + "/models", timeout=2) as r:
                    if r.status == 200:
                        self._check_address()
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise LLMError(
            f"the local model server did not answer within {self.startup_timeout:.0f} s",
            fix="the machine may be overloaded; try again or use --llm none",
        )

    def _check_address(self) -> None:
        """The server must listen on 127.0.0.1 and our port, nowhere else; stopped if it does not."""
        found = listening(self._proc.pid) if self._proc else None
        stray = [f"{a}:{p}" for a, p in found or [] if (a, p) != ("127.0.0.1", self.port)]
        if stray:
            self.stop()
            raise LLMError(
                f"the local model server listened on {', '.join(stray)} instead of 127.0.0.1:{self.port}",
                fix="report this as a bug; meanwhile run with --llm none",
            )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


_LOCK = threading.Lock()


_SERVERS: dict = {}


def shared_server(model: Path, *, threads: int, n_ctx: int, log_path: Path | None) -> LocalServer:
    """One running server per (model, threads, context) in this process; restarted if it died."""
    key = (str(model), threads, n_ctx)
    with _LOCK:
        server = _SERVERS.get(key)
        if server is None:
            server = _SERVERS[key] = LocalServer(
                model, threads=threads, n_ctx=n_ctx, log_path=log_path
            )
        if not server.alive():
            server.port = 0
            server.start()
        return server


@atexit.register
def stop_all() -> None:
    with _LOCK:
        for server in _SERVERS.values():
            server.stop()
        _SERVERS.clear()
