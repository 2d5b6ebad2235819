"""Hyper-parameter constraints of the label models (``_parameter_constraints``), checked by
``LabelModel._validate_params``: typed ranges (:class:`Interval`), fixed sets (:class:`Options`)
and a few named constraints ("boolean", "random_state", "probabilities", "finite-array",
"estimator", "list", "string"). scikit-learn's own validation is private API, hence this small
copy of the idea (no code of theirs)."""

from __future__ import annotations

import math

import numpy as np


class Interval:
    """A number in a range: ``Interval("real", 0, None, closed="neither")`` is a finite float > 0.

    ``kind`` is ``"int"`` (Python or NumPy integers, never bools or floats) or ``"real"`` (any
    finite int or float, never bools, NaN or infinities). ``None`` bounds are open-ended."""

    def __init__(self, kind: str, left: float | None, right: float | None, closed: str = "both"):
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def accepts(self, v) -> bool:
        if isinstance(v, (bool, np.bool_)):
            return False
        if self.kind == "int":
            if not isinstance(v, (int, np.integer)):
                return False
        elif not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(float(v)):
            return False
        lo_ok = self.left is None or (v >= self.left if self.closed in ("both", "left") else v > self.left)
        hi_ok = self.right is None or (v <= self.right if self.closed in ("both", "right") else v < self.right)
        return bool(lo_ok and hi_ok)

    def describe(self) -> str:
        what = "an integer" if self.kind == "int" else "a finite number"
        lo = "" if self.left is None else f"{'>=' if self.closed in ('both', 'left') else '>'} {self.left}"
        hi = "" if self.right is None else f"{'<=' if self.closed in ('both', 'right') else '<'} {self.right}"
        return what + (" " + " and ".join(x for x in (lo, hi) if x) if lo or hi else "")


class Options:
    """One of a fixed set of values (strings, or bools for ``Options({True, False})``)."""

    def __init__(self, *values):
        self.values = values

    def accepts(self, v) -> bool:
        return any(type(v) is type(o) and v == o for o in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.values)


def accepts(constraint, v) -> bool:
    """Whether ``v`` meets ``constraint`` (a named constraint, ``None``, :class:`Interval` or :class:`Options`)."""
    if constraint is None:
        return v is None
    if constraint == "boolean":
        return isinstance(v, (bool, np.bool_))
    if constraint == "random_state":  # a seed NumPy accepts
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and 0 <= v < 2 ** 63
    if constraint == "probabilities":  # class_balance: positive finite numbers (length checked at fit)
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            return False
        return arr.ndim == 1 and arr.size >= 2 and bool(np.all(np.isfinite(arr))) and bool(np.all(arr > 0))
    if constraint == "finite-array":  # per-LF numbers (length checked at fit)
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            return False
        return arr.ndim == 1 and bool(np.all(np.isfinite(arr)))
    if constraint == "estimator":
        from .base import LabelModel

        return isinstance(v, LabelModel)
    if constraint == "list":
        return isinstance(v, (list, tuple))
    if constraint == "string":
        return isinstance(v, str)
    return constraint.accepts(v)


#: parameters holding one number per class or per LF, read by position
PER_CLASS, PER_LF = ("class_balance",), ("weights",)


def positional_error(owner: str, name: str, value, names=None) -> str | None:
    """Why ``value``, a pandas Series (or another object with an ``index``), cannot be the per-class
    or per-LF parameter ``name``, or ``None``. Its numbers are read by position, so its index must be
    ``0 .. n-1`` in order, or ``names`` (the votes' class names or LF names) in their order: another
    order (``value_counts()`` lists classes by frequency; a per-LF table sorted by a column) would
    silently give one class's or LF's number to another."""
    index = getattr(value, "index", None)
    if index is None or not hasattr(value, "to_numpy") or callable(index):
        return None   # a list's or an array's ``index`` is a method
    keys = [k.item() if isinstance(k, np.generic) else k for k in index]
    if keys == list(range(len(keys))) or (names is not None and _same_names(name, keys, names)):
        return None
    first = ", ".join(map(repr, keys[:3])) + (", ..." if len(keys) > 3 else "")
    per = "class" if name in PER_CLASS else "LF"
    order = f"the {per} {'ids' if per == 'class' else 'positions'} 0..{len(keys) - 1}"
    if names:
        order += f" or the {per} names ({', '.join(map(repr, list(names)[:3]))}{', ...' if len(names) > 3 else ''})"
    return (f"{owner}: parameter {name!r} is a pandas Series indexed [{first}], whose numbers would be read by "
            f"position, not by that index; index it by {order}, in that order (s.reindex(order)), or pass a list")


def _same_names(name: str, keys, names) -> bool:
    """Whether ``keys`` are ``names`` in order: class names as every other match of a class name
    compares them (:func:`~weaklabel.votes.class_names.class_key`: ``"pos "`` or an NFD accent is
    ``"pos"``), LF names as written."""
    if name in PER_CLASS:
        from ..votes.class_names import same_class_names

        return len(keys) == len(names) and same_class_names(keys, names)
    return [str(k) for k in keys] == list(names)


def check_indexed_params(model, lf_names, class_names) -> None:
    """A pandas Series given to ``model`` as a per-class or per-LF parameter must be in the votes'
    order (:func:`positional_error`): an InputError otherwise. Checked at fit and before saving."""
    from ..errors import InputError

    for name in model._param_names():
        if name in PER_CLASS or name in PER_LF:
            why = positional_error(type(model).__name__, name, getattr(model, name),
                                   class_names if name in PER_CLASS else lf_names)
            if why is not None:
                raise InputError(why)


def shown(value, limit: int = 120) -> str:
    """``repr(value)`` on one line, cut to about ``limit`` characters (arrays and Series span lines)."""
    text = repr(value)
    if "\n" in text or len(text) > limit:
        try:
            text = repr(np.asarray(value).tolist()) if hasattr(value, "__array__") else " ".join(text.split())
        except (TypeError, ValueError):
            text = " ".join(text.split())
        if len(text) > limit:
            text = text[:limit] + "..."
    return text


def describe(constraint) -> str:
    """How an error message names ``constraint``."""
    named = {None: "None", "boolean": "true or false", "random_state": "an integer seed >= 0",
             "probabilities": "a list of positive finite numbers (one per class)",
             "finite-array": "a list of finite numbers (one per LF)", "estimator": "a weaklabel label model",
             "list": "a list", "string": "a string"}
    if isinstance(constraint, str) or constraint is None:
        return named[constraint]
    return constraint.describe()
