"""Layout kernels: counts and conversions of votes, no model in them.

* :func:`scan_dense` and the ``*_fill`` kernels turn a dense ``(m, n)`` block of a streamed
  votes.parquet (``L[j, i]`` = LF j's vote on row i, -1 = abstain; one int8/int16 array per LF
  column) into CSR (:class:`~weaklabel.votes.VoteMatrix`) or code CSR (Dask partitions: one code
  ``j*K + v`` per vote, uint8 when m K <= 256); a vote outside -1..K-1 is reported as the first
  row holding one (``bad``, -1 if none) so that the caller can raise a proper error;
* :func:`class_counts`, :func:`lf_class_counts`: votes per row and class, per LF and class.

Serial, ``@njit(cache=True)``; plain-numpy references in :mod:`weaklabel.models._reference`.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit_announced


@njit_announced()
def class_counts(indptr, indices, votes, K):
    """``(n, K)`` number of votes for each class on each row (float64)."""
    n = indptr.shape[0] - 1
    out = np.zeros((n, K))
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            out[i, votes[p]] += 1.0
    return out


@njit_announced()
def lf_class_counts(indices, votes, m, K):
    """``(m, K)`` int64: how many times each LF voted each class."""
    out = np.zeros((m, K), dtype=np.int64)
    for p in range(indices.shape[0]):
        out[indices[p], votes[p]] += 1
    return out


@njit_announced(nogil=True)
def scan_dense(L, K):
    """Counts of a dense ``(m, n)`` block: ``(lf_counts (m, K) int64, votes per row (n,) int32, bad)``."""
    m, n = L.shape
    # per LF a histogram of v + 2 clipped to 0..K+2: 0 and K+2 hold invalid votes, 1 abstains
    hist = np.zeros((m, K + 3), dtype=np.int64)
    per_row = np.zeros(n, dtype=np.int32)
    for j in range(m):  # column by column: sequential memory, no branches
        hj = hist[j]
        for i in range(n):
            v = np.int64(L[j, i])
            hj[min(max(v + 2, 0), K + 2)] += 1
            per_row[i] += (v >= 0) & (v < K)
    counts = np.ascontiguousarray(hist[:, 2:K + 2])
    n_bad = 0
    for j in range(m):
        n_bad += hist[j, 0] + hist[j, K + 2]
    if n_bad > 0:  # rare: find the first row holding an invalid vote
        for i in range(n):
            for j in range(m):
                v = L[j, i]
                if v < -1 or v >= K:
                    return counts, per_row, i
    return counts, per_row, -1


@njit_announced(nogil=True)
def dense_to_csr_fill(L, indptr, indices, votes):
    """Fill preallocated CSR arrays (any integer dtypes) from a dense ``(m, n)`` block of valid
    votes; ``indptr`` (n + 1) holds the cumulative votes per row (see :func:`scan_dense`) and
    ``indices``/``votes`` have one spare slot at the end, where abstains are written (no branch).
    Tiles of rows are filled LF by LF, reading ``L`` sequentially."""
    m, n = L.shape
    tile = 512
    pos = np.empty(tile, dtype=np.int64)
    spare = indptr[n]
    for t0 in range(0, n, tile):
        nt = min(tile, n - t0)
        for t in range(nt):
            pos[t] = indptr[t0 + t]
        for j in range(m):
            for t in range(nt):
                v = L[j, t0 + t]
                ok = v >= 0
                p = pos[t]
                q = p if ok else spare
                indices[q] = j
                votes[q] = v
                pos[t] = p + ok


@njit_announced(nogil=True)
def dense_to_codes_fill(L, K, indptr, codes):
    """:func:`dense_to_csr_fill` writing one code ``j*K + v`` per vote (``codes`` has a spare slot)."""
    m, n = L.shape
    tile = 512
    pos = np.empty(tile, dtype=np.int64)
    spare = indptr[n]
    for t0 in range(0, n, tile):
        nt = min(tile, n - t0)
        for t in range(nt):
            pos[t] = indptr[t0 + t]
        for j in range(m):
            for t in range(nt):
                v = np.int64(L[j, t0 + t])
                ok = v >= 0
                p = pos[t]
                q = p if ok else spare
                codes[q] = j * K + v
                pos[t] = p + ok
