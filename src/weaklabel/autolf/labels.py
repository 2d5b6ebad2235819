"""The label column ``weaklabel autolf`` learns from: class ids or class names per row, and which
rows are unlabelled (empty, NaN or ``-1``, as the README says).

One label is one class however the table stores it: ``1``, ``1.0`` and ``"1"`` (a JSON Lines
file mixing numbers and strings, a column of Python objects) are the same class, not three
(``'1'``, ``'1.0'`` and a third); ``"-1"`` marks an unlabelled row as ``-1`` does. What cannot
be a label is an error naming the row: an infinite or fractional number, a negative id other
than ``-1`` (a row labelled ``-2`` was read as unlabelled, silently).
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np
import pandas as pd

from ..dtypes import MAX_CARDINALITY
from ..errors import InputError
from ..votes.class_names import class_key

_WHOLE = re.compile(r"([+-]?\d+)(?:\.0*)?")


def _as_int(value) -> int | None:
    """``value`` as an integer class id if it is a whole number (a number, or a string written as
    one: ``"1"``, ``"1.0"``), else ``None``; an infinite or fractional number is an error for the
    caller (``ValueError``)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Number):
        v = float(value)
        if not math.isfinite(v) or v != round(v):
            raise ValueError(value)
        return int(value) if isinstance(value, numbers.Integral) else int(v)
    if isinstance(value, str):
        m = _WHOLE.fullmatch(value)
        return int(m.group(1)) if m else None
    return None


def _bad(where: str, row: int, value, why: str) -> InputError:
    value = value.item() if isinstance(value, np.generic) else value   # 2.5, not np.float64(2.5)
    if isinstance(value, float) and value.is_integer():
        value = int(value)                                              # -2, not -2.0
    return InputError(f"{where}: label {value!r} at row {row} {why}; labels are class ids 0..K-1 or class "
                      "names, and an empty cell, NaN or -1 marks an unlabelled row")


def labels_from_column(col: pd.Series, names: list[str] | None, where: str) -> tuple[np.ndarray, list[str]]:
    """``(y, classes)``: class ids per row (``-1`` = unlabelled) and the class names.

    A numeric column holds class ids (K = the largest + 1, or ``len(names)``). Any other column
    holds class names or ids: each value is compared with ``names`` (by
    :func:`~weaklabel.votes.class_names.class_key`) when they are given (a whole number ``1``,
    ``1.0``, ``"1"`` by its digits, so all three are the class named ``"1"`` if there is one),
    else a whole number is an id there; without names it is a class named by its digits; the
    classes found are sorted (as numbers when all are numbers)."""
    s = pd.Series(col).reset_index(drop=True)
    n = len(s)
    missing = s.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        given = ~np.isnan(v)
        bad = given & (~np.isfinite(v) | (v != np.round(np.where(np.isfinite(v), v, 0))))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _bad(where, i, s.iloc[i], "is not a whole number")
        y = np.full(n, -1, dtype=np.int64)
        y[given] = v[given].astype(np.int64)
        neg = given & (y < -1)
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise _bad(where, i, s.iloc[i], "is negative")
        big = given & (v >= MAX_CARDINALITY)   # K = the largest id + 1: one stray 10**7 made 10**7 classes
        if big.any():
            i = int(np.flatnonzero(big)[0])
            raise _bad(where, i, s.iloc[i], f"is beyond the class limit (ids below {MAX_CARDINALITY:,})")
        K = int(y.max()) + 1 if (y >= 0).any() else 2
        if names is not None:
            if len(names) < K:
                i = int(np.argmax(y))
                raise InputError(f"{where}: label {K - 1} at row {i} but only {len(names)} class names "
                                 f"({', '.join(names)}); ids are 0..{len(names) - 1}")
            return y, list(names)
        return y, [str(k) for k in range(max(K, 2))]
    index = {class_key(c): j for j, c in enumerate(names)} if names is not None else None
    y = np.full(n, -1, dtype=np.int64)
    text: list[str | None] = [None] * n
    values = s.tolist()
    for i, value in enumerate(values):
        if missing[i]:
            continue
        name = class_key(value)
        if index is not None and name in index:      # a class name first: --classes -2,-1,0,1,2
            y[i] = index[name]
            continue
        try:
            k = _as_int(name if isinstance(value, str) else value)
        except ValueError:
            raise _bad(where, i, value, "is not a whole number") from None
        if index is not None and k is not None and str(k) in index:
            # 1.0 and "1.0" are the class "1", as 1 and "1" are (they were the id 1: the class "2")
            y[i] = index[str(k)]
            continue
        if k == -1 or not name:
            continue
        if k is not None and k < -1:
            raise _bad(where, i, value, "is negative (if negative numbers name classes, list every class in "
                                        "--classes / classes=, in order)")
        if index is not None:
            if k is None or k >= len(names):
                raise InputError(f"{where}: label {value!r} at row {i} is not one of the classes "
                                 f"{', '.join(names)} (nor a class id 0..{len(names) - 1})")
            y[i] = k
            continue
        text[i] = str(k) if k is not None else name
    if index is not None:
        return y, list(names)
    present = {t for t in text if t is not None}
    numeric = all(_WHOLE.fullmatch(t) for t in present)
    classes = sorted(present, key=(lambda t: (int(t), t)) if numeric else None)
    pos = {c: j for j, c in enumerate(classes)}
    for i in range(n):
        if text[i] is not None:
            y[i] = pos[text[i]]
    return y, classes
