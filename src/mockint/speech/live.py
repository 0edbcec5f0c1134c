"""Transcribing while the candidate speaks: the browser sends the microphone's audio in pieces
(every half second). Each time ``STRETCH_S`` seconds of new audio have come in, a worker thread
asks the voice-activity filter for the pauses in what is not transcribed yet and transcribes up
to one of them while the candidate goes on; when the recording stops only the rest is left to do
(``bench/voice.md``: the wait after Stop for a 30-s answer, against transcribing the whole file).

Two things keep the accuracy of pieces close to a whole file's (Whisper reads a sentence better
inside a longer stretch): Whisper hears the last ``LOOKBACK_S`` seconds already transcribed again
before a new piece (their words are dropped), and with ``HOLD_BACK`` the last sentence of a piece
is only kept once the next piece has heard what follows it (if the recording stops first, the
words heard for it are kept). Pieces are cut in pauses (≥ ``PAUSE_MS`` of silence), never inside
a word; a stretch of ``FORCE_S`` seconds without one is cut where the filter splits it. Words keep
their time in the recording, so the delivery numbers (pace, pauses) are the same as for a file.

    rec = LiveRecording(transcriber, prompt=question)
    for rate, pcm in pieces:          # int16 or float, mono or (samples, channels)
        rec.add(rate, pcm)            # returns at once
        rec.heard()                   # the words so far
    t = rec.finish()                  # a Transcript; t.seconds: the wait after the stop
    rec.save(path)                    # the whole recording, 16-kHz WAV
"""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path

import numpy as np

from mockint.speech.transcribe import (
    MAX_SECONDS,
    NO_SPEECH,
    SAMPLE_RATE,
    Transcriber,
    Transcript,
    Word,
    _span,
    silent,
)

# the web page sends the microphone's audio this often (ui/interview_tab.py); what is said after
# the last piece before Stop is not sent (Gradio's recorder drops it): at most this much is lost
STREAM_EVERY_S = 0.5
STRETCH_S = 5.0  # new audio (since the last piece heard) that starts a piece
PAUSE_MS = 300  # silence that ends a piece
FORCE_S = 20.0  # the longest piece: cut at the filter's best gap even without a pause
TAIL_S = 0.3  # a pause this close to the end may be a breath inside a word: wait for more
LOOKBACK_S = 10.0  # audio already transcribed that Whisper hears again before a new piece
FINAL_LOOKBACK_S = 0.0  # after Stop the rest is heard on its own: the wait is what counts
HOLD_BACK = True  # keep a piece's last sentence for the next piece (heard with what follows)
PAD_S = 0.5  # silence after a piece: a word cut close to its end is heard worse without it


