"""``weaklabel fit``: fit a label model on votes and write probabilistic labels."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import app, err, out, print_json, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel fit votes.parquet -o labels.parquet
  weaklabel fit votes.parquet -o labels.parquet --model majority --ties abstain
  weaklabel fit votes.parquet -o labels.parquet --fill-unlabeled prior --save-model model.json
"""

FILL = ("none", "prior")


@app.command("fit", epilog=EXAMPLES)
def fit_command(
    votes: Path = typer.Argument(..., help="votes.parquet written by `weaklabel apply`."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write labels.parquet."),
    model: str = typer.Option("majority", "--model", "-m", help="Label model: majority."),
    ties: str = typer.Option("random", "--ties", help="Majority-vote ties: random (seeded), uniform or abstain."),
    seed: int = typer.Option(0, "--seed", help="Random seed (tie-breaking, initialisation)."),
    fill_unlabeled: str = typer.Option("none", "--fill-unlabeled",
                                       help="Rows where every LF abstained: none (label -1) or prior (label the most likely class)."),
    save_model: Path = typer.Option(None, "--save-model", help="Also write the fitted model as JSON."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the fit summary as JSON."),
) -> None:
    """Fit a label model on a vote matrix and write probabilistic labels (prob_*, label, confidence)."""
    with user_errors():
        from ..errors import InputError
        from ..io import check_output
        from ..labels import write_model_labels
        from ..models import make_model, save_model as save
        from ..votes import VoteMatrix

        if fill_unlabeled not in FILL:
            raise InputError(f"--fill-unlabeled must be one of {', '.join(FILL)}, got {fill_unlabeled!r}")
        check_output(output, force)
        if save_model is not None:
            check_output(save_model, force)
        vm = VoteMatrix.read_parquet(votes)
        params = {"random_state": seed}
        if model == "majority":
            params["ties"] = ties
        lm = make_model(model, **params)
        import time

        t0 = time.perf_counter()
        lm.fit(vm)
        fit_s = time.perf_counter() - t0
        stats = write_model_labels(lm, vm, output, fill_unlabeled=fill_unlabeled, force=force,
                                   extra_metadata={"votes_file": Path(votes).name})
        if save_model is not None:
            save(lm, save_model, force=force)
        classes = vm.classes or [str(k) for k in range(vm.cardinality)]
        summary = {"output": str(output), "model": type(lm).__name__, "rows": vm.n_rows,
                   "labelled_rows": stats["labelled"], "fit_seconds": round(fit_s, 4),
                   "class_balance": dict(zip(classes, map(float, lm.class_balance_))),
                   "n_iter": int(getattr(lm, "n_iter_", 0)), "converged": bool(getattr(lm, "converged_", True))}
        if as_json:
            print_json(summary)
            return
        if quiet:
            return
        from rich.table import Table

        table = Table(title=f"{type(lm).__name__}: class balance", title_justify="left")
        table.add_column("class")
        table.add_column("prior", justify="right")
        table.add_column("labelled rows", justify="right")
        for k, c in enumerate(classes):
            table.add_row(c, f"{lm.class_balance_[k]:.3f}", f"{stats['per_class'][k]:,}")
        out.print(table)
        err.print(f"wrote {output}: {vm.n_rows:,} rows, {stats['labelled']:,} labelled "
                  f"({stats['labelled'] / max(vm.n_rows, 1):.1%}); fit in {fit_s:.2f} s", highlight=False)
