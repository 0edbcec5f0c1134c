"""Safe rendering for the web UI: text for the Chatbot, HTML panels, charts, the report page.

Everything a person typed (answers, focus text, quotes taken from answers, messages from
an LLM, imported questions) is escaped here before it reaches the browser:

- ``text_md`` turns text into Markdown that renders as exactly that text (every HTML or
  Markdown character becomes a numeric character reference, which CommonMark renderers
  print literally); ``code_md`` fences code with a fence longer than any run inside it;
- the HTML panels (feedback, report, question and rubric) escape every value with
  ``html.escape`` and only add our own tags;
- reference answers (corpus Markdown) go through markdown-it with raw HTML disabled.

Not here: what to show (``handlers.py``) or how it is laid out (``app.py``). Pure
functions, no Gradio import; charts use Matplotlib's object API (no pyplot state, so
concurrent sessions can draw at once).
"""

from __future__ import annotations

import base64
import html
import io
import re

from markdown_it import MarkdownIt

_MD_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>&~$=:\"'^%@/")
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
GREEN, AMBER, RED, GREY = "#2e7d32", "#b26a00", "#c62828", "#9e9e9e"


def esc(text: object) -> str:
    """HTML-escape any value (quotes too).

    >>> esc('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape("" if text is None else str(text), quote=True)


def text_md(text: str) -> str:
    """Markdown that shows ``text`` literally (no HTML, no emphasis, no links).

    >>> text_md("<b>*hi*</b>")
    '&#60;b&#62;&#42;hi&#42;&#60;&#47;b&#62;'
    """
    return "".join(f"&#{ord(c)};" if c in _MD_SPECIAL else c for c in text or "")


def ident_md(text: str) -> str:
    """An id in a code span when it is a plain identifier, else escaped text.

    >>> ident_md("20260301-090000-abc123"), ident_md("a`b")
    ('`20260301-090000-abc123`', 'a&#96;b')
    """
    return f"`{text}`" if re.fullmatch(r"[A-Za-z0-9_.-]+", text or "") else text_md(text)


def code_md(code: str, lang: str = "") -> str:
    """A fenced code block that no backtick run inside ``code`` can close.

    >>> code_md("a ``` b", "python")
    '````python\\na ``` b\\n````'
    """
    runs = [len(m) for m in re.findall(r"`+", code or "")]
    fence = "`" * max(3, max(runs, default=0) + 1)
    lang = re.sub(r"[^a-z0-9_+-]", "", (lang or "").lower())
    return f"{fence}{lang}\n{code}\n{fence}"


def markdown_html(markdown: str) -> str:
    """Corpus Markdown -> HTML with raw HTML shown as text (markdown-it, ``html=False``).

    >>> markdown_html("**a** <script>x</script>")
    '<p><strong>a</strong> &lt;script&gt;x&lt;/script&gt;</p>\\n'
    """
    return _MD.render(markdown or "")


def score_color(score: float | None) -> str:
    if score is None:
        return GREY
    return GREEN if score >= 7.5 else AMBER if score >= 5 else RED


def score_bar(score: float | None, width: str = "100%") -> str:
    pct = 0 if score is None else max(0.0, min(100.0, score * 10))
    return (
        f'<div class="mi-bar" style="background:#e0e0e0;border-radius:4px;height:12px;width:{width}">'
        f'<div style="width:{pct:.0f}%;background:{score_color(score)};height:12px;border-radius:4px"></div></div>'
    )


_MARK = {
    "covered": ("✓", GREEN),
    "partial": ("~", AMBER),
    "missing": ("✗", RED),
    "contradicted": ("✗", RED),
}


def point_items(points: list, *, quotes: bool = True) -> str:
    """<li> per key point (dataclass or dict with text, status, weight, quote)."""
    items = []
    for k in points:
        get = k.get if isinstance(k, dict) else lambda name, k=k: getattr(k, name, "")
        mark, color = _MARK.get(get("status"), ("?", GREY))
        quote = " ".join(str(get("quote") or "").split())
        said = f' — <q class="mi-quote">{esc(quote)}</q>' if quotes and quote else ""
        items.append(
            f'<li><span style="color:{color};font-weight:bold">{mark}</span> '
            f'<span class="mi-status">[{esc(get("status"))}]</span> {esc(get("text"))}'
            f"{' <small>(essential)</small>' if get('weight') == 'essential' else ''}{said}</li>"
        )
    return (
        '<ul class="mi-points" style="list-style:none;padding-left:0.5em">'
        + "".join(items)
        + "</ul>"
    )


def feedback_html(s) -> str:
    """The practice-mode panel for one finished question (a ``QuestionSummary``)."""
    score = "not graded" if s.score is None else f"{s.score:.1f} / 10 ({s.verdict})"
    extra = [f"{s.hints} hint(s)"] if s.hints else []
    extra += [f"{s.seconds:.0f} s"] + ([f"flags: {', '.join(s.flags)}"] if s.flags else [])
    parts = [
        f'<div class="mi-feedback-card"><h3 style="margin:0 0 .3em">Question {s.position}: {esc(score)}</h3>',
        score_bar(s.score),
        f'<p class="mi-meta"><small>{esc(" · ".join(extra))}</small></p>',
        point_items(s.covered + s.missed),
    ]
    if s.feedback:
        parts.append(f'<p class="mi-text">{esc(s.feedback)}</p>')
    if getattr(s, "tests", None):
        parts.append(tests_html(s.tests))
    if getattr(s, "delivery", None):
        from mockint.ui.voice import delivery_html

        parts.append(delivery_html(s.delivery))
    for f in s.followups:
        parts.append(
            f"<p><b>Follow-up:</b> {esc(f['prompt'])}<br><b>Your reply:</b> "
            f"{esc(f['answer'] or '(' + f['outcome'] + ')')}</p>"
        )
    return "".join(parts) + "</div>"


def tests_html(report: dict, title: str = "Tests") -> str:
    """A CodeReport (as a dict) as a table: each example with what it gave; hidden tests by kind
    only; time against the reference solution's."""
    rows = []
    for r in report["rows"]:
        name = esc(r["name"]) if r["visible"] else f"hidden · {esc(r['kind'])}"
        ok = r["passed"]
        mark = f'<span style="color:{GREEN if ok else RED};font-weight:bold">{"pass" if ok else "fail"}</span>'
        if r["visible"]:
            detail = f"<code>{esc(r['call'])}</code> → <code>{esc(r['got'])}</code>"
            detail += "" if ok else f" (expected <code>{esc(r['expected'])}</code>)"
        else:
            detail = esc(r["got"])
        ms = "" if r["seconds"] is None else f"{r['seconds'] * 1000:.0f} ms"
        if ms and r.get("reference_seconds") is not None:
            ms += f" <small>(reference {r['reference_seconds'] * 1000:.0f} ms)</small>"
        rows.append(f"<tr><td>{name}</td><td>{mark}</td><td>{detail}</td><td>{ms}</td></tr>")
    note = f'<p class="mi-text">{esc(report["message"])}</p>' if report.get("message") else ""
    return (
        f'<div class="mi-tests"><h4 style="margin:.2em 0">{esc(title)}</h4>{note}'
        '<table class="mi-tests-table"><tr><th>test</th><th>result</th><th>detail</th>'
        f"<th>time</th></tr>{''.join(rows)}</table></div>"
    )


