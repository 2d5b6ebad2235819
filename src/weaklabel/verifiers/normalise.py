"""Step 1: put every verifier's scores on a common scale.

Verifiers score on any scale (probabilities, logits, 1-10 ratings, yes/no verdicts). A
:class:`Normaliser` maps each verifier column to ``[0, 1]`` (or, for ``quantile`` with
``output="normal"``, to standard-normal scores), either with parameters fitted over all
questions (``scope="global"``: stored, and applied unchanged to new questions) or within each
question (``scope="question"``: a question's candidates are compared with each other only, which
removes question-level offsets such as a reward model scoring every answer to a hard question
low).

Methods:

* ``minmax``: ``(x - min) / (max - min)``; new data is clipped to ``[0, 1]``.
* ``quantile``: the empirical CDF with ties split evenly (mid-ranks), so a score becomes the
  share of candidates scoring below it; ``output="normal"`` applies the standard-normal quantile
  function (useful for the continuous label model). Globally the CDF is stored as at most
  ``n_quantiles`` (value, CDF) knots and new scores are interpolated.
* ``winsorize``: clip to the ``limits`` quantiles, then min-max.
* ``none``: raw scores.

A verifier with at most two distinct values (a yes/no judge) is mapped to ``0``/``1`` by every
method, in every scope: its scale is already fixed and a per-question rank would turn a
unanimous "yes" into a middling score. Missing scores stay NaN.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ..errors import InputError
from ._base import VerifierEstimator
from ._groups import Groups

METHODS = ("minmax", "quantile", "winsorize", "none")
SCOPES = ("global", "question")
OUTPUTS = ("uniform", "normal")
_CLIP = 1e-4  # normal output: CDF values are kept in [_CLIP, 1 - _CLIP] (|z| <= 3.7)


def _check(method: str, scope: str, output: str, limits) -> tuple[float, float]:
    if method not in METHODS:
        raise InputError(f"normalisation must be one of {', '.join(METHODS)}, got {method!r}")
    if scope not in SCOPES:
        raise InputError(f"normalisation scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if output not in OUTPUTS:
        raise InputError(f"normalisation output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    try:
        lo, hi = (float(v) for v in limits)
    except (TypeError, ValueError):
        raise InputError(f"winsorize limits must be two numbers, got {limits!r}") from None
    if not 0.0 <= lo < hi <= 1.0:
        raise InputError(f"winsorize limits must satisfy 0 <= lower < upper <= 1, got {limits!r}")
    return lo, hi


def _ecdf_knots(col: np.ndarray, n_knots: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of ``col`` (NaN ignored) and their mid-rank CDF, thinned to ``n_knots``."""
    v = np.sort(col[~np.isnan(col)])
    if v.size == 0:
        return np.zeros(0), np.zeros(0)
    uniq, first, counts = np.unique(v, return_index=True, return_counts=True)
    cdf = (first + 0.5 * counts) / v.size
    if uniq.size > n_knots:
        keep = np.unique(np.linspace(0, uniq.size - 1, n_knots).round().astype(np.int64))
        uniq, cdf = uniq[keep], cdf[keep]
    return uniq, cdf


