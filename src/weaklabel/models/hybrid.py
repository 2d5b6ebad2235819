"""The default label model: a vote-level Dawid–Skene that treats each source by its type.

Why a new model? On the shared benchmark sets (see ``benchmarks/README.md``) every classic
model fails somewhere: Dawid–Skene collapses on labeling-function data (an LF that only ever
votes one class carries no information once abstains are ignored, so the posterior falls back
to the prior: semeval .318, trec .276), modelling abstains as an outcome over-counts evidence
and wrecks sparse crowd matrices, and moment matching/triplets lose on crowd data. This model
keeps what works in each regime.

Model. Given the true class ``y`` of a row, each of its *votes* is an independent draw:

* a **single-class source** ``j`` (every vote it casts is class ``c_j``: most keyword rules) is
  described by ``a_j`` = its share of the vote mass on class ``c_j`` and ``b_j`` = its share of
  the vote mass on the other classes; its vote adds ``log a_j`` to class ``c_j`` and
  ``log b_j`` to every other class. Its abstains are not evidence (they are mutually exclusive
  rules' business, not the class's);
* a **multi-class source** (crowd workers, classifiers) has a Dawid–Skene confusion matrix
  ``theta_j[y, v]``, learned by EM with a Dirichlet prior centred on the source's own one-coin
  matrix (``conf_strength`` pseudo-votes per row): a source with few votes behaves one-coin, one
  with many gets its full matrix. Its vote adds ``log theta_j[y, v] + log(1 - U_y)``, ``U_y``
  being the share of class-``y`` votes cast by single-class sources, so both kinds of votes
  live in one vote-level likelihood.

Anchoring. The single-class ratios are computed once, from the majority-vote soft labels, and
frozen: re-estimating them by EM drifts (on the multi-class LF sets every EM step after the first
lowers accuracy while the likelihood keeps improving: the independence model is wrong there,
and the MV-calibrated one-step estimate is the robust one). Only the multi-class confusions
(and, when there are multi-class sources, the class prior) run EM.

The class prior speaks through the sources that are modelled conditionally on the class: on a
row it enters with weight = the share of the row's votes cast by multi-class sources (1 on a
crowd row, 0 on a row of single-class votes, whose vote-mass ratios already carry class
frequencies; an estimated prior there only overturns evidence: semeval .82 -> .71), and with
weight 1 on rows without votes. On data that follows the Dawid–Skene assumptions this is exactly
Dawid–Skene.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix
from .stats import posterior
from .base import LabelModel, register

_EPS = 1e-12


def _onecoin(N: np.ndarray, acc0: float, pseudo: float) -> np.ndarray:
    """Each source's own one-coin matrix: accuracy (trace + pseudo*acc0) / (votes + pseudo)."""
    m, K, _ = N.shape
    acc = (np.trace(N, axis1=1, axis2=2) + pseudo * acc0) / (N.sum(axis=(1, 2)) + pseudo)
    out = np.repeat(((1 - acc) / (K - 1))[:, None, None], K, axis=1).repeat(K, axis=2)
    idx = np.arange(K)
    out[:, idx, idx] = acc[:, None]
    return out


