"""The Numba kernels agree with their plain-numpy references."""

import numpy as np
import pytest

from weaklabel import VoteMatrix
from weaklabel.models import _kernels as nk
from weaklabel.models import _reference as ref
from weaklabel.models.stats import flat_table


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
    np.testing.assert_array_equal(nk.pair_counts(*args, m, K, 2), ref.pair_counts(*args, m, K))
    np.testing.assert_array_equal(nk.class_counts(*args, K), ref.class_counts(*args, K))
    compact = np.where(np.arange(m) % 3 == 1, -1, np.arange(m)).astype(np.int64)
    st, ct = nk.error_pair_stats(*args, flat_table(D), pw, base, base0, compact, m, min(3, n))
    st_r, ct_r = ref.error_pair_stats(*args, flat_table(D), pw, base, base0, compact, m)
    np.testing.assert_allclose(st, st_r, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ct, ct_r)
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
