"""The ``mockint`` command: a thin Typer adapter over the library.

Each command resolves a ``Config`` (flags > environment > config file > defaults), builds
a ``Runtime`` and calls one library function. A ``MockintError`` becomes one line on
stderr and exit code 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from mockint import config as cfg
from mockint import llm as llm_mod
from mockint.errors import MockintError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Mock interviews for ML / data-science roles, graded against curated reference answers.",
)
corpus_app = typer.Typer(
    no_args_is_help=True,
    help="Build the corpus from the source page, or import your own questions.",
)
app.add_typer(corpus_app, name="corpus")
out = Console()
err = Console(stderr=True)

from mockint.cli.options import BaseUrlOpt, ChromaOpt, CorpusOpt, HomeOpt, LLMOpt, ModelOpt  # noqa: E402
from mockint.cli.options import load_runtime as _runtime  # noqa: E402


def progress_bar(label: str):
    """A rich progress bar on stderr; returns (context manager, callback(done, total))."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


@corpus_app.command("build")
def corpus_build(
    source: Path = typer.Option(
        None, help="Source page (default corpus/source/interview-questions.md)."
    ),
    curation: Path = typer.Option(
        None, help="Folder of curation YAML files (default corpus/curation)."
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Where to write (default corpus/questions.jsonl)."
    ),
) -> None:
    """Parse the source page + curation into corpus/questions.jsonl (byte-identical on rebuild)."""
    from mockint.corpus.build import build_corpus, load_curation, parse_source
    from mockint.corpus.schema import write_jsonl

    root = cfg.packaged_path("corpus")
    source = source or root / "source" / "interview-questions.md"
    curation = curation or root / "curation"
    output = output or root / "questions.jsonl"
    if not source.exists():
        raise MockintError("source page not found", where=str(source), fix="pass --source PATH")
    entries = parse_source(source.read_text(encoding="utf-8"), origin=str(source))
    questions = build_corpus(entries, load_curation(curation))
    write_jsonl(questions, output)
    merged = sum(len(q.merged_ids) for q in questions)
    out.print(
        f"{len(entries)} headings -> {len(questions)} questions ({merged} duplicates merged) -> {output}"
    )


@corpus_app.command("import")
def corpus_import(
    file: Path = typer.Argument(
        ..., help="Markdown (## Section / ### Question), CSV or JSONL with question, answer."
    ),
    output: Path = typer.Option(
        None,
        "-o",
        "--output",
        help="Questions JSONL to write (default <home>/corpus/<name>.jsonl).",
    ),
    section: str = typer.Option("Imported", help="Section name for CSV/JSONL records."),
    home: Path | None = HomeOpt,
) -> None:
    """Import your own question set; records without key points get them extracted (rubric: auto)."""
    from mockint.corpus.importing import import_file
    from mockint.corpus.schema import write_jsonl

    conf = cfg.Config.load(home=home)
    questions, warnings = import_file(file, section=section)
    output = output or conf.home / "corpus" / f"{file.stem}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(questions, output)
    for w in warnings:
        err.print(f"[yellow]warning[/]: {w}")
    auto = sum(q.rubric == "auto" for q in questions)
    out.print(
        f"imported {len(questions)} questions ({auto} with auto-extracted rubrics) -> {output}"
    )
    out.print(f"use it with: mockint --corpus {output} … or MOCKINT_CORPUS={output}")


@app.command("index")
def index_cmd(
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
    chroma_url: str | None = ChromaOpt,
) -> None:
    """Embed the corpus into Chroma; unchanged documents are not re-embedded."""
    rt = _runtime(home, corpus, chroma_url)
    bar, update = progress_bar("embedding")
    with bar:
        report = rt.ensure_index(progress=update)
    out.print(report.summary())


