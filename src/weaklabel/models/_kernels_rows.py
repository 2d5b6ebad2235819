"""The one row pass of the label models: score a row, take its posterior, add it to the sums.

Every model scores row ``i`` as ``w_i base + sum over its votes (j, v) of D[j, :, v]`` (``base0``
for a row without votes; ``w_i`` = mean ``prior_w`` of the LFs that voted) and learns from
``S[j*K + v, k]`` (posterior mass of class ``k`` where LF ``j`` voted ``v``), ``T`` (total mass
per class) and the log-likelihood. :func:`_row_pass` does that for one row given as a list of
codes ``j*K + v`` and LFs; the three vote layouts only differ in how they list a row's votes:

* CSR (``indptr``, ``indices``, ``votes``): the in-memory :class:`~weaklabel.votes.VoteMatrix`;
* dense ``(m, n)`` blocks (``L[j, i]``, -1 = abstain): streamed row groups of votes.parquet;
* code CSR (``indptr``, one code per vote, ``lf_of[code]``): Dask partitions.

Each layout has one thin loop over its row blocks (:func:`rows_csr`, :func:`rows_dense`,
:func:`rows_codes`) that lists the row's votes in LF order and calls :func:`_row_pass`, so a
row's sums are bit-for-bit the same in every layout. The CSR loop also serves the two other
per-row jobs (a *mode*, so that a small fit compiles one kernel for all three): vote shares as
the posterior (the soft majority-vote initialisation) and prediction (posteriors written out).

Outputs are per-block accumulators the caller allocates (``S (n_blocks, m K, K)``, ``T
(n_blocks, K)``, ``LL (n_blocks,)``; and per-block scratch ``F (n_blocks, 3, K)`` float64, ``I
(n_blocks, 2, m + 1)`` int64; ``ERR (n_blocks,)``: a block's first row with more votes than
``I`` holds, -1 if none: a kernel cannot raise inside its parallel loop) and adds up in block order
(:mod:`weaklabel.models._kernels`): allocating and folding in numpy keeps the compiled code
small (a first ``weaklabel fit`` spends most of its time compiling) and the sums deterministic.
Plain-numpy references: :mod:`weaklabel.models._reference`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._jit import parallel_kernel

# ---------------------------------------------------------------------------- when to use threads
# A call runs the kernel's serial twin (weaklabel._jit, weaklabel.threads) when it has a single row
# block (stats.n_blocks: below 200,000 votes) or less work than its threshold; else at most one
# thread per block. Work is counted in stored votes (CSR, codes) or dense cells (every cell of a
# dense block is visited). Measured with `benchmarks/bench_threads.py --kernels` on 2 shared cores
# (10 LFs, K = 2, medians; "busy" = one more process spinning): at 320,000 votes two threads take
# the EM pass from 53 to 27 ms idle and from 125 to 48 ms busy, the posterior 52 -> 21 / 97 -> 26
# ms; at ~100,000 votes a pass takes a few milliseconds and threads gain little (or lose, when a
# woken thread waits for a core). (Measured before the kernels ran without reference counting,
# which made the serial row pass ~3.5x faster; the thresholds were kept, see bench_threads.json.)
MIN_VOTES = 200_000
MIN_CELLS = 600_000

#: modes of :func:`rows_csr`
EM, SHARES, PREDICT = 0, 1, 2


def csr_votes(indptr, indices, *args):
    return indices.shape[0]


def dense_cells(L, *args):
    return L.size


@njit(cache=True, inline="always", error_model="numpy", _nrt=False)
def _softmax(x, out):
    """``out = softmax(x)`` (``out`` may be ``x``); returns ``logsumexp(x)``, the log normaliser."""
    K = x.shape[0]
    mx = x[0]
    for k in range(1, K):   # a loop, not x.max(): the same value, half a second less to compile
        if x[k] > mx:
            mx = x[k]
    tot = 0.0
    for k in range(K):
        e = np.exp(x[k] - mx)
        out[k] = e
        tot += e
    inv = 1.0 / tot
    for k in range(K):
        out[k] *= inv
    return mx + np.log(tot)


@njit(cache=True, inline="always", error_model="numpy", _nrt=False)
def _scores(Dflat, prior_w, base, base0, codes, lfs, cnt, s):
    """A row's class scores into ``s`` from its ``cnt`` votes ``codes[:cnt]`` (``j*K + v``) cast by
    ``lfs[:cnt]``: ``w base + sum of Dflat[code]`` (``w`` = mean ``prior_w``), ``base0`` if none."""
    K = s.shape[0]
    if cnt == 0:
        for k in range(K):
            s[k] = base0[k]
        return
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


@njit(cache=True, inline="always", error_model="numpy", _nrt=False)
def _row_pass(Dflat, prior_w, base, base0, codes, lfs, cnt, yi, mode, s, post, Sb, Tb):
    """THE row pass: the row's posterior into ``post`` (softmax of its scores; one-hot for a gold
    label ``yi >= 0``; its vote shares in ``SHARES`` mode, uniform without votes), added to the
    block's sums ``Sb[code]`` and ``Tb`` unless ``mode`` is ``PREDICT``. Returns the row's
    log-likelihood term (0 in ``SHARES`` mode)."""
    K = s.shape[0]
    ll = 0.0
    if mode == SHARES and yi < 0:
        for k in range(K):
            post[k] = 0.0
        if cnt > 0:
            inv = 1.0 / cnt
            for c in range(cnt):
                post[codes[c] - lfs[c] * K] += inv
        else:
            for k in range(K):
                post[k] = 1.0 / K
    else:
        if mode != SHARES:
            _scores(Dflat, prior_w, base, base0, codes, lfs, cnt, s)
        if yi >= 0:
            for k in range(K):
                post[k] = 0.0
            post[yi] = 1.0
            if mode != SHARES:
                ll = s[yi]
        else:
            ll = _softmax(s, post)
    if mode != PREDICT:
        for k in range(K):
            Tb[k] += post[k]
        for c in range(cnt):
            r = codes[c]
            for k in range(K):
                Sb[r, k] += post[k]
    return ll


@parallel_kernel(MIN_VOTES, csr_votes, error_model="numpy", _nrt=False)
def rows_csr(indptr, indices, votes, Dflat, prior_w, base, base0, y, mode, S, T, LL, out, F, I, ERR, n_blocks):
    """The row pass over CSR votes (``y[i] >= 0``: a gold label; ``y`` empty: none). ``EM`` and
    ``SHARES``: sums into the per-block ``S``, ``T``, ``LL``; ``PREDICT``: posteriors into ``out``."""
    n = indptr.shape[0] - 1
    K = Dflat.shape[1]
    labelled = y.shape[0] > 0
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        s = F[b, 0]
        post = F[b, 1]
        codes = I[b, 0]
        lfs = I[b, 1]
        Sb = S[b]
        Tb = T[b]
        ll = 0.0
        for i in range(lo, hi):
            start = indptr[i]
            cnt = indptr[i + 1] - start
            if cnt > codes.shape[0]:   # an LF voting twice on the row: reported, not overrun
                if ERR[b] < 0:
                    ERR[b] = i
                continue
            for c in range(cnt):
                j = np.int64(indices[start + c])
                lfs[c] = j
                codes[c] = j * K + votes[start + c]
            yi = y[i] if labelled else -1
            ll += _row_pass(Dflat, prior_w, base, base0, codes, lfs, cnt, yi, mode, s, post, Sb, Tb)
            if mode == PREDICT:
                for k in range(K):
                    out[i, k] = post[k]
        LL[b] = ll


@njit(cache=True, inline="always", error_model="numpy", _nrt=False)
def _compact_row(L, i, K, codes, lfs):
    """Row ``i`` of a dense block as codes ``j*K + v`` and LFs ``j`` (in LF order), written without
    branches (write always, advance only on a vote): ``(count, invalid vote?)``."""
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


@parallel_kernel(MIN_CELLS, dense_cells, nogil=True, error_model="numpy", _nrt=False)
def rows_dense(L, Dflat, prior_w, base, base0, S, T, LL, BAD, F, I, n_blocks):
    """The row pass (``EM`` mode, no gold labels) over a dense ``(m, n)`` block; ``BAD[b]``: the
    block's first row holding a vote outside -1..K-1 (not used), -1 if none."""
    n = L.shape[1]
    K = Dflat.shape[1]
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        s = F[b, 0]
        post = F[b, 1]
        codes = I[b, 0]
        lfs = I[b, 1]
        Sb = S[b]
        Tb = T[b]
        ll = 0.0
        bad = -1
        for i in range(lo, hi):
            cnt, invalid = _compact_row(L, i, K, codes, lfs)
            if invalid and bad < 0:
                bad = i
            ll += _row_pass(Dflat, prior_w, base, base0, codes, lfs, cnt, -1, EM, s, post, Sb, Tb)
        LL[b] = ll
        BAD[b] = bad


