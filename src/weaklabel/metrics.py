"""Scores of labels against gold: one implementation for ``evaluate``, ``report`` and ``bench``.

Plain numpy (no scikit-learn import: it costs a second of CLI start-up). Every score here is
either a function of a confusion matrix or a sum over rows, so the report can accumulate it
block by block (:class:`LabelScores`) and get exactly the numbers a single pass gives.

Definitions (``y`` gold class ids, ``pred`` hard labels, ``proba`` (n, K) probabilities):

* **accuracy**: mean of ``pred == y``;
* **per-class precision / recall / F1**: ``tp / (tp + fp)``, ``tp / (tp + fn)``,
  ``2 tp / (2 tp + fp + fn)``, 0 where the denominator is 0 (scikit-learn's ``zero_division=0``);
* **macro-F1**: mean F1 over the classes present in ``y`` or ``pred`` (scikit-learn's default
  label set, so the bench's figures are unchanged);
* **Brier score**: mean over rows of ``sum_k (proba_k - [y == k])^2`` (the multi-class form, 0..2;
  for two classes it is twice the binary ``(p_1 - y)^2`` form);
* **expected calibration error (ECE)**: rows binned by confidence ``max_k proba_k`` into
  ``n_bins`` equal-width bins on [0, 1]; ``sum_b (n_b / n) |accuracy_b - mean confidence_b|``,
  where a row is right when its argmax (lowest class on ties) equals ``y``;
* **Wilson interval**: the score interval of a binomial proportion, sane for small counts and
  for 0 or 100% (unlike ``p +- z sqrt(p(1-p)/n)``).
"""

from __future__ import annotations

import numpy as np

N_BINS = 10


def confusion_matrix(y, pred, K: int) -> np.ndarray:
    """``(K, K)`` int64 counts: row = gold class, column = predicted class. Rows with ``y`` or
    ``pred`` outside ``0..K-1`` (``-1``: unknown / no label) are not counted."""
    y = np.asarray(y, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    ok = (y >= 0) & (y < K) & (pred >= 0) & (pred < K)
    return np.bincount(y[ok] * K + pred[ok], minlength=K * K).reshape(K, K)


def scores_from_confusion(cm: np.ndarray) -> dict:
    """Accuracy, macro-F1 and per-class precision / recall / F1 / support of a confusion matrix."""
    cm = np.asarray(cm, dtype=np.int64)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    total = int(cm.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / np.maximum(predicted, 1), 0.0)
        recall = np.where(support > 0, tp / np.maximum(support, 1), 0.0)
        denom = support + predicted
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    present = (support > 0) | (predicted > 0)
    return {
        "rows": total,
        "accuracy": float(tp.sum() / total) if total else float("nan"),
        "macro_f1": float(f1[present].mean()) if present.any() else float("nan"),
        "per_class": {"precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
                      "support": support.tolist()},
    }


def accuracy_f1(y, pred) -> dict:
    """``{"accuracy", "macro_f1"}`` over all rows, macro-F1 over the label values present in ``y``
    or ``pred`` (any integers, as scikit-learn's ``f1_score(average="macro", zero_division=0)``)."""
    y = np.asarray(y, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    if y.size == 0:
        return {"accuracy": float("nan"), "macro_f1": float("nan")}
    values, codes = np.unique(np.concatenate([y, pred]), return_inverse=True)
    s = scores_from_confusion(confusion_matrix(codes[:y.size], codes[y.size:], values.size))
    return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}


def brier_sum(y, proba) -> float:
    """Sum over rows of ``sum_k (proba_k - [y == k])^2`` (divide by the rows for the score)."""
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if y.size == 0:
        return 0.0
    sq = (p * p).sum(axis=1) - 2 * p[np.arange(y.size), y] + 1.0
    return float(sq.sum())


def calibration_sums(y, proba, n_bins: int = N_BINS) -> np.ndarray:
    """``(3, n_bins)``: rows, summed confidence and correct rows per confidence bin (add these
    over blocks; :func:`calibration_table` and :func:`ece` read them)."""
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    out = np.zeros((3, n_bins))
    if y.size == 0:
        return out
    conf = p.max(axis=1)
    right = p.argmax(axis=1) == y
    b = confidence_bin(conf, n_bins)
    out[0] = np.bincount(b, minlength=n_bins)
    out[1] = np.bincount(b, weights=conf, minlength=n_bins)
    out[2] = np.bincount(b, weights=right, minlength=n_bins)
    return out


def confidence_bin(conf, n_bins: int = N_BINS) -> np.ndarray:
    """Bin of each confidence in ``n_bins`` equal-width bins of [0, 1] (1.0 in the last bin)."""
    return np.clip((np.asarray(conf, dtype=np.float64) * n_bins).astype(np.int64), 0, n_bins - 1)


def ece(sums: np.ndarray) -> float:
    """Expected calibration error from :func:`calibration_sums`."""
    n = sums[0].sum()
    if n == 0:
        return float("nan")
    return float(np.abs(sums[2] - sums[1]).sum() / n)


def calibration_table(sums: np.ndarray) -> list[dict]:
    """One entry per bin: ``lo``, ``hi``, ``rows``, ``confidence`` and ``accuracy`` (NaN if empty)."""
    n_bins = sums.shape[1]
    rows = []
    for b in range(n_bins):
        n = sums[0, b]
        rows.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "rows": int(n),
                     "confidence": float(sums[1, b] / n) if n else float("nan"),
                     "accuracy": float(sums[2, b] / n) if n else float("nan")})
    return rows


