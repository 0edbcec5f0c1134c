"""Speech to text on this machine: word error rate, real-time factor, load time, memory, and how
long after a 30-second answer its transcript is ready.

The set: 24 answers of our graded interview set (eval/datasets/interview-graded.jsonl, 40–90
words, chosen by a fixed rule, not by how well they transcribe), spoken by espeak-ng at 140 words
per minute in two voices (en-us, and en-us+f3), plus 6 answers of about 70 words (≈ 30 s). Synthetic
speech is harder for Whisper than a human voice (flat prosody, odd vowels), so these error rates
are pessimistic for clear human speech and optimistic for noisy rooms and strong accents.

Each clip is transcribed as mockint does (the question as the prompt) in three ways: the stretches
of speech decoded as a batch with beam search (the default), the same decoded in turn, and the
batch with greedy decoding; WER compares lower-cased words without punctuation. Writes
bench/voice.{json,md}.

    .venv/bin/python bench/voice.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_mb, percentile, write

from mockint.config import Config
from mockint.grading.detectors import other_language
from mockint.speech.model import model_dir
from mockint.speech.transcribe import BATCH_SIZE, BEAM_SIZE, Transcriber

DATA = Path(__file__).resolve().parents[1] / "eval" / "datasets" / "interview-graded.jsonl"
VOICES = ("en-us", "en-us+f3")
# (label, beam size, batch size): mockint's default first
MODES = (
    ("batched, beam 5", BEAM_SIZE, BATCH_SIZE),
    ("in turn, beam 5", 5, 1),
    ("batched, greedy", 1, BATCH_SIZE),
)
WPM = 140
TARGET_RTF, TARGET_WER, TARGET_LATENCY_S = 0.5, 0.15, 3.0


def _clean(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(ref: str, hyp: str) -> tuple[int, int]:
    """(word edits, reference words)."""
    r, h = _clean(ref), _clean(hyp)
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rw != hw))
        prev = cur
    return prev[-1], len(r)


def _pick(rows: list[dict], lo: int, hi: int, n: int) -> list[dict]:
    """Every k-th English answer of ``lo``–``hi`` words without symbols espeak spells out ("O(n)",
    "="). An answer in another language read by an English voice is not speech in any language."""
    ok = [
        r
        for r in rows
        if lo <= len(r["answer"].split()) <= hi
        and not re.search(r"[=()^/<>*_`$\\]", r["answer"])
        and not other_language(r["answer"])
    ]
    step = max(1, len(ok) // n)
    return ok[::step][:n]


def _speak(text: str, voice: str, out: Path) -> float:
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(WPM), "-w", str(out), "--", text], check=True
    )
    import wave

    with wave.open(str(out)) as w:
        return w.getnframes() / w.getframerate()


def _run(tr: Transcriber, clips: list[tuple[dict, str, Path, float]]) -> dict:
    edits = words = 0
    seconds = audio = 0.0
    per_voice: dict[str, list[int]] = {v: [0, 0] for v in VOICES}
    for row, voice, path, dur in clips:
        t = tr.transcribe(path, prompt=row["question"])
        e, n = wer(row["answer"], t.text)
        edits, words = edits + e, words + n
        per_voice[voice][0] += e
        per_voice[voice][1] += n
        seconds, audio = seconds + t.seconds, audio + dur
    return {
        "wer": round(edits / words, 3),
        "wer_per_voice": {v: round(e / n, 3) for v, (e, n) in per_voice.items() if n},
        "rtf": round(seconds / audio, 3),
        "audio_s": round(audio, 1),
    }


def _wall(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def _web_handler(home: Path, tr: Transcriber):
    """The web app's microphone handler in a started practice interview, with ``tr`` loaded: what
    runs between the recording reaching the server and the words in the answer box (the file
    read and decoded, transcribed, kept for the turn, delivery measured)."""
    from mockint.runtime import Runtime
    from mockint.search.embedding import HashEmbedder
    from mockint.ui import handlers as h
    from mockint.ui.voice import transcribe_answer

    rt = Runtime(
        Config.load(home=home, embedding_model="hash-fake", llm="none"), embedder=HashEmbedder()
    )
    rt.__dict__["transcriber"] = tr
    tr.model()
    ctx = h.UIContext(rt, grader="offline")
    state = h.start(ctx, h.new_state(), questions=3).state
    return lambda path: transcribe_answer(ctx, state, str(path), "")


def main() -> None:
    rows = [json.loads(x) for x in DATA.read_text().splitlines() if x.strip()]
    answers, long = _pick(rows, 40, 90, 12), _pick(rows, 66, 80, 6)
    home = Path(tempfile.mkdtemp(prefix="mockint-voice-bench-"))
    t0 = time.perf_counter()
    folder = model_dir("packaged", Config.load(home=home).home)
    assemble_s = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="mockint-voice-clips-"))
    clips = [
        (r, v, tmp / f"{i}-{v}.wav", _speak(r["answer"], v, tmp / f"{i}-{v}.wav"))
        for i, r in enumerate(answers)
        for v in VOICES
    ]
    thirty = [
        (r, VOICES[0], tmp / f"long{i}.wav", _speak(r["answer"], VOICES[0], tmp / f"long{i}.wav"))
        for i, r in enumerate(long)
    ]
    result: dict = {"clips": len(clips), "assemble_and_check_s": round(assemble_s, 1)}
    for label, beam, batch in MODES:
        tr = Transcriber(folder, beam_size=beam, batch_size=batch)
        tr.model()
        run = _run(tr, clips)
        run["load_s"] = round(tr.load_seconds, 2)
        lat = [_wall(tr.transcribe, p, prompt=r["question"]) for r, _, p, _ in thirty]
        run["latency_30s_p50"] = round(percentile(lat, 0.5), 2)
        run["latency_30s_p95"] = round(percentile(lat, 0.95), 2)
        run["thirty_s_audio"] = round(sum(d for *_, d in thirty) / len(thirty), 1)
        result[label] = run
    tr = Transcriber(folder)  # the default, through the web app's handler
    web = [_wall(_web_handler(home, tr), p) for _, _, p, _ in thirty]
    result["web_handler_30s_p50"] = round(percentile(web, 0.5), 2)
    result["web_handler_30s_p95"] = round(percentile(web, 0.95), 2)
    result["peak_rss_mb"] = round(peak_rss_mb())
    write("voice", result, _markdown(result))


def _markdown(r: dict) -> str:
    lines = [
        "# Speech to text (packaged Whisper base, CTranslate2 int8, 2 cores)",
        "",
        f"{r['clips']} clips: 12 English answers of our graded set × 2 espeak-ng voices ({', '.join(VOICES)}), "
        f"{WPM} words/min; 6 more answers of ≈ 30 s for the latency. Synthetic speech is harder "
        "than a clear human voice (flat, odd vowels): read these as pessimistic for a quiet room. "
        "Answers in another language are left out (the grader's other-language detector): an "
        "English voice reading Spanish is not speech the target is about.",
        "",
        "| decoding | WER (target ≤ 15%) | WER per voice | real-time factor (≤ 0.5) | "
        "transcript after a 30-s answer, p50 / p95 (≤ 3 s) | load |",
        "|---|---|---|---|---|---|",
    ]
    for n, (label, *_) in enumerate(MODES):
        x = r[label]
        voices = ", ".join(f"{v} {w:.1%}" for v, w in x["wer_per_voice"].items())
        lines.append(
            f"| {label}{' (mockint default)' if n == 0 else ''} | {x['wer']:.1%} | {voices} "
            f"| {x['rtf']:.2f} | {x['latency_30s_p50']:.1f} / {x['latency_30s_p95']:.1f} s "
            f"({x['thirty_s_audio']:.0f}-s clips) | {x['load_s']:.1f} s |"
        )
    lines += [
        "",
        f"Assembling the model from its two packages and checking its SHA-256 (first run): "
        f"{r['assemble_and_check_s']} s. Peak memory of this process: {r['peak_rss_mb']} MB.",
        "",
        "Transcript times are wall time around the whole call (the file read and decoded, then "
        "transcribed). Through the web app's microphone handler (the same, plus the recording kept "
        "for the turn and the delivery numbers; the default decoding), a 30-s answer's words are in "
        f"the answer box {r['web_handler_30s_p50']:.1f} s (p50) / {r['web_handler_30s_p95']:.1f} s "
        "(p95) after the recording reaches the server; the browser's upload on loopback comes on top.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
