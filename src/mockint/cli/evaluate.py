"""``mockint eval`` and ``mockint calibrate``: measure a grader against human grades, fit the score
mapping. The protocol lives in ``mockint.evaluation.protocol``; these only parse options and print."""

from __future__ import annotations

import random
from pathlib import Path

import typer

from mockint import config as cfg
from mockint.cli.options import (
    BaseUrlOpt,
    CorpusOpt,
    HomeOpt,
    LLMOpt,
    ModelOpt,
    out,
    progress_bar,
)
from mockint.cli.options import load_runtime as _runtime
from mockint.evaluation.probes import HELD_OUT_SETS
from mockint.evaluation.scores import EvalRun

FIT_SETS = ["eval/datasets/judge-train:pairs", "eval/datasets/interview-graded.jsonl:mockint"]
FitOpt = typer.Option(
    FIT_SETS,
    "--fit",
    help="PATH[:FORMAT] of human-graded answers on the 0-10 scale the score mapping is fitted on "
    "(refitted in each fold with --protocol cv; repeatable; format guessed from the name).",
)
FoldsOpt = typer.Option(
    None,
    "--folds-dir",
    help="The cross-validation's judgement models (default build/judge-cv, from make train-judge-cv).",
)
DatasetOpt = typer.Option(
    ...,
    "--dataset",
    help="PATH[:FORMAT] of human-graded answers (repeatable). "
    "FORMAT: mockint | pairs | mohler | semeval | saf (guessed from the name).",
)
ProtocolOpt = typer.Option(
    "cv",
    "--protocol",
    help="cv: out-of-fold judgement models and score mappings (for sets the model was trained on); "
    "shipped: the shipped model and mapping (for sets it never saw).",
)
LimitOpt = typer.Option(
    0, "--limit", min=0, help="Grade a seeded random sample of N answers per set (0 = all)."
)
ProbesOpt = typer.Option(
    True, "--probes/--no-probes", help="Run the tuning probes and the held-out probe set."
)
ProbeNOpt = typer.Option(
    0, "--probe-n", min=0, help="Answers per probe (0 = 60 offline, 12 with an LLM)."
)
NameOpt = typer.Option(
    "", "--name", help="Dataset name in the report (one --dataset only; default: file name)."
)


def calibrate_cmd(
    fit: list[str] = FitOpt,
    folds_dir: Path = FoldsOpt,
    output: Path = typer.Option(
        None, "-o", "--output", help="Parameter file (default: the shipped score-map.json)."
    ),
    form: str = typer.Option(
        "core_floor",
        "--form",
        help="core_floor (the rubric's arithmetic, at least 5.5 when an essential point is stated "
        "outright and none contradicted; nothing fitted; shipped) | arithmetic (the rubric's "
        "arithmetic alone) | trees (monotone boosted trees fitted on the fit sets).",
    ),
    home: Path | None = HomeOpt,
) -> None:
    """Measure every form of the score mapping (judgements -> 0-10) against human grades, and save
    the one chosen with --form and how it was measured.

    The judgements come from the cross-validation's models, each on answers to questions it never
    saw, so the numbers say what the shipped model gives on new answers."""
    from mockint.evaluation.protocol import DEFAULT_FOLDS, Protocol, calibrate
    from mockint.grading.scoring import FORMS, PARAMS

    if form not in FORMS:
        raise typer.BadParameter(
            f"{form!r} is not a form; use one of: {', '.join(FORMS)}", param_hint="--form"
        )

    protocol = Protocol(
        _runtime(home),
        cv=True,
        folds_dir=folds_dir or DEFAULT_FOLDS,
        fit_specs=fit,
        progress=progress_bar,
    )
    smap, cv = calibrate(protocol, form)
    if protocol.folds.partial:
        out.print(
            f"[yellow]only {len(protocol.folds.judges)} of {protocol.folds.total} fold models are trained: "
            "fitted on the answers to their questions[/yellow] "
            + ", ".join(f"{n} {k}/{t}" for n, (k, t) in protocol.coverage.items())
        )
    for f, sets in cv.items():
        for name, m in sets.items():
            out.print(
                f"{f:<10} {name}: out-of-fold Pearson {m['pearson']:.3f}, MAE {m['mae']:.3f}, "
                f"RMSE {m['rmse']:.3f} (0-10)"
            )
    smap.save(output or PARAMS)
    out.print(
        f"form {form}, {smap.fitted_on['answers']} answers of the fit sets -> {output or PARAMS}"
    )


