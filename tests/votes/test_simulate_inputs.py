"""weaklabel.simulate: argument checks, K above int8, rows without votes in thin_votes."""

import numpy as np
import pytest

from weaklabel import VoteMatrix
from weaklabel.simulate import simulate_votes, thin_votes


@pytest.mark.parametrize("kwargs, msg", [
    (dict(class_balance=[0.2, 0.3, 0.5]), r"class_balance must hold one weight per class \(K = 2\), got shape \(3,\)"),
    (dict(class_balance=[-0.2, 1.2]), "class_balance must be finite, non-negative weights"),
    (dict(accuracy=[0.6, 0.7]), r"accuracy must be a \(low, high\) tuple, one number or one value per LF "
                                r"\(m = 3\), got shape \(2,\)"),
    (dict(accuracy=1.2), r"accuracy must be a probability in \[0, 1\], got 1.2 for LF 0"),
    (dict(coverage=1.5), r"coverage must be a probability in \[0, 1\], got 1.5 for LF 0"),
    (dict(coverage=(0.9, 0.1)), r"coverage range \(low, high\) must satisfy 0 <= low <= high <= 1"),
    (dict(confusion="dirichlet"), "confusion must be one of 'onecoin', 'random', got 'dirichlet'"),
])
def test_bad_arguments_name_the_argument(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        simulate_votes(50, 3, 2, **kwargs)


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="K \\(classes\\) must be an int from 2 to 32767, got 1"):
        simulate_votes(50, 3, 1)


def test_more_than_127_classes_do_not_overflow():
    sim = simulate_votes(2000, 4, 200, accuracy=0.0, coverage=1.0, seed=1)
    dense = sim.votes.to_dense(np.int64)
    assert dense.min() >= 0 and dense.max() > 127 and sim.votes.votes.dtype == np.int16


def test_a_tuple_is_a_range_a_list_is_one_value_per_lf():
    assert simulate_votes(10, 2, coverage=[0.1, 0.9]).coverage.tolist() == [0.1, 0.9]
    cov = simulate_votes(10, 4, coverage=(0.1, 0.9), seed=3).coverage
    assert cov.shape == (4,) and ((cov >= 0.1) & (cov <= 0.9)).all() and len(set(cov)) == 4


@pytest.mark.parametrize("L", [
    [[0, 1, 1], [-1, -1, -1], [1, -1, -1]],         # an empty row in the middle (counted the next row's vote)
    [[0, 1, 1], [1, 0, 1], [-1, -1, -1]],           # an empty last row (used to raise IndexError)
    [[-1, -1, -1], [-1, -1, -1]],                   # no votes at all
])
def test_thin_votes_keeps_rows_without_votes_empty(L):
    vm = VoteMatrix.from_dense(np.array(L))
    thin = thin_votes(vm, 1, seed=0)
    dense, before = thin.to_dense(), np.array(L)
    assert thin.n_rows == vm.n_rows
    assert ((dense >= 0).sum(axis=1) == np.minimum((before >= 0).sum(axis=1), 1)).all()
    assert ((dense == before) | (dense == -1)).all()


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_a_bad_seed_is_refused_naming_it(seed):
    """These failed inside NumPy (``expected non-negative integer``, a SeedSequence TypeError) or,
    for True, were taken as seed 1."""
    from weaklabel.simulate import simulate_regime

    msg = f"seed must be None or an int >= 0, got {seed!r}"
    for call in (lambda: simulate_votes(50, 3, 2, seed=seed), lambda: simulate_regime("few_sources", seed=seed),
                 lambda: thin_votes(simulate_votes(5, 3, 2).votes, 1, seed=seed)):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == msg
    assert simulate_regime("few_sources", seed=np.int64(3)).votes.equals(simulate_regime("few_sources", seed=3).votes)
