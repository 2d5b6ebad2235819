"""Kernels over pairs of votes on the same row: co-occurrence counts and leave-pair-out errors.

* :func:`pairs_csr`, :func:`pairs_dense`, :func:`pairs_codes` count, per row block, how often
  (LF j voted v) and (LF l voted w) on the same row, in the three vote layouts (see
  :mod:`weaklabel.models._kernels_rows`): moment matching and triplets start from these counts.
* :func:`error_pairs` weighs each pair's errors by the row's posterior without the pair (the
  dependency check of the hybrid model).

Like the row pass, they fill per-block accumulators (and use scratch) the caller allocates and
adds up in block order (:mod:`weaklabel.models._kernels`). Cost: ``sum_i nnz_i^2``, so their thread threshold
counts vote pairs.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._jit import parallel_kernel
from ._kernels_rows import _compact_row, _scores, _softmax

# pair_counts: 23 -> 20 ms idle, 45 -> 28 ms busy with two threads at 674,000 pairs;
# error_pair_stats 61 -> 30 / 118 -> 54 ms (benchmarks/bench_threads.py --kernels)
MIN_PAIRS = 500_000


def csr_pairs(indptr, indices, *args):
    n = max(1, indptr.shape[0] - 1)
    nnz = indices.shape[0]
    return nnz * (nnz / n + 1.0) / 2.0


def dense_pairs(L, *args):
    m, n = L.shape
    return L.size * (m + 1.0) / 2.0


@njit(cache=True, inline="always", error_model="numpy", _nrt=False)
def _add_pairs(Ob, codes, start, c, mk):
    """Count one row's co-occurrences: ``Ob[a * mk + b] += 1`` for every pair of its codes
    ``a = codes[start + t]``, ``b = codes[start + u]`` with ``t <= u < c`` (codes ascending, so
    the counts land on and above the diagonal of the flat ``(mk, mk)`` table).

    The row's codes are visited two at a time, each code loaded once for both, with an inner
    loop unrolled by four: the scatter-adds are independent, so the CPU overlaps them. This is
    2x faster than the plain double loop on rows of ~30 votes (the pass that dominates moment
    matching, triplets and the dependency check)."""
    t = 0
    while t + 2 <= c:
        b0 = np.int64(codes[start + t]) * mk
        b1 = np.int64(codes[start + t + 1]) * mk
        Ob[b0 + codes[start + t]] += 1
        u = start + t + 1
        stop = start + c
        while u + 4 <= stop:
            x0 = codes[u]
            x1 = codes[u + 1]
            x2 = codes[u + 2]
            x3 = codes[u + 3]
            Ob[b0 + x0] += 1
            Ob[b1 + x0] += 1
            Ob[b0 + x1] += 1
            Ob[b1 + x1] += 1
            Ob[b0 + x2] += 1
            Ob[b1 + x2] += 1
            Ob[b0 + x3] += 1
            Ob[b1 + x3] += 1
            u += 4
        while u < stop:
            x0 = codes[u]
            Ob[b0 + x0] += 1
            Ob[b1 + x0] += 1
            u += 1
        t += 2
    if t < c:
        x0 = np.int64(codes[start + t])
        Ob[x0 * mk + x0] += 1


@parallel_kernel(MIN_PAIRS, csr_pairs, error_model="numpy", _nrt=False)
def pairs_csr(indptr, indices, votes, m, K, O, S, T, F, I, ERR, n_blocks):
    """Co-occurrence counts of one-hot votes and, in the same pass, the majority-vote statistics,
    per block: ``O[b]`` flat upper-triangular ``(m K + K)^2`` int32 counts, ``S[b]`` and ``T[b]``.

    A row with a single most-voted class ``k`` (the usual case) gets an extra code ``m K + k``
    after its votes, so that the same pair count also counts (vote, winner): ``S`` for such rows
    is the table's off-diagonal block (the caller adds it), integer counts instead of ``K`` float
    additions per vote. Tied rows add their soft label (an even split of the top classes) to
    ``S``; rows without votes add a uniform one to ``T``.
    """
    n = indptr.shape[0] - 1
    mk = m * K
    mk2 = mk + K   # the LF codes, then one code per class for the row's majority-vote winner
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        Ob = O[b]
        Sb = S[b]
        Tb = T[b]
        codes = I[b, 0]   # the row's one-hot columns (+ its winner)
        cnt = F[b, 0]
        for i in range(lo, hi):
            start = indptr[i]
            c = indptr[i + 1] - start
            if c >= codes.shape[0]:   # no room for the votes and the winner's code: reported, not overrun
                if ERR[b] < 0:
                    ERR[b] = i
                continue
            if c == 0:
                for k in range(K):
                    Tb[k] += 1.0 / K
                continue
            for k in range(K):
                cnt[k] = 0.0
            top = 0.0
            for t in range(c):
                v = votes[start + t]
                codes[t] = np.int64(indices[start + t]) * K + v
                cnt[v] += 1.0
                if cnt[v] > top:
                    top = cnt[v]
            ties = 0
            winner = 0
            for k in range(K):
                if cnt[k] == top:
                    ties += 1
                    winner = k
            if ties == 1:
                Tb[winner] += 1.0
                codes[c] = mk + winner
                c += 1
            else:
                share = 1.0 / ties
                for k in range(K):
                    cnt[k] = share if cnt[k] == top else 0.0   # now the soft label
                    Tb[k] += cnt[k]
                for t in range(c):
                    srow = Sb[codes[t]]
                    for k in range(K):
                        srow[k] += cnt[k]
            _add_pairs(Ob, codes, 0, c, mk2)


@parallel_kernel(MIN_PAIRS, dense_pairs, nogil=True, error_model="numpy", _nrt=False)
def pairs_dense(L, K, O, BAD, I, n_blocks):
    """:func:`pairs_csr`'s counts (without the winner codes) of a dense ``(m, n)`` block;
    ``BAD[b]`` as in :func:`~weaklabel.models._kernels_rows.rows_dense`."""
    m, n = L.shape
    mk = m * K
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        codes = I[b, 0]
        lfs = I[b, 1]
        Ob = O[b]
        bad = -1
        for i in range(lo, hi):
            cnt, invalid = _compact_row(L, i, K, codes, lfs)
            if invalid and bad < 0:
                bad = i
            _add_pairs(Ob, codes, 0, cnt, mk)
        BAD[b] = bad


@parallel_kernel(MIN_PAIRS, csr_pairs, nogil=True, error_model="numpy", _nrt=False)
def pairs_codes(indptr, codes, mk, O, n_blocks):
    """:func:`pairs_dense`'s counts of code CSR (``mk`` = m K codes)."""
    n = indptr.shape[0] - 1
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        Ob = O[b]
        for i in range(lo, hi):
            start = indptr[i]
            _add_pairs(Ob, codes, start, indptr[i + 1] - start, mk)


