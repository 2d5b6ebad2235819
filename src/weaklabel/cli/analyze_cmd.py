"""``weaklabel analyze``: per-LF coverage, overlap, conflict and (with gold) accuracy."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import (NO_VOTES, THREADS_HELP, app, fmt_frac, lf_rows_shown, n_rows, out, print_json, quiet_compiles,
                      safe, use_threads, user_errors)

EXAMPLES = """
[bold]Examples[/]

  weaklabel analyze votes.parquet
  weaklabel analyze votes.parquet --gold reviews.parquet --label-col label
  weaklabel analyze votes.parquet --gold reviews.parquet --model model.json   # a saved model's estimates
  weaklabel analyze votes.parquet --json > lf_report.json
"""


@app.command("analyze", epilog=EXAMPLES)
def analyze_command(
    votes: Path = typer.Argument(..., help="votes.parquet written by `weaklabel apply`."),
    gold: Path = typer.Option(None, "--gold", help="Table with gold labels (matched by id columns, else by position)."),
    label_col: str = typer.Option("label", "--label-col", help="Gold label column in --gold."),
    model: Path = typer.Option(None, "--model", help="With --gold: a model.json (`fit --save-model`) whose estimated "
                                                     "LF accuracies are shown beside the gold ones (default: the "
                                                     "default model, fitted on VOTES without the gold labels)."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors (the exit code says whether "
                                                            "VOTES and --gold could be read and matched)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    all_lfs: bool = typer.Option(False, "--all-lfs", help="Show every LF in the table (above 100 LFs, e.g. a crowd's "
                                 "workers, it shows the 40 that vote on the most rows)."),
) -> None:
    """Summarise each labeling function: polarity, coverage, overlaps, conflicts, and accuracy against gold."""
    with user_errors(quiet):
        if quiet:
            quiet_compiles()
        from ..votes.analysis import analyze, analyze_totals
        from ..errors import InputError
        from ..votes.gold import align_gold
        from ..votes import VoteMatrix

        use_threads(threads)
        if model is not None and gold is None:
            raise InputError("--model needs --gold (it puts the model's estimated LF accuracies beside the gold ones)")
        vm = VoteMatrix.read_parquet(votes)
        if vm.n_rows == 0:   # before the gold: "none of its ids matches a row of the votes" hid why
            raise InputError(f"{votes}: has no rows (no votes to analyze)")
        y = None
        if gold is not None:
            from ..evaluation import check_gold_not_labels

            check_gold_not_labels(gold, label_col)
            from ..io import TableSource, read_table

            ids = list(vm.row_ids.columns) if vm.row_ids is not None else []
            src = TableSource(gold)
            unmatched = 0
            if ids and label_col in src.columns and all(c in src.columns for c in ids):
                # matched by id: the id and label columns, read as align_gold reads them, once for
                # both the match and the count of gold rows it leaves out
                gold_table = read_table(src, list(dict.fromkeys([*ids, label_col])), id_cols=ids)
                y = align_gold(vm, gold_table, label_col, where=str(gold), rows_where=str(votes))
                unmatched = _unmatched_gold_rows(vm, gold_table, label_col, ids)
            else:
                y = align_gold(vm, src, label_col, where=str(gold), rows_where=str(votes))
            if not (y >= 0).any():   # every figure against gold would be empty, exit 0
                raise InputError(f"{gold}: no row of the votes gets a gold label from column {label_col!r} (its "
                                 "labels are empty or -1, read as \"no label\", or on rows the votes do not have)")
        df = analyze(vm, y)
        totals = analyze_totals(vm, y)
        if y is not None:
            # gold rows with a label whose id is on no row of the votes: not scored, and the
            # "gold rows" figure counts only the matched ones (evaluate's gold_rows_unmatched)
            totals["gold_rows_unmatched"] = unmatched
            if unmatched and not quiet:
                from ._common import err

                err.print(f"[yellow]note:[/] {unmatched:,} gold row{'s' * (unmatched != 1)} of {safe(gold)} with a "
                          f"label match{'es' * (unmatched == 1)} no row of {safe(votes)} (by id columns "
                          f"{safe(', '.join(map(str, ids)))}): not scored", highlight=False)
        est_name = None
        if y is not None:
            est, est_name, unidentified = _estimated_accuracies(vm, model)
            df["est_acc"] = est
        if quiet:
            return
        if as_json:
            records = []
            for j, (name, r) in enumerate(df.iterrows()):
                rec = {"lf": name}
                for k, v in r.items():
                    # NaN (no gold vote, no estimate) is not JSON: null
                    rec[k] = None if isinstance(v, float) and v != v else v
                if y is not None:
                    # est_acc is the model's figure (as `fit --json` keeps it); false here: the
                    # model could not estimate this LF, the figure is its neutral prior
                    rec["est_identified"] = not bool(unidentified[j])
                records.append(rec)
            print_json({"lfs": records, "totals": totals})
            return
        from rich.table import Table

        names = vm.classes
        table = Table(title=f"{vm.n_lfs} LFs on {n_rows(vm.n_rows)} (K={vm.cardinality})", title_justify="left")
        cols = ["LF", "polarity", "coverage", "overlaps", "conflicts"]
        if y is not None:
            cols += ["correct", "incorrect", "emp. acc.", "est. acc."]
        for c in cols:
            table.add_column(c, justify="left" if c in ("LF", "polarity") else "right")
        rows, shown = lf_rows_shown(df["coverage"].to_numpy(), all_lfs)
        for j in rows:
            name, r = df.index[j], df.iloc[j]
            pol = ", ".join(safe(names[k]) if names else str(k) for k in r["polarity"]) or "-"
            row = [safe(name), pol, fmt_frac(r["coverage"]), fmt_frac(r["overlaps"]), fmt_frac(r["conflicts"])]
            if y is not None:
                # an LF without votes: the model's figure is its prior, not an estimate (as in `fit`);
                # one the model could not estimate (triplet): n/a, as `fit` shows it
                est_cell = (NO_VOTES if not r["votes"] and r["est_acc"] == r["est_acc"] else
                            "n/a" if unidentified[j] else fmt_frac(r["est_acc"]))
                row += [f"{int(r['correct']):,}", f"{int(r['incorrect']):,}", fmt_frac(r["emp_acc"]), est_cell]
            table.add_row(*row)
        out.print(table)
        if shown:
            out.print(shown, highlight=False)
        line = (f"rows with a vote: {totals['covered']:.1%}   with a conflict: {totals['conflicted']:.1%}   "
                f"votes per covered row: {totals['mean_votes_per_covered_row']:.2f}   "
                f"majority-vote ties: {totals['mv_tied']:.1%} of the covered rows")
        if y is not None:
            line += (f"   gold rows: {totals['labelled_rows']:,}   majority-vote accuracy on covered gold rows: "
                     f"{fmt_frac(totals['mv_accuracy_covered'])} (a k-way tie counts 1/k: the expected accuracy of "
                     f"`fit -m majority`'s random tie-break; {totals['mv_ties']:,} tied row{'s' * (totals['mv_ties'] != 1)})")
            out.print(line, highlight=False)
            out.print(f"emp. acc.: against the gold labels; est. acc.: estimated without them by {est_name}",
                      highlight=False)
        else:
            out.print(line, highlight=False)
        dom = totals.get("dominant_lf")
        if dom is not None:
            out.print(f"note: LF {safe(repr(dom['name']))} casts {dom['vote_share']:.0%} of the votes and votes on "
                      f"{dom['coverage']:.0%} of the rows: nothing can check its accuracy, so `fit` (the default "
                      f"model) will use majority vote; about 100 gold rows (`fit --dev`) can check the models that "
                      f"estimate the other LFs", highlight=False)
        if totals.get("unvoted_classes"):
            out.print(unvoted_note(totals["unvoted_classes"], names, 1.0 - totals["covered"]), highlight=False)


def unvoted_note(unvoted: list[int], names, uncovered_share: float) -> str:
    """What ``analyze`` says when some class gets no vote (``analysis.unvoted_classes``)."""
    which = ", ".join(safe(names[k]) if names else str(k) for k in unvoted)
    return (f"note: no LF votes class {which}: no row with votes can be labelled {which}, and the votes cannot tell "
            f"how common it is, so `fit` gives the rows without votes ({uncovered_share:.0%} of the rows) equal "
            f"probabilities; an LF for {which}, or about 100 gold rows (`fit --dev`), lets them be labelled")


def _unmatched_gold_rows(vm, table, label_col: str, ids: list) -> int:
    """Gold rows with a label (not empty, not -1) whose id is on no row of ``vm`` (0 when the
    gold table is matched by position)."""
    from ..votes.gold import no_label

    if not ids or not all(c in table.columns for c in ids):
        return 0
    empty, minus = no_label(table[label_col], vm.classes)
    keys = table.loc[~(empty | minus), ids].reset_index(drop=True)
    keys = keys[keys.notna().all(axis=1)]      # null ids: matched by position (the votes' own rows)
    if keys.empty:
        return 0
    try:
        found = keys.merge(vm.row_ids[ids].drop_duplicates(), on=ids, how="left", indicator=True)
    except (ValueError, TypeError):   # ids of other types: align_gold already said none match
        return 0
    return int((found["_merge"] == "left_only").sum())


def _unidentified(lm, n_lfs: int):
    """Which of the model's LFs it could not estimate an accuracy for (``identified_`` of a triplet
    model, also as the default model's winner): their figure is a neutral prior (0.75), which
    ``fit`` shows as n/a and ``analyze`` showed as an estimate."""
    import numpy as np

    ident = getattr(getattr(lm, "model_", lm), "identified_", None)
    if ident is None or np.shape(ident) != (n_lfs,):
        return np.zeros(n_lfs, dtype=bool)
    return ~np.asarray(ident, dtype=bool)


def _estimated_accuracies(vm, model_file):
    """``(accuracies, source, unidentified)``: per-LF accuracies as a label model estimates them
    without gold, a saved model's (matched by LF name) or the default model's fitted on the votes
    (NaN for an LF the model was not fitted on); ``unidentified``: the LFs whose figure is the
    model's neutral prior, not an estimate (``fit``'s table shows n/a, its --json the figure and a
    warning)."""
    import numpy as np

    if model_file is None:
        from ..models import AutoModel

        lm = AutoModel().fit(vm)
        if getattr(lm, "accuracies_", None) is None:   # it fell back to majority vote: no estimates
            from ..models import HybridDawidSkene

            return (np.asarray(HybridDawidSkene().fit(vm).accuracies_, dtype=float),
                    "hybrid (the default model fell back to majority vote on these votes)", np.zeros(vm.n_lfs, bool))
        return (np.asarray(lm.accuracies_, dtype=float), "the default model (fitted on these votes)",
                _unidentified(lm, vm.n_lfs))
    from ..errors import InputError
    from ..models import load_model
    from ..models.alignment import check_class_names

    lm = load_model(model_file)
    if int(lm.cardinality_) != vm.cardinality:   # its accuracies are of other classes' votes
        raise InputError(f"{model_file}: the model has {int(lm.cardinality_)} classes but the votes have "
                         f"{vm.cardinality}")
    check_class_names(lm, vm.classes, f"the votes (--model {model_file})")
    acc = getattr(lm, "accuracies_", None)
    names = list(getattr(lm, "lf_names_", None) or [])
    est = np.full(vm.n_lfs, np.nan)
    unknown = np.zeros(vm.n_lfs, dtype=bool)
    if acc is not None:
        acc = np.asarray(acc, dtype=float)
        lookup = dict(zip(names, acc))
        if vm.n_lfs and not any(n in lookup for n in vm.lf_names):   # else every estimate n/a, silently
            raise InputError(f"{model_file}: the model was fitted on none of the votes' LFs (its LFs e.g. "
                             f"{', '.join(map(repr, names[:3]))}; the votes' e.g. "
                             f"{', '.join(map(repr, vm.lf_names[:3]))})")
        not_estimated = dict(zip(names, _unidentified(lm, len(names)))) if len(names) == acc.size else {}
        unknown = np.array([bool(not_estimated.get(n, False)) for n in vm.lf_names], dtype=bool)
        est = np.array([lookup.get(n, np.nan) for n in vm.lf_names])
    return est, f"{type(lm).__name__} from {model_file}", unknown
