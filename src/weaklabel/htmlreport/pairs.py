"""The report's pairwise sums over rows, for every pair of LFs: dense products or sparse ones.

Four ``(m, m)`` sums, each over the rows where both LFs ``j`` and ``l`` vote (``P`` the row's
posterior, ``v_j`` LF ``j``'s vote):

* ``overlap``: rows; ``agree``: rows where ``v_j == v_l``;
* ``err_one``: ``sum_k P_k [v_j != k]`` = ``1 - P[v_j]`` (the expected error of ``j``);
* ``err_joint``: ``sum_k P_k [v_j != k][v_l != k]`` = ``s - P[v_j] - P[v_l] + [v_j == v_l] P[v_j]``,
  with ``s`` the row's posterior sum (1 up to rounding).

Two ways to the same sums. **Dense**: a ``(rows, m)`` block and ``K + 3`` matrix products, about
``rows m^2 (K + 3)`` multiply-adds however few LFs vote on a row: right for LF sets, where a row
holds a good share of the ``m`` votes. **Sparse**: products of the votes as sparse matrices, one
column per (LF, class), so the cost is the number of *pairs of votes on a row*: a crowd of 3,000
workers answering ~9 items each is ``20,000 x 81`` pairs where the dense products spend
``20,000 x 3,000^2 x 7`` (26 s and 1.5 GB before this module; see ``benchmarks/bench_report.py``).
:func:`use_sparse` picks per block by an estimate of both costs. Counts are exact either way; the
weighted sums differ in the last bits only (summation order).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

SUB_ROWS = 1 << 15          # rows per dense product (bounds the dense float32 temporaries)
#: a sparse product's cost per pair of votes, in dense multiply-adds. Timed on a 2-core Xeon with one
#: BLAS thread (as the report runs) on nine block shapes: 40 to 2,700, the dense products being
#: faster per multiply-add at larger ``m``; 300 picks the faster way on eight, the ninth (50,000 x 300,
#: 20 votes a row) takes 1.1 s dense where sparse takes 0.7 s.
SPARSE_COST = 300.0


def use_sparse(votes_per_row: np.ndarray, m: int, K: int) -> bool:
    """Whether the sparse products are the cheaper way for a block with these votes per row."""
    r = np.asarray(votes_per_row, dtype=np.float64)
    pairs = float((r * r).sum())
    dense = float(r.size) * float(m) * float(m) * (K + 3)
    return 3.0 * SPARSE_COST * pairs < dense


class PairSums:
    """Running ``overlap``, ``agree``, ``err_one`` and ``err_joint`` (see the module docstring)."""

    def __init__(self, m: int, K: int):
        self.m, self.K = m, K
        self.overlap = np.zeros((m, m))
        self.agree = np.zeros((m, m))
        self.err_joint = np.zeros((m, m))
        self.err_one = np.zeros((m, m))

    def add(self, bvm, P: np.ndarray, dense: np.ndarray | None = None) -> None:
        """Add a block of votes (a :class:`VoteMatrix`) with its posteriors ``P`` (rows, K);
        ``dense``: the block as a dense array, if the caller has it already."""
        if use_sparse(bvm.votes_per_row(), self.m, self.K):
            self.add_sparse(bvm, P)
        else:
            self.add_dense(bvm.to_dense() if dense is None else dense, P)

    def add_dense(self, dense: np.ndarray, P: np.ndarray) -> None:
        """Dense sub-blocks; float32 products are exact for counts below 2^24 per sub-block."""
        K = self.K
        for s in range(0, dense.shape[0], SUB_ROWS):
            D = dense[s:s + SUB_ROWS]
            Pk = P[s:s + SUB_ROWS].astype(np.float32)
            B = (D >= 0).astype(np.float32)
            self.overlap += B.T @ B
            E = np.zeros_like(B)
            for k in range(K):
                Ck = (D == k).astype(np.float32)
                self.agree += Ck.T @ Ck
                Ek = B - Ck
                W = Ek * Pk[:, k:k + 1]
                self.err_joint += W.T @ Ek
                E += W
            self.err_one += E.T @ B

    def add_sparse(self, bvm, P: np.ndarray) -> None:
        """Three sparse products over one-hot (LF, class) columns: ``G'G`` (pairs of votes),
        ``(G s)'G`` (the same weighted by the row's posterior sum) and ``(G P[v])'G``; each folded
        over the classes (every entry: a pair of LFs) and over equal classes (agreeing pairs)."""
        K, m = self.K, self.m
        n = bvm.n_rows
        if bvm.nnz == 0:
            return
        row = bvm.row_of_vote()
        v = bvm.votes.astype(np.int64)
        cols = bvm.indices.astype(np.int64) * K + v
        P = np.asarray(P, dtype=np.float64)
        s = P.sum(axis=1)

        def one_hot(data):
            return sp.csr_matrix((data, cols, bvm.indptr), shape=(n, m * K))

        G = one_hot(np.ones(bvm.nnz))
        GT = G.T.tocsr()
        pairs = (GT @ G).tocoo()
        weighted = (GT @ one_hot(s[row])).tocoo()              # each row weighted by s
        by_vote = (one_hot(P[row, v]).T.tocsr() @ G).tocoo()   # [j, l]: the sum of P[v_j]
        self._fold_into(self.overlap, pairs)
        self._fold_into(self.agree, pairs, same_class=True)
        for acc in (self.err_one, self.err_joint):
            self._fold_into(acc, weighted)
            self._fold_into(acc, by_vote, sign=-1.0)
        self._fold_into(self.err_joint, by_vote, sign=-1.0, transpose=True)
        self._fold_into(self.err_joint, by_vote, same_class=True)

    def _fold_into(self, acc: np.ndarray, S, *, same_class: bool = False, sign: float = 1.0,
                   transpose: bool = False) -> None:
        """Add an ``(m K, m K)`` sum to ``acc`` as ``(m, m)``: every class pair, or equal classes only."""
        K, m = self.K, self.m
        r, c, d = S.row, S.col, S.data
        if same_class:
            keep = (r % K) == (c % K)
            r, c, d = r[keep], c[keep], d[keep]
        j, l = r // K, c // K
        if transpose:
            j, l = l, j
        np.add.at(acc.reshape(-1), j * m + l, sign * d if sign != 1.0 else d)
