"""``weaklabel bench``: label models and automatic LFs on benchmark tasks, as tables and files."""

from __future__ import annotations

import importlib.util
import shlex
import sys
from pathlib import Path

import typer
from rich.markup import escape

from ._common import app, err, out, print_json, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel bench --quick                               # embedded tasks, under a minute
  weaklabel bench --out bench-out                       # AutoWS suite, 3 seeds, tables + files
  weaklabel bench --suite wrench --data-dir ../shared/data
  weaklabel bench --suite all --out bench-out --force   # autows + wrench + crowd + verifiers
  weaklabel bench --tasks digits,youtube --methods snuba --n-labels 50,100,200 --out curve
  weaklabel bench --suite verifiers --quick                # generated verifier-score suites (Select@1)
  weaklabel bench --suite verifiers --models mixture,ds --seeds 3 --out verifiers-out
"""


def _split(text: str | None, option: str | None = None) -> tuple[str, ...] | None:
    """Comma-separated names; ``None`` when the option is absent. Given but empty (``--tasks ""``
    from an unset shell variable) is an error when ``option`` is named: it ran everything."""
    if text is None:
        return None
    items = tuple(x.strip() for x in text.split(",") if x.strip())
    if not items and option is not None:
        from ..errors import InputError

        raise InputError(f"{option} is empty: give comma-separated names, or leave the option out for all of them")
    return items or None


def _check_suite_options(suites: tuple[str, ...], autows: dict, verifiers: dict) -> None:
    """Refuse an option that only one suite uses when the run does not include that suite: it would
    be silently ignored."""
    from ..errors import InputError

    for name, options in (("autows", autows), ("verifiers", verifiers)):
        given = [opt for opt, value in options.items() if value is not None]
        if given and name not in suites:
            opts = ", ".join(given)
            raise InputError(f"{opts} {'is' if len(given) == 1 else 'are'} the {name} suite's option"
                             f"{'' if len(given) == 1 else 's'}; this run has suite {', '.join(suites)} "
                             f"(add --suite {name} or all, or drop {opts})")


@app.command("bench", epilog=EXAMPLES)
def bench_command(
    suite: str = typer.Option("autows", "--suite", "-s",
                              help="autows (LFs generated from 100 labels), wrench, crowd (label models on given votes), "
                                   "verifiers (selecting answers with weak verifiers, generated suites), or all."),
    quick: bool = typer.Option(False, "--quick", help="A small subset (3 tasks or datasets per suite, 1 seed)."),
    seeds: int = typer.Option(None, "--seeds", help="Number of seeds (default 3; 1 with --quick)."),
    seed: int = typer.Option(0, "--seed", help="First seed; runs use seed, seed+1, ..."),
    tasks: str = typer.Option(None, "--tasks", help="Comma-separated task or dataset names (default: all available)."),
    models: str = typer.Option(None, "--models", help="Comma-separated label models (default: every model; the "
                                                       "verifiers suite also runs mixture)."),
    methods: str = typer.Option(None, "--methods", help="Comma-separated LF generation methods for autows (default: snuba,cluster,knn)."),
    n_labels: str = typer.Option(None, "--n-labels", help="Labelled rows per task for autows (default 100); several values "
                                                          "(e.g. 50,100,200) plot a curve."),
    max_lfs: int = typer.Option(None, "--max-lfs", help="autows: at most this many generated LFs per method (default: the "
                                                         "method's own)."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Benchmark data folder (wrench/, crowd/, raw/); default $WEAKLABEL_DATA."),
    out_dir: Path = typer.Option(None, "--out", "-o", help="Write results.json, results.csv, report.md and PNG plots here."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing files in --out."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="PNG plots in --out (need matplotlib: pip install 'weaklabel\\[plot]')."),
    dev_frac: float = typer.Option(None, "--dev-frac", help="verifiers: share of questions labelled as dev set "
                                                             "(default 0.05)."),
    threads: int = typer.Option(1, "--threads", help="BLAS/OpenMP threads (0 = library default); 1 keeps timings stable."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or tables."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of tables."),
) -> None:
    """Benchmark label models and automatic labeling functions; print a leaderboard per suite."""
    with user_errors():
        from ..autolf import METHODS
        from ..bench import report
        from ..bench.config import SUITES, BenchConfig, seed_range
        from ..bench.datasets import resolve_data_dir
        from ..bench.suites import run_bench
        from ..errors import InputError

        suites = SUITES if suite == "all" else (suite,)
        if suite != "all" and suite not in SUITES:
            raise InputError(f"--suite must be one of {', '.join(SUITES)} or all, got {suite!r}")
        n_seeds = seeds if seeds is not None else (1 if quick else 3)
        seed_list = seed_range(seed, n_seeds)
        _check_suite_options(suites, {"--methods": methods, "--n-labels": n_labels, "--max-lfs": max_lfs},
                             {"--dev-frac": dev_frac})
        try:
            budgets = tuple(int(x) for x in _split(n_labels if n_labels is not None else "100") or ())
        except ValueError:
            raise InputError(f"--n-labels must be comma-separated integers, got {n_labels!r}") from None
        cfg = BenchConfig(suites=suites, quick=quick, seeds=seed_list,
                          tasks=_split(tasks, "--tasks"), models=_split(models, "--models"),
                          methods=_split(methods, "--methods") or METHODS, n_labels=budgets,
                          data_dir=resolve_data_dir(data_dir), max_lfs=max_lfs, threads=threads or None,
                          dev_frac=0.05 if dev_frac is None else dev_frac)
        from ..bench.config import plan

        units = plan(cfg)                       # validates everything before any work
        if out_dir is not None:
            report.check_outputs(out_dir, force, plots)
        prog = None
        if not (quiet or as_json):
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            prog = Progress(TextColumn("[bold]bench[/]"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True)
            prog.start()
            task_id = prog.add_task("", total=len(units))

        def progress(unit, done, total):
            if prog is not None:
                prog.update(task_id, completed=done, description=unit.label() if unit else "done")

        try:
            result = run_bench(cfg, progress)
        finally:
            if prog is not None:
                prog.stop()
        command = "weaklabel " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else None
        written = []
        no_plots = None
        if out_dir is not None:
            written = report.write_outputs(result, out_dir, force=force, plots=plots, command=command)
            if (plots and "autows" in suites and not any(p.suffix == ".png" for p in written)
                    and importlib.util.find_spec("matplotlib") is None):
                no_plots = "plots skipped: matplotlib is not installed (pip install 'weaklabel[plot]')"
        notes = report.budget_notes(result.records)
        if as_json:
            data = report.to_json(result, command)
            data.pop("results", None)
            data.pop("lfs", None)
            data["files"] = [str(p) for p in written]
            if no_plots:
                data["warnings"] = [*data.get("warnings", []), no_plots]
            print_json(data)
            for line in [*notes, *([no_plots] if no_plots else [])]:
                err.print(f"warning: {line}", highlight=False, markup=False)
            return
        for line in [*notes, *([no_plots] if no_plots else [])]:
            err.print(f"[yellow]warning: {escape(line)}[/]")
        if quiet:
            return
        for spec in report.tables(result):
            out.print(report.to_rich(spec))
        errors = [r for r in result.records if isinstance(r.get("error"), str)]
        if errors:
            err.print(f"[yellow]{len(errors)} model runs failed (shown as ERR); see report.md or --json[/]")
        done = f"{len(units)} runs in {result.seconds:.1f} s"
        if written:
            done += f"; wrote {', '.join(p.name for p in written)} to {out_dir}"
        err.print(done, highlight=False, markup=False)      # --out is a path: "[/x]" in it is text
