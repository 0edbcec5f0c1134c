"""The `mockint` command as a user runs it (typer's runner, in-process)."""

import json

import pytest
from conftest import FIXTURES, REPO
from typer.testing import CliRunner

from mockint.cli import app
from mockint.config import settings_table

runner = CliRunner()


def test_help_lists_the_commands():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in (
        "corpus",
        "index",
        "search",
        "grade",
        "eval",
        "calibrate",
        "config",
        "interview",
        "history",
        "ui",
    ):
        assert cmd in res.output


def test_config_resolves_and_table_is_in_readme(home, monkeypatch, tmp_path):
    monkeypatch.setenv("MOCKINT_CHROMA_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    res = runner.invoke(app, ["config", "--home", str(home)])
    assert res.exit_code == 0 and "127.0.0.1:9999" in res.output and str(home) in res.output
    assert "sk-secret-123" not in res.output and "api_key = (set)" in res.output
    assert settings_table() in (REPO / "README.md").read_text()


def test_corpus_import_cli(tmp_path, home):
    f = tmp_path / "mine.csv"
    f.write_text(
        "question,answer\nWhat is a heap?,A heap is a tree where each parent is ordered before its "
        "children. It gives O(log n) insert and pop. It backs priority queues.\n"
    )
    res = runner.invoke(app, ["corpus", "import", str(f), "-o", str(tmp_path / "out.jsonl")])
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert rec["rubric"] == "auto" and len(rec["key_points"]) >= 3


def test_errors_are_one_clear_line(tmp_path, home):
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "mockint.cli", "corpus", "import", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1
    assert (
        "file not found" in res.stderr
        and "nope.csv" in res.stderr
        and "Traceback" not in res.stderr
    )


@pytest.mark.slow
def test_index_and_search_json(home):
    res = runner.invoke(app, ["index"])
    assert res.exit_code == 0 and "added" in res.output
    res = runner.invoke(app, ["index"])
    assert "0 added, 0 re-embedded" in res.output
    res = runner.invoke(
        app,
        ["search", "memory needed to load a seven billion parameter model", "--k", "3", "--json"],
    )
    assert res.exit_code == 0
    rows = json.loads(res.output)
    assert (
        rows[0]["id"] == "how-much-vram-is-required-to-load-a-7b-llm"
        and 0 < rows[0]["similarity"] <= 1
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "fmt,name",
    [
        ("mohler", "mohler-mini.jsonl"),
        ("mockint", "mockint-mini.jsonl"),
        ("semeval", "semeval-mini.xml"),
    ],
)
def test_eval_writes_reports_for_each_format(tmp_path, home, fmt, name):
    out = tmp_path / "reports"
    res = runner.invoke(
        app,
        [
            "eval",
            "--dataset",
            f"{FIXTURES / name}:{fmt}",
            "--protocol",
            "shipped",
            "--out",
            str(out),
            "--no-probes" if fmt == "semeval" else "--probes",
        ],
    )
    assert res.exit_code == 0, res.output
    stem = name.rsplit(".", 1)[0] + "--offline"
    data = json.loads((out / f"{stem}.json").read_text())
    assert data["metrics"]["n"] >= 4
    for png in ("scatter", "calibration", "confusion"):
        assert (out / f"{stem}-{png}.png").stat().st_size > 1000
    assert (out / f"{stem}-worst.md").exists()
    if fmt == "mohler":
        assert "human_vs_human" in data["metrics"] and "Shipped" in data["protocol"]
    if fmt == "mockint":
        assert data["probes"]["injection"]["fake_json"]["n"] >= 1
        ks, echo = data["probes"]["keyword_stuffing"], data["probes"]["question_echo"]
        assert ks["share_le_2"] == 1.0 and echo["share_le_2"] == 1.0
        three = ks["reference_words_only"]["three_plus_words"]
        assert three["n"] >= 1 and three["share_le_2"] == 1.0  # copied keyword lists are capped
        assert ks["comma_separated"]["n"] == ks["n"] and echo["other_wordings"]["share_le_2"] == 1.0
        md = (out / f"{stem}.md").read_text()
        assert (
            "of three or more words" in md and "with commas" in md and "three other wordings" in md
        )
        assert "Human-graded answers here that are one or two words" in md
        # every held-out probe set is graded and reported on its own
        for key, file, title in (
            ("held_out", "probes-heldout.jsonl", "## Held-out probes\n"),
            ("held_out_2", "probes-heldout-2.jsonl", "## Held-out probes, set 2\n"),
            ("held_out_3", "probes-heldout-3.jsonl", "## Held-out probes, set 3\n"),
            ("held_out_4", "probes-heldout-4.jsonl", "## Held-out probes, set 4\n"),
            ("held_out_5", "probes-heldout-5.jsonl", "## Held-out probes, set 5\n"),
        ):
            held = data["probes"][key]
            n = 60 if key in ("held_out_3", "held_out_5") else 180
            assert held["file"] == file and held["n"] == n and len(held["by_kind"]) in (1, 6)
            assert title in md and f"`eval/datasets/{file}`, {n} probes" in md
        assert "held-out probes, set 2 (probes-heldout-2.jsonl)" in res.output
    assert "Flags on the human-graded answers" in (out / f"{stem}.md").read_text()
    assert all(v["n"] >= 1 for v in data["metrics"]["flags"].values())


def test_unknown_grader_is_refused(home):
    res = runner.invoke(
        app, ["eval", "--dataset", str(FIXTURES / "mockint-mini.jsonl"), "--grader", "llm"]
    )
    assert res.exit_code != 0
