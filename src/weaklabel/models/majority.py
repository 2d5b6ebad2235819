"""Majority vote: the baseline every label model must beat (and never fall below)."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix
from .base import LabelModel, class_counts, register

MV_TIES = ("random", "uniform", "abstain")


@register
class MajorityVote(LabelModel):
    """Each row gets the class most LFs voted for.

    Parameters
    ----------
    ties:
        How a row whose top count is shared is labelled. ``"random"``: a seeded random tied
        class (one-hot probability); ``"uniform"``: probability split evenly over the tied
        classes (the hard label is then a seeded random one of them); ``"abstain"``: probability
        split evenly, hard label ``-1``.
    random_state:
        Seed for the random tie-break; the same seed gives the same labels.

    Learned: ``class_balance_`` (the mean label distribution over rows with at least one vote, or
    the frequencies of ``y`` when gold labels are given to ``fit``), used for rows without votes.
    """

    _learned = ("class_balance_", "n_iter_", "converged_")

    def __init__(self, ties: str = "random", random_state: int | None = 0):
        self.ties = ties
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.ties not in MV_TIES:
            raise InputError(f"ties must be one of {', '.join(MV_TIES)}, got {self.ties!r}")

    def _votes_proba(self, vm: VoteMatrix) -> tuple[np.ndarray, np.ndarray]:
        counts = class_counts(vm)
        top = counts.max(axis=1, keepdims=True)
        is_top = (counts == top) & (top > 0)
        n_top = is_top.sum(axis=1)
        proba = np.where(n_top[:, None] > 0, is_top / np.maximum(n_top, 1)[:, None], 0.0)
        if self.ties == "random":
            tied = np.flatnonzero(n_top > 1)
            if tied.size:
                rng = np.random.default_rng(self.random_state)
                pick = np.floor(rng.random(tied.size) * n_top[tied]).astype(np.int64) + 1
                winner = np.argmax(np.cumsum(is_top[tied], axis=1) >= pick[:, None], axis=1)
                proba[tied] = 0.0
                proba[tied, winner] = 1.0
        return proba, n_top

    def _fit(self, vm: VoteMatrix, y: np.ndarray | None) -> None:
        self._check_params()
        K = vm.cardinality
        if y is not None and np.any(y >= 0):
            cb = np.bincount(y[y >= 0], minlength=K).astype(float) + 1.0
        else:
            proba, n_top = self._votes_proba(vm)
            covered = n_top > 0
            cb = proba[covered].sum(axis=0) + 1.0 if covered.any() else np.ones(K)
        self.class_balance_ = cb / cb.sum()
        self.n_iter_ = 0
        self.converged_ = True

    def _predict_proba(self, vm: VoteMatrix) -> np.ndarray:
        self._check_params()
        proba, n_top = self._votes_proba(vm)
        proba[n_top == 0] = self.class_balance_
        return proba

    def predict(self, L, ties: str | None = None) -> np.ndarray:
        """Hard labels. ``ties`` defaults to the model's ``ties`` (``uniform`` breaks randomly)."""
        ties = self.ties if ties is None else ties
        rule = {"uniform": "random"}.get(ties, ties)
        return super().predict(L, ties=rule)
