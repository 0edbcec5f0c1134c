"""Speech to text with word timestamps: faster-whisper (CTranslate2, int8 on the CPU) on the
packaged Whisper base (``model.py``), English, with its voice-activity filter. The stretches of
speech the filter finds are decoded as one batch (``BATCH_SIZE``; real-time factor 0.12 against
0.22 decoding them in turn on 2 cores, ``bench/voice.md``), in a window as long as the batch's
longest stretch plus 1 s but at least 10 s (faster-whisper pads every batch to 30 s, and the
encoder's cost follows the window), with at most ``TOKENS_PER_S`` new tokens per second of speech.

``Transcriber.transcribe(path)`` checks the file first and says what is wrong in one line
(missing, empty, not audio, a codec the decoder rejects, silence); audio longer than
``max_seconds`` is cut there and the transcript says so. Segments Whisper itself marks as
probably not speech (high no-speech probability with a low log-probability) are dropped, so noise
gives "no speech detected" rather than invented words; a repetition loop (a few characters, or a
whole sentence three times) is cut to its first turn. The question can be
given as a prompt: its words (model names, "L1", "ROC") are then spelled as the interviewer
spelled them, and the filler-style prompt tail keeps "um" and "uh" in the transcript (Whisper
drops them otherwise), which the delivery feedback counts.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from mockint.errors import AudioError

SAMPLE_RATE = 16_000
MAX_SECONDS = 300  # an interview answer; longer audio is cut here (and the transcript says so)
SILENCE_RMS = 3e-4  # below this the recording is silence (no microphone, muted)
FILLER_PROMPT = "Umm, let me think, like, hmm... uh, okay."
BEAM_SIZE = 5  # beam search; bench/voice.md compares greedy decoding (1)
BATCH_SIZE = 8  # speech stretches (cut by the voice-activity filter) decoded together; 1: in turn
# Whisper reads each batch of stretches in a window as long as its longest stretch plus
# WINDOW_PAD_S, but never shorter than MIN_WINDOW_S, instead of faster-whisper's fixed 30 s: the
# encoder's cost follows the window. A window of the speech plus 1 s alone sent a short last
# piece into a repetition loop on a held-out clip; with the 10-s minimum it did not (README).
MIN_WINDOW_S = 10.0
WINDOW_PAD_S = 1.0
# new tokens Whisper may write per batch: TOKENS_PER_S per second of the longest stretch plus
# TOKENS_MIN (speech at 200 words/min is ~5 tokens/s with timestamps): a loop stops there
TOKENS_PER_S, TOKENS_MIN = 8, 24
FORMATS = "WAV, MP3, M4A, WebM or OGG"


@dataclass
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass
class Transcript:
    text: str
    words: list[Word]
    duration_s: float  # of the audio (after any cut)
    audio_s: float  # of the whole file
    seconds: float = 0.0  # transcription time
    notes: list[str] = field(default_factory=list)  # what the candidate should know

    @property
    def capped(self) -> bool:
        return self.audio_s > self.duration_s + 0.5

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def load_audio(path: Path, max_seconds: float = MAX_SECONDS):
    """(16 kHz mono float32 samples, the file's duration in seconds), or AudioError."""
    import numpy as np

    where = str(path)
    if not path.exists():
        raise AudioError("audio file not found", where=where, fix="check the path")
    if path.is_dir():
        raise AudioError("this is a folder, not an audio file", where=where, fix="pass a file")
    if path.stat().st_size == 0:
        raise AudioError(
            "the audio file is empty (0 bytes)", where=where, fix="record again, or pick the file"
        )
    try:
        from faster_whisper.audio import decode_audio

        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV: not audio, unknown container, codec it cannot decode
        reason = str(exc).split("\n")[0][:160] or type(exc).__name__
        raise AudioError(
            f"cannot decode this as audio ({reason})",
            where=where,
            fix=f"use {FORMATS}; record again if the file is cut",
        ) from exc
    if samples.size == 0:
        raise AudioError("the file holds no audio samples", where=where, fix=f"use {FORMATS}")
    total = samples.size / SAMPLE_RATE
    return np.ascontiguousarray(samples[: int(max_seconds * SAMPLE_RATE)]), total


class Transcriber:
    """One model per process, loaded on first use; transcriptions run one at a time (each uses
    every core)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int = 0,
        max_seconds: float = MAX_SECONDS,
        beam_size: int = BEAM_SIZE,
        batch_size: int = BATCH_SIZE,
        short_window: bool = True,
    ):
        self.model_dir, self.max_seconds, self.beam_size = model_dir, max_seconds, beam_size
        self.batch_size, self.short_window = batch_size, short_window
        self.threads = threads or os.cpu_count() or 1
        self._model = None
        self._lock = threading.Lock()
        self.load_seconds = 0.0

    def model(self):
        if self._model is None:
            from faster_whisper import WhisperModel

            t0 = time.perf_counter()
            self._model = WhisperModel(
                str(self.model_dir), device="cpu", compute_type="int8", cpu_threads=self.threads
            )
            self.load_seconds = time.perf_counter() - t0
        return self._model

    def transcribe(self, path: Path | str, *, prompt: str = "") -> Transcript:
        """The words said in ``path`` (English). ``prompt``: the question, to spell its terms."""

        samples, total = load_audio(Path(path), self.max_seconds)
        duration = samples.size / SAMPLE_RATE
        notes = []
        if total > duration + 0.5:
            notes.append(
                f"the recording is {total / 60:.1f} min long: only the first "
                f"{_span(self.max_seconds)} were transcribed"
            )
        if silent(samples):
            return Transcript("", [], duration, total, 0.0, [*notes, NO_SPEECH + " (silence)"])
        t0 = time.perf_counter()
        text, words = self.words(samples, prompt=prompt)
        if not text:
            notes.append(NO_SPEECH)
        return Transcript(text, words, duration, total, time.perf_counter() - t0, notes)

    def words(self, samples, *, prompt: str = "", offset: float = 0.0) -> tuple[str, list[Word]]:
        """The text and timed words of 16-kHz mono ``samples`` (one transcription at a time);
        ``offset`` (seconds) is added to every word's times, for a piece of a longer recording."""
        with self._lock:
            text, words = _spoken(self._decode(samples, prompt))
        for w in words:
            w.start, w.end = w.start + offset, w.end + offset
        return text, words

    def _decode(self, samples, prompt: str) -> list:
        """Whisper's segments for ``samples``: the stretches of speech the voice-activity filter
        finds, decoded side by side (``batch_size`` > 1) or in turn."""
        model = self.model()
        options = dict(
            language="en",
            beam_size=self.beam_size,
            vad_filter=True,
            word_timestamps=True,
            initial_prompt=" ".join(x for x in (prompt[:600], FILLER_PROMPT) if x),
            condition_on_previous_text=False,
        )
        if self.batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            pipeline = _short_window_pipeline() if self.short_window else BatchedInferencePipeline
            segments, _ = pipeline(model).transcribe(samples, batch_size=self.batch_size, **options)
        else:
            segments, _ = model.transcribe(samples, **options)
        return list(segments)


@functools.cache
def _short_window_pipeline():
    """faster-whisper's batched pipeline with each batch's features cut to its longest stretch
    plus ``WINDOW_PAD_S`` (at least ``MIN_WINDOW_S``) instead of padded to 30 s, and at most
    ``TOKENS_PER_S`` new tokens per second of that stretch. Relies on ``forward`` (features,
    tokenizer, chunks_metadata, options) of faster-whisper 1.2, pinned in the lock file;
    ``tests/test_voice.py`` checks that the window is really cut and the tokens capped."""
    import dataclasses
    import math

    import numpy as np
    from faster_whisper import BatchedInferencePipeline

    class ShortWindowPipeline(BatchedInferencePipeline):
        def forward(self, features, tokenizer, chunks_metadata, options):
            longest = math.ceil(max(c["duration"] for c in chunks_metadata))
            rate = self.model.frames_per_second
            frames = int(max(MIN_WINDOW_S * rate, (longest + WINDOW_PAD_S) * rate))
            frames = min(features.shape[-1], frames + frames % 2)  # the encoder halves it
            cut = np.ascontiguousarray(features[..., :frames])
            prompt = self.model.get_prompt(
                tokenizer,
                previous_tokens=tokenizer.encode(options.initial_prompt or ""),
                without_timestamps=options.without_timestamps,
                hotwords=options.hotwords,
            )
            room = self.model.max_length - len(prompt)
            cap = min(room, TOKENS_MIN + TOKENS_PER_S * longest)
            options = dataclasses.replace(options, max_new_tokens=cap)
            return super().forward(cut, tokenizer, chunks_metadata, options)

    return ShortWindowPipeline


def silent(samples) -> bool:
    """No microphone, or a muted one: the loudness never rises above ``SILENCE_RMS``."""
    import numpy as np

    return (
        samples.size == 0 or float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) < SILENCE_RMS
    )


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


