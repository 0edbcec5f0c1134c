"""Batch grading of written answers: CSV/JSONL in, graded JSONL/CSV + a summary page out.

Rows carry ``question`` (a corpus id or free text) and ``answer``, optionally ``id`` and
``reference`` (then the row is graded against that reference with an auto rubric). A bad
row becomes an error row whose reason names its ``file:line`` and a fix; the batch goes on.
A re-run skips rows already graded with the same grader and prompt hash, so an interrupted
batch resumes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mockint.corpus.importing import make_question
from mockint.errors import InputFileError, MockintError
from mockint.grading.schema import Grade, Grader, GradingTask
from mockint.textio import RowError, allow_large_fields, iter_records

if TYPE_CHECKING:
    from mockint.runtime import Runtime

MAX_ANSWER_CHARS = 20_000


@dataclass
class BatchResult:
    rows: list[dict]
    graded: int
    skipped: int
    errors: int


def _row_key(rec: dict, line: int) -> str:
    return str(rec.get("id") or f"line-{line}")


def _load_previous(out: Path) -> dict[str, dict]:
    if not out.exists():
        return {}
    rows: list[dict] = []
    if out.suffix.lower() == ".csv":
        allow_large_fields()  # an over-long answer kept in an error row
        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        for line in out.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by an interruption is simply graded again
    return {r["_key"]: r for r in rows if r.get("_key") and not r.get("error")}


def _grade_columns(g: Grade) -> dict:
    return {
        "score": g.score,
        "verdict": g.verdict,
        "question_id": g.question_id or "",
        "match_similarity": g.match_similarity,
        "flags": ";".join(g.flags),
        "feedback": g.feedback,
        "key_points": json.dumps(
            [k.model_dump(include={"id", "status", "evidence"}) for k in g.key_points],
            ensure_ascii=False,
        ),
        "incorrect_claims": json.dumps(g.incorrect_claims, ensure_ascii=False),
        "tests": g.code.summary() if g.code else "",  # coding questions: the code was run
        "test_rows": json.dumps([r.model_dump() for r in g.code.rows], ensure_ascii=False)
        if g.code
        else "",
        "grader": g.grader,
        "prompt_hash": g.prompt_hash,
        "error": "",
    }


def write_rows(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    if out.suffix.lower() == ".csv":
        fields = list(dict.fromkeys(k for r in rows for k in r))
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
    else:
        tmp.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    tmp.replace(out)


def _error_row(rec: RowError, line: int, where: str) -> dict:
    err = InputFileError(
        rec.reason, where=where, fix="correct or remove that line; the other rows are graded"
    )
    return {"_key": f"line-{line}", "_line": line, "raw": rec.raw, "error": err.render()}


def _task(rec: dict, key: str, where: str, runtime: Runtime) -> GradingTask:
    """The row's task: against its own ``reference`` when it has one, else the matched corpus
    question; raises ``MockintError`` (a row error) for an answer too long or an unusable reference."""
    answer = str(rec.get("answer") or "")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InputFileError(
            f"answer is {len(answer)} characters; the limit is {MAX_ANSWER_CHARS}",
            where=where,
            fix="shorten the answer; the rest of the file is graded",
        )
    asked = str(rec["question"])
    if str(rec.get("reference") or "").strip():
        q = make_question(
            asked, str(rec["reference"]), section="Batch", qid=f"row-{key}", where=where
        )
        sim = None
    else:
        q, sim = runtime.resolve_question(asked)
    text = q.question if q is not None and asked.strip() == q.id else asked
    return GradingTask(question_text=text, answer=answer, question=q, match_similarity=sim)


def from_audio(audio: str, folder: Path, rec: dict, runtime: Runtime, *, confined: bool) -> dict:
    """A row's ``audio`` (a path, relative to the input file's folder) transcribed: the answer,
    and the delivery columns beside it. ``confined`` (the web UI): only files in that folder."""
    from mockint.errors import AudioError
    from mockint.speech.delivery import measure

    path = (folder / audio).expanduser() if not Path(audio).is_absolute() else Path(audio)
    if confined and folder.resolve() not in path.resolve().parents:
        raise AudioError(
            f"{audio!r} is not one of the uploaded recordings",
            fix="upload the recording with the file, and name it in the audio column",
        )
    q, _ = runtime.resolve_question(str(rec.get("question") or ""))
    t = runtime.transcriber.transcribe(path, prompt=q.question if q else str(rec["question"]))
    if t.empty:
        raise AudioError(t.notes[-1], where=str(path), fix="check the recording")
    d = measure(t)
    return {
        "answer": t.text,
        "audio_seconds": round(t.audio_s, 1),
        "transcript_notes": "; ".join(t.notes),
        "wpm": d.wpm,
        "filler_count": d.filler_count,
        "long_pauses": len(d.long_pauses),
    }


def _plan(
    path: Path,
    records: list,
    previous: dict,
    runtime: Runtime,
    grader: Grader,
    confined: bool = False,
):
    """(rows, pending (row index, task), skipped): error rows, rows graded before the same way, and
    what is left to grade."""
    rows: list[dict] = []
    pending: list[tuple[int, GradingTask]] = []
    skipped, seen = 0, set()
    for line, rec in records:
        where = f"{path.name}:{line}"
        if isinstance(rec, RowError):
            rows.append(_error_row(rec, line, where))
            continue
        key = _row_key(rec, line)
        key = (
            f"{key}@line-{line}" if key in seen else key
        )  # a repeated id: each row keeps its own result
        seen.add(key)
        # cells beyond the header are kept as "_extra"
        base = {
            "_key": key,
            "_line": line,
            **{k: v for k, v in rec.items() if not k.startswith("_") or k == "_extra"},
        }
        old = previous.get(key)
        audio = str(rec.get("audio") or "").strip()
        spoken = audio if audio and not str(rec.get("answer") or "").strip() else ""
        if (
            old
            and old.get("grader") == grader.name
            and old.get("prompt_hash") == grader.version
            and (old.get("answer") == rec.get("answer") or (spoken and old.get("audio") == spoken))
        ):
            rows.append(old)
            skipped += 1
            continue
        try:
            if spoken:  # transcribed first, then graded like a typed answer
                heard = from_audio(spoken, path.parent, rec, runtime, confined=confined)
                rec = {**rec, **heard}
                base.update({k: v for k, v in rec.items() if k not in base or k == "answer"})
            task = _task(rec, key, where, runtime)
        except MockintError as exc:
            rows.append({**base, "error": exc.render()})
            continue
        rows.append(base)
        pending.append((len(rows) - 1, task))
    return rows, pending, skipped


def grade_file(
    path: Path,
    out: Path,
    runtime: Runtime,
    grader: Grader,
    *,
    chunk: int = 32,
    progress: Callable[[int, int], None] | None = None,
    confined: bool = False,
) -> BatchResult:
    """Grade every row of ``path`` into ``out`` (written after every chunk, so an interruption loses
    at most one chunk; a re-run skips rows graded the same way). A row with an ``audio`` path and
    no answer is transcribed first (``confined``: only recordings in the file's own folder)."""
    if out.is_dir():
        raise InputFileError(
            "the output is a folder",
            where=str(out),
            fix=f"name a file in it, e.g. {out / (path.stem + '.graded.jsonl')}",
        )
    records = list(iter_records(path, ("question", "answer")))
    if not records:
        raise InputFileError(
            "no rows to grade",
            where=str(path),
            fix="add rows with question and answer (a CSV needs a header row and rows below it)",
        )
    rows, pending, skipped = _plan(path, records, _load_previous(out), runtime, grader, confined)
    done = 0
    for start in range(0, len(pending), chunk):
        part = pending[start : start + chunk]
        for (i, _), g in zip(part, grader.grade_many([t for _, t in part])):
            rows[i] = {**rows[i], **_grade_columns(g)}
        done += len(part)
        write_rows(rows, out)
        if progress:
            progress(done, len(pending))
    write_rows(rows, out)
    errors = sum(1 for r in rows if r.get("error"))
    return BatchResult(rows, len(pending), skipped, errors)


def summary_page(result: BatchResult, runtime, out: Path) -> Path:
    """Markdown summary with a score histogram (PNG beside it) and per-topic means."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scored = [r for r in result.rows if not r.get("error") and r.get("score") not in (None, "")]
    scores = [float(r["score"]) for r in scored]
    png = out.with_suffix(".hist.png")
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(scores, bins=[i * 0.5 for i in range(21)], color="#4a7ab7")
    ax.set(xlabel="score (0-10)", ylabel="answers", title="score histogram")
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    plt.close(fig)
    topics: dict[str, list[float]] = {}
    for r, s in zip(scored, scores):
        q = runtime.by_id.get(r.get("question_id") or "")
        topics.setdefault(q.topics[0] if q else "(no corpus match)", []).append(s)
    lines = [
        "# Batch grading summary",
        "",
        f"{len(result.rows)} rows: {len(scores)} graded "
        f"({result.skipped} reused from a previous run), {result.errors} errors.",
        "",
    ]
    if scores:
        lines += [
            f"Mean score {sum(scores) / len(scores):.2f}.",
            "",
            f"![histogram]({png.name})",
            "",
            "| topic | answers | mean score |",
            "|---|---|---|",
        ]
        lines += [f"| {t} | {len(v)} | {sum(v) / len(v):.2f} |" for t, v in sorted(topics.items())]
    errs = [r for r in result.rows if r.get("error")]
    if errs:
        lines += ["", "## Errors", ""] + [
            f"- {r['error']}" for r in errs[:50]
        ]  # each names its file:line
    path = out.with_suffix(".summary.md")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def default_output(path: Path) -> Path:
    if path.suffix.lower() not in (".csv", ".tsv", ".jsonl", ".ndjson", ".json"):
        raise InputFileError(
            f"unknown input type {path.suffix!r}", where=str(path), fix="use .csv or .jsonl"
        )
    return path.with_name(
        path.stem + ".graded" + (".csv" if path.suffix.lower() in (".csv", ".tsv") else ".jsonl")
    )
