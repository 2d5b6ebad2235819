"""Numba kernels over CSR vote arrays, shared by the label models.

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

The kernels are pure functions over arrays, ``@njit(cache=True)`` (compiled once per machine
and cached beside this file), parallel over blocks of rows with one accumulator per block so
that results do not depend on thread scheduling. :mod:`weaklabel.models._reference` holds
plain-numpy versions that the tests compare against.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._jit import njit_announced, parallel_kernel

# ---------------------------------------------------------------------------- when to use threads
# A call runs the kernel's serial twin (see weaklabel._jit and weaklabel.threads) when it has a
# single row block (stats.n_blocks: below 200,000 votes) or less work than its threshold; else at
# most one thread per block. Work is counted in stored votes for the one-pass kernels, dense
# cells for em_pass_dense and vote pairs on a row for the pair kernels. Measured with
# `benchmarks/bench_threads.py --kernels` on 2 shared cores (10 LFs, K = 2, medians; "busy" = one
# more process spinning): at 320,000 votes two threads take em_pass from 53 to 27 ms idle and
# from 125 to 48 ms busy, posterior 52 -> 21 / 97 -> 26 ms, error_pair_stats (674,000 pairs)
# 61 -> 30 / 118 -> 54 ms, but pair_counts only 23 -> 20 / 45 -> 28 ms; at ~100,000 votes a pass
# takes a few milliseconds and threads gain little (or lose, when a woken thread waits for a core).
MIN_VOTES = 200_000            # em_pass, posterior, em_pass_codes
MIN_CELLS = 600_000            # em_pass_dense (every cell of the dense block is visited)
MIN_PAIRS = 500_000            # pair_counts, pair_counts_dense, pair_counts_codes, error_pair_stats


def _csr_votes(indptr, indices, *args):
    return indices.shape[0]


def _csr_pairs(indptr, indices, *args):
    n = max(1, indptr.shape[0] - 1)
    nnz = indices.shape[0]
    return nnz * (nnz / n + 1.0) / 2.0


def _dense_cells(L, *args):
    return L.size


def _dense_pairs(L, *args):
    m, n = L.shape
    return L.size * (m + 1.0) / 2.0


def _code_votes(indptr, codes, *args):
    return codes.shape[0]


def _code_pairs(indptr, codes, *args):
    return _csr_pairs(indptr, codes)


@njit(cache=True, inline="always")
def _row_scores(indptr, indices, votes, Dflat, prior_w, base, base0, i, s):
    """Row ``i``'s class scores into ``s``: ``w_i base + sum of Dflat[j*K + v]`` over its votes
    (``w_i`` = mean ``prior_w`` of the voting LFs), or ``base0`` if it has no vote."""
    K = s.shape[0]
    start = indptr[i]
    stop = indptr[i + 1]
    if stop == start:
        for k in range(K):
            s[k] = base0[k]
        return
    for k in range(K):
        s[k] = 0.0
    w = 0.0
    for p in range(start, stop):
        j = indices[p]
        w += prior_w[j]
        row = j * K + votes[p]
        for k in range(K):
            s[k] += Dflat[row, k]
    w /= stop - start
    for k in range(K):
        s[k] += w * base[k]


@njit(cache=True)
def _sum_rows(A):
    """``A[0] + A[1] + ...`` of a 2-d per-block accumulator, in block order. Callers pass
    ``acc.reshape(n_blocks, -1)``: one compiled version per dtype serves every kernel (a
    generic n-d fold compiled once per shape, four times in a hybrid fit, and ``out += A[b]``
    array arithmetic is slower still to compile)."""
    nb, width = A.shape
    out = np.zeros(width, dtype=A.dtype)
    for b in range(nb):
        for i in range(width):
            out[i] += A[b, i]
    return out


@njit(cache=True, inline="always")
def _softmax(x, out):
    """``out = softmax(x)`` (``out`` may be ``x``); returns ``logsumexp(x)``, the log normaliser."""
    mx = x.max()
    tot = 0.0
    for k in range(x.shape[0]):
        e = np.exp(x[k] - mx)
        out[k] = e
        tot += e
    inv = 1.0 / tot
    for k in range(x.shape[0]):
        out[k] *= inv
    return mx + np.log(tot)


@parallel_kernel(MIN_VOTES, _csr_votes)
def em_pass(indptr, indices, votes, Dflat, prior_w, base, base0, y, n_blocks):
    """One E-step plus the sufficient statistics of the M-step, in a single pass.

    ``Dflat[j*K + v, k]`` is ``D[j, k, v]`` laid out so that the K scores of one vote are
    contiguous. Returns ``S`` (m*K, K): posterior mass of class ``k`` on the rows where LF ``j``
    voted ``v`` (same layout); ``T`` (K,): total posterior mass of each class; ``ll``: the
    log-likelihood of the votes (rows with a gold label ``y[i] >= 0`` count with that label:
    their posterior is one-hot and their log-likelihood is the joint ``log P(votes, y)``).
    """
    n = indptr.shape[0] - 1
    mk, K = Dflat.shape
    S = np.zeros((n_blocks, mk, K))
    T = np.zeros((n_blocks, K))
    LL = np.zeros(n_blocks)
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        s = np.empty(K)
        post = np.empty(K)
        Sb = S[b]
        for i in range(lo, hi):
            _row_scores(indptr, indices, votes, Dflat, prior_w, base, base0, i, s)
            yi = y[i]
            if yi >= 0:
                for k in range(K):
                    post[k] = 0.0
                post[yi] = 1.0
                LL[b] += s[yi]
            else:
                LL[b] += _softmax(s, post)
            for k in range(K):
                T[b, k] += post[k]
            for p in range(indptr[i], indptr[i + 1]):
                row = indices[p] * K + votes[p]
                for k in range(K):
                    Sb[row, k] += post[k]
    ll = 0.0
    for b in range(n_blocks):  # fixed order: deterministic sums
        ll += LL[b]
    return _sum_rows(S.reshape(n_blocks, -1)).reshape(mk, K), _sum_rows(T), ll


@parallel_kernel(MIN_VOTES, _csr_votes)
def posterior(indptr, indices, votes, Dflat, prior_w, base, base0, n_blocks):
    """``(n, K)`` class posteriors ``softmax(w_i base + sum_j D[j, :, v_j])`` for every row
    (``base0`` for rows without votes); ``Dflat`` as in :func:`em_pass`."""
    n = indptr.shape[0] - 1
    K = base.shape[0]
    out = np.empty((n, K))
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        for i in range(lo, hi):
            _row_scores(indptr, indices, votes, Dflat, prior_w, base, base0, i, out[i])
            _softmax(out[i], out[i])
    return out


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _fold_pairs(O, mk):
    """Sum the per-block flat upper-triangular counts in block order and mirror them: the
    symmetric ``(mk, mk)`` int64 table."""
    out = np.zeros((mk, mk), dtype=np.int64)
    for b in range(O.shape[0]):
        Ob = O[b]
        for a in range(mk):
            for c in range(a, mk):
                out[a, c] += Ob[a * mk + c]
    for a in range(mk):
        for c in range(a + 1, mk):
            out[c, a] = out[a, c]
    return out


@parallel_kernel(MIN_PAIRS, _csr_pairs)
def pair_counts(indptr, indices, votes, m, K, n_blocks):
    """Co-occurrence counts of one-hot votes and, in the same pass, the majority-vote statistics.

    ``O[j*K + v, l*K + w]`` (int64) = rows where LF ``j`` voted ``v`` and LF ``l`` voted ``w``
    (the diagonal holds each (LF, class) count). ``S[j*K + v, k]`` sums the majority-vote soft
    label of class ``k`` (an even split of the most voted classes; uniform on rows without votes)
    over the rows where LF ``j`` voted ``v``, and ``T`` sums the soft labels: what
    ``em_pass`` gives with a large identity table, the usual initialisation of moment matching,
    for a few per-row additions instead of a second pass over the votes.

    A row with a single most-voted class ``k`` (the usual case) gets an extra code ``m K + k``
    after its votes, so that the same pair count also counts (vote, winner): ``S`` for such rows
    is the table's off-diagonal block, integer counts instead of ``K`` float additions per vote.

    Costs ``sum_i (nnz_i + 1)^2 / 2`` updates; memory ``n_blocks * (m K + K)^2`` int32 counters.
    """
    n = indptr.shape[0] - 1
    mk = m * K
    mk2 = mk + K   # the LF codes, then one code per class for the row's majority-vote winner
    O = np.zeros((n_blocks, mk2 * mk2), dtype=np.int32)
    S = np.zeros((n_blocks, mk, K))   # soft labels of tied rows
    T = np.zeros((n_blocks, K))
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        Ob = O[b]
        Sb = S[b]
        codes = np.empty(m + 1, dtype=np.int32)  # the row's one-hot columns (+ its winner)
        cnt = np.empty(K)
        for i in range(lo, hi):
            start = indptr[i]
            c = indptr[i + 1] - start
            if c == 0:
                for k in range(K):
                    T[b, k] += 1.0 / K
                continue
            for k in range(K):
                cnt[k] = 0.0
            for t in range(c):
                v = votes[start + t]
                codes[t] = np.int32(indices[start + t] * K + v)
                cnt[v] += 1.0
            top = cnt.max()
            ties = 0
            winner = 0
            for k in range(K):
                if cnt[k] == top:
                    ties += 1
                    winner = k
            if ties == 1:
                # the usual case, a one-hot soft label: the winner joins the row as an extra
                # code after every LF's, so the pair count below also counts (LF vote, winner)
                T[b, winner] += 1.0
                codes[c] = mk + winner
                c += 1
            else:
                share = 1.0 / ties
                for k in range(K):
                    cnt[k] = share if cnt[k] == top else 0.0   # now the soft label
                    T[b, k] += cnt[k]
                for t in range(c):
                    srow = Sb[codes[t]]
                    for k in range(K):
                        srow[k] += cnt[k]
            _add_pairs(Ob, codes, 0, c, mk2)
    S_out = _sum_rows(S.reshape(n_blocks, -1)).reshape(mk, K)   # fixed order: deterministic sums
    T_out = _sum_rows(T)
    full = _fold_pairs(O, mk2)
    for a in range(mk):
        for k in range(K):
            S_out[a, k] += full[a, mk + k]
    # indices are sorted within a row, so counts sit above the diagonal
    return full[:mk, :mk].copy(), S_out, T_out


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


@parallel_kernel(MIN_PAIRS, _csr_pairs)
def error_pair_stats(indptr, indices, votes, Dflat, prior_w, base, base0, compact, n_compact, n_blocks):
    """Leave-pair-out error statistics of every pair of sources that vote on the same row.

    For each row and each pair of its votes (a, b) from sources with ``compact[j] >= 0``, the
    cavity posterior ``q = softmax(score_i - D[a] - D[b])`` (the row's posterior without the two
    votes) weighs, per class ``y``: ``n_y``, a's errors ``[v_a != y]``, b's errors and their
    joint errors. Returns ``(stats (n_compact, n_compact, K, 4) [n_y, E_a, E_b, JE], counts)``
    for ``a < b`` in compact numbering; cost ``sum_i nnz_i^2 K``, parallel over row blocks.
    """
    K = base.shape[0]
    n = indptr.shape[0] - 1
    mk = Dflat.shape[0]
    # exp(-D) per vote, scaled to at most 1 (a per-vote factor cancels in the normalised cavity
    # posterior): the pair loop then multiplies instead of taking K exponentials per pair
    inv_e = np.empty((mk, K))
    for row in range(mk):
        dmin = Dflat[row, 0]
        for k in range(1, K):
            if Dflat[row, k] < dmin:
                dmin = Dflat[row, k]
        for k in range(K):
            inv_e[row, k] = np.exp(dmin - Dflat[row, k])
    stats = np.zeros((n_blocks, n_compact, n_compact, K, 4))
    counts = np.zeros((n_blocks, n_compact, n_compact), dtype=np.int64)
    for blk in prange(n_blocks):
        lo = (blk * n) // n_blocks
        hi = ((blk + 1) * n) // n_blocks
        st = stats[blk]
        ct = counts[blk]
        s = np.empty(K)
        es = np.empty(K)
        q = np.empty(K)
        for i in range(lo, hi):
            start = indptr[i]
            stop = indptr[i + 1]
            if stop - start < 2:
                continue
            _row_scores(indptr, indices, votes, Dflat, prior_w, base, base0, i, s)
            smax = s.max()
            for k in range(K):
                es[k] = np.exp(s[k] - smax)
            for p in range(start, stop):
                a = compact[indices[p]]
                if a < 0:
                    continue
                ra = indices[p] * K + votes[p]
                va = votes[p]
                for r in range(p + 1, stop):
                    b = compact[indices[r]]
                    if b < 0:
                        continue
                    rb = indices[r] * K + votes[r]
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
                    lo_, hi_, vlo, vhi = (a, b, va, vb) if a < b else (b, a, vb, va)
                    ct[lo_, hi_] += 1
                    cell = st[lo_, hi_]
                    for k in range(K):
                        qk = q[k] / tot
                        ea = 1.0 if vlo != k else 0.0
                        eb = 1.0 if vhi != k else 0.0
                        cell[k, 0] += qk
                        cell[k, 1] += qk * ea
                        cell[k, 2] += qk * eb
                        cell[k, 3] += qk * ea * eb
    # fixed order: deterministic sums
    return (_sum_rows(stats.reshape(n_blocks, -1)).reshape(n_compact, n_compact, K, 4),
            _sum_rows(counts.reshape(n_blocks, -1)).reshape(n_compact, n_compact))


@njit_announced()
def share_stats(indptr, indices, votes, K, m, y):
    """EM statistics with each row's *vote shares* as its posterior (the fraction of its votes
    for each class; rows without votes: uniform; rows with a gold label ``y[i] >= 0``: one-hot).

    Returns ``(S (m*K, K) [j*K + v, k], T (K,))`` in :func:`em_pass`'s layout.
    """
    n = indptr.shape[0] - 1
    S = np.zeros((m * K, K))
    T = np.zeros(K)
    post = np.empty(K)
    for i in range(n):
        start = indptr[i]
        stop = indptr[i + 1]
        for k in range(K):
            post[k] = 0.0
        if y[i] >= 0:
            post[y[i]] = 1.0
        elif stop > start:
            inv = 1.0 / (stop - start)
            for p in range(start, stop):
                post[votes[p]] += inv
        else:
            for k in range(K):
                post[k] = 1.0 / K
        for k in range(K):
            T[k] += post[k]
        for p in range(start, stop):
            row = indices[p] * K + votes[p]
            for k in range(K):
                S[row, k] += post[k]
    return S, T


# --------------------------------------------------------------------------- dense row blocks
# Streaming fits read votes.parquet in row blocks: one int8/int16 array per LF column, stacked as
# ``L`` of shape (m, n) (``L[j, i]`` = LF j's vote on row i, -1 = abstain). The kernels below work
# on such blocks directly (no CSR conversion: converting costs more than a pass). Per row they
# visit the LFs in column order, as the CSR kernels visit a row's votes, so a row's scores are
# bit-for-bit the CSR kernels'. Whether an LF voted is unpredictable, so a row's votes are first
# compacted without branches (write always, advance only on a vote). A vote outside -1..K-1 is
# not used; the kernels report the first row holding one (``bad``, -1 if none) so that the
# caller can raise a proper error.

@njit(cache=True, inline="always")
def _compact_row(L, i, K, codes, lfs):
    """Row ``i``'s votes as codes ``j*K + v`` and LFs ``j`` (in LF order); ``(count, invalid?)``."""
    m = L.shape[0]
    cnt = 0
    invalid = False
    for j in range(m):
        v = np.int64(L[j, i])
        codes[cnt] = j * K + v
        lfs[cnt] = j
        ok = (v >= 0) & (v < K)
        invalid |= (v != -1) & ~ok
        cnt += ok
    return cnt, invalid


