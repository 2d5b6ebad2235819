"""``weaklabel fit`` and ``weaklabel predict``: label models on votes -> probabilistic labels."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ._common import (THREADS_HELP, app, err, fmt_frac, out, parse_params, print_json, quiet_compiles, safe,
                      use_threads, user_errors)

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

FILL = ("none", "prior")

# every name of weaklabel.models.MODELS (tests/test_first_hour.py checks), written out so that --help
# does not import the models
MODEL_HELP = ("auto (the default: hybrid, or majority vote where a label-free check says majority vote predicts "
              "the votes clearly better; with --dev the best of the models by cross-validated dev accuracy), hybrid "
              "(the robust model auto uses), ds, onecoin, mc, triplet, weighted or majority.")


def _parse_balance(text: str | None, K: int):
    from ..errors import InputError

    if text is None:
        return None
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise InputError(f"--class-balance must be comma-separated numbers, got {text!r}") from None
    if len(values) != K or any(v <= 0 for v in values) or abs(sum(values) - 1) > 1e-3:
        raise InputError(f"--class-balance must be {K} positive numbers summing to 1, got {text!r}")
    return values


def _lf_table(model, vm, y, title):
    from ..votes.analysis import analyze

    stats = analyze(vm, y if y is not None and (y >= 0).any() else None)
    return _lf_table_of(model, vm.lf_names, stats["coverage"].to_numpy(),
                        stats["emp_acc"].to_numpy() if "emp_acc" in stats else None, title)


def _lf_table_of(model, lf_names, coverage, emp_acc, title):
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
    # accuracies a model could not estimate (triplet on one-class LFs) are not shown as numbers
    ident = getattr(getattr(model, "model_", model), "identified_", None)
    for j, name in enumerate(lf_names):
        est = fmt_frac(acc[j]) if acc is not None else "-"
        if ident is not None and not ident[j]:
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
) -> None:
    """Fit a label model on a vote matrix and write probabilistic labels (prob_*, label, confidence)."""
    with user_errors():
        if quiet:
            quiet_compiles()
        import numpy as np

        from ..errors import InputError
        from ..fitting import plan_run
        from ..votes.gold import load_dev
        from ..io import LABELS_FORMAT, check_distinct, check_output, output_group
        from ..labels import write_model_labels
        from ..models import MODELS, make_model, save_model as save
        from ..votes import VoteMatrix

        if fill_unlabeled not in FILL:
            raise InputError(f"--fill-unlabeled must be one of {', '.join(FILL)}, got {fill_unlabeled!r}")
        if model not in MODELS:
            raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
        allowed_ties = ("random", "abstain", "uniform") if model == "majority" else ("random", "abstain")
        if ties not in allowed_ties:
            raise InputError(f"--ties must be one of {', '.join(allowed_ties)} for --model {model}, got {ties!r}")
        _check_engine_options(engine, scheduler, partition_rows, jobs, batch_size, stream)
        use_threads(threads)
        if dev is not None and (engine == "dask" or stream):
            raise InputError("--dev needs the votes in memory (gold labels are matched row by row); "
                             "it cannot be combined with " + ("--engine dask" if engine == "dask" else "--stream"))
        extra = keep_cols is not None or drop_unlabeled
        if extra and (engine == "dask" or stream):
            raise InputError(("--keep-cols" if keep_cols is not None else "--drop-unlabeled") + " needs the votes in "
                             "memory; it cannot be combined with " + ("--engine dask" if engine == "dask" else "--stream"))
        if data is not None and keep_cols is None:
            raise InputError("--data is the file --keep-cols reads its columns from; pass --keep-cols too")
        check_distinct([votes, dev, data], [output, save_model])
        check_output(output, force, dataset_ok=True, dataset_formats=(LABELS_FORMAT,))
        if save_model is not None:
            check_output(save_model, force)
        plan = plan_run(votes, engine=engine, stream=False if dev is not None or extra else stream)
        K = plan.source.cardinality if plan.source is not None else None
        vm = None
        if plan.mode == "memory":
            vm = VoteMatrix.read_parquet(votes)
            K = vm.cardinality
        elif K is None:
            from ..votes.reader import VotesSource

            K = VotesSource(votes).cardinality
        params = parse_params(param)
        cls = MODELS[model]
        names = cls._param_names()
        if "random_state" in names:
            params.setdefault("random_state", seed)
        if model == "majority":
            params.setdefault("ties", ties)
        cb = _parse_balance(class_balance, K)
        if cb is not None:
            if "class_balance" not in names:
                raise InputError(f"--model {model} does not take a class balance")
            params["class_balance"] = cb
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise InputError(f"--model {model} has no parameter {unknown[0]!r} (parameters: {', '.join(names)})")
        lm = make_model(model, **params)
        if plan.mode != "memory":
            _fit_partitioned(lm, votes, output, plan, ties=ties, fill_unlabeled=fill_unlabeled, force=force,
                             save_model=save_model, scheduler=scheduler, jobs=jobs, partition_rows=partition_rows,
                             batch_size=batch_size, quiet=quiet, as_json=as_json)
            return
        kept = None
        if keep_cols is not None:
            from ..keep import kept_columns

            kept = kept_columns(vm, votes, keep_cols, data)
        fit_vm, y, n_main = (vm, None, vm.n_rows)
        if dev is not None:
            fit_vm, y, n_main = load_dev(vm, dev, label_col)
        t0 = time.perf_counter()
        lm.fit(fit_vm, y)
        fit_s = time.perf_counter() - t0
        with output_group():  # labels and model file appear together or not at all
            stats = write_model_labels(lm, vm, output, fill_unlabeled=fill_unlabeled, force=force, ties=ties,
                                       extra_metadata={"votes_file": Path(votes).name,
                                                       "dev_file": Path(dev).name if dev else None},
                                       extra_cols=kept, drop_unlabeled=drop_unlabeled)
            if save_model is not None:
                save(lm, save_model, force=force)
        classes = vm.classes or [str(k) for k in range(vm.cardinality)]
        dev_acc = None
        if y is not None:
            known = np.flatnonzero(y >= 0)
            pred = lm.predict(fit_vm.take(known), ties="random")
            dev_acc = float((pred == y[known]).mean())
        summary = {
            "output": str(output), "model": type(lm).__name__, "params": _plain(lm.get_params()),
            "rows": vm.n_rows, "labelled_rows": stats["labelled"], "fit_seconds": round(fit_s, 4),
            "class_balance": dict(zip(classes, map(float, lm.class_balance_))),
            "n_iter": int(getattr(lm, "n_iter_", 0)), "converged": bool(getattr(lm, "converged_", True)),
            "lfs": [{"name": n, "accuracy": float(a)} for n, a in
                    zip(vm.lf_names, getattr(lm, "accuracies_", [float("nan")] * vm.n_lfs))],
            "engine": "local", "stream": False,
        }
        if dev_acc is not None:
            summary["dev_rows"] = int((y >= 0).sum())
            summary["dev_accuracy_fitted"] = dev_acc
        report = _add_selection(summary, lm)
        noted = _print_warnings(summary, quiet)
        if as_json:
            print_json(summary)
            return
        if quiet:
            return
        out.print(_lf_table(lm, fit_vm, y, f"{type(lm).__name__}: estimated LF accuracies"))
        bal = "  ".join(f"{safe(c)}: {p:.3f}" for c, p in zip(classes, lm.class_balance_))
        out.print(f"class balance: {bal}", highlight=False)
        conv = "converged" if summary["converged"] else "did NOT converge"
        line = f"fit in {fit_s:.2f} s, {summary['n_iter']} iterations, {conv}"
        if dev_acc is not None:
            line += f"; accuracy on the {summary['dev_rows']} dev rows it was fitted with: {dev_acc:.3f}"
        out.print(line, highlight=False)
        if report is not None and not noted:
            out.print(f"auto: {safe(report.get('reason', ''))}", highlight=False)
        dropped = f"; {vm.n_rows - stats['labelled']:,} unlabelled rows left out" if drop_unlabeled else ""
        err.print(f"wrote {safe(output)}: {vm.n_rows:,} rows, {stats['labelled']:,} labelled "
                  f"({stats['labelled'] / max(vm.n_rows, 1):.1%}){dropped}", highlight=False)


def _check_engine_options(engine, scheduler, partition_rows, jobs, batch_size, stream) -> None:
    from ..errors import InputError
    from ..fitting import ENGINES

    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "dask":
        for flag, value in (("--scheduler", scheduler), ("--partition-rows", partition_rows), ("--jobs", jobs or None)):
            if value is not None:
                raise InputError(f"{flag} needs --engine dask")
    elif stream is not None:
        raise InputError("--stream/--no-stream are for --engine local (Dask holds the votes in its workers)")
    if batch_size is not None and (engine == "dask" or stream is False):
        raise InputError("--batch-size sets the block size of --stream")
    if batch_size is not None and batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    if partition_rows is not None and partition_rows < 1:
        raise InputError(f"--partition-rows must be at least 1, got {partition_rows}")
    if jobs < 0:
        raise InputError(f"--jobs must be >= 0, got {jobs}")


class _PassProgress:
    """A rich progress bar per pass over the votes (``start(label, total)``, ``advance(rows)``)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
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


