"""The batch kernels of `apply`: row-wise and vectorized LFs on one batch, every vote validated.

Anything but an int in ``-1..K-1`` is an error naming the LF, the row (position and id) and the
value. Error policy (``on_error``):

* ``"raise"`` (default): the first failing call, in row order, stops the run with an
  :class:`~weaklabel.errors.LFError`;
* ``"abstain"``: a failing call (an exception or an invalid vote) counts as an abstain and is
  counted per LF in the summary and the output metadata.

A column an LF needs but the data lacks is always an error (it would fail on every row).
Failures are returned as data (:class:`Failure`, picklable), not raised, so that worker
processes and Dask partitions report them in row order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._signals import real_interrupt
from ..errors import LFError, MissingColumnError
from ..lf import LabelingFunction, MissingField, Row, batch_memo
from ..lf.core import ROW_WRITES

UNKNOWN_K_CAP = 127  # with no cardinality given, votes are stored as int8


# --------------------------------------------------------------------------- failures
@dataclass
class Failure:
    """A picklable description of an LF failure (exceptions with extra fields do not unpickle)."""

    kind: str          # "raised" | "invalid" | "missing"
    lf: str
    position: int
    row_id: object
    detail: str        # exception text, repr of the invalid value, or the missing column
    exc_type: str = ""
    rows: int = 0      # > 0: the failure is a whole batch's (rows position..position+rows-1), not one row's


def _plain_id(row_id: object) -> object:
    """A row id as a Python value for :class:`LFError`'s ``row_id``: ``5``, not ``np.int64(5)``
    (a vectorized LF's ids come from NumPy; the row-wise ones are plain already)."""
    if isinstance(row_id, tuple):
        return tuple(_plain_id(v) for v in row_id)
    return row_id.item() if isinstance(row_id, np.generic) else row_id


def _fmt_row(position: int, row_id: object) -> str:
    from ..io.tables import format_id   # 7, not np.int64(7) (a vectorized LF's ids come from NumPy)

    return f"row {position}" + (f" (id={format_id(row_id)})" if row_id is not None else "")


def _fmt_where(f: Failure) -> str:
    """The row a failure is blamed on, or the batch's rows when no one row can be: a vectorized
    LF's exception, or a result of the wrong shape or dtype, is the whole batch's (naming its first
    row read as if that row were at fault)."""
    if f.rows:
        return f"rows {f.position}-{f.position + f.rows - 1}" if f.rows > 1 else f"row {f.position} (a batch of one)"
    return _fmt_row(f.position, f.row_id)


def failure_error(f: Failure, K: int | None, source: str, columns: Sequence[str]) -> LFError:
    where = f" of {source}" if source else ""
    if f.kind == "missing":
        return MissingColumnError(
            f"LF {f.lf!r} needs column {f.detail!r}, which {source or 'the data'} does not have "
            f"(columns: {', '.join(map(repr, map(str, columns)))})", lf=f.lf, column=f.detail)
    if f.kind == "misaligned":
        on = f" on {source}" if source else ""
        return LFError(f"LF {f.lf!r}{on} returned {f.detail}", lf=f.lf, position=f.position)
    if f.kind == "invalid":
        if K is not None:
            allowed = f"votes must be ints in -1..{K - 1} (-1 abstains)"
        else:   # no cardinality: votes are stored as int8
            allowed = (f"votes must be ints in -1..{UNKNOWN_K_CAP - 1} (-1 abstains) when no classes are given; "
                       "set CLASSES in the LF file or --cardinality K (cardinality=K) to allow -1..K-1")
        return LFError(f"LF {f.lf!r} returned {f.detail} on {_fmt_where(f)}{where}; {allowed}",
                       lf=f.lf, position=f.position, row_id=_plain_id(f.row_id), value=f.detail)
    return LFError(f"LF {f.lf!r} raised {f.exc_type}: {f.detail} on {_fmt_where(f)}{where}",
                   lf=f.lf, position=f.position, row_id=_plain_id(f.row_id))


def _bad_votes_failure(name: str, res, arr: np.ndarray, bad: np.ndarray, kmax: int, start: int,
                       row_id) -> Failure:
    """The failure of a vectorized LF's votes with ``bad`` ones, blamed on the row at fault:
    the first bad vote; with votes of a wrong dtype (every vote is bad), the first that is bad as
    a number too (NaN, 0.5, out of range: an ``np.where(..., np.nan, -1)`` names the NaN's row,
    not the batch's first); when only the dtype is wrong (``1.0``, ``True``), the whole batch."""
    dtype = getattr(res, "dtype", arr.dtype)
    i = int(np.argmax(bad)) if arr.dtype.kind in "iuO" else None
    if arr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            odd = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < -1) | (arr >= kmax)
        i = int(np.argmax(odd)) if odd.any() else None
    if i is None:
        return Failure("invalid", name, start, None, f"votes of dtype {dtype}", rows=len(arr))
    v = arr[i]
    return Failure("invalid", name, start + i, row_id(i),
                   _describe(v.item() if hasattr(v, "item") else v) + f" [dtype {dtype}]")


