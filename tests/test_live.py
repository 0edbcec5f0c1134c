"""A live interview: the quick grade at once, the LLM's follow-up phrasing streamed while it is
shown, the LLM's verdict replacing the quick grade later; a late phrasing never replaces a
follow-up already answered. Scripted models, the lexical fake judge, the hash embedder."""

from __future__ import annotations

import json

import pytest
from helpers import QID, write_mini_corpus

from mockint.config import Config
from mockint.grading.llm_judge import llm_grader
from mockint.interview.engine import Interview
from mockint.interview.moves import Setup
from mockint.judge.model import OverlapJudge
from mockint.llm.client import ScriptedModel
from mockint.runtime import Runtime
from mockint.search.embedding import HashEmbedder

PARTIAL = "L1 adds the absolute values of the weights to the loss."


class Compact(ScriptedModel):
    compact = True


@pytest.fixture
def rt(home, tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKINT_EMBEDDING_MODEL", "hash-fake")
    monkeypatch.setenv("MOCKINT_CORPUS", str(write_mini_corpus(tmp_path / "mini.jsonl")))
    runtime = Runtime(Config.load(), embedder=HashEmbedder(), judge=OverlapJudge())
    runtime.ensure_index()
    return runtime


def live(rt, judge_replies, voice_replies):
    q = rt.by_id[QID]
    grader = llm_grader(Compact(judge_replies), rt.offline_grader(), cache_dir=None)
    voice = ScriptedModel(voice_replies)
    iv = Interview.start(
        rt,
        Setup(focus=q.question, questions=1, max_followups=1),
        grader=grader,
        chat=voice,
        live=True,
    )
    return iv, q, voice


def all_covered(q):
    return json.dumps({k.id: "covered" for k in q.key_points})


def test_quick_grade_first_then_streamed_phrasing_then_the_llm_verdict(rt):
    q = rt.by_id[QID]
    iv, q, voice = live(
        rt, [all_covered(q)], ["So what does the squared penalty do to the weights?"]
    )
    iv.respond(PARTIAL)
    main, follow = iv.record.turns[0], iv.record.turns[1]
    quick = iv.record.answer_grades[main.id]
    assert quick.grader == "offline" and follow.kind == "followup"
    assert follow.phrased_by == "probe" and iv.pending_phrasing().id == follow.id
    shown = list(iv.stream_followup())
    assert len(shown) >= 3 and shown[0] == "So" and shown[-1].endswith("to the weights?")
    assert all(b.startswith(a) for a, b in zip(shown[:-2], shown[1:-1]))  # the text grows
    iv._reload()
    follow = iv.record.turns[1]
    assert (
        follow.prompt == shown[-1] and follow.phrased_by == "llm" and iv.pending_phrasing() is None
    )
    changes = iv.judge_later()
    assert changes and changes[0]["position"] == 1 and changes[0]["after"] >= changes[0]["before"]
    judged = iv.store.load(iv.session_id).answer_grades[main.id]
    assert judged.grader == "hybrid" and iv.judge_later() == []  # once only


def test_a_late_phrasing_never_replaces_a_follow_up_already_answered(rt):
    q = rt.by_id[QID]
    iv, q, _ = live(
        rt, [all_covered(q), all_covered(q)], ["What happens to the squared weights then?"]
    )
    iv.respond(PARTIAL)
    probe = iv.record.turns[1].prompt
    stream = iv.stream_followup()
    first = next(stream)
    other = Interview.resume(iv.session_id, rt, grader=iv.grader, chat=None, live=True)
    other.respond(
        "L2 shrinks them smoothly towards zero."
    )  # answered while the LLM was still writing
    rest = list(stream)
    turn = iv.store.load(iv.session_id).turns[1]
    assert first and rest[-1] == probe and turn.prompt == probe and turn.answer
    assert turn.actions[-1] == {"action": "phrased", "by": "probe", "why": "llm"}


def test_a_leaking_or_failing_phrasing_keeps_the_probe(rt):
    from mockint.errors import LLMError

    q = rt.by_id[QID]

    def leak(messages):  # names every key point: the follow-up would give the answer away
        return "Tell me: " + " ".join(k.text for k in q.key_points)

    iv, q, _ = live(rt, [], [leak])
    iv.respond(PARTIAL)
    probe = iv.record.turns[1].prompt
    assert list(iv.stream_followup())[-1] == probe
    assert iv.store.load(iv.session_id).turns[1].actions[-1]["why"] == "llm_rejected"

    iv2, _, _ = live(rt, [], [LLMError("down")])
    iv2.respond(PARTIAL)
    probe2 = iv2.record.turns[1].prompt
    assert list(iv2.stream_followup()) == [probe2]
    assert iv2.store.load(iv2.session_id).turns[1].actions[-1]["why"] == "llm_failed"


def test_the_llm_verdict_failing_keeps_the_quick_grade_and_says_so(rt):
    from mockint.errors import LLMError

    iv, q, _ = live(rt, [LLMError("down")] * 3, ["And L2?"])
    iv.respond(PARTIAL)
    list(iv.stream_followup())
    before = iv.record.final_grades[iv.record.turns[0].id].score
    changes = iv.judge_later()
    assert changes[0]["failed"] and changes[0]["after"] == before


# ------------------------------------------------------------------ the web UI's live turns


def test_the_ui_streams_the_follow_up_then_updates_the_verdict_in_place(rt, tmp_path):
    from mockint.ui import handlers as h
    from mockint.ui import live as ui_live

    q = rt.by_id[QID]
    grader = llm_grader(
        Compact([all_covered(q), all_covered(q)]), rt.offline_grader(), cache_dir=None
    )
    voice = ScriptedModel(["What does the squared penalty do to the weights?"])
    ctx = h.UIContext(rt, grader=grader, chat=voice, files_dir=tmp_path / "files")
    view = h.start(
        ctx, h.new_state(), focus=q.question, questions=1, followups=1, types=["comparison"]
    )
    views = list(ui_live.respond_live(ctx, view.state, PARTIAL))
    texts = [v.chat[-1]["content"] for v in views]
    assert texts[0] == "**Follow-up:** …" and len(views) >= 4
    assert texts[-1].endswith("to the weights?") and "…" not in texts[-1]
    assert views[-1].feedback_html == ""  # the feedback waits for the follow-up's answer
    for thread in list(__import__("threading").enumerate()):
        if thread.name.startswith("mockint-judge-"):
            thread.join(timeout=10)
    done = list(
        ui_live.respond_live(ctx, views[-1].state, "L2 shrinks them smoothly towards zero.")
    )[-1]
    assert done.feedback_html and done.state["shown"]["position"] == 1
    for thread in list(__import__("threading").enumerate()):
        if thread.name.startswith("mockint-judge-"):
            thread.join(timeout=10)
    timer, feedback, notice = ui_live.tick(ctx, done.state)
    rec = ctx.store.load(done.state["sid"])
    judged = rec.final_grades[rec.turns[0].id]
    assert all(g.grader == "hybrid" for g in rec.answer_grades.values())
    if judged.score != done.state["shown"]["score"]:
        assert "The LLM's verdict is in" in feedback
    else:
        assert feedback is None
    assert notice == ""


def test_the_ui_says_when_the_llm_is_not_answering_and_clears_it(rt, tmp_path):
    from mockint.errors import LLMError
    from mockint.llm.health import Watched
    from mockint.ui import handlers as h
    from mockint.ui import live as ui_live

    watched = Watched(
        ScriptedModel([LLMError("connection refused", fix="start the server"), "Fine."])
    )
    ctx = h.UIContext(rt, grader=rt.offline_grader(), chat=watched, files_dir=tmp_path / "files")
    with pytest.raises(LLMError):
        watched.complete([("user", "hi")])
    _, _, notice = ui_live.tick(ctx, h.new_state())
    assert "has not been answering since" in notice and "connection refused" in notice
    assert "Grading offline meanwhile" in notice
    watched.complete([("user", "again")])
    assert ui_live.tick(ctx, h.new_state())[2] == ""
