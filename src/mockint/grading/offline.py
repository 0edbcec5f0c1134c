"""The offline grader: the judgement model reads each key point against the answer; no LLM.

For a task it strips instructions to the grader from the answer, asks the judgement model
(``judge/``) for each key point whether the answer states it, partly states it, contradicts it or
does not address it; the score mapping (``scoring.ScoreMap``) turns those probabilities into 0-10
and the guard table (``guards.py``) applies.

A second look (``second_look``): each key point is also judged against the one sentence of the
answer that shares most words with it, and that sentence's judgement speaks for the point when it
gives more credit than the whole answer's. The model, reading a whole correct answer of several
sentences, sometimes calls a point it states "contradicted" (a temperature answer that opens with
"a scalar you divide the logits by before the softmax" got 0.67 contradicted on exactly that point;
its first sentence alone, 0.60 entailed). Chosen on the held-out slices 1-4 and the own set (MAE
lower on all five), measured on slices 5 and 6, written after it (README, "How well it agrees with
humans"). The same sentence is the point's quote, shown only when its judgement supports the point.

Questions without a curated rubric (a dataset's or a batch file's ``reference``) are judged
against the whole reference answer as their essential point, with the extracted key points as
supporting ones. All answers of a batch go through the model together.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mockint.corpus.markdown import plain_text
from mockint.corpus.schema import Question
from mockint.grading.detectors import content_words
from mockint.grading.guards import GuardContext, apply_guards
from mockint.grading.hygiene import (
    exact_quote,
    feedback_for,
    instruction_spans,
    is_non_answer,
    judged_text,
)
from mockint.grading.rubric import verdict_for
from mockint.grading.schema import Grade, Grader, GradingTask, KeyPointResult
from mockint.grading.scoring import (
    CONTRADICTED,
    ENTAILED,
    NOT_ADDRESSED,
    PARTLY,
    Point,
    ScoreMap,
    arithmetic,
    credit,
    features,
    status,
)
from mockint.grading.swaps import swapped_points
from mockint.judge.model import Judge
from mockint.text import sentences

SWAPPED = np.array([0.0, 0.0, 1.0, 0.0], dtype=np.float32)  # a point stated of the other thing
QUOTE_SUPPORT = 0.5  # entailed + partly for a sentence to be shown as a point's evidence
QUOTE_CONTRA = 0.4  # contradicted, for a sentence shown as contradicting a point
REFERENCE_ID = "ref"
# The grader's own rules around the model and the mapping (the second look, the swap check, the
# guards, the question wording the model reads): part of ``version``, bumped when a change can move
# a stored grade, so a re-run of ``mockint grade`` re-grades the rows an earlier one stored.
# 2: a batch row matched from free text is judged in the corpus question's wording.
RULES = "rules-2"


@dataclass(frozen=True)
class Premise:
    id: str
    text: str
    weight: str


def premises(q: Question, only: tuple[str, ...] = ()) -> list[Premise]:
    """What the answer is judged against: the curated key points; for an auto rubric the whole
    reference answer (essential) and the extracted key points (supporting)."""
    kps = [k for k in q.key_points if not only or k.id in only]
    if q.rubric == "auto" and not only:
        ref = " ".join(plain_text(r.markdown) for r in q.references).strip()
        out = [Premise(REFERENCE_ID, ref, "essential")] if ref else []
        return out + [Premise(k.id, k.text, "supporting") for k in kps if k.text.strip() != ref]
    return [Premise(k.id, k.text, k.weight) for k in kps]


def best_sentence(answer: str, premise: str, question: str) -> str:
    """The sentence of ``answer`` sharing most content words (not the question's) with ``premise``;
    "" when none shares any.

    >>> best_sentence("Bagging averages. Boosting fits residuals one tree at a time.", "Boosting fits "
    ...               "each new tree to the residuals", "What is boosting?")
    'Boosting fits residuals one tree at a time.'
    """
    target = set(content_words(premise)) - set(content_words(question))
    best, best_n = "", 0
    for s in sentences(answer):
        n = len(target & set(content_words(s)))
        if n > best_n:
            best, best_n = s, n
    return best


def more_credit(whole: np.ndarray, look: tuple[str, np.ndarray] | None, answer: str) -> np.ndarray:
    """A point's judgement: the whole answer's, or its best sentence's when that sentence alone
    gives the point more credit (a one-sentence answer is its own sentence: the whole's).

    >>> w = np.array([0.1, 0.1, 0.7, 0.1])
    >>> more_credit(w, ("It divides the logits.", np.array([0.6, 0.3, 0.05, 0.05])), "It divides the logits. More.")
    array([0.6 , 0.3 , 0.05, 0.05])
    >>> more_credit(w, ("Only.", np.array([0.6, 0.3, 0.05, 0.05])), "Only.").tolist() == w.tolist()
    True
    """
    if look is None or look[0].strip() == answer.strip() or credit(look[1]) <= credit(whole):
        return whole
    return look[1]


def feature_row(judged: tuple) -> np.ndarray:
    """The score mapping's feature row of one judged answer (premises, their probabilities, text)."""
    ps, probs, _ = judged
    return features([Point(p.id, p.weight, tuple(map(float, pr))) for p, pr in zip(ps, probs)])


def guard_context(
    task: GradingTask, judged: tuple, model_score: float | None = None
) -> GuardContext:
    """What the guard table reads about one judged answer."""
    ps, probs, clean = judged
    q = task.question
    essentials = [pr for p, pr in zip(ps, probs) if p.weight == "essential"] or list(probs)
    rubric = " ".join(k.text for k in q.key_points)
    return GuardContext(
        answer=task.answer,
        body=clean,
        question=task.question_text,
        reference=rubric + " " + q.reference_text,
        topical=set(content_words(rubric + " " + task.question_text)),
        con_ess=max((float(pr[CONTRADICTED]) for pr in essentials), default=0.0),
        not_addressed_min=min((float(pr[NOT_ADDRESSED]) for pr in probs), default=1.0),
        hints_used=task.hints_used,
        model_score=model_score,
        arithmetic=float(arithmetic(feature_row(judged))[0]),
    )


class OfflineGrader(Grader):
    """``grade``/``grade_many`` with the judgement model and the fitted score mapping."""

    name = "offline"

    def __init__(self, judge: Judge, score_map: ScoreMap | None):
        """``score_map`` None: judgements only (``judgements``), as the evaluation's fold models do."""
        self.judge = judge
        self._score_map = score_map

    @property
    def score_map(self) -> ScoreMap:
        return self._score_map

    @property
    def version(self) -> str:
        """What a stored grade depends on: the judgement model's file, the mapping's version and
        the grader's rules."""
        return f"{self.judge.name}@{self.judge.version}+{self.score_map.version}+{RULES}"

    def judgements(self, tasks: list[GradingTask]) -> list[tuple | None]:
        """Per task: (premises, their probabilities, cleaned answer), or None when there is nothing
        to judge (no reference, no answer). One model call for the batch.

        The rubrics' red flags are not asked about: the model's "states this misconception" was
        measured anti-informative (answers it gave p >= 0.9 averaged 7.9/10 from the human graders
        of our set; README, "How answers are graded"), so a red flag neither costs nor shows."""
        staged, triples = [], []
        for t in tasks:
            clean = judged_text(t.answer)
            if t.question is None or is_non_answer(clean):
                staged.append(None)
                continue
            ps = premises(t.question, t.only_key_points)
            # every premise of the question is asked, even for a follow-up graded on a few: the
            # model batches an answer's pairs together, so the same set gives the same judgement
            asked = list(dict.fromkeys(p.text for p in premises(t.question) + ps))
            start = len(triples)
            triples += [(t.judged_question, text, clean) for text in asked]
            staged.append((ps, clean, {text: start + i for i, text in enumerate(asked)}))
        probs = self.judge.predict(triples) if triples else np.zeros((0, 4))
        out = []
        for t, st in zip(tasks, staged):
            if st is None:
                out.append(None)
                continue
            ps, clean, row = st
            whole = probs[[row[p.text] for p in ps]].reshape(len(ps), -1)
            looks = self.second_look(t, clean)
            swaps = self.swaps(t, clean)
            for i, p in enumerate(ps):
                whole[i] = (
                    SWAPPED if p.text in swaps else more_credit(whole[i], looks.get(p.text), clean)
                )
            out.append((ps, whole, clean))
        return out

    def swaps(self, task: GradingTask, clean: str) -> dict[str, str]:
        """Premise text -> the answer's sentence that states it of the other of two compared things
        (``swaps.swapped_points``); the model is asked only about the sentences the lexical check
        found (one call per answer, none for most)."""
        q = task.judged_question

        def states(pairs: list[tuple[str, str]]) -> list[float]:
            return [credit(p) for p in self.judge.predict([(q, point, s) for point, s in pairs])]

        points = [p.text for p in premises(task.question)]
        return swapped_points(clean, task.question.question, points, states)

    def second_look(self, task: GradingTask, clean: str) -> dict[str, tuple[str, np.ndarray]]:
        """Premise text -> (the answer's sentence sharing most words with it, the model's judgement
        of that sentence alone), for every premise of the question with such a sentence. One model
        call per answer (its batches are per (question, sentence)), so an answer's looks never
        depend on what else is graded with it; asked again for the quotes, it is the judge's cache."""
        asked = list(dict.fromkeys(p.text for p in premises(task.question)))
        found = [(text, best_sentence(clean, text, task.judged_question)) for text in asked]
        found = [(text, s) for text, s in found if s]
        if not found:
            return {}
        if all(s == clean.strip() for _, s in found):
            # one sentence: the answer is its own sentence, and the whole answer's judgement (the
            # very call ``judgements`` made: the judge's cache) is the sentence's
            whole = self.judge.predict([(task.judged_question, text, clean) for text in asked])
            return {text: (s, whole[asked.index(text)]) for text, s in found}
        probs = self.judge.predict([(task.judged_question, text, s) for text, s in found])
        return {text: (s, pr) for (text, s), pr in zip(found, probs)}

    def grade_many(self, tasks: list[GradingTask]) -> list[Grade]:
        t0 = time.perf_counter()
        judged = self.judgements(tasks)
        rows = [self.row(t, j) for t, j in zip(tasks, judged) if j is not None]
        scores = iter(self.score_map.predict(np.array(rows)) if rows else [])
        grades = [
            self.finish(t, j, float(next(scores))) if j is not None else self.empty(t)
            for t, j in zip(tasks, judged)
        ]
        self.attach_quotes(tasks, judged, grades)
        per = (time.perf_counter() - t0) * 1000 / max(1, len(tasks))
        for g in grades:
            g.latency_ms = round(per, 1)
        return grades

    @staticmethod
    def row(task: GradingTask, judged: tuple) -> np.ndarray:
        return feature_row(judged)

    def _base(self, task: GradingTask) -> dict:
        return dict(
            grader=self.name,
            model=self.judge.name,
            prompt=self.score_map.version,
            prompt_hash=self.version,
            question_id=task.question.id if task.question else None,
            match_similarity=task.match_similarity,
        )

    def empty(self, task: GradingTask) -> Grade:
        """No reference, or no answer."""
        flags = ["injection_suspected"] if instruction_spans(task.answer) else []
        if task.question is None:
            return Grade(
                score=0,
                verdict="ungradable",
                flags=flags + ["reference_not_found"],
                feedback_add="No reference answer matches this question, so the offline grader cannot "
                "grade it.",
                **self._base(task),
            )
        results = [
            KeyPointResult(
                id=p.id,
                text=p.text,
                weight=p.weight,
                status="missing",
                reference=f"{task.question.id}#{p.id}",
            )
            for p in premises(task.question, task.only_key_points)
        ]
        return Grade(
            score=0,
            verdict="no_answer",
            flags=flags,
            key_points=results,
            feedback_add="No answer given. Study the model answer and try again.",
            **self._base(task),
        )

    def finish(
        self,
        task: GradingTask,
        judged: tuple,
        predicted: float,
        *,
        model_score: float | None = None,
        statuses: list[str] | None = None,
    ) -> Grade:
        """The grade from the mapped score, the guards and the per-point statuses (an LLM grader
        passes its own combined statuses and the model-only score)."""
        ps, probs, clean = judged
        q = task.question
        ctx = guard_context(task, judged, model_score)
        score, flags, _ = apply_guards(predicted, ctx)
        statuses = statuses or [status(pr) for pr in probs]
        results = [
            KeyPointResult(
                id=p.id,
                text=p.text,
                weight=p.weight,
                status=s,
                reference=f"{q.id}#{p.id}",
                similarity=round(credit(pr), 3),
                probs=[round(float(x), 4) for x in pr],
            )
            for p, pr, s in zip(ps, probs, statuses)
        ]
        good, add = feedback_for(results, [])
        return Grade(
            score=score,
            verdict=verdict_for(score),
            key_points=results,
            incorrect_claims=[],
            feedback_good=good,
            feedback_add=add,
            flags=flags,
            **self._base(task),
        )

    def attach_quotes(self, tasks: list[GradingTask], judged: list, grades: list[Grade]) -> None:
        """Each stated or contradicted point's quote: its best sentence, kept only when the model,
        reading that sentence alone, agrees. One model call per answer: two answers that share a
        sentence never share a batch, so an answer's quotes do not depend on what else is graded
        with it (the judge's batches are per (question, sentence))."""
        for t, j, g in zip(tasks, judged, grades):
            if j is None:
                continue
            looks = self.second_look(t, j[2])
            swaps = self.swaps(t, j[2])
            for k in g.key_points:
                if k.status == "contradicted" and k.text in swaps:
                    k.evidence = exact_quote(t.answer, swaps[k.text]) or ""
                    continue
                if k.status == "missing" or k.text not in looks:
                    continue
                s, pr = looks[k.text]
                ok = (
                    pr[CONTRADICTED] >= QUOTE_CONTRA
                    if k.status == "contradicted"
                    else pr[ENTAILED] + pr[PARTLY] >= QUOTE_SUPPORT
                )
                if ok:
                    k.evidence = exact_quote(t.answer, s) or ""
