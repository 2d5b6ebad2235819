"""``weaklabel analyze``: per-LF coverage, overlap, conflict and (with gold) accuracy."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import app, fmt_frac, out, print_json, safe, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel analyze votes.parquet
  weaklabel analyze votes.parquet --gold reviews.parquet --label-col label
  weaklabel analyze votes.parquet --json > lf_report.json
"""


@app.command("analyze", epilog=EXAMPLES)
def analyze_command(
    votes: Path = typer.Argument(..., help="votes.parquet written by `weaklabel apply`."),
    gold: Path = typer.Option(None, "--gold", help="Table with gold labels (matched by id columns, else by position)."),
    label_col: str = typer.Option("label", "--label-col", help="Gold label column in --gold."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Summarise each labeling function: polarity, coverage, overlaps, conflicts, and accuracy against gold."""
    with user_errors():
        from ..analysis import analyze, analyze_totals
        from ..gold import align_gold
        from ..votes import VoteMatrix

        vm = VoteMatrix.read_parquet(votes)
        y = align_gold(vm, gold, label_col) if gold is not None else None
        df = analyze(vm, y)
        totals = analyze_totals(vm, y)
        if as_json:
            records = []
            for name, r in df.iterrows():
                rec = {"lf": name}
                for k, v in r.items():
                    rec[k] = v
                records.append(rec)
            print_json({"lfs": records, "totals": totals})
            return
        from rich.table import Table

        names = vm.classes
        table = Table(title=f"{vm.n_lfs} LFs on {vm.n_rows:,} rows (K={vm.cardinality})", title_justify="left")
        cols = ["LF", "polarity", "coverage", "overlaps", "conflicts"]
        if y is not None:
            cols += ["correct", "incorrect", "emp. acc."]
        for c in cols:
            table.add_column(c, justify="left" if c in ("LF", "polarity") else "right")
        for name, r in df.iterrows():
            pol = ", ".join(safe(names[k]) if names else str(k) for k in r["polarity"]) or "-"
            row = [safe(name), pol, fmt_frac(r["coverage"]), fmt_frac(r["overlaps"]), fmt_frac(r["conflicts"])]
            if y is not None:
                row += [f"{int(r['correct']):,}", f"{int(r['incorrect']):,}", fmt_frac(r["emp_acc"])]
            table.add_row(*row)
        out.print(table)
        line = (f"rows with a vote: {totals['covered']:.1%}   with a conflict: {totals['conflicted']:.1%}   "
                f"votes per covered row: {totals['mean_votes_per_covered_row']:.2f}")
        if y is not None:
            line += (f"   gold rows: {totals['labelled_rows']:,}   majority-vote accuracy on covered gold rows: "
                     f"{fmt_frac(totals['mv_accuracy_covered'])}")
        out.print(line, highlight=False)
