"""Answer hygiene: instructions to the grader, non-answers, verbatim quotes, feedback text.

Pure functions over strings, shared by every grader: ``instruction_spans`` / ``strip_instructions``
find and remove text addressed to the grader, ``is_non_answer`` recognises "I don't know",
``exact_quote`` keeps a quote only if it is verbatim in the answer, ``feedback_for`` writes the
feedback from key-point verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mockint.grading.schema import KeyPointResult

_INJECTION = re.compile(
    r"(ignore (all |any |the |your |previous |prior |above )*(instructions|rubric|rules|reference|grading)"
    r"|disregard (the |all |previous )*(instructions|rubric|rules)"
    r"|(give|award|assign|grade|score|rate) (me|this|this answer|the answer)?\s*(a |an )?(full|perfect|maximum|10|ten|100)"
    r"|\b(10|ten)\s*/\s*10\b|\bfull marks\b|\bperfect score\b"
    r"|\"?score\"?\s*[:=]\s*\"?\d"
    r"|^\s*(system|assistant|developer)\s*:"
    r"|<\s*/?\s*(system|instructions?)\s*>"
    r"|you are (now )?(a|an|the) (\w+ )?(grader|judge|assistant|evaluator|examiner)"
    r"|as the (grader|judge|evaluator)"
    r"|the reference (answer )?(agrees|says i am|confirms)"
    r"|new instructions?"
    r"|(note|message|instructions?) (to|for) (the )?(grader|judge|evaluator|model)"
    r"|(award|give|assign) (it |me |this )?(the )?(maximum|max|highest|top) (score|marks?|grade)"
    r"|<!--.*?-->)",
    re.I | re.M | re.S,
)


_IDK = re.compile(
    r"^\s*(i\s*(really\s*)?(don'?t|do not|dont) know|no idea|idk|not sure|pass|skip|no answer|\?+|-+|n/?a)\W*$",
    re.I,
)


def instruction_spans(answer: str) -> list[str]:
    """Sentences/lines of an answer that read as instructions to the grader."""
    spans = []
    for m in _INJECTION.finditer(answer):
        spans.append(m.group(0))
    return spans


def strip_instructions(answer: str) -> str:
    """The answer without lines or sentences that carry grader instructions or comments
    (a code block or HTML comment that carries one is dropped whole)."""
    answer = re.sub(r"<!--.*?-->", " ", answer, flags=re.S)
    answer = re.sub(
        r"```.*?(```|$)",
        lambda m: "" if _INJECTION.search(m.group(0)) else m.group(0),
        answer,
        flags=re.S,
    )
    return keep_prose(answer, lambda sentence: not _INJECTION.search(sentence))


def keep_prose(answer: str, keep: Callable[[str], bool]) -> str:
    """``answer`` with only the prose sentences ``keep`` accepts (in order); lines of code fences
    are kept as they are.

    >>> keep_prose("Keep this. Drop that. Keep too.", lambda s: "Drop" not in s)
    'Keep this. Keep too.'
    """
    out, fenced = [], False
    for line in answer.splitlines():
        fence = line.lstrip().startswith("```")
        if fence or fenced:
            fenced = fenced != fence
            out.append(line)
            continue
        out.append(" ".join(p for p in re.split(r"(?<=[.!?])\s+", line) if keep(p)))
    return "\n".join(out).strip()


def drop_repeats(answer: str, min_words: int = 6) -> str:
    """The answer with each prose sentence of ``min_words`` words or more kept once: a paragraph
    pasted six times says no more than once, and neither pads the judged text nor reads as a
    repeated-term dump.

    >>> drop_repeats("It depends on the team and the goals. It depends on the team and the goals. L1 is sparse.")
    'It depends on the team and the goals. L1 is sparse.'
    >>> drop_repeats("Yes. Yes. No.")
    'Yes. Yes. No.'
    """
    seen: set[str] = set()

    def first_time(sentence: str) -> bool:
        key = " ".join(re.findall(r"\w+", sentence.lower()))
        if len(key.split()) >= min_words and key in seen:
            return False
        seen.add(key)
        return True

    return keep_prose(answer, first_time)


def is_non_answer(answer: str) -> bool:
    return not answer.strip() or bool(_IDK.match(answer.strip()))


def exact_quote(answer: str, candidate: str, limit: int = 200) -> str:
    """``candidate`` trimmed to a verbatim substring of ``answer`` ("" if it is not one)."""
    candidate = candidate.strip()
    if not candidate:
        return ""
    if candidate in answer:
        return candidate[:limit]
    squashed = " ".join(candidate.split())
    if squashed and squashed in answer:
        return squashed[:limit]
    return ""


def _listing(items: list[str]) -> str:
    """Sentences joined into one: 'a; b.'

    >>> _listing(["First point.", "second point"])
    'First point; second point.'
    """
    return "; ".join(i.strip().rstrip(".;") for i in items) + "."


def feedback_for(results: list[KeyPointResult], claims: list[str]) -> tuple[str, str]:
    """(what was good, what to add) from the key-point verdicts and the wrong claims."""
    covered = [k.text for k in results if k.status == "covered"]
    missing = [
        k.text for k in results if k.status in ("missing", "partial") and k.weight == "essential"
    ]
    wrong = [k.text for k in results if k.status == "contradicted"]
    good = ("Covered: " + _listing(covered)) if covered else ""
    add = ("To add or sharpen: " + _listing(missing)) if missing else ""
    if wrong:
        add += " Got wrong: " + _listing(wrong)
    if claims:
        add += " Check this claim: " + _listing(claims)
    return good, add.strip()
