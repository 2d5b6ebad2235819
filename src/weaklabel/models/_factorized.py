"""Shared machinery for label models of the conditionally independent, factorised form.

Such a model is described by

* ``class_balance_`` ``(K,)``: P(y = k);
* ``confusion_`` ``(m, K, K)``: P(LF j votes v | y = k, LF j votes);
* ``propensity_`` ``(m, K)``: P(LF j votes | y = k);
* ``abstain_modelled_`` ``(m,)``: whether LF j's decision to vote is evidence about y. When it
  is not, the propensity is taken as independent of the class and cancels out (Dawid–Skene's
  "abstains are missing at random"); when it is, an abstain is an observed outcome.

From these it builds the ``D`` / ``base`` tables of :mod:`weaklabel.models._kernels` for fast
scoring, and derives per-LF accuracies.
"""

from __future__ import annotations

import numpy as np

from ..votes import VoteMatrix
from . import _kernels
from .base import LabelModel

_EPS = 1e-12


def n_blocks(n: int) -> int:
    """Row blocks for the parallel kernels: enough to balance threads, few enough to keep the
    per-block accumulators small. Independent of the thread count, so results are too."""
    return max(1, min(n, 16))


def log_tables(class_balance: np.ndarray, confusion: np.ndarray, propensity: np.ndarray,
               abstain_modelled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(D, base)`` scoring tables for the kernels (see module docstring)."""
    logc = np.log(np.clip(confusion, _EPS, 1.0))
    prop = np.clip(propensity, _EPS, 1.0 - 1e-9)
    mod = abstain_modelled.astype(bool)
    D = logc.copy()
    D[mod] += (np.log(prop[mod]) - np.log1p(-prop[mod]))[:, :, None]
    base = np.log(np.clip(class_balance, _EPS, 1.0)) + np.log1p(-prop[mod]).sum(axis=0)
    return np.ascontiguousarray(D), np.ascontiguousarray(base)


def accuracies(class_balance: np.ndarray, confusion: np.ndarray, propensity: np.ndarray,
               abstain_modelled: np.ndarray) -> np.ndarray:
    """P(vote == y | LF votes) for each LF, under the model."""
    m, K, _ = confusion.shape
    w = np.tile(class_balance, (m, 1))
    mod = abstain_modelled.astype(bool)
    w[mod] *= propensity[mod]
    w /= np.maximum(w.sum(axis=1, keepdims=True), _EPS)
    return np.einsum("jk,jkk->j", w, confusion)


def flat_table(D: np.ndarray) -> np.ndarray:
    """``D[j, k, v]`` (m, K, K) -> the kernels' layout ``[j*K + v, k]`` (K scores contiguous)."""
    m, K, _ = D.shape
    return np.ascontiguousarray(D.transpose(0, 2, 1).reshape(m * K, K))


def em_stats(vm: VoteMatrix, D: np.ndarray, base: np.ndarray, y: np.ndarray | None = None,
             prior_w: np.ndarray | None = None, base0: np.ndarray | None = None):
    """One fused E-step + M-step statistics pass: ``(S (m, K, K) [j, k, v], T (K,), loglik)``.

    ``prior_w`` defaults to ones (the class prior on every row) and ``base0`` to ``base``.
    """
    m, K = vm.n_lfs, vm.cardinality
    yy = y if y is not None else -np.ones(vm.n_rows, dtype=np.int64)
    pw = np.ones(m) if prior_w is None else np.asarray(prior_w, dtype=float)
    b0 = base if base0 is None else base0
    S, T, ll = _kernels.em_pass(vm.indptr, vm.indices, vm.votes, flat_table(D), pw, base, b0, yy,
                                n_blocks(vm.n_rows))
    return S.reshape(m, K, K).transpose(0, 2, 1), T, ll


def posterior(vm: VoteMatrix, D: np.ndarray, base: np.ndarray, prior_w: np.ndarray | None = None,
              base0: np.ndarray | None = None) -> np.ndarray:
    """``(n, K)`` posteriors for the scoring tables (see :mod:`weaklabel.models._kernels`)."""
    pw = np.ones(vm.n_lfs) if prior_w is None else np.asarray(prior_w, dtype=float)
    return _kernels.posterior(vm.indptr, vm.indices, vm.votes, flat_table(D), pw, base,
                              base if base0 is None else base0)


def vote_polarity(vm: VoteMatrix) -> np.ndarray:
    """``(m, K)`` bool: which classes each LF ever votes."""
    return lf_counts(vm) > 0


def lf_counts(vm: VoteMatrix) -> np.ndarray:
    """``(m, K)`` votes per LF and class (Numba: no temporaries the size of the votes)."""
    return _kernels.lf_class_counts(vm.indices, vm.votes, vm.n_lfs, vm.cardinality)


def majority_posterior_stats(vm: VoteMatrix, y: np.ndarray | None):
    """EM sufficient statistics ``(S, T)`` computed with majority-vote soft labels as the
    posterior (uncovered rows: uniform; rows with a gold label: that label). The usual
    initialisation of Dawid–Skene."""
    m, K = vm.n_lfs, vm.cardinality
    D = np.zeros((m, K, K))
    D[:, np.arange(K), np.arange(K)] = 30.0  # log-score = 30 x number of votes for the class:
    # the softmax is then an even split among the top classes (e^-30 ~ 1e-13 for the rest)
    S, T, _ = em_stats(vm, D, np.zeros(K), y)
    return S, T


class FactorizedModel(LabelModel):
    """Base for models whose learned state is (class balance, confusion, propensity, abstain mask)."""

    _learned = ("class_balance_", "confusion_", "propensity_", "abstain_modelled_", "accuracies_",
                "n_iter_", "converged_", "log_likelihood_")

    def _set_state(self, class_balance, confusion, propensity, abstain_modelled) -> None:
        self.class_balance_ = np.asarray(class_balance, dtype=float)
        self.confusion_ = np.asarray(confusion, dtype=float)
        self.propensity_ = np.asarray(propensity, dtype=float)
        self.abstain_modelled_ = np.asarray(abstain_modelled, dtype=bool)
        self.accuracies_ = accuracies(self.class_balance_, self.confusion_, self.propensity_,
                                      self.abstain_modelled_)

    def _tables(self):
        return log_tables(self.class_balance_, self.confusion_, self.propensity_, self.abstain_modelled_)

    def _predict_proba(self, vm: VoteMatrix) -> np.ndarray:
        # rows without votes get the class balance when abstains are not modelled (base is
        # then the log prior); when they are, an all-abstain row is itself evidence
        D, base = self._tables()
        return posterior(vm, D, base)

    def log_likelihood(self, L) -> float:
        """Mean log-likelihood per row of the votes ``L`` under the fitted model."""
        self._check_fitted()
        vm = self._coerce(L, fitted=True)
        D, base = self._tables()
        _, _, ll = em_stats(vm, D, base)
        return ll / max(vm.n_rows, 1)

    def _validate_learned(self) -> None:
        super()._validate_learned()
        K, m = int(self.cardinality_), int(self.n_lfs_)
        conf = np.asarray(self.confusion_, dtype=float)
        prop = np.asarray(self.propensity_, dtype=float)
        mask = np.asarray(self.abstain_modelled_, dtype=bool)
        if conf.shape != (m, K, K) or np.any(conf < 0) or not np.allclose(conf.sum(axis=2), 1, atol=1e-6):
            raise ValueError("confusion_ must be (n_lfs, K, K) with rows summing to 1")
        if prop.shape != (m, K) or np.any(prop < 0) or np.any(prop > 1):
            raise ValueError("propensity_ must be (n_lfs, K) probabilities")
        if mask.shape != (m,):
            raise ValueError("abstain_modelled_ must have one flag per LF")
        self._set_state(self.class_balance_, conf, prop, mask)
