"""Lexical text helpers and the detectors the guard table uses.

Pure functions over strings: words, stems, sentences, and the detectors (``looks_stuffed``,
``copied_keywords``, ``shotgun_list``, ``echoes``, ``other_language``) that ``guards.py`` turns
into caps and flags. No model is loaded here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mockint.text import STOP, content_words, stem, words

# function words of the languages candidates most often switch to (none are English words)
FOREIGN = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "mit",
        "den",
        "dem",
        "des",
        "sich",
        "auch",
        "wird",
        "werden",
        "oder",
        "le",
        "la",
        "les",
        "et",
        "est",
        "une",
        "des",
        "du",
        "dans",
        "pour",
        "pas",
        "qui",
        "sont",
        "avec",
        "sur",
        "par",
        "plus",
        "el",
        "los",
        "las",
        "es",
        "una",
        "del",
        "por",
        "con",
        "para",
        "que",
        "como",
        "pero",
        "muy",
        "sus",
        "il",
        "di",
        "che",
        "della",
        "sono",
        "nel",
        "alla",
        "gli",
        "anche",
        "os",
        "um",
        "uma",
        "não",
        "são",
        "com",
        "pelo",
        "pela",
        "y",
        "en",
        "un",
        "al",
        "lo",
        "se",
        "su",
        "son",
        "hay",
        "au",
        "aux",
        "ce",
        "cette",
        "ne",
        "ou",
        "hai",
        "ko",
        "ki",
        "ke",
        "ka",
        "yeh",
        "woh",
        "aur",
        "mein",
        "jab",
        "tab",
        "nahi",
        "kya",
        "hota",
    ]
)


def other_language(text: str) -> bool:
    """An answer mostly in another language: foreign function words outnumber English ones, or
    most letters are not Latin. Terse English ("L1 adds absolute weights; L2 squared") is not.

    >>> other_language("Die Regularisierung bestraft große Gewichte und das Modell wird einfacher.")
    True
    >>> other_language("L1 adds absolute weights and gives sparsity; L2 adds squared weights.")
    False
    """
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() or "\u00c0" <= c <= "\u024f" for c in letters) < 0.5 * len(
        letters
    ):
        return True
    ws = words(text)
    foreign = sum(w in FOREIGN for w in ws)
    return foreign >= 2 and foreign > sum(w in STOP for w in ws)


def looks_stuffed(text: str) -> bool:
    """A bare run of terms with no sentence structure and no punctuation, or the same terms repeated.

    Lists written as lists ("push, pop, peek") are not stuffing: they are punctuated.

    >>> looks_stuffed("gradient descent learning rate momentum adam convergence loss minimum saddle point plateau")
    True
    >>> looks_stuffed("Gradient descent moves the weights against the gradient of the loss.")
    False
    >>> looks_stuffed("Parquet es un formato columnar: los valores de cada columna se guardan juntos.")
    False
    """
    ws = words(text)
    if len(ws) < 5:
        return False
    function_share = sum(w in STOP or w in FOREIGN for w in ws) / len(
        ws
    )  # prose in any language has them
    distinct = len(set(ws)) / len(ws)
    separators = len(re.findall(r"[,;.:!?()\n-]", text))
    return (function_share < 0.05 and separators < len(ws) / 6) or (
        distinct < 0.25 and len(ws) >= 40
    )


def copied_keywords(text: str, reference: str) -> bool:
    """Three or more bare words, no function word, no punctuation, (nearly) all lifted from the
    reference: a keyword list too short for ``looks_stuffed``. One or two bare words are left
    alone: "push" is a full-marks answer to "which operation adds to a stack?".

    >>> copied_keywords("stack lifo push", "A stack is LIFO: push adds on top.")
    True
    >>> copied_keywords("name funct typ parameter", "The name of the function and the types of its parameters")
    True
    >>> copied_keywords("push", "A stack is LIFO: push adds on top."), copied_keywords("push and pop", "push pop")
    (False, False)
    """
    ws = words(text)
    if len(ws) < 3 or any(w in STOP for w in ws) or re.search(r"[,;.:!?()\n=<>/-]", text.strip()):
        return False
    in_ref = _in_reference(reference)
    return sum(map(in_ref, ws)) / len(ws) >= 0.8


def _in_reference(reference: str) -> Callable[[str], bool]:
    """Whether a word is the reference's, or a stem of one ("funct", "typ")."""
    ref = set(words(reference))
    prefixes = {r[:k] for r in ref for k in range(3, len(r) + 1)}
    return lambda w: w in ref or stem(w) in prefixes


