"""``mockint doctor``: one line per part with the fix, exit 1 when a part fails; a configured LLM
that does not answer is a failure that says how to fix it (a fake OpenAI server on 127.0.0.1)."""

from __future__ import annotations

from fakeopenai import FakeOpenAI
from typer.testing import CliRunner

from mockint.cli import app

runner = CliRunner()


def test_doctor_passes_on_a_working_install_and_names_each_part(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    home = tmp_path / "home"
    assert runner.invoke(app, ["index", "--home", str(home)]).exit_code == 0
    res = runner.invoke(app, ["doctor", "--home", str(home), "--llm", "none"])
    assert res.exit_code == 0, res.output
    for part in (
        "data dir",
        "disk space",
        "corpus",
        "index",
        "embedding model",
        "judgement model",
        "score mapping",
        "local model",
        "LLM",
    ):
        assert f"ok   {part}:" in res.output, part
    assert "11 of 11 parts ok" in res.output


def test_doctor_fails_with_the_fix_for_an_empty_index_and_a_dead_llm(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    server = FakeOpenAI()
    try:
        server.script = [{"status": 500}] * 20
        res = runner.invoke(
            app,
            [
                "doctor",
                "--home",
                str(tmp_path / "home"),
                "--llm",
                "openai",
                "--base-url",
                server.url,
            ],
        )
    finally:
        server.close()
    assert res.exit_code == 1
    assert "FAIL index: empty (fix: run 'mockint index'" in res.output
    line = next(x for x in res.output.splitlines() if x.startswith("FAIL LLM"))
    assert "fix:" in line and "9 of 11 parts ok" in res.output
