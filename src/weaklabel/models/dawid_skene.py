"""Dawid–Skene label models fitted by EM over the CSR votes (Numba kernels).

:class:`DawidSkene` learns a full class-conditional confusion matrix per LF; the one-coin
variant :class:`OneCoinDawidSkene` ties it to a single accuracy per LF with errors spread
uniformly (fewer parameters: robust when LFs vote rarely).

Three choices make EM behave on labeling-function data, where the textbook version collapses:

* **Abstains.** Dawid–Skene treats a missing answer as missing at random. For an LF that only
  ever votes one class (most keyword rules), the vote *given that it voted* is constant and
  carries no information: all of its information is in *whether* it votes. With
  ``abstain="auto"`` (default) such unipolar LFs have their abstains modelled as an observed
  outcome (P(vote | y) per class), while LFs that vote several classes (crowd workers, most
  classifiers) keep the missing-at-random treatment, which is right for sparse crowd matrices.
  ``"model"`` and ``"ignore"`` force one treatment for every LF.
* **Smoothing.** Each confusion row gets a Dirichlet prior with ``smoothing`` pseudo-votes whose
  mean puts ``prior_accuracy`` on the diagonal, and class balance and vote propensities get
  pseudo-counts too, so that no class or LF collapses to 0/1 probabilities.
* **Initialisation** from majority-vote soft labels (and gold labels when given), which fixes the
  label permutation; optional random restarts keep the best likelihood.
"""

from __future__ import annotations

import numpy as np

from ._factorized import FactorizedModel, log_tables
from .base import Interval, Options, check_class_balance, register

ABSTAIN_MODES = ("auto", "ignore", "model")


