"""Checks of :func:`weaklabel.autolf.generate_lfs`'s arguments that :mod:`._base` calls: each
misuse found by trying is a one-line :class:`~weaklabel.errors.InputError` here, not a
traceback from deep inside pandas or a silently different run."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ..dtypes import MAX_CARDINALITY
from ..errors import InputError


def names_list(value, what: str) -> list | None:
    """``classes=`` / ``feature_names=`` as a list: a string is refused, not read as its letters
    (``classes="neg,pos"`` made 7 classes, ``feature_names="ab"`` the columns ``a`` and ``b``)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        raise InputError(f"{what} must be a list of names, got the string {value!r} (a string is not split: "
                         f"pass [{value!r}] or {value!r}.split(','))")
    try:
        return list(value)
    except TypeError:
        raise InputError(f"{what} must be a list of names, got {type(value).__name__}") from None


def class_ids(y_labeled, n: int) -> np.ndarray:
    """``y_labeled`` as int64 class ids: integers, or floats holding whole numbers (a label column
    with NaN read by pandas is float; ``1.0`` is class 1). Anything else is an error naming the row."""
    y = np.asarray(y_labeled)
    if y.ndim != 1 or y.shape[0] != n:
        raise InputError(f"y_labeled must have one label per labelled row ({n}), got shape {y.shape}")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(np.where(np.isfinite(y), y, 0)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"y_labeled[{i}] is {float(y[i])!r}, not a class id (a whole number 0..K-1; "
                             "unlabelled rows go in X_unlabeled)")
        if y.size and np.abs(y).max() >= 2 ** 62:
            raise InputError(f"y_labeled holds {float(np.abs(y).max())!r}, not a class id")
    elif y.dtype.kind not in "iu":
        raise InputError(f"y_labeled must hold integer class ids, got dtype {y.dtype}"
                         + (" (class names: map them to ids 0..K-1 and pass the names as classes=)"
                            if y.dtype.kind in "OUS" else ""))
    y = y.astype(np.int64)
    if y.size and y.max() >= MAX_CARDINALITY:
        i = int(np.argmax(y))
        raise InputError(f"y_labeled[{i}] is {int(y[i])}: class ids are below {MAX_CARDINALITY:,} (K = the largest "
                         "id + 1; a stray large id made that many classes)")
    return y


def cardinality_arg(cardinality) -> int | None:
    if cardinality is None:
        return None
    if isinstance(cardinality, (bool, np.bool_)) or not isinstance(cardinality, numbers.Integral) \
            or not 2 <= int(cardinality) <= MAX_CARDINALITY:
        raise InputError(f"cardinality must be an integer from 2 to {MAX_CARDINALITY:,}, got {cardinality!r}")
    return int(cardinality)


def column_names(cols, where: str) -> None:
    """The generated LFs read their columns by name, as strings (an ``lfs.py`` writes them so,
    and Parquet/CSV columns are named by strings): a frame with integer column names (built from
    an array) crashed with a ``KeyError``."""
    for c in cols:
        if not isinstance(c, str):
            raise InputError(f"{where}: column {c!r} is named by a value of type {type(c).__name__}, not by a string; "
                             "the LFs read "
                             "columns by name: name them with strings (X.columns = X.columns.astype(str)) or "
                             "pass a numeric array (columns x0, x1, ...)")


def text_values(s: pd.Series, where: str, column) -> None:
    """A text column holds text (or missing values): keyword rules cannot read numbers, and an LF
    generated from ``str(12345)`` failed on every batch of ``weaklabel apply`` (or a numeric
    column crashed the generator)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return
    if s.dtype != object:
        raise InputError(f"{where}: text column {column!r} has type {s.dtype}, not text; numeric columns are "
                         "features (leave text_column / --text-col out)")
    given = s.notna().to_numpy()
    is_text = s.map(lambda v: isinstance(v, str), na_action="ignore").to_numpy(dtype=bool, na_value=True)
    bad = np.flatnonzero(given & ~is_text)
    if bad.size:
        i = int(bad[0])
        v = s.iloc[i]
        raise InputError(f"{where}: text column {column!r} holds {v!r} (type {type(v).__name__}) at row {i}"
                         + (f" and {bad.size - 1:,} more values that are not text" if bad.size > 1 else "")
                         + "; the keyword rules read text only: convert the column to text (df[col].astype(str)) "
                         "or leave those cells empty")


def numeric_rows(X, what: str) -> np.ndarray:
    try:
        return np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:   # texts given for numeric rows: not a raw ValueError
        raise InputError(f"{what}: not numeric rows like X_labeled ({exc})") from None


def number_arg(value, what: str) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(f"{what} must be a number, got {value!r}")


def max_lfs_arg(value) -> None:
    if value is None:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise InputError(f"max_lfs must be an integer of at least 1, got {value!r}")
