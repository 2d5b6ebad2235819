"""Line gold labels up with the rows of a vote matrix.

Gold rows are matched to votes by the id columns when both tables have them (rows of the vote
matrix without a gold row get ``-1``), else by position (then the row counts must agree). Labels
may be class ids or, when the votes carry class names, those names; missing labels become ``-1``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .io import read_table
from .votes import VoteMatrix


def labels_to_ids(values: pd.Series, cardinality: int, classes: list[str] | None, where: str) -> np.ndarray:
    """Convert a label column (ints, integral floats with NaN, or class names) to ids with -1 = unknown."""
    s = values.reset_index(drop=True)
    missing = s.isna().to_numpy()
    out = np.full(len(s), -1, dtype=np.int64)
    present = s[~missing]
    if present.empty:
        return out
    if pd.api.types.is_bool_dtype(present):
        raise InputError(f"{where}: labels are booleans; use class ids 0..{cardinality - 1}")
    if pd.api.types.is_numeric_dtype(present):
        arr = present.to_numpy(dtype=float)
        if np.any(arr != np.round(arr)):
            i = int(np.flatnonzero(arr != np.round(arr))[0])
            raise InputError(f"{where}: label {arr[i]!r} at row {present.index[i]} is not a class id")
        ids = arr.astype(np.int64)
    else:
        texts = present.astype(str).to_numpy()
        if classes is not None and set(texts) <= set(classes):
            lookup = {c: i for i, c in enumerate(classes)}
            ids = np.array([lookup[t] for t in texts], dtype=np.int64)
        else:
            try:
                ids = np.array([int(t) for t in texts], dtype=np.int64)
            except ValueError:
                bad = next(t for t in texts if not t.lstrip("-").isdigit() and (classes is None or t not in classes))
                known = f" (classes: {', '.join(classes)})" if classes else ""
                raise InputError(f"{where}: label {bad!r} is not a class id or class name{known}") from None
    bad = (ids < -1) | (ids >= cardinality)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where}: label {ids[i]} at row {present.index[i]} is outside 0..{cardinality - 1}")
    out[~missing] = ids
    return out


def align_gold(vm: VoteMatrix, gold: str | Path | pd.DataFrame, label_col: str,
               id_cols: list[str] | None = None) -> np.ndarray:
    """Gold labels aligned with ``vm``'s rows (``-1`` where unknown)."""
    if isinstance(gold, pd.DataFrame):
        table, where = gold, "gold"
    else:
        where = str(gold)
        table = read_table(gold)
    if label_col not in table.columns:
        raise InputError(f"{where}: no label column {label_col!r} (columns: {', '.join(map(str, table.columns))})")
    ids = id_cols if id_cols is not None else (list(vm.row_ids.columns) if vm.row_ids is not None else [])
    if ids and all(c in table.columns for c in ids):
        lab = labels_to_ids(table[label_col], vm.cardinality, vm.classes, f"{where}, column {label_col!r}")
        keys = table[ids].reset_index(drop=True).copy()
        if keys.duplicated().any():
            i = int(np.flatnonzero(keys.duplicated().to_numpy())[0])
            raise InputError(f"{where}: id {tuple(keys.iloc[i])!r} appears more than once")
        keys["__gold__"] = lab
        left = vm.row_ids[ids].reset_index(drop=True)
        try:
            merged = left.merge(keys, on=ids, how="left", validate="many_to_one")
        except (ValueError, TypeError) as exc:
            raise InputError(f"{where}: cannot match ids {ids} with the votes ({exc})") from None
        y = merged["__gold__"].to_numpy()
        return np.where(np.isnan(y.astype(float)), -1, y).astype(np.int64)
    if len(table) != vm.n_rows:
        raise InputError(f"{where}: has {len(table)} rows but the votes have {vm.n_rows}; "
                         "add the id column(s) to both to match rows by id")
    return labels_to_ids(table[label_col], vm.cardinality, vm.classes, f"{where}, column {label_col!r}")


def load_dev(vm: VoteMatrix, dev: str | Path, label_col: str) -> tuple[VoteMatrix, np.ndarray, int]:
    """Gold labels for fitting with a dev set.

    Two layouts are accepted:

    * a table holding the vote matrix's LF columns and ``label_col`` (dev rows that are *not* in
      the votes): those rows are appended to the votes, labelled;
    * any table with ``label_col`` and the votes' id columns (dev rows that *are* in the votes):
      labels are matched by id.

    Returns ``(votes to fit on, y with -1 for unlabelled rows, number of leading rows that
    belong to the original votes)``.
    """
    from .io import read_metadata, read_votes, TableSource

    p = Path(dev)
    src = TableSource(p)
    if label_col not in src.columns:
        raise InputError(f"{p}: no label column {label_col!r} (columns: {', '.join(map(str, src.columns))})")
    has_lfs = all(name in src.columns for name in vm.lf_names)
    if has_lfs:
        meta = read_metadata(p) if src.format == "parquet" else None
        ids = [c for c in src.columns if c not in vm.lf_names and c != label_col]
        if meta is not None and meta.get("format") == "weaklabel.votes":
            dev_vm = read_votes(p, cardinality=vm.cardinality)
        else:
            dev_vm = read_votes(p, id_cols=ids + [label_col], cardinality=vm.cardinality) if src.format in (
                "parquet", "parquet-dir") else None
            if dev_vm is None:
                table = read_table(p)
                dev_vm = VoteMatrix.from_dense(table[vm.lf_names].to_numpy(), cardinality=vm.cardinality,
                                               lf_names=vm.lf_names)
        dev_vm = dev_vm.select_lfs(vm.lf_names)
        labels = read_table(p, [label_col])[label_col]
        y_dev = labels_to_ids(labels, vm.cardinality, vm.classes, f"{p}, column {label_col!r}")
        from .votes import concat_csr

        indptr, indices, votes = concat_csr([(vm.indptr, vm.indices, vm.votes),
                                             (dev_vm.indptr, dev_vm.indices, dev_vm.votes)], vm.cardinality)
        both = VoteMatrix(indptr, indices, votes, vm.lf_names, cardinality=vm.cardinality, classes=vm.classes,
                          validate=False)
        y = np.concatenate([np.full(vm.n_rows, -1, dtype=np.int64), y_dev])
        if not np.any(y_dev >= 0):
            raise InputError(f"{p}: column {label_col!r} has no labels")
        return both, y, vm.n_rows
    y = align_gold(vm, p, label_col)
    if not np.any(y >= 0):
        raise InputError(f"{p}: no dev row matches a row of the votes (by id columns "
                         f"{list(vm.row_ids.columns) if vm.row_ids is not None else ['row']})")
    return vm, y, vm.n_rows
