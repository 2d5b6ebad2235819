"""``predict_proba`` / ``predict`` read a VoteMatrix by LF name and refuse other class names, as
``weaklabel predict`` reads a votes file; dense arrays and made-up names (``lf_0`` ...) go by
position."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from weaklabel import VoteMatrix
from weaklabel.errors import InputError
from weaklabel.models import MODELS, AutoModel, DawidSkene, MajorityVote
from weaklabel.simulate import simulate_votes

NAMES = ["kw_good", "kw_bad", "stars", "sentiment"]


@pytest.fixture(scope="module")
def dense():
    # sources of very different accuracy: a permutation of the columns changes the labels
    sim = simulate_votes(3000, 4, 2, accuracy=[0.95, 0.85, 0.6, 0.52], coverage=0.7, seed=7)
    return sim.votes.to_dense()


def _named(dense, order=(0, 1, 2, 3), names=NAMES, classes=("neg", "pos")):
    cols = list(order)
    return VoteMatrix.from_dense(dense[:, cols], cardinality=2, lf_names=[names[c] for c in cols],
                                 classes=list(classes) if classes else None)


def _fit(cls, L):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls().fit(L)


@pytest.mark.parametrize("key", sorted(MODELS))
def test_lfs_in_another_order_are_read_by_name(dense, key):
    vm = _named(dense)
    model = _fit(MODELS[key], vm)
    shuffled = _named(dense, order=(3, 1, 0, 2))
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(vm))
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(vm))


def test_by_name_is_not_by_position(dense):
    """A dense array is read by position: with the columns shuffled it labels many rows otherwise
    than the shuffled VoteMatrix, read by name (which the test above shows is the right reading)."""
    model = _fit(DawidSkene, _named(dense))
    by_position = model.predict(dense[:, [3, 1, 0, 2]])
    assert (by_position != model.predict(_named(dense, order=(3, 1, 0, 2)))).sum() > 100


def test_another_set_of_lfs_is_refused_naming_the_first_missing(dense):
    model = _fit(DawidSkene, _named(dense))
    other = _named(dense, names=["kw_good", "kw_bad", "rating", "tone"])
    with pytest.raises(InputError) as err:
        model.predict(other)
    assert str(err.value) == ("L given to DawidSkene: has no LF 'stars', which the model was fitted with "
                              "(2 of its 4 LFs missing, 2 LF(s) it was not fitted with)")


def test_extra_lfs_are_refused_naming_the_first_extra(dense):
    model = _fit(DawidSkene, _named(dense))
    wider = VoteMatrix.from_dense(np.c_[dense, dense[:, :1]], cardinality=2, lf_names=NAMES + ["copy"])
    with pytest.raises(InputError, match=r"has 1 LF\(s\) the model was not fitted with \(first: 'copy'\); "
                                         r"pass L.select_lfs\(model.lf_names_\)"):
        model.predict_proba(wider)
    np.testing.assert_array_equal(model.predict(wider.select_lfs(model.lf_names_)), model.predict(dense))


def test_other_class_names_are_refused_naming_both_lists(dense):
    model = _fit(MajorityVote, _named(dense))
    swapped = _named(dense, classes=("pos", "neg"))
    with pytest.raises(InputError) as err:
        model.predict(swapped)
    assert str(err.value) == ("L given to MajorityVote: classes pos, neg but the model was fitted on classes "
                              "neg, pos (in this order); apply the same LFs with the same classes")
    unnamed = _named(dense, classes=None)   # no class names on one side: nothing to compare
    np.testing.assert_array_equal(model.predict(unnamed), model.predict(_named(dense)))


def test_made_up_names_on_either_side_go_by_position(dense):
    on_dense = _fit(DawidSkene, dense)
    assert on_dense.lf_names_ == ["lf_0", "lf_1", "lf_2", "lf_3"]
    np.testing.assert_array_equal(on_dense.predict(_named(dense)), on_dense.predict(dense))
    on_names = _fit(DawidSkene, _named(dense))
    np.testing.assert_array_equal(on_names.predict(VoteMatrix.from_dense(dense)), on_names.predict(dense))
    with pytest.raises(InputError, match="DawidSkene was fitted on 4 LFs but got 3"):
        on_dense.predict(_named(dense[:, :3], order=(0, 1, 2)))


def test_auto_model_predicts_shuffled_votes_like_its_winner(dense):
    vm = _named(dense)
    auto = _fit(AutoModel, vm)
    shuffled = _named(dense, order=(2, 0, 3, 1))
    np.testing.assert_array_equal(auto.predict_proba(shuffled), auto.predict_proba(vm))
    y = auto.predict(vm)
    assert auto.score(shuffled, y) == auto.score(vm, y) == 1.0


@pytest.mark.parametrize("key", ["ds", "majority"])
def test_a_frame_is_read_by_column_name(dense, key):
    import pandas as pd

    df = pd.DataFrame(dense, columns=NAMES)
    model = _fit(MODELS[key], df)
    assert model.lf_names_ == NAMES
    shuffled = df[["sentiment", "kw_bad", "kw_good", "stars"]]
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(df))
    with pytest.raises(InputError, match="has no LF 'stars'"):
        model.predict(df.rename(columns={"stars": "rating"}))


def test_made_up_names_in_another_order_are_put_back(dense):
    """A model fitted on a dense array (names ``lf_0`` ...) given ``select_lfs`` of the same votes
    in another order read them by position: each LF got another's accuracy, silently."""
    model = _fit(DawidSkene, dense)
    vm = VoteMatrix.from_dense(dense)
    shuffled = vm.select_lfs(["lf_3", "lf_1", "lf_0", "lf_2"])
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(dense))
    on_names = _fit(DawidSkene, shuffled)   # and the other way round
    np.testing.assert_array_equal(on_names.predict_proba(vm), on_names.predict_proba(shuffled))
