"""The web app's API through gradio_client, against the app launched on 127.0.0.1 (a free port):
a two-question interview, the report downloads, isolation between clients, errors, escaping."""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import serve_ui
from helpers import QID, XSS, essentials

gradio_client = pytest.importorskip("gradio_client")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # starts a server


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("ui-client")
    demo, url, rt = serve_ui(base)
    assert url.startswith("http://127.0.0.1:")
    yield url, rt, base
    demo.close()


def client(served, name="c"):
    url, _, base = served
    # httpx's default 5-s timeout for the config request failed once in a full CI run on 2 busy
    # cores (the page's config is built per request); a slow page is not what this test checks
    return gradio_client.Client(
        url,
        verbose=False,
        download_files=str(base / f"downloads-{name}"),
        analytics_enabled=False,
        httpx_kwargs={"timeout": 60},
    )


def messages(chat) -> list[tuple[str, str]]:
    """(role, text as a reader sees it) for the Chatbot's value as the client returns it."""
    out = []
    for m in chat:
        content = m["content"]
        text = (
            "".join(part.get("text", "") for part in content)
            if isinstance(content, list)
            else str(content)
        )
        out.append((m["role"], html.unescape(text)))
    return out


def start(c, rt, **kw):
    args = {
        "topics": [],
        "types": ["comparison", "concept"],
        "difficulty": "any",
        "questions": 2,
        "followups": 0,
        "focus": rt.by_id[QID].question,
        "mode": "practice",
        **kw,
    }
    return c.predict(*args.values(), api_name="/start")


def test_api_names(served):
    api = client(served).view_api(return_format="dict", print_info=False)
    names = set(api["named_endpoints"])
    assert {
        "/start",
        "/submit",
        "/hint",
        "/skip",
        "/idk",
        "/end",
        "/report",
        "/history",
        "/resume",
        "/review",
        "/batch",
        "/search",
        "/question",
        "/import_corpus",
    } <= names


def test_two_question_interview_and_report(served):
    _, rt, _ = served
    c = client(served, "two")
    chat, answer, code, feedback, model, status, *_ = start(c, rt)
    said = messages(chat)
    assert (
        said[-1][0] == "assistant"
        and "Question 1/2" in said[-1][1]
        and rt.by_id[QID].question in said[-1][1]
    )
    assert "question 1 of 2" in status and feedback == ""
    chat, answer, code, feedback, model, status, *_ = c.predict(
        essentials(rt.by_id[QID]), "", api_name="/submit"
    )
    assert (
        "Question 1:" in feedback
        and "✓" in feedback
        and model.strip() == rt.by_id[QID].references[0].markdown.strip()
    )
    assert answer["value"] == "" and "Question 2/2" in messages(chat)[-1][1]
    chat, _, _, feedback, model, status, *_ = c.predict(
        f"{XSS} Pearson's r is the covariance over the product of the standard deviations.",
        "",
        api_name="/submit",
    )
    assert "finished" in status and "Question 2:" in feedback
    user = [m for m in chat if m["role"] == "user"][-1]
    raw = "".join(p["text"] for p in user["content"])
    assert "<" not in raw and XSS in html.unescape(raw)  # shown as text, never as a tag

    report_html, chart, files = c.predict("", api_name="/report")
    assert "Interview " in report_html and XSS not in report_html and "&lt;img src=x" in report_html
    # Gradio sends an SVG image inline, as a data URL (gradio_client leaves it as the FileData)
    assert chart["url"].startswith("data:image/svg+xml,") and chart["orig_name"].endswith(".svg")
    assert unquote(chart["url"]).split(",", 1)[1].startswith("<svg")
    by_ext = {f.rsplit(".", 1)[-1]: f for f in files}
    assert set(by_ext) == {"md", "json", "html"}
    data = json.loads(Path(by_ext["json"]).read_text(encoding="utf-8"))
    assert data["summary"]["asked"] == 2 and data["summary"]["answered"] == 2
    page = Path(by_ext["html"]).read_text(encoding="utf-8")
    assert "data:image/svg+xml;base64," in page and "<script" not in page and XSS not in page


def test_clients_are_isolated(served):
    _, rt, _ = served
    a, b = client(served, "a"), client(served, "b")
    start(a, rt)
    with pytest.raises(Exception, match="no interview is running"):
        b.predict("answer from b", "", api_name="/submit")  # b has no session of its own
    start(b, rt)
    chat_a = a.predict("only-in-session-a: L1 adds absolute values.", "", api_name="/submit")[0]
    chat_b = b.predict(api_name="/hint")[0]
    text_a = "\n".join(t for _, t in messages(chat_a))
    text_b = "\n".join(t for _, t in messages(chat_b))
    assert "only-in-session-a" in text_a and "only-in-session-a" not in text_b and "Hint:" in text_b
    sid_a = text_a.split("Session ", 1)[1].split(":", 1)[0].strip("`")
    sid_b = text_b.split("Session ", 1)[1].split(":", 1)[0].strip("`")
    assert sid_a != sid_b


def test_history_search_and_errors(served):
    _, rt, _ = served
    c = client(served, "h")
    sessions, topics, resume_pick, chart = c.predict(api_name="/history")
    assert sessions["headers"][:2] == ["id", "date"] and len(sessions["data"]) >= 1, (
        sessions,
        topics,
    )
    results, pick, page = c.predict(rt.by_id[QID].question, 3, [], api_name="/search")
    assert results["data"][0][1] == QID and "Rubric" in page
    with pytest.raises(
        Exception, match="no question of the concepts track matches"
    ):  # a MockintError reaches the client as one line
        start(c, rt, topics=["generative-models"], types=["sql"])