NO_SPEECH = "no speech detected: type your answer, or record again closer to the microphone"


def _is_speech(segment) -> bool:
    """Whisper's own signs that a segment is not speech: probably silence and unsure of the
    words, or a short unsure scrap (the "Thank you." or "You" it invents on a trailing breath)."""
    if segment.no_speech_prob > 0.5 and segment.avg_logprob < -0.8:
        return False
    return not (segment.avg_logprob < -1.0 and segment.end - segment.start < 1.0)


REPETITIVE = 2.4  # Whisper's own compression-ratio threshold for a decoding gone into a loop
LOOP = re.compile(r"(.{2,40}?)\1{3,}", re.S)  # 2-40 characters four or more times in a row
# whole words (20-300 characters) three or more times in a row: never said on purpose, and
# Whisper's timestamps may split the loop over segments, so the whole transcript is checked
LONG_LOOP = re.compile(r"(?<!\S)(\S.{18,298}?\s)\1{2,}", re.S)


def _spoken(segments) -> tuple[str, list[Word]]:
    """The text and timed words of the segments that are speech. A repetitive segment (a loop
    such as "the loss, the loss, the loss, …", which Whisper falls into on speech it cannot read)
    keeps its other words (``without_loops``): a batch decodes up to 30 s as one segment, too much
    to drop whole. A sentence said three times in a row is cut to its first turn anywhere."""
    parts: list[str] = []
    words: list[Word] = []
    for s in segments:
        if not _is_speech(s):
            continue
        ws = [
            Word(w.word.strip(), float(w.start), float(w.end), float(w.probability))
            for w in (s.words or [])
            if w.word.strip()
        ]
        text = s.text.strip()
        if s.compression_ratio > REPETITIVE:
            ws = without_loops(ws)
            text = " ".join(w.text for w in ws)
        if text:
            parts.append(text)
            words += ws
    kept = without_loops(words, LONG_LOOP)
    if len(kept) < len(words):
        return " ".join(w.text for w in kept), kept
    return " ".join(parts).strip(), words


