"""The web UI's handlers called directly (no Gradio server): interview turns, isolation between
sessions, escaping, report files, history / resume / review, batch grading and the corpus tab."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from conftest import run_in_threads
from helpers import QID, XSS, begin, chat_text, essentials, make_runtime, write_ui_corpus

from mockint.errors import SessionError
from mockint.interview.store import Store
from mockint.ui import code as code_ui
from mockint.ui import handlers as h
from mockint.ui import past, render, tools
from mockint.ui.clock import clock


@pytest.fixture
def ctx(home, tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    rt = make_runtime(home, write_ui_corpus(tmp_path / "ui.jsonl"))
    return h.UIContext(rt, grader="offline", chat=None, files_dir=tmp_path / "files")


def test_two_question_practice_interview(ctx):
    q = ctx.runtime.by_id[QID]
    v = begin(ctx)
    assert v.state["sid"] and not v.finished and v.editor == "text"
    assert (
        "Question 1/2" in chat_text(v.chat)
        and "offline" in v.status
        and "question 1 of 2" in v.status
    )
    v = h.respond(ctx, v.state, essentials(q))
    assert (
        v.feedback_html.startswith('<div class="mi-feedback-card">')
        and "Question 1:" in v.feedback_html
    )
    assert (
        "✓" in v.feedback_html and '<q class="mi-quote">' in v.feedback_html
    )  # covered points with quotes
    assert v.model_answer == q.references[0].markdown
    assert "Feedback on question 1" in chat_text(v.chat) and "Question 2/2" in chat_text(v.chat)
    v = h.move(ctx, v.state, "skip")
    assert v.finished and "finished" in v.status and "Report" in v.feedback_html
    with pytest.raises(SessionError, match="finished"):
        h.respond(ctx, v.state, "more")
    rec = ctx.store.load(v.state["sid"])
    assert [(t.position, t.outcome) for t in rec.turns] == [(1, "answered"), (2, "skipped")]

    r = past.report(ctx, v.state)
    md, js, page = r.files
    assert (
        md.suffix == ".md"
        and js.suffix == ".json"
        and page.suffix == ".html"
        and r.chart.suffix == ".svg"
        and r.chart.read_bytes().startswith(b"<svg")
    )
    data = json.loads(js.read_text())
    assert data["summary"]["asked"] == 2 and data["summary"]["answered"] == 1
    html = page.read_text()
    assert (
        html.startswith("<!doctype html>")
        and "data:image/svg+xml;base64," in html
        and "<script" not in html
    )
    assert "default-src 'none'" in html and q.question in html
    assert all(
        str(p).startswith(str(ctx.files)) for p in r.files
    )  # served only from the download area


def test_exam_mode_holds_feedback_until_the_end(ctx):
    v = begin(ctx, mode="exam")
    v = h.respond(ctx, v.state, "L1 adds absolute values, L2 adds squares.")
    assert v.feedback_html == "" and v.model_answer == "" and "Feedback" not in chat_text(v.chat)
    v = h.move(ctx, v.state, "end")
    assert v.finished and "Interview ended." in chat_text(v.chat)


def test_hint_keeps_the_typed_answer_and_moves_are_the_cli_words(ctx):
    v = begin(ctx)
    v = h.move(ctx, v.state, "hint")
    assert (
        v.keep_input
        and "Hint:" in chat_text(v.chat)
        and "best attainable score" in chat_text(v.chat)
    )
    v = h.move(ctx, v.state, "idk")
    assert not v.keep_input and "Question 2/2" in chat_text(v.chat)
    rec = ctx.store.load(v.state["sid"])
    assert [a["action"] for a in rec.turns[0].actions] == ["hint"] and rec.turns[0].outcome == "idk"
    with pytest.raises(SessionError, match="unknown move"):
        h.move(ctx, v.state, "cheat")


def test_no_session_and_bad_setup_are_clear_errors(ctx):
    with pytest.raises(SessionError, match="no interview is running"):
        h.respond(ctx, h.new_state(), "an answer")
    with pytest.raises(SessionError, match="difficulty"):
        h.start(ctx, h.new_state(), difficulty="hard")
    with pytest.raises(SessionError):
        h.start(ctx, h.new_state(), topics=["astrology"])


def test_code_editor_for_coding_and_sql_questions(ctx):
    v = begin(ctx, types=["sql"], focus="")  # an SQL question of the page: code, no tests
    assert v.editor == "sql" and not v.coding
    v = h.respond(ctx, v.state, "ignored text box", "SELECT 1 -- ``` not a fence end")
    user = [m for m in v.chat if m["role"] == "user"][-1]["content"]
    assert user.startswith("````sql\n") and user.endswith("\n````")
    assert ctx.store.load(v.state["sid"]).turns[0].answer.startswith("SELECT 1")


def test_coding_problem_gets_editor_explanation_and_run_tests(ctx):
    v = begin(ctx, track="coding", types=[], focus="")  # the UI corpus's one coding question
    assert v.editor == "python" and v.coding
    code = "def f(x):\n    return x  # ``` not a fence end"
    html = code_ui.run_tests(ctx, v.state, "", code)
    assert "Examples (not graded)" in html and "fail" in html
    with pytest.raises(SessionError, match="editor is empty"):
        code_ui.run_tests(ctx, v.state, "", "   ")
    v = h.respond(ctx, v.state, "my <b>explanation</b>", code)
    user = [m for m in v.chat if m["role"] == "user"][-1]["content"]
    assert "my" in user and "<b>" not in user and "````" in user
    answer = ctx.store.load(v.state["sid"]).turns[0].answer
    assert answer.startswith("my <b>explanation</b>") and "\n````" in answer
    assert "hidden" in v.feedback_html and "mi-tests-table" in v.feedback_html
    with pytest.raises(SessionError, match="coding problems only"):
        code_ui.run_tests(ctx, begin(ctx).state, "", code)


def test_user_text_is_escaped_everywhere(ctx):
    v = begin(ctx)
    v = h.respond(
        ctx,
        v.state,
        f"{XSS} L1 adds the absolute values of the weights. **bold** [x](javascript:alert(1))",
    )
    user = [m for m in v.chat if m["role"] == "user"][-1]["content"]
    assert (
        "<" not in user
        and ">" not in user
        and "*" not in user
        and "[" not in user
        and "(" not in user
    )
    assert "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;" in user
    r = past.report(ctx, v.state)
    for text in (r.html, r.files[2].read_text()):
        assert XSS not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    # quotes taken from an answer are escaped in the feedback panel
    s = type(
        "S",
        (),
        {
            "position": 1,
            "score": 5.0,
            "verdict": "adequate",
            "hints": 0,
            "seconds": 3,
            "flags": [],
            "covered": [{"text": "kp", "status": "covered", "weight": "essential", "quote": XSS}],
            "missed": [],
            "feedback": XSS,
            "followups": [{"prompt": "p", "answer": XSS, "outcome": "x"}],
        },
    )
    panel = render.feedback_html(s)
    assert XSS not in panel and panel.count("&lt;img src=x onerror=alert(1)&gt;") == 3
    assert "<script" not in render.markdown_html(
        "<script>alert(1)</script>\n\n[a](javascript:alert(1))"
    )
    assert 'href="javascript' not in render.markdown_html("[a](javascript:alert(1))")


def test_concurrent_sessions_are_isolated(ctx):
    q = ctx.runtime.by_id[QID]
    states = [begin(ctx).state for _ in range(6)]
    errors: list[BaseException] = []
    views: dict[int, h.TurnView] = {}

    def run(i):
        try:
            views[i] = h.respond(ctx, states[i], f"answer-from-session-{i}: {essentials(q)}")
        except BaseException as exc:
            errors.append(exc)

    run_in_threads(run, 6)
    assert not errors
    assert len({v.state["sid"] for v in views.values()}) == 6
    for i, v in views.items():
        text = chat_text(v.chat)
        assert f"answer-from-session-{i}:" in text
        assert not any(f"session-{j}:" in text for j in range(6) if j != i)
        assert (
            ctx.store.load(v.state["sid"]).turns[0].answer.startswith(f"answer-from-session-{i}:")
        )
        assert states[i]["chat"] != v.chat  # the input state was not mutated


def test_resume_history_and_review(ctx):
    v = begin(ctx, questions=3)
    v = h.respond(ctx, v.state, "L1 adds absolute values of the weights.")
    h.pause(ctx, v.state)  # the tab was closed
    sid = v.state["sid"]
    hist = past.history(ctx)
    assert (
        hist["resumable"] == [sid]
        and hist["sessions"][0][0] == sid
        and hist["sessions"][0][5] == "paused"
    )
    assert {row[0] for row in hist["topics"]} >= set(ctx.runtime.by_id[QID].topics)

    other = past.resume(ctx, h.new_state(), sid)  # another tab
    text = chat_text(other.chat)
    assert (
        other.state["sid"] == sid
        and "L1 adds absolute values of the weights" in text
        and "(resumed)" in text
    )
    assert text.rstrip().endswith("(resumed)") and "Question 2/3" in text
    assert Store(ctx.runtime.config.db_path).load(sid).session.status == "active"
    with pytest.raises(SessionError):
        past.resume(ctx, h.new_state(), "no-such-session")

    r = h.review(ctx, other.state, questions=2)  # starting anew pauses the tab's unfinished session
    assert (
        r.state["sid"] != sid and ctx.store.load(r.state["sid"]).session.settings["review"] is True
    )
    assert ctx.store.load(sid).session.status == "paused"
    assert "No session yet" in past.report(ctx, h.new_state()).html


def test_batch_grading(ctx, tmp_path):
    src = tmp_path / "answers.csv"
    src.write_text(
        f"id,question,answer\na,{QID},L1 adds absolute values; L2 adds squares.\nb,{QID},\n",
        encoding="utf-8",
    )
    seen = []
    v = tools.batch(ctx, src, "offline", progress=lambda done, total: seen.append((done, total)))
    graded, summary = v.files
    assert (
        graded.name == "answers.graded.csv"
        and graded.exists()
        and summary.name.endswith(".summary.md")
    )
    assert (
        v.graded == 2 and "# Batch grading summary" in v.summary and "![histogram]" not in v.summary
    )
    assert seen and seen[-1][0] == seen[-1][1]
    assert str(graded).startswith(str(ctx.files)) and not (tmp_path / "answers.graded.csv").exists()


def test_corpus_search_question_and_import(ctx, tmp_path):
    q = ctx.runtime.by_id[QID]
    rows = tools.search(ctx, q.question, 3)
    assert rows[0][1] == QID and tools.search(ctx, "   ") == []
    page = tools.question(ctx, QID)
    assert q.key_points[0].text.replace("'", "&#x27;") in page and "Rubric" in page
    assert "No question" in tools.question(ctx, "nope")
    src = tmp_path / "mine.csv"
    src.write_text(
        f'question,answer\n"What is {XSS}?","It is a test. Tests check behaviour of code."\n',
        encoding="utf-8",
    )
    message, out = tools.import_corpus(ctx, src, "Mine")
    assert "Imported 1 questions" in message and out.exists()
    assert (ctx.runtime.config.home / "corpus" / "mine.jsonl").exists()
    imported = json.loads(out.read_text().splitlines()[0])
    assert imported["section"] == "Mine"


def test_render_helpers():
    assert render.text_md("a_b") == "a&#95;b"
    assert render.code_md("x", "py<script>") == "```pyscript\nx\n```"
    assert render.score_color(None) == render.GREY and render.score_color(9) == render.GREEN
    assert "width:100%" in render.score_bar(12) and "width:0%" in render.score_bar(-1)


def test_ui_command_registration_and_launch_settings(home, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import mockint.ui.app as ui_app
    from mockint.cli import app
    from mockint.cli.ui import parse_auth, register
    from mockint.errors import ConfigError

    register(app)
    register(app)  # a second registration is a no-op
    assert [c.name for c in app.registered_commands].count("ui") == 1
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    monkeypatch.setenv("MOCKINT_CORPUS", str(write_ui_corpus(tmp_path / "ui.jsonl")))
    launched = {}

    class FakeDemo:
        def launch(self, **kw):
            launched.update(kw)

    monkeypatch.setattr(
        ui_app, "build_app", lambda rt, grader: launched.update(grader=grader) or FakeDemo()
    )
    runner = CliRunner()
    res = runner.invoke(app, ["ui", "--port", "7999", "--auth", "ana:pa:ss", "--grader", "offline"])
    assert res.exit_code == 0, res.output
    assert launched["server_name"] == "127.0.0.1" and launched["server_port"] == 7999
    assert (
        launched["auth"] == ("ana", "pa:ss")
        and launched["share"] is False
        and launched["ssr_mode"] is False
    )
    assert launched["grader"] == "offline"
    res = runner.invoke(app, ["ui", "--host", "0.0.0.0"])  # no password: refused
    assert isinstance(res.exception, ConfigError) and "--auth" in str(res.exception)
    with pytest.raises(ConfigError):
        parse_auth("no-colon")


def test_clock_counts_time_on_the_pending_question():
    """The timer line is derived from the stored time the question was asked."""
    from datetime import timedelta

    class FakeStore:
        def __init__(self, record):
            self.record = record

        def load(self, sid):
            return self.record

    from types import SimpleNamespace

    now = datetime.now(UTC)
    turn = SimpleNamespace(outcome=None, asked_at=now - timedelta(seconds=75))
    record = SimpleNamespace(turns=[turn], session=SimpleNamespace(status="active"))
    ctx = SimpleNamespace(store=FakeStore(record))
    assert clock(ctx, {"sid": "s1"}, now) == "Time on this question: 1:15"
    assert clock(ctx, {"sid": None}, now) == ""
    record.session.status = "finished"
    assert clock(ctx, {"sid": "s1"}, now) == ""


def test_the_timer_reads_the_page_state_not_the_session_file(ctx, monkeypatch):
    """Every turn puts the waiting question's time into the state: the once-a-second tick reads no
    session file, and with the offline grader it loads no interview either."""
    from datetime import timedelta

    from mockint.interview.records import pending_turn
    from mockint.ui import live

    v = begin(ctx)
    asked = pending_turn(ctx.store.load(v.state["sid"])).asked_at
    assert v.state["asked_at"] == asked.isoformat()
    q = ctx.runtime.by_id[QID]
    v2 = h.respond(ctx, v.state, essentials(q))
    assert v2.state["shown"] and v2.state["asked_at"] != v.state["asked_at"]

    def no_reads(*a, **k):
        raise AssertionError("the tick read the store")

    monkeypatch.setattr(ctx.store, "load", no_reads)
    later = datetime.fromisoformat(v2.state["asked_at"]) + timedelta(seconds=61)
    assert clock(ctx, v2.state, later) == "Time on this question: 1:01"
    timer, feedback, _ = live.tick(ctx, v2.state)
    assert "mi-clock" in timer and "Time on this question" in timer and feedback is None
    monkeypatch.undo()
    v3 = h.move(ctx, v2.state, "end")
    assert v3.finished and v3.state["asked_at"] is None and clock(ctx, v3.state) == ""


def test_report_chart_is_an_svg_of_every_question_and_topic_with_its_text_escaped():
    import xml.etree.ElementTree as ET

    from mockint.ui.svgchart import report_chart

    qs = [
        {"position": 1, "score": 7.9, "counted": True},
        {"position": 2, "score": None, "counted": False},  # skipped: an empty grey slot
        {"position": 3, "score": 2.0, "counted": True},
    ]
    topics = [
        {"topic": XSS, "score": 6.0, "previous": 4.0},
        {"topic": "nlp-llm", "score": 2.0, "previous": None},
    ]
    svg = report_chart({"questions": qs, "topics": topics}).decode()
    tree = ET.fromstring(svg)  # well-formed XML: the topic's markup is text, not a tag
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(t.itertext()) for t in tree.iter(ns + "text")]
    assert {"Q1", "Q2", "Q3", "7.9", "—", "2.0", "nlp-llm", "earlier sessions"} <= set(texts)
    assert XSS[:20] in "".join(texts) and "<script" not in svg and "<img" not in svg
    fills = [r.get("fill") for r in tree.iter(ns + "rect")][1:]  # after the white background
    assert fills == [render.GREEN, render.GREY, render.RED, render.AMBER, render.RED]
    heights = [float(r.get("height")) for r in list(tree.iter(ns + "rect"))[1:4]]
    assert heights[0] > heights[2] > heights[1] == 0  # a bar's height is its score
    ticks = [ln for ln in tree.iter(ns + "line") if ln.get("stroke") == "#000"]
    assert len(ticks) == 2  # the earlier-sessions tick of the first topic and the legend's
    assert report_chart({"questions": [], "topics": []}) is None
    no_topics = report_chart({"questions": qs[:1], "topics": []}).decode()
    assert "per topic" not in no_topics and "Q1" in no_topics


def test_mastery_chart_draws_one_line_per_topic():
    from types import SimpleNamespace

    from mockint.ui.render import mastery_chart

    now = datetime.now(UTC)
    past = [
        SimpleNamespace(
            session_id=s, question_id="q", topics=("nlp-llm",), score=sc, outcome="answered", at=now
        )
        for s, sc in (("a", 3.0), ("b", 7.0))
    ]
    png = mastery_chart(past)
    assert png and png.startswith(b"\x89PNG")
    assert mastery_chart([]) is None


def test_the_report_chart_is_sent_inline_without_a_warning(tmp_path):
    import warnings
    from urllib.parse import unquote

    from mockint.ui.svgchart import report_chart
    from mockint.ui.tabs import svg_image

    path = tmp_path / "chart.svg"
    path.write_bytes(
        report_chart({"questions": [{"position": 1, "score": 5.0, "counted": True}], "topics": []})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Gradio's SVG watermark notice would raise here
        sent = svg_image(label="Scores").postprocess(str(path))
    assert unquote(sent.url).startswith("data:image/svg+xml,<svg")