def bare_list(text: str) -> list[str]:
    """The items of an answer that is only a list of bare terms (each one or two words, no
    function word) separated by commas, semicolons or lines; [] for anything else.

    >>> bare_list("Public, private, and protected."), bare_list("- push\\n- pop")
    (['Public', 'private', 'protected'], ['push', 'pop'])
    >>> bare_list("push adds on top, pop removes it")
    []
    """
    items = [
        i
        for i in (re.sub(r"^[\s*\u2022-]+|[\s.]+$", "", p) for p in re.split(r"[,;\n]", text))
        if i
    ]
    items = [re.sub(r"^(?:and|or)\s+", "", i, flags=re.I) for i in items]
    if any(len(words(i)) > 2 or any(w in STOP for w in words(i)) for i in items):
        return []
    return items


def shotgun_list(text: str, reference: str) -> bool:
    """A list of six or more bare terms, a third or more of them foreign to the reference: the
    topic's vocabulary sprayed in the hope that some of it counts.

    Short lists, and long lists of the reference's own terms, are answers ("public, private,
    protected"; the six activation functions a question asked for) and are graded on their merits.

    >>> ref = "push adds an element on top, pop removes the top element"
    >>> shotgun_list("push, pop, enqueue, dequeue, root, leaf", ref)
    True
    >>> shotgun_list("push, pop, peek, top, element, removes", ref), shotgun_list("push, pop, peek", ref)
    (False, False)
    """
    items = bare_list(text)
    if len(items) < 6:
        return False
    in_ref = _in_reference(reference)
    return sum(not any(map(in_ref, words(i))) for i in items) >= len(items) / 3


def question_repeats(answer: str, question: str) -> float:
    """How many times, on average, the answer repeats each of the question's content words.

    >>> question_repeats("What is a stack? A stack is what a stack is.", "What is a stack?")
    3.0
    """
    qw = set(content_words(question))
    if not qw:
        return 0.0
    aw = content_words(answer)
    return sum(w in qw for w in aw) / len(qw)


# Words that talk about the answering, not the subject: an echo padded with them is still an echo.
DISCOURSE = frozenset(
    [
        "well",
        "question",
        "questions",
        "answer",
        "answers",
        "answered",
        "ask",
        "asks",
        "asked",
        "asking",
        "basically",
        "really",
        "actually",
        "simply",
        "thing",
        "things",
        "stuff",
        "think",
        "okay",
        "ok",
        "yes",
        "yeah",
        "sure",
        "interesting",
        "topic",
        "talk",
        "talking",
        "say",
        "said",
        "me",
        "my",
        "let",
        "good",
        "great",
        "guess",
        "believe",
        "know",
        "course",
        "obviously",
        "um",
        "uh",
        "hmm",
    ]
)


def echo_ratio(answer: str, question: str, *, ignore: frozenset[str] = frozenset()) -> float:
    """Share of the answer's content words that only repeat the question (``echoes`` passes
    ``ignore=DISCOURSE``).

    >>> q = "What is a leaf?"
    >>> echo_ratio("What is a leaf? Well, what is a leaf is the question.", q, ignore=DISCOURSE)
    1.0
    >>> echo_ratio("What is a leaf? Well, what is a leaf is the question.", q)
    0.5
    """
    aw = [stem(w) for w in words(answer) if w not in STOP and w not in ignore]
    if not aw:
        return 1.0
    qw = set(content_words(question))
    return sum(w in qw for w in aw) / len(aw)


def echoes(answer: str, question: str, topical: set[str], *, share: float = 0.7) -> bool:
    """The answer restates the question and adds nothing: at least ``share`` of its content words
    are the question's (discourse words such as "well" or "the question is" not counted), it says
    them twice or more, and none of the words it adds is ``topical`` (the key points' words).

    Lexical on purpose: MiniLM's vector of a text repeated three times drifts away from the
    text itself, so similarity to the question is no test of an echo.

    >>> q, kp = "What is a leaf?", {"node", "children"}
    >>> echoes("What is a leaf? Well, what is a leaf is the question.", q, kp)
    True
    >>> echoes("What is a leaf? A leaf is a leaf, a leaf with no children.", q, kp)  # adds "children"
    False
    """
    if (
        echo_ratio(answer, question, ignore=DISCOURSE) < share
        or question_repeats(answer, question) < 2.0
    ):
        return False
    q_words = set(content_words(question))
    added = {stem(w) for w in words(answer) if w not in STOP and w not in DISCOURSE} - q_words
    return not added & (topical - q_words)
