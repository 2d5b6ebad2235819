"""The report's pairwise sums: the sparse products give the dense products' sums, and each sum is
what its definition says, computed row by row in plain Python."""

import numpy as np
import pytest

from weaklabel.htmlreport.pairs import PairSums, use_sparse
from weaklabel.votes import VoteMatrix


def _block(n, m, K, density, seed):
    rng = np.random.default_rng(seed)
    L = np.where(rng.random((n, m)) < density, rng.integers(0, K, (n, m)), -1)
    vm = VoteMatrix.from_dense(L, cardinality=K)
    P = rng.dirichlet(np.ones(K), size=n)
    return L, vm, P


def _by_definition(L, P, K):
    n, m = L.shape
    out = {x: np.zeros((m, m)) for x in ("overlap", "agree", "err_one", "err_joint")}
    for i in range(n):
        for j in range(m):
            for l in range(m):
                a, b = L[i, j], L[i, l]
                if a < 0 or b < 0:
                    continue
                out["overlap"][j, l] += 1
                out["agree"][j, l] += a == b
                out["err_one"][j, l] += sum(P[i, k] for k in range(K) if k != a)
                out["err_joint"][j, l] += sum(P[i, k] for k in range(K) if k != a and k != b)
    return out


@pytest.mark.parametrize("K", [2, 3, 5])
def test_dense_and_sparse_sums_are_the_definition(K):
    L, vm, P = _block(60, 7, K, 0.4, K)
    want = _by_definition(L, P, K)
    dense, sparse = PairSums(7, K), PairSums(7, K)
    dense.add_dense(L, P)
    sparse.add_sparse(vm, P)
    for name, value in want.items():
        np.testing.assert_allclose(getattr(dense, name), value, atol=1e-5, err_msg=name)   # float32 products
        np.testing.assert_allclose(getattr(sparse, name), value, atol=1e-9, err_msg=name)
    assert np.array_equal(sparse.overlap, dense.overlap) and np.array_equal(sparse.agree, dense.agree)


def test_blocks_add_up_and_empty_blocks_add_nothing():
    L, vm, P = _block(300, 12, 4, 0.1, 0)
    whole, parts = PairSums(12, 4), PairSums(12, 4)
    whole.add_sparse(vm, P)
    for a, b in ((0, 100), (100, 100), (100, 300)):
        parts.add_sparse(vm.take(np.arange(a, b)), P[a:b])
    for name in ("overlap", "agree", "err_one", "err_joint"):
        np.testing.assert_allclose(getattr(parts, name), getattr(whole, name), atol=1e-9)
    empty = PairSums(12, 4)
    empty.add_sparse(VoteMatrix.from_dense(np.full((5, 12), -1), cardinality=4), np.full((5, 4), 0.25))
    assert not empty.overlap.any() and not empty.err_joint.any()


def test_sparse_where_few_of_many_sources_vote_dense_where_most_do():
    assert use_sparse(np.full(20_000, 9), 3000, 4)          # a large crowd: ~9 answers an item
    assert not use_sparse(np.full(20_000, 30), 100, 2)      # an LF set: 30 of 100 LFs vote a row
