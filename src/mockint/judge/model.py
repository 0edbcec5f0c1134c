"""Run the judgement model offline: (question, premise, answer) triples -> status probabilities.

``OnnxJudge`` runs the shipped int8 ONNX file through onnxruntime (no torch), after checking it
against the sha256 its ``meta.json`` records, without the exporter's NaN guards (exported without
them; ``graph.fast_graph`` drops them from an older file: the same outputs, ~28% less time in
``bench/grading.md``). A long answer is
judged in windows (``encoding.PairEncoder.windows``) and the window that addresses the premise
most (lowest ``not_addressed``) speaks for the answer. Results are cached per triple and the
batch it ran in (an interview re-grades a follow-up against the same points). ``Judge`` is the protocol the
graders use; tests pass a deterministic fake (``tests/fakes.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from mockint.errors import ConfigError
from mockint.judge import LABELS
from mockint.judge.encoding import PairEncoder, batch_arrays
from mockint.judge.graph import fast_graph

SHIPPED = Path(__file__).resolve().parents[1] / "params" / "judge"
Triple = tuple[str, str, str]  # (question, premise, answer)


class Judge(Protocol):
    name: str
    version: str  # changes whenever the model's judgements may change

    def predict(self, triples: Sequence[Triple]) -> np.ndarray:
        """(n, 4) probabilities of entailed / partly / contradicted / not_addressed."""
        ...


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def exact_int8_needed(features: dict | None = None) -> bool:
    """Whether onnxruntime needs its exact int8 kernel here to judge as every other CPU does.

    On x86 without VNNI (AVX2; AVX-512 before Cascade Lake) onnxruntime's fast int8 product (U8S8)
    adds pairs of products in 16-bit registers that saturate: an answer's probabilities moved by up
    to 0.05 (Haswell and Skylake-Server under qemu against a Xeon with VNNI). The exact kernel
    (``session.x64quantprecision``) gives the VNNI result there. With VNNI the fast kernel is
    already exact, and the setting would only cost time (1.8x in bench/grading.md on a Sapphire
    Rapids Xeon), so it is set only where it is needed. The CPU is asked through numpy's own CPUID probe, which sees what
    the processor (or an emulator) reports; other architectures use other kernels.

    >>> exact_int8_needed({"AVX2": True, "AVX512VNNI": False}), exact_int8_needed({"AVX512VNNI": True})
    (True, False)
    """
    if features is None:
        if platform.machine().lower() not in {"x86_64", "amd64", "x86", "i386", "i686"}:
            return False
        try:
            from numpy._core._multiarray_umath import __cpu_features__ as features
        except ImportError:  # cannot tell: the exact kernel is right everywhere
            return True
    return not (features.get("AVX512VNNI") or features.get("AVXVNNI"))


class OnnxJudge:
    def __init__(
        self,
        model_path: Path,
        encoder: PairEncoder | None = None,
        *,
        threads: int = 0,
        batch_size: int = 16,
        cache_size: int = 50_000,
        verify: bool = True,
    ):
        import onnxruntime as ort

        data = read_model(model_path, verify=verify)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 2
        opts.inter_op_num_threads = 1
        if exact_int8_needed():
            opts.add_session_config_entry("session.x64quantprecision", "1")
        try:
            self.session = ort.InferenceSession(
                fast_graph(data), opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime's own errors name no file
            raise ConfigError(
                f"the judgement model cannot be loaded: {str(e).splitlines()[0][:200]}",
                where=str(model_path),
                fix="reinstall mockint, or rebuild it with 'make train-judge'",
            ) from e
        self.encoder = encoder or PairEncoder(model_path.parent / "tokenizer.json")
        self.batch_size = batch_size
        self.name = model_path.parent.name if model_path.parent != SHIPPED else "mockint-judge"
        self.version = model_card(model_path.parent).get("sha256", "")[:12] or f"{len(data)}"
        self._cache: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # One model call at a time: each already uses every core, and several at once (concurrent
        # web sessions) only oversubscribe them.
        self._run_lock = threading.Lock()

    def predict(self, triples: Sequence[Triple]) -> np.ndarray:
        out = np.zeros((len(triples), len(LABELS)), dtype=np.float32)
        # a pair's probabilities depend on the batch it ran in (see ``_run``: one batch per
        # (question, answer), holding the premises asked for it), so the cache keys a result by
        # that batch's premises too: a value computed beside other premises is never handed out
        # for a call that asks a different set
        asked: dict[tuple[str, str], set[str]] = {}
        for q, premise, answer in triples:
            asked.setdefault((q, answer), set()).add(premise)
        batch = {k: "\0".join(sorted(v)) for k, v in asked.items()}
        key = lambda t: (batch[(t[0], t[2])], *t)  # noqa: E731
        todo: dict[Triple, list[int]] = {}
        with self._lock:
            # a (question, answer) with one pair missing (evicted) is judged whole again
            missed = {(t[0], t[2]) for t in triples if key(t) not in self._cache}
            for i, t in enumerate(triples):
                hit = None if (t[0], t[2]) in missed else self._cache.get(key(t))
                if hit is not None:
                    out[i] = hit
                else:
                    todo.setdefault(t, []).append(i)
        if todo:
            fresh = self._run(list(todo))
            with self._lock:
                for t, p in zip(todo, fresh):
                    for i in todo[t]:
                        out[i] = p
                    self._cache[key(t)] = p
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def _run(self, triples: list[Triple]) -> np.ndarray:
        """Probabilities for ``triples``. A batch only ever holds the pairs of one (question,
        answer): the int8 model quantises its activations with one scale per batch, so a pair's
        probabilities move with whatever else shares its batch (``bench/grading.md`` measures the
        score difference between an answer graded alone and in a batch); grouped this way an answer
        is judged the same alone, in a file of thousands, or twice in an interview."""
        enc = self.encoder
        heads: dict[tuple[str, str], list[int]] = {}
        groups: dict[tuple[str, str], list[int]] = {}  # (question, answer) -> item indices
        items = []  # (triple index, encoded window)
        for n, (q, premise, answer) in enumerate(triples):
            head = heads.get((q, premise))
            if head is None:
                head = heads[(q, premise)] = enc.head(q, premise)
            for window in enc.windows(answer, enc.room(head)):
                groups.setdefault((q, answer), []).append(len(items))
                items.append((n, enc.pair(head, window)))
        probs = np.zeros((len(items), len(LABELS)), dtype=np.float32)
        for members in groups.values():
            order = sorted(members, key=lambda i: (len(items[i][1].input_ids), i))
            for s in range(0, len(order), self.batch_size):
                idx = order[s : s + self.batch_size]
                feed = batch_arrays([items[i][1] for i in idx], enc.pad)
                with self._run_lock:
                    logits = self.session.run(None, feed)[0]
                probs[idx] = softmax(logits.astype(np.float32))
        out = np.zeros((len(triples), len(LABELS)), dtype=np.float32)
        best = np.full(len(triples), np.inf)
        for (n, _), p in zip(items, probs):
            if p[3] < best[n]:  # the window that addresses the premise most
                best[n], out[n] = p[3], p
        return out


def read_model(model_path: Path, *, verify: bool = True) -> bytes:
    """The model file's bytes, checked against the sha256 in its folder's ``meta.json`` when that
    card names one (``verify=False``: a file being written, as ``make train-judge`` compares its
    float and int8 exports before it writes the card)."""
    try:
        data = model_path.read_bytes()
    except OSError as e:
        raise ConfigError(
            f"the judgement model file cannot be read ({e.strerror or e})",
            where=str(model_path),
            fix="reinstall mockint, or rebuild it with 'make train-judge'",
        ) from e
    want = model_card(model_path.parent).get("sha256") if verify else None
    if want and hashlib.sha256(data).hexdigest() != want:
        raise ConfigError(
            "the judgement model does not match the sha256 its meta.json records "
            "(a damaged or replaced file)",
            where=str(model_path),
            fix="reinstall mockint (or git checkout the file), or rebuild it with 'make train-judge'",
        )
    return data


_SHARED: dict[str, OnnxJudge] = {}
_SHARED_LOCK = threading.Lock()


def shipped_judge(folder: Path = SHIPPED) -> OnnxJudge:
    """The packaged model, loaded once per process (every grader shares it and its cache)."""
    key = str(folder)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = OnnxJudge(folder / "judge.onnx")
        return _SHARED[key]


def model_card(folder: Path = SHIPPED) -> dict:
    """``meta.json`` of a judge folder ({} when absent)."""
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class OverlapJudge:
    """A deterministic stand-in for tests and demos (``MOCKINT_JUDGE_MODEL=overlap-fake``): the share
    of the premise's content words the answer uses decides entailed (≥ 0.6) / partly (≥ 0.3) / not
    addressed; a premise word next to "not"/"never"/"no" in the answer makes it contradicted.

    >>> j = OverlapJudge()
    >>> j.predict([("q", "stacks are last in first out", "A stack is last in, first out.")]).argmax(1).tolist()
    [0]
    >>> j.predict([("q", "stacks are last in first out", "Queues are fair.")]).argmax(1).tolist()
    [3]
    """

    name = "overlap-fake"
    version = "1"

    def predict(self, triples: Sequence[Triple]) -> np.ndarray:
        import re

        from mockint.grading.detectors import content_words

        out = np.zeros((len(triples), len(LABELS)), dtype=np.float32)
        for i, (_, premise, answer) in enumerate(triples):
            target = set(content_words(premise))
            said = content_words(answer)
            share = len(target & set(said)) / len(target) if target else 0.0
            negated = bool(
                re.search(
                    r"\b(not|never|no)\s+(\w+\s+)?("
                    + "|".join(map(re.escape, target or {"\x00"}))
                    + r")",
                    answer.lower(),
                )
            )
            if negated and share >= 0.3:
                out[i] = (0.05, 0.05, 0.85, 0.05)
            elif share >= 0.6:
                out[i] = (0.85, 0.1, 0.0, 0.05)
            elif share >= 0.3:
                out[i] = (0.15, 0.6, 0.0, 0.25)
            else:
                out[i] = (0.0, 0.05, 0.0, 0.95)
        return out


def make_judge(setting: str) -> Judge:
    """``packaged`` (the shipped model), ``overlap-fake`` (tests), or a folder with ``judge.onnx``."""
    if setting in ("", "packaged"):
        return shipped_judge()
    if setting == "overlap-fake":
        return OverlapJudge()
    folder = Path(setting).expanduser()
    if not (folder / "judge.onnx").is_file():
        raise ConfigError(
            f"no judge.onnx in {folder}",
            where="MOCKINT_JUDGE_MODEL",
            fix="point it at a folder written by 'make train-judge', or set it to 'packaged'",
        )
    return shipped_judge(folder)
