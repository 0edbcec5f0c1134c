"""The offline grader: deterministic, no LLM, calibrated on human grades.

For each answer it encodes the answer once and pools its sentences, the answer without
filler and a question-demoted copy out of that pass (all answers of a batch in one encoder
call; sentences with few topical words are also encoded alone to spot filler), compares
them with the question's key points
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
from .embedding import Embedder, pool
from .features import (FEATURES, HIGH_SIM, MID_SIM, Evidence, content_words, copied_keywords, demote, demoted_spans,
                       echoes, evidence_features, looks_stuffed, other_language, sentences, shotgun_list, words)
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
TOPICAL_SHARE = 0.2  # a sentence with at least this share of topical words is never filler


def unit_spans(text: str, units: list[str]) -> list[tuple[int, int]]:
    """Character spans of ``units`` (verbatim substrings of ``text``, in order).

    >>> unit_spans("One. Two! One.", ["One.", "Two!", "One."])
    [(0, 4), (5, 9), (10, 14)]
    """
    spans, pos = [], 0
    for u in units:
        at = text.find(u, pos)
        spans.append((at, at + len(u)))
        pos = at + len(u)
    return spans


class SpanPooler:
    """Vectors of parts of texts: pooled from one encoder pass per text when the embedder gives
    token states, else (or when a part has no tokens, e.g. past a cut) by encoding the part."""

    def __init__(self, embedder: Embedder, texts: list[str]):
        self.embedder = embedder
        states = getattr(embedder, "token_states", None)
        self.states = dict(zip(texts, states(texts))) if states and texts else {}

    def vector(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        v = pool(self.states[text], spans) if text in self.states else None
        if v is None:
            v = self.embedder.encode([" ".join(text[a:b] for a, b in spans)])[0]
        return v


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
    v_question: np.ndarray
    topical: set[str]  # content words of the key points and the question


class OfflineGrader:
    name = "offline"

    def __init__(self, embedder: Embedder, calibration: Calibration | None = None, index=None,
                 references: dict | None = None):
        self.embedder = embedder
        self._calibration = calibration
        self.index = index
        self._refs: dict[str, _Ref] = {} if references is None else references  # may be shared: keyed by content

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
        content = (question_text, q.reference_text, tuple(k.text for k in q.key_points), tuple(q.red_flags))
        key = f"{q.id}\x00{hash(content)}"
        if key in self._refs:
            return self._refs[key]
        kps = q.key_points
        summary = " ".join(k.text for k in kps)
        chunks = [c for r in q.references for c in chunk_reference(r.markdown)]
        v_kps = self._stored([f"k::{q.id}::{k.id}" for k in kps])
        v_chunks = self._stored([f"r::{q.id}::{n}" for n in range(len(chunks))])
        extra = [summary, demote(summary, question_text), question_text, *q.red_flags]
        if v_kps is None:
            extra += [k.text for k in kps]
        if v_chunks is None:
            extra += chunks
        vecs = self.embedder.encode(extra)
        n_flags = len(q.red_flags)
        pos = 3 + n_flags
        if v_kps is None:
            v_kps, pos = vecs[pos:pos + len(kps)], pos + len(kps)
        if v_chunks is None:
            v_chunks = vecs[pos:pos + len(chunks)]
        ref = _Ref(summary, [k.id for k in kps], [k.text for k in kps], [k.weight for k in kps], chunks,
                   v_kps, v_chunks, vecs[0], vecs[1], list(q.red_flags), vecs[3:3 + n_flags], vecs[2],
                   set(content_words(summary + " " + question_text)))
        self._refs[key] = ref
        return ref

    # ----------------------------------------------------------------- evidence
    def evidence_many(self, tasks: list[GradingTask]) -> list[Evidence | None]:
        """Feature evidence for each task (None where there is nothing to compare).

        One encoder pass per answer, all answers of a batch together: the vectors of its
        sentences, of the answer without filler (sentences unrelated to every key point and
        reference chunk) and of the answer without the question's words are all pooled out
        of that pass's token states.
        """
        staged = []
        for t in tasks:
            clean = strip_instructions(t.answer)
            if t.question is None or is_non_answer(clean):
                staged.append(None)
                continue
            units = sentences(clean)
            staged.append((clean, units, unit_spans(clean, units)))
        texts = list(dict.fromkeys(st[0] for st in staged if st))
        pooler = SpanPooler(self.embedder, texts)
        refs = [self.reference(t.question, t.question_text) if st else None for t, st in zip(tasks, staged)]
        # Filler is judged on each sentence alone: pooled in context, padding after a technical
        # answer borrows its topic. Only sentences sharing few topical words need that check,
        # and one encoder call does all of them.
        unsure = [[u for u in st[1] if self._topical_share(u, ref) < TOPICAL_SHARE] if st else []
                  for st, ref in zip(staged, refs)]
        alone_texts = list(dict.fromkeys(u for us in unsure for u in us))
        alone = dict(zip(alone_texts, self.embedder.encode(alone_texts))) if alone_texts else {}
        out: list[Evidence | None] = []
        for t, st, ref, doubt in zip(tasks, staged, refs, unsure):
            if st is None:
                out.append(None)
                continue
            clean, units, spans = st
            v_units = [pooler.vector(clean, [sp]) for sp in spans]
            keep = self._on_topic(units, set(doubt), alone, ref)
            kept, kept_spans = [units[i] for i in keep], [spans[i] for i in keep]
            body = clean if len(kept) == len(units) else " ".join(kept)
            v_body = pooler.vector(clean, kept_spans)
            dem_spans = demoted_spans(clean, kept_spans, t.question_text)
            v_dem = pooler.vector(clean, dem_spans) if dem_spans else v_body
            ev = evidence_features(
                answer=body, question=t.question_text, summary=ref.summary, answer_units=kept,
                v_answer=v_body, v_units=np.stack([v_units[i] for i in keep]), v_demoted=v_dem,
                v_summary=ref.v_summary, v_summary_demoted=ref.v_summary_demoted,
                v_question=ref.v_question, v_kps=ref.v_kps,
                kp_weights=[WEIGHT[w] for w in ref.kp_weights], v_chunks=ref.v_chunks, kp_texts=ref.kp_texts)
            ev.filler_share, ev.body = 1 - len(kept) / len(units), body
            ev.unit_vectors = dict(zip(units, v_units))
            out.append(ev)
        return out

    @staticmethod
    def _topical_share(unit: str, ref: _Ref) -> float:
        """Share of the sentence's content words that the question or the key points use."""
        words_u = content_words(unit)
        return sum(w in ref.topical for w in words_u) / len(words_u) if words_u else 0.0

    @staticmethod
    def _on_topic(units: list[str], doubtful: set[str], alone: dict[str, np.ndarray], ref: _Ref) -> list[int]:
        """Indices of the sentences related to the rubric or reference: a fifth of their words are
        topical, or (alone) they are similar to a key point or chunk; all of them if none are."""
        targets = np.vstack([ref.v_kps, ref.v_chunks]) if len(ref.v_chunks) else ref.v_kps
        kept = [i for i, u in enumerate(units) if u not in doubtful or float((targets @ alone[u]).max()) >= FILLER_SIM]
        return kept or list(range(len(units)))

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
        ref = self.reference(task.question, task.question_text)
        if echoes(body, task.question_text, ref.topical):
            flags.append("question_echo")
            score = min(score, ECHO_CAP)
        reference = ref.summary + " " + task.question.reference_text
        if looks_stuffed(body) or copied_keywords(body, reference) or shotgun_list(clean, reference):
            flags.append("keyword_stuffing")
            score = min(score, STUFFED_CAP)
        if f["cos_ref_max"] < 0.1 and f["lex_recall_all"] == 0:
            flags.append("off_topic")  # flag only: the calibration already scores these low
        if n_words >= 5 and other_language(body):
            flags.append("other_language")
        claims = self._red_flags(task, ev.unit_vectors)
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

    def _red_flags(self, task: GradingTask, unit_vectors: dict[str, np.ndarray]) -> list[str]:
        """Sentences of the answer (with their vectors from the grading pass) close to a red flag."""
        ref = self.reference(task.question, task.question_text)
        if not ref.red_flags or not unit_vectors:
            return []
        units, v = list(unit_vectors), np.stack(list(unit_vectors.values()))
        sims = ref.v_red @ v.T  # flags x units
        kp_best = (ref.v_kps @ v.T).max(axis=0) if len(ref.v_kps) else np.zeros(len(units))
        claims = []
        for fi in range(len(ref.red_flags)):
            j = int(sims[fi].argmax())
            if sims[fi, j] >= RED_FLAG_SIM and sims[fi, j] > kp_best[j] + 0.05:
                claims.append(exact_quote(task.answer, units[j]) or units[j])
        return list(dict.fromkeys(claims))
