"""Bad input, one table per surface: batch grading, the ``mockint`` command (grade, corpus
import, search), the web UI's handlers, and download names. Hash embedder, a 12-question
corpus, no network.

Every case checks the kind of error (an exit code with one ``MockintError`` line, an error
row naming ``file:line`` and a fix, or the message the UI shows) and that nothing already
entered is lost: the other rows are graded and written, a typed answer stays stored, an
existing corpus file is untouched, files land only in the download folder.
"""

from __future__ import annotations

import csv
import html
import io
import json
import time

import pytest
from helpers import QID, begin, chat_text, make_runtime, write_ui_corpus
from typer.testing import CliRunner

from mockint.cli import app
from mockint.corpus.schema import load_questions
from mockint.errors import ConfigError, InputFileError, MockintError, SessionError
from mockint.grading.batch import grade_file
from mockint.interview.engine import Interview, Setup
from mockint.interview.export import export, safe_name
from mockint.interview.store import Store
from mockint.textio import allow_large_fields
from mockint.ui import handlers as h
from mockint.ui import past, render, tools

runner = CliRunner()
GOOD = "L1 adds the absolute values of the weights to the loss, which drives some of the weights to exactly zero."
GOOD2 = (
    "L2 adds the squared weights to the loss, so all of the weights shrink smoothly towards zero."
)
ONE_MB = "word " * 200_000
CONTROL = "L1 😀 gives\x00 sparse\x1b[31m weights\x1b[0m \u202e and L2 🤖 squares them \x07"
SCRIPT = "<script>alert(1)</script> L1 makes the weights sparse."
IMG = '<img src=x onerror="alert(1)"> L2 shrinks the weights.'
JS_LINK = "[click](javascript:alert(1)) **L1** is `sparse`"
GERMAN = (
    "Die L1 Regularisierung addiert die Beträge der Gewichte und erzeugt dünn besetzte Modelle, "
    "während L2 die Quadrate addiert."
)


def csv_text(*rows, header=("id", "question", "answer")) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


GOOD_CSV = csv_text(("g1", QID, GOOD), ("g2", QID, GOOD2 + " Ünïcödé ✓"))
PLAIN_CSV = csv_text(("g1", QID, GOOD), ("g2", QID, GOOD2))


def put(path, content):
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad-input")
    return make_runtime(base / "home", write_ui_corpus(base / "ui.jsonl"))


# ------------------------------------------------------------------ batch grading: one bad row among good ones

BATCH_ROWS = [  # (file name, rows between two good ones: dict or raw line, what the bad row must show)
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": ""}],
        {"verdict": "no_answer"},
        id="batch-empty-answer",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": " \n\t "}],
        {"verdict": "no_answer", "kept": {"answer": " \n\t "}},
        id="batch-whitespace-answer",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": None}],
        {"verdict": "no_answer"},
        id="batch-null-answer",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": ONE_MB}],
        {"error": ["1000000 characters", "limit is 20000"], "kept": {"answer": ONE_MB}},
        id="batch-1mb-answer",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": "no-such-question-id", "answer": GOOD}],
        {"verdict": "ungradable", "flags": ["reference_not_found"]},
        id="batch-unknown-question-id",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": "What is the capital of the moon?", "answer": "Cheese city."}],
        {"verdict": "ungradable", "flags": ["reference_not_found"]},
        id="batch-free-text-no-match",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": GERMAN}],
        {"flags": ["other_language"]},
        id="batch-other-language",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": CONTROL}],
        {"kept": {"answer": CONTROL}},
        id="batch-emoji-control-chars-answer",
    ),
    pytest.param(
        "a.jsonl",
        [
            {
                "id": "b",
                "question": "What are L1\x00 and L2 regularization\x1b[0m? 😀",
                "answer": GOOD,
            }
        ],
        {"kept": {"question": "What are L1\x00 and L2 regularization\x1b[0m? 😀"}},
        id="batch-emoji-control-chars-question",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": SCRIPT}],
        {"kept": {"answer": SCRIPT}},
        id="batch-html-js-answer",
    ),
    pytest.param(
        "a.jsonl",
        ["{broken"],
        {"error": ["invalid JSON"], "kept": {"raw": "{broken"}},
        id="batch-broken-jsonl-line",
    ),
    pytest.param(
        "a.jsonl",
        ["[1, 2]"],
        {"error": ["must be a JSON object"], "kept": {"raw": "[1, 2]"}},
        id="batch-jsonl-line-not-an-object",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "answer": GOOD}],
        {"error": ["missing field(s) ['question']"]},
        id="batch-jsonl-missing-question",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": QID, "answer": 42}],
        {"kept": {"answer": 42}},
        id="batch-number-answer",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "g1", "question": QID, "answer": GOOD2}],
        {"kept": {"id": "g1", "answer": GOOD2}},
        id="batch-duplicate-id",
    ),
    pytest.param(
        "a.jsonl",
        [{"id": "b", "question": "Name a sort", "answer": "Merge sort", "reference": "x"}],
        {"error": ["no key points"], "kept": {"answer": "Merge sort"}},
        id="batch-unusable-reference",
    ),
    pytest.param(
        "a.csv",
        [("b", "", GOOD)],
        {"error": ["empty column(s) ['question']"], "raw_has": GOOD},
        id="batch-empty-question-cell",
    ),
    pytest.param(
        "a.csv",
        [("b", "   ", GOOD)],
        {"error": ["empty column(s) ['question']"], "raw_has": GOOD},
        id="batch-whitespace-question-cell",
    ),
    pytest.param(
        "a.csv", ["b"], {"error": ["empty column(s) ['question']"]}, id="batch-short-csv-row"
    ),
    pytest.param(
        "a.csv",
        [f'b,{QID},"{GOOD}",EXTRA1,EXTRA2'],
        {"kept": {"_extra": "EXTRA1|EXTRA2", "answer": GOOD}},
        id="batch-csv-row-with-extra-cells",
    ),
]


