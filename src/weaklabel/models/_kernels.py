"""The kernels the label models call: allocate, run the Numba kernel, add the blocks up.

Every label model in weaklabel that scores rows does so with the same factorised form: the
log-score of class ``k`` for row ``i`` is

    base[k] + sum over the votes (j, v) of row i of D[j, k, v]

where ``base`` holds the log class prior plus the log-probability of abstaining for every LF
whose abstains are modelled, and ``D[j, k, v]`` is the log-probability that LF ``j`` votes ``v``
given class ``k`` minus its abstain term (so that an LF that votes replaces its abstain term).
The ``base`` term of a row with votes is scaled by the mean of ``prior_w[j]`` over the LFs that
voted on it (all ones for most models, so the scale is exactly 1; a model may let the class
prior speak only through some sources), and rows without any vote use ``base0`` instead.
Majority vote, weighted majority vote, Dawid–Skene (full or one-coin, abstains ignored or
modelled), moment matching and triplet models only differ in how they fill ``D`` and ``base``.
``Dflat[j*K + v, k]`` is ``D[j, k, v]`` laid out so that the K scores of one vote are contiguous.

The Numba kernels are pure functions in three modules, by job:

* :mod:`~weaklabel.models._kernels_rows`: THE row pass (score, posterior, sums), with one thin
  loop per vote layout (CSR, dense blocks, code CSR); also the vote-share statistics and the
  posteriors of prediction;
* :mod:`~weaklabel.models._kernels_pairs`: co-occurrence counts and leave-pair-out errors;
* :mod:`~weaklabel.models._kernels_layout`: counts and conversions between layouts.

They run over a fixed number of row blocks (a function of the data size, not of the thread
count) with one accumulator per block, allocated here and added up here in block order, so
results do not depend on threads. Compiling is what a first ``weaklabel fit`` waits for, so
the kernels avoid numpy calls that Numba would compile too (allocations, reductions, folds)
and a default fit compiles two of them (the CSR row pass and the leave-pair-out errors).
:mod:`weaklabel.models._reference` holds plain-numpy versions that the tests compare against.
"""

from __future__ import annotations

import numpy as np

from ._kernels_layout import (class_counts as _class_counts_kernel, dense_to_codes_fill, dense_to_csr_fill,
                              lf_class_counts, scan_dense)
from ._kernels_pairs import MIN_PAIRS, error_pairs, pairs_codes, pairs_csr, pairs_dense
from ._kernels_rows import EM, MIN_CELLS, MIN_VOTES, PREDICT, SHARES, rows_codes, rows_csr, rows_dense

__all__ = ["MIN_CELLS", "MIN_PAIRS", "MIN_VOTES", "class_counts", "dense_to_codes_fill", "dense_to_csr_fill",
           "em_pass", "em_pass_codes", "em_pass_dense", "error_pair_stats", "error_pairs", "lf_class_counts",
           "pair_counts", "pair_counts_codes", "pair_counts_dense", "pairs_codes", "pairs_csr", "pairs_dense",
           "posterior", "rows_codes", "rows_csr", "rows_dense", "scan_dense", "share_stats"]

_NO_OUT = np.empty((0, 0))            # rows_csr's posterior output, when it only sums
_NO_LABELS = np.empty(0, dtype=np.int64)

#: below this many votes, class_counts is numpy (no kernel to compile on a small first fit)
SMALL_NNZ = 4_000_000


def _scratch(n_blocks: int, K: int, m: int):
    """Per-block scratch of the kernels: ``F (n_blocks, 3, K)`` float64, ``I (n_blocks, 2, m + 1)``
    int64 (a row's votes) and ``ERR (n_blocks,)``, where a block notes its first row with more
    votes than that (-1: none)."""
    return np.empty((n_blocks, 3, K)), np.empty((n_blocks, 2, m + 1), dtype=np.int64), np.full(n_blocks, -1, np.int64)


def _check_rows(ERR: np.ndarray) -> None:
    """Raise for a row the kernels skipped because it holds more votes than there are LFs (a
    hand-built matrix in which an LF votes twice on a row)."""
    bad = _first_bad(ERR)
    if bad >= 0:
        raise ValueError(f"vote matrix row {bad} holds more votes than there are LFs (an LF votes twice on it)")


