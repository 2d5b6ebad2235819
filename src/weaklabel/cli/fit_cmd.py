"""``weaklabel fit`` and ``weaklabel predict``: label models on votes -> probabilistic labels."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import (NO_VOTES, THREADS_HELP, app, err, fmt_frac, lf_rows_shown, n_rows, out, parse_params,
                      print_json, quiet_compiles, safe, use_threads, user_errors)

FIT_EXAMPLES = """
[bold]Examples[/]

  weaklabel fit votes.parquet -o labels.parquet
  weaklabel fit votes.parquet -o labels.parquet --model ds --save-model model.json
  weaklabel fit votes.parquet -o labels.parquet --dev gold.parquet --label-col label --model auto
  weaklabel fit votes.parquet -o labels.parquet --model mc --class-balance 0.2,0.8 -p l2=0.01
  weaklabel fit votes.parquet -o train.parquet --keep-cols text --data reviews.parquet --drop-unlabeled
  weaklabel fit big_votes.parquet -o labels.parquet --stream            # bounded memory, any size
  weaklabel fit votes_dask -o labels_dask --engine dask                 # LocalCluster, one worker per core
  weaklabel fit /shared/votes -o /shared/labels --engine dask --scheduler tcp://10.0.0.5:8786
"""

PREDICT_EXAMPLES = """
[bold]Examples[/]

  weaklabel predict model.json new_votes.parquet -o new_labels.parquet
  weaklabel predict model.json /shared/votes -o /shared/labels --engine dask --scheduler tcp://10.0.0.5:8786
"""

# every name of weaklabel.models.MODELS (tests/test_first_hour.py checks), written out so that --help
# does not import the models
MODEL_HELP = ("auto (the default: hybrid, or majority vote where a label-free check says majority vote predicts "
              "the votes clearly better; with --dev that choice unless another model, or a correction learned from the "
              "dev rows, is clearly better out of fold), hybrid "
              "(the robust model auto uses), ds, onecoin, mc, triplet, weighted or majority.")


def _lf_table_of(model, lf_names, coverage, emp_acc, title, rows=None):
    """The estimated-accuracy table; ``rows``: the LF positions shown (default: every one)."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    cols = ["LF", "coverage", "est. accuracy"]
    has_gold = emp_acc is not None
    if has_gold:
        cols.append("dev accuracy")
    modelled = getattr(model, "abstain_modelled_", None)
    if modelled is not None:
        cols.append("abstain")
    weights = getattr(model, "weights_", None)
    if weights is not None:
        cols.append("weight")
    for c in cols:
        table.add_column(c, justify="left" if c == "LF" else "right")
    acc = getattr(model, "accuracies_", None)
    # accuracies a model could not estimate (triplet on one-class LFs) are not shown as numbers,
    # nor those of LFs that never vote (the model's prior: a warning names them; --json keeps it)
    ident = getattr(getattr(model, "model_", model), "identified_", None)
    for j in (range(len(lf_names)) if rows is None else rows):
        name = lf_names[j]
        est = fmt_frac(acc[j]) if acc is not None else "-"
        if acc is not None and not coverage[j] > 0:
            est = NO_VOTES
        elif ident is not None and not ident[j]:
            est = "n/a"
        row = [safe(name), fmt_frac(coverage[j]), est]
        if has_gold:
            row.append(fmt_frac(emp_acc[j]))
        if modelled is not None:
            row.append("modelled" if modelled[j] else "ignored")
        if weights is not None:
            row.append(f"{weights[j]:.2f}")
        table.add_row(*row)
    return table