@parallel_kernel(MIN_VOTES, csr_votes, nogil=True, error_model="numpy", _nrt=False)
def rows_codes(indptr, codes_in, lf_of, Dflat, prior_w, base, base0, S, T, LL, F, I, ERR, n_blocks):
    """The row pass (``EM`` mode, no gold labels) over code CSR; ``lf_of[code]`` is the code's LF."""
    n = indptr.shape[0] - 1
    for b in prange(n_blocks):
        lo = (b * n) // n_blocks
        hi = ((b + 1) * n) // n_blocks
        s = F[b, 0]
        post = F[b, 1]
        codes = I[b, 0]
        lfs = I[b, 1]
        Sb = S[b]
        Tb = T[b]
        ll = 0.0
        for i in range(lo, hi):
            start = indptr[i]
            cnt = indptr[i + 1] - start
            if cnt > codes.shape[0]:   # an LF voting twice on the row: reported, not overrun
                if ERR[b] < 0:
                    ERR[b] = i
                continue
            for c in range(cnt):
                r = np.int64(codes_in[start + c])
                codes[c] = r
                lfs[c] = lf_of[r]
            ll += _row_pass(Dflat, prior_w, base, base0, codes, lfs, cnt, -1, EM, s, post, Sb, Tb)
        LL[b] = ll
