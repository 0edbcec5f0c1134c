"""Read user files (CSV, JSONL, Markdown) robustly, with errors that name file, line and fix.

Handles UTF-8 (with or without BOM) and UTF-16 (BOM), rejects binary files, and turns
each malformed row into a ``RowError`` the caller can keep (batch grading) or raise
(import). It does not interpret the columns.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mockint.errors import InputFileError

MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass
class RowError:
    line: int
    reason: str
    raw: str = ""


def read_text(path: Path) -> str:
    """File contents as text; UTF-16/UTF-8 BOMs honoured, binary refused."""
    if not path.exists():
        raise InputFileError("file not found", where=str(path), fix="check the path")
    if path.is_dir():
        raise InputFileError("is a folder, not a file", where=str(path), fix="name a file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputFileError(
            f"file is {size // 2**20} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit",
            where=str(path),
            fix="split it into smaller files",
        )
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"starts like UTF-16 but is not valid UTF-16 at byte {exc.start}",
                where=str(path),
                fix="re-save the file as UTF-8",
            ) from exc
    head = data[:4096]
    if b"\x00" in head:
        half = len(head) // 2
        if half >= 4 and max(head[0::2].count(0), head[1::2].count(0)) >= 0.9 * half:
            raise InputFileError(
                "looks like UTF-16 text without a byte-order mark",
                where=str(path),
                fix="re-save it as UTF-8 (or as UTF-16 with a BOM)",
            )
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputFileError(
            "looks like a binary file (NUL bytes)",
            where=f"{path}:{line}",
            fix="save it as UTF-8 text (CSV, JSONL or Markdown)",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"not valid UTF-8 at byte {exc.start}",
            where=f"{path}:{line}",
            fix="re-save the file as UTF-8",
        ) from exc


def allow_large_fields() -> None:
    """Let the csv module read cells up to the file size limit (its default stops at 128 KiB),
    so an over-long answer becomes an error row instead of an unreadable file."""
    if csv.field_size_limit() < MAX_FILE_BYTES:
        csv.field_size_limit(MAX_FILE_BYTES)


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".md", ".markdown"):
        return "markdown"
    raise InputFileError(
        f"unknown file type {suffix or '(none)'!r}", where=str(path), fix="use .csv, .jsonl or .md"
    )


def iter_records(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict | RowError]]:
    """Yield (line number, record or RowError) for a CSV or JSONL file.

    Missing required columns in a CSV header are a file-level error; a row missing a
    value, or a JSONL line that is not an object, is a row error.
    """
    text = read_text(path)
    fmt = file_format(path)
    if fmt == "jsonl":
        yield from _jsonl_records(text, required)
    elif fmt == "csv":
        yield from _csv_records(path, text, required)
    else:
        raise InputFileError(
            "Markdown is not a row format here", where=str(path), fix="use CSV or JSONL"
        )


def _jsonl_records(text: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict | RowError]]:
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, RowError(n, f"invalid JSON ({exc.msg} at column {exc.colno})", line[:200])
            continue
        if not isinstance(rec, dict):
            yield n, RowError(n, "a line must be a JSON object", line[:200])
            continue
        missing = [c for c in required if not str(rec.get(c) or "").strip()]
        if missing and not all(c == "answer" for c in missing):
            yield n, RowError(n, f"missing field(s) {missing}", line[:200])
            continue
        yield n, {k: ("" if v is None else v) for k, v in rec.items()}


def _csv_records(
    path: Path, text: str, required: tuple[str, ...]
) -> Iterator[tuple[int, dict | RowError]]:
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    allow_large_fields()
    # newline="": CR-only (old Mac) files too; strict: a quote never closed is an error, not the
    # silent merge of every later row into one cell
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, strict=True)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    # an ``audio`` column (a recording per row) stands in for ``answer``
    absent = [c for c in required if c not in header and not (c == "answer" and "audio" in header)]
    if absent:
        raise InputFileError(
            f"CSV header lacks column(s) {absent}; it has {header}",
            where=f"{path}:1",
            fix=f"add a header row with at least: {', '.join(required)}",
        )
    reader.fieldnames = header
    n = reader.line_num
    try:
        for rec in reader:
            n = reader.line_num
            if None in rec:  # more cells than header columns
                rec["_extra"] = "|".join(str(x) for x in rec.pop(None))
            rec = {k: (v or "") for k, v in rec.items()}
            missing = [c for c in required if c != "answer" and not str(rec.get(c, "")).strip()]
            if missing:
                cells = ",".join(map(str, rec.values()))[:200]
                yield n, RowError(n, f"empty column(s) {missing}", cells)
                continue
            yield n, rec
    except csv.Error as exc:  # the row after the last good one
        raise InputFileError(
            f"unreadable CSV row ({exc})",
            where=f"{path}:{n + 1}",
            fix="close the quoted cell that starts there, or remove the stray quote",
        ) from exc