def write_batch(path, middle):
    """Good row g1, the case's rows, good row g2, as CSV or JSONL by the suffix (a str is a raw line)."""
    items = [("g1", QID, GOOD), *middle, ("g2", QID, GOOD2)]
    if path.suffix == ".csv":
        return put(
            path,
            "id,question,answer\n"
            + "".join(
                it + "\n" if isinstance(it, str) else csv_text(it).split("\n", 1)[1] for it in items
            ),
        )
    return put(
        path,
        "".join(
            (
                it
                if isinstance(it, str)
                else json.dumps(
                    it if isinstance(it, dict) else dict(zip(("id", "question", "answer"), it))
                )
            )
            + "\n"
            for it in items
        ),
    )


@pytest.mark.parametrize("name,middle,expect", BATCH_ROWS)
def test_batch_bad_row(rt, tmp_path, name, middle, expect):
    src = write_batch(tmp_path / name, middle)
    out = tmp_path / "graded.jsonl"
    grader = rt.offline_grader()
    t0 = time.perf_counter()
    result = grade_file(src, out, rt, grader)
    assert time.perf_counter() - t0 < 10
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(middle) + 2 and result.errors == sum(1 for r in rows if r["error"])
    first, bad, last = rows
    for good in (first, last):  # the rows around the bad one are graded and written
        assert (
            good["error"] == ""
            and good["verdict"] not in ("ungradable", "no_answer")
            and good["score"] > 0
        )
    if "error" in expect:  # what went wrong, where (file:line) and how to fix it
        assert all(part in bad["error"] for part in expect["error"]), bad["error"]
        assert f"{src.name}:{bad['_line']}" in bad["error"] and "(fix: " in bad["error"]
    else:
        assert bad["error"] == "" and 0 <= bad["score"] <= 10
    assert bad.get("verdict") == expect.get("verdict", bad.get("verdict"))
    assert set(expect.get("flags", [])) <= set(bad.get("flags", "").split(";"))
    for key, value in expect.get(
        "kept", {}
    ).items():  # what was entered is in the output, unchanged
        assert bad[key] == value
    assert expect.get("raw_has", "") in bad.get("raw", "")
    again = grade_file(
        src, out, rt, grader
    )  # a re-run reuses every graded row, duplicates included
    assert again.graded == 0 and again.skipped == sum(1 for r in rows if not r["error"])


# ------------------------------------------------------------------ the command line


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory):
    """One data dir with the index built once, shared by the CLI cases."""
    base = tmp_path_factory.mktemp("cli")
    corpus = write_ui_corpus(base / "ui.jsonl")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
        assert (
            runner.invoke(
                app, ["index", "--home", str(base / "home"), "--corpus", str(corpus)]
            ).exit_code
            == 0
        )
    return base / "home", corpus


