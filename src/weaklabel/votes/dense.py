"""Dense votes (an ``(n, m)`` numpy array or DataFrame, ``-1`` = abstain) checked and converted
to the CSR arrays of :class:`~weaklabel.votes.VoteMatrix`.

Dense votes come from users (``VoteMatrix.from_dense``, any model's ``fit(L)``) and from votes
files; whatever is not an integer vote is refused here with a one-line :class:`InputError`
naming the first bad cell, rather than surfacing as a raw numpy error, a 43 TiB allocation or a
silently different matrix. numpy only (no pandas import: DataFrames are told by their
attributes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..dtypes import MAX_CARDINALITY, vote_dtype
from ..errors import InputError
from ..lf import ABSTAIN

_DENSE_CHUNK = 65536  # rows converted at a time, to bound temporaries
_ABSTAIN_NOTE = "votes must be integers 0..K-1 with -1 for abstain"


def _lf_label(c: int, names: Sequence[str] | None) -> str:
    return f"LF {names[c]!r}" if names is not None else f"column {c}"


#: where a row of dense votes is, for messages: ``at(r)`` -> ``"votes/part-1.parquet: row 5 of the file,
#: votes row 105"``; ``None``: ``"{where}: row {r}"``
RowPlace = Callable[[int], str] | None


def _cell_error(where: str, r: int, c: int, names: Sequence[str] | None, what: str, at: RowPlace = None) -> InputError:
    return InputError(f"{at(r) if at is not None else f'{where}: row {r}'}, {_lf_label(c, names)}: {what}")


def row_place(dataset, row: int, file=None, file_row: int | None = None) -> tuple[str, str]:
    """``(name, "row ...")`` of row ``row`` of a votes ``dataset`` for a message: the dataset and the row,
    or, for a part file of a folder or glob (``file``, its row ``file_row``), the part file, the row
    within it and the dataset's row (``("v/part-1.parquet", "row 5 of the file, votes row 105")``): a
    folder's row alone ("v (rows from 100): row 5") left the user counting rows across part files."""
    if file is None or str(file) == str(dataset):
        return str(dataset), f"row {row}"
    return str(file), f"row {file_row} of the file, votes row {row}"


def _first(bad: np.ndarray) -> tuple[int, int]:
    r, c = np.argwhere(bad)[0]
    return int(r), int(c)


def is_frame(x) -> bool:
    """A pandas DataFrame, told without importing pandas (this module stays numpy-only)."""
    return hasattr(x, "iloc") and hasattr(x, "columns") and getattr(x, "ndim", 0) == 2


def frame_has_default_columns(frame) -> bool:
    """Whether a DataFrame's columns are pandas' default ``0 .. m-1`` (``pd.DataFrame(L)``): no
    names of the user's, so its votes are read by position like a numpy array's."""
    return [c if isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) else None
            for c in frame.columns] == list(range(frame.shape[1]))


def checked_dense(dense, lf_names: Sequence[str] | None = None, where: str = "vote matrix",
                  at: RowPlace = None) -> np.ndarray:
    """A dense ``(n, m)`` vote array (numpy or a DataFrame) as a numpy integer array.

    Every way a dense array of votes can be wrong is an :class:`InputError` naming the first bad
    cell or column, instead of a raw numpy error or, worse, a silent change of meaning: NaN or
    inf, non-integral floats, pandas NA, strings and other objects, and unsigned arrays holding
    the dtype's maximum (``-1`` cast to ``uint8`` is 255, which would become a class of its own).
    Signed integer arrays are returned as they are (no copy, no pass over the data). ``at``: how a
    row is named in messages (:data:`RowPlace`).
    """
    if hasattr(dense, "tocsr") and hasattr(dense, "nnz"):   # scipy.sparse, told without importing it
        raise InputError(f"{where}: got a scipy sparse {type(dense).__name__}, whose unstored cells read as 0, a vote "
                         "for class 0; pass a dense array with -1 for abstain, or the CSR arrays of the votes "
                         "alone (abstains not stored): VoteMatrix(indptr, indices, votes, cardinality=K)")
    if is_frame(dense):
        names = list(lf_names) if lf_names is not None else [str(c) for c in dense.columns]
        return _frame_votes(dense, names, where)
    dense = np.asarray(dense)
    if dense.ndim != 2:
        raise InputError(f"{where}: expected a 2-d array of votes, got shape {dense.shape}")
    return _array_votes(dense, lf_names, where, at=at)