class LiveRecording:
    """One recording arriving in pieces. ``add`` is called from the web server's stream handler,
    transcription runs in one worker thread at a time; every method is safe to call from any
    thread."""

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        prompt: str = "",
        max_seconds: float = MAX_SECONDS,
        stretch_s: float = STRETCH_S,
        lookback_s: float = LOOKBACK_S,
        hold_back: bool = HOLD_BACK,
    ):
        self.transcriber, self.prompt = transcriber, prompt
        self.max_seconds, self.stretch_s = max_seconds, stretch_s
        self.lookback_s, self.hold_back = lookback_s, hold_back
        self._cuts: list[int] = []  # where each piece with speech starts (samples at ``rate``)
        # the words heard past the done mark by the last piece, and where that piece ended
        self._ahead: tuple[list[Word], int] | None = None
        self.rate = 0
        self.received_s = 0.0  # all audio sent, also past the cap
        self._buf = np.zeros(0, np.float32)  # mono float32 at ``rate``; grows by doubling
        self._n = 0  # samples kept (``_buf[:_n]``)
        self._done = 0  # samples (at ``rate``) already transcribed
        self._parts: list[tuple[str, list[Word]]] = []
        self._job: threading.Thread | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self.closed = False
        self.created = time.monotonic()
        # the raw bytes of the newest piece (the page's stop event repeats it)
        self.last_piece: bytes = b""
        self.shown = ""  # the words the page last showed (ui/voice.py: only news is sent)

    # -- audio in ---------------------------------------------------------------------------
    def add(self, rate: int, data) -> None:
        """A piece of the recording: ``data`` int16 or float samples, mono or (samples,
        channels), at ``rate`` Hz. Past ``max_seconds`` pieces are counted, not kept."""
        raw = np.asarray(data)
        samples = _mono_float(raw)
        with self._lock:
            if self.closed or samples.size == 0:
                return
            self.received_s += samples.size / rate
            if self.rate and rate != self.rate:
                samples = _resample(samples, rate, self.rate)
            self.rate = self.rate or int(rate)
            self.last_piece = raw.tobytes()
            keep = samples[: max(0, int(self.max_seconds * self.rate) - self._n)]
            if self._n + keep.size > self._buf.size:
                grown = np.zeros(max(2 * self._buf.size, self._n + keep.size), np.float32)
                grown[: self._n] = self._buf[: self._n]
                self._buf = grown
            self._buf[self._n : self._n + keep.size] = keep
            self._n += keep.size
            self._start_piece_if_due()

    def _start_piece_if_due(self) -> None:
        """(lock held) Start the worker on the untranscribed audio when there is enough of it."""
        if self._job is not None and self._job.is_alive():
            return
        heard_to = self._ahead[1] if self._ahead else self._done
        if (self._n - heard_to) / max(self.rate, 1) < self.stretch_s:
            return
        audio = self._joined()[self._done :]
        self._job = threading.Thread(
            target=self._piece,
            args=(audio, self._done),
            name="mockint-live-transcribe",
            daemon=True,
        )
        self._job.start()

    def _joined(self) -> np.ndarray:
        """(lock held) The samples so far (a view: only ever appended to)."""
        return self._buf[: self._n]

    # -- transcription ----------------------------------------------------------------------
    def _piece(self, audio: np.ndarray, start: int) -> None:
        """(worker) Transcribe ``audio`` up to a pause; move the done mark there. With
        ``hold_back`` the words after the second-to-last pause wait for the next piece: Whisper
        hears them, as the next sentence's start, but they are only kept once it has heard what
        follows them."""
        try:
            found = pauses(_resample(audio, self.rate, SAMPLE_RATE))
            if found is None:
                return  # speech still going on: the next piece of audio will try again
            cuts, speech = found
            to = lambda i: start + int(round(i * self.rate / SAMPLE_RATE))  # noqa: E731
            if not speech:
                self._transcribe(start, to(cuts[-1]), speech=False)
            elif self.hold_back and len(cuts) >= 2:
                self._transcribe(start, to(cuts[-2]), hear_to=to(cuts[-1]))
            elif not self.hold_back or audio.size / self.rate >= FORCE_S:
                self._transcribe(start, to(cuts[-1]))
        except BaseException as exc:
            self._error = exc

    def _transcribe(
        self,
        start: int,
        end: int,
        *,
        speech: bool = True,
        hear_to: int | None = None,
        lookback_s: float | None = None,
    ) -> None:
        """Samples ``start:end`` (at ``rate``) into words. Whisper hears them after the pieces of
        the last ``lookback_s`` seconds (it reads a sentence better with the one before it);
        the words of those earlier pieces are heard again and left out."""
        with self._lock:
            audio = self._joined()
        back = self.lookback_s if lookback_s is None else lookback_s
        earlier = [c for c in self._cuts if start - back * self.rate <= c < start]
        begin = earlier[0] if earlier else start
        at16 = _resample(audio[begin : hear_to or end], self.rate, SAMPLE_RATE)
        text, words, ahead = "", [], []
        if speech and not silent(audio[start:end]):
            padded = np.concatenate([at16, np.zeros(int(PAD_S * SAMPLE_RATE), np.float32)])
            text, words = self.transcriber.words(
                padded, prompt=self.prompt, offset=begin / self.rate
            )
            if begin < start or (hear_to or end) > end:
                at = [(w.start + w.end) / 2 * self.rate for w in words]
                ahead = [w for w, x in zip(words, at) if x >= end]
                words = [w for w, x in zip(words, at) if start <= x < end]
                text = " ".join(w.text for w in words)
        with self._lock:
            if text:
                self._parts.append((text, words))
            if speech:
                self._cuts.append(start)
            self._done = end
            # what was heard past ``end``: kept if the recording stops before the next piece
            self._ahead = (ahead, hear_to) if hear_to and hear_to > end else None

    def heard(self) -> str:
        """The words transcribed so far (the audio since the last pause is still to come)."""
        with self._lock:
            return " ".join(t for t, _ in self._parts)

    @property
    def seconds(self) -> float:
        """Audio kept so far (at most ``max_seconds``)."""
        return self._n / self.rate if self.rate else 0.0

    def finish(self) -> Transcript:
        """Stop taking audio, transcribe what is left after the last piece, and return the whole
        recording's transcript (``seconds``: the time this call took, i.e. the wait after the
        stop). Raises what a piece's transcription raised."""
        t0 = time.perf_counter()
        with self._lock:
            self.closed = True
            job = self._job
        if job is not None:
            job.join()
        if self._error is not None:
            raise self._error
        with self._lock:
            if self._ahead is not None:  # the held-back sentence, as the last piece heard it
                ahead, to = self._ahead
                if ahead:
                    self._parts.append((" ".join(w.text for w in ahead), ahead))
                self._cuts.append(self._done)
                self._done, self._ahead = to, None
            rest = self._joined()[self._done :]
            start = self._done
        if rest.size:
            self._transcribe(start, start + rest.size, lookback_s=FINAL_LOOKBACK_S)
        text = " ".join(t for t, _ in self._parts).strip()
        words = [w for _, ws in self._parts for w in ws]
        notes = []
        if self.received_s > self.seconds + 0.5:
            notes.append(
                f"the recording is {self.received_s / 60:.1f} min long: only the first "
                f"{_span(self.max_seconds)} were transcribed"
            )
        if not text:
            notes.append(NO_SPEECH + (" (silence)" if silent(self._joined()) else ""))
        return Transcript(
            text, words, self.seconds, self.received_s, time.perf_counter() - t0, notes
        )

    def save(self, path: Path) -> Path:
        """The recording kept so far as a 16-kHz mono 16-bit WAV (what the turn keeps)."""
        with self._lock:
            audio = self._joined()
        pcm = np.clip(_resample(audio, self.rate or SAMPLE_RATE, SAMPLE_RATE), -1, 1) * 32767
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(pcm.astype("<i2").tobytes())
        return path