@pytest.fixture
def cli(cli_home, monkeypatch):
    home, corpus = cli_home
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    monkeypatch.setenv("MOCKINT_CORPUS", str(corpus))

    def invoke(*args):
        return runner.invoke(app, [*args, "--home", str(home)])

    invoke.home = home
    return invoke


def refused(res, *parts):
    """Exit 1 with a MockintError (one line from ``mockint.cli.app.main``) that names what and how to fix."""
    assert res.exit_code == 1 and isinstance(res.exception, MockintError), (
        res.exception,
        res.output,
    )
    text = res.exception.render()
    assert all(p in text for p in parts) and "(fix: " in text, text
    return text


CLI_GRADE_REFUSED = [  # (input name, content or None for no file, extra args, message parts)
    pytest.param(
        "missing.csv", None, [], ["file not found", "missing.csv"], id="cli-grade-nonexistent-file"
    ),
    pytest.param("empty.jsonl", b"", [], ["no rows to grade"], id="cli-grade-empty-file"),
    pytest.param(
        "empty.csv",
        b"",
        [],
        ["header lacks column(s) ['question', 'answer']"],
        id="cli-grade-empty-csv",
    ),
    pytest.param(
        "header.csv",
        "id,question,answer\n",
        [],
        ["no rows to grade"],
        id="cli-grade-header-only-csv",
    ),
    pytest.param(
        "bin.csv", bytes(range(256)) * 8, [], ["bin.csv:1", "binary"], id="cli-grade-binary-file"
    ),
    pytest.param(
        "u16.csv",
        GOOD_CSV.encode("utf-16-le"),
        [],
        ["UTF-16", "byte-order mark"],
        id="cli-grade-utf16-without-bom",
    ),
    pytest.param(
        "latin1.csv",
        (PLAIN_CSV + f"b,{QID},caf\xe9\n").encode("latin-1"),
        [],
        ["latin1.csv:4", "not valid UTF-8"],
        id="cli-grade-latin1-file",
    ),
    pytest.param(
        "noanswer.csv",
        "id,question\nb,x\n",
        [],
        ["header lacks column(s) ['answer']"],
        id="cli-grade-csv-missing-answer-column",
    ),
    pytest.param(
        "quote.csv",
        GOOD_CSV + f'b,{QID},"never closed\nc,{QID},{GOOD}\n',
        [],
        ["quote.csv:4", "unreadable CSV row"],
        id="cli-grade-unclosed-quote",
    ),
    pytest.param(
        "answers.txt", "x", [], ["unknown input type '.txt'"], id="cli-grade-unknown-file-type"
    ),
    pytest.param(
        "ok.csv",
        GOOD_CSV,
        ["--grader", "bogus"],
        ["unknown grader 'bogus'"],
        id="cli-grade-unknown-grader",
    ),
    pytest.param(
        "ok.csv",
        GOOD_CSV,
        ["-o", "{tmp}"],
        ["the output is a folder"],
        id="cli-grade-output-is-a-folder",
    ),
]


@pytest.mark.parametrize("name,content,args,parts", CLI_GRADE_REFUSED)
def test_cli_grade_refuses(cli, tmp_path, name, content, args, parts):
    src = tmp_path / name
    if content is not None:
        put(src, content)
    before = sorted(tmp_path.rglob("*"))
    res = cli("grade", str(src), "--grader", "offline", *[a.format(tmp=tmp_path) for a in args])
    refused(res, *parts)
    assert sorted(tmp_path.rglob("*")) == before  # no half-written output beside the input