def _array_votes(dense: np.ndarray, names: Sequence[str] | None, where: str, offset: int = 0,
                 at: RowPlace = None) -> np.ndarray:
    """:func:`checked_dense` for a numpy array (``offset``: the first column's index in ``names``)."""
    shown = names[offset:] if names is not None else None
    kind = dense.dtype.kind
    if kind == "i":
        return dense
    if kind == "u":
        return _unsigned_votes(dense, shown, where, at)
    if kind == "f":
        return _float_votes(dense, shown, where, at)
    if kind == "O":
        return _object_votes(dense, shown, where, at)
    if kind == "b":
        raise InputError(f"{where}: got booleans (dtype bool); {_ABSTAIN_NOTE}")
    example = f", e.g. {dense[0, 0].item()!r} in row 0, {_lf_label(0, shown)}" if dense.size else ""
    raise InputError(f"{where}: got dtype {dense.dtype}{example}; {_ABSTAIN_NOTE}")


def _unsigned_votes(dense: np.ndarray, names, where: str, at: RowPlace = None) -> np.ndarray:
    """Unsigned votes are fine unless they hold the dtype's maximum: the wrapped ``-1``."""
    top = np.iinfo(dense.dtype).max
    if dense.size and dense.max() == top:
        r, c = _first(dense == top)
        raise _cell_error(where, r, c, names,
                          f"vote {top} in an unsigned array ({dense.dtype}) is -1 wrapped around; abstain "
                          "must be -1 in a signed integer type (e.g. L.astype(np.int16))", at)
    return dense


def _float_votes(dense: np.ndarray, names, where: str, at: RowPlace = None) -> np.ndarray:
    """Integral floats become int64; NaN, inf, fractions and values no int64 holds are errors."""
    if not dense.size:
        return dense.astype(np.int64)
    bad = ~np.isfinite(dense)
    if bad.any():
        r, c = _first(bad)
        v = dense[r, c]
        shown = "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        raise _cell_error(where, r, c, names, f"vote is {shown}; {_ABSTAIN_NOTE} (no NaN or inf)", at)
    bad = dense != np.floor(dense)
    if bad.any():
        r, c = _first(bad)
        raise _cell_error(where, r, c, names, f"vote {dense[r, c]} is not an integer; {_ABSTAIN_NOTE}", at)
    _check_limits(dense, names, where, at)
    return dense.astype(np.int64)


def _object_votes(dense: np.ndarray, names, where: str, at: RowPlace = None) -> np.ndarray:
    """An object array holds votes only if every cell is an int (not None, NA, a string...)."""
    is_int = np.frompyfunc(lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)), 1, 1)
    bad = ~is_int(dense).astype(bool) if dense.size else np.zeros(dense.shape, bool)
    if bad.any():
        r, c = _first(bad)
        v = dense[r, c]
        what = ("missing value (None/NA); abstains must be -1" if _is_missing(v)
                else f"{v!r} ({type(v).__name__}) is not a vote; {_ABSTAIN_NOTE}")
        raise _cell_error(where, r, c, names, what, at)
    if dense.size:
        big = np.frompyfunc(lambda v: not -(1 << 62) < v < (1 << 62), 1, 1)(dense).astype(bool)
        if big.any():
            r, c = _first(big)
            raise _cell_error(where, r, c, names, _limit_text(dense[r, c]), at)
    return dense.astype(np.int64)


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or type(v).__name__ in ("NAType", "NaTType")


def _frame_votes(frame, names: Sequence[str], where: str) -> np.ndarray:
    """A DataFrame column by column: a nullable column with NA names the first NA cell (as a
    votes file with a null does: abstains are -1, never missing); the rest as numpy arrays."""
    if len(names) != frame.shape[1]:
        raise InputError(f"{where}: {len(names)} LF names for {frame.shape[1]} columns")
    cols = []
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if not isinstance(col.dtype, np.dtype):   # a pandas extension type: Int64, string, category...
            na = np.asarray(col.isna(), dtype=bool)
            if na.any():
                raise _cell_error(where, int(np.argmax(na)), j, names, "missing value (NA); abstains must be -1")
            numeric = getattr(col.dtype, "numpy_dtype", None)
            arr = col.to_numpy(dtype=numeric if numeric is not None and col.dtype.kind in "iuf" else object)
        else:
            arr = col.to_numpy()
        cols.append(_array_votes(arr.reshape(-1, 1), names, where, offset=j))
    if not cols:
        return np.zeros((len(frame), 0), dtype=np.int64)
    if len({c.dtype for c in cols}) > 1:
        cols = [c.astype(np.int64, copy=False) for c in cols]
    return np.concatenate(cols, axis=1)


