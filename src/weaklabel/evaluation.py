"""Score ``labels.parquet`` against gold labels (``weaklabel evaluate``).

Gold rows are matched to the labels exactly as ``analyze --gold`` matches them to votes
(:func:`weaklabel.gold.align_gold`): by the id columns when both tables have them, else by
position. Labels written without ids carry a ``row`` column (the position in the votes); when
rows were dropped (``label == -1`` rows filtered out) those positions index the gold table.
The scores themselves are :mod:`weaklabel.metrics`' (shared with ``weaklabel report``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .io import LABELS_FORMAT, read_metadata, read_table
from .metrics import N_BINS, LabelScores
from .votes import VoteMatrix


def rows_view(row_ids: pd.DataFrame | None, n: int, K: int, classes=None) -> VoteMatrix:
    """A vote matrix without votes that stands for ``n`` rows with these ids: what
    :func:`~weaklabel.gold.align_gold` needs to line gold labels up with rows of any table."""
    return VoteMatrix(np.zeros(n + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8), [],
                      cardinality=K, row_ids=row_ids, classes=classes, validate=False)


def gold_for_rows(row_ids: pd.DataFrame | None, n: int, K: int, classes, gold, label_col: str,
                  id_cols=None, where: str | None = None, row_is_id: bool = False,
                  rows_where: str = "the votes", masks=None, dropped: int = 0) -> np.ndarray:
    """Gold labels (``-1`` = unknown) for ``n`` rows identified by ``row_ids`` (may be ``None``);
    ``where``: the name errors give the gold table (default: its path, or "gold"), ``rows_where``
    the rows' (e.g. the labels file); ``row_is_id``: a ``row`` id column holds real ids (labels
    metadata ``row_is_id``), not positions; ``masks``: :func:`~weaklabel.votes.gold.no_label` of
    the gold label column, when the caller has them (not computed again); ``dropped``: rows the
    labels file left out (``fit --drop-unlabeled``, metadata ``dropped_unlabeled``): its ``row``
    positions then index a gold table of ``n + dropped`` rows, also when only trailing rows were
    dropped (positions ``0..n-1``)."""
    from .votes.gold import align_gold, labels_to_ids

    ids = list(id_cols) if id_cols is not None else (list(row_ids.columns) if row_ids is not None else [])
    table = gold if isinstance(gold, pd.DataFrame) else read_table(gold, id_cols=ids)
    where = where or ("gold" if isinstance(gold, pd.DataFrame) else str(gold))
    if ids == ["row"] and not row_is_id and "row" not in table.columns and label_col in table.columns:
        pos = row_ids["row"].to_numpy(dtype=np.int64)
        if dropped or not np.array_equal(pos, np.arange(n)):
            # some rows were dropped: the positions index the gold table
            if pos.size and (pos.min() < 0 or pos.max() >= len(table)):
                raise InputError(f"{where}: has {len(table)} rows but the labels refer to row {int(pos.max())}")
            if dropped and len(table) != n + dropped:
                raise InputError(f"{where}: has {len(table):,} rows but {rows_where} was written for {n + dropped:,} "
                                 f"rows of votes ({dropped:,} left out by --drop-unlabeled); gold rows are matched "
                                 "by position: give the gold table of those rows, or add id columns to both")
            y = labels_to_ids(table[label_col], K, classes, f"{where}, column {label_col!r}", masks=masks)
            return y[pos]
        row_ids = None
    elif ids == ["row"] and not row_is_id and "row" in table.columns and len(table) == n + dropped:
        # the labels' `row` is a position in the votes; a gold `row` column numbering its rows
        # otherwise (from 1) matched them shifted by one, exit 0, where analyze matches by position
        pos = pd.to_numeric(table["row"], errors="coerce")
        if pos.isna().any() or (pos < 0).any() or (pos >= n + dropped).any():
            raise InputError(f"{where}: its column 'row' is not the rows' positions 0..{n + dropped - 1} in the "
                             f"votes, which the labels' 'row' column is; rename or drop it to match by position")
    label_ids = None
    if masks is not None and label_col in table.columns:   # as align_gold would convert it, masks given
        label_ids = labels_to_ids(table[label_col], K, classes, f"{where}, column {label_col!r}", masks=masks)
    return align_gold(rows_view(row_ids, n, K, classes), table, label_col,
                      id_cols=id_cols if row_ids is not None else [], where=where, rows_where=rows_where,
                      label_ids=label_ids)


def read_labels(path: str | Path) -> tuple[pd.DataFrame | None, np.ndarray, np.ndarray, dict]:
    """``(ids, proba (n, K), label, metadata)`` of a labels.parquet file or folder. Only the id
    columns, ``prob_*`` and ``label`` are read (not the columns ``fit --keep-cols`` kept, e.g.
    long texts), and a file's footer once (metadata and schema together)."""
    from .io import TableSource

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    src = None
    if p.is_dir():
        meta = read_metadata(p)      # a folder's metadata is its _common_metadata file
    else:
        src = TableSource(p)
        meta = src.footer_metadata()
    if meta is None or meta.get("format") != LABELS_FORMAT:
        raise InputError(f"{p}: not a labels file written by `weaklabel fit` (no weaklabel labels metadata)")
    src = src or TableSource(p)
    K = int(meta["cardinality"])
    probs = [f"prob_{k}" for k in range(K)]
    missing = [c for c in probs + ["label"] if c not in src.columns]
    if missing:
        raise InputError(f"{p}: no column {missing[0]!r}")
    id_cols = [c for c in dict.fromkeys(meta.get("id_columns") or []) if c in src.columns]
    table = read_table(src, columns=[*id_cols, *probs, "label"])
    ids = table[id_cols].reset_index(drop=True) if id_cols else None
    proba, label = label_arrays(table, K, p)
    return ids, proba, label, meta