def _fold(A: np.ndarray) -> np.ndarray:
    """``A[0] + A[1] + ...``: per-block accumulators added in block order (deterministic)."""
    out = np.zeros(A.shape[1:], dtype=np.int64 if A.dtype.kind in "iu" else A.dtype)
    for b in range(A.shape[0]):
        out += A[b]
    return out


def _fold_ll(LL: np.ndarray) -> float:
    ll = 0.0
    for x in LL.tolist():
        ll += x
    return ll


def _first_bad(BAD: np.ndarray) -> int:
    hit = BAD[BAD >= 0]
    return int(hit[0]) if hit.size else -1


def _fold_pairs(O: np.ndarray, mk: int) -> np.ndarray:
    """The symmetric ``(mk, mk)`` int64 table from per-block flat upper-triangular counts."""
    up = _fold(O).reshape(mk, mk)
    return up + np.triu(up, 1).T


def em_pass(indptr, indices, votes, Dflat, prior_w, base, base0, y, n_blocks):
    """One E-step plus the sufficient statistics of the M-step, in a single pass over CSR votes.

    Returns ``S`` (m*K, K): posterior mass of class ``k`` on the rows where LF ``j`` voted ``v``
    (``Dflat``'s layout); ``T`` (K,): total posterior mass of each class; ``ll``: the
    log-likelihood of the votes (rows with a gold label ``y[i] >= 0`` count with that label:
    their posterior is one-hot and their log-likelihood is the joint ``log P(votes, y)``).
    """
    mk, K = Dflat.shape
    S, T, LL = np.zeros((n_blocks, mk, K)), np.zeros((n_blocks, K)), np.zeros(n_blocks)
    F, I, ERR = _scratch(n_blocks, K, len(prior_w))
    rows_csr(indptr, indices, votes, Dflat, prior_w, base, base0, y, EM, S, T, LL, _NO_OUT, F, I, ERR, n_blocks)
    _check_rows(ERR)
    return _fold(S), _fold(T), _fold_ll(LL)


def share_stats(indptr, indices, votes, K, m, y):
    """:func:`em_pass`'s ``(S, T)`` with each row's *vote shares* as its posterior (the fraction of
    its votes for each class; rows without votes: uniform; rows with a gold label: one-hot)."""
    S, T, LL = np.zeros((1, m * K, K)), np.zeros((1, K)), np.zeros(1)
    z = np.zeros(K)
    F, I, ERR = _scratch(1, K, m)
    rows_csr(indptr, indices, votes, np.zeros((0, K)), np.ones(m), z, z, y, SHARES, S, T, LL, _NO_OUT, F, I, ERR, 1)
    _check_rows(ERR)
    return S[0], T[0]


def posterior(indptr, indices, votes, Dflat, prior_w, base, base0, n_blocks):
    """``(n, K)`` class posteriors ``softmax(w_i base + sum_j D[j, :, v_j])`` for every row
    (``base0`` for rows without votes)."""
    n, K = indptr.shape[0] - 1, Dflat.shape[1]
    out = np.empty((n, K))
    F, I, ERR = _scratch(n_blocks, K, len(prior_w))
    rows_csr(indptr, indices, votes, Dflat, prior_w, base, base0, _NO_LABELS, PREDICT, np.zeros((n_blocks, 0, K)),
             np.zeros((n_blocks, K)), np.zeros(n_blocks), out, F, I, ERR, n_blocks)
    _check_rows(ERR)
    return out


def em_pass_dense(L, Dflat, prior_w, base, base0, n_blocks):
    """:func:`em_pass` (without gold labels) on a dense ``(m, n)`` block: ``(S, T, ll, bad)``
    (``bad``: the first row holding a vote outside -1..K-1, not used; -1 if none)."""
    mk, K = Dflat.shape
    S, T, LL = np.zeros((n_blocks, mk, K)), np.zeros((n_blocks, K)), np.zeros(n_blocks)
    BAD = np.full(n_blocks, -1, dtype=np.int64)
    F, I, _ = _scratch(n_blocks, K, L.shape[0])
    rows_dense(L, Dflat, prior_w, base, base0, S, T, LL, BAD, F, I, n_blocks)
    return _fold(S), _fold(T), _fold_ll(LL), _first_bad(BAD)


