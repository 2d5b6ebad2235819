"""Line gold labels up with the rows of a vote matrix.

Gold rows are matched to votes by the id columns when both tables have them (rows of the vote
matrix without a gold row get ``-1``), else by position (then the row counts must agree); a gold
table with some but not all of the id columns is refused (:func:`check_id_columns`). Labels
may be class ids or, when the votes carry class names, those names (names win when every label is
one: :func:`labels_to_ids`); empty labels and ``-1`` become ``-1`` (:func:`no_label`).
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import TableSource, format_ids, id_sample, read_table
from .class_names import as_ints, class_key, fraction_names, number_text, same_classes
from .row_ids import (GOLD_DUPLICATES_HOWTO, check_ids_present, column_holding_ids, duplicate_ids, first_null_id, same_ids,
                      spelled_otherwise)
from .matrix import VoteMatrix


class GoldNote(UserWarning):
    """How a gold label column was read, when another reading was possible (class names that are
    digits, -1 that may have been a class): the labels were read, one documented way, and the
    user is told which. The CLI prints these as ``note:`` lines on stderr."""


#: the notes list of the innermost :func:`gold_notes` block, if any (a context variable, so that
#: only gold notes are collected: other warnings go their usual way, when they happen)
_COLLECTOR: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("gold_notes", default=None)


class VotesNote(UserWarning):
    """How a votes file's columns were read, when they may have meant otherwise (a plain file's
    ``doc_id`` that holds -1: read as ids, by its name). Collected and printed as gold notes are."""


def _note(message: str, category: type[UserWarning] = GoldNote) -> None:
    notes = _COLLECTOR.get()
    if notes is None:
        warnings.warn(message, category, stacklevel=3)
    elif message not in notes:
        notes.append(message)


def votes_note(message: str) -> None:
    """A :class:`VotesNote` (printed by the CLI as a ``note:`` line, as gold notes are)."""
    _note(message, VotesNote)


@contextlib.contextmanager
def gold_notes(show: Callable[[str], None] | None) -> Iterator[list[str]]:
    """Collect the notes on how gold columns were read inside the block and pass each distinct one
    to ``show`` (a CLI's stderr printer; ``None``: say nothing, e.g. ``--quiet``) on the way out,
    also when an error ends the block: a note that -1 was read as "no label" explains a following
    "no gold label matches". The yielded list holds them too (for ``--json``). Outside any block
    they are :class:`GoldNote` warnings."""
    notes: list[str] = []
    token = _COLLECTOR.set(notes)
    try:
        yield notes
    finally:
        _COLLECTOR.reset(token)
        if show is not None:
            for n in notes:
                show(n)


def _label_texts(present: pd.Series) -> np.ndarray:
    """Each label as the text a class name would be: ``1`` and ``1.0`` -> ``"1"``, text stripped."""
    def text(v) -> str:
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    return np.array([text(v) for v in present.tolist()], dtype=object)


def no_label(values: pd.Series, classes: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(empty, minus_one)``: boolean masks of the labels read as "no label". Empty is NaN, None
    or blank text; minus one is ``-1`` (weaklabel's code for unknown, as a number or text),
    unless ``"-1"`` is one of the class names. Kept apart so that callers can say how many
    gold rows each took out (``weaklabel evaluate``): -1 may have been meant as a class."""
    s = values.reset_index(drop=True)
    empty = s.isna().to_numpy()
    if not pd.api.types.is_numeric_dtype(s):
        empty = empty | (s.astype(str).str.strip() == "").to_numpy()
    minus = np.zeros(len(s), dtype=bool)
    if classes is None or "-1" not in classes:
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            minus = s.eq(-1).to_numpy(dtype=bool, na_value=False)   # nullable Int64: NA is not -1
        elif len(s):
            codes, uniq = pd.factorize(s)     # NaN: code -1, the appended False
            is_m1 = [t == "-1" for t in _label_texts(pd.Series(np.asarray(uniq, dtype=object)))]
            minus = np.array(is_m1 + [False], dtype=bool)[codes]
    return empty, minus & ~empty


def _minus_one_note(where: str, n_minus: int, n_empty: int, others: set, cardinality: int,
                    classes: list[str] | None) -> None:
    """Say that -1 was read as "no label" when the column looks coded -1/+1 (a common binary coding,
    where -1 is a class): its other labels are all 1. Not for 0/1 or class-name labels beside -1,
    which is weaklabel's own documented code for unknown (WRENCH files use it too), where a note on
    every run would be noise. What -1 means is not changed."""
    if not n_minus or not others <= {"1"}:
        return
    target = f"class ids 0..{cardinality - 1}" + (f" or the class names ({', '.join(classes)})" if classes else "")
    _note(f"{where}: {n_minus:,} label{'s' * (n_minus != 1)} -1 read as \"no label\" (weaklabel's code for "
          f"unknown); if -1 is a class (labels coded -1/+1), recode the column to {target}, "
          "e.g. df[col] = df[col].map({-1: 0, 1: 1}) in pandas")


def labels_to_ids(values: pd.Series, cardinality: int, classes: list[str] | None, where: str, *,
                  masks: tuple[np.ndarray, np.ndarray] | None = None, outside_hint: str = "") -> np.ndarray:
    """Convert a label column (class names, or class ids as ints, integral floats or digit text)
    to ids with -1 = unknown (empty, NaN or -1: see :func:`no_label`).

    Class names win when every label is one: gold labels ``1``/``2`` for classes named
    ``"1"``/``"2"`` (star ratings) are those classes, not ids 1 and 2 (a CSV or Parquet column
    of digits arrives as numbers, which used to be taken as ids, scoring against the wrong class
    or failing with "outside 0..1"). When every label is also a valid id and the two readings
    differ, names still win (the user named the classes by those digits, so the digits in a gold
    column are most likely the same names) and a :class:`GoldNote` says so, with how to give ids.
    Labels that are neither all names nor all ids are an error naming the first bad one.
    ``masks``: :func:`no_label` of ``values`` and ``classes``, for a caller that has them already."""
    s = values.reset_index(drop=True)
    empty, minus = masks if masks is not None else no_label(s, classes)
    missing = empty | minus
    out = np.full(len(s), -1, dtype=np.int64)
    present = s[~missing]
    if present.empty:
        _minus_one_note(where, int(minus.sum()), int(empty.sum()), set(), cardinality, classes)
        return out
    if pd.api.types.is_bool_dtype(present):
        # classes named "False"/"True" (crowd answers given as booleans, `weaklabel crowd`): those names
        if classes and all(str(bool(b)) in classes for b in pd.unique(present)):
            present = present.map(lambda b: str(bool(b))).astype(object)
        else:
            raise InputError(f"{where}: labels are booleans; use class ids 0..{cardinality - 1}")
    # decided on the distinct values (a gold column of millions of rows has a few)
    numeric = pd.api.types.is_numeric_dtype(present)
    if numeric:
        arr = present.to_numpy(dtype=float)
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if np.any(bad):   # a fraction or an infinity (whose int64 cast read as -9223372036854775808)
            present, numeric = fraction_names(present, arr, classes), False   # classes named 0.5, 1.5, ...
            if present is None:   # the first label that is no class id, nor a class name where classes have names
                i = next((k for k in range(arr.size) if classes and number_text(arr[k]) not in classes),
                         int(np.flatnonzero(bad)[0]))
                raise InputError(f"{where}: label {s[~missing].iloc[i]} at row {s[~missing].index[i]} is not a class id")
    if numeric:
        codes, uniq = pd.factorize(arr.astype(np.int64))
        texts = [str(u) for u in np.asarray(uniq).tolist()]
    else:
        codes, uniq = pd.factorize(present)
        texts = _label_texts(pd.Series(np.asarray(uniq, dtype=object))).tolist()
    u_ids = as_ints(texts)
    _minus_one_note(where, int(minus.sum()), int(empty.sum()), set(texts), cardinality, classes)
    lookup = {c: i for i, c in enumerate(classes)} if classes else {}
    keys = {class_key(c): i for i, c in enumerate(classes)} if classes else {}
    if classes and len(keys) == len(lookup) and any(t not in lookup for t in texts):   # "pos " for "pos", NFD
        texts = [next((c for c in classes if class_key(c) == class_key(t)), t) for t in texts]
    if lookup and all(t in lookup for t in texts):
        u_out = np.array([lookup[t] for t in texts], dtype=np.int64)
        if u_ids is not None and ((u_ids >= 0) & (u_ids < cardinality)).all() and not np.array_equal(u_out, u_ids):
            shown = sorted(set(texts), key=lambda t: lookup[t])
            _note(f"{where}: label{'s' * (len(shown) > 1)} {', '.join(shown[:5])}{', ...' * (len(shown) > 5)} "
                  f"read as class name{'s' * (len(shown) > 1)}, not as class id{'s' * (len(shown) > 1)} "
                  f"0..{cardinality - 1} (classes: {', '.join(classes)}); "
                  "to give class ids, write the class names instead")
    elif u_ids is None:
        numbers = [t for t in texts if as_ints([t]) is not None]
        bad = [t for t in texts if t not in lookup and t not in numbers]
        known = f" (classes: {', '.join(classes)})" if classes else ""
        if not bad:   # every label is a name or a number, but not all of either
            name = next(t for t in texts if t in lookup)
            num = next(t for t in texts if t not in lookup)
            raise InputError(f"{where}: labels mix class names and class ids (e.g. {name!r} and {num!r}); "
                             f"use one or the other{known}")
        raise InputError(f"{where}: label {bad[0]!r} is not a class id or class name{known}")
    else:
        u_out = u_ids
        bad = ((u_ids < 0) | (u_ids >= cardinality))[codes]
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            named = f" nor a class name (classes: {', '.join(classes)})" if classes else ""
            raise InputError(f"{where}: label {u_ids[codes[i]]} at row {present.index[i]} is outside "
                             f"0..{cardinality - 1}{named}{outside_hint}")
    out[~missing] = u_out[codes]
    return out


def check_id_columns(ids: list[str], columns, where: str, rows_where: str = "the votes") -> None:
    """Refuse a gold table that has some but not all of the rows' id columns ``ids`` (``where``:
    its name; ``rows_where``: the rows' file, e.g. the votes or a labels file). It can be matched
    neither by id (a column is missing) nor by position without ignoring the ids it has: rows of
    a file with ``doc`` but not ``sent``, in another order, were matched by position, exit 0.
    Called by :func:`align_gold` (``analyze --gold``, ``fit --dev``, ``evaluate``); a caller that
    decides between id and position itself can call it first."""
    present = [c for c in ids if c in columns]
    missing = [c for c in ids if c not in columns]
    if present and missing:
        has, lacks = ", ".join(map(str, present)), ", ".join(map(str, missing))
        theirs = "the votes'" if rows_where == "the votes" else f"{rows_where}'s"
        raise InputError(f"{where}: has {theirs} id column{'s' * (len(present) > 1)} {has} but not {lacks}: its rows "
                         f"cannot be matched by id, and matching them by position would ignore its ids; add {lacks} "
                         f"to it to match by id, or drop {has} from it to match by position")


def inferred_k_hint(vm: VoteMatrix) -> str:
    """What a gold label above the votes' classes says when their K is their largest vote + 1 (a
    Parquet file without weaklabel metadata): no LF votes the classes above, and the votes cannot
    say they exist (a crowd that never chose a rare class; the error gave no way out)."""
    if vm.metadata or int(vm.votes.max(initial=-1)) + 1 != vm.cardinality:
        return ""
    return (f" (the votes have no weaklabel metadata, so their number of classes is their largest vote + 1, "
            f"{vm.cardinality}, and no LF votes a class above; write them with their number of classes, e.g. "
            "VoteMatrix.read_parquet(path, cardinality=K).to_parquet(new_path))")


def near_id_columns(ids: list[str], columns) -> dict:
    """``{id column: gold column}`` when a gold table has none of the id columns ``ids`` but, for
    each, a column named the same but for case and surrounding spaces (``Doc_ID`` for ``doc_id``),
    else ``{}``. Such a table is matched by position; :func:`align_gold` refuses it when those
    columns' ids are not the votes' row for row (a shuffled gold file was scored against other rows'
    votes, exit 0, with a note that it "has none of the id columns")."""
    if not ids or any(c in columns for c in ids):
        return {}
    keyed = {}
    for c in columns:
        keyed.setdefault(str(c).strip().casefold(), c)
    near = {c: keyed.get(str(c).strip().casefold()) for c in ids}
    return near if all(v is not None for v in near.values()) else {}


def align_gold(vm: VoteMatrix, gold: str | Path | TableSource | pd.DataFrame, label_col: str,
               id_cols: list[str] | None = None, *, where: str | None = None,
               label_ids: np.ndarray | None = None, rows_where: str = "the votes", row_offset: int = 0) -> np.ndarray:
    """Gold labels aligned with ``vm``'s rows (``-1`` where unknown).

    Matched by the id columns when both tables have them, by position when the gold table has
    none of them (a note says so); one with some but not all is an error (:func:`check_id_columns`).
    A gold table whose ids repeat cannot be matched by id, except when its ids are the votes' ids
    row for row (the same file the votes were made from, duplicates and all): then it is matched
    by position. So is a table with null (empty) ids; otherwise a null id on either side is an
    error naming the file (``rows_where``: the name of ``vm``'s side, e.g. the votes or labels
    file, also in the row-count errors; ``row_offset``: the position of ``vm``'s first row there,
    for a block of it), the id column and the first such row. Ids that
    match no row of the votes are an error naming both files' id columns and a sample of each.

    ``gold``: a DataFrame, a path or a :class:`~weaklabel.io.TableSource` already open (a JSON
    Lines file is not scanned again); of a file only the id columns and ``label_col`` are read.
    ``where``: the name errors give a DataFrame ``gold`` (default "gold"; a path names itself).
    ``label_ids``: the label column already converted by :func:`labels_to_ids` (one per table
    row), for callers that align the same table block by block (``weaklabel report``): the
    column is read, and its notes given, once."""
    ids = id_cols if id_cols is not None else (list(vm.row_ids.columns) if vm.row_ids is not None else [])
    table_src = not isinstance(gold, pd.DataFrame)
    if isinstance(gold, pd.DataFrame):
        table, where = gold, where or "gold"
        columns = list(table.columns)
    else:
        src = gold if isinstance(gold, TableSource) else TableSource(gold)
        where = where or str(src.path if isinstance(gold, TableSource) else gold)
        columns, table = list(src.columns), None
    if label_col not in columns:
        raise InputError(f"{where}: no label column {label_col!r} (columns: {', '.join(map(str, columns))})")
    check_id_columns(ids, columns, where, rows_where)
    near = near_id_columns(ids, columns)
    if table is None:   # the columns matched on only: the file's others (its text) are not held in memory
        table = read_table(src, list(dict.fromkeys([c for c in ids if c in columns] + list(near.values())
                                                   + [label_col])), id_cols=ids + list(near.values()))
    if label_ids is None:
        label_ids = labels_to_ids(table[label_col], vm.cardinality, vm.classes, f"{where}, column {label_col!r}",
                                  outside_hint=inferred_k_hint(vm))
    if ids and all(c in columns for c in ids):
        lab = label_ids
        keys = table[ids].reset_index(drop=True).copy()
        left = vm.row_ids[ids].reset_index(drop=True)
        n_dup, first = duplicate_ids(keys)
        nulls = first_null_id(keys) is not None or first_null_id(left) is not None
        if (n_dup or nulls) and len(keys) == len(left) and same_ids(keys, left):
            return lab   # the votes' own rows, in order: position is the match
        check_ids_present(left, rows_where, row_offset)
        check_ids_present(keys, where)
        if n_dup:
            raise InputError(f"{where}: {n_dup} id{'s' * (n_dup > 1)} of {ids} {'appear' if n_dup > 1 else 'appears'} more than once "
                             f"(first: {format_ids(first)}); {GOLD_DUPLICATES_HOWTO}")
        keys["__gold__"] = lab
        try:
            y = left.merge(keys, on=ids, how="left", validate="many_to_one")["__gold__"].to_numpy()
        except (ValueError, TypeError):   # e.g. text ids against integer ids: pandas refuses to merge them
            y = np.full(len(left), np.nan)
        matched = ~np.isnan(y.astype(float))
        if not len(keys):
            raise InputError(f"{where}: has no rows")
        if not matched.any():
            raise InputError(f"{where}: none of its {len(keys):,} ids matches a row of the votes (id columns: votes "
                             f"{ids}, {where} {ids}; votes ids e.g. {id_sample(left)}; {where} ids e.g. "
                             f"{id_sample(keys[ids])}){spelled_otherwise(left, keys[ids])}; check the id column's type and "
                             "values, or drop it from one file to match by position")
        return np.where(matched, y, -1).astype(np.int64)
    # the rows' side by name: the votes file, or a labels file (evaluate), not always "the votes"
    theirs = "the votes'" if rows_where == "the votes" else f"{rows_where}'s"
    if ids and len(table) != vm.n_rows:
        raise InputError(f"{where}: has none of {theirs} id columns {ids} (its columns: "
                         f"{', '.join(map(str, columns))}) and {len(table)} rows against {theirs} "
                         f"{vm.n_rows}; add the id column(s) to match rows by id")
    if len(table) != vm.n_rows:
        have = "the votes have" if rows_where == "the votes" else f"{rows_where} has"
        raise InputError(f"{where}: has {len(table)} rows but {have} {vm.n_rows}; "
                         "add the id column(s) to both to match rows by id")
    theirs_ids = table[list(near.values())].set_axis(ids, axis=1).reset_index(drop=True) if near else None
    if near and vm.row_ids is not None and not same_ids(theirs_ids, vm.row_ids[ids].reset_index(drop=True)):
        named = ", ".join(f"{g!r} for {v!r}" for v, g in near.items())
        raise InputError(f"{where}: has none of {theirs} id columns {ids} but {named}, named otherwise, whose ids are "
                         f"not {theirs} row for row: matched by position, its labels would be scored against other "
                         "rows' votes; rename the column(s) as in the votes to match rows by id")
    if ids and not any(c in columns for c in ids) and vm.row_ids is not None and len(ids) == 1:
        other = column_holding_ids(vm.row_ids[ids[0]], src if table_src else table, columns,
                                    [label_col, *near.values()])
        if other is not None:
            raise InputError(f"{where}: has none of {theirs} id columns {ids}, but its column {other!r} holds {theirs} "
                             f"ids in another order: matched by position, its labels would be scored against other "
                             f"rows' votes; rename its column {other!r} to {ids[0]!r} to match rows by id")
    if ids and not any(c in columns for c in ids):   # a shuffled file would be scored silently
        _note(f"{where}: has none of {theirs} id columns {ids}: its rows are matched with {theirs} "
              "by position (row i with row i); add the id column(s) to match them by id")
    return label_ids


def load_dev(vm: VoteMatrix, dev: str | Path, label_col: str,
             votes_where: str = "the votes") -> tuple[VoteMatrix, np.ndarray, int]:
    """Gold labels for fitting with a dev set.

    Two layouts are accepted:

    * a table holding the vote matrix's LF columns and ``label_col`` (dev rows that are *not* in
      the votes): those rows are appended to the votes, labelled;
    * any table with ``label_col`` and the votes' id columns (dev rows that *are* in the votes):
      labels are matched by id.

    Returns ``(votes to fit on, y with -1 for unlabelled rows, number of leading rows that
    belong to the original votes)``. ``votes_where``: what errors call ``vm`` (its file).

    The file is opened once (:class:`~weaklabel.io.TableSource`) and its rows read once: a JSON
    Lines file is scanned once for its columns (the union of its records' keys) and read once
    (it was scanned again by each read, and a table of labelled votes read twice).
    """
    from .file import read_votes

    p = Path(dev)
    src = TableSource(p)
    if label_col not in src.columns:
        raise InputError(f"{p}: no label column {label_col!r} (columns: {', '.join(map(str, src.columns))})")
    has_lfs = all(name in src.columns for name in vm.lf_names)
    if has_lfs:
        table = None
        meta = src.footer_metadata()   # a single Parquet file's (None for other formats)
        ids = [c for c in src.columns if c not in vm.lf_names and c != label_col]
        if meta is not None and meta.get("format") == "weaklabel.votes":
            dev_vm = same_classes(read_votes(p, cardinality=vm.cardinality), vm.classes, p, votes_where)
        else:
            dev_vm = read_votes(p, id_cols=ids + [label_col], cardinality=vm.cardinality) if src.format in (
                "parquet", "parquet-dir") else None
            if dev_vm is None:
                table = read_table(src)
                try:
                    dev_vm = VoteMatrix.from_dense(table[vm.lf_names].to_numpy(), cardinality=vm.cardinality,
                                                   lf_names=vm.lf_names)
                except InputError as exc:   # "vote matrix: row 3, LF 'lf1': ..." says which row, not which file
                    raise InputError(f"{p}: {exc}") from None
        dev_vm = dev_vm.select_lfs(vm.lf_names)
        # the label column of the table read above (CSV, JSON Lines); of a Parquet file, read alone
        labels = (table if table is not None else read_table(src, [label_col]))[label_col]
        y_dev = labels_to_ids(labels, vm.cardinality, vm.classes, f"{p}, column {label_col!r}")
        from .matrix import concat_csr

        indptr, indices, votes = concat_csr([(vm.indptr, vm.indices, vm.votes),
                                             (dev_vm.indptr, dev_vm.indices, dev_vm.votes)], vm.cardinality)
        both = VoteMatrix(indptr, indices, votes, vm.lf_names, cardinality=vm.cardinality, classes=vm.classes,
                          validate=False)
        y = np.concatenate([np.full(vm.n_rows, -1, dtype=np.int64), y_dev])
        if not np.any(y_dev >= 0):
            raise InputError(f"{p}: column {label_col!r} has no labels")
        return both, y, vm.n_rows
    y = align_gold(vm, src, label_col, rows_where=votes_where)
    if not np.any(y >= 0):
        raise InputError(f"{p}: no dev row matches a row of the votes (by id columns "
                         f"{list(vm.row_ids.columns) if vm.row_ids is not None else ['row']})")
    return vm, y, vm.n_rows