def _describe(v: object) -> str:
    text = repr(v.item() if isinstance(v, np.generic) else v)   # 7 (int64), not np.int64(7) (int64)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(v).__name__})"


def _exc_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


# --------------------------------------------------------------------------- the batch kernels
def _row_id(id_values: list[list] | None, i: int) -> object:
    if not id_values:
        return None
    if len(id_values) == 1:
        return id_values[0][i]
    return tuple(col[i] for col in id_values)


def _pre_keys(lf: LabelingFunction) -> tuple:
    return tuple(tuple(id(p) for p in lf.pre[:k + 1]) for k in range(len(lf.pre)))


def apply_rowwise(df: pd.DataFrame, lfs: Sequence[LabelingFunction], K: int | None,
                  on_error: str, start: int, id_cols: Sequence[str] | None):
    """Run row-wise LFs on one chunk. Returns ``(votes (b, m) int16, error_counts, failure)``.

    ``failure`` is the first failure in row order under ``on_error="raise"`` (or a missing
    column under any policy); votes are then incomplete and must not be used.
    """
    names = [str(c) for c in df.columns]
    cols = [df[c].tolist() for c in df.columns]
    id_values = [df[c].tolist() for c in id_cols] if id_cols else None
    b, m = len(df), len(lfs)
    kmax = (K if K is not None else UNKNOWN_K_CAP)
    out = [-1] * (b * m)
    errors = [0] * m
    plan = [(lf.f, lf.resources or None, tuple(lf.pre), _pre_keys(lf)) for lf in lfs]
    raise_first = on_error == "raise"
    rows = zip(*cols) if cols else iter([()] * b)
    writes = ROW_WRITES
    for i, vals in enumerate(rows):
        x = Row(zip(names, vals))
        cache: dict = {}
        base = i * m
        for j, (fn, res, pre, keys) in enumerate(plan):
            w0 = writes[0]
            try:
                xx = x
                for p, key in zip(pre, keys):
                    got = cache.get(key)
                    if got is None:
                        got = p(Row(xx))  # a copy: in-place preprocessors must not leak
                        cache[key] = got
                    xx = got
                w0 = writes[0]
                v = fn(xx, **res) if res else fn(xx)
            except MissingField as exc:
                return None, errors, Failure("missing", lfs[j].name, start + i, _row_id(id_values, i), exc.column)
            except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001 - user code may raise anything
                _reraise_real_interrupt(exc)
                if raise_first:
                    return None, errors, Failure("raised", lfs[j].name, start + i, _row_id(id_values, i),
                                                  _exc_text(exc), type(exc).__name__)
                errors[j] += 1
                if writes[0] != w0:
                    x, cache = Row(zip(names, vals)), {}
                continue
            if writes[0] != w0:
                # the LF changed its row (or a preprocessed copy): the next LFs see the row as read,
                # as they would if they ran alone (apply --update) or in another order
                x, cache = Row(zip(names, vals)), {}
            tv = type(v)
            # an int, a numpy integer or an int subclass such as an IntEnum class id; not a bool
            if tv is int or (isinstance(v, (int, np.integer)) and tv is not bool):
                iv = int(v)
                if -1 <= iv < kmax:
                    out[base + j] = iv
                    continue
            if raise_first:
                return None, errors, Failure("invalid", lfs[j].name, start + i, _row_id(id_values, i), _describe(v))
            errors[j] += 1
    return np.array(out, dtype=np.int16).reshape(b, m), errors, None


