"""Training pairs for the judgement model, from human-labelled answers; grouped by question.

Each ``Pair`` is (question, premise, answer) with the set of statuses its label allows
(``entailed`` 0, ``partly`` 1, ``contradicted`` 2, ``not_addressed`` 3). A coarse label allows
several: SemEval's *incorrect* merges partially correct, irrelevant and non-domain answers, so
it allows {partly, not_addressed}, and the loss is the log of the probability the model puts
on the allowed set. Sources (``sources``):

- SemEval-2013 Task 7 training split (SciEntsBank, Beetle): premise = the BEST reference answer;
- SAF (communication networks): premise = the reference answer; verification label;
- Mohler: premise = the reference answer; 0-5 score bands;
- our key-point pairs (``eval/datasets/judge-train/*.jsonl``): premise = one key point of a
  corpus question, the writer's status for it; plus each of those answers against a key point of
  another question (``not_addressed``, half weight). For a coding-round problem only the
  explanation points (not the tests, which are run) make pairs: answers in words (``part6``).

Tried and not shipped: the same answers with two things exchanged, as contradicted pairs (735 of
them, commit 421d4ab): the model trained with them scored every held-out slice worse and correct
answers lower (``eval/reports/candidate-judge.md``).

``group`` names the question (``family:id``); cross-validation never splits a group, and
``fold_of`` assigns groups to folds per family, so each fold holds a share of every source.
Nothing here trains (``train``) or runs a model (``model``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from mockint.coding.problems import is_test_point
from mockint.errors import InputFileError
from mockint.judge import LABELS

ENTAILED, PARTLY, CONTRADICTED, NOT_ADDRESSED = range(4)
STATUS_INDEX = {name: i for i, name in enumerate(LABELS)}
REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "data" / "asag"
PAIRS_DIR = REPO / "eval" / "datasets" / "judge-train"


@dataclass(frozen=True)
class Pair:
    group: str
    source: str
    question: str
    premise: str
    answer: str
    allowed: tuple[int, ...]
    weight: float = 1.0


def _lines(path: Path):
    if not path.exists():
        raise InputFileError(
            "training data not found",
            where=str(path),
            fix="put ../shared beside the repository (see README, 'The judgement model')",
        )
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(
                    f"invalid JSON ({exc.msg})", where=f"{path}:{n}", fix="fix or remove the line"
                ) from exc


SEMEVAL_ALLOWED = {
    "correct": (ENTAILED,),
    "contradictory": (CONTRADICTED,),
    "incorrect": (PARTLY, NOT_ADDRESSED),
}


def semeval_pairs(path: Path = SHARED / "semeval2013" / "train.jsonl") -> list[Pair]:
    return [
        Pair(
            f"semeval-{r['corpus']}:{r['question_id']}",
            f"semeval-{r['corpus']}",
            r["question"],
            r["reference_answer"],
            r["answer"],
            SEMEVAL_ALLOWED[r["label_3way"]],
        )
        for _, r in _lines(path)
        if r["answer"].strip()
    ]


SAF_ALLOWED = {
    "Correct": (ENTAILED,),
    "Partially correct": (PARTLY,),
    "Incorrect": (CONTRADICTED, NOT_ADDRESSED),
}


def saf_pairs(path: Path = SHARED / "saf" / "train.jsonl") -> list[Pair]:
    return [
        Pair(
            f"saf:{r['question_id']}",
            "saf",
            r["question"],
            r["reference_answer"],
            r["answer"],
            SAF_ALLOWED[r["verification"]],
        )
        for _, r in _lines(path)
        if r["answer"].strip()
    ]


def mohler_allowed(score: float) -> tuple[int, ...]:
    """Mohler's 0-5 average in bands.

    >>> [mohler_allowed(s) for s in (5, 4, 3, 1)]
    [(0,), (0, 1), (1,), (2, 3)]
    """
    if score >= 4.5:
        return (ENTAILED,)
    if score >= 3.5:
        return (ENTAILED, PARTLY)
    if score >= 2.0:
        return (PARTLY,)
    return (CONTRADICTED, NOT_ADDRESSED)


def mohler_pairs(path: Path = SHARED / "mohler.jsonl") -> list[Pair]:
    return [
        Pair(
            f"mohler:{r['question_id']}",
            "mohler",
            r["question"],
            r["reference_answer"],
            r["answer"],
            mohler_allowed(float(r["score_avg"])),
        )
        for _, r in _lines(path)
        if r["answer"].strip()
    ]


def keypoint_records(folder: Path = PAIRS_DIR) -> list[dict]:
    """Our key-point-level answers: question_id, kind, answer, statuses {kp: status}, score."""
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        for n, r in _lines(path):
            if set(r.get("statuses", {}).values()) - set(STATUS_INDEX):
                raise InputFileError(
                    f"unknown status in {r.get('statuses')}",
                    where=f"{path}:{n}",
                    fix=f"use one of {list(LABELS)}",
                )
            out.append({**r, "where": f"{path.name}:{n}"})
    return out


def keypoint_pairs(
    records: list[dict], corpus: dict, *, negatives: int = 1, seed: int = 0
) -> list[Pair]:
    """One pair per (answer, key point) with the writer's status, and ``negatives`` pairs per answer
    with a key point of another question (``not_addressed``)."""
    rng = random.Random(seed)
    ids = sorted(corpus)
    pairs = []
    for r in records:
        q = corpus.get(r["question_id"])
        if q is None:
            raise InputFileError(
                f"unknown question_id {r['question_id']!r}",
                where=r["where"],
                fix="use an id of corpus/questions.jsonl",
            )
        points = q.key_points
        if q.problem is not None:
            # a coding-round problem: its test points are judged by running code, so only the
            # explanation points make pairs; a record naming none of them was written for the page
            # rubric the coding round replaced (42 records) and is skipped
            points = [k for k in q.key_points if not is_test_point(k.id)]
            if not any(k.id in r["statuses"] for k in points):
                continue
        for kp in points:
            status = r["statuses"].get(kp.id)
            if status is None:
                raise InputFileError(
                    f"no status for {kp.id}", where=r["where"], fix="give every key point a status"
                )
            pairs.append(
                Pair(
                    f"corpus:{q.id}",
                    "keypoints",
                    q.question,
                    kp.text,
                    r["answer"],
                    (STATUS_INDEX[status],),
                )
            )
        for _ in range(negatives):
            other = corpus[rng.choice(ids)]
            if other.id != q.id and other.key_points:
                kp = rng.choice(other.key_points)
                pairs.append(
                    Pair(
                        f"corpus:{q.id}",
                        "keypoints-negative",
                        q.question,
                        kp.text,
                        r["answer"],
                        (NOT_ADDRESSED,),
                        0.5,
                    )
                )
    return pairs


def all_pairs(corpus: dict, *, shared: Path = SHARED, pairs_dir: Path = PAIRS_DIR) -> list[Pair]:
    return (
        semeval_pairs(shared / "semeval2013" / "train.jsonl")
        + saf_pairs(shared / "saf" / "train.jsonl")
        + mohler_pairs(shared / "mohler.jsonl")
        + keypoint_pairs(keypoint_records(pairs_dir), corpus)
    )


def family(group: str) -> str:
    return group.split(":", 1)[0]


def fold_of(groups: list[str], k: int, seed: int = 0) -> dict[str, int]:
    """Each group's fold: within each family, groups shuffled (seeded) and dealt round-robin.

    >>> f = fold_of(["a:1", "a:2", "b:1", "b:2", "a:3"], 2)
    >>> sorted(f.values()).count(0) >= 2 and f["a:1"] in (0, 1)
    True
    """
    out: dict[str, int] = {}
    fams: dict[str, list[str]] = {}
    for g in sorted(set(groups)):
        fams.setdefault(family(g), []).append(g)
    for name, members in sorted(fams.items()):
        random.Random(f"{seed}:{name}").shuffle(members)
        for i, g in enumerate(members):
            out[g] = i % k
    return out