def notice_html(text: str) -> str:
    return f'<div class="mi-notice"><p>{esc(text)}</p></div>'


# ------------------------------------------------------------------ charts


def mastery_chart(past: list) -> bytes | None:
    """PNG line chart: per topic, the mean score of each session that touched it, over time."""
    from collections import defaultdict

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points: dict[str, dict[str, list]] = defaultdict(dict)  # topic -> session -> [time, scores]
    for g in past:
        if g.outcome not in ("answered", "idk", "skipped"):
            continue
        for t in g.topics:
            slot = points[t].setdefault(g.session_id, [g.at, []])
            slot[0] = min(slot[0], g.at)
            slot[1].append(g.score)
    if not points:
        return None
    fig = Figure(figsize=(9, 3.2), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for topic, sessions in sorted(points.items()):
        series = sorted((at, sum(v) / len(v)) for at, v in sessions.values())
        ax.plot([a for a, _ in series], [m for _, m in series], "o-", label=topic)
    ax.set(ylim=(0, 10), ylabel="mean score (0-10)", title="mastery per topic over time")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# ------------------------------------------------------------------ report


def _question_block(q: dict) -> str:
    score = "not graded" if q["score"] is None else f"{q['score']:.1f} / 10 ({q['verdict']})"
    meta = f"{', '.join(q['topics'])} · {q['outcome']} · {score} · {q['seconds']:.0f} s"
    meta += f" · {q['hints']} hint(s)" if q["hints"] else ""
    out = [
        f'<section class="mi-q"><h3>{q["position"]}. {esc(q["question"])}</h3>',
        f"<p><small><code>{esc(q['question_id'])}</code> — {esc(meta)}</small></p>",
        score_bar(q["score"], "60%"),
    ]
    if q["answer"]:
        out.append(
            f'<p><b>Your answer:</b></p><pre class="mi-answer" style="white-space:pre-wrap">{esc(q["answer"])}</pre>'
        )
    for f in q["followups"]:
        out.append(
            f'<p><b>Follow-up:</b> {esc(f["prompt"])}</p><pre class="mi-answer" style="white-space:pre-wrap">'
            f"{esc(f['answer'] or '(' + f['outcome'] + ')')}</pre>"
        )
    if q["covered"] or q["missed"]:
        out.append(point_items(q["covered"] + q["missed"]))
    if q.get("tests"):
        out.append(tests_html(q["tests"]))
    if q.get("delivery"):
        from mockint.ui.voice import delivery_html

        out.append(delivery_html(q["delivery"]))
    if q["model_answer"]:
        out.append(
            f"<details><summary>Model answer</summary>{markdown_html(q['model_answer'])}</details>"
        )
    return "".join(out) + "</section>"


def report_html(report: dict, chart_svg: bytes | None = None) -> str:
    """The report as an HTML fragment; the chart (``svgchart.report_chart``) is embedded as a
    data URI when given."""
    s, m = report["session"], report["summary"]
    mean = "n/a" if m["mean_score"] is None else f"{m['mean_score']:.1f} / 10"
    out = [
        f'<div class="mi-report"><h2>Interview {esc(s["id"])}</h2>',
        f"<p>{esc(s['mode'])} · {esc(s['status'])} · grader {esc(s['grader'])} · started {esc(s['created_at'])}</p>",
        f"<p><b>{m['asked']}</b> asked, <b>{m['answered']}</b> answered, <b>{m['skipped']}</b> skipped; "
        f"mean score <b>{esc(mean)}</b>; time {m['total_seconds']:.0f} s</p>",
    ]
    if m["previous_mean_score"] is not None:
        out.append(f"<p>Earlier sessions averaged {m['previous_mean_score']:.1f} / 10.</p>")
    if chart_svg:
        out.append(
            f'<img alt="scores per question and topic" style="max-width:100%" '
            f'src="data:image/svg+xml;base64,{base64.b64encode(chart_svg).decode()}">'
        )
    if report.get("delivery"):
        from mockint.ui.voice import delivery_chart, session_delivery_html

        out.append(session_delivery_html(report["delivery"]))
        png = delivery_chart(report)
        if png:
            out.append(
                '<img alt="pace, fillers and pauses per answer" style="max-width:100%" '
                f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            )
    if report["topics"]:
        rows = "".join(
            f"<tr><td>{esc(t['topic'])}</td><td>{t['score']:.1f}</td><td>{t['n']}</td>"
            f"<td>{'—' if t['previous'] is None else format(t['previous'], '.1f')}</td>"
            f"<td>{'—' if t['trend'] is None else format(t['trend'], '+.1f')}</td></tr>"
            for t in report["topics"]
        )
        out.append(
            "<h3>Topics</h3><table><tr><th>topic</th><th>score</th><th>n</th><th>earlier</th><th>trend</th>"
            f"</tr>{rows}</table>"
        )
    out += [_question_block(q) for q in report["questions"]]
    if report["study"]:
        items = "".join(
            f"<li><code>{esc(i['question_id'])}</code> {esc(i['question'])}<ul>"
            + "".join(f"<li>{esc(p)}</li>" for p in i["study"])
            + "</ul></li>"
            for i in report["study"]
        )
        out.append(f"<h3>Study list</h3><ul>{items}</ul>")
    return "".join(out) + "</div>"


_PAGE_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}"
    "pre{background:#f6f6f6;padding:.6em}q{font-style:italic}"
)


