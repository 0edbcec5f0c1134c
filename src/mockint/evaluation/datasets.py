"""Loaders for human-graded answer sets: our JSONL, our key-point-labelled answers, Mohler (UNT)
JSONL, SemEval-2013 (JSONL release or XML) and SAF JSONL.

Each returns ``EvalItem``s with the human score on a 0-10 scale and a ``Question`` to grade
against (a corpus record, or one built from the dataset's reference answer with an
auto-extracted rubric), and ``group``: the question as the judgement model's training data names
it (``corpus:<id>``, ``mohler:<id>``, ``semeval-<corpus>:<id>``, ``saf:<id>``), so the
cross-validation can find the model that never saw it. Nothing here grades or computes metrics.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mockint.corpus.importing import make_question
from mockint.corpus.schema import Question
from mockint.errors import InputFileError
from mockint.grading.schema import GradingTask
from mockint.textio import read_text

SEMEVAL_SCORE = {
    "correct": 10.0,
    "partially_correct_incomplete": 5.0,
    "contradictory": 0.0,
    "incorrect": 0.0,
    "irrelevant": 0.0,
    "non_domain": 0.0,
}


@dataclass
class EvalItem:
    id: str
    question_id: str
    question_text: str
    answer: str
    human: float  # 0-10
    question: Question | None
    grader_a: float | None = None  # two independent human grades, where the set has them
    grader_b: float | None = None
    topic: str = ""
    level: str = ""
    label: str = ""
    group: str = ""  # the question's name in the judgement model's training data


@contextmanager
def _record(what: str, where: str, fix: str):
    """A malformed line (a missing field, a bad number, broken JSON) as one clear error."""
    try:
        yield
    except (KeyError, ValueError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{what} ({exc})", where=where, fix=fix) from exc


def _dataset_question(
    qid: str, question: str, reference: str, cache: dict[str, Question], where: str = ""
) -> Question:
    if qid not in cache:
        cache[qid] = make_question(question, reference, section="Dataset", qid=qid, where=where)
    return cache[qid]


def _json_lines(path: Path):
    for n, line in enumerate(read_text(path).splitlines(), start=1):
        if line.strip():
            yield n, line


def load_mohler(path: Path) -> list[EvalItem]:
    """Target: the official average; ``grader1``/``grader2`` give the human-vs-human baseline."""
    cache: dict[str, Question] = {}
    items = []
    for n, line in _json_lines(path):
        with _record(
            "not a Mohler record",
            f"{path}:{n}",
            "each line needs question_id, question, reference_answer, answer, score_avg",
        ):
            r = json.loads(line)
            qid = f"mohler-{r['question_id']}"
            items.append(
                EvalItem(
                    id=f"{qid}-{r['answer_index']}",
                    question_id=qid,
                    question_text=r["question"],
                    answer=r["answer"],
                    human=2.0 * float(r["score_avg"]),
                    grader_a=2.0 * float(r["score_grader1"]),
                    grader_b=2.0 * float(r["score_grader2"]),
                    question=_dataset_question(
                        qid, r["question"], r["reference_answer"], cache, f"{path}:{n}"
                    ),
                    topic=str(r["question_id"]).split(".")[0],
                    group=f"mohler:{r['question_id']}",
                )
            )
    return items


def load_mockint(path: Path, corpus: dict[str, Question]) -> list[EvalItem]:
    """Our format: question_id (a corpus id) or question + reference, answer, score (0-10)."""
    cache: dict[str, Question] = {}
    items = []
    for n, line in _json_lines(path):
        with _record(
            "bad record", f"{path}:{n}", "each line needs question_id, answer and score (0-10)"
        ):
            r = json.loads(line)
            qid = r.get("question_id") or ""
            if qid in corpus:
                q = corpus[qid]
            elif r.get("reference"):
                qid = qid or f"q{n}"
                q = _dataset_question(qid, r["question"], r["reference"], cache)
            else:
                raise InputFileError(
                    f"unknown question_id {qid!r} and no reference",
                    where=f"{path}:{n}",
                    fix="use a corpus id or add a 'reference' field",
                )
            a, b = _two_grades(r)
            items.append(
                EvalItem(
                    id=str(r.get("id") or f"row{n}"),
                    question_id=qid,
                    question_text=r.get("question") or q.question,
                    answer=str(r.get("answer", "")),
                    human=float(r["score"]),
                    question=q,
                    grader_a=a,
                    grader_b=b,
                    topic=q.topics[0] if q.topics else "",
                    level=str(r.get("level") or r.get("kind") or ""),
                    group=f"corpus:{qid}" if qid in corpus else f"{path.stem}:{qid}",
                )
            )
    return items


def _two_grades(r: dict) -> tuple[float | None, float | None]:
    """Two independent human grades: ``score_a``/``score_b``, or ``score``/``score2``."""
    if r.get("score_a") is not None and r.get("score_b") is not None:
        return float(r["score_a"]), float(r["score_b"])
    if r.get("score2") is not None:
        return float(r["score"]), float(r["score2"])
    return None, None


SEMEVAL3_SCORE = {"correct": 10.0, "contradictory": 0.0, "incorrect": 0.0}


def load_semeval_jsonl(path: Path) -> list[EvalItem]:
    """The SemEval-2013 Task 7 JSONL release (3-way labels, ``corpus`` per row): correct = 10,
    contradictory and incorrect = 0; the label is kept in ``label`` and the corpus in ``topic``."""
    cache: dict[str, Question] = {}
    items = []
    for n, line in _json_lines(path):
        with _record(
            "not a SemEval-2013 JSONL record",
            f"{path}:{n}",
            "each line needs corpus, question_id, question, reference_answer, answer, label_3way",
        ):
            r = json.loads(line)
            label = r["label_3way"]
            if label not in SEMEVAL3_SCORE:
                raise ValueError(f"unknown label {label!r}")
            qid = f"semeval-{r['corpus']}-{r['question_id']}"
            items.append(
                EvalItem(
                    id=str(r["answer_id"]),
                    question_id=qid,
                    question_text=r["question"],
                    answer=r["answer"],
                    human=SEMEVAL3_SCORE[label],
                    label=label,
                    topic=r["corpus"],
                    question=_dataset_question(
                        qid, r["question"], r["reference_answer"], cache, f"{path}:{n}"
                    ),
                    group=f"semeval-{r['corpus']}:{r['question_id']}",
                )
            )
    return items


def load_saf(path: Path) -> list[EvalItem]:
    """SAF (Filighera et al. 2022) JSONL: ``score`` 0-1 (partial credit) times 10; the verification
    label (Correct / Partially correct / Incorrect) kept in ``label``."""
    cache: dict[str, Question] = {}
    items = []
    for n, line in _json_lines(path):
        with _record(
            "not a SAF record",
            f"{path}:{n}",
            "each line needs question_id, question, reference_answer, answer, score (0-1)",
        ):
            r = json.loads(line)
            qid = f"saf-{r['question_id']}"
            items.append(
                EvalItem(
                    id=str(r["answer_id"]),
                    question_id=qid,
                    question_text=r["question"],
                    answer=r["answer"],
                    human=10.0 * float(r["score"]),
                    label=str(r.get("verification", "")),
                    topic=str(r.get("module", "")),
                    question=_dataset_question(
                        qid, r["question"], r["reference_answer"], cache, f"{path}:{n}"
                    ),
                    group=f"saf:{r['question_id']}",
                )
            )
    return items


def load_pairs(path: Path, corpus: dict[str, Question]) -> list[EvalItem]:
    """Our key-point-labelled answers (a file, or a folder of ``*.jsonl``): question_id, kind,
    answer, statuses, score. The statuses train the judgement model; the score is human."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    items = []
    for f in files:
        for n, line in _json_lines(f):
            with _record(
                "bad key-point record",
                f"{f}:{n}",
                "each line needs a corpus question_id, answer and score (0-10)",
            ):
                r = json.loads(line)
                q = corpus[r["question_id"]]
                if q.problem is not None:  # labelled against the page rubric the tests replaced
                    continue
                items.append(
                    EvalItem(
                        id=f"{f.stem}-{n}",
                        question_id=q.id,
                        question_text=q.question,
                        answer=r["answer"],
                        human=float(r["score"]),
                        question=q,
                        topic=q.topics[0] if q.topics else "",
                        level=str(r.get("kind", "")),
                        group=f"corpus:{q.id}",
                    )
                )
    return items


