"""Array operations of the label-free criticism (:mod:`weaklabel.models.criticism`), faster than
numpy's own on its shapes and exactly as rounded: row maxima and sums of ``(n, K)`` arrays, their
softmax, a 0/1 sparse matrix that sums vote rows per target, and the cells of the outcome matrices
a fold reads.

Why a module of its own: the statistic's speed on 10^5 rows rests on these, and each is pinned to
the bits of the numpy call it replaces (``tests/models/test_criticism_sums.py``); the tie hedge
(:mod:`weaklabel.models.tie_hedge`) uses the row reductions too. Re-exported by
:mod:`weaklabel.models.criticism`.
"""

from __future__ import annotations

import numpy as np


def _row_max(s: np.ndarray) -> np.ndarray:
    """``s.max(axis=1)`` of an ``(n, K)`` array, column by column: numpy reduces a short last axis
    several times slower than it takes K element-wise maxima (same numbers)."""
    if s.shape[1] > 16:     # from here numpy's own reduction is the faster (a maximum is exact)
        return s.max(axis=1)
    out = s[:, 0].copy()
    for k in range(1, s.shape[1]):
        np.maximum(out, s[:, k], out=out)
    return out


def _summing(targets: np.ndarray, sources: np.ndarray, n_targets: int, n_sources: int):
    """A 0/1 sparse matrix whose product with an ``(n_sources, K)`` array ``w`` sums, for each
    target ``t``, the rows ``w[sources[e]]`` of every ``e`` with ``targets[e] == t``: K
    ``np.bincount(targets, weights=w[sources, k])`` in one pass. Entries keep the order of ``e``
    within each target, and scipy adds them in stored order from 0, as ``bincount`` does, so the
    sums are the same to the last bit (``tests/models/test_criticism_sums.py``)."""
    from scipy import sparse

    order = np.argsort(targets, kind="stable")
    indptr = np.zeros(n_targets + 1, dtype=np.int64)
    np.cumsum(np.bincount(targets, minlength=n_targets), out=indptr[1:])
    return sparse.csr_matrix((np.ones(order.size), np.asarray(sources, dtype=np.int64)[order], indptr),
                             shape=(n_targets, n_sources))


def _outcome_probs(A: np.ndarray, a_pool: np.ndarray, denom: np.ndarray, src: np.ndarray, val: np.ndarray):
    """``C[src, :, val]`` of the outcome matrices ``C = (A + a_pool) / denom[..., None]`` (``A``:
    ``(m, K, K + 1)``; ``a_pool``: ``(K, K + 1)``; ``denom``: ``(m, K)``), one ``(K,)`` row per scored
    outcome. Where the votes scored outnumber the ``m (K + 1)`` outcomes, all of ``C`` is computed and
    read (K = 2: one gather of the votes, where three gathers and two operations on them per vote
    were 4-5 times slower); else only the cells read (K = 250: ``C`` is ``m K (K + 1)`` numbers). The
    same operations on the same numbers either way: the same bits."""
    m, K = denom.shape
    if m * (K + 1) <= src.size:
        C = (A + a_pool[None]) / denom[:, :, None]
        return C[src, :, val]
    return (A[src, :, val] + np.ascontiguousarray(a_pool.T)[val]) / denom[src]


def _row_sum(s: np.ndarray) -> np.ndarray:
    """``s.sum(axis=1)`` of an ``(n, K)`` array, column by column below 8 classes: numpy adds fewer
    than 8 terms left to right, as this loop does (same numbers); from 8 on it adds in an unrolled,
    pairwise order, so its own reduction is kept there."""
    if s.shape[1] >= 8:
        return s.sum(axis=1)
    out = s[:, 0].copy()
    for k in range(1, s.shape[1]):
        out += s[:, k]
    return out


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - _row_max(s)[:, None])
    e /= _row_sum(e)[:, None]
    return e
