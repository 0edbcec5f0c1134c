"""The report's chart as SVG, written by hand: the score per question and the mean score per topic
(with the earlier sessions' mean as a tick). A few kilobytes of text, drawn in well under a
millisecond; the matplotlib PNG it replaces took 50–100 ms of CPU per report (ad-hoc timing), the largest single
cost of a report when a class asks for theirs at once (a py-spy sample of bench/ui_load.py's
20-user burst). Every text is escaped; the SVG has no script and no external reference, so it is
safe in an ``<img>`` and as a data URI.
"""

from __future__ import annotations

from mockint.text import clip
from mockint.ui.render import GREY, esc, score_color

W, H = 810, 288  # the old chart's size (9 x 3.2 inches at 90 dpi)
TOP, BOTTOM = 40, 248  # the plot area's top and bottom (y)
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'


def _text(x: float, y: float, s: str, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{esc(s)}</text>'


def _questions(qs: list[dict], x0: float, x1: float) -> list[str]:
    """Vertical bars, one per question, on a 0–10 axis."""
    out = [_text((x0 + x1) / 2, 22, "score per question", extra=' font-weight="600"')]
    y = lambda v: BOTTOM - (BOTTOM - TOP) * v / 10  # noqa: E731
    for v in range(0, 11, 2):
        out.append(f'<line x1="{x0}" x2="{x1}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e5e5"/>')
        out.append(_text(x0 - 6, y(v) + 4, str(v), "end"))
    slot = (x1 - x0) / max(len(qs), 1)
    for i, q in enumerate(qs):
        score = q["score"] or 0.0
        color = score_color(q["score"]) if q["counted"] else GREY
        left, width = x0 + i * slot + slot * 0.15, slot * 0.7
        label = "—" if q["score"] is None else f"{score:.1f}"
        small = ' font-size="9"' if slot < 30 else ""  # many questions: the labels still fit
        out += [
            f'<rect x="{left:.1f}" y="{y(score):.1f}" width="{width:.1f}" '
            f'height="{BOTTOM - y(score):.1f}" fill="{color}"><title>Q{q["position"]}: '
            f"{esc(label)}</title></rect>",
            _text(left + width / 2, BOTTOM + 16, f"Q{q['position']}", extra=small),
        ]
        if slot >= 20:  # the value above its bar (below that it is in the bar's tooltip)
            out.append(_text(left + width / 2, y(score) - 4, label, extra=small))
    return out


def _topics(topics: list[dict], x0: float, x1: float) -> list[str]:
    """Horizontal bars, one per topic, on a 0–10 axis; a black tick at the earlier mean."""
    out = [_text((x0 + x1) / 2, 22, "per topic (mean score)", extra=' font-weight="600"')]
    x = lambda v: x0 + (x1 - x0) * v / 10  # noqa: E731
    for v in range(0, 11, 2):
        out.append(
            f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{TOP}" y2="{BOTTOM}" stroke="#e5e5e5"/>'
        )
        out.append(_text(x(v), BOTTOM + 16, str(v)))
    slot = (BOTTOM - TOP) / max(len(topics), 1)
    height = min(slot * 0.7, 28)
    for i, t in enumerate(topics):
        mid = TOP + slot * (i + 0.5)
        out += [
            f'<rect x="{x0}" y="{mid - height / 2:.1f}" width="{x(t["score"]) - x0:.1f}" '
            f'height="{height:.1f}" fill="{score_color(t["score"])}"><title>{esc(t["topic"])}: '
            f"{t['score']:.1f}</title></rect>",
            _text(x0 - 8, mid + 4, clip(t["topic"], 26), "end"),
        ]
        if t["previous"] is not None:
            px = x(t["previous"])
            out.append(
                f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{mid - height / 2 - 3:.1f}" '
                f'y2="{mid + height / 2 + 3:.1f}" stroke="#000" stroke-width="2"/>'
            )
    if any(t["previous"] is not None for t in topics):
        out += [
            f'<line x1="{x1 - 118}" x2="{x1 - 118}" y1="{H - 14}" y2="{H - 2}" stroke="#000" '
            'stroke-width="2"/>',
            _text(x1 - 110, H - 4, "earlier sessions", "start"),
        ]
    return out


def report_chart(report: dict) -> bytes | None:
    """SVG with the score per question and the mean score per topic (None when nothing is scored)."""
    qs = report["questions"]
    if not qs:
        return None
    parts = _questions(qs, 40, 300)
    if report["topics"]:
        parts += _topics(report["topics"], 540, 790)
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" {FONT}>'
        f'<title>scores per question and topic</title><rect width="{W}" height="{H}" fill="#fff"/>'
        f"\n{body}\n</svg>\n"
    ).encode()