CLI_GRADE_OK = [  # (input name, content, extra args, output name, exit code, columns the output must keep)
    pytest.param(
        "u16.csv",
        GOOD_CSV.encode("utf-16"),
        [],
        "u16.graded.csv",
        0,
        [],
        id="cli-grade-utf16-bom-csv",
    ),
    pytest.param(
        "u16be.csv",
        b"\xfe\xff" + GOOD_CSV.encode("utf-16-be"),
        [],
        "u16be.graded.csv",
        0,
        [],
        id="cli-grade-utf16-be-bom-csv",
    ),
    pytest.param(
        "mac.csv",
        GOOD_CSV.replace("\n", "\r"),
        [],
        "mac.graded.csv",
        0,
        [],
        id="cli-grade-cr-only-line-ends",
    ),
    pytest.param(
        "extra.csv",
        csv_text(
            ("g1", QID, GOOD, "mine"),
            ("g2", QID, GOOD2 + " Ünïcödé ✓", "yours"),
            header=("id", "question", "answer", "note"),
        ),
        [],
        "extra.graded.csv",
        0,
        ["note"],
        id="cli-grade-extra-columns-kept",
    ),
    pytest.param(
        "ok.csv",
        GOOD_CSV,
        ["-o", "{tmp}/new/sub/out.jsonl"],
        "new/sub/out.jsonl",
        0,
        [],
        id="cli-grade-output-in-missing-folder",
    ),
    pytest.param(
        "big.csv",
        GOOD_CSV + f"b,{QID},{ONE_MB}\n",
        ["-o", "{tmp}/big.out.csv"],
        "big.out.csv",
        2,
        [],
        id="cli-grade-1mb-cell-csv-in-csv-out",
    ),
    pytest.param(
        "big.jsonl",
        "".join(
            json.dumps({"id": i, "question": QID, "answer": a}) + "\n"
            for i, a in (("g1", GOOD), ("b", ONE_MB), ("g2", GOOD2 + " Ünïcödé ✓"))
        ),
        ["-o", "{tmp}/big.out.csv"],
        "big.out.csv",
        2,
        [],
        id="cli-grade-1mb-answer-jsonl-in-csv-out",
    ),
]


@pytest.fixture
def csv_limit():
    """The csv module's default cell limit (128 KiB) during the test: the code must lift it itself."""
    old = csv.field_size_limit(128 * 1024)
    yield
    csv.field_size_limit(old)


def read_rows(path):
    if path.suffix == ".csv":
        allow_large_fields()
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name,content,args,out_name,code,columns", CLI_GRADE_OK)
def test_cli_grade_reads_awkward_files(
    cli, csv_limit, tmp_path, name, content, args, out_name, code, columns
):
    src = put(tmp_path / name, content)
    argv = ["grade", str(src), "--grader", "offline", *[a.format(tmp=tmp_path) for a in args]]
    res = cli(*argv)
    assert res.exit_code == code, (res.exception, res.output)
    rows = read_rows(tmp_path / out_name)
    good = [r for r in rows if r["id"] in ("g1", "g2")]
    assert [r["id"] for r in good] == ["g1", "g2"] and all(
        float(r["score"]) > 0 and not r["error"] for r in good
    )
    assert good[1]["answer"].endswith("Ünïcödé ✓")  # the text survived the decoding
    assert all(r[c] for r in rows for c in columns)
    if code == 2:  # the error row keeps the whole answer, and a re-run can read it back
        (bad,) = [r for r in rows if r["error"]]
        assert bad["answer"] == ONE_MB and "limit" in bad["error"]
        csv.field_size_limit(128 * 1024)
        res = cli(*argv)
        assert res.exit_code == 2 and "2 already done" in res.output, (res.exception, res.output)


@pytest.mark.parametrize(
    "query",
    ["\x1b[31m😀 regularization\x1b[0m", "<script>alert(1)</script>\x00\x07"],
    ids=["cli-search-escape-codes-emoji", "cli-search-html-nul-bell"],
)
def test_cli_search_with_odd_text(cli, query):
    res = cli("search", query, "--k", "2", "--json")
    assert res.exit_code == 0, (res.exception, res.output)
    assert len(json.loads(res.output)) == 2


# ------------------------------------------------------------------ corpus import (CLI and UI)

QA_JSONL = (
    json.dumps(
        {
            "question": "What is a heap?",
            "answer": "A heap is a tree where each parent is ordered "
            "before its children. It backs priority queues.",
        }
    )
    + "\n"
)
QA_CSV = (
    'question,answer\nWhat is a heap?,"A heap is a tree where each parent is ordered before its children. '
    'It backs priority queues."\n'
)

