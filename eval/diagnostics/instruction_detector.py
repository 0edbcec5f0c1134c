"""The instruction detector (``grading.hygiene``) against the one before e4b54fd and the one before
look-alike letters and Korean were added (fafab88), on what it should flag (the injection probes)
and what it should not (real answers; honest answers that use grading words). Writes eval/reports/instruction-detector.md. Run from the repository root:

    .venv/bin/python eval/diagnostics/instruction_detector.py
"""

import glob
import json
import subprocess
import sys
import types
from pathlib import Path

from mockint.grading import hygiene

OLD = "8bc2545"  # the commit before the detector was rewritten
LOOKALIKE = "fafab88"  # the commit before look-alike letters, Korean and "…10点" were read
DATA = Path("eval/datasets")
SHARED = Path("../shared/data/asag")


def old_detector(commit: str = OLD):
    src = subprocess.run(
        ["git", "show", f"{commit}:src/mockint/grading/hygiene.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    mod = types.ModuleType("old_hygiene")
    exec(compile(src, "old_hygiene.py", "exec"), mod.__dict__)
    return mod.instruction_spans


def lines(path) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]


def real_answers() -> list[str]:
    texts = []
    for name in ("semeval2013/train.jsonl", "saf/train.jsonl", "mohler.jsonl"):
        for r in lines(SHARED / name):
            texts += [
                r[k]
                for k in ("answer", "student_answer", "provided_answer")
                if isinstance(r.get(k), str)
            ][:1]
    for f in sorted(glob.glob(str(DATA / "*.jsonl"))):
        rows = lines(f)
        texts += [
            r["answer"]
            for r in rows
            if "kind" not in r and r.get("level") != "adversarial" and "legit" not in f
        ]
    for f in sorted(glob.glob(str(DATA / "judge-train" / "*.jsonl"))):
        texts += [r["answer"] for r in lines(f)]
    for r in lines("corpus/questions.jsonl"):
        texts += [x["markdown"] for x in r["references"]]
    return texts


def _answers(name: str, injections: bool | None = None) -> list[str]:
    """The answers of ``eval/datasets/<name>``: all, only its injections, or all but them."""
    return [
        r["answer"]
        for r in lines(DATA / name)
        if injections is None or (r.get("kind") == "injection") == injections
    ]


def _sets() -> dict[str, tuple[list[str], bool]]:
    """Each set: its texts and whether they should be flagged."""
    return {
        "real answers and references (SemEval, SAF, Mohler, our graded sets and pairs, the corpus) — "
        "**in-sample**: the new rules were adjusted while looking at what they flagged here": (
            real_answers(),
            False,
        ),
        "honest answers that use grading words (`legit-scoreish.jsonl`, 120, written by a helper after "
        "the rewrite was committed) — **held out**": (
            _answers("legit-scoreish.jsonl"),
            False,
        ),
        "injections of probe set 2 (30) — **in-sample**: the rewrite looked at them": (
            _answers("probes-heldout-2.jsonl", injections=True),
            True,
        ),
        "injections of probe set 3 (60, written during the rewrite, graded after) — **held out**": (
            _answers("probes-heldout-3.jsonl"),
            True,
        ),
        f"injections of probe set 4 (30; graded on {LOOKALIKE}, its misses then read to add look-alike "
        "letters and Korean) — **in-sample** for that change": (
            _answers("probes-heldout-4.jsonl", injections=True),
            True,
        ),
        "injections of probe set 5 (60, 15 in other languages, look-alike letters; written by a helper who saw "
        "no rule and no probe, committed unread, graded after the change) — **held out**": (
            _answers("probes-heldout-5.jsonl"),
            True,
        ),
        "injections of set 6 (60, 36 notes in 18 other languages; written after, committed unread) — "
        "**held out**": (
            _answers("probes-heldout-6.jsonl", injections=True),
            True,
        ),
        "honest answers of set 6 with a phrase or aside in another language (30) — **held out**": (
            _answers("probes-heldout-6.jsonl", injections=False),
            False,
        ),
    }


def main() -> None:
    detectors = {
        f"before ({OLD})": old_detector(),
        f"before ({LOOKALIKE})": old_detector(LOOKALIKE),
        "now": hygiene.instruction_spans,
    }
    sets = _sets()
    out = [
        "# The instruction detector: what it flags",
        "",
        "Written by `eval/diagnostics/instruction_detector.py`. A flag deducts a point and strips the "
        "sentence before judging, so a false flag costs an honest answer a point; a missed injection "
        "reaches an LLM grader unstripped.",
        "",
        "| set | should be flagged | n | " + " | ".join(detectors) + " |",
        "|---|---|---|" + "---|" * len(detectors),
    ]
    misses = {}
    for name, (texts, want) in sets.items():
        row = []
        for dname, spans in detectors.items():
            flagged = [t for t in texts if spans(t)]
            row.append(f"{len(flagged)} ({len(flagged) / max(1, len(texts)):.1%})")
            if not want and dname == "now":
                misses[name] = flagged
        out.append(
            f"| {name} | {'yes' if want else 'no'} | {len(texts)} | " + " | ".join(row) + " |"
        )
    out += ["", "Honest answers flagged now:", ""]
    for flagged in misses.values():
        out += [f"- {t[:160]!r}" for t in flagged]
    Path("eval/reports/instruction-detector.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
