"""The offline grader: deterministic, no LLM, calibrated on human grades.

For each answer it embeds the answer, its sentences and a question-demoted copy (all
answers of a batch in one encoder call), compares them with the question's key points
and reference chunks (vectors from the index when available), maps the evidence to
0-10 with the fitted calibration, then applies guards the calibration cannot learn:
grader instructions are stripped before scoring, echoes of the question, keyword lists,
off-topic text and stated misconceptions are capped or penalised, hints cap the score.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .calibration import Calibration
from .corpus import Question
from .embedding import Embedder
from .features import (FEATURES, HIGH_SIM, MID_SIM, Evidence, content_words, demote, echo_ratio, evidence_features,
                       looks_stuffed, other_language, question_repeats, sentences, words)
from .grading import (Grade, GradingTask, KeyPointResult, exact_quote, feedback_for, instruction_spans, is_non_answer,
                      strip_instructions)
from .index import chunk_reference
from .rubric import WEIGHT, hint_cap, verdict_for

COVERED, PARTIAL = HIGH_SIM, MID_SIM
RED_FLAG_SIM = 0.72
ECHO_CAP, STUFFED_CAP = 1.0, 2.0
INJECTION_PENALTY = 1.0
FILLER_SIM = 0.2  # a sentence less similar than this to every key point / chunk, sharing no topical word, is filler
FILLER_PENALTY = 0.5


@dataclass
class _Ref:
    summary: str
    kp_ids: list[str]
    kp_texts: list[str]
    kp_weights: list[str]
    chunks: list[str]
    v_kps: np.ndarray
    v_chunks: np.ndarray
    v_summary: np.ndarray
    v_summary_demoted: np.ndarray
    red_flags: list[str]
    v_red: np.ndarray


class OfflineGrader:
    name = "offline"

    def __init__(self, embedder: Embedder, calibration: Calibration | None = None, index=None):
        self.embedder = embedder
        self._calibration = calibration
        self.index = index
        self._refs: dict[str, _Ref] = {}

    @property
    def calibration(self) -> Calibration:
        if self._calibration is None:
            self._calibration = Calibration.load()
        return self._calibration

    @calibration.setter
    def calibration(self, value: Calibration) -> None:
        self._calibration = value

    # ----------------------------------------------------------------- references
    def _stored(self, ids: list[str]) -> np.ndarray | None:
        if self.index is None:
            return None
        try:
            vecs = self.index.vectors()
        except Exception:  # no index yet: fall back to encoding
            return None
        if all(i in vecs for i in ids):
            return np.stack([vecs[i] for i in ids]) if ids else np.zeros((0, 384), np.float32)
        return None

    def reference(self, q: Question, question_text: str) -> _Ref:
        key = f"{q.id}\x00{hash((q.reference_text, tuple(k.text for k in q.key_points)))}"
        if key in self._refs:
            return self._refs[key]
        kps = q.key_points
        summary = " ".join(k.text for k in kps)
        chunks = [c for r in q.references for c in chunk_reference(r.markdown)]
        v_kps = self._stored([f"k::{q.id}::{k.id}" for k in kps])
        v_chunks = self._stored([f"r::{q.id}::{n}" for n in range(len(chunks))])
        extra = [summary, demote(summary, question_text), *q.red_flags]
        if v_kps is None:
            extra += [k.text for k in kps]
        if v_chunks is None:
            extra += chunks
        vecs = self.embedder.encode(extra)
        n_flags = len(q.red_flags)
        pos = 2 + n_flags
        if v_kps is None:
            v_kps, pos = vecs[pos:pos + len(kps)], pos + len(kps)
        if v_chunks is None:
            v_chunks = vecs[pos:pos + len(chunks)]
        ref = _Ref(summary, [k.id for k in kps], [k.text for k in kps], [k.weight for k in kps], chunks,
                   v_kps, v_chunks, vecs[0], vecs[1], list(q.red_flags), vecs[2:2 + n_flags])
        self._refs[key] = ref
        return ref

    # ----------------------------------------------------------------- evidence
    def evidence_many(self, tasks: list[GradingTask]) -> list[Evidence | None]:
        """Feature evidence for each task (None where there is nothing to compare).

        Two encoder calls for the whole batch: first the answers' sentences (to find filler:
        sentences unrelated to every key point and reference chunk), then each answer without
        its filler, whole and question-demoted.
        """
        staged = []
        first: list[str] = []
        for t in tasks:
            clean = strip_instructions(t.answer)
            if t.question is None or is_non_answer(clean):
                staged.append(None)
                continue
            units = sentences(clean)
            staged.append((clean, units))
            first += [t.question_text, *units]
        uniq = list(dict.fromkeys(first))
        vec = dict(zip(uniq, self.embedder.encode(uniq))) if uniq else {}
        prepared: list = []
        second: list[str] = []
        for t, st in zip(tasks, staged):
            if st is None:
                prepared.append(None)
                continue
            clean, units = st
            ref = self.reference(t.question, t.question_text)
            kept = self._without_filler(units, vec, ref, t.question_text)
            body = clean if len(kept) == len(units) else " ".join(kept)
            dem = demote(body, t.question_text) or body
            prepared.append((body, kept, dem, 1 - len(kept) / len(units), ref))
            second += [body, dem]
        todo = [x for x in dict.fromkeys(second) if x not in vec]
        vec.update(zip(todo, self.embedder.encode(todo)) if todo else [])
        out: list[Evidence | None] = []
        for t, p in zip(tasks, prepared):
            if p is None:
                out.append(None)
                continue
            body, kept, dem, filler_share, ref = p
            ev = evidence_features(
                answer=body, question=t.question_text, summary=ref.summary, answer_units=kept,
                v_answer=vec[body], v_units=np.stack([vec[u] for u in kept]), v_demoted=vec[dem],
                v_summary=ref.v_summary, v_summary_demoted=ref.v_summary_demoted, v_question=vec[t.question_text],
                v_kps=ref.v_kps, kp_weights=[WEIGHT[w] for w in ref.kp_weights], v_chunks=ref.v_chunks,
                kp_texts=ref.kp_texts)
            ev.filler_share, ev.body = filler_share, body
            out.append(ev)
        return out

    @staticmethod
    def _without_filler(units: list[str], vec: dict, ref: _Ref, question: str) -> list[str]:
        """Sentences related to the rubric or reference (by similarity, or by a fifth of their words); all if none are."""
        targets = np.vstack([ref.v_kps, ref.v_chunks]) if len(ref.v_chunks) else ref.v_kps
        topical = set(content_words(ref.summary + " " + question))
        def on_topic(u: str) -> bool:
            words_u = content_words(u)
            overlap = sum(w in topical for w in words_u) / len(words_u) if words_u else 0.0
            return float((targets @ vec[u]).max()) >= FILLER_SIM or overlap >= 0.2

        kept = [u for u in units if on_topic(u)]
        return kept or units

    # ----------------------------------------------------------------- grading
    def grade(self, task: GradingTask) -> Grade:
        return self.grade_many([task])[0]

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        t0 = time.perf_counter()
        evidence = self.evidence_many(tasks)
        rows = [e for e in evidence if e is not None]
        preds = iter(self.calibration.predict(np.array([[e.features[f] for f in FEATURES] for e in rows]))
                     if rows else [])
        grades = []
        for task, ev in zip(tasks, evidence):
            grades.append(self._finish(task, ev, next(preds) if ev is not None else 0.0))
        per = (time.perf_counter() - t0) * 1000 / max(1, len(tasks))
        for g in grades:
            g.latency_ms = round(per, 1)
        return grades

    def _finish(self, task: GradingTask, ev: Evidence | None, predicted: float) -> Grade:
        base = dict(grader=self.name, model=self.embedder.name, prompt=self.calibration.version,
                    question_id=task.question.id if task.question else None, match_similarity=task.match_similarity)
        flags: list[str] = []
        if instruction_spans(task.answer):
            flags.append("injection_suspected")
        if task.question is None:
            return Grade(score=0, verdict="ungradable", flags=flags + ["reference_not_found"],
                         feedback_add="No reference answer matches this question, so the offline grader cannot grade it.",
                         **base)
        clean = strip_instructions(task.answer)
        if ev is None:
            return Grade(score=0, verdict="no_answer", flags=flags,
                         feedback_add="No answer given. Study the model answer and try again.",
                         key_points=self._kp_results(task, None, clean), **base)
        kp_results = self._kp_results(task, ev, clean)
        score = float(predicted)
        f = ev.features
        body = ev.body or clean
        n_words = len(words(body))
        if n_words < 4:
            flags.append("too_short")  # flag only: short correct answers exist ("push and pop")
        if f["cos_question"] >= 0.6 and echo_ratio(body, task.question_text) >= 0.7 \
                and question_repeats(body, task.question_text) >= 2.0:
            flags.append("question_echo")
            score = min(score, ECHO_CAP)
        if looks_stuffed(body):
            flags.append("keyword_stuffing")
            score = min(score, STUFFED_CAP)
        if f["cos_ref_max"] < 0.1 and f["lex_recall_all"] == 0:
            flags.append("off_topic")  # flag only: the calibration already scores these low
        if n_words >= 5 and other_language(body):
            flags.append("other_language")
        claims = self._red_flags(task, clean)
        score -= 1.5 * min(2, len(claims))
        if ev.filler_share >= 0.5:
            flags.append("filler")
            score -= FILLER_PENALTY  # mostly padding: a little off, the rest is graded on its merits
        if "injection_suspected" in flags:
            score -= INJECTION_PENALTY  # what survives the stripping must not gain; trying costs
        cap = hint_cap(task.hints_used)
        if score > cap:
            flags.append("hint_capped")
            score = cap
        score = round(min(10.0, max(0.0, score)), 1)
        good, add = feedback_for(kp_results, claims)
        return Grade(score=score, verdict=verdict_for(score), key_points=kp_results, incorrect_claims=claims,
                     feedback_good=good, feedback_add=add, flags=sorted(set(flags)), **base)

    def _kp_results(self, task: GradingTask, ev: Evidence | None, clean: str) -> list[KeyPointResult]:
        q = task.question
        out = []
        for i, kp in enumerate(q.key_points):
            if task.only_key_points and kp.id not in task.only_key_points:
                continue
            sim = ev.kp_similarity[i] if ev else 0.0
            status = "covered" if sim >= COVERED else "partial" if sim >= PARTIAL else "missing"
            quote = exact_quote(task.answer, ev.kp_evidence[i]) if ev and status != "missing" else ""
            out.append(KeyPointResult(id=kp.id, text=kp.text, weight=kp.weight, status=status, evidence=quote,
                                      reference=f"{q.id}#{kp.id}", similarity=round(sim, 3)))
        return out

    def _red_flags(self, task: GradingTask, clean: str) -> list[str]:
        ref = self.reference(task.question, task.question_text)
        if not ref.red_flags:
            return []
        units = sentences(clean)
        if not units:
            return []
        v = self.embedder.encode(units)
        sims = ref.v_red @ v.T  # flags x units
        kp_best = (ref.v_kps @ v.T).max(axis=0) if len(ref.v_kps) else np.zeros(len(units))
        claims = []
        for fi in range(len(ref.red_flags)):
            j = int(sims[fi].argmax())
            if sims[fi, j] >= RED_FLAG_SIM and sims[fi, j] > kp_best[j] + 0.05:
                claims.append(exact_quote(task.answer, units[j]) or units[j])
        return list(dict.fromkeys(claims))
