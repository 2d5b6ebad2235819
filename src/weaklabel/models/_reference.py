"""Plain-numpy reference versions of :mod:`weaklabel.models._kernels`.

Written for clarity, not speed (dense ``(n, m)`` matrices): the tests check the Numba kernels
against them on small random inputs.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp


def _dense(indptr, indices, votes, m):
    n = indptr.size - 1
    L = np.full((n, m), -1, dtype=np.int64)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    L[rows, indices] = votes
    return L


def scores(indptr, indices, votes, D, prior_w, base, base0):
    m = D.shape[0]
    L = _dense(indptr, indices, votes, m)
    voted = L >= 0
    n_votes = voted.sum(axis=1)
    w = np.where(n_votes > 0, (voted * prior_w[None, :]).sum(axis=1) / np.maximum(n_votes, 1), 0.0)
    s = w[:, None] * base[None, :]
    s[n_votes == 0] = base0
    for j in range(m):
        voted = L[:, j] >= 0
        s[voted] += D[j, :, L[voted, j]]
    return s


def posterior(indptr, indices, votes, D, prior_w, base, base0):
    s = scores(indptr, indices, votes, D, prior_w, base, base0)
    return np.exp(s - logsumexp(s, axis=1, keepdims=True))


def row_sums(indptr, indices, votes, post, m):
    """The sums every row pass adds (``_kernels_rows._row_pass``): ``S[j, k, v]``, the posterior
    ``post`` (n, K) of class ``k`` summed over the rows where LF ``j`` voted ``v``, and ``T``."""
    K = post.shape[1]
    L = _dense(indptr, indices, votes, m)
    S = np.zeros((m, K, K))
    for j in range(m):
        for v in range(K):
            S[j, :, v] = post[L[:, j] == v].sum(axis=0)
    return S, post.sum(axis=0)


def em_pass(indptr, indices, votes, D, prior_w, base, base0, y, n_blocks=1):
    m, K, _ = D.shape
    s = scores(indptr, indices, votes, D, prior_w, base, base0)
    post = np.exp(s - logsumexp(s, axis=1, keepdims=True))
    known = y >= 0
    post[known] = np.eye(K)[y[known]]
    ll = logsumexp(s[~known], axis=1).sum() + s[known, y[known]].sum()
    return (*row_sums(indptr, indices, votes, post, m), ll)


def pair_counts(indptr, indices, votes, m, K, n_blocks=1):
    L = _dense(indptr, indices, votes, m)
    onehot = np.zeros((L.shape[0], m * K), dtype=np.int64)
    for j in range(m):
        voted = L[:, j] >= 0
        onehot[np.flatnonzero(voted), j * K + L[voted, j]] = 1
    return onehot.T @ onehot


def majority_stats(indptr, indices, votes, m, K):
    """``(S (m, K, K) [j, k, v], T)``: majority-vote soft labels (ties split, uniform without votes)
    summed where LF ``j`` voted ``v``; the statistics :func:`pair_counts`' kernel returns alongside."""
    L = _dense(indptr, indices, votes, m)
    counts = np.stack([(L == k).sum(axis=1) for k in range(K)], axis=1)
    top = counts == counts.max(axis=1, keepdims=True)
    return row_sums(indptr, indices, votes, top / top.sum(axis=1, keepdims=True), m)


def class_counts(indptr, indices, votes, K):
    n = indptr.size - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    out = np.zeros((n, K))
    np.add.at(out, (rows, votes.astype(np.int64)), 1.0)
    return out


def lf_class_counts(indices, votes, m, K):
    out = np.zeros((m, K), dtype=np.int64)
    np.add.at(out, (indices.astype(np.int64), votes.astype(np.int64)), 1)
    return out


