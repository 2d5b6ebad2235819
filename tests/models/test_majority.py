import json

import numpy as np
import pytest

from weaklabel import MajorityVote, VoteMatrix, load_model, save_model
from weaklabel.errors import ModelFileError
from weaklabel.models import BaseLabelModel as LabelModel, break_ties

L = np.array([
    [0, 0, 1],
    [0, 1, -1],    # tie
    [1, 1, 1],
    [-1, -1, -1],  # uncovered
    [2, 2, 0],
])


def test_probabilities_and_labels():
    mv = MajorityVote(ties="uniform").fit(L)
    p = mv.predict_proba(L)
    np.testing.assert_allclose(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], [0.5, 0.5, 0])
    np.testing.assert_allclose(p[3], mv.class_balance_)
    np.testing.assert_allclose(p.sum(axis=1), 1)
    assert mv.predict(L)[[0, 2, 4]].tolist() == [0, 1, 2]


def test_tie_policies_are_seeded():
    mv = MajorityVote(ties="random", random_state=3).fit(L)
    p = mv.predict_proba(L)
    assert sorted(p[1].tolist()) == [0.0, 0.0, 1.0]
    assert MajorityVote(ties="random", random_state=3).fit(L).predict(L).tolist() == mv.predict(L).tolist()
    assert MajorityVote(ties="abstain").fit(L).predict(L)[1] == -1
    # a random tie-break picks each tied class about equally often
    big = np.tile(np.array([[0, 1]]), (4000, 1))
    labels = MajorityVote(ties="random", random_state=0).fit(big).predict(big)
    assert abs(labels.mean() - 0.5) < 0.05


def test_class_balance_from_gold_when_given():
    y = np.array([2, 2, 0, -1, 2])
    mv = MajorityVote().fit(L, y)
    assert mv.class_balance_.argmax() == 2
    # gold labels all of one class are no sample of the mix: not used (test_models.py)
    one = MajorityVote().fit(L, np.array([2, 2, 2, -1, 2]))
    assert np.allclose(one.class_balance_, MajorityVote().fit(L).class_balance_)


def test_break_ties_helper():
    proba = np.array([[0.5, 0.5], [0.2, 0.8]])
    assert break_ties(proba, "abstain", 0).tolist() == [-1, 1]
    assert break_ties(proba, "random", 0)[1] == 1


def test_estimator_conventions():
    mv = MajorityVote(ties="uniform", random_state=5)
    assert mv.get_params() == {"ties": "uniform", "random_state": 5}
    mv.set_params(ties="abstain")
    assert mv.ties == "abstain"
    from sklearn.base import clone

    c = clone(mv)
    assert c.get_params() == mv.get_params() and c is not mv
    with pytest.raises(ValueError):
        mv.set_params(nope=1)


def test_save_load_round_trip(tmp_path):
    vm = VoteMatrix.from_dense(L, cardinality=3)
    mv = MajorityVote(ties="uniform").fit(vm)
    save_model(mv, tmp_path / "m.json")
    back = load_model(tmp_path / "m.json")
    assert isinstance(back, MajorityVote) and back.get_params() == mv.get_params()
    np.testing.assert_allclose(back.predict_proba(vm), mv.predict_proba(vm))


@pytest.mark.parametrize("mutate, msg", [
    (lambda d: d.update(model="os.system"), "unknown model class"),
    (lambda d: d["params"].update(evil=1), "unknown parameter"),
    (lambda d: d["learned"].update(class_balance_={"__array__": [0.5], "dtype": "float64", "shape": [1]}),
     "class_balance_"),
    (lambda d: d["learned"].update(__class__="x"), "unknown learned field"),
    (lambda d: d.update(format="pickle"), "not a weaklabel model file"),
])
def test_tampered_model_files_are_rejected(tmp_path, mutate, msg):
    mv = MajorityVote().fit(L)
    d = mv.to_dict()
    mutate(d)
    p = tmp_path / "m.json"
    p.write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match=msg):
        load_model(p)
    p.write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(p)
    assert LabelModel.from_dict(mv.to_dict()).class_balance_.shape == (3,)
