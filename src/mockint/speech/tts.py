"""The interviewer's voice offline: Debian's ``espeak-ng``, run as a separate program (the web UI
uses the browser's own speech synthesis instead). It sounds robotic, but it needs no model and
no network. ``say`` plays a text; ``synthesize`` writes it to a WAV file (exported audio)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from mockint.corpus.markdown import plain_text
from mockint.errors import ConfigError

VOICE, WPM = "en-us", 150
FIX = "install espeak-ng (Debian/Ubuntu: apt-get install espeak-ng), or leave the voice off"


def available() -> bool:
    return shutil.which("espeak-ng") is not None


def _argv(text: str, voice: str, wpm: int) -> list[str]:
    if not available():
        raise ConfigError("espeak-ng is not installed", fix=FIX)
    spoken = " ".join(plain_text(text).replace("`", "").split())[:4000]
    return ["espeak-ng", "-v", voice, "-s", str(wpm), "--", spoken]


def synthesize(text: str, out: Path, *, voice: str = VOICE, wpm: int = WPM) -> Path:
    """``text`` (Markdown is read as plain text) spoken into the WAV file ``out``."""
    argv = _argv(text, voice, wpm)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*argv[:-2], "-w", str(out), *argv[-2:]], check=True, timeout=120)
    return out


def say(text: str, *, voice: str = VOICE, wpm: int = WPM) -> subprocess.Popen:
    """Start speaking ``text`` on the default audio device; returns at once."""
    return subprocess.Popen(
        _argv(text, voice, wpm), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
