"""How long ``make run``'s setup takes on a fresh clone: cold (empty pip cache, no cached llama.cpp
build) and warm (both caches from the cold run), on this machine.

Clones HEAD into a temporary folder, then runs ``make setup`` there twice with its own pip cache
(``PIP_CACHE_DIR``), llama.cpp wheel cache (``LLAMA_CACHE``), wheelhouse of the locked packages
(``WHEELHOUSE``) and uv cache (``UV_CACHE_DIR``): the first time all are empty, the second time
the venv is removed but the caches are kept. Each run's wall time, and for the
cold run how long compiling llama-cpp-python took (from make's own output). Writes
bench/install.{json,md}. Downloads only from the package index (and the PyTorch wheel on disk).

    python3 bench/install.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write

REPO = Path(__file__).resolve().parents[1]
TARGET_COLD, TARGET_WARM = 8 * 60, 60


def setup(clone: Path, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(["make", "setup"], cwd=clone, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(
            f"make setup failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds, done.stdout + done.stderr


def main() -> None:
    import os

    with tempfile.TemporaryDirectory(prefix="mockint-install-") as tmp:
        tmp = Path(tmp)
        clone = tmp / "mockint"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        env = {
            **os.environ,
            "PIP_CACHE_DIR": str(tmp / "pip-cache"),
            "LLAMA_CACHE": str(tmp / "llama"),
            "WHEELHOUSE": str(tmp / "wheelhouse"),
            "UV_CACHE_DIR": str(tmp / "uv-cache"),
            "TIME": "%e",
        }
        cold, log = setup(clone, env)
        compiled = bool(re.search(r"compiling llama-cpp-python", log))
        shutil.rmtree(clone / ".venv")
        warm, _ = setup(clone, env)
        size = sum(f.stat().st_size for f in (clone / ".venv").rglob("*") if f.is_file()) / 1e9
    result = {
        "cold_s": round(cold, 1),
        "warm_s": round(warm, 1),
        "compiled_llama": compiled,
        "venv_gb": round(size, 2),
        "target_cold_s": TARGET_COLD,
        "target_warm_s": TARGET_WARM,
    }
    md = "\n".join(
        [
            "**Fresh install** (`bench/install.md`): `make setup` (what `make run` and `make test` do first) "
            "in a fresh clone of HEAD.",
            "",
            "| run | wall time | target |",
            "|---|---|---|",
            f"| cold: empty caches (pip, wheelhouse, uv), llama-cpp-python compiled for this CPU | {cold / 60:.1f} min | ≤ 8 min |",
            f"| warm: the venv removed, the caches and the compiled wheel kept | {warm:.0f} s | ≤ 60 s |",
            "",
            f"The venv holds {size:.2f} GB. The PyTorch CPU wheel comes from this machine's disk (the pinned "
            "torch==2.13.0); everything else from the package index. pip downloads the locked wheels into a "
            "wheelhouse once per lock; uv installs from it with no index and hard-links the unpacked files "
            "from its cache, so the venv's files and uv's cache share their disk blocks.",
        ]
    )
    write("install", result, md)


if __name__ == "__main__":
    main()