def load_semeval(path: Path) -> list[EvalItem]:
    """SemEval-2013 Task 7: the JSONL release, or the original XML (a file or a folder of files);
    labels kept in ``label``."""
    if path.is_file() and path.suffix == ".jsonl":
        return load_semeval_jsonl(path)
    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    cache: dict[str, Question] = {}
    items = []
    for f in files:
        try:
            root = ET.fromstring(read_text(f))
        except ET.ParseError as exc:
            raise InputFileError(
                f"invalid XML ({exc})", where=str(f), fix="point at SemEval-2013 Task 7 XML"
            ) from exc
        questions = [root] if root.tag == "question" else root.iter("question")
        for qel in questions:
            qid = f"semeval-{qel.get('id')}"
            text = (qel.findtext("questionText") or "").strip()
            refs = [r for r in qel.iter("referenceAnswer")]
            best = next((r for r in refs if r.get("category") == "BEST"), refs[0] if refs else None)
            if best is None or not text:
                raise InputFileError(
                    f"question {qid} lacks questionText or referenceAnswer",
                    where=str(f),
                    fix="point at SemEval-2013 Task 7 XML",
                )
            q = _dataset_question(qid, text, (best.text or "").strip(), cache)
            for sa in qel.iter("studentAnswer"):
                label = (sa.get("accuracy") or "").strip()
                if label not in SEMEVAL_SCORE:
                    raise InputFileError(
                        f"unknown label {label!r}",
                        where=f"{f}:{sa.get('id')}",
                        fix=f"labels must be one of {sorted(SEMEVAL_SCORE)}",
                    )
                items.append(
                    EvalItem(
                        id=str(sa.get("id")),
                        question_id=qid,
                        question_text=text,
                        answer=(sa.text or "").strip(),
                        human=SEMEVAL_SCORE[label],
                        question=q,
                        topic=qel.get("module", ""),
                        label=label,
                        group=f"semeval-xml:{qel.get('id')}",
                    )
                )
    return items


def load_dataset(path: Path, fmt: str, corpus: dict[str, Question]) -> list[EvalItem]:
    if fmt == "mohler":
        return load_mohler(path)
    if fmt == "semeval":
        return load_semeval(path)
    if fmt == "mockint":
        return load_mockint(path, corpus)
    if fmt == "saf":
        return load_saf(path)
    if fmt == "pairs":
        return load_pairs(path, corpus)
    raise InputFileError(
        f"unknown dataset format {fmt!r}", fix="use mockint, pairs, mohler, semeval or saf"
    )


def task_for(item: EvalItem, answer: str | None = None) -> GradingTask:
    return GradingTask(
        question_text=item.question_text,
        answer=item.answer if answer is None else answer,
        question=item.question,
    )


def dataset_name(path: Path) -> str:
    """A set's name in reports: the file's stem, or its folder's name for a generic file name.

    >>> dataset_name(Path("../shared/data/asag/saf/train.jsonl")), dataset_name(Path("eval/x/mohler.jsonl"))
    ('saf', 'mohler')
    """
    if path.is_dir():
        return path.name
    return path.parent.name if path.stem in ("train", "test", "dev", "data") else path.stem