def report_page(report: dict, chart_svg: bytes | None = None) -> str:
    """A self-contained HTML page (inline CSS, chart as a data URI; a CSP forbids scripts and fetches)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\">"
        f"<title>Interview {esc(report['session']['id'])}</title><style>{_PAGE_CSS}</style></head>"
        f"<body>{report_html(report, chart_svg)}</body></html>\n"
    )


# ------------------------------------------------------------------ corpus


def question_html(q) -> str:
    """A corpus question with its reference answers and rubric (key points, probes, red flags)."""
    rows = "".join(
        f"<tr><td>{esc(k.id)}</td><td>{esc(k.weight)}</td><td>{esc(k.text)}</td><td>{esc(k.probe)}</td></tr>"
        for k in q.key_points
    )
    out = [
        f'<div class="mi-question"><h3>{esc(q.question)}</h3>',
        f"<p><small><code>{esc(q.id)}</code> · {esc(', '.join(q.topics))} · {esc(q.type)} · difficulty "
        f"{q.difficulty} · rubric {esc(q.rubric)}</small></p>",
        f"<h4>Rubric</h4><table><tr><th>id</th><th>weight</th><th>key point</th><th>probe</th></tr>{rows}</table>",
    ]
    if q.red_flags:
        out.append(
            "<h4>Red flags</h4><ul>" + "".join(f"<li>{esc(r)}</li>" for r in q.red_flags) + "</ul>"
        )
    if q.notes:
        out.append(f"<p><b>Notes:</b> {esc(q.notes)}</p>")
    for ref in q.references:
        out.append(f"<h4>Reference: {esc(ref.heading)}</h4>{markdown_html(ref.markdown)}")
    return "".join(out) + "</div>"
