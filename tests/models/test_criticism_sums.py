"""The criticism's sums by sparse products are bincount's sums, to the last bit.

``criticism._summing`` replaced K ``np.bincount`` calls per fold (the held-out outcome tables and
the per-row scores) by one sparse product: faster from a few dozen classes on (K = 250: 9.5 ->
5.7 s per comparison), and it must not move any decision of the default model, whose thresholds
sit on sums of these numbers. So equality here is exact, not approximate."""

import numpy as np
import pytest

from weaklabel.models.criticism import _row_max, _summing


@pytest.mark.parametrize("K", [1, 2, 7, 40])
def test_sparse_sums_equal_bincount_bit_for_bit(K):
    rng = np.random.default_rng(K)
    n_src, n_tgt = 5000, 300
    targets = rng.integers(0, n_tgt, 20_000)
    sources = rng.integers(0, n_src, targets.size)        # repeats and any order, as in the folds
    w = rng.random((n_src, K)) * 10.0 ** rng.integers(-12, 6, (n_src, K))   # wide range: rounding shows
    got = _summing(targets, sources, n_tgt, n_src) @ w
    want = np.stack([np.bincount(targets, weights=w[sources, k], minlength=n_tgt) for k in range(K)], axis=1)
    assert got.shape == (n_tgt, K)
    assert np.array_equal(got, want)


def test_targets_without_entries_sum_to_zero():
    S = _summing(np.array([3, 3, 0]), np.array([1, 0, 2]), 5, 3)
    out = S @ np.array([[1.0], [2.0], [4.0]])
    assert out[:, 0].tolist() == [4.0, 0.0, 0.0, 3.0, 0.0]


@pytest.mark.parametrize("K", [2, 16, 17, 300])
def test_row_max_is_numpy_max(K):
    s = np.random.default_rng(0).normal(size=(500, K))
    assert np.array_equal(_row_max(s), s.max(axis=1))