def _limit_text(v) -> str:
    return (f"vote {v} is above the limit of {MAX_CARDINALITY} classes (class ids 0..{MAX_CARDINALITY - 1})"
            if v > 0 else f"vote {v} is below -1 (abstain is -1)")


def _check_limits(dense: np.ndarray, names, where: str, at: RowPlace = None) -> None:
    """No vote below -1 or above the class limit (votes are stored as int8/int16), whatever K."""
    bad = (dense < ABSTAIN) | (dense >= MAX_CARDINALITY)
    if bad.any():
        r, c = _first(bad)
        v = dense[r, c]
        raise _cell_error(where, r, c, names, _limit_text(int(v) if float(v).is_integer() else v), at)


def infer_cardinality(dense: np.ndarray, names: Sequence[str] | None = None, where: str = "vote matrix") -> int:
    """``max vote + 1`` (at least 2) of a checked dense array, refusing votes above the class
    limit: a stray vote of 10**6 would otherwise ask the models for K = 10**6 classes."""
    if not dense.size:
        return 2
    top = int(dense.max())
    if top >= MAX_CARDINALITY:
        _check_limits(dense, names, where)
    return max(2, top + 1)


def dense_to_csr(dense: np.ndarray, cardinality: int,
                 lf_names: Sequence[str] | None = None, where: str = "vote matrix", at: RowPlace = None):
    """Convert a dense ``(n, m)`` int array (``-1`` = abstain) into CSR arrays.

    Values outside ``-1..K-1`` raise :class:`InputError` naming the row and LF; so does anything
    that is not an integer vote (see :func:`checked_dense`); ``at``: how a row is named (:data:`RowPlace`).
    """
    if lf_names is None and is_frame(dense):
        lf_names = [str(c) for c in dense.columns]
    dense = checked_dense(dense, lf_names, where, at)
    n, m = dense.shape
    vdt = vote_dtype(cardinality)
    indptr = np.zeros(n + 1, dtype=np.int64)
    idx_parts, vote_parts = [], []
    for start in range(0, n, _DENSE_CHUNK):
        block = dense[start:start + _DENSE_CHUNK]
        bad = (block < ABSTAIN) | (block >= cardinality)
        if bad.any():
            r, c = _first(bad)
            raise _cell_error(where, start + r, c, lf_names,
                              f"vote {block[r, c]} is outside -1..{cardinality - 1} (cardinality {cardinality})", at)
        mask = block != ABSTAIN
        indptr[start + 1:start + 1 + block.shape[0]] = np.count_nonzero(mask, axis=1)
        _, cols = np.nonzero(mask)
        idx_parts.append(cols.astype(np.int32))
        vote_parts.append(block[mask].astype(vdt))
    np.cumsum(indptr, out=indptr)
    indices = np.concatenate(idx_parts) if idx_parts else np.zeros(0, np.int32)
    votes = np.concatenate(vote_parts) if vote_parts else np.zeros(0, vdt)
    return indptr, indices, votes


def duplicate_vote(indptr: np.ndarray, indices: np.ndarray, chunk: int = 1 << 22) -> tuple[int, int] | None:
    """``(row, LF index)`` of the first row holding two votes of one LF in CSR arrays, or None.

    Such a row would count that LF's vote twice in every model (``to_dense`` shows one). One
    pass in chunks over ``indices``: a row's indices that increase (the usual layout) need no
    more; only rows whose indices do not are sorted and compared."""
    nnz = int(indices.size)
    flagged = []
    for a in range(0, max(nnz - 1, 0), chunk):
        b = min(nnz, a + chunk + 1)
        p = np.flatnonzero(np.diff(indices[a:b]) <= 0) + a   # entry p vs p + 1 (int32: no overflow)
        if p.size:
            starts = np.searchsorted(indptr, p + 1, side="left")
            inside = (starts >= indptr.size) | (indptr[np.minimum(starts, indptr.size - 1)] != p + 1)
            flagged.append(p[inside])
    if not flagged or not any(f.size for f in flagged):
        return None
    rows = np.unique(np.searchsorted(indptr, np.concatenate(flagged), side="right") - 1)
    for r in rows:
        cols = np.sort(indices[indptr[r]:indptr[r + 1]])
        same = np.flatnonzero(cols[1:] == cols[:-1])
        if same.size:
            return int(r), int(cols[same[0]])
    return None
