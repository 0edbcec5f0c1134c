"""The web app in a real browser (Debian's /usr/bin/chromium through Playwright): a two-question
interview with an XSS attempt as an answer, the feedback panel, the Report tab; a screenshot of
each goes to tests/artifacts/. This checks the wiring; the logic is tested in test_ui_handlers.

Only 127.0.0.1 is reached: every other request the page makes is aborted and listed."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import serve_ui
from helpers import QID, XSS

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

if not CHROMIUM.exists():
    pytest.skip(
        "no /usr/bin/chromium (apt-get install chromium); Playwright browsers are never downloaded",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    demo, address, rt = serve_ui(tmp_path_factory.mktemp("ui-browser"))
    yield address, rt
    demo.close()


@pytest.fixture
def page(url):
    blocked: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pg = browser.new_page(viewport={"width": 1280, "height": 1000})

        def local_only(route):
            host = urlparse(route.request.url).hostname
            if route.request.url.startswith(("data:", "blob:")) or host in (
                "127.0.0.1",
                "localhost",
            ):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        pg.route("**/*", local_only)
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.blocked, pg.dialogs = blocked, dialogs
        pg.set_default_timeout(60_000)
        yield pg
        browser.close()


def settle(page) -> None:
    """Wait until every Gradio status tracker is hidden (no event pending), then let the page paint.
    (Not "networkidle": the page keeps a connection to the server open.)"""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=status-tracker]')]"
        ".every(e => e.classList.contains('hide'))"
    )
    page.wait_for_timeout(400)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    settle(page)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def submit(page, text: str, expect_messages: int) -> None:
    page.locator("#mi-answer textarea").fill(text)
    page.locator("#mi-submit").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#mi-chat .message-row, #mi-chat .message').length >= n",
        arg=expect_messages,
    )
    settle(page)


def chat_count(page) -> int:
    return page.evaluate(
        "() => document.querySelectorAll('#mi-chat .message-row, #mi-chat .message').length"
    )


def test_two_question_interview_in_a_browser(page, url):
    address, rt = url
    page.goto(address)
    page.wait_for_selector("#mi-start")
    page.locator("#mi-focus textarea").fill(rt.by_id[QID].question)
    for label in ("concept", "comparison"):
        page.locator(f"#mi-types input[name='{label}']").check()
    n = page.locator("#mi-n input[type=number]")
    n.fill("2")
    n.press("Tab")
    page.locator("#mi-start").click()
    page.wait_for_function("() => document.querySelector('#mi-status').innerText.includes('of 2')")
    settle(page)
    assert "Question 1/2" in page.locator("#mi-chat").inner_text()
    # the clock counts in the page: with the offline grader the server is asked every 30 s only
    page.wait_for_function(
        "() => /Time on this question: 0:0[2-9]/.test(document.querySelector('#mi-timer').innerText)",
        timeout=15_000,
    )

    answer = f"{XSS} L1 adds the absolute values of the weights and gives sparse models; L2 adds their squares."
    for _ in range(6):  # two questions, each with at most one follow-up
        if "finished" in page.locator("#mi-status").inner_text():
            break
        submit(page, answer, chat_count(page) + 2)
        if "mi-feedback-card" in page.locator("#mi-feedback").inner_html() and not page.dialogs:
            shot(page, "ui-feedback.png")
    assert "finished" in page.locator("#mi-status").inner_text()

    chat = page.locator("#mi-chat")
    assert XSS in chat.inner_text()  # shown as text
    assert chat.locator("img[src='x']").count() == 0 and not page.dialogs
    feedback = page.locator("#mi-feedback")
    assert "Question 2:" in feedback.inner_text() and feedback.locator(".mi-bar").count() == 1
    assert page.get_by_text("Model answer").first.is_visible()

    page.get_by_role("tab", name="Report").click()
    page.wait_for_function(
        "() => document.querySelector('#mi-report').innerText.includes('Interview ')"
    )
    report = page.locator("#mi-report")
    assert "Study list" in report.inner_text() or "answered" in report.inner_text()
    assert XSS in report.inner_text() and report.locator("img[src='x']").count() == 0
    page.wait_for_function(
        "() => { const i = document.querySelector('#mi-report-chart img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    files = page.locator("#mi-report-files").inner_text()
    assert ".md" in files and ".json" in files and ".html" in files
    path = shot(page, "ui-report.png")
    assert path.stat().st_size > 10_000
    assert not page.dialogs, page.dialogs
    assert not page.blocked, f"the page tried to leave 127.0.0.1: {page.blocked}"


def test_coding_problem_with_run_tests_in_a_browser(page, url):
    """Track coding: the code editor and the explanation box, Run tests on an infinite loop
    (stopped, reported, the page keeps working), Run tests on a correct solution, then Submit:
    the feedback has the tests table with hidden tests by kind only."""
    address, _ = url
    page.goto(address)
    page.wait_for_selector("#mi-start")
    page.locator("#mi-track").get_by_label("coding").check()
    for field, value in (("#mi-n", "1"), ("#mi-followups", "0")):
        box = page.locator(f"{field} input[type=number]")
        box.fill(value)
        box.press("Tab")
    page.locator("#mi-start").click()
    page.wait_for_function("() => document.querySelector('#mi-status').innerText.includes('of 1')")
    settle(page)
    assert page.locator("#mi-run").is_visible() and page.locator("#mi-code").is_visible()
    assert "complexity" in page.locator("#mi-answer").inner_text()  # the explanation box

    def editor(code: str) -> None:
        box = page.locator("#mi-code .cm-content")
        box.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(code)

    editor("def intersection(xs, ys):\n    while True:\n        pass\n")
    page.locator("#mi-run").click()
    page.wait_for_function(
        "() => document.querySelector('#mi-tests').innerText.includes('Examples')", timeout=90_000
    )
    settle(page)
    assert "fail" in page.locator("#mi-tests").inner_text()

    editor("def intersection(xs, ys):\n    return list(set(xs) & set(ys))\n")
    page.locator("#mi-run").click()
    page.wait_for_function(
        "() => !document.querySelector('#mi-tests').innerText.includes('fail')"
        " && document.querySelector('#mi-tests').innerText.includes('pass')"
    )
    shot(page, "ui-coding-run.png")
    page.locator("#mi-answer textarea").fill(
        "Two sets and their intersection: O(n + m) time and space; duplicates disappear."
    )
    page.locator("#mi-submit").click()
    page.wait_for_function(
        "() => document.querySelector('#mi-feedback').innerText.includes('hidden')"
    )
    feedback = page.locator("#mi-feedback")
    assert "Examples" not in feedback.inner_text() or "Tests" in feedback.inner_text()
    assert "hidden · " in feedback.inner_text()
    shot(page, "ui-coding-feedback.png")
    assert not page.dialogs, page.dialogs
    assert not page.blocked, f"the page tried to leave 127.0.0.1: {page.blocked}"


ANSWER_WAV = Path(__file__).resolve().parent / "fixtures" / "audio" / "l1-l2-answer.wav"


def test_spoken_answer_through_a_fake_microphone(url):
    """Chromium's fake microphone plays an espeak-ng recording; Record: the words heard so far show
    while it plays (streamed to the server); Stop: the transcript lands in the answer box, Submit
    grades it and the feedback shows the delivery numbers."""
    pytest.importorskip("faster_whisper", reason="speech to text is not installed")
    address, rt = url
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={ANSWER_WAV}",
            ],
        )
        ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
        ctx.grant_permissions(["microphone"])
        page = ctx.new_page()
        page.set_default_timeout(120_000)
        page.goto(address)
        page.wait_for_selector("#mi-start")
        page.locator("#mi-focus textarea").fill(rt.by_id[QID].question)
        for field, value in (("#mi-n", "1"), ("#mi-followups", "0")):
            box = page.locator(f"{field} input[type=number]")
            box.fill(value)
            box.press("Tab")
        page.locator("#mi-start").click()
        page.wait_for_function(
            "() => document.querySelector('#mi-status').innerText.includes('of 1')"
        )
        settle(page)
        mic = page.locator("#mi-mic")
        mic.get_by_role("button", name="Record", exact=True).click()
        started = time.monotonic()
        # transcribed while it is spoken: words show up under the microphone before Stop
        page.wait_for_function(
            "() => document.querySelector('#mi-voice-note').innerText.includes('Heard so far')",
            timeout=90_000,
        )
        # the recording is 11.6 s long; under load the browser's first pieces reach the server
        # late, so wall time says little about how much was heard: Stop once the streamed words
        # have reached the middle of the answer ("loss", 4.6 s in) and 13 s have passed
        page.wait_for_function(
            "() => document.querySelector('#mi-voice-note').innerText.toLowerCase()"
            ".includes('loss')",
            timeout=90_000,
        )
        page.wait_for_timeout(max(0, 13 - (time.monotonic() - started)) * 1000)
        mic.get_by_role("button", name="Stop", exact=True).click()
        # the fake microphone loops the file from wherever it is when Record is pressed, so the
        # words at the cut vary from run to run ("regularization" can come out "regular
        # relation"): wait for the transcription to finish, then check words that survive any cut
        try:
            page.wait_for_function(
                "() => document.querySelector('#mi-voice-note').innerText.includes('Transcribed')",
                timeout=180_000,
            )
        except sync_api.TimeoutError:
            shot(page, "ui-voice-timeout.png")
            pytest.fail(
                "no transcript: answer box "
                f"{page.locator('#mi-answer textarea').input_value()!r}, voice note "
                f"{page.locator('#mi-voice-note').inner_text()!r}, toasts "
                f"{page.locator('.toast-body').all_inner_texts()!r}, mic "
                f"{page.locator('#mi-mic').inner_text()!r}"
            )
        said = page.locator("#mi-answer textarea").input_value().lower()
        assert "weight" in said and "loss" in said and ("l1" in said or "l2" in said), said
        assert "words/min" in page.locator("#mi-voice-note").inner_text()
        page.locator("#mi-submit").click()
        page.wait_for_function(
            "() => document.querySelector('#mi-feedback').innerText.includes('Delivery')"
        )
        assert "Question 1:" in page.locator("#mi-feedback").inner_text()
        shot(page, "ui-voice-feedback.png")
        browser.close()
