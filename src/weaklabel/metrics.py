"""Scores of hard labels (and their probabilities) against gold labels, for ``model.score``.

Plain numpy (no scikit-learn import: it costs a second of start-up). Conventions: rows with an
unknown gold label (``y < 0``) are left out; rows whose prediction is ``-1`` (abstained: a tie
with ``ties="abstain"``, or no vote) are left out of every metric but ``coverage``, as in
Snorkel's ``LabelModel.score``. ``f1``, ``precision`` and ``recall`` are of class 1 for two
classes (the positive class) and macro averages over the classes for more.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import InputError

METRICS = ("accuracy", "coverage", "precision", "recall", "f1", "f1_macro", "f1_micro", "brier")


def _prf(y: np.ndarray, pred: np.ndarray, K: int):
    """Per-class precision, recall and F1 (0 where undefined)."""
    tp = np.bincount(y[pred == y], minlength=K).astype(float)
    n_pred = np.bincount(pred, minlength=K).astype(float)
    n_true = np.bincount(y, minlength=K).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n_pred > 0, tp / n_pred, 0.0)
        r = np.where(n_true > 0, tp / n_true, 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return p, r, f, n_true


def score_labels(y, pred, proba: np.ndarray | None = None, metrics: Sequence[str] = ("accuracy",)) -> dict:
    """``{metric: value}`` for hard labels ``pred`` (``-1`` = none) against ``y`` (``-1`` = unknown);
    ``brier`` scores ``proba`` on every row with a known label (a probability exists for each)."""
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise InputError(f"unknown metric {unknown[0]!r}; choose from {', '.join(METRICS)}")
    y = np.asarray(y).astype(np.int64)
    pred = np.asarray(pred).astype(np.int64)
    if y.shape != pred.shape:
        raise InputError(f"y has {y.size} labels but there are {pred.size} predictions")
    known = y >= 0
    given = known & (pred >= 0)
    K = int(max(proba.shape[1] if proba is not None else 0, y.max(initial=-1) + 1, pred.max(initial=-1) + 1, 2))
    yy, pp = y[given], pred[given]
    p, r, f, n_true = _prf(yy, pp, K)
    nan = float("nan")
    out = {}
    for m in metrics:
        if m == "coverage":
            out[m] = float(given.sum() / known.sum()) if known.any() else nan
        elif not given.any():
            out[m] = nan
        elif m == "accuracy" or m == "f1_micro":   # one label per row: micro F1 equals accuracy
            out[m] = float((yy == pp).mean())
        elif m in ("precision", "recall", "f1"):
            vals = {"precision": p, "recall": r, "f1": f}[m]
            out[m] = float(vals[1]) if K == 2 else float(vals[n_true > 0].mean())
        elif m == "f1_macro":
            out[m] = float(f[n_true > 0].mean())
        elif m == "brier":
            if proba is None:
                raise InputError("the brier score needs probabilities")
            pr = np.asarray(proba, dtype=float)[known]
            onehot = np.zeros_like(pr)
            onehot[np.arange(pr.shape[0]), y[known]] = 1.0
            out[m] = float(((pr - onehot) ** 2).sum(axis=1).mean())
    return out