def apply_vectorized(df: pd.DataFrame, lfs: Sequence[LabelingFunction], K: int | None,
                     on_error: str, start: int, id_cols: Sequence[str] | None):
    """Run vectorized LFs on one batch; same return convention as :func:`apply_rowwise`.

    The LFs share one :func:`~weaklabel.lf.batch_memo` (work several of them need, done once)."""
    with batch_memo():
        return _apply_vectorized(df, lfs, K, on_error, start, id_cols)


def _apply_vectorized(df: pd.DataFrame, lfs: Sequence[LabelingFunction], K: int | None,
                      on_error: str, start: int, id_cols: Sequence[str] | None):
    b, m = len(df), len(lfs)
    kmax = (K if K is not None else UNKNOWN_K_CAP)
    out = np.full((b, m), -1, dtype=np.int16)
    errors = [0] * m
    cache: dict = {}
    columns = set(df.columns)

    def row_id(i):
        if not id_cols:
            return None
        vals = [df[c].iloc[i] for c in id_cols]
        return vals[0] if len(vals) == 1 else tuple(vals)

    for j, lf in enumerate(lfs):
        try:
            xx = df
            for p, key in zip(lf.pre, _pre_keys(lf)):
                got = cache.get(key)
                if got is None:
                    got = p(xx.copy(deep=False))
                    cache[key] = got
                xx = got
            # a shallow copy: an LF that adds, replaces or drops columns of its batch (or, with
            # pandas' copy-on-write, edits values) changes its own copy, not the other LFs' batch,
            # the row ids or the rows the row-wise LFs get
            res = lf.call_raw(xx.copy(deep=False) if isinstance(xx, pd.DataFrame) else xx)
            if isinstance(res, pd.Series) and not (res.index.equals(df.index) and res.index.names == df.index.names):
                res = _align(res, df.index, lf.name, start)
        except _Misaligned as exc:
            return None, errors, Failure("misaligned", lf.name, start, None, str(exc))
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001
            key = _missing_column(exc, columns)
            if key is not None:   # a column the data lacks: it would fail on every batch
                return None, errors, Failure("missing", lf.name, start, None, key)
            _reraise_real_interrupt(exc)
            if on_error == "raise":
                return None, errors, Failure("raised", lf.name, start, None,
                                              f"{_exc_text(exc)} (vectorized, batch from row {start})",
                                              type(exc).__name__, rows=b)
            errors[j] += b
            continue
        arr = _as_array(res)
        if arr.ndim != 1 or arr.shape[0] != b:
            got = _describe(res) if arr.ndim == 0 else f"{tuple(arr.shape)}-shaped votes"   # None: no return
            msg = f"{got} for a batch of {b} rows (a vectorized LF returns one vote per row)"
            return None, errors, Failure("invalid", lf.name, start, None, msg, rows=b)
        if arr.dtype.kind in "iu":
            bad = (arr < -1) | (arr >= kmax)
            vals = arr
        elif arr.dtype.kind == "O":
            vals = np.full(b, -1, dtype=np.int64)
            bad = np.zeros(b, dtype=bool)
            for i, v in enumerate(arr):
                if type(v) is int or (isinstance(v, (int, np.integer)) and type(v) is not bool):
                    vals[i] = int(v)
                    bad[i] = not (-1 <= vals[i] < kmax)
                else:
                    bad[i] = True
        else:  # bool, float, string, ...
            bad = np.ones(b, dtype=bool)
            vals = None
        if bad.any():
            if on_error == "raise":
                return None, errors, _bad_votes_failure(lf.name, res, arr, bad, kmax, start, row_id)
            errors[j] += int(bad.sum())
            if vals is None:
                continue
            vals = np.where(bad, -1, vals)
        out[:, j] = vals
    return out, errors, None


