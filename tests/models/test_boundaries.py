"""Every model at the boundary values of its numeric hyper-parameters: finite probabilities whose
rows sum to 1, or an InputError naming the parameter. The values come from the constraints the
models declare (``_parameter_constraints``), so a new parameter is fuzzed without a new test."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from weaklabel.errors import InputError
from weaklabel.models import MODELS, DawidSkene, HybridDawidSkene, OneCoinDawidSkene, WeightedMajorityVote
from weaklabel.models.constraints import Interval
from weaklabel.simulate import simulate_votes

#: an unbounded real is tried this far out; unbounded integers are not (max_iter=10**12 is only slow)
FAR = 1e12


def _edge(end: float, closed: bool, inward: int, kind: str) -> float:
    """The extreme accepted value at one end of an interval: the end itself when it is closed,
    else the next integer or float inside it (5e-324 for a real ``> 0``)."""
    if closed:
        return end
    return end + inward if kind == "int" else float(np.nextafter(end, end + inward))


def boundary_values(c: Interval) -> list:
    out = []
    if c.left is not None:
        out.append(_edge(c.left, c.closed in ("both", "left"), 1, c.kind))
    elif c.kind == "real":
        out.append(-FAR)
    if c.right is not None:
        out.append(_edge(c.right, c.closed in ("both", "right"), -1, c.kind))
    elif c.kind == "real":
        out.append(FAR)
    return out


CASES = [(key, name, value) for key, cls in MODELS.items() for name, cons in cls._parameter_constraints.items()
         for c in cons if isinstance(c, Interval) for value in boundary_values(c)]


def _hard_votes():
    """Three classes, sources that are never wrong (every confusion row is zero but for one entry)
    and a source that never votes: the counts that made maximum-likelihood rows 0/0 and the
    pinned bias log(0)."""
    sim = simulate_votes(240, 5, 3, coverage=[0.7, 0.6, 0.5, 0.4, 0.0], accuracy=1.0, seed=3)
    y = np.full(sim.votes.n_rows, -1)
    y[:60] = sim.y[:60]
    return sim.votes, y


def _plain_votes():
    sim = simulate_votes(240, 5, 2, seed=4)
    y = np.full(sim.votes.n_rows, -1)
    y[:60] = sim.y[:60]
    return sim.votes, y


@pytest.fixture(scope="module")
def matrices():
    return {"hard": _hard_votes(), "plain": _plain_votes()}


def _check(key: str, name: str, value, L, y) -> None:
    cls = MODELS[key]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # fit notes are not the point here
            model = cls(**{name: value}).fit(L, y)
            proba = model.predict_proba(L)
    except InputError as exc:   # refusing the value is fine, if the message names it
        assert name in str(exc), str(exc)
        return
    where = f"{cls.__name__}({name}={value!r})"
    assert np.isfinite(proba).all(), f"{where}: non-finite probabilities"
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9, err_msg=where)
    acc = getattr(model, "accuracies_", None)
    assert acc is None or np.isfinite(acc).all(), f"{where}: accuracies_ {acc}"


@pytest.mark.parametrize("key,name,value", CASES, ids=[f"{k}-{n}={v!r}" for k, n, v in CASES])
@pytest.mark.parametrize("votes", ["hard", "plain"])
@pytest.mark.parametrize("gold", [False, True], ids=["no-gold", "gold"])
def test_boundary_values_give_finite_probabilities(matrices, key, name, value, votes, gold):
    L, y = matrices[votes]
    _check(key, name, value, L, y if gold else None)


def test_the_reported_cases():
    """The adversarial run's examples, with the numbers a user sees."""
    L = np.array([[0, 0, 0], [1, 1, 1]] * 10)
    h = HybridDawidSkene(conf_strength=0).fit(L)
    np.testing.assert_array_equal(h.predict(L), [0, 1] * 10)
    assert np.isfinite(h.predict_proba(L)).all()
    ds = DawidSkene(smoothing=0).fit(np.array([[1], [0]]), np.array([1, 1]))
    # class 0 has no gold row and no vote: its confusion row is the prior (0.7 on the diagonal)
    np.testing.assert_allclose(ds.confusion_[0, 0], [0.7, 0.3])
    assert np.isfinite(ds.predict_proba(np.array([[1], [0]]))).all()
    silent = np.array([[0, 0, -1], [1, 1, -1], [0, 1, -1]] * 5)
    oc = OneCoinDawidSkene(smoothing=0).fit(silent)
    assert oc.accuracies_[2] == pytest.approx(0.7)   # never votes: the prior accuracy
    wmv = WeightedMajorityVote(weights=[1.0, 2.0, 2.5], temperature=5e-324).fit(silent)
    np.testing.assert_array_equal(wmv.predict_proba(np.array([[0, 1, -1], [1, 0, 0]])), [[0, 1], [1, 0]])