def pauses(at16: np.ndarray, *, force_s: float = FORCE_S) -> tuple[list[int], bool] | None:
    """Where 16-kHz ``at16`` may be cut (sample indices, in order) and whether it holds speech:
    the middle of every pause of at least ``PAUSE_MS`` between stretches of speech, and the end
    of the last stretch when the speaker has been silent for ``TAIL_S`` since; all of it when it
    holds no speech. None: no pause yet (a stretch longer than ``force_s`` is cut where the
    filter splits it)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        min_silence_duration_ms=PAUSE_MS, speech_pad_ms=100, max_speech_duration_s=force_s
    )
    spans = get_speech_timestamps(at16, options)
    if not spans:
        return [at16.size], False
    cuts = [(a["end"] + b["start"]) // 2 for a, b in zip(spans, spans[1:])]
    if spans[-1]["end"] <= at16.size - int(TAIL_S * SAMPLE_RATE):
        cuts.append(spans[-1]["end"])
    return (cuts, True) if cuts else None


def _mono_float(data: np.ndarray) -> np.ndarray:
    """float32 in [-1, 1], one channel (the mean of all)."""
    x = np.asarray(data)
    if x.dtype.kind in "iu":
        x = x.astype(np.float32) / (float(np.iinfo(x.dtype).max) + 1)
    x = x.astype(np.float32, copy=False)
    return x.mean(axis=1, dtype=np.float32) if x.ndim == 2 else x.reshape(-1)


def _resample(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    if rate == to or x.size == 0:
        return x.astype(np.float32, copy=False)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(rate), int(to))
    return resample_poly(x, to // g, int(rate) // g).astype(np.float32)
