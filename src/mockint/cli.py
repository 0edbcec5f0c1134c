"""The ``mockint`` command: a thin Typer adapter over the library.

Each command resolves a ``Config`` (flags > environment > config file > defaults), builds
a ``Runtime`` and calls one library function. A ``MockintError`` becomes one line on
stderr and exit code 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import config as cfg
from . import llm as llm_mod
from .errors import MockintError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Mock interviews for ML / data-science roles, graded against curated reference answers.")
corpus_app = typer.Typer(no_args_is_help=True, help="Build the corpus from the source page, or import your own questions.")
app.add_typer(corpus_app, name="corpus")
out = Console()
err = Console(stderr=True)

from .cli_options import BaseUrlOpt, ChromaOpt, CorpusOpt, HomeOpt, LLMOpt, ModelOpt  # noqa: E402
from .cli_options import load_runtime as _runtime  # noqa: E402


def progress_bar(label: str):
    """A rich progress bar on stderr; returns (context manager, callback(done, total))."""
    bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


@corpus_app.command("build")
def corpus_build(
    source: Path = typer.Option(None, help="Source page (default corpus/source/interview-questions.md)."),
    curation: Path = typer.Option(None, help="Folder of curation YAML files (default corpus/curation)."),
    output: Path = typer.Option(None, "-o", "--output", help="Where to write (default corpus/questions.jsonl)."),
) -> None:
    """Parse the source page + curation into corpus/questions.jsonl (byte-identical on rebuild)."""
    from .corpus import build_corpus, load_curation, parse_source, write_jsonl

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
    out.print(f"{len(entries)} headings -> {len(questions)} questions ({merged} duplicates merged) -> {output}")


@corpus_app.command("import")
def corpus_import(
    file: Path = typer.Argument(..., help="Markdown (## Section / ### Question), CSV or JSONL with question, answer."),
    output: Path = typer.Option(None, "-o", "--output", help="Questions JSONL to write (default <home>/corpus/<name>.jsonl)."),
    section: str = typer.Option("Imported", help="Section name for CSV/JSONL records."),
    home: Optional[Path] = HomeOpt,
) -> None:
    """Import your own question set; records without key points get them extracted (rubric: auto)."""
    from .corpus import write_jsonl
    from .corpus_import import import_file

    conf = cfg.Config.load(home=home)
    questions, warnings = import_file(file, section=section)
    output = output or conf.home / "corpus" / f"{file.stem}.jsonl"
    output.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(questions, output)
    for w in warnings:
        err.print(f"[yellow]warning[/]: {w}")
    auto = sum(q.rubric == "auto" for q in questions)
    out.print(f"imported {len(questions)} questions ({auto} with auto-extracted rubrics) -> {output}")
    out.print(f"use it with: mockint --corpus {output} … or MOCKINT_CORPUS={output}")


@app.command("index")
def index_cmd(home: Optional[Path] = HomeOpt, corpus: Optional[Path] = CorpusOpt,
              chroma_url: Optional[str] = ChromaOpt) -> None:
    """Embed the corpus into Chroma; unchanged documents are not re-embedded."""
    rt = _runtime(home, corpus, chroma_url)
    bar, update = progress_bar("embedding")
    with bar:
        report = rt.ensure_index(progress=update)
    out.print(report.summary())


@app.command("search")
def search_cmd(
    text: str = typer.Argument("", help="What to look for, in your own words (omit to type queries one per line)."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="How many questions."),
    topic: list[str] = typer.Option([], "--topic", help="Only these topics (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    home: Optional[Path] = HomeOpt, corpus: Optional[Path] = CorpusOpt, chroma_url: Optional[str] = ChromaOpt,
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
    rows = [{"id": h.qid, "similarity": h.similarity, "matched": h.matched,
             "question": rt.by_id[h.qid].question if h.qid in rt.by_id else ""} for h in hits]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("similarity", "id", "question")
    for r in rows:
        table.add_row(f"{r['similarity']:.3f}", r["id"], r["question"])
    out.print(table)


@app.command("grade")
def grade_cmd(
    input: Path = typer.Argument(..., help="CSV or JSONL with columns question (corpus id or free text) and answer; optional id, reference."),
    output: Path = typer.Option(None, "-o", "--output", help="Graded file, .jsonl or .csv (default INPUT.graded.<ext>)."),
    grader: str = typer.Option("auto", "--grader", help="offline | llm | hybrid | auto (hybrid if an LLM is configured, else offline)."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, max=32, help="Parallel LLM requests."),
    llm: Optional[str] = LLMOpt, model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt,
    home: Optional[Path] = HomeOpt, corpus: Optional[Path] = CorpusOpt,
) -> None:
    """Grade a file of written answers. Re-running skips rows already graded the same way.

    Exit code 0 when every row was graded, 2 when some rows are error rows (see the summary)."""
    from .batch import default_output, grade_file, summary_page
    rt = _runtime(home, corpus, llm=llm, model=model, base_url=base_url)
    output = output or default_output(input)
    g = rt.make_grader(grader, concurrency=concurrency)
    backend = llm_mod.describe_model(getattr(g, "model", None), rt.config)
    err.print(f"grader: {g.name}; {backend}")  # described from the grader: no second client is built
    if rt.index.count() == 0:
        rt.ensure_index()
    bar, update = progress_bar("grading")
    with bar:
        result = grade_file(input, output, rt, g, progress=update)
    summary = summary_page(result, rt, output)
    out.print(f"{result.graded} graded, {result.skipped} already done, {result.errors} error rows -> {output} "
              f"(summary: {summary})")
    if result.errors:
        raise typer.Exit(2)


def _datasets(specs: list[str], rt) -> list[tuple[str, list]]:
    """``PATH[:FORMAT]`` specs -> [(name, items)]; the format defaults from the file name."""
    from .datasets import load_dataset

    out = []
    for spec in specs:
        path_s, _, fmt = spec.rpartition(":") if ":" in spec else (spec, "", "")
        path = Path(path_s or spec)
        fmt = fmt or ("mohler" if "mohler" in path.name.lower() else "semeval" if path.suffix == ".xml" or path.is_dir()
                      else "mockint")
        out.append((path.stem, load_dataset(path, fmt, rt.by_id)))
    return out


@app.command("calibrate")
def calibrate_cmd(
    dataset: list[str] = typer.Option(..., "--dataset", help="PATH[:FORMAT] of human-graded answers; repeatable "
                                      "(FORMAT mockint|mohler|semeval, guessed from the name when omitted)."),
    output: Path = typer.Option(None, "-o", "--output", help="Parameter file (default: the shipped offline-v2.json)."),
    folds: int = typer.Option(10, "--folds", min=2, help="Grouped folds for the cross-validated numbers stored with it."),
    home: Optional[Path] = HomeOpt,
) -> None:
    """Fit the offline grader's score calibration on human grades and save it with how it was fitted.

    With several datasets, each is cross-validated by question with the others in every fit."""
    from . import metrics
    from .calibration import DEFAULT_PARAMS
    from .evaluation import fit_calibration, offline_cross_validated

    rt = _runtime(home)
    sets = _datasets(dataset, rt)
    grader = rt.offline_grader()
    cv = {"folds": folds, "grouped_by": "question"}
    for name, items in sets:
        others = [it for n, its in sets if n != name for it in its]
        grades = offline_cross_validated(grader, items, folds, seed=0, extra=others)
        pred, human = [g.score for g in grades], [it.human for it in items]
        cv[name] = {"pearson": round(metrics.pearson(pred, human), 4), "rmse_0_10": round(metrics.rmse(pred, human), 4)}
        out.print(f"{name}: grouped {folds}-fold CV Pearson {cv[name]['pearson']:.3f}, RMSE {cv[name]['rmse_0_10']:.3f} (0-10)")
    cal = fit_calibration(grader, [it for _, its in sets for it in its], datasets=[n for n, _ in sets], cv=cv)
    cal.save(output or DEFAULT_PARAMS)
    out.print(f"fitted on {cal.fitted_on['answers']} answers / {cal.fitted_on['questions']} questions "
              f"-> {output or DEFAULT_PARAMS}")


@app.command("eval")
def eval_cmd(
    dataset: Path = typer.Option(..., "--dataset", help="Human-graded answers (file, or folder for SemEval)."),
    fmt: str = typer.Option("mockint", "--format", help="mockint | mohler | semeval"),
    grader: str = typer.Option("offline", "--grader", help="offline | llm | hybrid"),
    folds: int = typer.Option(0, "--folds", min=0, help="Grouped k-fold by question (refits the calibration); 0 = shipped calibration."),
    also_fit: list[str] = typer.Option([], "--also-fit", help="PATH[:FORMAT] of other graded sets added to every fold's fit (repeatable)."),
    limit: int = typer.Option(0, "--limit", min=0, help="Grade a seeded random sample of N answers (0 = all)."),
    seed: int = typer.Option(0, "--seed", help="Seed for sampling, folds and bootstrap."),
    probes: bool = typer.Option(True, "--probes/--no-probes", help="Run injection / stuffing / echo / padding probes."),
    probe_n: int = typer.Option(0, "--probe-n", min=0, help="Answers per probe (0 = 60 offline, 12 with an LLM)."),
    out_dir: Path = typer.Option(Path("eval/reports"), "--out", help="Report folder."),
    name: str = typer.Option("", "--name", help="Dataset name in the report (default: file name)."),
    llm: Optional[str] = LLMOpt, model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt,
    home: Optional[Path] = HomeOpt, corpus: Optional[Path] = CorpusOpt,
) -> None:
    """Measure a grader against human grades; writes Markdown, JSON and PNG plots."""
    import random

    from .datasets import load_dataset
    from .evaluation import EvalRun, offline_cross_validated, run_probes, score_metrics, task_for
    from .reports import write_report

    rt = _runtime(home, corpus, llm=llm, model=model, base_url=base_url)
    items = load_dataset(dataset, fmt, rt.by_id)
    if limit and limit < len(items):
        items = random.Random(seed).sample(items, limit)
    g = rt.make_grader(grader)
    grade_fn = g.grade_many
    offline_oof = None
    if folds:
        extra = [it for _, its in _datasets(also_fit, rt) for it in its]
        offline_oof = offline_cross_validated(rt.offline_grader(), items, folds, seed, extra=extra)
        plus = f" plus all of {', '.join(also_fit)} (other questions)" if also_fit else ""
        protocol = (f"Grouped {folds}-fold cross-validation by question: the calibration is refitted on the "
                    f"other folds{plus}, so every score is for a question unseen in fitting (out-of-fold numbers).")
        if grader == "offline":
            grades = offline_oof
        else:
            from .evaluation import llm_with_offline

            bar, update = progress_bar("grading")
            with bar:
                grades = llm_with_offline(g, items, offline_oof, progress=update)
            protocol += (" The LLM grader's evidence part is that out-of-fold offline grade; the LLM itself is "
                         "not fitted.")
    else:
        grades = []
        bar, update = progress_bar("grading")
        with bar:
            for i in range(0, len(items), 32):
                grades += grade_fn([task_for(it) for it in items[i:i + 32]])
                update(min(i + 32, len(items)), len(items))
        fitted = ", ".join(g.calibration.fitted_on.get("datasets", [])) if hasattr(g, "calibration") else ""
        protocol = (f"Shipped calibration, fitted on: {fitted}. If that includes this set, these numbers are "
                    "in-sample: use --folds for honest ones." if fitted else "No fitting involved.")
    label = name or (dataset.stem if dataset.is_file() else dataset.name)
    grader_label = g.name if g.name == "offline" else f"{g.name} {g.model.name}"
    run = EvalRun(grader=grader_label, dataset=label, protocol=protocol, items=items, grades=grades)
    score_metrics(run, seed=seed)
    if offline_oof is not None and g.name != "offline":  # the offline grader on the very same answers
        from . import metrics as metrics_mod

        same = metrics_mod.score_report([x.score for x in offline_oof], [it.human for it in items], seed=seed)
        run.metrics["offline_same_items"] = {k: same[k] for k in ("pearson", "rmse", "qwk") if k in same}
    if probes:
        is_llm = g.name != "offline"
        run.probes = run_probes(grade_fn, items, seed=seed, stability_runs=5 if is_llm else 2,
                                per_probe=probe_n or (12 if is_llm else 60),
                                regrade_fn=g.without_cache().grade_many if is_llm else None)
    path = write_report(run, out_dir, anchors_key=fmt)
    m = run.metrics
    out.print(f"{label} / {g.name}: n={m['n']} Pearson {m['pearson']['value']:.3f} "
              f"[{m['pearson']['ci_low']:.3f}, {m['pearson']['ci_high']:.3f}] RMSE {m['rmse']['value']:.3f} "
              f"QWK {m['qwk']['value']:.3f} -> {path}")
    if run.probes:
        p = run.probes
        out.print(f"probes: injection success {p['injection_success_overall']:.1%}, stuffing mean "
                  f"{p['keyword_stuffing']['mean']}, echo mean {p['question_echo']['mean']}")


@app.command("config")
def config_cmd(markdown: bool = typer.Option(False, "--markdown", help="Print the settings table as Markdown."),
               home: Optional[Path] = HomeOpt) -> None:
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
    out.print(f"-> LLM backend in use: {llm_mod.backend_kind(conf)} (order: --llm / MOCKINT_LLM, then an API key or "
              "base URL, then the local model if installed, then none)", markup=False, highlight=False, soft_wrap=True)


from .cli_interview import register as _register_interview  # noqa: E402

_register_interview(app)

from .cli_ui import register as _register_ui  # noqa: E402

_register_ui(app)


def main() -> None:
    try:
        app()
    except MockintError as exc:
        err.print(f"[red]error[/]: {exc.render()}", markup=True, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
