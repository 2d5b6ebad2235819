"""``--model auto``: the robust default without gold labels, cross-validated selection with them.

Without gold labels :class:`AutoModel` fits the default unsupervised model (chosen on the
shared benchmark sets to be robust on both labeling-function and crowdsourcing data; see
``benchmarks/README.md``). With gold labels for some rows (``fit(L, y)``, ``y = -1`` where
unknown; e.g. 100 dev rows) it scores every candidate (model + main hyper-parameters) by
stratified k-fold cross-validation on the labelled rows (each fold is fitted with the other
folds' labels, semi-supervised, and scored on its own rows), keeps the default unless another
candidate is better by more than ``margin``, and refits the winner with all the labels. The
reason for the choice is in ``report_``.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix
from .base import Interval, LabelModel, break_ties, register

DEFAULT_NAME = "default"


def default_candidates() -> list[tuple[str, str, dict]]:
    """``(label, model name, params)`` tried by cross-validation; the first is the default."""
    return [
        (DEFAULT_NAME, "hybrid", {}),
        ("hybrid, free crowd bias", "hybrid", {"crowd_bias": "free"}),
        ("majority", "majority", {}),
        ("weighted", "weighted", {}),
        ("ds", "ds", {}),
        ("onecoin", "onecoin", {}),
        ("triplet", "triplet", {}),
    ]


def _stratified_folds(y_known: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold id (0..k-1) for each labelled row, classes spread evenly over the folds."""
    folds = np.empty(y_known.size, dtype=np.int64)
    offset = 0
    for cls in np.unique(y_known):
        idx = np.flatnonzero(y_known == cls)
        rng.shuffle(idx)
        folds[idx] = (np.arange(idx.size) + offset) % k
        offset += idx.size
    return folds


@register
class AutoModel(LabelModel):
    """Robust default label model; with gold labels, cross-validated model selection.

    Parameters
    ----------
    candidates:
        ``[(label, model name, params), ...]``; ``None`` for :func:`default_candidates`. The
        first candidate is the default.
    cv:
        Number of folds (reduced when a class has fewer labelled rows).
    margin:
        Another candidate replaces the default only if its mean cross-validated accuracy is
        higher by more than this (guards against picking noise on ~100 labels).
    min_labels:
        Fewer labelled rows than this: no selection, the default is fitted (with the labels).
    """

    _parameter_constraints = {
        "candidates": [None, "list"],
        "cv": [Interval("int", 2, None)],
        "margin": [Interval("real", 0, 1)],
        "min_labels": [Interval("int", 0, None)],
        "random_state": [None, "random_state"],
    }

    _learned = ("class_balance_", "accuracies_", "model_", "chosen_", "cv_scores_", "report_",
                "n_iter_", "converged_")

    def __init__(self, candidates=None, cv: int = 5, margin: float = 0.02, min_labels: int = 20,
                 random_state: int | None = 0):
        self.candidates = candidates
        self.cv = cv
        self.margin = margin
        self.min_labels = min_labels
        self.random_state = random_state

    def _candidates(self) -> list[tuple[str, str, dict]]:
        from . import MODELS

        cands = default_candidates() if self.candidates is None else [tuple(c) for c in self.candidates]
        if not cands:
            raise InputError("AutoModel needs at least one candidate")
        for label, name, params in cands:
            if name not in MODELS or name == "auto":
                raise InputError(f"AutoModel candidate {label!r}: unknown model {name!r}")
            if not isinstance(params, dict):
                raise InputError(f"AutoModel candidate {label!r}: params must be a dict")
        return cands

    def _build(self, name: str, params: dict) -> LabelModel:
        from . import MODELS

        cls = MODELS[name]
        p = dict(params)
        if "random_state" in cls._param_names():
            p.setdefault("random_state", self.random_state)
        return cls(**p)

    def _fit(self, data, y: np.ndarray | None) -> None:
        cands = self._candidates()
        known = np.flatnonzero(y >= 0) if y is not None else np.zeros(0, dtype=np.int64)
        scores: dict[str, list[float]] = {}
        if known.size < self.min_labels:
            chosen = cands[0]
            reason = (f"{cands[0][0]}: no gold labels to select with" if known.size == 0 else
                      f"{cands[0][0]}: only {known.size} gold labels (< {self.min_labels}) to select with")
        else:
            vm = data.vm  # cross-validation needs the rows (gold labels imply in-memory votes)
            rng = np.random.default_rng(self.random_state)
            counts = np.bincount(y[known], minlength=vm.cardinality)
            k = int(max(2, min(self.cv, counts[counts > 0].min())))
            folds = _stratified_folds(y[known], k, rng)
            for label, name, params in cands:
                accs = []
                for f in range(k):
                    y_train = y.copy()
                    held = known[folds == f]
                    y_train[held] = -1
                    model = self._build(name, params).fit(data, y_train)
                    proba = model.predict_proba(vm.take(held))
                    pred = break_ties(proba, "random", self.random_state)
                    accs.append(float((pred == y[held]).mean()))
                scores[label] = accs
            means = {label: float(np.mean(a)) for label, a in scores.items()}
            best = max(means, key=lambda lab: (means[lab], lab == cands[0][0]))
            default = cands[0][0]
            if best != default and means[best] > means[default] + self.margin:
                chosen = next(c for c in cands if c[0] == best)
                reason = (f"{best}: {k}-fold dev accuracy {means[best]:.3f} beats the default's "
                          f"{means[default]:.3f} by more than {self.margin:.3f}")
            else:
                chosen = cands[0]
                reason = (f"{default}: {k}-fold dev accuracy {means[default]:.3f}; best alternative "
                          f"{best if best != default else '-'} "
                          f"{max((v for lab, v in means.items() if lab != default), default=float('nan')):.3f} "
                          f"is not better by more than {self.margin:.3f}")
        label, name, params = chosen
        model = self._build(name, params).fit(data, y)
        self.model_ = model
        self.chosen_ = label
        self.cv_scores_ = {lab: [float(np.mean(a)), float(np.std(a))] for lab, a in scores.items()}
        self.report_ = {"chosen": label, "model": name, "params": params, "reason": reason,
                        "labelled_rows": int(known.size), "cv": self.cv_scores_}
        self.class_balance_ = np.asarray(model.class_balance_, dtype=float)
        acc = getattr(model, "accuracies_", None)
        self.accuracies_ = np.asarray(acc, dtype=float) if acc is not None else np.full(data.n_lfs, np.nan)
        self.n_iter_ = int(getattr(model, "n_iter_", 0))
        self.converged_ = bool(getattr(model, "converged_", True))

    def _predict_proba(self, vm: VoteMatrix, tie_skip: int = 0) -> np.ndarray:
        return self.model_.predict_proba(vm, tie_skip=tie_skip)

    def proba_draws(self, L) -> int:
        return self.model_.proba_draws(L)

    def _validate_learned(self) -> None:
        super()._validate_learned()
        if not isinstance(self.model_, LabelModel):
            raise ValueError("model_ must be a fitted label model")
        if int(self.model_.n_lfs_) != int(self.n_lfs_) or int(self.model_.cardinality_) != int(self.cardinality_):
            raise ValueError("the nested model has a different shape")
        self.accuracies_ = np.asarray(self.accuracies_, dtype=float)
