"""Two compared things swapped: "Unsupervised learning trains on labelled input-output pairs."

The judgement model reads an answer as a bag of claims about the topic: with the two things a
question compares exchanged throughout, 18 correct answers kept their score (7.94 -> 7.97, none
<= 3, ``eval/reports/swaps.md``), although an interviewer gives that answer 1-2. So the grader looks
for it lexically, and asks the model only what it is good at, whether a sentence states a point's
content:

- the pairs: the two things the question compares ("between A and B", "A vs B", "compare A and
  B", "are A and B the same", "define A and B", "both A and B", with the abbreviations in
  brackets: "an autoencoder (AE) and a variational autoencoder (VAE)"), and the two key points,
  when exactly two, that open with "A <word>" and "B <word>" (Extractive summarization /
  Abstractive summarization);
- a key point about A (it names A, not B, and does not itself set A against something: no
  "whereas", "unlike", "but") is *swapped* when the answer's clause (sentences are
  also cut at "while", "whereas", "but") sharing most of its other content words names B, before
  any of those words, and not A; shares at least three of them and more than anything the answer
  says of A (its clauses, and its sentences but the one holding that clause); holds no negation
  ("not", "unlike", "instead": such a clause often says what B lacks); and the model, reading that
  clause alone, says it states the point (entailed + partly >= 0.5).

Tried and dropped: letting the model alone find the point in a clause about B worded differently
from the point. Its credit for a short clause is unreliable (it found the z-score point in a
min-max clause) and moves with the other premises in its int8 batch; it cut a correct answer of
the third slice to 3, and guarded enough not to, it caught next to nothing more.

A swapped point counts as contradicted (an essential one caps the answer at 3, ``guards.py``), and
its quote is that sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from mockint.text import STOP, content_words, sentences, stem

MIN_SHARED = 3  # content words a swapped sentence shares with the point (besides the two names)
STATES = 0.5  # entailed + partly the model must give the sentence for the point
NEGATION = re.compile(
    r"\b(not|no|never|without|unlike|instead|rather|neither|nor|lacks?|cannot)\b|n't\b", re.I
)
CLAUSE = re.compile(
    r",?\s+(?:while|whereas|but)\s+|,\s+(?:and\s+)?(?=\w+\s+(?:is|are|uses?|"
    r"makes?|gives?|keeps?|works?|measures?)\b)",
    re.I,
)
# a key point that itself sets the one thing against the other ("..., whereas a dense layer needs a
# fixed input size") is about both: a clause about the other can state it rightly
TWO_SIDED = re.compile(
    r"\b(?:whereas|while|unlike|but|rather than|instead of|compared (?:to|with))\b", re.I
)
_SIDES = (
    r"between (?:the )?(.+?) and (?:the )?(.+?)(?:[?.,:;]|$)",
    r"(\S+(?: \S+)?) (?:vs\.?|versus) (\S+(?: \S+)?)",
    r"compare (?:the )?(.+?) (?:and|with|to) (?:the )?(.+?)(?:[?.,:;]|$)",
    # "Are A and B the same?", "Define A and B", "What are A and B, ...", "Both A and B ..."
    r"\b(?:are|define|explain|describe|both|how do) (?:the |a |an )?([^,;:?.]+?) and "
    r"(?:the |a |an )?([^,;:?.]+?)(?: the same| differ| in | allow|[?.,:;]|$)",
    r"what is (?:the |a |an )?([^,;:?.]+?),? and how is it different from (?:the |a |an )?([^,;:?.]+)",
)
SIDE_WORDS = (
    4  # a side with more words (but function words) than this is a clause, not the name of a thing
)
# words that say what kind of thing a side is, not which one ("a model that minimizes squared error
# and one that minimizes absolute error": squared / absolute)
_GENERIC = {
    "model",
    "models",
    "one",
    "ones",
    "method",
    "methods",
    "approach",
    "network",
    "networks",
    "layer",
    "layers",
    "algorithm",
    "technique",
    "using",
    "use",
    "minimizes",
    "minimize",
    "based",
    "pros",
    "cons",
    "advantages",
    "disadvantages",
    "similarities",
    "differences",
    "strengths",
    "weaknesses",
}
_OPENERS = {"the", "a", "an", "it", "this", "that", "each", "both", "its", "their", "they"}


def compared(question: str) -> tuple[str, str] | None:
    """The two things a question compares, each as the first word of its side that the other side
    lacks ("Bernoulli and binomial distributions" -> Bernoulli, binomial); None when it compares
    nothing.

    >>> compared("What is the difference between supervised and unsupervised learning?")
    ('supervised', 'unsupervised')
    >>> compared("L1 vs L2 regularization: when would you use each?")
    ('L1', 'L2')
    >>> compared("Are multicollinearity and correlation the same?")
    ('multicollinearity', 'correlation')
    >>> compared("What is overfitting?") is None
    True
    """
    found = compared_all(question)
    return found[0] if found else None


def _short(side: str) -> bool:
    return sum(w.lower() not in STOP for w in side.split()) <= SIDE_WORDS


def compared_all(question: str) -> list[tuple[str, str]]:
    """``compared``'s pair, then the pairs its sides' abbreviations in brackets give ("an
    autoencoder (AE) and a variational autoencoder (VAE)" -> (AE, variational), (AE, VAE)).

    >>> compared_all("What are some differences between a CNN and a fully connected network (FCNN/FFNN)?")
    [('CNN', 'fully'), ('CNN', 'FCNN'), ('CNN', 'FFNN')]
    >>> compared_all("What is the difference between a model that minimizes squared error and one that "
    ...              "minimizes absolute error?")
    [('squared', 'absolute')]
    """
    for i, pattern in enumerate(_SIDES):
        m = re.search(pattern, question, re.I)
        if m and (i < 3 or all(_short(g) for g in m.groups())):
            break
    else:
        return []
    sides = [re.sub(r"\(.*?\)", " ", g) for g in m.groups()]
    a, b = (re.findall(r"[\w\-]+", g) for g in sides)
    la, lb = {w.lower() for w in a}, {w.lower() for w in b}
    sa = [w for w in a if w.lower() not in STOP | lb | _GENERIC]
    sb = [w for w in b if w.lower() not in STOP | la | _GENERIC]
    alias_a, alias_b = (re.findall(r"\(([^)]*)\)", g) for g in m.groups())
    names_a = sa[:1] + [x for al in alias_a for x in re.findall(r"[\w\-]+", al)]
    names_b = sb[:1] + [x for al in alias_b for x in re.findall(r"[\w\-]+", al)]
    out = []
    for x in names_a:
        for y in names_b:
            if _key(x) != _key(y) and (x, y) not in out:
                out.append((x, y))
    return out


def contrast_pairs(question: str, points: Sequence[str]) -> list[tuple[str, str]]:
    """The question's compared pair, and pairs of key points opening "A w" / "B w".

    >>> contrast_pairs("What is text summarization?", ["Extractive summarization selects "
    ...     "sentences.", "Abstractive summarization writes new text.", "It is evaluated with ROUGE."])
    [('Extractive', 'Abstractive')]
    """
    pairs = compared_all(question)
    by_second: dict[str, list[str]] = {}  # "summarization" -> [Extractive, Abstractive]
    for p in points:
        head = re.findall(r"[\w\-]+", p)[:2]
        if len(head) == 2 and head[0].lower() not in _OPENERS | STOP:
            firsts = by_second.setdefault(head[1].lower(), [])
            if head[0].lower() not in {f.lower() for f in firsts}:
                firsts.append(head[0])
    # exactly two: with three (batch / stochastic / mini-batch) a point's words fit its neighbours
    pairs += [(f[0], f[1]) for f in by_second.values() if len(f) == 2]
    seen, out = set(), []
    for a, b in pairs:
        key = frozenset((_key(a), _key(b)))
        if key not in seen:
            seen.add(key)
            out.append((a, b))
    return out


def exchanged(text: str, a: str, b: str) -> tuple[str, int]:
    """``text`` with every whole-word ``a`` and ``b`` exchanged (a capital kept), and how many.

    >>> exchanged("Bagging averages; boosting reweights. bagging", "bagging", "boosting")
    ('Boosting averages; bagging reweights. boosting', 3)
    """
    pat = re.compile(rf"\b({re.escape(a)}|{re.escape(b)})\b", re.I)

    def other(m: re.Match) -> str:
        w = m.group(0)
        t = b if w.lower() == a.lower() else a
        return t[:1].upper() + t[1:] if w[:1].isupper() and not t[:1].isupper() else t

    return pat.sub(other, text), len(pat.findall(text))


def _key(term: str) -> str:
    """What a name is matched by: the stem of its first word ("fully-connected" -> "ful")."""
    ws = re.findall(r"[A-Za-z0-9]+", term.lower())
    return stem(ws[0]) if ws else ""


def _names(text: str, term: str, *, loose: bool = False) -> bool:
    """Whether ``text`` names ``term``: by its first word, or (``loose``) by any part of a hyphenated
    name ("several heads" names "Multi-head"); the check is loose about the point's own thing, so
    a clause that may name it is never read as stating the point of the other.

    >>> _names("running several heads in parallel", "Multi-head"), _names("several heads", "Multi-head", loose=True)
    (False, True)
    """
    said = set(content_words(text))
    parts = re.findall(r"[A-Za-z0-9]+", term.lower()) if loose else [term]
    keys = {_key(p) for p in parts if p}
    return any(k in said or k + "s" in said for k in keys)  # "CNNs": a stem keeps 4-letter plurals


def _leads(sentence: str, term: str, shared: set[str]) -> bool:
    """Whether ``term`` comes before every word the sentence shares with the point: the sentence is
    about it ("Online learning trains on the whole dataset"), not merely ending on it ("... and
    eta=1 behaves like DDPM")."""
    ws = content_words(sentence)
    k = _key(term)
    first = ws.index(k) if k in ws else ws.index(k + "s")
    return all(w not in shared for w in ws[:first])


def _units(answer: str) -> tuple[list[str], list[str]]:
    """The answer's sentences, and its clauses (sentences cut at "while", "whereas", "but")."""
    whole = sentences(answer)
    return whole, [c.strip() for s in whole for c in CLAUSE.split(s) if c.strip()]


def candidates(
    answer: str, question: str, points: Sequence[str], pairs: Sequence[tuple[str, str]]
) -> dict[str, str]:
    """Point -> the answer's sentence that states it of the other thing (the lexical part; the
    model still has to agree that the sentence states the point).

    >>> candidates("Unsupervised learning trains on labeled input-output pairs to predict outputs.",
    ...     "What is the difference between supervised and unsupervised learning?",
    ...     ["Supervised learning trains on labeled input-output pairs to predict outputs."],
    ...     [("supervised", "unsupervised")])
    {'Supervised learning trains on labeled input-output pairs to predict outputs.': 'Unsupervised learning trains on labeled input-output pairs to predict outputs.'}
    """
    whole, units = _units(answer)
    asked = set(content_words(question))
    out: dict[str, str] = {}
    for point in points:
        for a, b in pairs:
            if _names(point, a) == _names(point, b) or TWO_SIDED.search(point):
                continue
            own, other = (a, b) if _names(point, a) else (b, a)
            names = {_key(own), _key(other)}
            target = set(content_words(point)) - asked - names
            found, n = "", 0
            for s in units:
                if _names(s, other) and not _names(s, own, loose=True) and not NEGATION.search(s):
                    shared = target & set(content_words(s))
                    if len(shared) > n and _leads(s, other, shared):
                        found, n = s, len(shared)
            # what the answer says of A: its clauses, and its whole sentences but the one holding B's
            own_units = units + [s for s in whole if found not in s]
            best_own = max(
                (len(target & set(content_words(s))) for s in own_units if _names(s, own)),
                default=0,
            )
            if found and n >= MIN_SHARED and n > best_own:
                out[point] = found
                break
    return out


def swapped_points(
    answer: str,
    question: str,
    points: Sequence[str],
    states: Callable[[list[tuple[str, str]]], list[float]],
) -> dict[str, str]:
    """Point -> the sentence that states it of the other compared thing, for every point the lexical
    check finds (``candidates``) and ``states`` (the model: entailed + partly of (point, sentence)
    pairs) confirms. ``question`` is the corpus question's own wording (a candidate's free-text
    question may not name the pair)."""
    pairs = contrast_pairs(question, points)
    if not pairs:
        return {}
    found = candidates(answer, question, points, pairs)
    if not found:
        return {}
    credit = states(list(found.items()))
    return {p: s for (p, s), c in zip(found.items(), credit) if c >= STATES}
