"""Review of cdfc950 (Snorkel's spellings on ``weaklabel.LabelModel``): the cases it missed."""

from __future__ import annotations

import inspect
import pickle
import warnings

import numpy as np
import pytest

from weaklabel import LabelModel
from weaklabel.errors import ModelFileError
from weaklabel.models import AutoModel, MajorityVote
from weaklabel.simulate import simulate_votes


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def data():
    sim = simulate_votes(300, 5, 2, seed=4)
    return sim.votes.to_dense(), sim.y


def test_label_model_load_reads_the_file_weaklabel_fit_saves(data, tmp_path):
    """``weaklabel fit --save-model`` writes the default model as an ``AutoModel``;
    ``weaklabel.LabelModel`` *is* that model under Snorkel's name, and ``load``'s docstring names
    ``fit --save-model`` files, yet ``LabelModel.load(path)`` refused them ("holds a AutoModel,
    not a LabelModel"), on the class and on an instance."""
    L, _ = data
    auto = AutoModel().fit(L)
    path = tmp_path / "model.json"
    auto.save(path)
    back = LabelModel.load(path)
    assert type(back) is LabelModel
    np.testing.assert_array_equal(back.predict_proba(L), auto.predict_proba(L))
    assert back.get_params(deep=False) == {**LabelModel().get_params(deep=False), **auto.get_params(deep=False)}
    into = LabelModel(cardinality=2)
    assert into.load(path) is into and type(into) is LabelModel
    np.testing.assert_array_equal(into.predict_proba(L), auto.predict_proba(L))
    # still refused: another model's file, and a LabelModel file read as a plain AutoModel stays one
    MajorityVote().fit(L).save(tmp_path / "mv.json")
    with pytest.raises(ModelFileError, match="holds a MajorityVote"):
        LabelModel.load(tmp_path / "mv.json")
    assert type(AutoModel.load(path)) is AutoModel


def test_load_shows_its_real_signature():
    """``help(LabelModel.load)`` / ``inspect.signature`` showed ``(cls, self, path)``: the
    descriptor's private arguments, which no caller passes."""
    for bound in (LabelModel.load, LabelModel().load, MajorityVote.load):
        assert list(inspect.signature(bound).parameters) == ["path"]
    assert LabelModel.load.__name__ == "load" and "model.json" in LabelModel.load.__doc__


def test_unpickled_model_from_before_verbose_and_device(data):
    """A ``LabelModel`` pickled by the release before cdfc950 has no ``verbose`` / ``device``
    attributes: ``repr``, ``get_params``, ``clone`` and ``save`` then raised AttributeError."""
    L, _ = data
    lm = LabelModel(cardinality=2).fit(L)
    state = pickle.loads(pickle.dumps(lm))
    del state.__dict__["verbose"], state.__dict__["device"]   # as an older pickle holds it
    assert state.get_params()["verbose"] is False and state.get_params()["device"] == "cpu"
    assert repr(state) == "LabelModel(cardinality=2)"
    np.testing.assert_array_equal(state.predict_proba(L), lm.predict_proba(L))