def eval_cmd(
    dataset: list[str] = DatasetOpt,
    grader: str = typer.Option("offline", "--grader", help="offline | llm | hybrid"),
    protocol: str = ProtocolOpt,
    folds_dir: Path = FoldsOpt,
    fit: list[str] = FitOpt,
    limit: int = LimitOpt,
    seed: int = typer.Option(0, "--seed", help="Seed for sampling and bootstrap."),
    probes: bool = ProbesOpt,
    probe_n: int = ProbeNOpt,
    out_dir: Path = typer.Option(Path("eval/reports"), "--out", help="Report folder."),
    name: str = NameOpt,
    llm: str | None = LLMOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Measure a grader against human grades; writes Markdown, JSON and PNG plots per dataset."""
    from mockint.evaluation.protocol import DEFAULT_FOLDS, Protocol, evaluate, load_specs
    from mockint.evaluation.reports import write_report

    if protocol not in ("cv", "shipped"):
        raise cfg.ConfigError(f"unknown protocol {protocol!r}", fix="use --protocol cv or shipped")
    if name and len(dataset) > 1:
        raise cfg.ConfigError("--name names one dataset", fix="drop --name, or give one --dataset")
    rt = _runtime(home, corpus, llm=llm, model=model, base_url=base_url)
    proto = Protocol(
        rt,
        cv=protocol == "cv",
        folds_dir=folds_dir or DEFAULT_FOLDS,
        fit_specs=fit,
        progress=progress_bar,
    )
    g = rt.make_grader(grader)
    for set_name, items in load_specs(dataset, rt.by_id):
        items = proto.usable(name or set_name, items)
        if limit and limit < len(items):
            items = random.Random(seed).sample(items, limit)
        run = evaluate(
            rt, name or set_name, items, g, proto, seed=seed, probes=probes, probe_n=probe_n
        )
        _print_run(run, write_report(run, out_dir))


def _print_run(run: EvalRun, path: Path) -> None:
    m = run.metrics
    p = m["pearson"]
    out.print(
        f"{run.dataset} / {run.grader}: n={m['n']} Pearson {p['value']:.3f} "
        f"[{p['ci_low']:.3f}, {p['ci_high']:.3f}] Spearman {m['spearman']['value']:.3f} "
        f"MAE {m['mae']['value']:.3f} -> {path}"
    )
    for part, v in m.get("labels", {}).items():
        if "roc_auc" in v:
            means = ", ".join(f"{lab} {b['mean']}" for lab, b in v["by_label"].items())
            out.print(
                f"  {part}: AUC {v['roc_auc']:.3f}, macro-F1 at 7 {v['macro_f1_at_7']:.3f}, {means}"
            )
    for kind, v in run.breakdown.get("graded_as", {}).items():
        out.print(
            f"  graded as {kind}: n={v['n']} Pearson {v['pearson']:.3f} MAE {v['mae']:.2f}"
            + (
                " (coding-round problems: their code is run; words get no test credit)"
                if kind == "code"
                else ""
            )
        )
    for number, (key, _, _) in enumerate(HELD_OUT_SETS, start=1):
        held = run.probes.get(key) if run.probes else None
        if held:
            out.print(f"  held-out probes, set {number} ({held['file']}): {held['all']}")


def register(app: typer.Typer) -> typer.Typer:
    """Add ``calibrate`` and ``eval`` to ``app`` (a second call does nothing)."""
    have = {c.name for c in app.registered_commands}
    if "calibrate" not in have:
        app.command("calibrate")(calibrate_cmd)
    if "eval" not in have:
        app.command("eval")(eval_cmd)
    return app
