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


def describe(constraint) -> str:
    """How an error message names ``constraint``."""
    named = {None: "None", "boolean": "true or false", "random_state": "an integer seed >= 0",
             "probabilities": "a list of positive finite numbers (one per class)",
             "finite-array": "a list of finite numbers (one per LF)", "estimator": "a weaklabel label model",
             "list": "a list", "string": "a string"}
    if isinstance(constraint, str) or constraint is None:
        return named[constraint]
    return constraint.describe()
