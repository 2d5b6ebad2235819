"""``score`` checks ``y`` as ``fit`` does; ``AutoModel(candidates=...)`` refuses a bad entry in one
line naming it and the expected shape."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from weaklabel import LabelModel
from weaklabel.errors import InputError
from weaklabel.models import AutoModel, DawidSkene, MajorityVote

L = np.array([[0, 0, 1], [1, 1, 0], [0, 1, -1]] * 10)
Y = np.array([0, 1, 1] * 10)


@pytest.fixture(scope="module", params=[MajorityVote, DawidSkene, LabelModel])
def fitted(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return request.param().fit(L)


@pytest.mark.parametrize("metrics", [None, ["accuracy"]], ids=["float", "metrics"])
@pytest.mark.parametrize("y,message", [
    (np.array([0, 1, 5] * 10), "y: row 2 has label 5 outside -1..1"),
    (Y[:-3], r"y: expected one label per row \(30\), got shape \(27,\)"),
    (Y[:, None], r"y: expected one label per row \(30\), got shape \(30, 1\)"),
    (np.array(["a", "b", "c"] * 10), r"y must be integers \(-1 = unknown\), got dtype <U1"),
], ids=["out-of-range", "short", "column", "strings"])
def test_score_checks_y_as_fit_does(fitted, y, message, metrics):
    with pytest.raises(InputError, match=f"^{message}$"):
        fitted.score(L, y, metrics=metrics)
    with pytest.raises(InputError, match=f"^{message}$"):   # the same words as fit's
        type(fitted)().fit(L, y)


def test_score_still_scores(fitted):
    assert fitted.score(L, Y) == pytest.approx(0.9)
    assert fitted.score(L, np.where(np.arange(30) < 3, Y, -1)) == pytest.approx(1.0)   # -1: unknown, left out
    assert fitted.score(L, Y, metrics=["accuracy"]) == {"accuracy": pytest.approx(0.9)}


SHAPE = r"a candidate is \(label, model name, params dict\[, uses_labels\]\)"


@pytest.mark.parametrize("candidates,message", [
    ([("a", "ds", {"bogus": 1})], r"^AutoModel candidate 'a': ds has no parameter 'bogus' \(its parameters: abstain, "
                                  r"smoothing, .*random_state\)$"),
    ([DawidSkene()], r"^AutoModel: candidates\[0\] is a model object \(DawidSkene\); " + SHAPE
                     + r", here \('ds', 'ds', \{\.\.\.its parameters\}\)$"),
    (["bogus"], r"^AutoModel: candidates\[0\] is 'bogus'; " + SHAPE
                + r", e\.g\. \('ds', 'ds', \{'smoothing': 0\.5\}\)$"),
    ([("a", "ds", {}), ("b", "ds")], r"^AutoModel: candidates\[1\] is \('b', 'ds'\); " + SHAPE),
    ([(1, "ds", {})], r"^AutoModel: candidates\[0\]: the label must be a string, got 1; " + SHAPE + "$"),
    ([("a", "nope", {})], r"^AutoModel candidate 'a': unknown model 'nope'; choose one of majority, weighted, "),
    ([("a", "ds", [1])], r"^AutoModel candidate 'a': params must be a dict, got \[1\]; " + SHAPE),
    ([("a", "ds", {"smoothing": -1})], r"^AutoModel candidate 'a': DawidSkene: parameter 'smoothing' must be a finite "
                                       r"number >= 0, got -1$"),
    ([("a", "ds", {}), ("b", "auto", {})], r"^AutoModel candidate 'b': model 'auto' may only be the first candidate"),
], ids=["unknown-param", "model-object", "string", "short-tuple", "label", "model-name", "params", "param-value",
        "auto-later"])
def test_bad_candidates_are_named(candidates, message):
    with pytest.raises(InputError, match=message) as err:
        AutoModel(candidates=candidates).fit(L)
    assert "\n" not in str(err.value)


def test_good_candidates_still_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = AutoModel(candidates=[("a", "ds", {"smoothing": 0.5}), ["mv", "majority", {}, False]]).fit(L)
    assert auto.chosen_ == "a" and auto.model_.smoothing == 0.5