@register
class HybridDawidSkene(LabelModel):
    """Robust default: frozen likelihood ratios for single-class LFs, EM confusions for the rest.

    Parameters
    ----------
    conf_strength:
        Pseudo-votes per confusion row pulling a multi-class source towards its own one-coin
        matrix.
    prior_accuracy:
        Prior accuracy inside that one-coin matrix (with 2 pseudo-votes).
    ratio_smoothing:
        Pseudo-votes pulling each single-class source's ratio ``a_j / b_j`` towards 1.
    class_balance:
        Fixed class balance instead of the majority-vote (or gold) estimate.
    max_iter, tol:
        EM stops when no confusion entry moves by more than ``tol``.

    Learned: ``class_balance_``, ``confusion_`` (m, K, K; multi-class sources),
    ``single_class_`` (m,) bool, ``target_`` (m,) their class, ``ratio_`` (m, 2) = (a_j, b_j),
    ``log_not_single_`` (K,) = log(1 - U_y), ``accuracies_`` (m,), ``n_iter_``, ``converged_``.
    """

    _learned = ("class_balance_", "confusion_", "single_class_", "target_", "ratio_", "log_not_single_",
                "accuracies_", "n_iter_", "converged_")

    def __init__(self, conf_strength: float = 5.0, prior_accuracy: float = 0.7, ratio_smoothing: float = 1.0,
                 class_balance=None, max_iter: int = 100, tol: float = 1e-6, random_state: int | None = 0):
        self.conf_strength = conf_strength
        self.prior_accuracy = prior_accuracy
        self.ratio_smoothing = ratio_smoothing
        self.class_balance = class_balance
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ------------------------------------------------------------------ pieces
    def _check(self, K: int):
        if self.conf_strength < 0 or self.ratio_smoothing < 0:
            raise InputError("conf_strength and ratio_smoothing must be >= 0")
        if not 0 < self.prior_accuracy < 1:
            raise InputError(f"prior_accuracy must be in (0, 1), got {self.prior_accuracy}")
        if self.max_iter < 0 or self.tol <= 0:
            raise InputError("max_iter must be >= 0 and tol > 0")
        if self.class_balance is None:
            return None
        cb = np.asarray(self.class_balance, dtype=float)
        if cb.shape != (K,) or np.any(cb <= 0) or not np.isclose(cb.sum(), 1.0, atol=1e-6):
            raise InputError(f"class_balance must be {K} positive numbers summing to 1, got {self.class_balance!r}")
        return cb / cb.sum()

    def _confusion(self, N: np.ndarray) -> np.ndarray:
        theta = N + self.conf_strength * _onecoin(N, self.prior_accuracy, 2.0)
        return theta / theta.sum(axis=2, keepdims=True)

    def _tables(self):
        """``(D, prior_w, base, base0)`` for the scoring kernels."""
        K = int(self.cardinality_)
        single = np.asarray(self.single_class_, dtype=bool)
        D = np.log(np.clip(self.confusion_, _EPS, 1.0)) + self.log_not_single_[None, :, None]
        if single.any():
            rows = np.flatnonzero(single)
            a, b = self.ratio_[rows, 0], self.ratio_[rows, 1]
            lp = np.repeat(np.log(b)[:, None], K, axis=1)
            lp[np.arange(rows.size), self.target_[rows]] = np.log(a)
            D[rows] = lp[:, :, None]  # whatever the (single) vote, the same class scores
        logpi = np.log(np.clip(self.class_balance_, _EPS, 1.0))
        return np.ascontiguousarray(D), (~single).astype(float), logpi, logpi

    # ------------------------------------------------------------------ fit
    def _fit(self, data, y: np.ndarray | None) -> None:
        K, m, n = data.cardinality, data.n_lfs, data.n_rows
        fixed = self._check(K)
        counts = data.lf_counts()
        tot = counts.sum(axis=1)
        target = counts.argmax(axis=1)
        single = (counts.max(axis=1) == tot) & (tot > 0)
        yy = y if y is not None else -np.ones(n, dtype=np.int64)
        known = yy >= 0

        # majority-vote soft labels (ties split evenly; gold rows fixed): the anchor statistics
        D_mv = np.zeros((m, K, K))
        D_mv[:, np.arange(K), np.arange(K)] = 30.0
        S1, T1, _ = data.em_stats(D_mv, np.zeros(K), yy)
        # uncovered rows contributed uniform mass (labelled ones their label: subtract as uniform,
        # the difference is at most the few labelled uncovered rows)
        T_cov = T1 - data.n_uncovered() / K
        cov_dist = np.maximum(T_cov, 0) + _EPS
        cov_dist /= cov_dist.sum()
        if fixed is not None:
            pi = fixed
        elif known.any():
            g = np.bincount(yy[known], minlength=K) + 1.0
            pi = g / g.sum()
        else:
            pi = cov_dist  # the MV class distribution of covered rows
        # single-class sources: vote-mass shares, frozen at the MV calibration
        Vy = np.maximum(S1.sum(axis=(0, 2)), _EPS)            # class vote mass
        r = Vy / Vy.sum()
        s = self.ratio_smoothing
        idx = np.arange(m)
        F = S1[idx, :, target]                                 # (m, K): j's vote mass per class
        Fc = F[idx, target]
        a = (Fc + s * r[target]) / Vy[target]
        b = (F.sum(axis=1) - Fc + s * (1 - r[target])) / np.maximum(Vy.sum() - Vy[target], _EPS)
        ratio = np.stack([a, b], axis=1)
        Vu = F[single].sum(axis=0)
        log_not_single = np.log(np.clip(1 - Vu / Vy, 1e-9, 1.0))
        # multi-class sources: EM on their confusions
        multi = ~single & (tot > 0)
        N = np.where(multi[:, None, None], S1, 0.0)
        self.cardinality_, self.n_lfs_ = K, m
        self.class_balance_ = pi
        self.single_class_ = single
        self.target_ = target.astype(np.int64)
        self.ratio_ = ratio
        self.log_not_single_ = log_not_single
        self.confusion_ = self._confusion(N)
        it, converged = 0, True
        if multi.any():
            converged = False
            free_prior = fixed is None and not known.any()
            for it in range(1, self.max_iter + 1):
                D, prior_w, base, base0 = self._tables()
                S, T, _ = data.em_stats(D, base, yy, prior_w, base0)
                new = self._confusion(np.where(multi[:, None, None], S, 0.0))
                delta = float(np.abs(new - self.confusion_).max())
                self.confusion_ = new
                if free_prior:
                    pi = (T + 1.0) / (T.sum() + K)
                    delta = max(delta, float(np.abs(pi - self.class_balance_).max()))
                    self.class_balance_ = pi
                if delta < self.tol:
                    converged = True
                    break
        self.n_iter_ = int(it)
        self.converged_ = bool(converged)
        self.accuracies_ = self._accuracies()

    def _accuracies(self) -> np.ndarray:
        """P(vote == y | the source votes), under the model and the class prior."""
        pi = self.class_balance_
        K = pi.size
        acc = np.einsum("k,jkk->j", pi, self.confusion_)
        single = np.asarray(self.single_class_, dtype=bool)
        if single.any():
            c = self.target_[single]
            a, b = self.ratio_[single, 0], self.ratio_[single, 1]
            num = pi[c] * a
            acc[single] = num / (num + (1 - pi[c]) * b)
        return np.clip(acc, 0.0, 1.0) if K else acc

    def _predict_proba(self, vm: VoteMatrix) -> np.ndarray:
        D, prior_w, base, base0 = self._tables()
        return posterior(vm, D, base, prior_w, base0)

    def _validate_learned(self) -> None:
        super()._validate_learned()
        K, m = int(self.cardinality_), int(self.n_lfs_)
        conf = np.asarray(self.confusion_, dtype=float)
        if conf.shape != (m, K, K) or np.any(conf < 0) or not np.allclose(conf.sum(axis=2), 1, atol=1e-6):
            raise ValueError("confusion_ must be (n_lfs, K, K) with rows summing to 1")
        single = np.asarray(self.single_class_, dtype=bool)
        target = np.asarray(self.target_, dtype=np.int64)
        ratio = np.asarray(self.ratio_, dtype=float)
        lns = np.asarray(self.log_not_single_, dtype=float)
        if single.shape != (m,) or target.shape != (m,) or np.any((target < 0) | (target >= K)):
            raise ValueError("single_class_ and target_ must have one entry per LF, targets in 0..K-1")
        if ratio.shape != (m, 2) or np.any(ratio <= 0) or lns.shape != (K,) or np.any(lns > 0):
            raise ValueError("ratio_ must be (n_lfs, 2) positive and log_not_single_ (K,) non-positive")
        self.confusion_, self.single_class_, self.target_ = conf, single, target
        self.ratio_, self.log_not_single_ = ratio, lns
        self.accuracies_ = np.asarray(self.accuracies_, dtype=float)
