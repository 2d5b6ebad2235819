"""The label-model step of :class:`~weaklabel.verifiers.selector.VerifierSelector`: build the
model (``mixture`` on the continuous scores with the family weights, or a vote model on family
columns, :mod:`~weaklabel.verifiers.votepath`), fit it on the kept verifiers, refit after
flipping or dropping the verifiers it puts below chance (``inverted``), read each verifier's
estimated quality, and give each candidate's P(correct) with its question's prior.

Apart from the selector so that ``selector.py`` holds the estimator and the order of its steps
only; these are functions of the selector ``sel``: they read its hyper-parameters and write the
step's fitted state (``kept_``, ``families_``, ``family_weights_``, ``vote_columns_``) into it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit

from ..errors import InputError
from . import votepath
from .data import ScoreData
from .mixture import ScoreMixture
from .params import check_model_params
from .votepath import question_recalibrate


def make_mixture(sel, cb: float | None) -> ScoreMixture:
    """An unfitted mixture with ``model_params`` (and a given ``class_balance``)."""
    params = dict(sel.model_params or {})
    if sel.class_balance is not None:
        params.setdefault("class_balance", float(sel.class_balance))
    check_model_params("mixture", params)
    return ScoreMixture(**params)


def detect_families(sel, U, groups, keep) -> None:
    """Families among the kept verifiers (``families="detect"``) and their weights."""
    from .families import FamilyDetector

    m = U.shape[1]
    if sel.families == "none":
        sel.families_ = None
        sel.family_weights_ = np.ones(m)
        return
    sel.families_ = FamilyDetector(threshold=sel.family_threshold).fit(U, groups, active=keep)
    sel.family_weights_ = sel.families_.weights_.copy()


def fit_model(sel, V, groups, y, cb, keep):
    """Fit the label model on the kept columns ``V``: the mixture with the family weights, a
    vote model on ``round(n_eff)`` majority-vote columns per family
    (:mod:`~weaklabel.verifiers.votepath`)."""
    if sel.label_model == "mixture":
        sel.vote_columns_ = None
        Xm = V if V.dtype.kind == "f" else np.where(V < 0, np.nan, V).astype(float)
        return make_mixture(sel, cb).fit(Xm, groups, y, feature_weights=sel.family_weights_[keep])
    labels = np.full(int(keep.sum()), -1) if sel.families_ is None else sel.families_.labels_[keep]
    fw = None if sel.families_ is None else sel.family_weights_[keep]
    sel.vote_columns_ = votepath.family_columns(labels, fw)
    if sel.families_ is not None:
        sel.family_weights_ = np.ones(keep.size)
        sel.family_weights_[keep] = votepath.member_weights(sel.vote_columns_, int(keep.sum()))
    vm = votepath.vote_matrix(votepath.collapse_votes(V, sel.vote_columns_))
    yy = None if y is None else np.asarray(y, dtype=np.int64)
    model = votepath.make_vote_model(sel.label_model, sel.model_params, sel.class_balance, sel.random_state)
    return model.fit(vm, yy)


def model_quality(sel, model) -> tuple[np.ndarray, np.ndarray]:
    """Estimated (AUC, accuracy) per kept verifier under the fitted label model."""
    if isinstance(model, ScoreMixture):
        return np.asarray(model.auc_), np.asarray(model.accuracies_)
    return votepath.vote_quality(model, sel.label_model, sel.vote_columns_, len(sel.kept_))


def fit_label_model(sel, U, V, groups, y, cb, keep, status):
    """First fit; verifiers estimated below chance are then flipped, dropped or kept
    (``inverted``) and the model refitted. Updates ``keep`` and ``status`` in place; returns
    ``(model, auc, acc, flipped)``."""
    m = U.shape[1]
    flipped = np.zeros(m, dtype=bool)
    sel.kept_ = [sel.verifiers_[v] for v in np.flatnonzero(keep)]
    detect_families(sel, U, groups, keep)
    model = fit_model(sel, V[:, keep], groups, y, cb, keep)
    auc, acc = model_quality(sel, model)
    below = np.zeros(m, dtype=bool)
    below[np.flatnonzero(keep)] = np.nan_to_num(auc, nan=0.5) < 0.5
    if below.any() and sel.inverted != "keep":
        if sel.inverted == "flip":
            flipped = below
            status[below] = "flipped: below chance"
            U = sel._flip(U, flipped)
            V = sel._votes(U, groups, fit=True)
        else:
            status[below] = "dropped: below chance"
            keep &= ~below
        if not keep.any():
            raise InputError("every verifier was dropped (the label model puts all of them below chance); "
                             "try --inverted flip or keep")
        sel.kept_ = [sel.verifiers_[v] for v in np.flatnonzero(keep)]
        detect_families(sel, U, groups, keep)
        model = fit_model(sel, V[:, keep], groups, y, cb, keep)
        auc, acc = model_quality(sel, model)
    elif below.any():
        status[below] = "kept: below chance"
    return model, auc, acc, flipped


def candidate_proba(sel, data: ScoreData) -> tuple[np.ndarray, np.ndarray]:
    """P(correct) of each candidate on its own, and the prior log-odds of its question."""
    V = sel.transform(data)
    groups = data.groups
    if isinstance(sel.model_, ScoreMixture):
        Xm = V if V.dtype.kind == "f" else np.where(V < 0, np.nan, V).astype(float)
        p, qprior = sel.model_.predict_proba(Xm, groups, return_prior=True)
    else:
        vm = votepath.vote_matrix(votepath.collapse_votes(V, sel.vote_columns_))
        p = np.clip(np.asarray(sel.model_.predict_proba(vm), dtype=float)[:, 1], 1e-9, 1 - 1e-9)
        cb = float(sel.model_.class_balance_[1])
        if sel.question_prior:
            p, qprior = question_recalibrate(p, groups, cb, return_prior=True)
        else:
            qprior = np.full(groups.n_groups, cb)
    return p, groups.broadcast(logit(np.clip(qprior, 1e-6, 1 - 1e-6)))
