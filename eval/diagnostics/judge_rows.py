"""Diagnose: mapping vs raw credit on out-of-fold judgements (2 trained folds)."""

import pickle
from pathlib import Path

import numpy as np

from mockint.cli.evaluate import FIT_SETS
from mockint.config import Config
from mockint.evaluation.protocol import Protocol, load_specs
from mockint.runtime import Runtime

rt = Runtime(Config.load())
proto = Protocol(rt, cv=True, fit_specs=FIT_SETS)
S = "../shared/data/asag/"
sets = {}
for spec in [
    S + "semeval2013/train.jsonl:semeval",
    S + "saf/train.jsonl:saf",
    S + "mohler.jsonl:mohler",
    "eval/datasets/concise-heldout.jsonl:mockint",
]:
    name, items = load_specs([spec], rt.by_id)[0]
    items = proto.usable(name, items)
    sets[name] = proto.judged(name, items)
for n, j in proto.fit_sets:
    sets[n] = j
out = {}
for n, j in sets.items():
    X, y, has = j.rows()
    out[n] = (X, y, has, np.array(j.folds), [it.label for it in j.items])
Path("build/diag-rows.pkl").write_bytes(pickle.dumps(out))
print("saved", {n: len(v[1]) for n, v in out.items()})