def _as_array(res) -> np.ndarray:
    """A vectorized LF's result as a numpy array. Nullable integers with a missing value
    (``Int64``, ``int8[pyarrow]``) become objects, so that the missing one is the invalid vote
    reported (its row and ``<NA>``) and, under ``on_error="abstain"``, the only one dropped:
    ``to_numpy()`` would turn them all into floats, every vote invalid."""
    dtype = getattr(res, "dtype", None)
    if (isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in ("i", "u")
            and hasattr(res, "to_numpy") and bool(pd.isna(res).any())):
        return res.to_numpy(dtype=object, na_value=pd.NA)
    return res.to_numpy() if hasattr(res, "to_numpy") else np.asarray(res)


def _missing_column(exc: BaseException, columns: set) -> str | None:
    """The column a vectorized LF asked the batch for and the data lacks, else ``None``.

    Only a ``KeyError`` that came out of ``DataFrame.__getitem__`` (``df["text"]``), or an
    ``AttributeError`` that came out of ``DataFrame.__getattr__`` (``df.text``), for a name that is
    neither a column nor a DataFrame attribute is a missing column. Any other ``KeyError`` (a dict
    lookup inside the LF, a Series label) or ``AttributeError`` (``df.text.str.no_such_method``, an
    attribute of the LF's own objects) is an ordinary failure of the LF, under ``on_error`` like
    every other exception, rather than a misleading "needs column" error that no policy can skip."""
    if isinstance(exc, KeyError):
        key, method = (exc.args[0] if exc.args else None), "__getitem__"
    elif isinstance(exc, AttributeError):
        key, method = getattr(exc, "name", None), "__getattr__"
    else:
        return None
    if not isinstance(key, str) or key in columns:
        return None
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == method:
            owner = frame.f_locals.get("self")
            if isinstance(owner, pd.DataFrame) and key not in owner.columns and (
                    method == "__getitem__" or (frame.f_locals.get("name") == key and not hasattr(type(owner), key))):
                return key
        tb = tb.tb_next
    return None


class _Misaligned(Exception):
    pass


def _align(res: pd.Series, index: pd.Index, name: str, start: int) -> pd.Series:
    """A vectorized LF's Series on the batch's row order: values are matched by index label (a
    Series built from a sorted or filtered copy of the batch keeps its labels), never by position.
    An index that is not a permutation of the batch's index cannot be matched and is refused, as is
    one with another name: ``df.set_index("num")[...]`` is indexed by ``num``'s values, which may
    happen to be a permutation of the batch's row labels (then silently matched to the wrong rows in
    one batch size and refused in another)."""
    if list(res.index.names) != list(index.names):
        named = ", ".join(repr(n) for n in res.index.names if n is not None) or "an unnamed index"
        raise _Misaligned(f"a pandas Series indexed by {named}, not by the batch's rows (rows from {start}); "
                          "return one vote per row with the batch's index, or a numpy array in row order")
    if len(res) == len(index) and res.index.is_unique and res.index.isin(index).all():
        return res.reindex(index)
    raise _Misaligned(f"a pandas Series whose index does not match the batch's (rows from {start}); "
                      "return one vote per row with the batch's index, or a numpy array in row order")


def _reraise_real_interrupt(exc: BaseException) -> None:
    """A Ctrl-C or termination signal while an LF runs stops the run; a ``KeyboardInterrupt`` or
    ``SystemExit`` that the LF raised itself is an error of that LF."""
    if isinstance(exc, KeyboardInterrupt) and real_interrupt():
        raise exc
