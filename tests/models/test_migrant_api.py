"""``weaklabel.LabelModel`` as a user coming from Snorkel's ``snorkel.labeling.model.LabelModel``
types it, and the label models as a scikit-learn user expects them: every Snorkel call and keyword
either works or fails with one clear message saying what weaklabel does instead; none is dropped
silently where it would change the labels (a class balance, a seed)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import weaklabel
from weaklabel import LabelModel
from weaklabel.errors import InputError, ModelFileError
from weaklabel.models import MODELS, AutoModel, DawidSkene, MajorityVote, WeightedMajorityVote
from weaklabel.simulate import simulate_votes

ALL = [*MODELS.values(), LabelModel]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def data():
    sim = simulate_votes(600, 6, 2, seed=1)
    return sim.votes.to_dense(), sim.y


@pytest.fixture(scope="module")
def fitted(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LabelModel(cardinality=2).fit(data[0])


def _dominated():
    """One source casts most votes: the default falls back to majority vote."""
    return np.stack([np.arange(100) % 2, np.where(np.arange(100) < 10, 1 - np.arange(100) % 2, -1)], axis=1)


# ------------------------------------------------------------------------------ the constructor
def test_snorkel_constructor_keywords_are_parameters(data, fitted):
    """``LabelModel(cardinality=2, verbose=True, device='cpu')`` is Snorkel's first line: it was a
    TypeError. Both are parameters now (documented as having no effect on the labels)."""
    L, _ = data
    lm = LabelModel(cardinality=2, verbose=True, device="cpu")
    assert lm.get_params()["verbose"] is True and lm.get_params()["device"] == "cpu"
    np.testing.assert_array_equal(lm.fit(L).predict_proba(L), fitted.predict_proba(L))
    assert clone(lm).get_params() == lm.get_params()
    with pytest.raises(InputError, match="parameter 'verbose' must be true or false"):
        LabelModel(verbose="yes").fit(L)
    with pytest.raises(InputError, match="parameter 'device' must be a string"):
        LabelModel(device=0).fit(L)


def test_every_automodel_parameter_is_a_label_model_parameter(data):
    """``weaklabel.LabelModel`` is an AutoModel, but its ``__init__`` hid most of AutoModel's
    parameters: ``set_params(class_balance=...)`` was refused, and a ``class_balance`` set as an
    attribute was lost by ``clone`` (scikit-learn rebuilds from ``get_params``)."""
    L, _ = data
    auto, lm = AutoModel().get_params(), LabelModel().get_params()
    assert {k: lm[k] for k in auto} == auto   # every parameter, with AutoModel's default
    cb = [0.8, 0.2]
    lm = LabelModel().set_params(class_balance=cb, min_rows_gained=3.0)
    assert clone(lm).get_params()["class_balance"] == cb
    np.testing.assert_array_equal(LabelModel(class_balance=cb).fit(L).predict_proba(L),
                                  AutoModel(class_balance=cb).fit(L).predict_proba(L))


# ------------------------------------------------------------------------------ fit's keywords
def test_fit_class_balance_is_used(data, fitted):
    """Snorkel's ``fit(L, class_balance=[...])`` was a TypeError; it is this fit's class balance,
    as ``AutoModel(class_balance=...)``, and leaves the model's parameters as they were."""
    L, _ = data
    cb = [0.8, 0.2]
    lm = LabelModel(cardinality=2)
    got = lm.fit(L_train=L, class_balance=cb).predict_proba(L)
    np.testing.assert_array_equal(got, AutoModel(class_balance=cb).fit(L).predict_proba(L))
    assert not np.allclose(got, fitted.predict_proba(L))
    np.testing.assert_allclose(lm.class_balance_, cb)
    assert lm.get_params() == LabelModel(cardinality=2).get_params()   # a fit argument, not a parameter
    with pytest.raises(InputError, match="class_balance must be 2 positive numbers"):
        LabelModel().fit(L, class_balance=[0.2, 0.3, 0.5])