def _fit_partitioned(lm, votes, output, plan, *, ties, fill_unlabeled, force, save_model, scheduler, jobs,
                     partition_rows, batch_size, quiet, as_json) -> None:
    """``weaklabel fit`` with --stream or --engine dask: statistics pass by pass, labels by block."""
    from ..fitting import fit_file

    if plan.mode == "stream" and plan.reason.startswith("an in-memory") and not (quiet or as_json):
        err.print(f"streaming {safe(votes)} from disk: {plan.reason} (--no-stream loads it)", highlight=False)
    progress = _PassProgress(not (quiet or as_json))
    try:
        res = fit_file(votes, output, lm, ties=ties, fill_unlabeled=fill_unlabeled, force=force,
                       save_model=save_model, scheduler=scheduler, jobs=jobs or None, partition_rows=partition_rows,
                       block_rows=batch_size, progress=progress, plan=plan)
    finally:
        progress.stop()
    classes = res.classes or [str(k) for k in range(int(lm.cardinality_))]
    summary = {
        "output": str(output), "model": type(lm).__name__, "params": _plain(lm.get_params()),
        "rows": res.rows, "labelled_rows": res.labelled, "fit_seconds": round(res.fit_seconds, 4),
        "class_balance": dict(zip(classes, map(float, lm.class_balance_))),
        "n_iter": int(getattr(lm, "n_iter_", 0)), "converged": bool(getattr(lm, "converged_", True)),
        "lfs": [{"name": n, "accuracy": float(a)} for n, a in
                zip(res.lf_names, getattr(lm, "accuracies_", [float("nan")] * len(res.lf_names)))],
        "engine": "dask" if res.mode == "dask" else "local", "stream": res.mode == "stream",
        "passes": res.passes, "partitions": res.partitions, "seconds": round(res.seconds, 4),
    }
    report = _add_selection(summary, lm)
    noted = _print_warnings(summary, quiet)
    if as_json:
        print_json(summary)
        return
    if quiet:
        return
    out.print(_lf_table_of(lm, res.lf_names, res.coverage, None, f"{type(lm).__name__}: estimated LF accuracies"))
    bal = "  ".join(f"{safe(c)}: {p:.3f}" for c, p in zip(classes, lm.class_balance_))
    out.print(f"class balance: {bal}", highlight=False)
    conv = "converged" if summary["converged"] else "did NOT converge"
    how = (f"{res.partitions} Dask partitions" if res.mode == "dask" else "streamed from disk")
    out.print(f"fit in {res.fit_seconds:.2f} s ({how}, {res.passes} passes over the votes in {res.seconds:.1f} s), "
              f"{summary['n_iter']} iterations, {conv}", highlight=False)
    if report is not None and not noted:
        out.print(f"auto: {report.get('reason', '')}", highlight=False)
    kind = "folder" if res.mode == "dask" else "file"
    err.print(f"wrote {safe(output)} ({kind}): {res.rows:,} rows, {res.labelled:,} labelled "
              f"({res.labelled / max(res.rows, 1):.1%})", highlight=False)


