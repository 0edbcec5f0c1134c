"""Web UI handlers for the Batch and Corpus tabs: grade an uploaded file, search the index,
show a reference answer with its rubric, import a Q&A file. Plain functions over ``UIContext``
(see ``handlers.py`` for the interview, report and history tabs); no Gradio here.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mockint.errors import InputFileError
from mockint.interview.export import safe_name
from mockint.ui import render
from mockint.ui.handlers import UIContext


@dataclass
class BatchView:
    summary: str  # Markdown written by mockint.grading.batch.summary_page
    histogram: Path | None
    files: list[Path]
    graded: int
    errors: int


def _stash(ctx: UIContext, upload: str | Path | None, kind: str, fix: str) -> Path:
    """Copy an uploaded file into a fresh folder of ours under a safe name (Gradio's temp file may go)."""
    if not upload:
        raise InputFileError("no file uploaded", fix=fix)
    src = Path(upload)
    if not src.is_file():
        raise InputFileError(
            "the uploaded file is gone (or is not a file)", where=src.name, fix="upload it again"
        )
    local = ctx.folder(kind, secrets.token_hex(6)) / safe_name(src.name)
    shutil.copyfile(src, local)
    return local


def batch(
    ctx: UIContext,
    upload: str | Path,
    grader: str = "auto",
    progress: Callable[[int, int], None] | None = None,
    recordings: list | None = None,
) -> BatchView:
    """Grade an uploaded CSV/JSONL file; returns the graded file and its summary page. An
    ``audio`` column names ``recordings`` uploaded with it (by file name)."""
    from mockint.grading.batch import default_output, grade_file, summary_page

    local = _stash(
        ctx, upload, "batch", "upload a .csv or .jsonl file with question and answer columns"
    )
    for rec in recordings or []:
        src = Path(rec)
        if src.is_file():
            shutil.copyfile(src, local.parent / safe_name(src.name))
    out = default_output(local)
    g = ctx.grader_for(grader)
    ctx.runtime.ready_index()
    result = grade_file(local, out, ctx.runtime, g, progress=progress, confined=True)
    summary = summary_page(result, ctx.runtime, out)
    hist = out.with_suffix(".hist.png")
    text = "\n".join(
        line
        for line in summary.read_text(encoding="utf-8").splitlines()
        if not line.startswith("![histogram]")
    )  # the image is shown beside it
    return BatchView(
        text, hist if hist.exists() else None, [out, summary], result.graded, result.errors
    )


def search(ctx: UIContext, text: str, k: int = 5, topics=()) -> list[list]:
    """[[similarity, id, question]] for the corpus questions closest to ``text``."""
    if not (text or "").strip():
        return []
    ctx.runtime.ready_index()
    hits = ctx.runtime.index.search(text.strip()[:2000], k=int(k), topics=list(topics or []))
    return [
        [
            h.similarity,
            h.qid,
            ctx.runtime.by_id[h.qid].question if h.qid in ctx.runtime.by_id else "",
        ]
        for h in hits
    ]


def question(ctx: UIContext, qid: str) -> str:
    """HTML of a corpus question: reference answers and rubric."""
    q = ctx.runtime.by_id.get((qid or "").strip())
    if q is None:
        return render.notice_html(
            f"No question {qid!r} in the corpus; search first and pick one of the results."
        )
    return render.question_html(q)


def import_corpus(
    ctx: UIContext, upload: str | Path, section: str = "Imported"
) -> tuple[str, Path]:
    """Import a Q&A file into ``<home>/corpus/<name>.jsonl``; returns (message, path)."""
    from mockint.corpus.importing import import_file
    from mockint.corpus.schema import write_jsonl

    local = _stash(ctx, upload, "imports", "upload Markdown, CSV or JSONL with question and answer")
    src = Path(upload)
    questions, warnings = import_file(local, section=(section or "Imported").strip()[:80])
    out = ctx.folder("imports", "out", secrets.token_hex(6)) / f"{safe_name(src.stem)}.jsonl"
    write_jsonl(questions, out)
    keep = ctx.runtime.config.home / "corpus" / out.name
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out, keep)
    auto = sum(q.rubric == "auto" for q in questions)
    lines = [
        f"Imported {len(questions)} questions ({auto} with auto-extracted rubrics) to {keep}.",
        f"Use it with: mockint ui --corpus {keep} (or MOCKINT_CORPUS={keep}).",
    ]
    lines += [f"warning: {w}" for w in warnings[:20]]
    return "\n".join(lines), out