def error_pair_stats(indptr, indices, votes, Dflat, prior_w, base, base0, compact, n_compact, n_blocks=1):
    """Reference for the leave-pair-out error statistics (explicit loops over rows and pairs)."""
    K = base.shape[0]
    stats = np.zeros((n_compact, n_compact, K, 4))
    counts = np.zeros((n_compact, n_compact), dtype=np.int64)
    for i in range(indptr.size - 1):
        ps = list(range(indptr[i], indptr[i + 1]))
        if len(ps) < 2:
            continue
        rows = [indices[p] * K + votes[p] for p in ps]
        w = np.mean([prior_w[indices[p]] for p in ps])
        s = w * base + sum(Dflat[r] for r in rows)
        for x in range(len(ps)):
            for z in range(x + 1, len(ps)):
                a, b = compact[indices[ps[x]]], compact[indices[ps[z]]]
                if a < 0 or b < 0:
                    continue
                cav = s - Dflat[rows[x]] - Dflat[rows[z]]
                q = np.exp(cav - logsumexp(cav))
                va, vb = votes[ps[x]], votes[ps[z]]
                if a > b:
                    a, b, va, vb = b, a, vb, va
                counts[a, b] += 1
                ea = (np.arange(K) != va).astype(float)
                eb = (np.arange(K) != vb).astype(float)
                stats[a, b, :, 0] += q
                stats[a, b, :, 1] += q * ea
                stats[a, b, :, 2] += q * eb
                stats[a, b, :, 3] += q * ea * eb
    return stats, counts


def share_stats(indptr, indices, votes, K, m, y):
    counts = class_counts(indptr, indices, votes, K)
    tot = counts.sum(axis=1, keepdims=True)
    post = np.where(tot > 0, counts / np.maximum(tot, 1), 1.0 / K)
    known = y >= 0
    post[known] = np.eye(K)[y[known]]
    S, T = row_sums(indptr, indices, votes, post, m)
    return S.transpose(0, 2, 1).reshape(m * K, K), T


# dense (m, n) row blocks (L[j, i] = LF j's vote on row i): through the CSR references above
def _dense_bad(L, K):
    bad = (L < -1) | (L >= K)
    rows = np.flatnonzero(bad.any(axis=0))
    return int(rows[0]) if rows.size else -1


def _valid_csr(L, K):
    from ..votes import dense_to_csr

    Lv = np.where((L < -1) | (L >= K), -1, L).T  # invalid votes are not used
    return dense_to_csr(Lv, K)


def em_pass_dense(L, D, prior_w, base, base0):
    K = D.shape[1]
    indptr, indices, votes = _valid_csr(L, K)
    y = -np.ones(L.shape[1], dtype=np.int64)
    S, T, ll = em_pass(indptr, indices, votes, D, prior_w, base, base0, y)
    return S, T, ll, _dense_bad(L, K)


def pair_counts_dense(L, K):
    indptr, indices, votes = _valid_csr(L, K)
    return pair_counts(indptr, indices, votes, L.shape[0], K), _dense_bad(L, K)


def scan_dense(L, K):
    valid = (L >= 0) & (L < K)
    counts = np.stack([np.count_nonzero(valid & (L == k), axis=1) for k in range(K)], axis=1).astype(np.int64)
    return counts, valid.sum(axis=0).astype(np.int32), _dense_bad(L, K)


def dense_to_csr(L):
    from ..votes import dense_to_csr as numpy_dense_to_csr

    return numpy_dense_to_csr(L.T, int(L.max()) + 1 if L.size and L.max() >= 1 else 2)


# code CSR (one code j*K + v per vote)
def _decode(codes, K):
    codes = np.asarray(codes, dtype=np.int64)
    return codes // K, codes % K


def em_pass_codes(indptr, codes, lf_of, D, prior_w, base, base0):
    m, K, _ = D.shape
    indices, votes = _decode(codes, K)
    assert np.array_equal(np.asarray(lf_of)[np.asarray(codes, dtype=np.int64)], indices)
    return em_pass(indptr, indices, votes, D, prior_w, base, base0, -np.ones(indptr.size - 1, dtype=np.int64))


def pair_counts_codes(indptr, codes, m, K):
    indices, votes = _decode(codes, K)
    return pair_counts(indptr, indices, votes, m, K)


def dense_to_codes(L, K):
    indptr, indices, votes = _valid_csr(L, K)
    return indptr, indices.astype(np.int64) * K + votes