IMPORT_REFUSED = [  # (file name, content, message parts); home/corpus/<stem>.jsonl exists before
    pytest.param("mine.csv", b"\x00\x01\x02garbage", ["binary"], id="import-binary-file"),
    pytest.param(
        "mine.jsonl",
        QA_JSONL + "{broken\n",
        ["mine.jsonl:2", "invalid JSON"],
        id="import-broken-jsonl-line",
    ),
    pytest.param(
        "mine.csv",
        QA_CSV + "What is X?,\n",
        ["mine.csv:3", "the answer is empty"],
        id="import-empty-answer",
    ),
    pytest.param(
        "mine.csv",
        "question,answer,topic\nWhat is X?,X is a thing we test.,cooking\n",
        ["unknown topic"],
        id="import-unknown-topic",
    ),
    pytest.param("mine.jsonl", "", ["no questions found"], id="import-empty-file"),
    pytest.param(
        "mine.csv", "question,answer\n", ["no questions found"], id="import-header-only-csv"
    ),
    pytest.param("mine.csv", QA_CSV.encode("utf-16-le"), ["UTF-16"], id="import-utf16-without-bom"),
    pytest.param(
        "mine.csv",
        QA_CSV + 'What is Y?,"never closed\nWhat is Z?,Z.\n',
        ["mine.csv:3", "unreadable CSV row"],
        id="import-unclosed-quote",
    ),
]


@pytest.mark.parametrize("surface", ["cli", "ui"])
@pytest.mark.parametrize("name,content,parts", IMPORT_REFUSED)
def test_import_refuses_and_keeps_the_existing_corpus(
    cli, rt, tmp_path, name, content, parts, surface
):
    src = put(tmp_path / name, content)
    if surface == "cli":
        existing = cli.home / "corpus" / "mine.jsonl"
    else:
        ctx = h.UIContext(
            rt, grader="offline", store=Store(tmp_path / "h.db"), files_dir=tmp_path / "files"
        )
        existing = rt.config.home / "corpus" / "mine.jsonl"
    existing.parent.mkdir(parents=True, exist_ok=True)
    existing.write_text(QA_JSONL, encoding="utf-8")  # an earlier import of the same name
    if surface == "cli":
        refused(cli("corpus", "import", str(src)), *parts)
    else:
        with pytest.raises(MockintError) as exc:
            tools.import_corpus(ctx, src)
        assert all(p in exc.value.render() for p in parts) and exc.value.fix
    assert existing.read_text(encoding="utf-8") == QA_JSONL


IMPORT_OK = [  # (file name, content, question text expected in the output)
    pytest.param(
        "mine.md",
        "## Stats\n\n### What is a p-value?\n\n- The probability of data at least this extreme "
        "if the null hypothesis holds.\n".encode("utf-16"),
        "What is a p-value?",
        id="import-utf16-bom-markdown",
    ),
    pytest.param(
        "mine.jsonl",
        json.dumps(
            {
                "question": "What is L1\x1b[31m 😀?",
                "answer": "L1 adds absolute values of the weights \x00 😀. It gives sparse models.",
            }
        )
        + "\n",
        "What is L1\x1b[31m 😀?",
        id="import-emoji-control-chars",
    ),
    pytest.param(
        "mine.csv",
        "question,answer\nWhat is big?," + "A long answer sentence here. " * 8000 + "\n",
        "What is big?",
        id="import-csv-cell-over-128k",
    ),
]


@pytest.mark.parametrize("name,content,question", IMPORT_OK)
def test_cli_import_reads_awkward_files(cli, csv_limit, tmp_path, name, content, question):
    out = tmp_path / "out.jsonl"
    res = cli("corpus", "import", str(put(tmp_path / name, content)), "-o", str(out))
    assert res.exit_code == 0, (res.exception, res.output)
    assert [q.question for q in load_questions(out)] == [question]


# ------------------------------------------------------------------ the web UI's handlers


@pytest.fixture
def ui(rt, tmp_path):
    """A UI context over the shared runtime with its own history and download folder."""
    return h.UIContext(
        rt,
        grader="offline",
        chat=None,
        store=Store(tmp_path / "history.db"),
        files_dir=tmp_path / "files",
    )


UI_ANSWERS = [  # (what is typed, what is stored for the question; None = nothing, still waiting)
    pytest.param("", None, "empty answer ignored", id="ui-empty-answer"),
    pytest.param(" \n\t ", None, "empty answer ignored", id="ui-whitespace-answer"),
    pytest.param(ONE_MB, None, "1000000 characters", id="ui-1mb-answer"),
    pytest.param(SCRIPT, SCRIPT, "", id="ui-script-tag-answer"),
    pytest.param(IMG, IMG, "", id="ui-img-onerror-answer"),
    pytest.param(JS_LINK, JS_LINK, "", id="ui-markdown-js-link-answer"),
    pytest.param(CONTROL, CONTROL.strip(), "", id="ui-emoji-control-chars-answer"),
    pytest.param(GERMAN, GERMAN, "", id="ui-other-language-answer"),
]