def wilson_interval(successes, trials, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (95% by default) of ``successes / trials``; NaN where ``trials == 0``."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lo, hi


class LabelScores:
    """Accumulates the scores of labels against gold over row blocks.

    ``add(y, proba, label)`` takes a block's gold labels (``-1`` = unknown), probabilities and
    hard labels (``-1`` = no label, e.g. a row no LF voted on). Rows with gold count towards
    coverage; rows with gold and a label towards every other score. :meth:`result` is the dict
    ``weaklabel evaluate --json`` prints.
    """

    def __init__(self, K: int, n_bins: int = N_BINS):
        self.K = int(K)
        self.n_bins = n_bins
        self.gold_rows = 0
        self.cm = np.zeros((self.K, self.K), dtype=np.int64)
        self.brier = 0.0
        self.calib = np.zeros((3, n_bins))
        self.gold_counts = np.zeros(self.K, dtype=np.int64)

    def add(self, y, proba, label) -> None:
        """Add a block. A label above ``K - 1`` or a probability that is not a finite number in
        [0, 1] on a scored row is an error (a reader of a labels file checks them first and names
        the file: ``evaluation.label_arrays``): such a row was left out of the confusion matrix but
        summed into the Brier score, or made the Brier score and ECE NaN, silently."""
        from .errors import InputError

        y = np.asarray(y, dtype=np.int64)
        label = np.asarray(label, dtype=np.int64)
        known = y >= 0
        both = known & (label >= 0)
        p = np.asarray(proba, dtype=np.float64)[both]
        bad = np.flatnonzero((label[both] >= self.K) | ~(np.isfinite(p) & (p >= -1e-4) & (p <= 1 + 1e-4)).all(axis=1))
        if bad.size:
            i = int(np.flatnonzero(both)[bad[0]])
            if label[i] >= self.K:
                raise InputError(f"labels: row {i} of the block scored has label {int(label[i])}: a label must be in "
                                 f"0..{self.K - 1} (-1: none)")
            row = p[bad[0]]   # the first column at fault, not the whole row (K numbers on one line)
            k = int(np.flatnonzero(~(np.isfinite(row) & (row >= -1e-4) & (row <= 1 + 1e-4)))[0])
            raise InputError(f"labels: row {i} of the block scored has prob_{k} = {row[k]:g}: probabilities must be "
                             "numbers in [0, 1]")
        self.gold_rows += int(known.sum())
        self.gold_counts += np.bincount(y[known], minlength=self.K)
        self.cm += confusion_matrix(y[both], label[both], self.K)
        self.brier += brier_sum(y[both], p)
        self.calib += calibration_sums(y[both], p, self.n_bins)

    def result(self, classes=None) -> dict:
        s = scores_from_confusion(self.cm)
        labelled = s["rows"]
        out = {
            "gold_rows": self.gold_rows,
            "labelled_gold_rows": labelled,
            "coverage": labelled / self.gold_rows if self.gold_rows else float("nan"),
            "accuracy": s["accuracy"],
            "accuracy_all": float(np.trace(self.cm) / self.gold_rows) if self.gold_rows else float("nan"),
            "macro_f1": s["macro_f1"],
            "brier": self.brier / labelled if labelled else float("nan"),
            "ece": ece(self.calib),
            "classes": list(classes) if classes is not None else [str(k) for k in range(self.K)],
            "per_class": s["per_class"],
            "gold_class_balance": (self.gold_counts / self.gold_rows).tolist() if self.gold_rows else None,
            "confusion_matrix": self.cm.tolist(),
            "calibration": calibration_table(self.calib),
        }
        return out


# ----------------------------------------------------------------------------- model.score
METRICS = ("accuracy", "coverage", "precision", "recall", "f1", "f1_macro", "f1_micro", "brier")


def score_labels(y, pred, proba: np.ndarray | None = None, metrics=("accuracy",)) -> dict:
    """``{metric: value}`` for hard labels ``pred`` (``-1`` = none) against ``y`` (``-1`` = unknown),
    for ``LabelModel.score``. Rows with an unknown gold label are left out; rows whose prediction is
    ``-1`` (an abstained tie, or no vote) are left out of every metric but ``coverage``, as in
    Snorkel's ``LabelModel.score``. ``f1``, ``precision`` and ``recall`` are of class 1 for two
    classes and macro averages over the gold classes for more; ``f1_macro`` is the macro-F1 of
    :func:`scores_from_confusion` (over the classes present in the gold labels or the predictions
    of the scored rows: scikit-learn's and Snorkel's ``f1_macro``, and ``weaklabel evaluate``'s
    ``macro_f1``); ``brier`` scores ``proba`` on every row with a known label."""
    from .errors import InputError

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
    s = scores_from_confusion(confusion_matrix(y[given], pred[given], K))
    pc = s["per_class"]
    gold_classes = np.asarray(pc["support"]) > 0
    nan = float("nan")
    out = {}
    for m in metrics:
        if m == "coverage":
            out[m] = float(given.sum() / known.sum()) if known.any() else nan
        elif not given.any():
            out[m] = nan
        elif m in ("accuracy", "f1_micro"):   # one label per row: micro F1 equals accuracy
            out[m] = s["accuracy"]
        elif m in ("precision", "recall", "f1"):
            vals = np.asarray(pc[m], dtype=float)
            out[m] = float(vals[1]) if K == 2 else float(vals[gold_classes].mean())
        elif m == "f1_macro":
            out[m] = s["macro_f1"]
        elif m == "brier":
            if proba is None:
                raise InputError("the brier score needs probabilities")
            out[m] = brier_sum(y[known], np.asarray(proba, dtype=float)[known]) / max(int(known.sum()), 1)
    return out