@app.command("search")
def search_cmd(
    text: str = typer.Argument(
        "", help="What to look for, in your own words (omit to type queries one per line)."
    ),
    k: int = typer.Option(5, "--k", min=1, max=50, help="How many questions."),
    topic: list[str] = typer.Option([], "--topic", help="Only these topics (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
    chroma_url: str | None = ChromaOpt,
) -> None:
    """Print the corpus questions closest to TEXT, with ids and similarity."""
    rt = _runtime(home, corpus, chroma_url)
    if rt.index.count() == 0:
        rt.ensure_index()
    if not text.strip():
        err.print("Type what you want to practise (empty line or Ctrl-D to quit).")
        for line in sys.stdin:
            if not line.strip():
                break
            _print_hits(rt, line.strip(), k, topic, as_json)
        return
    _print_hits(rt, text, k, topic, as_json)


def _print_hits(rt, text: str, k: int, topic: list[str], as_json: bool) -> None:
    hits = rt.index.search(text, k=k, topics=topic)
    rows = [
        {
            "id": h.qid,
            "similarity": h.similarity,
            "matched": h.matched,
            "question": rt.by_id[h.qid].question if h.qid in rt.by_id else "",
        }
        for h in hits
    ]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("similarity", "id", "question")
    for r in rows:
        table.add_row(f"{r['similarity']:.3f}", r["id"], r["question"])
    out.print(table)


@app.command("grade")
def grade_cmd(
    input: Path = typer.Argument(
        ...,
        help="CSV or JSONL with columns question (corpus id or free text) and answer; optional id, reference.",
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Graded file, .jsonl or .csv (default INPUT.graded.<ext>)."
    ),
    grader: str = typer.Option(
        "auto",
        "--grader",
        help="offline | llm | hybrid | auto (hybrid if an LLM is configured, else offline).",
    ),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=32, help="Parallel LLM requests."
    ),
    llm: str | None = LLMOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Grade a file of written answers. Re-running skips rows already graded the same way.

    Exit code 0 when every row was graded, 2 when some rows are error rows (see the summary)."""
    from mockint.grading.batch import default_output, grade_file, summary_page

    rt = _runtime(home, corpus, llm=llm, model=model, base_url=base_url)
    output = output or default_output(input)
    g = rt.make_grader(grader, concurrency=concurrency)
    backend = llm_mod.describe_model(g.model, rt.config)
    err.print(
        f"grader: {g.name}; {backend}"
    )  # described from the grader: no second client is built
    if rt.index.count() == 0:
        rt.ensure_index()
    bar, update = progress_bar("grading")
    with bar:
        result = grade_file(input, output, rt, g, progress=update)
    summary = summary_page(result, rt, output)
    out.print(
        f"{result.graded} graded, {result.skipped} already done, {result.errors} error rows -> {output} "
        f"(summary: {summary})"
    )
    if result.errors:
        raise typer.Exit(2)


FIT_SETS = ["eval/datasets/judge-train:pairs", "eval/datasets/interview-graded.jsonl:mockint"]


@app.command("calibrate")
def calibrate_cmd(
    fit: list[str] = typer.Option(
        FIT_SETS,
        "--fit",
        help="PATH[:FORMAT] of human-graded answers on the 0-10 scale "
        "to fit the score mapping on (repeatable; format guessed from the name).",
    ),
    folds_dir: Path = typer.Option(
        None,
        "--folds-dir",
        help="The cross-validation's judgement models "
        "(default build/judge-cv, from make train-judge-cv).",
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Parameter file (default: the shipped score-map.json)."
    ),
    home: Path | None = HomeOpt,
) -> None:
    """Fit the score mapping (judgements -> 0-10) on human grades and save it with how it was fitted.

    The judgements come from the cross-validation's models, each on answers to questions it never
    saw, so the mapping learns what the shipped model says about new answers."""
    from mockint.evaluation.protocol import DEFAULT_FOLDS, Protocol, calibrate
    from mockint.grading.scoring import PARAMS

    rt = _runtime(home)
    protocol = Protocol(
        rt, cv=True, folds_dir=folds_dir or DEFAULT_FOLDS, fit_specs=fit, progress=progress_bar
    )
    smap, cv = calibrate(protocol)
    for name, m in cv.items():
        out.print(
            f"{name}: out-of-fold Pearson {m['pearson']:.3f}, MAE {m['mae']:.3f}, RMSE {m['rmse']:.3f} (0-10)"
        )
    smap.save(output or PARAMS)
    out.print(f"fitted on {smap.fitted_on['answers']} answers -> {output or PARAMS}")


@app.command("eval")
def eval_cmd(
    dataset: list[str] = typer.Option(
        ...,
        "--dataset",
        help="PATH[:FORMAT] of human-graded answers (repeatable). "
        "FORMAT: mockint | pairs | mohler | semeval | saf (guessed from the name).",
    ),
    grader: str = typer.Option("offline", "--grader", help="offline | llm | hybrid"),
    protocol: str = typer.Option(
        "cv",
        "--protocol",
        help="cv: out-of-fold judgement models and score mappings "
        "(for sets the model was trained on); shipped: the shipped model and mapping.",
    ),
    folds_dir: Path = typer.Option(
        None,
        "--folds-dir",
        help="The cross-validation's judgement models "
        "(default build/judge-cv, from make train-judge-cv).",
    ),
    fit: list[str] = typer.Option(
        FIT_SETS,
        "--fit",
        help="PATH[:FORMAT] the score mapping is refitted on in each "
        "fold (--protocol cv; repeatable).",
    ),
    limit: int = typer.Option(
        0, "--limit", min=0, help="Grade a seeded random sample of N answers per set (0 = all)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for sampling and bootstrap."),
    probes: bool = typer.Option(
        True, "--probes/--no-probes", help="Run the tuning probes and the held-out probe set."
    ),
    probe_n: int = typer.Option(
        0, "--probe-n", min=0, help="Answers per probe (0 = 60 offline, 12 with an LLM)."
    ),
    out_dir: Path = typer.Option(Path("eval/reports"), "--out", help="Report folder."),
    name: str = typer.Option(
        "", "--name", help="Dataset name in the report (one --dataset only; default: file name)."
    ),
    llm: str | None = LLMOpt,
    model: str | None = ModelOpt,
    base_url: str | None = BaseUrlOpt,
    home: Path | None = HomeOpt,
    corpus: Path | None = CorpusOpt,
) -> None:
    """Measure a grader against human grades; writes Markdown, JSON and PNG plots per dataset."""
    import random

    from mockint.evaluation.protocol import DEFAULT_FOLDS, Protocol, evaluate, load_specs
    from mockint.evaluation.reports import write_report

    if protocol not in ("cv", "shipped"):
        raise cfg.ConfigError(
            f"unknown protocol {protocol!r}", fix="use --protocol cv or --protocol shipped"
        )
    if name and len(dataset) > 1:
        raise cfg.ConfigError("--name names one dataset", fix="drop --name, or give one --dataset")
    rt = _runtime(home, corpus, llm=llm, model=model, base_url=base_url)
    sets = load_specs(dataset, rt.by_id)
    proto = Protocol(
        rt,
        cv=protocol == "cv",
        folds_dir=folds_dir or DEFAULT_FOLDS,
        fit_specs=fit,
        progress=progress_bar,
    )
    g = rt.make_grader(grader)
    for set_name, items in sets:
        if limit and limit < len(items):
            items = random.Random(seed).sample(items, limit)
        run = evaluate(
            rt, name or set_name, items, g, proto, seed=seed, probes=probes, probe_n=probe_n
        )
        path = write_report(run, out_dir)
        m = run.metrics
        out.print(
            f"{run.dataset} / {g.name}: n={m['n']} Pearson {m['pearson']['value']:.3f} "
            f"[{m['pearson']['ci_low']:.3f}, {m['pearson']['ci_high']:.3f}] Spearman {m['spearman']['value']:.3f} "
            f"MAE {m['mae']['value']:.3f} -> {path}"
        )
        for part, v in m.get("labels", {}).items():
            if "roc_auc" in v:
                out.print(
                    f"  {part}: AUC {v['roc_auc']:.3f}, macro-F1 at 7 {v['macro_f1_at_7']:.3f}, "
                    + ", ".join(f"{lab} {b['mean']}" for lab, b in v["by_label"].items())
                )
        held = run.probes.get("held_out") if run.probes else None
        if held:
            out.print(f"  held-out probes: {held['all']}")


@app.command("config")
def config_cmd(
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the settings table as Markdown."
    ),
    home: Path | None = HomeOpt,
) -> None:
    """Show the resolved settings (the API key is only shown as set / not set)."""
    if markdown:
        out.print(cfg.settings_table(), markup=False)
        return
    conf = cfg.Config.load(home=home)
    for s in cfg.SETTINGS:
        value = getattr(conf, s.name)
        if s.name == "api_key":
            value = "(set)" if value else "(not set)"
        out.print(f"{s.name} = {value}", markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"-> LLM backend in use: {llm_mod.backend_kind(conf)} (order: --llm / MOCKINT_LLM, then an API key or "
        "base URL, then the local model if installed, then none)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


from mockint.cli.interview import register as _register_interview  # noqa: E402

_register_interview(app)

from mockint.cli.ui import register as _register_ui  # noqa: E402

_register_ui(app)


def main() -> None:
    try:
        app()
    except MockintError as exc:
        err.print(f"[red]error[/]: {exc.render()}", markup=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
