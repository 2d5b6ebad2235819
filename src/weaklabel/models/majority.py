"""Majority vote: the baseline every label model must beat (and never fall below)."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix
from .base import Interval, LabelModel, Options, class_counts, covered_class_balance, register, tie_rng

MV_TIES = ("random", "uniform", "abstain")
_MAX_SCORE = 1e300   # bound on a weighted-vote row score: finite, with room for the softmax's differences


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

    _parameter_constraints = {"ties": [Options(*MV_TIES)], "random_state": [None, "random_state"]}

    _learned = ("class_balance_", "n_iter_", "converged_")

    def __init__(self, ties: str = "random", random_state: int | None = 0):
        self.ties = ties
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.ties not in MV_TIES:
            raise InputError(f"ties must be one of {', '.join(MV_TIES)}, got {self.ties!r}")

    @staticmethod
    def _top(vm: VoteMatrix) -> tuple[np.ndarray, np.ndarray]:
        counts = class_counts(vm)
        top = counts.max(axis=1, keepdims=True)
        is_top = (counts == top) & (top > 0)
        return is_top, is_top.sum(axis=1)

    def _votes_proba(self, vm: VoteMatrix, tie_skip: int = 0) -> tuple[np.ndarray, np.ndarray]:
        is_top, n_top = self._top(vm)
        proba = np.where(n_top[:, None] > 0, is_top / np.maximum(n_top, 1)[:, None], 0.0)
        if self.ties == "random":
            tied = np.flatnonzero(n_top > 1)
            if tied.size:
                rng = tie_rng(self.random_state, tie_skip)
                pick = np.floor(rng.random(tied.size) * n_top[tied]).astype(np.int64) + 1
                winner = np.argmax(np.cumsum(is_top[tied], axis=1) >= pick[:, None], axis=1)
                proba[tied] = 0.0
                proba[tied, winner] = 1.0
        return proba, n_top

    def _fit(self, data, y: np.ndarray | None) -> None:
        self._check_params()
        self.class_balance_ = covered_class_balance(data, y)
        self.n_iter_ = 0
        self.converged_ = True

    def _predict_proba(self, vm: VoteMatrix, tie_skip: int = 0) -> np.ndarray:
        self._check_params()
        proba, n_top = self._votes_proba(vm, tie_skip)
        proba[n_top == 0] = self.class_balance_
        return proba

    def proba_draws(self, L) -> int:
        """Rows of ``L`` whose top vote count is shared: each draws its class when ``ties="random"``."""
        if self.ties != "random":
            return 0
        return int(np.count_nonzero(self._top(self._coerce(L, fitted=True))[1] > 1))

    def predict(self, L, ties: str | None = None) -> np.ndarray:
        """Hard labels. ``ties`` defaults to the model's ``ties`` (``uniform`` breaks randomly)."""
        ties = self.ties if ties is None else ties
        rule = {"uniform": "random"}.get(ties, ties)
        return super().predict(L, ties=rule)

    def score(self, L, y, ties: str | None = None, metrics=None):
        """:meth:`LabelModel.score` of the labels :meth:`predict` gives: ``ties`` defaults to the model's
        ``ties`` too (``ties="abstain"`` was scored on random tie-breaks, with a coverage of 1)."""
        ties = self.ties if ties is None else ties
        return super().score(L, y, ties={"uniform": "random"}.get(ties, ties), metrics=metrics)