@parallel_kernel(MIN_CELLS, _dense_cells, nogil=True)
def em_pass_dense(L, Dflat, prior_w, base, base0, n_blocks):
    """:func:`em_pass` on a dense ``(m, n)`` block, without gold labels: ``(S, T, ll, bad)``."""
    m, n = L.shape
    mk, K = Dflat.shape
    S = np.zeros((n_blocks, mk, K))
    T = np.zeros((n_blocks, K))
    LL = np.zeros(n_blocks)
    BAD = np.full(n_blocks, -1, dtype=np.int64)
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        s = np.empty(K)
        post = np.empty(K)
        codes = np.empty(m, dtype=np.int64)
        lfs = np.empty(m, dtype=np.int64)
        Sb = S[b]
        for i in range(lo, hi):
            cnt, invalid = _compact_row(L, i, K, codes, lfs)
            if invalid and BAD[b] < 0:
                BAD[b] = i
            if cnt > 0:
                for k in range(K):
                    s[k] = 0.0
                w = 0.0
                for c in range(cnt):
                    w += prior_w[lfs[c]]
                    r = codes[c]
                    for k in range(K):
                        s[k] += Dflat[r, k]
                w /= cnt
                for k in range(K):
                    s[k] += w * base[k]
            else:
                for k in range(K):
                    s[k] = base0[k]
            LL[b] += _softmax(s, post)
            for k in range(K):
                T[b, k] += post[k]
            for c in range(cnt):
                r = codes[c]
                for k in range(K):
                    Sb[r, k] += post[k]
    ll = 0.0
    bad = -1
    for b in range(n_blocks):  # fixed order: deterministic sums
        ll += LL[b]
        if bad < 0:
            bad = BAD[b]
    return _sum_rows(S.reshape(n_blocks, -1)).reshape(mk, K), _sum_rows(T), ll, bad


