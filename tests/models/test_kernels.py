"""The Numba kernels agree with their plain-numpy references."""

import numpy as np
import pytest

from weaklabel import VoteMatrix
from weaklabel.models import _kernels as nk
from weaklabel.models import _reference as ref
from weaklabel.models.stats import LocalVoteStats, flat_table, unflat_stats


def _random(n, m, K, cov, seed):
    rng = np.random.default_rng(seed)
    L = rng.integers(0, K, size=(n, m))
    L[rng.random((n, m)) > cov] = -1
    return VoteMatrix.from_dense(L, cardinality=K)


@pytest.mark.parametrize("n, m, K, cov, seed", [(300, 5, 2, 0.5, 0), (257, 9, 4, 0.3, 1), (50, 3, 3, 0.0, 2),
                                                (1, 4, 2, 1.0, 3)])
def test_kernels_match_reference(n, m, K, cov, seed):
    vm = _random(n, m, K, cov, seed)
    rng = np.random.default_rng(seed + 10)
    D = rng.normal(size=(m, K, K))
    base = rng.normal(size=K)
    base0 = rng.normal(size=K)
    pw = rng.random(m)
    y = np.where(rng.random(n) < 0.2, rng.integers(0, K, size=n), -1).astype(np.int64)
    args = (vm.indptr, vm.indices, vm.votes)
    for blocks in (1, 3):
        S, T, ll = nk.em_pass(*args, flat_table(D), pw, base, base0, y, min(blocks, n))
        S_r, T_r, ll_r = ref.em_pass(*args, D, pw, base, base0, y)
        np.testing.assert_allclose(S, flat_table(S_r), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(T, T_r, rtol=1e-10)
        assert ll == pytest.approx(ll_r, rel=1e-10)
    np.testing.assert_allclose(nk.posterior(*args, flat_table(D), pw, base, base0, min(3, n)),
                               ref.posterior(*args, D, pw, base, base0), rtol=1e-10)
    O, S_mv, T_mv = nk.pair_counts(*args, m, K, min(2, n))
    np.testing.assert_array_equal(O, ref.pair_counts(*args, m, K))
    S_mv_r, T_mv_r = ref.majority_stats(*args, m, K)
    np.testing.assert_allclose(S_mv, flat_table(S_mv_r), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(T_mv, T_mv_r, rtol=1e-12)
    # the fused statistics are the em_pass initialisation's, without its second pass
    S_em, T_em = LocalVoteStats(vm).majority_stats()
    np.testing.assert_allclose(unflat_stats(S_mv, m, K), S_em, atol=1e-9)
    np.testing.assert_allclose(T_mv, T_em, atol=1e-9)
    np.testing.assert_array_equal(nk.class_counts(*args, K), ref.class_counts(*args, K))
    compact = np.where(np.arange(m) % 3 == 1, -1, np.arange(m)).astype(np.int64)
    st, ct = nk.error_pair_stats(*args, flat_table(D), pw, base, base0, compact, m, min(3, n))
    st_r, ct_r = ref.error_pair_stats(*args, flat_table(D), pw, base, base0, compact, m)
    np.testing.assert_allclose(st, st_r, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ct, ct_r)
    # scores hundreds of nats apart (the products of exp(-D) underflow): the exact fallback
    st, _ = nk.error_pair_stats(*args, flat_table(300 * D), pw, base, base0, compact, m, min(3, n))
    st_r, _ = ref.error_pair_stats(*args, flat_table(300 * D), pw, base, base0, compact, m)
    assert np.isfinite(st).all()
    np.testing.assert_allclose(st, st_r, rtol=1e-9, atol=1e-9)
    S_sh, T_sh = nk.share_stats(*args, K, m, y)
    S_shr, T_shr = ref.share_stats(*args, K, m, y)
    np.testing.assert_allclose(S_sh, S_shr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(T_sh, T_shr, rtol=1e-12)
    np.testing.assert_array_equal(nk.lf_class_counts(vm.indices, vm.votes, m, K),
                                  ref.lf_class_counts(vm.indices, vm.votes, m, K))


def test_em_pass_is_deterministic():
    vm = _random(5000, 10, 3, 0.4, 5)
    D = flat_table(np.log(np.full((10, 3, 3), 1 / 3)))
    base = np.log(np.ones(3) / 3)
    y = -np.ones(5000, dtype=np.int64)
    ones = np.ones(10)
    a = nk.em_pass(vm.indptr, vm.indices, vm.votes, D, ones, base, base, y, 8)
    b = nk.em_pass(vm.indptr, vm.indices, vm.votes, D, ones, base, base, y, 8)
    assert a[0].tobytes() == b[0].tobytes() and a[2] == b[2]


def _dense_block(n, m, K, cov, seed, dtype=np.int8):
    rng = np.random.default_rng(seed)
    L = rng.integers(0, K, size=(m, n))
    L[rng.random((m, n)) > cov] = -1
    return L.astype(dtype)


@pytest.mark.parametrize("n, m, K, cov, seed, dtype", [(300, 5, 2, 0.5, 0, np.int8), (257, 9, 4, 0.3, 1, np.int8),
                                                       (50, 3, 3, 0.0, 2, np.int8), (1, 4, 2, 1.0, 3, np.int8),
                                                       (120, 6, 200, 0.4, 4, np.int16)])
def test_dense_kernels_match_reference(n, m, K, cov, seed, dtype):
    L = _dense_block(n, m, K, cov, seed, dtype)
    rng = np.random.default_rng(seed + 10)
    D = rng.normal(size=(m, K, K))
    base, base0, pw = rng.normal(size=K), rng.normal(size=K), rng.random(m)
    for blocks in (1, 3):
        S, T, ll, bad = nk.em_pass_dense(L, flat_table(D), pw, base, base0, min(blocks, n))
        S_r, T_r, ll_r, bad_r = ref.em_pass_dense(L, D, pw, base, base0)
        np.testing.assert_allclose(S, flat_table(S_r), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(T, T_r, rtol=1e-10)
        assert ll == pytest.approx(ll_r, rel=1e-10) and bad == bad_r == -1
        pairs, bad = nk.pair_counts_dense(L, K, min(blocks, n))
        pairs_r, _ = ref.pair_counts_dense(L, K)
        np.testing.assert_array_equal(pairs, pairs_r)
    counts, per_row, bad = nk.scan_dense(L, K)
    c_r, p_r, b_r = ref.scan_dense(L, K)
    np.testing.assert_array_equal(counts, c_r)
    np.testing.assert_array_equal(per_row, p_r)
    assert bad == b_r == -1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    indices = np.empty(indptr[-1] + 1, dtype=np.int32)
    votes = np.empty(indptr[-1] + 1, dtype=L.dtype)
    nk.dense_to_csr_fill(L, indptr, indices, votes)
    ip_r, ix_r, v_r = ref.dense_to_csr(L)
    np.testing.assert_array_equal(indptr, ip_r)
    np.testing.assert_array_equal(indices[:-1], ix_r)
    np.testing.assert_array_equal(votes[:-1], v_r)


def test_dense_kernels_score_rows_like_the_csr_kernels():
    # same rows, same blocks: the dense and the CSR pass give bit-identical sums
    L = _dense_block(4000, 12, 3, 0.35, 7)
    vm = VoteMatrix.from_dense(L.T, cardinality=3)
    rng = np.random.default_rng(3)
    Dflat = flat_table(rng.normal(size=(12, 3, 3)))
    base, pw = rng.normal(size=3), np.ones(12)
    S, T, ll, _ = nk.em_pass_dense(L, Dflat, pw, base, base, 16)
    S2, T2, ll2 = nk.em_pass(vm.indptr, vm.indices, vm.votes, Dflat, pw, base, base, -np.ones(4000, np.int64), 16)
    assert S.tobytes() == S2.tobytes() and T.tobytes() == T2.tobytes() and ll == ll2


def test_dense_kernels_report_the_first_invalid_vote():
    L = _dense_block(200, 4, 3, 0.5, 8)
    L[2, 150] = 3      # >= K
    L[0, 170] = -2     # < -1
    L[1, 120] = 5
    D = flat_table(np.zeros((4, 3, 3)))
    z = np.zeros(3)
    for blocks in (1, 4):
        assert nk.em_pass_dense(L, D, np.ones(4), z, z, blocks)[3] == 120
        assert nk.pair_counts_dense(L, 3, blocks)[1] == 120
    assert nk.scan_dense(L, 3)[2] == 120
    assert ref.scan_dense(L, 3)[2] == 120
    # invalid votes are not counted
    assert nk.scan_dense(L, 3)[0].sum() == ref.scan_dense(L, 3)[0].sum()


@pytest.mark.parametrize("n, m, K, cov, seed, code_dtype", [
    (300, 5, 2, 0.5, 0, np.uint8), (257, 9, 4, 0.3, 1, np.uint8), (80, 40, 10, 0.2, 2, np.uint16),
    (1, 4, 2, 1.0, 3, np.uint8)])
def test_code_kernels_match_reference_and_csr(n, m, K, cov, seed, code_dtype):
    L = _dense_block(n, m, K, cov, seed)
    _, per_row, _ = nk.scan_dense(L, K)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(per_row, out=indptr[1:])
    codes = np.empty(indptr[-1] + 1, dtype=code_dtype)
    nk.dense_to_codes_fill(L, K, indptr, codes)
    codes = codes[:-1]
    ip_r, codes_r = ref.dense_to_codes(L, K)
    np.testing.assert_array_equal(indptr, ip_r)
    np.testing.assert_array_equal(codes, codes_r)
    rng = np.random.default_rng(seed + 20)
    D = rng.normal(size=(m, K, K))
    base, base0, pw = rng.normal(size=K), rng.normal(size=K), rng.random(m)
    lf_of = np.repeat(np.arange(m), K)
    for blocks in (1, 3):
        S, T, ll = nk.em_pass_codes(indptr, codes, lf_of, flat_table(D), pw, base, base0, min(blocks, n))
        S_r, T_r, ll_r = ref.em_pass_codes(indptr, codes, lf_of, D, pw, base, base0)
        np.testing.assert_allclose(S, flat_table(S_r), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(T, T_r, rtol=1e-10)
        assert ll == pytest.approx(ll_r, rel=1e-10)
        np.testing.assert_array_equal(nk.pair_counts_codes(indptr, codes, m * K, min(blocks, n)),
                                      ref.pair_counts_codes(indptr, codes, m, K))
    # same rows, same blocks: bit-identical to the CSR kernel
    vm = VoteMatrix.from_dense(L.T, cardinality=K)
    S2, T2, ll2 = nk.em_pass(vm.indptr, vm.indices, vm.votes, flat_table(D), pw, base, base0,
                             -np.ones(n, np.int64), 1)
    S1, T1, ll1 = nk.em_pass_codes(indptr, codes, lf_of, flat_table(D), pw, base, base0, 1)
    assert S1.tobytes() == S2.tobytes() and T1.tobytes() == T2.tobytes() and ll1 == ll2


def test_kernel_caches_are_keyed_on_every_kernel_module():
    # a kernel inlines the row pass of a sibling module: editing that module must invalidate it
    from pathlib import Path

    stamp = nk.pairs_csr.serial._cache._cache_file._source_stamp
    names = {s[0] for s in stamp}
    assert names == {p.name for p in Path(nk.__file__).parent.glob("_kernels*.py")}
    assert {"_kernels_rows.py", "_kernels_pairs.py"} <= names


def test_a_row_with_more_votes_than_lfs_is_an_error_not_an_overrun():
    # the kernels list a row's votes in per-block scratch of m + 1 slots; a hand-built matrix in
    # which an LF votes twice on a row must not write past it
    indptr = np.array([0, 4], dtype=np.int64)
    indices = np.array([0, 0, 1, 1], dtype=np.int32)
    votes = np.array([0, 1, 0, 1], dtype=np.int8)
    D, z, one = flat_table(np.zeros((2, 2, 2))), np.zeros(2), np.ones(2)
    with pytest.raises(ValueError, match="more votes than there are LFs"):
        nk.em_pass(indptr, indices, votes, D, one, z, z, -np.ones(1, np.int64), 1)
    with pytest.raises(ValueError, match="more votes than there are LFs"):
        nk.pair_counts(indptr, indices, votes, 2, 2, 1)
    with pytest.raises(ValueError, match="more votes than there are LFs"):
        nk.error_pair_stats(indptr, indices, votes, D, one, z, z, np.arange(2), 2, 1)
