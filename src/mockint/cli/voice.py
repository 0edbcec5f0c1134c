"""``mockint transcribe FILE``: speech to text and delivery numbers for one recording (a quick
check of the microphone, the model and the delivery feedback), offline."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mockint.cli.options import CorpusOpt, HomeOpt, out
from mockint.cli.options import load_runtime as _runtime


def transcribe_cmd(
    file: Path = typer.Argument(..., help="A WAV, MP3, M4A, WebM or OGG recording."),
    question: str = typer.Option(
        "", "--question", help="A corpus question id or its text: its terms are spelled as asked."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (words with timestamps too)."),
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Transcribe a recording (Whisper base, packaged) and print its delivery numbers."""
    from mockint.speech.delivery import advice, measure, summary_line

    rt = _runtime(home, corpus)
    prompt = rt.by_id[question].question if question in rt.by_id else question
    t = rt.transcriber.transcribe(file, prompt=prompt)
    d = measure(t).as_dict()
    if as_json:
        data = {
            "text": t.text,
            "notes": t.notes,
            "duration_s": round(t.duration_s, 2),
            "audio_s": round(t.audio_s, 2),
            "transcribe_s": round(t.seconds, 2),
            "delivery": d,
            "advice": advice(d),
            "words": [vars(w) for w in t.words],
        }
        out.print_json(json.dumps(data))
        return
    out.print(t.text or "(nothing transcribed)", markup=False, soft_wrap=True)
    for note in t.notes:
        out.print(f"note: {note}", markup=False, style="yellow")
    if d["words"]:
        out.print(summary_line(d), markup=False)
    for a in advice(d):
        out.print(f"- {a}", markup=False)
    out.print(f"(transcribed in {t.seconds:.1f} s)", markup=False, style="dim")


def register(app: typer.Typer) -> typer.Typer:
    if "transcribe" not in {c.name for c in app.registered_commands}:
        app.command("transcribe")(transcribe_cmd)
    return app


AUDIO_CMD = "/audio"


class Speaker:
    """The interviewer's voice in the terminal (espeak-ng): each question and follow-up spoken
    (``--speak``) and/or written as a WAV file (``--speak-to DIR``, exported audio)."""

    def __init__(self, play: bool = False, folder: Path | None = None):
        from mockint.speech import tts

        if (play or folder) and not tts.available():
            from mockint.errors import ConfigError

            raise ConfigError("--speak needs espeak-ng", fix=tts.FIX)
        self.play, self.folder, self.n = play, folder, 0

    def __call__(self, prompt) -> None:
        from mockint.speech import tts

        if prompt is None or not (self.play or self.folder):
            return
        self.n += 1
        if self.folder:
            name = f"{self.n:02d}-q{prompt.position}-{prompt.kind}.wav"
            tts.synthesize(prompt.text, self.folder / name)
        if self.play:
            tts.say(prompt.text)


def answer_from_audio(con, interview, line: str) -> str | None:
    """``/audio PATH``: the recording transcribed and kept with the turn; returns the transcript to
    send as the answer (None when nothing usable was heard; the reason is printed)."""
    from mockint.errors import MockintError
    from mockint.speech.audio import attach, pending_voice
    from mockint.speech.delivery import advice, measure, summary_line

    path = Path(line[len(AUDIO_CMD) :].strip().strip("'\"")).expanduser()
    p = interview.prompt
    if p is None:
        return None
    q = interview.runtime.by_id.get(p.question_id)
    try:
        t = interview.runtime.transcriber.transcribe(path, prompt=q.question if q else p.text)
    except MockintError as exc:
        con.print(f"[red]{exc.render()}[/]", markup=True, highlight=False)
        return None
    for note in t.notes:
        con.print(f"note: {note}", markup=False, style="yellow")
    if t.empty:
        return None
    attach(interview, pending_voice(interview, path, t))
    d = measure(t).as_dict()
    con.print(f"heard: {t.text}", markup=False, soft_wrap=True)
    con.print(f"delivery: {summary_line(d)}", markup=False)
    for a in advice(d):
        con.print(f"- {a}", markup=False)
    return t.text