def test_fit_y_dev_gives_the_class_balance_as_in_snorkel(data):
    """Snorkel's ``Y_dev``: gold labels of a separate dev set, used only for the class balance
    (their class frequencies). Not rows of ``L``: that is weaklabel's ``y``."""
    L, y = data
    Y_dev = y[:120]
    freq = np.bincount(Y_dev, minlength=2) / len(Y_dev)
    got = LabelModel().fit(L, Y_dev=Y_dev)
    np.testing.assert_allclose(got.class_balance_, freq)
    np.testing.assert_array_equal(got.predict_proba(L), AutoModel(class_balance=freq.tolist()).fit(L).predict_proba(L))
    np.testing.assert_allclose(LabelModel().fit(L, Y_dev=np.r_[Y_dev, -1, -1]).class_balance_, freq)  # -1: unknown
    with pytest.raises(InputError, match="Y_dev has no label of class 1"):
        LabelModel().fit(L, Y_dev=np.zeros(20, dtype=int))
    with pytest.raises(InputError, match="class_balance or Y_dev, not both"):
        LabelModel().fit(L, Y_dev=Y_dev, class_balance=[0.5, 0.5])
    with pytest.raises(InputError, match="Y_dev: row 0 has label 2 outside -1..1"):
        LabelModel().fit(L, Y_dev=[2, 0, 1])


def test_fit_seed_seeds_the_fit(data):
    """Snorkel's ``fit(seed=123)`` was a TypeError; it is this fit's ``random_state`` (which the
    default model's choice depends on), the parameter left as it was."""
    L, _ = data
    lm = LabelModel().fit(L, seed=7)
    ref = LabelModel(random_state=7).fit(L)
    np.testing.assert_array_equal(lm.predict_proba(L), ref.predict_proba(L))
    assert lm.model_.random_state == 7 and lm.random_state == 0
    assert not np.array_equal(LabelModel().fit(L).predict_proba(L), ref.predict_proba(L))
    with pytest.raises(InputError, match="parameter 'random_state' must be None or an integer seed >= 0, got -1"):
        LabelModel().fit(L, seed=-1)


@pytest.mark.parametrize("kw", [
    {"n_epochs": 500}, {"lr": 0.01}, {"optimizer": "adam"}, {"log_freq": 100}, {"progress_bar": False},
    {"lr_scheduler": "linear"}, {"optimizer_config": {}}, {"lr_scheduler_config": {}}, {"l2": 0.0},
], ids=lambda kw: next(iter(kw)))
def test_fit_gradient_settings_are_accepted_and_change_nothing(data, fitted, kw):
    """Settings of Snorkel's gradient descent (weaklabel has none: EM and closed forms run to
    convergence) are accepted, as documented, and change nothing; ``l2=0`` is no penalty."""
    L, _ = data
    np.testing.assert_array_equal(LabelModel(cardinality=2).fit(L, **kw).predict_proba(L), fitted.predict_proba(L))


@pytest.mark.parametrize("kw,name", [({"l2": 0.1}, "l2"), ({"prec_init": 0.7}, "prec_init"),
                                     ({"mu_eps": 0.01}, "mu_eps")])
def test_fit_refuses_snorkel_model_settings_it_cannot_honour(data, kw, name):
    """``l2``, ``prec_init``, ``mu_eps`` shape the accuracies Snorkel's fit converges to: ignored
    they would be a silent difference, so they are refused with what to do instead."""
    with pytest.raises(InputError, match=f"fit: {name} .*weaklabel.*remove it"):
        LabelModel().fit(data[0], **kw)


def test_fit_refuses_an_unknown_keyword_by_name(data):
    with pytest.raises(InputError, match=r"fit\(\) got an unknown keyword 'clas_balance'.*class_balance"):
        LabelModel().fit(data[0], clas_balance=[0.5, 0.5])


# ------------------------------------------------------------------------------ predict and score
def test_predict_return_probs(data, fitted):
    """Snorkel's ``predict(L, return_probs=True)`` was a TypeError; positional ``predict(L, True)``
    (Snorkel's order) was the error ``ties must be one of random, abstain, got True``."""
    L, _ = data
    pred, proba = fitted.predict(L, return_probs=True)
    np.testing.assert_array_equal(pred, fitted.predict(L))
    np.testing.assert_array_equal(proba, fitted.predict_proba(L))
    pred2, proba2 = fitted.predict(L, True, tie_break_policy="abstain")
    np.testing.assert_array_equal(pred2, fitted.predict(L, ties="abstain"))
    assert isinstance(fitted.predict(L, False), np.ndarray)


