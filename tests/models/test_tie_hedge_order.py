"""The tie hedge's bootstrap does not depend on the order of the rows (``tie_hedge.bootstrap_counts``).

Shuffling the rows of the votes must give every row the probabilities it had: the refits draw
Poisson(1) counts from each row's content (vote pattern and occurrence among identical rows), not
from its position. Until then ``rng.integers(0, n, n)`` gave the same rows other counts once they
moved, and whole blocks of ties flipped between kept and broken.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import two_rules_and_a_classifier
from weaklabel.models import AutoModel
from weaklabel.models.tie_hedge import bootstrap_counts, poisson_counts, row_keys
from weaklabel.simulate import simulate_regime
from weaklabel.votes import VoteMatrix


def _random_binary(n: int, m: int = 3, seed: int = 0) -> VoteMatrix:
    """``n`` rows of ``m`` binary LFs voting at random: at most 3^m patterns, each copied many times."""
    L = np.random.default_rng(seed).integers(-1, 2, size=(n, m))
    return VoteMatrix.from_dense(L, cardinality=2)


@pytest.mark.parametrize("votes, perm_seed", [
    (lambda: two_rules_and_a_classifier(2)[0], 101),
    (lambda: two_rules_and_a_classifier(2)[0], 102),
    (lambda: simulate_regime("few_multiclass", 4).votes, 100),
    (lambda: simulate_regime("few_multiclass", 4).votes, 103),
], ids=["two_rules-a", "two_rules-b", "few_multiclass-a", "few_multiclass-b"])
def test_shuffled_rows_get_the_same_probabilities(votes, perm_seed):
    vm = votes()
    perm = np.random.default_rng(perm_seed).permutation(vm.n_rows)
    a, b = AutoModel().fit(vm), AutoModel().fit(vm.take(perm))
    # the hedge acts, on the same label-free choice (the criticism is checked elsewhere)
    assert hasattr(a, "tie_hedge_") and hasattr(b, "tie_hedge_")
    assert a.chosen_ == b.chosen_ == "default"
    assert a.selection_["tie_hedge"]["tied_rows"] > 50
    p = a.predict_proba(vm)
    q = np.empty_like(p)
    q[perm] = b.predict_proba(vm.take(perm))     # row i of the shuffled votes is row perm[i]
    assert np.allclose(p, q), f"{int((~np.isclose(p, q).all(axis=1)).sum())} rows moved"
    assert a.selection_["tie_hedge"] == b.selection_["tie_hedge"]
    for k in ("D", "prior_w", "base", "base0"):   # the same refits, up to summation order
        np.testing.assert_allclose(a.tie_hedge_[k], b.tie_hedge_[k], rtol=1e-9, atol=1e-9)


def test_poisson_counts_have_mean_and_variance_one():
    vm = _random_binary(60_000)
    counts = bootstrap_counts(vm, 0, 4)
    assert counts.shape == (4, vm.n_rows) and counts.dtype == np.int64
    for c in counts:
        assert abs(c.mean() - 1) < 0.02 and abs(c.var() - 1) < 0.05
        freq = np.bincount(c, minlength=4)[:4] / c.size
        np.testing.assert_allclose(freq, np.exp(-1) / np.array([1, 1, 2, 6]), atol=0.01)
    # refits draw independently of each other
    assert abs(np.corrcoef(counts[0], counts[1])[0, 1]) < 0.03


def test_identical_rows_get_different_counts():
    vm = _random_binary(20_000)
    dense = vm.to_dense()
    counts = bootstrap_counts(vm, 0, 2)
    _, pattern = np.unique(dense, axis=0, return_inverse=True)
    pattern = pattern.ravel()
    for p in np.unique(pattern):
        rows = np.flatnonzero(pattern == p)          # ~740 copies of one pattern
        for c in counts:
            assert np.unique(c[rows]).size >= 4       # not one weight for all its copies
            assert abs(c[rows].mean() - 1) < 0.15


def test_counts_follow_the_rows_content_not_their_position():
    vm = _random_binary(5000, m=4, seed=1)
    perm = np.random.default_rng(7).permutation(vm.n_rows)
    shuffled = vm.take(perm)
    assert np.array_equal(np.sort(row_keys(vm)), np.sort(row_keys(shuffled)))
    c, cs = bootstrap_counts(vm, 3, 3), bootstrap_counts(shuffled, 3, 3)
    dense, dense_s = vm.to_dense(), shuffled.to_dense()
    for b in range(3):
        # per pattern, the same multiset of counts
        for row in np.unique(dense, axis=0):
            mine = np.sort(c[b][(dense == row).all(axis=1)])
            theirs = np.sort(cs[b][(dense_s == row).all(axis=1)])
            np.testing.assert_array_equal(mine, theirs)
    assert not np.array_equal(c[0], c[1])                                # refits differ
    assert not np.array_equal(bootstrap_counts(vm, 4, 1)[0], c[0])      # so do seeds


def test_a_rows_key_ignores_the_stored_order_of_its_votes():
    # one row stored as (LF 0: 1, LF 2: 0) and as (LF 2: 0, LF 0: 1); a third row differs
    vm = VoteMatrix(np.array([0, 2, 4, 6]), np.array([0, 2, 2, 0, 0, 2]), np.array([1, 0, 0, 1, 0, 1]),
                    ["a", "b", "c"], cardinality=2)
    keys = row_keys(vm)
    single = row_keys(vm.take([1]))
    # row 1 is the second copy of row 0's pattern: its key is that of a pattern's second occurrence
    assert keys[0] == single[0] and keys[1] != keys[0] and keys[2] != keys[0]
    assert row_keys(vm.take([1, 0]))[1] == keys[1]


def test_no_refit_is_empty():
    one = _random_binary(1)
    counts = bootstrap_counts(one, 0, 40)
    assert (counts.sum(axis=1) >= 1).all()
    # a first draw of 0 is redrawn, not kept (P(0) = e^-1: some of 40 refits start at 0)
    assert any(poisson_counts(row_keys(one), 0, b)[0] == 0 for b in range(40))
