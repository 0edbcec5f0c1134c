"""(question, premise, answer) -> token ids for the cross-encoder; the same code trains and serves.

Layout: ``[CLS] question [SEP] premise [SEP] answer [SEP]``, segment 0 up to the second
``[SEP]``, segment 1 for the answer. The premise is a key point (or a whole reference answer, or a
red flag). The question is cut to ``Q_MAX`` tokens and the premise to ``P_MAX``; an answer longer
than what is left is split into windows at sentence ends (``windows``), each judged on its own.
Tokenisation is the packaged MiniLM's ``tokenizer.json`` through ``tokenizers`` (no transformers
import at run time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Q_MAX, P_MAX, MAX_LEN = 40, 128, 320


@dataclass
class Encoded:
    input_ids: list[int]
    token_type_ids: list[int]


class PairEncoder:
    def __init__(self, tokenizer_json: Path, max_len: int = MAX_LEN):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_json))
        self.tok.no_truncation()
        self.tok.no_padding()
        self.max_len = max_len
        self.cls = self.tok.token_to_id("[CLS]")
        self.sep = self.tok.token_to_id("[SEP]")
        self.pad = self.tok.token_to_id("[PAD]")

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Word-piece ids of each text, no special tokens."""
        return [e.ids for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def head(self, question: str, premise: str) -> list[int]:
        q, p = self.ids([question, premise])
        return [self.cls] + q[:Q_MAX] + [self.sep] + p[:P_MAX] + [self.sep]

    def room(self, head: list[int]) -> int:
        """How many answer tokens fit after ``head``."""
        return self.max_len - len(head) - 1

    def pair(self, head: list[int], answer_ids: list[int]) -> Encoded:
        a = answer_ids[: self.room(head)]
        return Encoded(head + a + [self.sep], [0] * len(head) + [1] * (len(a) + 1))

    def windows(self, answer: str, room: int) -> list[list[int]]:
        """The answer's ids in windows of at most ``room`` tokens, cut at sentence ends (a sentence
        longer than a window is cut where the window ends). One window when it all fits."""
        whole = self.ids([answer])[0]
        if len(whole) <= room:
            return [whole]
        parts = [p for p in re.split(r"(?<=[.!?;])\s+|\n+", answer) if p.strip()]
        out: list[list[int]] = []
        current: list[int] = []
        for ids in self.ids(parts):
            while len(ids) > room:  # one very long sentence
                if current:
                    out.append(current)
                    current = []
                out.append(ids[:room])
                ids = ids[room:]
            if len(current) + len(ids) > room:
                out.append(current)
                current = []
            current = current + ids
        if current:
            out.append(current)
        return out


def batch_arrays(encoded: list[Encoded], pad: int) -> dict[str, np.ndarray]:
    """Padded int64 arrays for a batch."""
    n = max(len(e.input_ids) for e in encoded)
    ids = np.full((len(encoded), n), pad, dtype=np.int64)
    types = np.zeros((len(encoded), n), dtype=np.int64)
    mask = np.zeros((len(encoded), n), dtype=np.int64)
    for i, e in enumerate(encoded):
        ids[i, : len(e.input_ids)] = e.input_ids
        types[i, : len(e.token_type_ids)] = e.token_type_ids
        mask[i, : len(e.input_ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