def without_loops(words: list[Word], loop: re.Pattern = LOOP) -> list[Word]:
    """``words`` without those inside a loop past its first turn (a loop inside one word, such as
    "D.O.D.O.D.O.", takes that word with it).

    >>> w = [Word(x, i, i + 0.5, 0.9) for i, x in enumerate("so it is D.O.D.O.D.O.D.O.D.O. fine".split())]
    >>> [x.text for x in without_loops(w)]
    ['so', 'it', 'is', 'fine']
    >>> [x.text for x in without_loops(w[:3] + [Word(x, 9, 9.5, 0.9) for x in ("the loss, " * 5).split()])]
    ['so', 'it', 'is', 'the', 'loss,']
    >>> s = [Word(x, 9, 9.5, 0.9) for x in ("a new drug beats a placebo. " * 3).split()]
    >>> " ".join(x.text for x in without_loops(w[:3] + s, LONG_LOOP))
    'so it is a new drug beats a placebo.'
    """
    joined, spans = "", []
    for w in words:
        spans.append((len(joined), len(joined) + len(w.text)))
        joined += w.text + " "
    cuts = [(m.start() + len(m.group(1)), m.end()) for m in loop.finditer(joined)]
    return [
        w
        for w, (a, b) in zip(words, spans)
        if not any(a < end and b > start for start, end in cuts)
    ]