def _unit(x, lo, hi):
    """``(x - lo) / (hi - lo)``, halved first where the span overflows (scores near the float64
    limit: ``1e308 - -1e308`` is inf, and every score came out NaN or 0)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        span = hi - lo
        return np.where(np.isinf(span), (x / 2 - lo / 2) / (hi / 2 - lo / 2), (x - lo) / span)


RAW_SCALE_LIMIT = 1e100   # |score| the mixture's sums of squares hold on any table size


def check_raw_scale(U: np.ndarray, binary: np.ndarray, names, positions=None) -> None:
    """Raw scores (``method="none"``) go to the mixture as they are: beyond
    :data:`RAW_SCALE_LIMIT` its variances overflowed and the fit was NaN and infinities (written
    to the selector file) without a word. A one-line error names the column and the row (the first
    in the file: ``positions``, each row's position there, when the rows are in another order).
    Columns flagged in ``binary`` are not checked (yes/no verifiers; when a fitted selector is
    applied, also those it dropped, which the mixture does not read)."""
    big = ~binary[None, :] & (np.abs(np.nan_to_num(U)) > RAW_SCALE_LIMIT)
    if big.any():
        at = np.arange(U.shape[0]) if positions is None else np.asarray(positions)
        rows, cols = np.nonzero(big)
        k = int(np.lexsort((cols, at[rows]))[0])
        i, v, row = int(rows[k]), int(cols[k]), int(at[rows[k]])
        raise InputError(f"verifier column {names[v]!r} row {row}: score {U[i, v]:.3g} is too large for the mixture on "
                         f"raw scores (--normalise none; at most {RAW_SCALE_LIMIT:g}); normalise it (--normalise "
                         "quantile, the default, or minmax) or rescale the column")


class Normaliser(VerifierEstimator):
    """Per-verifier score normalisation (see module docstring).

    Parameters
    ----------
    method:
        ``minmax``, ``quantile`` (default), ``winsorize`` or ``none``.
    scope:
        ``global`` (fitted over all questions, stored) or ``question`` (within each question).
    output:
        ``uniform`` (``[0, 1]``) or ``normal`` (``quantile`` only: standard-normal scores).
    limits:
        ``winsorize``: lower and upper quantiles to clip at.
    n_quantiles:
        ``quantile``, ``global``: at most this many stored CDF knots per verifier.

    Learned: ``binary_`` (m,) bool (two-valued verifiers), ``low_``/``high_`` (m,) their values
    (or the min-max / winsorize bounds), ``knots_`` (per verifier: values and CDF) for global
    quantiles.
    """

    def __init__(self, method: str = "quantile", scope: str = "global", output: str = "uniform",
                 limits=(0.05, 0.95), n_quantiles: int = 1001):
        self.method = method
        self.scope = scope
        self.output = output
        self.limits = limits
        self.n_quantiles = n_quantiles

    def fit(self, X, groups: Groups | None = None) -> "Normaliser":
        X = np.asarray(X, dtype=float)
        lo_q, hi_q = _check(self.method, self.scope, self.output, self.limits)
        if self.n_quantiles < 2:
            raise InputError("n_quantiles must be at least 2")
        m = X.shape[1]
        self.n_features_ = m
        binary = np.zeros(m, dtype=bool)
        low, high = np.full(m, np.nan), np.full(m, np.nan)
        knots = []
        for v in range(m):
            col = X[:, v]
            vals = np.unique(col[~np.isnan(col)])
            knots_v = [[], []]
            if vals.size == 0:
                binary[v] = True  # no data: treated as a (useless) two-valued column
                low[v] = high[v] = 0.0
            elif vals.size <= 2:
                binary[v] = True
                low[v], high[v] = vals[0], vals[-1]
            elif self.method == "minmax":
                low[v], high[v] = vals[0], vals[-1]
            elif self.method == "winsorize":
                low[v], high[v] = np.nanquantile(col, [lo_q, hi_q])
            elif self.method == "quantile":
                k_val, k_cdf = _ecdf_knots(col, self.n_quantiles)
                knots_v = [k_val.tolist(), k_cdf.tolist()]
                low[v], high[v] = vals[0], vals[-1]
            else:
                low[v], high[v] = vals[0], vals[-1]
            knots.append(knots_v)
        self.binary_ = binary
        self.low_ = low
        self.high_ = high
        self.knots_ = knots
        return self

    def fit_transform(self, X, groups: Groups | None = None) -> np.ndarray:
        return self.fit(X, groups).transform(X, groups)

    # ------------------------------------------------------------------ transform
    def _binary(self, col: np.ndarray, v: int) -> np.ndarray:
        lo, hi = self.low_[v], self.high_[v]
        if hi > lo:
            return np.clip(_unit(col, lo, hi), 0.0, 1.0)
        return np.where(np.isnan(col), np.nan, np.where(col > lo, 1.0, np.where(col < lo, 0.0, 0.5)))

    def transform(self, X, groups: Groups | None = None) -> np.ndarray:
        if not hasattr(self, "binary_"):
            raise InputError("Normaliser is not fitted yet")
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_:
            raise InputError(f"normaliser was fitted on {self.n_features_} verifiers, got shape {X.shape}")
        if self.scope == "question" and groups is None and self.method != "none":
            raise InputError("per-question normalisation needs the question of every row")
        out = np.empty_like(X)
        cont = np.flatnonzero(~self.binary_)
        for v in np.flatnonzero(self.binary_):
            out[:, v] = self._binary(X[:, v], v)
        if cont.size == 0:
            return out
        Xc = X[:, cont]
        if self.method == "none":
            out[:, cont] = Xc
        elif self.scope == "global":
            for i, v in enumerate(cont):
                out[:, v] = self._global(Xc[:, i], v)
        else:
            out[:, cont] = self._per_question(Xc, groups)
        if self.method == "quantile" and self.output == "normal":
            out[:, cont] = ndtri(np.clip(out[:, cont], _CLIP, 1 - _CLIP))
        return out

    def _global(self, col: np.ndarray, v: int) -> np.ndarray:
        lo, hi = self.low_[v], self.high_[v]
        if self.method == "quantile":
            kv, kc = (np.asarray(a, dtype=float) for a in self.knots_[v])
            res = np.interp(col, kv, kc)
            return np.where(np.isnan(col), np.nan, res)
        if not hi > lo:
            return np.where(np.isnan(col), np.nan, 0.5)
        return np.clip(_unit(col, lo, hi), 0.0, 1.0)

    def _per_question(self, X: np.ndarray, groups: Groups) -> np.ndarray:
        if self.method == "quantile":
            return groups.midrank(X)
        if self.method == "winsorize":
            lo_q, hi_q = (float(v) for v in self.limits)
            lo = groups.broadcast(groups.quantile(X, lo_q))
            hi = groups.broadcast(groups.quantile(X, hi_q))
            X = np.clip(X, lo, hi)
        else:
            lo = groups.broadcast(groups.min(X))
            hi = groups.broadcast(groups.max(X))
        with np.errstate(invalid="ignore"):
            res = np.where(hi > lo, _unit(X, lo, np.where(hi > lo, hi, lo + 1.0)), 0.5)
        return np.where(np.isnan(X), np.nan, res)

    # ------------------------------------------------------------------ state

    def flip(self, U: np.ndarray, flipped: np.ndarray) -> np.ndarray:
        """Reverse the ``flipped`` verifiers' normalised scores ``U``: ``1 - x`` on a ``[0, 1]``
        scale (and for yes/no verifiers), ``-x`` for normal scores or raw ones."""
        flipped = np.asarray(flipped, dtype=bool)
        if not flipped.any():
            return U
        U = U.copy()
        bounded = self.method != "none" and self.output == "uniform"
        for v in np.flatnonzero(flipped):
            U[:, v] = 1.0 - U[:, v] if (self.binary_[v] or bounded) else -U[:, v]
        return U

    def to_dict(self) -> dict:
        return {"params": self.json_params(), "binary": self.binary_.tolist(),
                "low": [None if np.isnan(x) else float(x) for x in self.low_],
                "high": [None if np.isnan(x) else float(x) for x in self.high_],
                "knots": self.knots_}

    @classmethod
    def from_dict(cls, d: dict) -> "Normaliser":
        self = cls(**d["params"])
        _check(self.method, self.scope, self.output, self.limits)
        self.binary_ = np.asarray(d["binary"], dtype=bool)
        m = self.binary_.size
        self.n_features_ = m
        self.low_ = np.array([np.nan if x is None else x for x in d["low"]], dtype=float)
        self.high_ = np.array([np.nan if x is None else x for x in d["high"]], dtype=float)
        self.knots_ = [[list(map(float, k[0])), list(map(float, k[1]))] for k in d["knots"]]
        if self.low_.shape != (m,) or self.high_.shape != (m,) or len(self.knots_) != m:
            raise ValueError("normaliser state: per-verifier arrays have different lengths")
        for kv, kc in self.knots_:
            if not np.isfinite(kv + kc).all():
                raise ValueError("normaliser state: quantile knots must be finite numbers")
            if len(kv) != len(kc) or np.any(np.diff(kv) <= 0) or np.any(np.diff(kc) < 0):
                raise ValueError("normaliser state: quantile knots must be increasing")
        return self