@parallel_kernel(MIN_PAIRS, _dense_pairs, nogil=True)
def pair_counts_dense(L, K, n_blocks):
    """:func:`pair_counts` on a dense ``(m, n)`` block: ``(C (m K, m K) int64, bad)``."""
    m, n = L.shape
    mk = m * K
    C = np.zeros((n_blocks, mk * mk), dtype=np.int32)
    BAD = np.full(n_blocks, -1, dtype=np.int64)
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        codes = np.empty(m, dtype=np.int64)
        lfs = np.empty(m, dtype=np.int64)
        Ob = C[b]
        for i in range(lo, hi):
            cnt, invalid = _compact_row(L, i, K, codes, lfs)
            if invalid and BAD[b] < 0:
                BAD[b] = i
            _add_pairs(Ob, codes, 0, cnt, mk)
    bad = -1
    for b in range(n_blocks):
        if bad < 0:
            bad = BAD[b]
    # codes increase with j within a row, so counts sit above the diagonal
    return _fold_pairs(C, mk), bad


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


# --------------------------------------------------------------------------- one code per vote
# Dask partitions stay in worker memory for a whole fit; they store each vote as one code
# ``j*K + v`` (uint8 when m K <= 256: one byte per vote instead of an LF id and a class) with
# int32 row pointers. Row by row these kernels add exactly what em_pass / pair_counts add.