@app.command("fit", epilog=FIT_EXAMPLES)
def fit_command(
    votes: Path = typer.Argument(..., help="votes.parquet written by `weaklabel apply`."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write labels.parquet."),
    model: str = typer.Option("auto", "--model", "-m", help=MODEL_HELP),
    dev: Path = typer.Option(None, "--dev", help="Gold labels: a table matched to VOTES by id, or labelled dev votes."),
    label_col: str = typer.Option("label", "--label-col", help="Label column in --dev."),
    class_balance: str = typer.Option(None, "--class-balance", help="Fix the class balance, e.g. 0.3,0.7."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Model hyper-parameter NAME=VALUE (repeatable)."),
    ties: str = typer.Option("random", "--ties", help="Ties in the hard label: random (seeded) or abstain "
                                                       "(majority vote also: uniform)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (tie-breaking, restarts); same seed, same bytes."),
    fill_unlabeled: str = typer.Option("none", "--fill-unlabeled",
                                       help="Rows where every LF abstained: none (label -1) or prior (most likely class)."),
    save_model: Path = typer.Option(None, "--save-model", help="Also write the fitted model as JSON."),
    keep_cols: str = typer.Option(None, "--keep-cols", help="Comma-separated columns of the data file to carry into "
                                                            "the labels (joined by id, or by position without ids), "
                                                            "e.g. text."),
    data: Path = typer.Option(None, "--data", help="--keep-cols: the data file VOTES was made from (default: the "
                                                   "input recorded in VOTES, looked up beside VOTES and here)."),
    drop_unlabeled: bool = typer.Option(False, "--drop-unlabeled", help="Leave out rows without a label (label -1: "
                                                                        "every LF abstained, or a tie with --ties "
                                                                        "abstain): the output trains a model as is."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    engine: str = typer.Option("local", "--engine", help="local (this machine) or dask (a Dask cluster; labels are "
                                                         "written as a folder of part files)."),
    stream: bool = typer.Option(None, "--stream/--no-stream",
                                help="--engine local: re-read VOTES in row blocks on every pass (bounded memory) "
                                     "or load it; default: stream when it would take over half the free memory."),
    batch_size: int = typer.Option(None, "--batch-size", help="--stream: rows per block (default: ~64 MB of votes)."),
    scheduler: str = typer.Option(None, "--scheduler", help="--engine dask: scheduler address (tcp://HOST:PORT); "
                                                           "default: a LocalCluster of --jobs workers."),
    jobs: int = typer.Option(0, "-j", "--jobs", help="--engine dask without --scheduler: LocalCluster workers "
                                                     "(0 = all cores)."),
    partition_rows: int = typer.Option(None, "--partition-rows",
                                       help="--engine dask: rows per partition / part file (default 1,000,000)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the fit summary as JSON."),
    all_lfs: bool = typer.Option(False, "--all-lfs", help="Show every LF in the table (above 100 LFs, e.g. a crowd's "
                                 "workers, it shows the 40 that vote on the most rows)."),
) -> None:
    """Fit a label model on a vote matrix and write probabilistic labels (prob_*, label, confidence)."""
    with user_errors(quiet):
        if quiet:
            quiet_compiles()
        from ..fit import fit_file, plan_run

        plan_args = dict(engine=engine, stream=stream, scheduler=scheduler, jobs=jobs or None,
                         partition_rows=partition_rows, block_rows=batch_size)
        use_threads(threads)
        plan = plan_run(votes, dev=dev is not None, **plan_args)
        if plan.mode == "stream" and plan.reason.startswith("an in-memory") and not (quiet or as_json):
            err.print(f"streaming {safe(votes)} from disk: {plan.reason} (--no-stream loads it)", highlight=False)
        progress = _PassProgress(not (quiet or as_json) and plan.mode != "memory")
        try:
            res = fit_file(votes, output, model, params=parse_params(param), dev=dev, label_col=label_col,
                           class_balance=class_balance, seed=seed, ties=ties, fill_unlabeled=fill_unlabeled,
                           keep_cols=keep_cols, data=data, drop_unlabeled=drop_unlabeled, force=force,
                           save_model=save_model, progress=progress, plan=plan, **plan_args)
        finally:
            progress.stop()
        _print_summary(res, quiet, as_json, drop_unlabeled, all_lfs)


def _print_summary(res, quiet: bool, as_json: bool, drop_unlabeled: bool, all_lfs: bool = False) -> None:
    """Print a :class:`~weaklabel.fit.FitSummary`: JSON, or the LF table and the closing lines."""
    lm = res.model
    summary = res.to_dict()
    noted = _print_warnings(summary, quiet)
    if as_json:
        print_json(summary)
        return
    if quiet:
        return
    rows, shown = lf_rows_shown(res.coverage, all_lfs)
    out.print(_lf_table_of(lm, res.lf_names, res.coverage, res.dev_lf_accuracy,
                           f"{type(lm).__name__}: estimated LF accuracies", rows))
    if shown:
        out.print(shown, highlight=False)
    classes = res.classes or [str(k) for k in range(int(lm.cardinality_))]
    bal = "  ".join(f"{safe(c)}: {p:.3f}" for c, p in zip(classes, lm.class_balance_))
    out.print(f"class balance: {bal}", highlight=False)
    conv = "converged" if summary["converged"] else "did NOT converge"
    if res.mode == "memory":
        line = f"fit in {res.fit_seconds:.2f} s, {summary['n_iter']} iterations, {conv}"
        if res.dev_accuracy is not None:
            line += (f"; in-sample accuracy on the {res.dev_voted:,} of {res.dev_rows:,} dev rows with votes it was "
                     f"fitted with (optimistic: the out-of-fold figure is the one to trust): {res.dev_accuracy:.3f}")
    else:
        how = f"{res.partitions} Dask partitions" if res.mode == "dask" else "streamed from disk"
        line = (f"fit in {res.fit_seconds:.2f} s ({how}, {res.passes} passes over the votes in {res.seconds:.1f} s), "
                f"{summary['n_iter']} iterations, {conv}")
    out.print(line, highlight=False)
    report = getattr(lm, "report_", None)
    if report is not None and not noted:
        out.print(f"auto: {safe(report.get('reason', ''))}", highlight=False)
    kind = " (folder)" if res.mode == "dask" else (" (file)" if res.mode == "stream" else "")
    if drop_unlabeled:   # the file holds the labelled rows only: say so first
        counts = (f"{n_rows(res.labelled, 'labelled rows')} of {res.rows:,} ({res.labelled / max(res.rows, 1):.1%}); "
                  f"{n_rows(res.rows - res.labelled, 'unlabelled rows')} left out")
    else:
        counts = f"{n_rows(res.rows)}, {res.labelled:,} labelled ({res.labelled / max(res.rows, 1):.1%})"
    err.print(f"wrote {safe(res.output)}{kind}: {counts}{tied_note(res.tied, res.labelled)}", highlight=False)


def tied_note(tied: int, labelled: int) -> str:
    """What the 'wrote ...' line adds when some hard labels are draws among tied classes: a fall-back
    to majority vote can leave a third of the rows so, and a user training on them should know."""
    if not tied:
        return ""
    return (f"; {tied:,} of them ({tied / max(labelled, 1):.1%}) are ties, their label drawn at random among the "
            f"tied classes (--ties abstain leaves them unlabelled)")


class _PassProgress:
    """A rich progress bar per pass over the votes (``start(label, total)``, ``advance(rows)``)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and err.is_terminal   # off a terminal a bar only leaves a blank line
        self.prog = None
        self.task = None

    def start(self, label: str, total: int) -> None:
        if not self.enabled:
            return
        if self.prog is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.prog = Progress(TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("rows"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=err, transient=True)
            self.prog.start()
            self.task = self.prog.add_task(label, total=total)
        else:
            self.prog.reset(self.task, total=total, description=label)

    def advance(self, rows: int) -> None:
        if self.prog is not None:
            self.prog.advance(self.task, rows)

    def stop(self) -> None:
        if self.prog is not None:
            self.prog.stop()
            self.prog = None


def _print_warnings(summary: dict, quiet: bool) -> bool:
    """A model that cannot be trusted says so on stderr (``--json`` carries the same lines).
    Returns whether the selection note was printed."""
    from rich.markup import escape

    if quiet:
        return False
    sel = summary.get("selection")
    noted = bool(sel and sel.get("model") == "majority" and sel.get("criticism") is not None)
    if noted:
        err.print(f"[yellow]note:[/] {escape(sel['reason'])}", highlight=False)
    for w in summary.get("warnings", []):
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    return noted


@app.command("predict", epilog=PREDICT_EXAMPLES)
def predict_command(
    model_file: Path = typer.Argument(..., help="model.json written by `weaklabel fit --save-model`."),
    votes: Path = typer.Argument(..., help="votes.parquet with the same LFs."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write labels.parquet."),
    ties: str = typer.Option(None, "--ties", help="Ties in the hard label: random (seeded) or abstain (majority "
                                                  "vote: also uniform, as in fit). Default: the model's own (random "
                                                  "unless it was fitted with --ties)."),
    fill_unlabeled: str = typer.Option("none", "--fill-unlabeled", help="none (label -1) or prior."),
    engine: str = typer.Option("local", "--engine", help="local or dask (labels written as a folder of part files)."),
    stream: bool = typer.Option(None, "--stream/--no-stream",
                                help="--engine local: read VOTES in row blocks (bounded memory) or load it; "
                                     "default: stream when it would take over half the free memory."),
    batch_size: int = typer.Option(None, "--batch-size", help="--stream: rows per block (default: ~64 MB of votes)."),
    scheduler: str = typer.Option(None, "--scheduler", help="--engine dask: scheduler address (tcp://HOST:PORT)."),
    jobs: int = typer.Option(0, "-j", "--jobs", help="--engine dask without --scheduler: LocalCluster workers."),
    partition_rows: int = typer.Option(None, "--partition-rows", help="--engine dask: rows per partition."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUTPUT."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Apply a saved label model to new votes and write probabilistic labels."""
    with user_errors(quiet):
        if quiet:
            quiet_compiles()
        from ..fit import predict_file

        use_threads(threads)
        progress = _PassProgress(not (quiet or as_json))
        try:
            res = predict_file(model_file, votes, output, ties=ties, fill_unlabeled=fill_unlabeled, force=force,
                               engine=engine, stream=stream, scheduler=scheduler, jobs=jobs or None,
                               partition_rows=partition_rows, block_rows=batch_size, progress=progress,
                               extra_metadata={"votes_file": Path(votes).name, "model_file": Path(model_file).name})
        finally:
            progress.stop()
        if as_json:
            print_json({"output": str(output), "model": res["model"], "rows": res["rows"],
                        "labelled_rows": res["labelled"], "tied_rows": int(res.get("tied", 0)),
                        "class_balance": res["class_balance"], "rows_without_votes": res["rows_without_votes"],
                        "ignored_lfs": res["ignored_lfs"],
                        "engine": "dask" if res["mode"] == "dask" else "local",
                        "stream": res["mode"] == "stream"})
        elif not quiet:
            if res["ignored_lfs"]:
                shown = ", ".join(safe(n) for n in res["ignored_lfs"][:5]) + (" ..." if len(res["ignored_lfs"]) > 5 else "")
                err.print(f"[yellow]note:[/] {len(res['ignored_lfs'])} LF column(s) of {safe(votes)} the model was not "
                          f"fitted with are not used: {shown}", highlight=False)
            err.print(f"wrote {safe(output)}: {n_rows(res['rows'])}, {res['labelled']:,} labelled with "
                      f"{res['model']} from {safe(model_file)}{tied_note(int(res.get('tied', 0)), res['labelled'])}",
                      highlight=False)
