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
    """A recording from the microphone or an upload: transcribed on this machine, the words put
    into the answer box after what was already typed (nothing typed is lost), the recording kept
    in the page's state until Submit stores it with the turn. Returns (state, answer box, note)."""
    from pathlib import Path

    from mockint.errors import AudioError, SessionError
    from mockint.speech.audio import pending_voice
    from mockint.speech.delivery import advice, measure
    from mockint.ui import handlers as h

    if not path:
        return state, typed, ""
    iv = h._open(ctx, state)
    if iv.prompt is None:
        raise SessionError("no question is waiting for an answer", fix="start an interview")
    q = ctx.runtime.by_id.get(iv.prompt.question_id)
    t = ctx.runtime.transcriber.transcribe(Path(path), prompt=q.question if q else iv.prompt.text)
    if t.empty:
        raise AudioError(t.notes[-1], fix="type your answer, or record again")
    pending = pending_voice(iv, Path(path), t)
    text = f"{typed.rstrip()}\n{t.text}" if (typed or "").strip() else t.text
    d = measure(t).as_dict()
    lines = [f"Transcribed in {t.seconds:.1f} s — check the text, then Submit.", summary_line(d)]
    lines += [f"- {x}" for x in [*t.notes, *advice(d)]]
    return {**state, "voice": pending}, text, "  \n".join(esc(x) for x in lines)