@parallel_kernel(MIN_VOTES, _code_votes, nogil=True)
def em_pass_codes(indptr, codes, lf_of, Dflat, prior_w, base, base0, n_blocks):
    """:func:`em_pass` (without gold labels) on code CSR; ``lf_of[code]`` is the code's LF."""
    n = indptr.shape[0] - 1
    mk, K = Dflat.shape
    S = np.zeros((n_blocks, mk, K))
    T = np.zeros((n_blocks, K))
    LL = np.zeros(n_blocks)
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        s = np.empty(K)
        post = np.empty(K)
        Sb = S[b]
        for i in range(lo, hi):
            start = indptr[i]
            stop = indptr[i + 1]
            if stop > start:
                for k in range(K):
                    s[k] = 0.0
                w = 0.0
                for p in range(start, stop):
                    r = np.int64(codes[p])
                    w += prior_w[lf_of[r]]
                    for k in range(K):
                        s[k] += Dflat[r, k]
                w /= stop - start
                for k in range(K):
                    s[k] += w * base[k]
            else:
                for k in range(K):
                    s[k] = base0[k]
            LL[b] += _softmax(s, post)
            for k in range(K):
                T[b, k] += post[k]
            for p in range(start, stop):
                r = np.int64(codes[p])
                for k in range(K):
                    Sb[r, k] += post[k]
    ll = 0.0
    for b in range(n_blocks):  # fixed order: deterministic sums
        ll += LL[b]
    return _sum_rows(S.reshape(n_blocks, -1)).reshape(mk, K), _sum_rows(T), ll


@parallel_kernel(MIN_PAIRS, _code_pairs, nogil=True)
def pair_counts_codes(indptr, codes, mk, n_blocks):
    """:func:`pair_counts` on code CSR (``mk`` = m K codes)."""
    n = indptr.shape[0] - 1
    C = np.zeros((n_blocks, mk * mk), dtype=np.int32)
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        Ob = C[b]
        for i in range(lo, hi):
            start = indptr[i]
            _add_pairs(Ob, codes, start, indptr[i + 1] - start, mk)
    return _fold_pairs(C, mk)


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