@pytest.mark.parametrize("typed,stored,message", UI_ANSWERS)
def test_ui_answer(ui, typed, stored, message):
    v = begin(ui)
    sid, chat_before = v.state["sid"], list(v.state["chat"])
    if stored is None and len(typed) > h.MAX_ANSWER_CHARS:
        with pytest.raises(
            SessionError, match=message
        ) as exc:  # a gr.Error: the answer box keeps the text
            h.respond(ui, v.state, typed)
        assert exc.value.fix
        after = v
    else:
        after = h.respond(ui, v.state, typed)
    assert v.state["chat"] == chat_before  # the tab's state is never mutated
    rec = ui.store.load(sid)
    assert rec.turns[0].answer == stored
    if stored is None:  # refused: still waiting on the same question, and the session goes on
        assert rec.turns[0].outcome is None and len(rec.turns) == 1
        assert message in chat_text(after.chat) or after is v
        assert not [m for m in after.chat if m["role"] == "user"]
        h.respond(ui, after.state, GOOD)
        assert ui.store.load(sid).turns[0].answer == GOOD
        return
    user = [m for m in after.chat if m["role"] == "user"][-1]["content"]
    assert (
        not set("<>[]()*`") & set(user) and html.unescape(user) == typed
    )  # shown as text, nothing else
    if stored == GERMAN:
        assert "other_language" in rec.final_grades[rec.turns[0].id].flags
    report = past.report(ui, after.state)
    md, js, page = report.files
    assert (
        json.loads(js.read_text(encoding="utf-8"))["questions"][0]["answer"] == stored
    )  # nothing lost
    for text in (report.html, page.read_text(encoding="utf-8")):
        assert (
            "<script>alert" not in text
            and "<img src=x" not in text
            and 'href="javascript' not in text
        )
        assert render.esc(stored) in text


def write_good_csv(tmp):
    return put(tmp / "ok.csv", GOOD_CSV)


UI_ERRORS = [  # (action, error type, message)
    pytest.param(
        lambda ui, tmp: past.resume(ui, h.new_state(), "../../etc/passwd"),
        SessionError,
        "no session",
        id="ui-resume-path-trick-id",
    ),
    pytest.param(
        lambda ui, tmp: past.report(ui, h.new_state(), "../../etc/passwd"),
        SessionError,
        "no session",
        id="ui-report-path-trick-id",
    ),
    pytest.param(
        lambda ui, tmp: past.report(ui, h.new_state(), "/etc/passwd\x00"),
        SessionError,
        "no session",
        id="ui-report-absolute-nul-id",
    ),
    pytest.param(
        lambda ui, tmp: h.respond(ui, {"sid": "../x", "chat": []}, GOOD),
        SessionError,
        "no session",
        id="ui-respond-forged-session-id",
    ),
    pytest.param(
        lambda ui, tmp: h.start(ui, h.new_state(), questions=0),
        SessionError,
        "invalid interview setup",
        id="ui-start-zero-questions",
    ),
    pytest.param(
        lambda ui, tmp: tools.batch(ui, None),
        InputFileError,
        "no file uploaded",
        id="ui-batch-no-upload",
    ),
    pytest.param(
        lambda ui, tmp: tools.batch(ui, tmp / "gone.csv"),
        InputFileError,
        "gone",
        id="ui-batch-upload-gone",
    ),
    pytest.param(
        lambda ui, tmp: tools.batch(ui, put(tmp / "b.csv", b"\x00\x01\x02")),
        InputFileError,
        "binary",
        id="ui-batch-binary-upload",
    ),
    pytest.param(
        lambda ui, tmp: tools.batch(ui, put(tmp / "e.jsonl", b"")),
        InputFileError,
        "no rows to grade",
        id="ui-batch-empty-upload",
    ),
    pytest.param(
        lambda ui, tmp: tools.batch(ui, put(tmp / "q.csv", "q,a\nx,y\n")),
        InputFileError,
        "header lacks",
        id="ui-batch-csv-missing-columns",
    ),
    pytest.param(
        lambda ui, tmp: tools.batch(ui, write_good_csv(tmp), "bogus"),
        ConfigError,
        "unknown grader",
        id="ui-batch-unknown-grader",
    ),
    pytest.param(
        lambda ui, tmp: tools.import_corpus(ui, None),
        InputFileError,
        "no file uploaded",
        id="ui-import-no-upload",
    ),
]


