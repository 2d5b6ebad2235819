"""``weaklabel report``: write the HTML report of votes, labels and gold."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import app, err, quiet_compiles, safe, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel report votes.parquet -o report.html
  weaklabel report votes.parquet --labels labels.parquet --model model.json \\
      --data reviews.parquet --text-col text --gold reviews.parquet --label-col label -o report.html
"""


@app.command("report", epilog=EXAMPLES)
def report_command(
    votes: Path = typer.Argument(..., help="votes.parquet written by `weaklabel apply`."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the HTML file."),
    labels: Path = typer.Option(None, "--labels", help="labels.parquet written by `weaklabel fit` for these votes."),
    data: Path = typer.Option(None, "--data", help="The table the LFs ran on (shows the text of sampled rows; "
                              "the votes' own rows matched by position, another table's by id columns)."),
    text_col: str = typer.Option("text", "--text-col", help="Text column in --data."),
    gold: Path = typer.Option(None, "--gold", help="Table with gold labels (matched by id columns, else by position)."),
    label_col: str = typer.Option("label", "--label-col", help="Gold label column in --gold."),
    model: Path = typer.Option(None, "--model", help="model.json written by `weaklabel fit --save-model`."),
    samples: int = typer.Option(3, "--samples", min=0, help="Rows shown per LF and section (per-LF rows for "
                                "the 100 LFs with the most votes)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the row samples (same seed, same rows)."),
    title: str = typer.Option(None, "--title", help="Page title."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite OUTPUT."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Write one self-contained HTML report: LF table, pairwise heat maps, calibration, rows to look at."""
    with user_errors(quiet):
        if quiet:
            quiet_compiles()
        from ..htmlreport import report
        from ..votes.gold import gold_notes

        # how --gold's column was read (class names that are digits, -1 as "no label"): on stderr
        with gold_notes(None if quiet else lambda n: err.print(f"[yellow]note:[/] {safe(n)}", highlight=False)):
            path = report(votes, output, labels=labels, data=data, text_col=text_col, gold=gold,
                          label_col=label_col, model=model, samples=samples, seed=seed, title=title, force=force)
        if not quiet:
            err.print(f"report written to {path} ({path.stat().st_size / 1024:,.0f} kB)", highlight=False)