def em_pass_codes(indptr, codes, lf_of, Dflat, prior_w, base, base0, n_blocks):
    """:func:`em_pass` (without gold labels) on code CSR; ``lf_of[code]`` is the code's LF."""
    mk, K = Dflat.shape
    S, T, LL = np.zeros((n_blocks, mk, K)), np.zeros((n_blocks, K)), np.zeros(n_blocks)
    F, I, ERR = _scratch(n_blocks, K, len(prior_w))
    rows_codes(indptr, codes, lf_of, Dflat, prior_w, base, base0, S, T, LL, F, I, ERR, n_blocks)
    _check_rows(ERR)
    return _fold(S), _fold(T), _fold_ll(LL)


def pair_counts(indptr, indices, votes, m, K, n_blocks):
    """Co-occurrence counts of one-hot votes and, in the same pass, the majority-vote statistics.

    ``O[j*K + v, l*K + w]`` (int64) = rows where LF ``j`` voted ``v`` and LF ``l`` voted ``w``
    (the diagonal holds each (LF, class) count). ``S[j*K + v, k]`` sums the majority-vote soft
    label of class ``k`` (an even split of the most voted classes; uniform on rows without votes)
    over the rows where LF ``j`` voted ``v``, and ``T`` sums the soft labels: what
    :func:`em_pass` gives with a large identity table, the usual initialisation of moment
    matching, for a few per-row additions instead of a second pass over the votes.

    Costs ``sum_i (nnz_i + 1)^2 / 2`` updates; memory ``n_blocks * (m K + K)^2`` int32 counters.
    """
    mk = m * K
    mk2 = mk + K
    O = np.zeros((n_blocks, mk2 * mk2), dtype=np.int32)
    S, T = np.zeros((n_blocks, mk, K)), np.zeros((n_blocks, K))
    F, I, ERR = _scratch(n_blocks, K, m)
    pairs_csr(indptr, indices, votes, m, K, O, S, T, F, I, ERR, n_blocks)
    _check_rows(ERR)
    full = _fold_pairs(O, mk2)
    S_out = _fold(S)
    S_out += full[:mk, mk:]      # (vote, winner) counts of the rows with one most-voted class
    return full[:mk, :mk].copy(), S_out, _fold(T)


def pair_counts_dense(L, K, n_blocks):
    """:func:`pair_counts`' ``O`` of a dense ``(m, n)`` block: ``(O (m K, m K) int64, bad)``."""
    mk = L.shape[0] * K
    O = np.zeros((n_blocks, mk * mk), dtype=np.int32)
    BAD = np.full(n_blocks, -1, dtype=np.int64)
    pairs_dense(L, K, O, BAD, _scratch(n_blocks, K, L.shape[0])[1], n_blocks)   # (no row overruns: m codes)
    return _fold_pairs(O, mk), _first_bad(BAD)


def pair_counts_codes(indptr, codes, mk, n_blocks):
    """:func:`pair_counts`' ``O`` of code CSR (``mk`` = m K codes)."""
    O = np.zeros((n_blocks, mk * mk), dtype=np.int32)
    pairs_codes(indptr, codes, mk, O, n_blocks)
    return _fold_pairs(O, mk)


def error_pair_stats(indptr, indices, votes, Dflat, prior_w, base, base0, compact, n_compact, n_blocks):
    """Leave-pair-out error statistics (:func:`~weaklabel.models._kernels_pairs.error_pairs`):
    ``(stats (n_compact, n_compact, K, 4) [n_y, E_a, E_b, JE], counts)`` for ``a < b`` in compact
    numbering; cost ``sum_i nnz_i^2 K``, parallel over row blocks."""
    mk, K = Dflat.shape
    stats = np.zeros((n_blocks, n_compact, n_compact, K, 4))
    counts = np.zeros((n_blocks, n_compact, n_compact), dtype=np.int64)
    F, I, ERR = _scratch(n_blocks, K, len(prior_w))
    error_pairs(indptr, indices, votes, Dflat, prior_w, base, base0, compact, np.empty((mk, K)), stats, counts,
                F, I, ERR, n_blocks)
    _check_rows(ERR)
    return _fold(stats), _fold(counts)


def class_counts(indptr, indices, votes, K):
    """``(n, K)`` number of votes for each class on each row (float64)."""
    n = indptr.shape[0] - 1
    if indices.shape[0] > SMALL_NNZ:
        return _class_counts_kernel(indptr, indices, votes, K)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    return np.bincount(rows * K + votes, minlength=n * K).reshape(n, K).astype(np.float64)
