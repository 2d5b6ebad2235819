"""Step 2: turn normalised scores into votes (1 = "this candidate is correct", 0 = "incorrect",
-1 = missing score, i.e. abstain) for the label models that work on votes.

* ``fixed``: vote 1 when the normalised score is at least ``threshold``.
* ``quantile``: the class-balance quantile. With ``class_balance`` = the share of correct
  candidates, a verifier votes 1 for the top ``class_balance`` share of the candidates it
  scored: over all questions (``scope="global"``: one stored threshold per verifier) or within
  each question (``scope="question"``: the top share of every question's candidates, so that a
  question whose candidates all score low still gets votes that rank them). ``class_balance``
  may also be one value per question (e.g. estimated per question by a first pass).
* ``none``: keep the scores continuous (for the continuous label model).

Two-valued verifiers (yes/no judges, normalised to 0/1) keep their own verdicts: they are
thresholded at 0.5 whatever the method.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ._base import VerifierEstimator
from ._groups import Groups

METHODS = ("quantile", "fixed", "none")
SCOPES = ("global", "question")


def _check_balance(cb, n_groups: int | None = None) -> np.ndarray:
    arr = np.asarray(cb, dtype=float)
    if arr.ndim > 1 or np.any(~np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise InputError(f"class balance must be a share in [0, 1] (or one per question), got {cb!r}")
    if arr.ndim == 1 and n_groups is not None and arr.size != n_groups:
        raise InputError(f"class balance has {arr.size} values for {n_groups} questions")
    return arr


class Binariser(VerifierEstimator):
    """Scores -> votes ``{1, 0, -1}`` (see module docstring).

    Parameters
    ----------
    method:
        ``quantile`` (default), ``fixed`` or ``none``.
    threshold:
        ``fixed``: vote 1 at or above this normalised score.
    scope:
        ``quantile``: thresholds over all questions (``global``) or within each question.
    class_balance:
        ``quantile``: the share of candidates voted 1 (a float, or one per question).

    Learned: ``binary_`` (m,) the two-valued verifiers, ``thresholds_`` (m,) for global
    thresholds (NaN when they are per question).
    """

    def __init__(self, method: str = "quantile", threshold: float = 0.5, scope: str = "question",
                 class_balance=0.5):
        self.method = method
        self.threshold = threshold
        self.scope = scope
        self.class_balance = class_balance

    def _check(self):
        if self.method not in METHODS:
            raise InputError(f"binarisation must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.scope not in SCOPES:
            raise InputError(f"binarisation scope must be one of {', '.join(SCOPES)}, got {self.scope!r}")
        if not np.isfinite(float(self.threshold)):
            raise InputError("threshold must be a number")

    def fit(self, X, groups: Groups | None = None, binary=None) -> "Binariser":
        """``binary`` flags two-valued verifiers (default: columns whose values are all 0/1)."""
        self._check()
        X = np.asarray(X, dtype=float)
        m = X.shape[1]
        if binary is None:
            binary = np.array([np.isin(X[~np.isnan(X[:, v]), v], (0.0, 1.0)).all() for v in range(m)])
        self.binary_ = np.asarray(binary, dtype=bool)
        thr = np.full(m, np.nan)
        thr[self.binary_] = 0.5
        cont = ~self.binary_
        if self.method == "fixed":
            thr[cont] = float(self.threshold)
        elif self.method == "quantile" and self.scope == "global":
            cb = _check_balance(self.class_balance)
            if cb.ndim:
                raise InputError("a global quantile threshold needs one class balance, not one per question")
            for v in np.flatnonzero(cont):
                col = X[:, v]
                col = col[~np.isnan(col)]
                thr[v] = np.quantile(col, 1.0 - float(cb)) if col.size else 0.5
        self.thresholds_ = thr
        return self

    def transform(self, X, groups: Groups | None = None, class_balance=None) -> np.ndarray:
        """Votes ``(n, m)`` int8 (``method="none"``: the scores unchanged, float)."""
        if not hasattr(self, "binary_"):
            raise InputError("Binariser is not fitted yet")
        X = np.asarray(X, dtype=float)
        if self.method == "none":
            return X.copy()
        thr = np.broadcast_to(self.thresholds_, X.shape).copy()
        per_q = self.method == "quantile" and self.scope == "question"
        if per_q:
            if groups is None:
                raise InputError("per-question thresholds need the question of every row")
            cb = _check_balance(self.class_balance if class_balance is None else class_balance, groups.n_groups)
            cont = np.flatnonzero(~self.binary_)
            if cont.size:
                q = groups.quantile(X[:, cont], 1.0 - cb)      # (G, c)
                thr[:, cont] = groups.broadcast(q)
        votes = np.where(X >= thr, 1, 0).astype(np.int8)
        votes[np.isnan(X)] = -1
        return votes

    def fit_transform(self, X, groups: Groups | None = None, binary=None, class_balance=None) -> np.ndarray:
        return self.fit(X, groups, binary).transform(X, groups, class_balance)

    # ------------------------------------------------------------------ state

    def to_dict(self) -> dict:
        return {"params": self.json_params(), "binary": self.binary_.tolist(),
                "thresholds": [None if np.isnan(t) else float(t) for t in self.thresholds_]}

    @classmethod
    def from_dict(cls, d: dict) -> "Binariser":
        self = cls(**d["params"])
        self._check()
        self.binary_ = np.asarray(d["binary"], dtype=bool)
        self.thresholds_ = np.array([np.nan if t is None else t for t in d["thresholds"]], dtype=float)
        if self.thresholds_.shape != self.binary_.shape:
            raise ValueError("binariser state: thresholds and binary flags differ in length")
        return self
