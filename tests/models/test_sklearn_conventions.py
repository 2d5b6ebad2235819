"""The label models as scikit-learn estimators: scikit-learn's own tools (``check_is_fitted``,
``GridSearchCV``, ``cross_val_score``), its not-fitted error, nested ``set_params``; and a
column-permuted default DataFrame read by column, not by position."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.validation import check_is_fitted

import weaklabel
from weaklabel.errors import InputError
from weaklabel.models import MODELS, DawidSkene, MajorityVote, WeightedMajorityVote

ALL = [*MODELS.values(), weaklabel.LabelModel]


def _votes(n=300, m=5, K=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    right = rng.random((n, m)) < rng.uniform(0.6, 0.9, m)
    L = np.where(right, y[:, None], (y[:, None] + rng.integers(1, K, (n, m))) % K)
    L[:, m - 1] = np.where(rng.random(n) < 0.5, 0, -1)   # a biased LF: reading it in another column matters
    return np.where(rng.random((n, m)) < 0.6, L, -1), y


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_check_is_fitted_works(cls):
    """scikit-learn >= 1.6 asks every estimator for ``__sklearn_tags__``: without it
    ``check_is_fitted`` (and every model-selection tool) raised an AttributeError."""
    L, _ = _votes()
    with pytest.raises(NotFittedError):
        check_is_fitted(cls())
    check_is_fitted(cls().fit(L))


def test_model_selection_tools_run():
    L, y = _votes()
    gold = np.where(np.arange(len(y)) % 2 == 0, y, -1)
    assert cross_val_score(MajorityVote(), L, gold, cv=3).shape == (3,)
    search = GridSearchCV(DawidSkene(), {"smoothing": [0.5, 1.0]}, cv=3).fit(L, gold)
    assert search.best_params_["smoothing"] in (0.5, 1.0)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_predict_before_fit_is_sklearn_not_fitted_error(cls):
    L, _ = _votes()
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        cls().predict_proba(L)
    with pytest.raises(InputError):   # still the CLI's one-line error
        cls().predict(L)


def test_not_fitted_error_pickles():
    try:
        DawidSkene().predict_proba(np.zeros((1, 2), dtype=int))
    except NotFittedError as exc:
        again = pickle.loads(pickle.dumps(exc))
    assert isinstance(again, NotFittedError) and isinstance(again, InputError)
    assert str(again) == "DawidSkene is not fitted yet; call fit() first"


def test_nested_set_params():
    inner = DawidSkene()
    wmv = WeightedMajorityVote(estimator=inner).set_params(estimator__max_iter=5, temperature=2.0)
    assert inner.max_iter == 5 and wmv.temperature == 2.0
    # the plain parameter first, then its nested one, as scikit-learn
    wmv.set_params(estimator__smoothing=0.5, estimator=DawidSkene())
    assert wmv.estimator.smoothing == 0.5 and inner.smoothing == 1.0
    with pytest.raises(ValueError, match="estimator is None, not an estimator"):
        WeightedMajorityVote().set_params(estimator__max_iter=5)
    with pytest.raises(ValueError, match="invalid parameter 'bogus__x'"):
        wmv.set_params(bogus__x=1)
    L, y = _votes()
    search = GridSearchCV(WeightedMajorityVote(estimator=DawidSkene()), {"estimator__smoothing": [0.5, 1.0]},
                          cv=3).fit(L, y)
    assert search.best_params_["estimator__smoothing"] in (0.5, 1.0)


@pytest.mark.parametrize("fit_on", ["array", "frame"])
def test_permuted_default_frame_is_read_by_column(fit_on):
    """``pd.DataFrame(L)[[3, 1, 2, 0, 4]]`` names its columns by their place in ``L``: a model
    fitted on ``L`` (or on ``pd.DataFrame(L)``) read it by position, each LF's votes with another
    LF's accuracy, silently."""
    L, _ = _votes()
    model = DawidSkene().fit(L if fit_on == "array" else pd.DataFrame(L))
    perm = [3, 1, 2, 0, 4]
    want = model.predict_proba(L)
    np.testing.assert_array_equal(model.predict_proba(pd.DataFrame(L)[perm]), want)
    named = pd.DataFrame(L).rename(columns=str)[[str(j) for j in perm]]   # string column names alike
    np.testing.assert_array_equal(model.predict_proba(named), want)
    # a numpy array stays read by position, as documented
    assert not np.array_equal(model.predict_proba(L[:, perm]), want)
