"""``weaklabel autolf``: generate labeling functions from the labelled rows of a table."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import app, err, fmt_frac, out, parse_classes, print_json, safe, user_errors

EXAMPLES = """
[bold]Examples[/]

  weaklabel autolf data.parquet --label-col label -o lfs.py                  # numeric columns, readable rules
  weaklabel autolf reviews.csv --label-col label --text-col text -o lfs.py   # keyword rules
  weaklabel autolf data.parquet --label-col label --method cluster -o lfs.py # lfs.py + lfs_model.npz
  weaklabel apply lfs.py data.parquet -o votes.parquet                       # then use them as usual
"""

FORMATS = ("auto", "python", "model")


@app.command("autolf", epilog=EXAMPLES)
def autolf_command(
    data: Path = typer.Argument(..., help="Table (.parquet, .csv, .tsv, .jsonl) with some labelled rows."),
    label_col: str = typer.Option(..., "--label-col", help="Label column; empty, NaN or -1 marks an unlabelled row."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write lfs.py."),
    method: str = typer.Option("snuba", "--method", "-m", help="snuba (thresholds/keywords, readable), cluster or knn."),
    text_col: str = typer.Option(None, "--text-col", help="Generate text rules from this column."),
    features: str = typer.Option(None, "--features", help="Comma-separated numeric feature columns (default: all numeric columns but the label and row ids; "
                                                         "numbers stored as text only when named here)."),
    classes: str = typer.Option(None, "--classes", help="Comma-separated class names; labels may be these names or ids."),
    max_lfs: int = typer.Option(None, "--max-lfs", help="At most this many LFs (default: 30 snuba, 12 cluster, 8 knn)."),
    min_accuracy: float = typer.Option(0.6, "--min-accuracy", help="Keep rules whose accuracy on the labelled rows has a lower bound at least this."),
    use_unlabeled: bool = typer.Option(True, "--unlabeled/--no-unlabeled", help="Use the unlabelled rows' features (never labels) to learn views and favour coverage."),
    format: str = typer.Option("auto", "--format", help="auto: readable code when possible; python; model (lfs.py + lfs_model.npz)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same LFs)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the generated LFs as JSON."),
) -> None:
    """Generate labeling functions from the labelled rows of a table and write them as an lfs.py."""
    with user_errors():
        import numpy as np
        import pandas as pd

        from ..autolf import METHODS, generate_lfs
        from ..autolf._base import check_features, default_features, label_leaks, leak_notes, left_out_notes
        from ..autolf.checks import text_values
        from ..autolf.export import check_py_name
        from ..autolf.labels import labels_from_column
        from ..errors import InputError
        from ..io import check_distinct, check_output, read_table

        if method not in METHODS:
            raise InputError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
        if format not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
        if max_lfs is not None and max_lfs < 1:
            raise InputError(f"--max-lfs must be at least 1, got {max_lfs}")
        if not 0 <= min_accuracy <= 1:
            raise InputError(f"--min-accuracy is an accuracy, between 0 and 1; got {min_accuracy}")
        model_file = output.with_name(output.stem + "_model.npz")
        check_distinct([data], [output, model_file])
        check_py_name(output)
        check_output(output, force)
        if method != "snuba" or format == "model":   # written beside lfs.py: refused before the work, not after
            check_output(model_file, force)
        df = read_table(data)
        if label_col not in df.columns:
            raise InputError(f"{data}: no column {label_col!r} (columns: {', '.join(map(str, df.columns))})")
        names = parse_classes(classes)
        y, class_names = labels_from_column(df[label_col], names, f"{data}, column {label_col!r}")
        labelled = y >= 0
        if not labelled.any():
            raise InputError(f"{data}: column {label_col!r} has no labelled rows (every cell is empty, NaN or -1); "
                             "need rows of at least 2 classes")
        seen = np.unique(y[labelled])
        spelled_missing = [c for c in class_names if c.strip().lower() in ("nan", "none", "null", "na", "n/a", "<na>")]
        if spelled_missing and not quiet:   # df[col].astype(str) turns the empty cells into 'nan' / 'None'
            n_sm = int(np.isin(y, [class_names.index(c) for c in spelled_missing]).sum())
            one = len(spelled_missing) == 1
            err.print(f"[yellow]note:[/] {safe(data)}: column {safe(label_col)!r}: class{'' if one else 'es'} "
                      f"{', '.join(repr(safe(c)) for c in spelled_missing)} ({n_sm:,} rows) {'is' if one else 'are'} "
                      "spelled like a missing value; if those rows are unlabelled, leave their cells empty (a column "
                      "converted to text writes 'nan' and 'None')", highlight=False)
        if seen.size < 2:   # numeric labels define K = max + 1 classes, but rules need examples of two
            raise InputError(f"{data}: column {label_col!r}: need at least 2 classes among the labelled rows, "
                             f"found only {class_names[int(seen[0])]!r} ({int(labelled.sum()):,} rows)")
        feats = list(dict.fromkeys(c.strip() for c in features.split(","))) if features is not None else None
        if feats is not None and not all(feats):   # "" or "a,,b": not the default features, nor a column ''
            raise InputError(f"--features {features!r} has an empty column name; give comma-separated column names")
        if label_col in (feats or []) or text_col == label_col:
            opt = "--text-col" if text_col == label_col else "--features"
            raise InputError(f"{data}: {opt} names the label column {label_col!r}: rules would read the answer "
                             "on the labelled rows (perfect scores) and nothing on the others")
        missing = [c for c in feats or [] if c not in df.columns]
        if missing:
            raise InputError(f"{data}: no column {missing[0]!r} (--features; columns: "
                             f"{', '.join(map(str, df.columns))})")
        if feats is not None and text_col is not None:
            raise InputError("--features (numeric columns) and --text-col (a text column) cannot be combined: "
                             "the rules read one kind of input; give one of them")
        if text_col is not None:
            if text_col not in df.columns:
                raise InputError(f"{data}: no column {text_col!r}")
            if not (pd.api.types.is_string_dtype(df[text_col]) or df[text_col].dtype == object):
                raise InputError(f"{data}: --text-col {text_col!r} has type {df[text_col].dtype}, not text; "
                                 "numeric columns are used without --text-col")
            text_values(df[text_col], str(data), text_col)   # all rows: the LFs run on all of them
            X = df[[text_col]]
            feats = None
        else:
            if feats is None:
                feats, ids, text_numbers = default_features(df, exclude=[label_col])
                leaks = label_leaks(df[labelled], y[labelled], df[~labelled], feats)   # the label by another name
                feats = [c for c in feats if c not in leaks]
                if not feats:
                    left = [*(f"{c!r} (a row id)" for c in ids), *(f"{c!r} (numbers stored as text)"
                                                                   for c in text_numbers),
                            *(f"{c!r} ({why})" for c, why in leaks.items())]
                    raise InputError(f"{data}: no numeric feature columns"
                                     + (f" (left out: {', '.join(left)}; name them in --features to use them)"
                                        if left else "") + "; pass --text-col for text or --features")
                notes_cols = left_out_notes(ids, text_numbers) + leak_notes(leaks, f"label column {label_col!r}")
            else:
                notes_cols = leak_notes(label_leaks(df[labelled], y[labelled], df[~labelled], feats),
                                        f"label column {label_col!r}", chosen=True)
            if not quiet:
                for note in notes_cols:
                    err.print(f"[yellow]note:[/] {safe(note)}", highlight=False)
            check_features(df, feats, str(data))
            X = df[feats]
        X_unl = X[~labelled] if use_unlabeled and (~labelled).any() else None
        import warnings

        with warnings.catch_warnings(record=True) as caught:   # the generators' notes, as note: lines
            warnings.simplefilter("always", UserWarning)
            lfs = generate_lfs(X[labelled], y[labelled], method, X_unlabeled=X_unl, classes=class_names,
                               feature_names=feats, text_column=text_col, max_lfs=max_lfs,
                               min_accuracy=min_accuracy, random_state=seed)
        notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)))
        for w in caught:
            if not issubclass(w.category, UserWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if not quiet and not as_json:
            for note in notes:
                err.print(f"[yellow]note:[/] {safe(note)}", highlight=False)
        if len(lfs) == 0:
            raise InputError(f"no rule reached the accuracy threshold on the {int(labelled.sum())} labelled rows "
                             f"(method {method}; a rule must also beat the share of the class it votes); try another "
                             "--method, a lower --min-accuracy or more labels")
        written = lfs.write(output, format=format, force=force)
        summary = lfs.summary().reset_index()
        if as_json:
            print_json({"files": [str(p) for p in written], "method": method, "classes": lfs.classes, "notes": notes,
                        "labelled_rows": int(labelled.sum()), "unlabelled_rows": int((~labelled).sum()),
                        "lfs": [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                                for r in summary.to_dict(orient="records")]})
            return
        if quiet:
            return
        from rich.table import Table

        table = Table(title=f"{len(lfs)} labeling functions from {int(labelled.sum()):,} labelled rows ({method})",
                      title_justify="left")
        for col, just in (("LF", "left"), ("rule", "left"), ("votes", "left"), ("coverage", "right"),
                          ("accuracy", "right"), ("coverage (unlabelled)", "right")):
            table.add_column(col, justify=just)
        for r in summary.itertuples():
            table.add_row(safe(r.name), safe(r.description), safe(r.classes), fmt_frac(r.coverage_labeled), fmt_frac(r.accuracy_labeled),
                          fmt_frac(r.coverage_unlabeled))
        out.print(table)
        err.print(f"wrote {', '.join(safe(p) for p in written)}; accuracies are on the labelled rows "
                  "(out of fold / leave-one-out where a rule was fitted to them)", highlight=False)
