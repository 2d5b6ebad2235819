"""``weaklabel apply``: run the LFs of an ``lfs.py`` over a data file, write ``votes.parquet``."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import typer

from ._common import app, err, fmt_frac, n_rows, out, parse_classes, print_json, quiet_compiles, safe, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel apply lfs.py reviews.parquet -o votes.parquet
  weaklabel apply lfs.py data.csv -o votes.parquet --id-col review_id --jobs 4
  weaklabel apply lfs.py data.parquet -o votes.parquet --on-error abstain --force
  weaklabel apply lfs.py data.parquet -o votes.parquet --update        # rerun only changed/new LFs
  weaklabel apply lfs.py 'data/*.parquet' -o votes --engine dask        # LocalCluster, one worker per core
  weaklabel apply lfs.py /shared/data -o /shared/votes --engine dask --scheduler tcp://10.0.0.5:8786
"""


@app.command("apply", epilog=EXAMPLES)
def apply_command(
    lfs_py: Path = typer.Argument(..., help="Python file defining @labeling_function LFs (and optionally CLASSES / LFS)."),
    data: Path = typer.Argument(..., help="Input table: .parquet (a file, a folder or a quoted glob), .csv, .tsv or .jsonl."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write votes.parquet (a folder with --engine dask)."),
    jobs: int = typer.Option(0, "-j", "--jobs", help="Worker processes for row-wise LFs, threads for vectorized "
                                                     "ones (0 = all cores); with --engine dask and no --scheduler, "
                                                     "the LocalCluster's workers."),
    batch_size: int = typer.Option(100_000, "--batch-size", help="Rows read and processed at a time (bounds memory)."),
    id_col: list[str] = typer.Option(None, "--id-col", help="Column(s) to carry into the output as row ids (repeatable)."),
    on_error: str = typer.Option("raise", "--on-error", help="raise: stop at the first LF error; abstain: count it and abstain."),
    cardinality: int = typer.Option(None, "--cardinality", "-k", help="Number of classes K (if lfs.py has no CLASSES)."),
    classes: str = typer.Option(None, "--classes", help="Comma-separated class names (sets K)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUTPUT if it exists."),
    update: bool = typer.Option(False, "--update", "-u",
                                help="Reuse OUTPUT: rerun only LFs whose source changed or that are new, drop removed ones "
                                     "(the input must be the data OUTPUT was made from)."),
    engine: str = typer.Option("local", "--engine", help="local (this machine) or dask (a Dask cluster; Parquet input, "
                                                        "OUTPUT becomes a folder of part files)."),
    scheduler: str = typer.Option(None, "--scheduler", help="--engine dask: scheduler address (tcp://HOST:PORT); "
                                                           "default: a LocalCluster of --jobs workers."),
    partition_rows: int = typer.Option(None, "--partition-rows",
                                       help="--engine dask: rows per partition / part file (default 1,000,000; "
                                            "rounded up to a multiple of --batch-size)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or table."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Apply labeling functions to a table and write the vote matrix (one int column per LF, -1 = abstain)."""
    with user_errors():
        if quiet:
            quiet_compiles()
        from ..apply import ENGINES, ON_ERROR, apply_file, default_jobs
        from ..errors import InputError

        if engine not in ENGINES:
            raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        if engine != "dask" and (scheduler is not None or partition_rows is not None):
            raise InputError(f"{'--scheduler' if scheduler is not None else '--partition-rows'} needs --engine dask")
        if on_error not in ON_ERROR:
            raise InputError(f"--on-error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
        if jobs < 0:
            raise InputError(f"--jobs must be >= 0, got {jobs}")
        from ..io import check_distinct

        check_distinct([lfs_py, data], [output])
        n_jobs = jobs or default_jobs()
        state: dict = {}

        def on_start(total):
            if quiet or as_json:
                return
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            prog = Progress(TextColumn("[bold]applying[/]"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("rows"), TextColumn("{task.fields[rate]}"),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            console=err, transient=True)
            prog.start()
            state["prog"] = prog
            state["task"] = prog.add_task("apply", total=total, rate="")
            import time

            state["t0"] = time.perf_counter()

        def on_progress(n):
            prog = state.get("prog")
            if prog is None:
                return
            import time

            task = state["task"]
            prog.advance(task, n)
            done = prog.tasks[0].completed
            dt = time.perf_counter() - state["t0"]
            prog.update(task, rate=f"{done / dt:,.0f} rows/s" if dt > 0 else "")

        try:
            # whatever the LFs print goes to stderr: stdout holds the table or the --json document alone
            with contextlib.redirect_stdout(sys.stderr):
                summary = apply_file(lfs_py, data, output, jobs=n_jobs, batch_size=batch_size,
                                     id_cols=id_col or None, on_error=on_error, cardinality=cardinality,
                                     classes=parse_classes(classes), force=force, update=update, engine=engine,
                                     scheduler=scheduler, partition_rows=partition_rows, progress=on_progress,
                                     on_start=on_start)
        finally:
            if "prog" in state:
                state["prog"].stop()
        ran = set(summary.ran)
        if summary.note and not as_json:
            err.print(f"note: {safe(summary.note)}", highlight=False)
        dups, nulls = _id_problems(output, id_col) if id_col else (None, None)
        if nulls and not as_json:
            verb = "has" if nulls["count"] == 1 else "have"
            err.print(f"[yellow]warning:[/] {n_rows(nulls['count'])} of {safe(data)} {verb} no id (column "
                      f"{safe(repr(nulls['column']))} is empty, first at row {nulls['first_row']:,}); "
                      "`analyze --gold`, `fit --dev`, `evaluate` and `fit --keep-cols` match rows by id and will "
                      "refuse them unless the other file is this data file: give every row an id or choose another "
                      "id column", highlight=False)
        if dups and not as_json:
            from ..io import format_ids

            err.print(f"[yellow]warning:[/] {dups['count']:,} id{'s' * (dups['count'] > 1)} of --id-col "
                      f"{', '.join(id_col)} {'appear' if dups['count'] > 1 else 'appears'} more than once (first: {safe(format_ids(dups['first']))}); "
                      "`analyze --gold` and `fit --dev` match rows by id and will refuse them unless the gold file "
                      "is this data file: de-duplicate the data or choose a unique id column", highlight=False)
        if as_json:
            print_json({
                "output": str(output), "rows": summary.rows, "cardinality": summary.cardinality,
                "classes": summary.classes, "seconds": round(summary.seconds, 4), "jobs": summary.jobs,
                "engine": summary.engine, "partitions": summary.partitions, "update": summary.update,
                "ran": summary.ran, "reused": summary.reused, "dropped": summary.dropped, "update_note": summary.note,
                "duplicate_ids": dups, "null_ids": nulls,
                "lfs": [{"name": n, "status": "ran" if n in ran else "reused", "vectorized": v, "votes": int(c.sum()),
                         "coverage": float(c.sum() / summary.rows),
                         "polarity": [int(k) for k in c.nonzero()[0]], "errors": int(e)}
                        for n, v, c, e in zip(summary.lf_names, summary.vectorized, summary.vote_counts, summary.errors)],
            })
            return
        if quiet:
            return
        from rich.table import Table

        table = Table(title=f"{len(summary.lf_names)} labeling functions on {n_rows(summary.rows)}", title_justify="left")
        cols = [("LF", "left"), ("kind", "left"), ("votes", "right"), ("coverage", "right"),
                ("polarity", "left"), ("errors", "right")]
        if summary.update:
            cols.insert(1, ("status", "left"))
        for col, just in cols:
            table.add_column(col, justify=just)
        names = summary.classes
        for n, v, c, e in zip(summary.lf_names, summary.vectorized, summary.vote_counts, summary.errors):
            pol = [safe(names[k]) if names else str(k) for k in c.nonzero()[0]]
            row = [safe(n), "vectorized" if v else "row-wise", f"{int(c.sum()):,}", fmt_frac(c.sum() / summary.rows),
                   ", ".join(pol) or "-", f"[red]{e:,}[/]" if e else "0"]
            if summary.update:
                row.insert(1, "ran" if n in ran else "[dim]reused[/]")
            table.add_row(*row)
        out.print(table)
        if summary.update:
            def _names(xs):
                return f" ({', '.join(map(safe, xs))})" if xs else ""

            err.print(f"--update: ran {len(summary.ran)} LF{'s' * (len(summary.ran) != 1)}{_names(summary.ran)}, "
                      f"reused {len(summary.reused)}, dropped {len(summary.dropped)}{_names(summary.dropped)}",
                      highlight=False)
            if not summary.ran and not summary.dropped:
                err.print(f"{safe(output)} is up to date; nothing was rewritten", highlight=False)
                return
        where = (f"engine=dask, {summary.partitions} partition{'s' * (summary.partitions != 1)}, "
                 f"{summary.jobs} worker thread{'s' * (summary.jobs != 1)}"
                 if summary.engine == "dask" else f"jobs={summary.jobs}")
        err.print(f"wrote {safe(output)}: {n_rows(summary.rows)} x {len(summary.lf_names)} LFs, K={summary.cardinality}, "
                  f"in {summary.seconds:.2f} s ({summary.rows_per_second:,.0f} rows/s, {where})",
                  highlight=False)
        if any(summary.errors):
            n = sum(summary.errors)
            err.print(f"[yellow]{n:,} LF call{'s' * (n > 1)} failed and {'were' if n > 1 else 'was'} counted as "
                      f"abstain{'s' * (n > 1)} (see the errors column)[/]")


def _nullable_ints(arrow_type):
    """``to_pandas`` type mapper: Arrow integers as pandas' nullable integers (``None``: the default)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.api.types.pandas_dtype(str(arrow_type).replace("int", "Int").replace("uInt", "UInt"))
    return None


def _id_problems(output: Path, id_cols: list[str]) -> tuple[dict | None, dict | None]:
    """Repeated ids in the written votes (count and the first few; ``None`` if all are unique) and
    rows without an id (count, the first row and its empty id column; ``None`` if every row has one)."""
    import pyarrow.parquet as pq

    from ..votes.row_ids import duplicate_ids, first_null_id

    # pandas' own types: an integer id column with nulls would become float64, and 64-bit ids
    # beyond 2^53 collapse into one (the count and the ids named were wrong); nullable ones keep them
    keys = pq.read_table(str(output), columns=list(id_cols)).to_pandas(types_mapper=_nullable_ints)
    count, first = duplicate_ids(keys)
    null = first_null_id(keys)
    return ({"count": count, "first": first} if count else None,
            {"count": null[2], "first_row": null[0], "column": null[1]} if null else None)
