"""Matching a batch row's question typed in shorthand (``search/shorthand.py``), before and after.
Two sets of rewordings of the 190 questions of slices 10-13, matched through the index as
``mockint grade`` matches a row (the packaged MiniLM, ``match_threshold``):

- ``wordings/asked-10-13.jsonl`` (a helper's own wording, mostly full sentences): **in-sample** —
  its six unmatched rows ("Explain backprop.", "What's the CLT?", ...) were read before the table
  was written;
- ``wordings/terse-10-13.jsonl`` (another helper, told to write 2-10 words with the shorthand
  practitioners use): **held out** — committed unread after the table froze.

Rule, committed with the table before the held-out set was first matched: keep the expansion if on
the held-out set more rewordings match their own question and no more match another one, and the
in-sample set matches no fewer of its own. Writes eval/reports/shorthand.md (about 1 minute):

    .venv/bin/python eval/diagnostics/shorthand.py
"""

import json
from pathlib import Path

import mockint.search.index as index
from mockint.config import Config
from mockint.runtime import Runtime

SETS = [
    ("asked-10-13", "in-sample"),
    ("terse-10-13", "held out"),
]
OUT = Path("eval/reports/shorthand.md")


def outcomes(rt: Runtime, rows: list[dict]) -> dict[str, int]:
    out = {"own": 0, "other": 0, "none": 0}
    for r in rows:
        q, _ = rt.resolve_question(r["asked"])
        out["none" if q is None else "own" if q.id == r["question_id"] else "other"] += 1
    return out


def main() -> None:
    rt = Runtime(Config.load())
    expand = index.expand
    lines = [
        "# Questions typed in shorthand: matching before and after spelling it out",
        "",
        "Written by `eval/diagnostics/shorthand.py` (the rule is in its docstring).",
        "",
        "| set | what it is for the table | rewordings | own question: before → after |"
        " another question | none (ungradable) |",
        "|---|---|---|---|---|---|",
    ]
    got = {}
    for name, role in SETS:
        path = Path("eval/datasets/wordings") / f"{name}.jsonl"
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        index.expand = lambda text: text
        try:
            before = outcomes(rt, rows)
        finally:
            index.expand = expand
        after = outcomes(rt, rows)
        got[name] = (before, after)
        cells = " | ".join(f"{before[k]} → {after[k]}" for k in ("own", "other", "none"))
        lines.append(f"| {name} | {role} | {len(rows)} | {cells} |")
    (hb, ha), (ib, ia) = got["terse-10-13"], got["asked-10-13"]
    keep = ha["own"] > hb["own"] and ha["other"] <= hb["other"] and ia["own"] >= ib["own"]
    lines += ["", f"**Verdict: {'keep' if keep else 'drop'} the expansion.**", ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