@register
class WeightedMajorityVote(LabelModel):
    """Each LF's vote counts with a weight; the class with the largest total wins.

    Parameters
    ----------
    weights:
        One weight per LF. When omitted, weights are learned: ``estimator`` (a label model, by
        default :class:`~weaklabel.models.OneCoinDawidSkene`) is fitted and each LF gets the
        log-odds of its estimated accuracy, ``log(a (K - 1) / (1 - a))``, the weight that makes
        weighted voting the Bayes rule under a one-coin model *with balanced classes*: no class
        prior enters the score (with an 80/20 mix it was 5 points below ``onecoin``, which has one),
        so the probabilities are those of a uniform prior.
    estimator:
        The label model whose accuracies become weights (ignored when ``weights`` is given).
    temperature:
        Probabilities are ``softmax(score / temperature)``.

    Learned: ``weights_`` (m,), ``class_balance_`` (the estimator's, or from the weighted votes).
    """

    _parameter_constraints = {
        "weights": [None, "finite-array"],
        "estimator": [None, "estimator"],
        "temperature": [Interval("real", 0, None, closed="neither")],
        "random_state": [None, "random_state"],
    }

    _learned = ("class_balance_", "weights_", "accuracies_", "n_iter_", "converged_")

    def __init__(self, weights=None, estimator=None, temperature: float = 1.0, random_state: int | None = 0):
        self.weights = weights
        self.estimator = estimator
        self.temperature = temperature
        self.random_state = random_state

    def _fit(self, data, y: np.ndarray | None) -> None:
        K, m = data.cardinality, data.n_lfs
        if self.weights is not None:
            w = np.asarray(self.weights, dtype=float)
            if w.shape != (m,) or not np.all(np.isfinite(w)):
                raise InputError(f"weights must be {m} finite numbers (one per LF), got shape {w.shape}")
            self.weights_ = w
            with np.errstate(over="ignore"):   # a weight of -1e308: exp overflows to inf, the accuracy is 0
                acc = 1.0 / (1.0 + (K - 1) * np.exp(-w))
            self.n_iter_, self.converged_ = 0, True
            if y is not None and np.any(y >= 0):
                cb = np.bincount(y[y >= 0], minlength=K) + 1.0
            else:  # mean weighted-vote label of the rows with votes
                _, T, _ = data.em_stats(self._table(w, K), np.zeros(K))
                cb = np.maximum(T - data.n_uncovered() / K, 0.0) + 1.0
            self.class_balance_ = cb / cb.sum()
        else:
            from .dawid_skene import OneCoinDawidSkene

            est = self.estimator if self.estimator is not None else OneCoinDawidSkene(random_state=self.random_state)
            if not isinstance(est, LabelModel):
                raise InputError(f"estimator must be a weaklabel label model, got {type(est).__name__}")
            from copy import deepcopy

            est = deepcopy(est).fit(data, y)
            if getattr(est, "accuracies_", None) is None:   # majority vote, or an AutoModel that chose it
                chose = getattr(est, "model_", None)
                which = type(est).__name__ + (f" (which chose {type(chose).__name__})" if chose is not None else "")
                raise InputError(f"WeightedMajorityVote: estimator {which} estimates no LF accuracies to weight the "
                                 f"votes by; pass an estimator that does (OneCoinDawidSkene(), the default; "
                                 f"DawidSkene(), HybridDawidSkene(), ...) or weights=[...]")
            acc = np.clip(np.asarray(est.accuracies_, dtype=float), 1e-4, 1 - 1e-4)
            self.weights_ = np.log(acc * (K - 1) / (1 - acc))
            self.class_balance_ = np.asarray(est.class_balance_, dtype=float)
            self.n_iter_ = int(getattr(est, "n_iter_", 0))
            self.converged_ = bool(getattr(est, "converged_", True))
        self.accuracies_ = acc

    def _table(self, w: np.ndarray, K: int) -> np.ndarray:
        D = np.zeros((w.size, K, K))
        idx = np.arange(K)
        D[:, idx, idx] = (w / self._temperature(w))[:, None]
        return D

    def _temperature(self, w: np.ndarray) -> float:
        """``temperature``, raised where ``w / temperature`` could overflow: a row's score (a sum
        of up to m scaled weights) must stay finite, or the softmax is inf - inf, NaN (5e-324
        passes the ``> 0`` check). A temperature that low already gives one-hot probabilities
        (the limit as it goes to 0), so raising it changes nothing else."""
        floor = float(np.abs(w).max(initial=0.0)) / _MAX_SCORE * max(w.size, 1)   # this order: no overflow
        return max(float(self.temperature), floor)

    def _scores(self, vm: VoteMatrix, w: np.ndarray) -> np.ndarray:
        from .stats import posterior

        return posterior(vm, self._table(w, vm.cardinality), np.zeros(vm.cardinality))

    def _predict_proba(self, vm: VoteMatrix) -> np.ndarray:
        proba = self._scores(vm, np.asarray(self.weights_, dtype=float))
        proba[vm.votes_per_row() == 0] = self.class_balance_
        return proba

    def _validate_learned(self) -> None:
        super()._validate_learned()
        w = np.asarray(self.weights_, dtype=float)
        if w.shape != (int(self.n_lfs_),) or not np.all(np.isfinite(w)):
            raise ValueError("weights_ must be n_lfs finite numbers")
        self.weights_ = w
        self.accuracies_ = np.asarray(self.accuracies_, dtype=float)
