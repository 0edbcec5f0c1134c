"""Text helpers shared by the graders, the detectors and the evaluation: words, stems, content
words, sentences. Pure functions; no model.
"""

from __future__ import annotations

import re

STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "be",
        "been",
        "being",
        "was",
        "were",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "with",
        "as",
        "by",
        "at",
        "from",
        "which",
        "what",
        "how",
        "why",
        "when",
        "where",
        "who",
        "whom",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "not",
        "no",
        "nor",
        "if",
        "then",
        "than",
        "there",
        "their",
        "they",
        "them",
        "we",
        "you",
        "your",
        "i",
        "he",
        "she",
        "his",
        "her",
        "our",
        "us",
        "so",
        "such",
        "into",
        "about",
        "over",
        "under",
        "between",
        "also",
        "may",
        "might",
        "must",
        "only",
        "more",
        "most",
        "other",
        "some",
        "any",
        "each",
        "all",
        "both",
        "very",
        "just",
        "via",
        "per",
        "has",
        "have",
        "had",
        "having",
        "am",
        "own",
        "same",
        "too",
        "s",
        "t",
        "don",
        "doesn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "shouldn",
        "couldn",
    ]
)


def clip(text: str, n: int) -> str:
    """``text`` cut to at most ``n`` characters, an ellipsis marking the cut.

    >>> clip("gradient boosting", 9), clip("short", 9)
    ('gradient…', 'short')
    """
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


_WORD = re.compile(r"[A-Za-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A crude suffix stripper, enough to match 'layers' with 'layer'.

    >>> stem("normalization"), stem("layers")
    ('normalizat', 'layer')
    """
    for suf in ("ing", "ed", "es", "s", "ly", "er", "ion", "al"):
        if len(word) > 4 and word.endswith(suf):
            return word[: -len(suf)]
    return word


def content_words(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOP]


def sentences(text: str, max_sentences: int = 40) -> list[str]:
    """Sentence-ish units of an answer, each a verbatim substring of it.

    >>> sentences("First one. Second one!\\n- third")
    ['First one.', 'Second one!', '- third']
    """
    units = [u.strip() for u in re.split(r"(?<=[.!?;])\s+|\n+", text)]
    units = [u for u in units if len(re.sub(r"\W", "", u)) >= 3]
    return units[:max_sentences] or ([text.strip()] if text.strip() else [])