def test_score_snorkel_spellings(data, fitted):
    """Snorkel's tutorial line ``score(L=L_test, Y=Y_test, tie_break_policy="random")["accuracy"]``
    was a TypeError (no ``Y``); so was indexing the float that ``score`` returns without
    ``metrics``. Snorkel's positional ``score(L, Y, ["accuracy", "f1"])`` put the list in ``ties``."""
    L, y = data
    acc = fitted.score(L=L, Y=y, tie_break_policy="random")
    assert isinstance(acc, float) and acc == pytest.approx((fitted.predict(L) == y).mean())
    assert acc["accuracy"] == acc and fitted.score(L, y)["accuracy"] == acc   # Snorkel's dict spelling
    with pytest.raises(KeyError, match="metrics="):
        acc["f1"]
    got = fitted.score(L, y, ["accuracy", "f1"])
    assert got == fitted.score(L, y, metrics=["accuracy", "f1"]) and set(got) == {"accuracy", "f1"}
    assert fitted.score(L, y, ["coverage"], "abstain") == fitted.score(L, y, metrics=["coverage"], ties="abstain")
    with pytest.raises(InputError, match="y or Y, not both"):
        fitted.score(L, y, Y=y)
    with pytest.raises(InputError, match="score\\(\\) needs the gold labels"):
        fitted.score(L)
    with pytest.raises(InputError, match="unknown metric 'roc_auc'"):
        fitted.score(L, y, metrics=["roc_auc"])


# ------------------------------------------------------------------------------ save, load, weights
def test_save_and_load_as_snorkel(data, fitted, tmp_path):
    """``save(path)`` / ``load(path)`` were AttributeErrors. ``load`` works on the class (a new
    model) and, as Snorkel's, on a model (loaded into it); ``save`` replaces the file, as Snorkel's."""
    L, _ = data
    path = tmp_path / "label_model.json"
    fitted.save(path)
    fitted.save(path)                                   # again: replaced, as Snorkel's save
    want = fitted.predict_proba(L)
    back = LabelModel.load(path)
    assert type(back) is LabelModel
    np.testing.assert_array_equal(back.predict_proba(L), want)
    into = LabelModel(cardinality=3)
    assert into.load(path) is into and into.cardinality == 2
    np.testing.assert_array_equal(into.predict_proba(L), want)
    np.testing.assert_array_equal(weaklabel.BaseLabelModel.load(path).predict_proba(L), want)
    with pytest.raises(InputError, match=r"not \.pkl: name it label_model\.json"):
        fitted.save(tmp_path / "label_model.pkl")
    MajorityVote().fit(L).save(tmp_path / "mv.json")
    with pytest.raises(ModelFileError, match="holds a MajorityVote, not a LabelModel"):
        LabelModel().load(tmp_path / "mv.json")
    with pytest.raises(ModelFileError, match="holds a MajorityVote, not a DawidSkene"):
        DawidSkene.load(tmp_path / "mv.json")
    with pytest.raises(InputError, match="not fitted yet"):
        LabelModel().save(tmp_path / "unfitted.json")


def test_get_weights_are_the_lf_accuracies(data, fitted):
    """Snorkel's ``get_weights()``: each LF's accuracy when it votes, ``accuracies_`` here."""
    L, _ = data
    w = fitted.get_weights()
    assert w.shape == (L.shape[1],) and np.all((w >= 0) & (w <= 1))
    np.testing.assert_array_equal(w, fitted.accuracies_)
    w[:] = 0   # a copy
    assert fitted.accuracies_.max() > 0
    mv = LabelModel().fit(_dominated())
    assert mv.selection_["choice"] == "majority"
    with pytest.raises(InputError, match="majority vote, which estimates no LF accuracies"):
        mv.get_weights()
    with pytest.raises(InputError, match="not fitted yet"):
        LabelModel().get_weights()


def test_get_conditional_probs_says_what_there_is_instead(fitted):
    with pytest.raises(InputError, match="get_conditional_probs.*get_weights\\(\\)"):
        fitted.get_conditional_probs()


# ------------------------------------------------------------------------------ Snorkel-style L
@pytest.mark.parametrize("kind", ["int64", "int8", "list", "frame"])
def test_snorkel_style_votes(data, fitted, kind):
    L, _ = data
    given = {"int64": L.astype(np.int64), "int8": L.astype(np.int8), "list": L.tolist(), "frame": pd.DataFrame(L)}[kind]
    np.testing.assert_array_equal(LabelModel(cardinality=2).fit(given).predict_proba(given), fitted.predict_proba(L))