def rows_or_prior(theta: np.ndarray, total: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """``theta / total`` (smoothed counts over their row sums), and the ``prior`` row where a row
    holds nothing (``total`` 0).

    Why: with no pseudo-votes (``smoothing=0`` here, ``conf_strength=0`` in hybrid: maximum
    likelihood) a class a source never voted on, or a source that never votes, has a 0/0 row whose
    NaN reached every probability. The prior row is the limit of the smoothed row as the
    pseudo-votes go to 0, so 0 means "maximum likelihood where there are votes"."""
    full = total > 0
    return np.where(full, theta / np.where(full, total, 1.0), prior)


@register
class DawidSkene(FactorizedModel):
    """Dawid–Skene EM with a full confusion matrix per LF.

    Parameters
    ----------
    abstain:
        ``"auto"`` (abstains modelled for LFs that vote a single class, ignored otherwise),
        ``"model"`` or ``"ignore"``.
    smoothing:
        Dirichlet pseudo-votes per confusion row (0 = maximum likelihood).
    prior_accuracy:
        Mean of the Dirichlet prior on the diagonal of each confusion row.
    class_smoothing:
        Pseudo-count per class for the class balance.
    class_balance:
        Fixed class balance (length K, sums to 1) instead of estimating it.
    max_iter, tol:
        EM stops when the relative change of the log-likelihood is below ``tol``.
    n_restarts:
        Extra EM runs from random initialisations; the best log-likelihood wins.
    random_state:
        Seed for restarts and tie-breaking.

    Learned: ``class_balance_``, ``confusion_`` (m, K, K), ``propensity_`` (m, K),
    ``abstain_modelled_`` (m,), ``accuracies_`` (m,), ``log_likelihood_``, ``n_iter_``,
    ``converged_``.
    """

    _parameter_constraints = {
        "abstain": [Options(*ABSTAIN_MODES)],
        "smoothing": [Interval("real", 0, None)],
        "prior_accuracy": [Interval("real", 0, 1, closed="neither")],
        "class_smoothing": [Interval("real", 0, None)],
        "class_balance": [None, "probabilities"],
        "max_iter": [Interval("int", 1, None)],
        "tol": [Interval("real", 0, None, closed="neither")],
        "n_restarts": [Interval("int", 0, None)],
        "random_state": [None, "random_state"],
    }

    def __init__(self, abstain: str = "auto", smoothing: float = 1.0, prior_accuracy: float = 0.7,
                 class_smoothing: float = 1.0, class_balance=None, max_iter: int = 100, tol: float = 1e-6,
                 n_restarts: int = 0, random_state: int | None = 0):
        self.abstain = abstain
        self.smoothing = smoothing
        self.prior_accuracy = prior_accuracy
        self.class_smoothing = class_smoothing
        self.class_balance = class_balance
        self.max_iter = max_iter
        self.tol = tol
        self.n_restarts = n_restarts
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self, K: int) -> np.ndarray | None:
        # every other hyper-parameter is checked by _validate_params (``_parameter_constraints``)
        return check_class_balance(self.class_balance, K)

    # ------------------------------------------------------------------ EM pieces
    def _prior_confusion(self, K: int) -> np.ndarray:
        a0 = max(self.prior_accuracy, 1.0 / K + 1e-3)
        prior = np.full((K, K), (1.0 - a0) / (K - 1))
        np.fill_diagonal(prior, a0)
        return prior

    def _confusion(self, S: np.ndarray, V: np.ndarray) -> np.ndarray:
        """M-step for the confusion matrices (full: one Dirichlet-smoothed row per class)."""
        K = S.shape[1]
        a = self.smoothing
        prior = self._prior_confusion(K)[None]
        return rows_or_prior(S + a * prior, (V + a)[:, :, None], prior)

    def _m_step(self, S: np.ndarray, T: np.ndarray, fixed_cb, unipolar: np.ndarray, coverage: np.ndarray):
        m, K, _ = S.shape
        V = S.sum(axis=2)
        conf = self._confusion(S, V)
        if unipolar.any():
            # an LF that only votes class c says c whenever it votes, whatever y is
            cls = self._unipolar_class
            conf[unipolar] = 0.0
            conf[np.flatnonzero(unipolar)[:, None], np.arange(K)[None, :], cls[unipolar][:, None]] = 1.0
        conf /= conf.sum(axis=2, keepdims=True)
        beta = 1.0  # pseudo-rows pulling each propensity towards the LF's overall coverage
        prop = (V + beta * coverage[:, None]) / (T[None, :] + beta)
        prop = np.clip(prop, 1e-6, 1 - 1e-6)
        if fixed_cb is not None:
            cb = fixed_cb
        else:
            cb = (T + self.class_smoothing) / (T.sum() + K * self.class_smoothing)
        return cb, conf, prop

    def _run_em(self, data, y, params, fixed_cb, modelled, unipolar, coverage):
        cb, conf, prop = params
        ll_prev = -np.inf
        converged = False
        it = 0
        for it in range(1, self.max_iter + 1):
            D, base = log_tables(cb, conf, prop, modelled)
            S, T, ll = data.em_stats(D, base, y)
            cb, conf, prop = self._m_step(S, T, fixed_cb, unipolar, coverage)
            if np.isfinite(ll_prev) and abs(ll - ll_prev) <= self.tol * max(1.0, abs(ll)):
                converged = True
                break
            ll_prev = ll
        return cb, conf, prop, ll, it, converged

    # ------------------------------------------------------------------ fit
    def _fit(self, data, y: np.ndarray | None) -> None:
        K, m, n = data.cardinality, data.n_lfs, data.n_rows
        fixed_cb = self._check_params(K)
        counts = data.lf_counts()
        pol = counts > 0
        unipolar = pol.sum(axis=1) == 1
        self._unipolar_class = np.where(unipolar, pol.argmax(axis=1), 0)
        if self.abstain == "auto":
            modelled = unipolar.copy()
        else:
            modelled = np.full(m, self.abstain == "model")
        if self.abstain == "ignore":
            unipolar_fixed = np.zeros(m, dtype=bool)
        else:
            unipolar_fixed = unipolar & modelled
        coverage = counts.sum(axis=1) / max(n, 1)
        S0, T0 = data.majority_stats(y)
        start = self._m_step(S0, T0, fixed_cb, unipolar_fixed, coverage)
        best = self._run_em(data, y, start, fixed_cb, modelled, unipolar_fixed, coverage)
        rng = np.random.default_rng(self.random_state)
        for _ in range(self.n_restarts):
            # a random start: each confusion row drawn around a random accuracy in (1/K, 1)
            acc = rng.uniform(1.0 / K, 1.0, size=(m, K))
            conf = rng.dirichlet(np.ones(K), size=(m, K)) * (1 - acc)[:, :, None]
            conf[:, np.arange(K), np.arange(K)] = acc
            conf /= conf.sum(axis=2, keepdims=True)
            cb = fixed_cb if fixed_cb is not None else rng.dirichlet(np.full(K, 5.0))
            cand = self._run_em(data, y, (cb, conf, start[2]), fixed_cb, modelled, unipolar_fixed, coverage)
            if cand[3] > best[3]:
                best = cand
        cb, conf, prop, ll, it, converged = best
        self._set_state(cb, conf, prop, modelled)
        self.log_likelihood_ = float(ll / max(n, 1))
        self.n_iter_ = int(it)
        self.converged_ = bool(converged)
        del self._unipolar_class


@register
class OneCoinDawidSkene(DawidSkene):
    """Dawid–Skene with one accuracy per LF: P(vote = y | votes) = a_j, errors spread evenly.

    Same parameters as :class:`DawidSkene`; ``confusion_`` is the implied symmetric matrix.
    """

    def _confusion(self, S: np.ndarray, V: np.ndarray) -> np.ndarray:
        m, K, _ = S.shape
        a = self.smoothing
        a0 = max(self.prior_accuracy, 1.0 / K + 1e-3)
        correct = np.trace(S, axis1=1, axis2=2)
        acc = rows_or_prior(correct + a * a0, V.sum(axis=1) + a, a0)   # an LF that never votes: a0
        acc = np.clip(acc, 1e-6, 1 - 1e-6)
        conf = np.repeat(((1.0 - acc) / (K - 1))[:, None, None], K, axis=1).repeat(K, axis=2)
        idx = np.arange(K)
        conf[:, idx, idx] = acc[:, None]
        return conf
