"""Votes handed to a label model's ``fit`` / ``predict_proba`` / ``score`` as a VoteMatrix: the
dense-array checks of :mod:`weaklabel.votes.dense`, plus the two inputs that reach numpy's
``asarray`` before them and come out wrong there: a masked array (numpy drops the mask, so a
masked cell is read as the value under it, often a vote for class 0) and rows of different
lengths (numpy's "inhomogeneous shape" ValueError)."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix


def coerce_votes(L, cardinality: int | None = None) -> VoteMatrix:
    """``VoteMatrix.coerce(L, cardinality)`` after the checks of the module docstring."""
    if isinstance(L, np.ma.MaskedArray):
        masked = np.ma.getmaskarray(L)
        if masked.any():
            r, c = (int(i) for i in np.argwhere(masked)[0])
            raise InputError(f"vote matrix: a masked array, with row {r}, column {c} masked; a masked cell would be "
                             f"read as the value under the mask, not as an abstain: pass L.filled(-1)")
        L = np.ma.getdata(L)
    elif isinstance(L, (list, tuple)):
        lengths = {len(row) if isinstance(row, (list, tuple, np.ndarray)) else -1 for row in L}
        if len(lengths) > 1:
            first = len(L[0]) if isinstance(L[0], (list, tuple, np.ndarray)) else None
            r = next(i for i, row in enumerate(L)
                     if (len(row) if isinstance(row, (list, tuple, np.ndarray)) else None) != first)
            what = "is not a list" if not isinstance(L[r], (list, tuple, np.ndarray)) else f"has {len(L[r])} votes"
            raise InputError(f"vote matrix: row {r} {what}, row 0 has {first}; every row needs one vote per LF "
                             f"(-1 for abstain)")
    if cardinality is None and not isinstance(L, VoteMatrix):
        check_answers_table(L)
        check_id_columns(L)
    return VoteMatrix.coerce(L, cardinality=cardinality)


#: column names taken for row ids, as a plain votes file's (``io.votes_file``): one of these or
#: ending in ``_id``, in any case
ID_NAMES = frozenset({"row", "id", "row_id", "item", "index"})
#: a column never abstaining whose largest value is at least this, half the rows and ID_LIKE_RATIO
#: times every other column's largest vote is taken for ids whatever its name (as for a votes file)
ID_LIKE_MIN_VALUE, ID_LIKE_RATIO = 100, 4


def _id_name(name) -> bool:
    low = str(name).strip().lower()
    return low in ID_NAMES or low.endswith("_id")


def _column_ranges(L) -> tuple[list, np.ndarray, np.ndarray] | None:
    """``(names or None, per-column minima, maxima)`` of a DataFrame's or a numeric array's votes,
    or None when they are not plain numbers (left to the dense checks' messages)."""
    from ..votes.dense import is_frame

    try:
        if is_frame(L):
            if L.shape[0] == 0 or L.shape[1] < 2:
                return None
            lo, hi = L.min(axis=0, numeric_only=False), L.max(axis=0, numeric_only=False)
            return [c for c in L.columns], np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        arr = L if isinstance(L, np.ndarray) else None
        if arr is None or arr.ndim != 2 or arr.dtype.kind not in "iuf" or 0 in arr.shape or arr.shape[1] < 2:
            return None
        return None, np.asarray(arr.min(axis=0), dtype=float), np.asarray(arr.max(axis=0), dtype=float)
    except (TypeError, ValueError):
        return None


def _id_like(L, j: int) -> bool:
    """Whether column ``j`` of dense votes holds values as ids do: a different one on every row, or
    counting up row by row (most steps +1: the index of frames concatenated without
    ``ignore_index``, then reset, repeats). An LF that votes every row over hundreds of classes (a
    classifier beside keyword LFs) or a crowd worker answering every item with one high class
    repeats its votes in no such order: it is an LF."""
    from ..votes.dense import is_frame

    try:
        col = np.asarray(L.iloc[:, j] if is_frame(L) else L[:, j], dtype=float)
    except (TypeError, ValueError):
        return True   # not plain numbers (a missing value): the rule as before, and the dense checks
    if np.unique(col).size == col.size:
        return True
    return col.size > 1 and float(np.mean(np.diff(col) == 1)) >= 0.9


def check_answers_table(L) -> None:
    """Refuse a DataFrame that is a crowdsourcing answers table (``item, worker, label``, one row per
    answer; :func:`weaklabel.io.plain_ids.answers_table_error`) when the number of classes is
    inferred: read as votes, the worker ids were an LF's votes, K the largest worker id + 1 (or the
    largest item id + 1), one row per answer, and the fit raised nothing."""
    from ..io.plain_ids import answers_table_error, is_worker_name
    from ..votes.dense import is_frame

    if not is_frame(L):
        return
    index_name = L.index.name if getattr(L.index, "nlevels", 1) == 1 else None
    columns = [c for c in L.columns]
    if not any(is_worker_name(c) for c in columns + ([index_name] if index_name is not None else [])):
        return
    ids = [c for c in columns if _id_name(c)]
    if index_name is not None and index_name not in columns:
        columns, ids = [index_name] + columns, [index_name] + ids

    def values(name):
        if name == index_name and name not in L.columns:
            return L.index.to_series(index=range(len(L)))
        col = L[name]
        return col.iloc[:, 0] if getattr(col, "ndim", 1) == 2 else col

    msg = answers_table_error("vote matrix", columns, ids, values)
    if msg is not None:
        raise InputError(msg)


def check_id_columns(L) -> None:
    """Refuse a column of dense votes that holds row ids, when the number of classes is inferred
    (the largest vote + 1): ``pd.read_parquet("votes.parquet")`` or ``df.reset_index()`` keeps the
    id column, which was taken for an LF voting a class of its own on every row, and K became the
    largest id + 1 (a 1300-class model, no error). A column is taken for ids when it never abstains
    and alone sets K, and either is named like an id with a different value on every row, or holds
    values of at least :data:`ID_LIKE_MIN_VALUE` and half the rows, :data:`ID_LIKE_RATIO` times
    every other column's largest vote (the rule a votes file without metadata is read by), and
    holds them as ids do (:func:`_id_like`: all different, or counting up)."""
    ranges = _column_ranges(L)
    if ranges is None:
        return
    names, lo, hi = ranges
    if not np.all(np.isfinite(hi)) or not np.all(np.isfinite(lo)):
        return
    j = int(np.argmax(hi))
    top, rest = hi[j], float(np.max(np.delete(hi, j)))
    if lo[j] < 0 or top <= rest or rest < 0:
        return
    n = L.shape[0]
    if names is not None and _id_name(names[j]) and n >= 3 and top >= 2:
        named = int(L.iloc[:, j].nunique()) == n
    else:
        named = False
    by_value = (top >= ID_LIKE_MIN_VALUE and 2 * top >= n and top + 1 >= ID_LIKE_RATIO * (rest + 1)
                and _id_like(L, j))
    if not (named or by_value):
        return
    col = f"column {names[j]!r}" if names is not None else f"column {j}"
    why = "named like an id, a different value on every row" if named else f"values up to {int(top):,}"
    fix = (f"drop it (L.drop(columns=[{names[j]!r}])) or make it the index (L.set_index({names[j]!r}))"
           if names is not None else f"drop it (np.delete(L, {j}, axis=1))")
    raise InputError(f"vote matrix: {col} looks like row ids, not an LF's votes ({why}, never -1, while every other "
                     f"column votes at most {int(rest)}; taken as votes it would make {int(top) + 1:,} classes): "
                     f"{fix}; if it is an LF, give the number of classes: VoteMatrix.from_dense(L, cardinality=K)")


def check_label_order(L, y, name: str = "y") -> None:
    """Gold labels given as a pandas Series for votes given as a DataFrame are read by position, as
    numpy's; when the two indexes hold the same row labels in another order (a gold table sorted
    or indexed otherwise), that position pairs each row with another row's label: an InputError."""
    from ..votes.dense import is_frame

    index = getattr(y, "index", None)
    if not is_frame(L) or index is None or callable(index) or not hasattr(y, "to_numpy"):
        return
    rows = L.index
    if len(rows) != len(index) or rows.equals(index) or not rows.is_unique or not index.is_unique:
        return
    # the same row labels? By lookup, not by sorting: an index of mixed types (ids 1 and "a") cannot
    # be sorted (a TypeError from the fit of valid votes)
    try:
        where = rows.get_indexer(index)
    except (TypeError, ValueError):
        return
    if (where < 0).any():
        return   # other row labels: nothing says the rows are not in the same order
    moved = np.flatnonzero(where != np.arange(len(where)))
    if not moved.size:
        return
    r = int(moved[0])
    raise InputError(f"{name}: a pandas Series whose index holds L's row labels in another order (position {r}: "
                     f"L's row {rows[r]!r}, {name}'s {index[r]!r}); labels are read by position: pass "
                     f"{name}.reindex(L.index)")