def test_a_frame_with_nan_abstains_is_refused_clearly(data):
    L, _ = data
    frame = pd.DataFrame(np.where(L < 0, np.nan, L))
    with pytest.raises(InputError, match="vote is NaN; votes must be integers 0..K-1 with -1 for abstain"):
        LabelModel().fit(frame)


# ------------------------------------------------------------------------------ scikit-learn
def test_get_params_deep_has_the_nested_keys():
    """scikit-learn's ``get_params(deep=True)`` lists a parameter estimator's own parameters as
    ``name__sub`` (what ``set_params`` and grid searches take); it ignored ``deep``."""
    wmv = WeightedMajorityVote(estimator=DawidSkene(smoothing=0.5))
    deep, shallow = wmv.get_params(deep=True), wmv.get_params(deep=False)
    assert deep["estimator__smoothing"] == 0.5 and "estimator__smoothing" not in shallow
    assert {k: v for k, v in deep.items() if "__" not in k} == shallow
    assert set(deep) - set(shallow) == {f"estimator__{k}" for k in DawidSkene().get_params()}
    assert repr(wmv) == "WeightedMajorityVote(estimator=DawidSkene(smoothing=0.5))"


def test_a_nested_estimator_still_round_trips(data, tmp_path):
    L, _ = data
    wmv = WeightedMajorityVote(estimator=DawidSkene(smoothing=0.5)).fit(L)
    assert set(wmv.to_dict()["params"]) == set(wmv.get_params(deep=False))   # the file: no nested keys
    back = weaklabel.models.BaseLabelModel.from_dict(wmv.to_dict())
    assert repr(back) == repr(wmv) and back.get_params(deep=True).keys() == wmv.get_params(deep=True).keys()
    np.testing.assert_allclose(back.predict_proba(L), wmv.predict_proba(L))
    wmv.save(tmp_path / "w.json")
    assert repr(WeightedMajorityVote.load(tmp_path / "w.json")) == repr(wmv)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_n_features_in(cls, data, tmp_path):
    """scikit-learn's ``n_features_in_``: the number of LFs, once fitted (also after loading)."""
    L, _ = data
    model = cls()
    assert not hasattr(model, "n_features_in_")
    model.fit(L)
    assert model.n_features_in_ == L.shape[1]
    model.save(tmp_path / "m.json")
    assert type(model).load(tmp_path / "m.json").n_features_in_ == L.shape[1]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_fit_keeps_parameters_returns_self_and_pickles(cls, data):
    """scikit-learn's estimator checks that take vote data: ``fit`` returns the model and leaves
    its parameters alone, a second fit gives the same answer, a clone is unfitted with the same
    parameters, a pickled model predicts the same."""
    L, _ = data
    model = cls()
    before = model.get_params(deep=False)
    assert model.fit(L) is model
    after = model.get_params(deep=False)
    assert list(after) == list(before) and all(after[k] is before[k] for k in before)
    first = model.predict_proba(L)
    np.testing.assert_array_equal(model.fit(L).predict_proba(L), first)
    c = clone(model)
    assert not hasattr(c, "class_balance_") and c.get_params(deep=False).keys() == before.keys()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(L), first)


def test_fit_with_snorkel_keywords_keeps_parameters(data):
    """The same check with Snorkel's fit keywords: they are this fit's, not the model's."""
    L, y = data
    lm = LabelModel(class_balance=[0.6, 0.4])
    before = lm.get_params()
    lm.fit(L, Y_dev=y[:100], seed=5, n_epochs=10)
    assert lm.get_params() == before


def test_model_files_of_the_default_model(data, fitted):
    """A model file from before ``LabelModel`` took every AutoModel parameter (six of them) still
    loads, with AutoModel's defaults; the new parameters are checked on load like the others."""
    L, _ = data
    old = fitted.to_dict()
    old["params"] = {k: old["params"][k] for k in ("cardinality", "candidates", "cv", "margin", "min_labels",
                                                   "random_state")}
    back = weaklabel.models.BaseLabelModel.from_dict(old)
    assert type(back) is LabelModel and back.get_params() == fitted.get_params()
    np.testing.assert_array_equal(back.predict_proba(L), fitted.predict_proba(L))
    bad = fitted.to_dict()
    bad["params"]["verbose"] = "yes"
    with pytest.raises(ModelFileError, match="parameter 'verbose' must be true or false"):
        weaklabel.models.BaseLabelModel.from_dict(bad)