@parallel_kernel(MIN_PAIRS, csr_pairs, error_model="numpy", _nrt=False)
def error_pairs(indptr, indices, votes, Dflat, prior_w, base, base0, compact, inv_e, stats, counts, F, I, ERR,
                n_blocks):
    """Leave-pair-out error statistics of every pair of sources that vote on the same row.

    For each row and each pair of its votes (a, b) from sources with ``compact[j] >= 0``, the
    cavity posterior ``q = softmax(score_i - D[a] - D[b])`` (the row's posterior without the two
    votes) weighs, per class ``y``: ``n_y``, a's errors ``[v_a != y]``, b's errors and their
    joint errors, into ``stats[b, a, b', y] = [n_y, E_a, E_b, JE]`` and ``counts[b, a, b']``
    for ``a < b'`` in compact numbering. ``inv_e`` (m K, K), ``F``, ``I``: scratch.
    """
    K = base.shape[0]
    n = indptr.shape[0] - 1
    mk = Dflat.shape[0]
    # exp(-D) per vote, scaled to at most 1 (a per-vote factor cancels in the normalised cavity
    # posterior): the pair loop then multiplies instead of taking K exponentials per pair
    for row in range(mk):
        dmin = Dflat[row, 0]
        for k in range(1, K):
            if Dflat[row, k] < dmin:
                dmin = Dflat[row, k]
        for k in range(K):
            inv_e[row, k] = np.exp(dmin - Dflat[row, k])
    for blk in prange(n_blocks):
        lo = (blk * n) // n_blocks
        hi = ((blk + 1) * n) // n_blocks
        st = stats[blk]
        ct = counts[blk]
        s = F[blk, 0]
        es = F[blk, 1]
        q = F[blk, 2]
        codes = I[blk, 0]
        lfs = I[blk, 1]
        for i in range(lo, hi):
            start = indptr[i]
            stop = indptr[i + 1]
            if stop - start < 2:
                continue
            if stop - start > codes.shape[0]:   # an LF voting twice on the row: reported, not overrun
                if ERR[blk] < 0:
                    ERR[blk] = i
                continue
            for c in range(stop - start):
                j = np.int64(indices[start + c])
                lfs[c] = j
                codes[c] = j * K + votes[start + c]
            _scores(Dflat, prior_w, base, base0, codes, lfs, stop - start, s)
            smax = s[0]
            for k in range(1, K):
                if s[k] > smax:
                    smax = s[k]
            for k in range(K):
                es[k] = np.exp(s[k] - smax)
            for p in range(start, stop):
                a = compact[indices[p]]
                if a < 0:
                    continue
                ra = codes[p - start]
                va = votes[p]
                for r in range(p + 1, stop):
                    b = compact[indices[r]]
                    if b < 0:
                        continue
                    rb = codes[r - start]
                    vb = votes[r]
                    tot = 0.0
                    for k in range(K):
                        q[k] = es[k] * inv_e[ra, k] * inv_e[rb, k]
                        tot += q[k]
                    if not tot > 1e-250:  # the cavity's class had underflowed: the exact way
                        for k in range(K):
                            q[k] = s[k] - Dflat[ra, k] - Dflat[rb, k]
                        _softmax(q, q)
                        tot = 1.0
                    if a < b:
                        lo_, hi_, vlo, vhi = a, b, va, vb
                    else:
                        lo_, hi_, vlo, vhi = b, a, vb, va
                    ct[lo_, hi_] += 1
                    # the cell is indexed in place (a view per pair costs more than the arithmetic)
                    for k in range(K):
                        qk = q[k] / tot
                        st[lo_, hi_, k, 0] += qk
                        if vlo != k:
                            st[lo_, hi_, k, 1] += qk
                            if vhi != k:
                                st[lo_, hi_, k, 3] += qk
                        if vhi != k:
                            st[lo_, hi_, k, 2] += qk
