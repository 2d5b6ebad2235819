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
from .base import LabelModel
from .stats import posterior

_EPS = 1e-12


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

    def _uncovered_from_prior(self) -> bool:
        # with abstains modelled an all-abstain row is evidence, not the prior (see _predict_proba)
        return not np.any(self.abstain_modelled_)

    def _tables(self):
        return log_tables(self.class_balance_, self.confusion_, self.propensity_, self.abstain_modelled_)

    def _predict_proba(self, vm: VoteMatrix) -> np.ndarray:
        # rows without votes get the class balance when abstains are not modelled (base is
        # then the log prior); when they are, an all-abstain row is itself evidence
        D, base = self._tables()
        return posterior(vm, D, base)

    def log_likelihood(self, L) -> float:
        """Mean log-likelihood per row of the votes ``L`` under the fitted model."""
        from .stats import LocalVoteStats

        self._check_fitted()
        vm = self._coerce(L, fitted=True)
        D, base = self._tables()
        _, _, ll = LocalVoteStats(vm).em_stats(D, base)
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