def _add_selection(summary: dict, lm) -> dict | None:
    """Put the model's label-free selection (``selection``) and fit warnings (``warnings``) into the
    summary; returns the auto model's report (or None)."""
    from ..models.base import _jsonable

    selection = getattr(lm, "selection_", None)
    report = getattr(lm, "report_", None)
    if selection is not None or report is not None:
        summary["selection"] = _jsonable({**(report or {}), **(selection or {})})
    summary["warnings"] = list(getattr(lm, "warnings_", []))
    return report


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


def _plain(params: dict) -> dict:
    from ..models.base import _jsonable

    return _jsonable(params)


@app.command("predict", epilog=PREDICT_EXAMPLES)
def predict_command(
    model_file: Path = typer.Argument(..., help="model.json written by `weaklabel fit --save-model`."),
    votes: Path = typer.Argument(..., help="votes.parquet with the same LFs."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write labels.parquet."),
    ties: str = typer.Option("random", "--ties", help="Ties in the hard label: random (seeded) or abstain."),
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
    with user_errors():
        if quiet:
            quiet_compiles()
        from ..errors import InputError
        from ..fitting import plan_run, predict_file
        from ..io import LABELS_FORMAT, check_distinct, check_output
        from ..models import load_model

        if fill_unlabeled not in FILL:
            raise InputError(f"--fill-unlabeled must be one of {', '.join(FILL)}, got {fill_unlabeled!r}")
        _check_engine_options(engine, scheduler, partition_rows, jobs, batch_size, stream)
        use_threads(threads)
        check_distinct([model_file, votes], [output])
        check_output(output, force, dataset_ok=True, dataset_formats=(LABELS_FORMAT,))
        lm = load_model(model_file)
        names = list(getattr(lm, "lf_names_", None) or []) or None
        plan = plan_run(votes, engine=engine, stream=stream, lf_names=names)
        progress = _PassProgress(not (quiet or as_json) and plan.mode != "memory")
        try:
            res = predict_file(lm, votes, output, ties=ties, fill_unlabeled=fill_unlabeled, force=force,
                               scheduler=scheduler, jobs=jobs or None, partition_rows=partition_rows,
                               block_rows=batch_size, progress=progress, plan=plan,
                               extra_metadata={"votes_file": Path(votes).name, "model_file": Path(model_file).name})
        finally:
            progress.stop()
        if as_json:
            print_json({"output": str(output), "model": type(lm).__name__, "rows": res["rows"],
                        "labelled_rows": res["labelled"], "engine": "dask" if res["mode"] == "dask" else "local",
                        "stream": res["mode"] == "stream"})
        elif not quiet:
            err.print(f"wrote {safe(output)}: {res['rows']:,} rows, {res['labelled']:,} labelled with "
                      f"{type(lm).__name__} from {safe(model_file)}", highlight=False)
