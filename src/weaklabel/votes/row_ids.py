"""Row ids across files: repeated ids, null ids, and whether two files hold the same ids row for row.

Matching rows by id (gold labels, kept columns, labels against gold) needs ids that are unique and
present; these checks name the file, column and first row at fault. Used by :mod:`.gold`,
``fit.keep``, ``evaluation`` and ``apply``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import read_table


def duplicate_ids(keys: pd.DataFrame, limit: int = 3) -> tuple[int, list]:
    """``(number of ids that appear more than once, the first ``limit`` of them)``; an id of
    several columns is a tuple. Rows with a null id are left out (:func:`first_null_id` counts
    them: two empty ids are not one id seen twice)."""
    null = keys.isna().to_numpy().any(axis=1) if len(keys.columns) else np.zeros(len(keys), dtype=bool)
    if null.any():
        keys = keys[~null]
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return 0, []
    repeated = keys[keys.duplicated(keep=False).to_numpy()].drop_duplicates()
    first = [tuple(r) if len(keys.columns) > 1 else r[0] for r in repeated.head(limit).itertuples(index=False)]
    return int(len(repeated)), first


def first_null_id(keys: pd.DataFrame) -> tuple[int, str, int] | None:
    """``(row, column, number of rows with a null id)`` for the first row (a 0-based position) whose
    id is null (empty, NaN, None, NA) in some id column, or ``None`` when every row has an id."""
    if keys is None or not len(keys.columns) or not len(keys):
        return None
    null = keys.isna().to_numpy()
    rows = null.any(axis=1)
    if not rows.any():
        return None
    i = int(np.flatnonzero(rows)[0])
    return i, keys.columns[int(np.flatnonzero(null[i])[0])], int(rows.sum())


def check_ids_present(keys: pd.DataFrame, where: str, offset: int = 0) -> None:
    """One :class:`InputError` naming ``where``, the id column and the first row (``offset`` + its
    position) whose id is null: such a row matches no row of another file by id, or, as pandas
    joins a null with a null, the wrong one (another file's row without an id)."""
    hit = first_null_id(keys)
    if hit is None:
        return
    i, col, n = hit
    more = f" and {n - 1:,} more row{'s' * (n > 2)}" if n > 1 else ""
    raise InputError(f"{where}: id column {col!r} is empty (null) at row {offset + i:,}{more}; rows are matched by "
                     "id, and a row without one matches nothing: give every row an id (or drop the rows without one)")


DUPLICATES_HOWTO = ("ids must be unique to match rows by id: de-duplicate the data (e.g. "
                    "df.drop_duplicates(subset=[...]) in pandas) and re-run `weaklabel apply`, or pass an --id-col "
                    "that is unique")
#: the same for a gold table, whose ids come from the user's file (a truth repeated on every answer
#: row of a crowd set): `apply` and `--id-col` are no way out of ``analyze``/``evaluate``/``fit --dev``
GOLD_DUPLICATES_HOWTO = ("a gold table needs one row per id to match rows by id: keep one row per id (e.g. "
                         "df.drop_duplicates(subset=[...]) in pandas, once the copies' labels agree)")


def same_ids(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two id tables hold the same ids row for row (compared as text; null where the other
    is null)."""
    try:
        na, nb = a.isna().to_numpy(), b.isna().to_numpy()
        if na.shape != nb.shape or not (na == nb).all():
            return False
        return bool((a.astype(str).to_numpy() == b.astype(str).to_numpy())[~na].all())
    except (TypeError, ValueError):  # pragma: no cover
        return False


def spelled_otherwise(a: pd.DataFrame, b: pd.DataFrame, limit: int = 100_000) -> str:
    """For an error on text ids of two files that match nothing: ``"; the ids differ only in ..."``
    when they would match without surrounding spaces and in Unicode NFC (:func:`.class_names.class_key`,
    ``"café"`` typed with a combining accent; the samples in the message look the same), with one
    pair as code points; else ``""``. Ids are compared as written (no rule of the matching changes);
    checked on at most ``limit`` ids of each file."""
    from .class_names import class_key

    if list(a.columns) != list(b.columns) or not all(
            pd.api.types.is_string_dtype(a[c]) and pd.api.types.is_string_dtype(b[c]) for c in a.columns):
        return ""

    def keyed(df: pd.DataFrame) -> dict:
        out = {}
        for row in df.head(limit).itertuples(index=False):
            if not any(pd.isna(v) for v in row):
                out.setdefault(tuple(class_key(v) for v in row), tuple(row))
        return out

    ka, kb = keyed(a), keyed(b)
    both = next((k for k in ka if k in kb), None)
    if both is None:
        return ""
    x, y = ka[both], kb[both]
    show = (lambda t: ascii(t[0]) if len(t) == 1 else ascii(t))
    return (f"; the ids differ only in surrounding spaces or Unicode normalisation (NFC/NFD), e.g. {show(x)} against "
            f"{show(y)}: write them one way in both files")


#: rows of a gold column compared with the votes' ids before the whole column is read
_IDS_SAMPLE = 1000


def column_holding_ids(ids: pd.Series, gold, columns, skip) -> str | None:
    """The first column of a gold table (``gold``: a :class:`~weaklabel.io.TableSource` or a
    DataFrame of as many rows as the votes) other than ``skip`` whose values are the votes' ids
    ``ids`` (compared as text) in another order, or ``None``. Such a table holds the ids under
    another name (``item`` for the votes' ``task``: crowd answers and their truth file named apart)
    and its rows are in another order than the votes' (``weaklabel crowd`` writes items in the order
    of their first answer): matched by position, every label was scored against another item's
    votes (accuracy 0.55 for 0.90, exit 0, with a note). A column holding them row for row is fine
    by position, and is not returned. Each column is read only when its first rows are all ids."""
    want = ids.astype(str).to_numpy()
    known = set(want.tolist())
    unique = len(known) == len(want)
    want_sorted = None   # sorted once, when a column first needs it (a sort of a million ids: 0.6 s)
    if not isinstance(gold, pd.DataFrame):
        try:   # a CSV's id types decided in one pass over it for every column, not in one pass a column
            gold.id_dtypes([c for c in columns if c not in skip])
        except (InputError, ValueError, TypeError, KeyError):
            pass
    for col in columns:
        if col in skip:
            continue
        try:
            if isinstance(gold, pd.DataFrame):
                first = gold[col].iloc[:_IDS_SAMPLE]
            else:
                first = next(iter(gold.iter_batches(_IDS_SAMPLE, [col], id_cols=[col])), pd.DataFrame({col: []}))[col]
            if first.isna().any() or not len(first):
                continue
            sample = first.astype(str).tolist()
            # a column of repeated values (a count, a year, a class) cannot hold unique ids: not read whole
            if not set(sample) <= known or (unique and len(set(sample)) < len(sample)):
                continue
            values = (gold[col] if isinstance(gold, pd.DataFrame) else read_table(gold, [col], id_cols=[col])[col])
        except (InputError, ValueError, TypeError, KeyError):
            continue
        text = values.astype(str).to_numpy()
        if len(text) != len(want) or (text == want).all():
            continue
        if unique and not pd.Series(text).is_unique:
            continue
        if want_sorted is None:
            want_sorted = np.sort(want)
        if np.array_equal(np.sort(text), want_sorted):
            return str(col)
    return None