#: how far a row of probabilities may sum from 1 (labels.parquet stores them as float32, each row
#: normalised: its float64 sum is off by about K float32 epsilons at most)
SUM_TOL = 1e-4


def label_arrays(table: pd.DataFrame, K: int, where, first_row: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(proba (n, K) float64, label (n,) int64)`` of a block of a labels file's rows, checked:
    every ``prob_k`` a number in [0, 1], each row summing to 1, ``label`` an integer in
    ``-1..K-1``. A file edited or written by hand otherwise scores silently wrong numbers (a NaN
    probability made the Brier score and ECE null, 1.5 / -0.5 a Brier score above its maximum of
    2, a label 5 of 2 classes was left out of the confusion matrix but not of the Brier score, a
    label 0.5 was read as 0), or fails with a traceback (text in a number column). Errors name the
    file (``where``), the column and the row (``first_row``: the block's first row in the file)."""
    probs = [f"prob_{k}" for k in range(K)]
    for c in [*probs, "label"]:
        s = table[c]
        if len(s) and (not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            raise InputError(f"{where}: column {c!r} holds {s.dtype} values, not numbers; a labels file's "
                             f"prob_0..prob_{K - 1} are probabilities and its label a class id (-1: no label)")
    proba = table[probs].to_numpy(dtype=np.float64, na_value=np.nan)
    if proba.size:
        bad = ~(np.isfinite(proba) & (proba >= -SUM_TOL) & (proba <= 1 + SUM_TOL))
        if bad.any():
            i, k = np.argwhere(bad)[0]
            raise InputError(f"{where}: column 'prob_{k}' is {_value(proba[i, k])} at row {first_row + i:,}; "
                             "probabilities must be numbers in [0, 1] (re-run `weaklabel fit` for a labels file)")
        sums = proba.sum(axis=1)
        off = np.abs(sums - 1.0) > SUM_TOL + K * 2e-7
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise InputError(f"{where}: row {first_row + i:,}'s probabilities prob_0..prob_{K - 1} sum to "
                             f"{sums[i]:.6g}, not 1 (re-run `weaklabel fit` for a labels file)")
    lab = table["label"].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(lab) | (lab != np.round(lab)) | (lab < -1) | (lab > K - 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where}: column 'label' is {_value(lab[i])} at row {first_row + i:,}; labels are class "
                         f"ids 0..{K - 1}, or -1 for no label")
    return proba, lab.astype(np.int64)


def _value(v: float) -> str:
    """A checked number as a message shows it: ``empty (null) or NaN``, ``inf``, ``1.5``, ``5``."""
    if v != v:
        return "empty (null) or NaN"
    # whole numbers in full only while that is short: 1e300 was written out in 301 digits
    return str(int(v)) if np.isfinite(v) and float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def check_gold_not_labels(gold, label_col: str, labels=None) -> None:
    """A labels file written by ``weaklabel fit`` given as the gold table, with ``label_col`` one of
    the columns ``fit`` writes (``label``, ``label_name``, ``confidence``, ``prob_<k>``): that is a
    label model's output, not gold. The very file being scored (``labels``) is refused:
    ``evaluate labels.parquet --gold labels.parquet`` scored the labels against themselves,
    accuracy 1.000, exit 0. Another labels file gives a note (stderr, ``--json`` notes): comparing
    two models' labels is a use, but ``analyze --gold labels.parquet`` showed the LFs' agreement with
    the model as their accuracy without a word. A column ``fit --keep-cols`` carried from the data
    (a gold column) is fine. Only a Parquet footer is read."""
    from .io import labels_column_name
    from .votes.gold import _note

    if isinstance(gold, pd.DataFrame) or not labels_column_name(label_col):
        return
    p = Path(gold)
    try:
        if p.is_dir():
            meta = read_metadata(p)
        elif p.is_file():
            with open(p, "rb") as fh:
                if fh.read(4) != b"PAR1":
                    return
            meta = read_metadata(p)
        else:
            return
    except (InputError, OSError):   # unreadable: the reader that follows says why
        return
    if meta is None or meta.get("format") != LABELS_FORMAT:
        return
    same = False
    if labels is not None and not isinstance(labels, pd.DataFrame):
        try:
            same = Path(labels).exists() and p.samefile(labels)
        except OSError:
            same = False
    if same:
        raise InputError(f"{gold}: is the labels file being scored: its column {label_col!r} is the label model's "
                         "output, not gold labels; give the table that holds the gold labels (e.g. the data the "
                         "votes were made from) and its label column (--label-col)")
    _note(f"{gold} is a labels file written by `weaklabel fit`: its column {label_col!r} is a label model's output, "
          "so the figures against it are agreement with that model, not accuracy against gold labels")


def evaluate(labels, gold, label_col: str = "label", *, id_cols=None, n_bins: int = N_BINS) -> dict:
    """Scores of ``labels`` (a labels.parquet path) against the gold column ``label_col`` of
    ``gold`` (a table path or a DataFrame): gold rows, coverage (share of them with a label),
    accuracy and macro-F1 on the labelled ones (``accuracy_all``: uncovered rows count as wrong),
    per-class precision / recall / F1, Brier score and expected calibration error of the
    probabilities, confusion matrix (gold rows x labels) and the calibration bins.

    Gold rows without a label (empty, or -1: weaklabel's "unknown") are not scored and are
    counted apart (``gold_rows_no_label``, of which ``gold_rows_minus_one`` are -1), so that
    they are not mistaken for rows the labels file lacks (``gold_rows_unmatched``). A labels
    file whose ids repeat is refused when a gold row matches more than one of its rows (that
    row would be scored once per copy), unless the gold table has the labels' ids row for row
    (the file the votes were made from: matched by position). A labels file without rows
    (``fit --drop-unlabeled`` where no row got a label) scores nothing: every gold row with a
    label is uncovered (coverage 0, ``rows`` 0, the scores NaN)."""
    from .votes.gold import no_label
    from .votes.row_ids import DUPLICATES_HOWTO, duplicate_ids, same_ids

    ids, proba, label, meta = read_labels(labels)
    check_gold_not_labels(gold, label_col, labels)
    n_rows = int(label.size)
    K = int(meta["cardinality"])
    classes = meta.get("classes")
    where = "gold" if isinstance(gold, pd.DataFrame) else str(gold)
    gold_ids = list(id_cols) if id_cols is not None else (list(ids.columns) if ids is not None else [])
    table = gold if isinstance(gold, pd.DataFrame) else read_table(gold, id_cols=gold_ids)
    # the gold rows read as "no label" (empty, -1): computed once, for the conversion and the counts
    masks = no_label(table[label_col], classes) if label_col in table.columns else None
    if label.size:
        y = gold_for_rows(ids, label.size, K, classes, table, label_col, id_cols=id_cols, where=where,
                          row_is_id=bool(meta.get("row_is_id")), rows_where=str(labels), masks=masks,
                          dropped=int(meta.get("dropped_unlabeled") or 0))
    else:
        # a labels file without rows (``fit --drop-unlabeled`` where no row got a label): nothing to
        # match, every gold row with a label is uncovered (coverage 0, no row scored)
        from .votes.gold import labels_to_ids

        if label_col not in table.columns:
            raise InputError(f"{where}: no label column {label_col!r} (columns: {', '.join(map(str, table.columns))})")
        y = labels_to_ids(table[label_col], K, classes, f"{where}, column {label_col!r}", masks=masks)
        proba, label = np.zeros((y.size, K)), np.full(y.size, -1, dtype=np.int64)
    empty, minus = masks
    if ids is not None and n_rows and np.any(y >= 0):
        n_dup, _ = duplicate_ids(ids)
        cols = list(ids.columns)
        by_id = all(c in table.columns for c in cols)   # else matched by position: no row is scored twice
        own_rows = by_id and len(table) == len(ids) and same_ids(table[cols].reset_index(drop=True), ids)
        twice = ids.duplicated(keep=False).to_numpy() & (y >= 0)
        if by_id and n_dup and twice.any() and not own_rows:
            first = ids[twice].iloc[0]
            first = tuple(v.item() if hasattr(v, "item") else v for v in first) if len(cols) > 1 else first.iloc[0]
            first = first.item() if hasattr(first, "item") else first
            raise InputError(f"{labels}: {n_dup} id{'s' * (n_dup > 1)} of {cols} {'appear' if n_dup > 1 else 'appears'} more than once, so a gold "
                             f"row of {where} matches several label rows (first: {first!r}) and would be scored "
                             f"once per copy; {DUPLICATES_HOWTO}")
    if not np.any(y >= 0):
        if (empty | minus).all():
            raise InputError(f"{where}: column {label_col!r} has no label ({int(empty.sum()):,} empty, "
                             f"{int(minus.sum()):,} -1, read as \"no label\")")
        how = f"id columns {list(ids.columns)}" if ids is not None else "position"
        raise InputError(f"{where}: no gold label matches a row of {labels} (matched by {how}; "
                         f"column {label_col!r})")
    acc = LabelScores(K, n_bins)
    acc.add(y, proba, label)
    out = {"labels": str(labels), "rows": n_rows}
    out.update(acc.result(classes))
    # gold rows the labels file has no row for: with --drop-unlabeled, rows without a label were
    # left out, so coverage and accuracy_all above are over the rows it kept
    n_no_label = int((empty | minus).sum())
    out["gold_rows_no_label"] = n_no_label
    out["gold_rows_minus_one"] = int(minus.sum())
    out["gold_rows_unmatched"] = max(0, len(table) - n_no_label - int((y >= 0).sum()))
    out["labels_rows_dropped"] = int(meta.get("dropped_unlabeled") or 0)
    return out


__all__ = ["check_gold_not_labels", "evaluate", "gold_for_rows", "label_arrays", "read_labels", "rows_view"]