@pytest.mark.parametrize("action,error,message", UI_ERRORS)
def test_ui_errors_are_clear_and_lose_nothing(ui, tmp_path, action, error, message):
    v = h.respond(ui, begin(ui).state, GOOD)  # an interview with one answer in it
    sid = v.state["sid"]
    with pytest.raises(
        error, match=message
    ) as exc:  # app.py shows exc.render() as one gr.Error line
        action(ui, tmp_path)
    assert exc.value.fix
    rec = ui.store.load(sid)
    assert rec.turns[0].answer == GOOD and len(ui.store.sessions()) == 1
    assert not [p for p in tmp_path.rglob("*") if "passwd" in p.name or p.name == "etc"]


UPLOAD_NAMES = [
    "answers..csv",
    "x" * 200 + ".csv",
    "<img src=x onerror=alert(1)> & ';.csv",
    ".hidden.csv",
]


@pytest.mark.parametrize(
    "name",
    UPLOAD_NAMES,
    ids=["upload-double-dot", "upload-long-name", "upload-html-name", "upload-dot-name"],
)
def test_ui_batch_upload_names_stay_in_the_download_folder(ui, tmp_path, name):
    v = tools.batch(ui, put(tmp_path / name, GOOD_CSV), "offline")
    assert v.graded == 2 and v.errors == 0
    for f in v.files:
        assert f.resolve().is_relative_to(ui.files.resolve()) and f.exists() and len(f.name) <= 140
    assert v.files[0].suffix == ".csv"


@pytest.mark.parametrize(
    "payload",
    [SCRIPT, IMG, JS_LINK],
    ids=["ui-import-script-question", "ui-import-img-question", "ui-import-js-link-question"],
)
def test_ui_imported_question_is_rendered_inert(ui, tmp_path, payload):
    src = put(
        tmp_path / "xss.csv",
        csv_text(
            (payload, payload + " It is a test of escaping in the page."),
            header=("question", "answer"),
        ),
    )
    message, out = tools.import_corpus(ui, src)
    assert "Imported 1 questions" in message
    (q,) = load_questions(out)
    assert q.question == payload  # stored as typed
    page = render.question_html(q)
    assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
    assert render.esc(payload) in page


# ------------------------------------------------------------------ download names


@pytest.fixture(scope="module")
def report(rt, tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("report") / "history.db")
    iv = Interview.start(
        rt,
        Setup(focus=rt.by_id[QID].question, questions=1, max_followups=0),
        grader=rt.offline_grader(),
        store=store,
    )
    iv.respond(GOOD)
    return iv.report()


EXPORT_NAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "a\x00b/../../c",
    "..\\..\\windows\\win.ini",
    "a/b/c",
    "..",
    "",
    "x" * 300,
]


@pytest.mark.parametrize(
    "name",
    EXPORT_NAMES,
    ids=[
        "export-dotdot",
        "export-absolute",
        "export-nul",
        "export-backslash",
        "export-slashes",
        "export-only-dots",
        "export-empty",
        "export-300-chars",
    ],
)
def test_export_names_stay_in_the_folder(ui, report, tmp_path, name):
    folder = tmp_path / "downloads"
    md, js = export(report, folder, name=name)
    for path in (md, js):
        assert (
            path.parent == folder
            and path.exists()
            and path.name.startswith(safe_name(name or "interview"))
        )
        assert not {"/", "\\", "\x00"} & set(path.name) and ".." not in path.name
    assert json.loads(js.read_text(encoding="utf-8"))["questions"][0]["answer"] == GOOD
    area = ui.folder("reports", name, "x")
    assert area.resolve().is_relative_to(ui.files.resolve()) and area.exists()
    outside = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file()
        and not p.is_relative_to(folder)
        and not p.is_relative_to(ui.files)
        and p.name != "history.db"
        and not p.name.startswith("history.db-")
    ]
    assert outside == []
