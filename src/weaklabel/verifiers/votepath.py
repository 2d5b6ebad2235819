"""The vote-model path of :class:`~weaklabel.verifiers.selector.VerifierSelector`: any label model
of :data:`weaklabel.models.MODELS` on the binary votes of the kept verifiers.

**Families vote as often as their design effect says.** A vote model treats its sources as
conditionally independent and has no per-source weight to scale, so a family of verifiers that
share their errors would be read as several independent witnesses, and their agreement as
accuracy (the failure the mixture's design-effect weights prevent). Here each detected family
is replaced, before the model is fitted, by whole voters: a family of ``s`` members with
residual correlation ``rho`` counts ``n_eff = s / (1 + (s - 1) rho)`` in the mixture (the sum
of its members' design-effect weights), and becomes ``round(n_eff)`` columns (at least one),
each the majority vote of a share of its members (abstain on a tie or when all abstain). Three
near-copies (``rho`` 0.85) vote once; a family of four sharing a quarter of its noise votes
twice. Whole voters are the weighting a vote model can honour without changing the model.

Vote models learn one global class balance; their P(correct) is recalibrated per question
(:func:`question_recalibrate`; the ranking within a question does not change).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from ..errors import InputError


def vote_model_names() -> list[str]:
    from ..models import MODELS

    return list(MODELS)


def make_vote_model(name: str, params: dict | None, class_balance: float | None, random_state: int):
    """A fresh vote model ``name`` with ``params``, the selector's seed and class balance."""
    from ..models import MODELS, make_model

    params = dict(params or {})
    names = list(MODELS[name]().get_params(deep=False))
    if "random_state" in names:
        params.setdefault("random_state", random_state)
    if class_balance is not None and "class_balance" in names:
        params.setdefault("class_balance", [1.0 - float(class_balance), float(class_balance)])
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise InputError(f"label model {name!r} has no parameter {unknown[0]!r} (parameters: {', '.join(names)})")
    return make_model(name, **params)


def family_columns(labels: np.ndarray, weights: np.ndarray | None = None) -> list[list[int]]:
    """The vote model's columns: per column, the kept verifiers (positions) it stands for.

    A family (``labels >= 0``) of ``s`` members whose design-effect weights (``weights``) sum
    to ``n_eff = s / (1 + (s - 1) rho)`` becomes ``max(1, round(n_eff))`` columns, its members
    dealt round-robin into them (three near-copies: one column; four verifiers sharing a
    quarter of their noise: two). Every other verifier is its own column. Without ``weights``
    a family is one column."""
    labels = np.asarray(labels)
    w = np.ones(labels.size) if weights is None else np.asarray(weights, dtype=float)
    cols: list[list[int]] = []
    done: set[int] = set()
    for i, f in enumerate(labels.tolist()):
        if f < 0:
            cols.append([i])
            continue
        if f in done:
            continue
        done.add(f)
        members = np.flatnonzero(labels == f).tolist()
        k = 1 if weights is None else max(1, min(len(members), int(round(float(w[members].sum())))))
        cols.extend(members[j::k] for j in range(k))
    return cols


def collapse_votes(V: np.ndarray, columns: list[list[int]]) -> np.ndarray:
    """Votes ``(n, k)`` (1 yes, 0 no, -1 abstain) -> one column per entry of ``columns``: a
    family's majority vote, abstaining on ties."""
    V = np.asarray(V)
    out = np.empty((V.shape[0], len(columns)), dtype=np.int8)
    for j, members in enumerate(columns):
        if len(members) == 1:
            out[:, j] = V[:, members[0]]
            continue
        sub = V[:, members]
        yes = (sub == 1).sum(axis=1)
        no = (sub == 0).sum(axis=1)
        out[:, j] = np.where(yes > no, 1, np.where(no > yes, 0, -1))
    return out


def member_weights(columns: list[list[int]], k: int) -> np.ndarray:
    """What each kept verifier counts in the vote path: ``1/c`` for a column of ``c`` members."""
    w = np.ones(k)
    for members in columns:
        w[members] = 1.0 / len(members)
    return w


def vote_matrix(V: np.ndarray):
    from ..votes import VoteMatrix

    return VoteMatrix.from_dense(np.asarray(V).astype(np.int8), cardinality=2)


def vote_quality(model, label_model: str, columns: list[list[int]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Estimated (AUC, accuracy) per kept verifier: its column's (a family member gets the
    family vote's)."""
    c = len(columns)
    acc = getattr(model, "accuracies_", None)
    acc = np.full(c, np.nan) if acc is None else np.asarray(acc, dtype=float)
    conf = getattr(model, "confusion_", None)
    auc = np.full(c, np.nan)
    if conf is not None:
        conf = np.asarray(conf, dtype=float)
        auc = 0.5 * (conf[:, 1, 1] + conf[:, 0, 0])
        single = getattr(model, "single_class_", None)
        if single is not None and np.any(single):   # hybrid: single-class sources have no confusion
            auc[np.asarray(single, dtype=bool)] = np.nan
    if label_model in ("triplet", "onecoin"):
        auc = acc.copy()          # one-coin: TPR = TNR = accuracy, so AUC = accuracy
    auc_k, acc_k = np.full(k, np.nan), np.full(k, np.nan)
    for j, members in enumerate(columns):
        auc_k[members], acc_k[members] = auc[j], acc[j]
    return auc_k, acc_k


def gives_likelihood_ratios(model) -> bool:
    """Whether a fitted label model's probabilities are likelihood ratios per class (the models
    whose evidence can be pooled per answer; see ``VerifierSelector.pool_answers``)."""
    from ..models import AutoModel, DawidSkene, HybridDawidSkene, MatrixCompletion, OneCoinDawidSkene
    from .mixture import ScoreMixture

    model = model.model_ if isinstance(model, AutoModel) else model
    if isinstance(model, OneCoinDawidSkene):
        return False
    return isinstance(model, (ScoreMixture, DawidSkene, HybridDawidSkene, MatrixCompletion))


def question_recalibrate(p: np.ndarray, groups, class_balance: float, strength: float = 4.0,
                         n_iter: int = 50, return_prior: bool = False):
    """Re-express probabilities computed with one global prior under per-question priors.

    ``logit p' = logit p - logit(class_balance) + logit(pi_q)`` with ``pi_q`` the question's
    share of correct candidates, estimated by EM (``pi_q`` = the mean of its ``p'``, shrunk towards
    the global balance by ``strength`` pseudo-candidates). Rankings within a question are kept.
    With ``return_prior`` also the questions' priors ``(G,)``."""
    cb = float(np.clip(class_balance, 1e-6, 1 - 1e-6))
    ev = logit(np.clip(p, 1e-12, 1 - 1e-12)) - logit(cb)
    pi_q = np.full(groups.n_groups, cb)
    for _ in range(n_iter):
        q = expit(ev + groups.broadcast(logit(np.clip(pi_q, 1e-6, 1 - 1e-6))))
        new = (groups.sum(q) + strength * cb) / (groups.sizes + strength)
        done = np.max(np.abs(new - pi_q)) < 1e-7
        pi_q = new
        if done:
            break
    out = expit(ev + groups.broadcast(logit(np.clip(pi_q, 1e-6, 1 - 1e-6))))
    return (out, pi_q) if return_prior else out
