"""``weaklabel crowd``: crowd answers in long form (item, worker, label) -> a votes file."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import app, err, out, print_json, safe, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel crowd answers.csv -o votes.parquet
  weaklabel crowd answers.tsv -o votes.parquet --item-col task --worker-col annotator --label-col answer
  weaklabel crowd answers.csv -o votes.parquet --classes neg,neu,pos --duplicates error
  weaklabel fit votes.parquet -o labels.parquet          # then, as with LF votes
"""

#: dense rows per batch written: about 32 MiB of int8 votes whatever the number of workers
_WRITE_CELLS = 1 << 25


@app.command("crowd", epilog=EXAMPLES)
def crowd_command(
    answers: Path = typer.Argument(..., help="Crowd answers, one row per answer (Parquet, CSV, TSV or JSON Lines)."),
    output: Path = typer.Option(..., "-o", "--output", help="Votes file to write (Parquet): one row per item, one "
                                "column per worker."),
    item_col: str = typer.Option(None, "--item-col", help="Item column (default: the one column named item, task, "
                                 "question, ...; any case)."),
    worker_col: str = typer.Option(None, "--worker-col", help="Worker column (default: the one named worker, "
                                   "annotator, rater, user, ...)."),
    label_col: str = typer.Option(None, "--label-col", help="Label column (default: the one named label, answer, "
                                  "response, ...)."),
    classes: str = typer.Option(None, "--classes", help="The classes in order, comma-separated (default: the label "
                                "values sorted, numbers by value); a label that is not one of them is an error."),
    duplicates: str = typer.Option("last", "--duplicates", help="A worker's two different labels on one item: keep "
                                   "the last (default, a note counts them) or the first, or error (name them and "
                                   "stop). The same label twice counts once."),
    force: bool = typer.Option(False, "--force", help="Overwrite the output."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary instead of text."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary."),
) -> None:
    """Turn crowd answers (one row per answer: item, worker, label) into a votes file for `fit`.

    Items become rows (with the item column as their id), workers become sources, each answer one
    vote. The classes are named by the label values, so that a truth file with the same values
    (`analyze --gold`, `fit --dev`, `evaluate`) matches them, 1-based or not."""
    with user_errors():
        from ..io import TableSource, check_distinct, check_output, check_parquet_name, read_table
        from ..votes.answers import (ITEM_NAMES, LABEL_NAMES, WORKER_NAMES, find_column,
                                     votes_from_answers)
        from ..votes.file import write_votes

        check_distinct([answers], [output])   # --force must never replace the answers with their votes
        check_parquet_name(output, "votes")
        check_output(output, force)
        src = TableSource(answers)
        name = str(answers)
        item = find_column(src.columns, item_col, ITEM_NAMES, "item", name)
        worker = find_column(src.columns, worker_col, WORKER_NAMES, "worker", name)
        label = find_column(src.columns, label_col, LABEL_NAMES, "label", name)
        table = read_table(src, [item, worker, label], id_cols=[item, worker])
        wanted = [c.strip() for c in classes.split(",")] if classes is not None else None
        vm, summary = votes_from_answers(table, item, worker, label, classes=wanted, duplicates=duplicates,
                                         where=_place(src, name), name=name)
        meta = {"answers": {"file": Path(answers).name, **summary.columns}}
        write_votes(vm, output, force=force, metadata=meta, batch_rows=max(1, min(1 << 18, _WRITE_CELLS // vm.n_lfs)))
        if as_json:
            print_json({"output": str(output), **summary.to_dict(), **_spread(vm)})
        elif not quiet:
            _print_summary(answers, output, summary, _spread(vm), duplicates)


def _place(src, name: str):
    """How an error names row ``r`` of the answers: a CSV file's line, else the row (from 0)."""
    if src.format != "csv":
        return lambda r: f"{name}, row {r:,}"

    def line(r: int) -> str:
        from ..bench.validate import csv_line

        return f"{name}, {csv_line(Path(src.path), r)}"
    return line


def _spread(vm) -> dict:
    """Answers per item and per worker: the shape that decides what a label model can learn."""
    import numpy as np

    per_item = np.diff(vm.indptr)
    per_worker = np.bincount(vm.indices, minlength=vm.n_lfs)

    def stats(a) -> dict:
        return {"median": float(np.median(a)), "min": int(a.min()), "max": int(a.max())} if a.size else {}
    return {"answers_per_item": stats(per_item), "answers_per_worker": stats(per_worker),
            "items_without_answers": int((per_item == 0).sum())}


def _print_summary(answers: Path, output: Path, s, spread: dict, duplicates: str) -> None:
    pi, pw = spread["answers_per_item"], spread["answers_per_worker"]
    out.print(f"{safe(answers)}: {s.answers:,} answers -> {safe(output)}: {s.items:,} items x {s.workers:,} workers, "
              f"{s.votes:,} votes, {len(s.classes)} classes", highlight=False)
    out.print("classes: " + ", ".join(f"{safe(c)} ({n:,})" for c, n in zip(s.classes, s.class_answers)), highlight=False)
    out.print(f"answers per item: median {pi['median']:g} (min {pi['min']:,}, max {pi['max']:,}); per worker: median "
              f"{pw['median']:g} (min {pw['min']:,}, max {pw['max']:,})", highlight=False)
    notes = []
    if s.empty_labels:
        notes.append(f"{s.empty_labels:,} answers without a label are no vote")
    if s.repeated_answers:
        notes.append(f"{s.repeated_answers:,} repeated answers (same worker, item and label) counted once")
    if s.resolved_duplicates:
        notes.append(f"{s.resolved_duplicates:,} items answered twice by one worker with different labels: the "
                     f"{duplicates} kept (--duplicates first, last or error)")
    if spread["items_without_answers"]:
        notes.append(f"{spread['items_without_answers']:,} items have no labelled answer: rows without votes")
    for n in notes:
        err.print(f"[yellow]note:[/] {n}", highlight=False)
    out.print(f"next: weaklabel fit {safe(output)} -o labels.parquet", highlight=False)
