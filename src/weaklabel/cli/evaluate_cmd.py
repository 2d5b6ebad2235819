"""``weaklabel evaluate``: score labels.parquet against gold labels."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import app, err, fmt_frac, out, print_json, safe, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel evaluate labels.parquet --gold reviews.parquet --label-col label
  weaklabel evaluate labels.parquet --gold dev.csv --label-col gold --json > scores.json
"""


@app.command("evaluate", epilog=EXAMPLES)
def evaluate_command(
    labels: Path = typer.Argument(..., help="labels.parquet written by `weaklabel fit` or `predict`."),
    gold: Path = typer.Option(..., "--gold", help="Table with gold labels (matched by id columns, else by position)."),
    label_col: str = typer.Option("label", "--label-col", help="Gold label column in --gold."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Score labels against gold: coverage, accuracy, macro-F1, per-class precision/recall, Brier, ECE, confusion."""
    with user_errors():
        from ..evaluation import evaluate
        from ..votes.gold import gold_notes

        # how the gold column was read (class names that are digits, -1 as "no label"): notes on
        # stderr, also before an error they explain, and under "notes" in --json
        with gold_notes(lambda n: err.print(f"[yellow]note:[/] {safe(n)}", highlight=False)) as notes:
            res = evaluate(labels, gold, label_col)
        res["notes"] = notes
        if as_json:
            print_json(res)
            return
        from rich.table import Table

        names = res["classes"]
        out.print(f"gold rows: {res['gold_rows']:,}   with a label: {res['labelled_gold_rows']:,} "
                  f"(coverage {fmt_frac(res['coverage'])})", highlight=False)
        if res["gold_rows_no_label"]:
            out.print(f"gold rows without a label, not scored: {res['gold_rows_no_label']:,} "
                      f"(-1: {res['gold_rows_minus_one']:,}, empty: "
                      f"{res['gold_rows_no_label'] - res['gold_rows_minus_one']:,})", highlight=False)
        if not res["rows"]:
            why = (f": it was written with --drop-unlabeled and none of its {res['labels_rows_dropped']:,} rows had a "
                   "label" if res["labels_rows_dropped"] else "")
            out.print(f"no rows scored: {safe(labels)} has no rows{why}; every gold row with a label counts as "
                      "uncovered", highlight=False, soft_wrap=True)
            return
        if res["gold_rows_unmatched"]:
            why = (f"it was written with --drop-unlabeled ({res['labels_rows_dropped']:,} rows without a label left "
                   f"out), so coverage and the accuracy counting uncovered rows are over the rows it kept"
                   if res["labels_rows_dropped"] else "their ids are not in it")
            err.print(f"[yellow]note:[/] {res['gold_rows_unmatched']:,} gold rows of {safe(gold)} have no row "
                      f"in {safe(labels)}: {why}", highlight=False)
        out.print(f"accuracy: {fmt_frac(res['accuracy'])}   (uncovered rows counted wrong: "
                  f"{fmt_frac(res['accuracy_all'])})   macro-F1: {fmt_frac(res['macro_f1'])}   "
                  f"Brier: {fmt_frac(res['brier'])}   ECE: {fmt_frac(res['ece'])}", highlight=False)
        pc = res["per_class"]
        # "gold rows" of a class are all of them; precision / recall / F1 are over the ones that got
        # a label ("scored", the support): this column read "gold rows" and showed the scored ones
        # (negative: 244 "gold rows" of the example's 273), 0 for every class when nothing was labelled
        balance = res["gold_class_balance"] or [0.0] * len(names)
        t = Table(title="per class (scored: the gold rows that got a label)", title_justify="left")
        for c in ("class", "precision", "recall", "F1", "gold rows", "scored"):
            t.add_column(c, justify="left" if c == "class" else "right")
        for k, name in enumerate(names):
            t.add_row(safe(name), fmt_frac(pc["precision"][k]), fmt_frac(pc["recall"][k]), fmt_frac(pc["f1"][k]),
                      f"{round(balance[k] * res['gold_rows']):,}", f"{pc['support'][k]:,}")
        out.print(t)
        if not _confusion_fits(res["confusion_matrix"], names, out.width):
            # a column per class squeezed below its numbers' width showed every count as nothing
            # (K = 400 on 160 columns: a grid of empty cells), silently
            out.print(f"confusion matrix: {len(names):,} classes, too wide to show in {out.width} columns; "
                      "--json prints it (confusion_matrix)", highlight=False)
            return
        cm = Table(title="confusion matrix (rows: gold, columns: label)", title_justify="left")
        cm.add_column("gold \\ label")
        for name in names:
            cm.add_column(safe(name), justify="right")
        for k, name in enumerate(names):
            cm.add_row(safe(name), *[f"{v:,}" for v in res["confusion_matrix"][k]])
        out.print(cm)


def _confusion_fits(cm, names, width: int) -> bool:
    """Whether the confusion matrix table fits ``width`` columns without folding a count: each
    class column is as wide as its widest count or the longest word of its name (names wrap at
    spaces), plus padding and a border."""
    from rich.cells import cell_len

    from ._common import printable

    def word(text) -> int:
        return max((cell_len(w) for w in printable(text).split()), default=1)

    first = max([len("label"), *(word(n) for n in names)]) + 3
    cols = [max([word(n), *(len(f"{row[k]:,}") for row in cm)]) + 3 for k, n in enumerate(names)]
    return first + sum(cols) + 1 <= width
