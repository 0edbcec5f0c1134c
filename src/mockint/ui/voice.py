"""Voice in the web UI: the delivery numbers of an answer given out loud (feedback panel, report)
with a per-session chart, and the browser-side speech synthesis that reads questions aloud (the
browser's own voice: no server model; off by default)."""

from __future__ import annotations

import io

from mockint.speech.delivery import PACE, summary_line
from mockint.ui.render import GREY, esc

# Gradio runs this in the page on every chat change: read the newest interviewer message aloud
# when the box is ticked (Markdown marks and code blocks are not read).
SPEAK_JS = """
(chat, on) => {
  if (!on || !window.speechSynthesis || !chat || !chat.length) return [];
  const last = chat[chat.length - 1];
  if (last.role !== "assistant") return [];
  let text = typeof last.content === "string" ? last.content : "";
  text = text.replace(/```[\\s\\S]*?```/g, " ").replace(/[*_`#>|]/g, " ");
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(new SpeechSynthesisUtterance(text.slice(0, 3000)));
  return [];
}
"""


def delivery_html(d: dict | None) -> str:
    """One answer's delivery: length, pace, fillers, pauses, and what to change."""
    if not d or not d.get("words"):
        return ""
    notes = "".join(f"<li>{esc(a)}</li>" for a in d.get("advice", []))
    return (
        f'<div class="mi-delivery"><p><b>Delivery</b> (from your recording): '
        f"{esc(summary_line(d))}</p>" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"
    )


def session_delivery_html(s: dict | None) -> str:
    if not s:
        return ""
    return (
        f"<h3>Delivery</h3><p>{s['answers']} answer(s) out loud, {s['seconds']:.0f} s: "
        f"{s['wpm']:.0f} words/min ({PACE[0]}–{PACE[1]} is easy to follow), {s['filler_count']} "
        f"filler word(s) ({s['fillers_per_100_words']:.1f} per 100 words), {s['long_pauses']} long "
        "pause(s).</p>"
    )


def delivery_chart(report: dict) -> bytes | None:
    """PNG: words per minute and filler words per answer given out loud (None: all typed)."""
    rows = [(f"Q{q['position']}", q["delivery"]) for q in report["questions"] if q.get("delivery")]
    rows = [(label, d) for label, d in rows if d["words"]]
    if not rows:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 2.8), dpi=90)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    labels = [r[0] for r in rows]
    ax1.bar(labels, [d["wpm"] for _, d in rows], color="#1565c0")
    ax1.axhspan(*PACE, color=GREY, alpha=0.25, label="easy to follow")
    ax1.set(ylabel="words / min", title="pace per answer")
    ax1.legend(fontsize=8, loc="lower right")
    ax2.bar(labels, [d["filler_count"] for _, d in rows], color="#b26a00", label="filler words")
    ax2.bar(
        labels,
        [len(d["long_pauses"]) for _, d in rows],
        bottom=[d["filler_count"] for _, d in rows],
        color=GREY,
        label="long pauses",
    )
    ax2.set(title="fillers and long pauses")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def transcribe_answer(ctx, state: dict, path: str | None, typed: str = "") -> tuple[dict, str, str]:
    """An uploaded recording: transcribed on this machine, the words put into the answer box
    after what was already typed (nothing typed is lost), the recording kept in the page's state
    until Submit stores it with the turn. Returns (state, answer box, note)."""
    from pathlib import Path

    if not path:
        return state, typed, ""
    iv, q = _waiting(ctx, state)
    t = ctx.runtime.transcriber.transcribe(Path(path), prompt=q)
    return _into_answer(state, iv, Path(path), t, typed)


# -- the microphone: transcribed while the candidate speaks (speech/live.py) ----------------------
STALE_S = 15 * 60  # a recording never stopped (tab closed while recording) is dropped after this


def begin_recording(ctx, key: str, state: dict) -> str:
    """Record pressed on page ``key``: a new recording (one per page; an older one is dropped)."""
    from mockint.speech.live import LiveRecording

    _, q = _waiting(ctx, state)
    tr = ctx.runtime.transcriber
    rec = LiveRecording(tr, prompt=q, max_seconds=tr.max_seconds)
    now = rec.created
    with ctx._lock:
        for k in [k for k, r in ctx.recordings.items() if now - r.created > STALE_S]:
            del ctx.recordings[k]
        ctx.recordings[key] = rec
    return "Listening… the words appear here while you speak."


def hear(ctx, key: str, piece) -> str | None:
    """A piece of the recording on page ``key`` (``(rate, samples)``); the words heard so far, or
    None when there is nothing new to show. Pieces of no open recording are ignored."""
    rec = ctx.recordings.get(key)
    if rec is None or piece is None:
        return None
    rec.add(*piece)
    words = rec.heard()
    if not words or words == rec.shown:
        return None
    rec.shown = words
    return f"Heard so far ({rec.seconds:.0f} s): {esc(words[-400:])}"


def end_recording(ctx, key: str, state: dict, last, typed: str = "") -> tuple[dict, str, str]:
    """Stop pressed: the rest of the recording transcribed (most of it already is), the whole
    recording kept for the turn, the words put into the answer box after what was typed.
    ``last``: the page's last piece, added if its stream event has not arrived yet."""
    import uuid

    import numpy as np

    from mockint.errors import AudioError

    with ctx._lock:
        rec = ctx.recordings.pop(key, None)
    if rec is None:
        raise AudioError(
            "no recording reached the server",
            fix="press Record, speak, then Stop; or upload a file",
        )
    if last is not None and np.asarray(last[1]).tobytes() != rec.last_piece:
        rec.add(*last)
    if not rec.seconds:
        raise AudioError("the recording is empty", fix="record again, or type your answer")
    iv, _ = _waiting(ctx, state)
    path = rec.save(ctx.files / f"recording-{uuid.uuid4().hex}.wav")
    try:
        t = rec.finish()
    except Exception as exc:  # the speech model failed on a piece
        raise AudioError(
            f"transcribing the recording failed ({type(exc).__name__}: {str(exc)[:120]})",
            fix="record again, or type your answer",
        ) from exc
    return _into_answer(state, iv, path, t, typed)


def _waiting(ctx, state: dict):
    """The open interview and the question waiting for an answer (its text: the prompt that
    spells its terms), or SessionError."""
    from mockint.errors import SessionError
    from mockint.ui import handlers as h

    iv = h._open(ctx, state)
    if iv.prompt is None:
        raise SessionError("no question is waiting for an answer", fix="start an interview")
    q = ctx.runtime.by_id.get(iv.prompt.question_id)
    return iv, q.question if q else iv.prompt.text


def _into_answer(state: dict, iv, path, t, typed: str) -> tuple[dict, str, str]:
    from mockint.errors import AudioError
    from mockint.speech.audio import pending_voice
    from mockint.speech.delivery import advice, measure

    if t.empty:
        raise AudioError(t.notes[-1], fix="type your answer, or record again")
    pending = pending_voice(iv, path, t)
    text = f"{typed.rstrip()}\n{t.text}" if (typed or "").strip() else t.text
    d = measure(t).as_dict()
    lines = [f"Transcribed in {t.seconds:.1f} s — check the text, then Submit.", summary_line(d)]
    lines += [f"- {x}" for x in [*t.notes, *advice(d)]]
    return {**state, "voice": pending}, text, "  \n".join(esc(x) for x in lines)
