"""A supervised correction of a label model's posterior, learned from a few gold rows.

With ~100 gold labels, a label model's errors are often systematic in a way the labels show
directly: one LF whose votes for one class are much less reliable than the model thinks, a class
the model under-predicts. ``AutoModel`` (``--dev``) can learn that as a *residual*: a multinomial
logistic regression whose offset is the label-free model's log posterior and whose features are
the one-hot votes (one feature per LF and voted class)::

    p(y | row) = softmax(log p_model(y | row) + sum over the row's votes of W[j K + v, y] + W[-1, y])

``W[-1]``, a per-class intercept, is fixed at zero when fitting (``intercept=False``, the default): the
class mix stays the label-free model's. 100 gold rows drawn at random can lean to one class by
several standard errors (SST-2: 0.68 against 0.54 in the pool), cross-validation inside the sample
cannot see that, and an intercept learned from them moved every row towards that class (four of ten
draws lost 0.7-3.4 points). Chosen on the tuning half (``benchmarks/PROTOCOL.md`` §35: 12 -> 9
tasks more than 0.5 below the no-label default, the summed shortfall 17.7 -> 3.3 points, the same
mean gain). The column stays in the features, so model files written with an intercept apply it.

The weights are L2-penalised towards zero, so with no evidence the correction *is* the label-free
model (regularising a plain classifier on the same features towards zero would pull it towards
"every class equally likely" instead). Why a residual and not a classifier: 100 rows cannot learn
a K-class classifier over m K vote features, but they can learn where the model is off. The
correction is only used when it predicts the gold rows better out of fold (``AutoModel``), since
on tasks with many classes and few labelled rows per class it overfits.

A *pooled* correction (``pooled=True``) writes each weight as a part shared by every source plus the
source's own part, ``W[j K + v, y] = S[v, y] + D[j K + v, y]``, both penalised. It is the same family
of models, with a prior that sources err alike: a crowd of a thousand workers shows each one on a
handful of gold rows, too few to learn its own residual, but together they show the crowd's shared
confusion (a class it over-answers on hard items; ``simulate_regime("hard_crowd")``). The shared
part is folded into ``W`` after the fit, so a pooled correction is stored and applied like any
other.

Everything here is plain numpy/scipy: the data is ~100 rows.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from ..votes import VoteMatrix

#: log-probabilities of the model are clipped here, so that a class the model rules out entirely
#: can still be corrected by a finite weight
LOG_FLOOR = np.log(1e-6)


def vote_features(vm: VoteMatrix) -> sparse.csr_matrix:
    """One-hot votes (column ``j K + v`` for LF ``j`` voting ``v``) plus a constant column."""
    K = vm.cardinality
    rows = np.repeat(np.arange(vm.n_rows), np.diff(vm.indptr))
    cols = vm.indices.astype(np.int64) * K + vm.votes.astype(np.int64)
    n_feat = vm.n_lfs * K + 1
    rows = np.concatenate([rows, np.arange(vm.n_rows)])
    cols = np.concatenate([cols, np.full(vm.n_rows, n_feat - 1)])
    return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(vm.n_rows, n_feat))


def log_offset(proba: np.ndarray) -> np.ndarray:
    """The model's log posterior, floored (see :data:`LOG_FLOOR`)."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(np.asarray(proba, dtype=float)), LOG_FLOOR)


def _softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    return P / P.sum(axis=1, keepdims=True)


def penalised_loss(W: np.ndarray, X, offset: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(offset + X W)`` plus ``l2 / 2 * |W|^2``, and its gradient."""
    n = y.size
    P = _softmax(offset + X @ W)
    loss = -float(np.log(np.maximum(P[np.arange(n), y], 1e-300)).mean()) + 0.5 * l2 * float((W * W).sum())
    P[np.arange(n), y] -= 1.0
    grad = np.asarray(X.T @ P) / n + l2 * W
    return loss, grad


def pooling_map(n_features: int, cardinality: int) -> sparse.csr_matrix:
    """The ``(n_features, K)`` 0/1 matrix taking one-hot column ``j K + v`` to class ``v`` (the
    constant column to none): ``X @ pooling_map`` counts each row's votes per class."""
    n_votes = n_features - 1
    cols = np.arange(n_votes)
    return sparse.csr_matrix((np.ones(n_votes), (cols, cols % cardinality)), shape=(n_features, cardinality))


def fit_correction(X, offset: np.ndarray, y: np.ndarray, l2: float, max_iter: int = 500,
                   pooled: bool = False, intercept: bool = False) -> np.ndarray:
    """The weights ``W`` (features x classes) minimising :func:`penalised_loss` (L-BFGS); with
    ``pooled``, a shared part over sources is fitted too and folded into ``W`` (module docstring).
    ``X`` is :func:`vote_features`' layout, its last column the constant one; without
    ``intercept`` that column's weights stay zero (module docstring)."""
    if not intercept:
        keep = np.ones(X.shape[1])
        keep[-1] = 0.0
        X = sparse.csr_matrix(X @ sparse.diags(keep))   # no gradient, so the L2 term keeps it at 0
    if pooled:
        M = pooling_map(X.shape[1], offset.shape[1])
        W = _fit_weights(sparse.hstack([X, X @ M]).tocsr(), offset, y, l2, max_iter)
        return W[:X.shape[1]] + M @ W[X.shape[1]:]
    return _fit_weights(X, offset, y, l2, max_iter)


def _fit_weights(X, offset: np.ndarray, y: np.ndarray, l2: float, max_iter: int) -> np.ndarray:
    """:func:`penalised_loss`'s minimiser over every column of ``X`` (L-BFGS from zero)."""
    d, K = X.shape[1], offset.shape[1]

    def f(w):
        loss, grad = penalised_loss(w.reshape(d, K), X, offset, y, l2)
        return loss, grad.ravel()

    res = minimize(f, np.zeros(d * K), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return res.x.reshape(d, K)


def corrected_proba(X, offset: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``softmax(offset + X W)``."""
    return _softmax(offset + X @ W)


def apply_correction(vm: VoteMatrix, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    """The corrected posterior of the rows of ``vm`` given the model's posterior ``proba``."""
    return corrected_proba(vote_features(vm), log_offset(proba), W)
