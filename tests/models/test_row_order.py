"""The label-free ``AutoModel`` gives every row the same probabilities whatever the order of the rows.

Its held-out-source check cross-fitted over two folds by row parity, so shuffling the rows moved
the check's z and could flip the choice between the fitted model and majority vote (helper 96:
``spammer_team`` seed 0 went to majority vote in 4 of 4 shuffles, ``few_multiclass`` seed 3 the
other way in 1 of 4). The folds are now set by row content (``models/row_keys.row_folds``), as the
tie hedge's bootstrap counts are (``test_tie_hedge_order.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from weaklabel.models import AutoModel
from weaklabel.models.criticism import HeldOutVotes
from weaklabel.models.row_keys import row_folds, row_patterns
from weaklabel.simulate import simulate_regime
from weaklabel.votes import VoteMatrix


@pytest.mark.parametrize("name, seed", [("spammer_team", 0), ("spammer_team", 2), ("few_multiclass", 3)])
def test_shuffled_rows_get_the_same_choice_and_probabilities(name, seed):
    vm = simulate_regime(name, seed).votes
    a = AutoModel().fit(vm)
    p = a.predict_proba(vm)
    for perm_seed in range(4):
        perm = np.random.default_rng(perm_seed).permutation(vm.n_rows)
        b = AutoModel().fit(vm.take(perm))
        assert b.selection_["choice"] == a.selection_["choice"]
        crit_a, crit_b = a.selection_["criticism"], b.selection_["criticism"]
        for k in ("z", "z_disagree"):
            if k in crit_a:
                assert crit_b[k] == pytest.approx(crit_a[k], rel=1e-9, abs=1e-9)
        q = np.empty_like(p)
        q[perm] = b.predict_proba(vm.take(perm))
        assert np.allclose(p, q), f"shuffle {perm_seed}: {int((~np.isclose(p, q).all(axis=1)).sum())} rows moved"


def test_folds_split_every_pattern_evenly_and_follow_the_rows():
    L = np.random.default_rng(0).integers(-1, 2, size=(3001, 3))
    vm = VoteMatrix.from_dense(L, cardinality=2)
    fold = row_folds(vm, 2)
    pattern, occurrence = row_patterns(vm)
    for p in np.unique(pattern):
        f = fold[pattern == p]
        assert abs(int((f == 0).sum()) - int((f == 1).sum())) <= 1   # the copies alternate
    assert set(np.unique(occurrence[pattern == pattern[0]])) == set(range(int((pattern == pattern[0]).sum())))
    perm = np.random.default_rng(1).permutation(vm.n_rows)
    shuffled = row_folds(vm.take(perm), 2)
    # per pattern, the same number of rows in each fold after the shuffle
    ps = row_patterns(vm.take(perm))[0]
    for p in np.unique(pattern):
        assert np.bincount(fold[pattern == p], minlength=2).tolist() == np.bincount(shuffled[ps == p], minlength=2).tolist()
    # the criticism reads these folds
    h = HeldOutVotes(vm, np.zeros(3, dtype=bool))
    assert np.array_equal(h.fold, fold)
    assert set(np.unique(row_folds(vm, 3))) == {0, 1, 2}
