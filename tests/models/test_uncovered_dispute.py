"""Rows without votes, two classes, every class voted: where a model of which rows the LFs leave
unvoted disputes the class prior of the voted rows, they get equal probabilities (PROTOCOL §28)."""

import numpy as np
import pytest

from weaklabel.models import MODELS
from weaklabel.models.uncovered import disputed, who_abstains
from weaklabel.votes import VoteMatrix
from conftest import spam_keyword_rules as keyword_rules


def expected_correct(P, y):
    top = np.isclose(P, P.max(axis=1, keepdims=True))
    return (top / top.sum(axis=1, keepdims=True))[np.arange(y.size), y]


def test_who_abstains_finds_the_class_the_rules_leave_alone():
    vm, y = keyword_rules()
    empty = vm.votes_per_row() == 0
    assert y[empty].mean() < 0.1 and y[~empty].mean() > 0.6   # the regime: spam voted, ham left
    model = MODELS["majority"]().fit(vm)
    prior = model._predict_proba(vm.take(np.flatnonzero(empty)[:1]))[0]
    q = who_abstains(vm, model._predict_proba(vm), prior)
    assert prior.argmax() == 1 and q.argmax() == 0 and disputed(prior, q)
    assert q[0] > 0.8   # the truth there: over 90% ham
    assert not disputed(np.array([0.5, 0.5]), q) and not disputed(prior, prior)



def tied_fit(name, vm):
    """A fit whose rows without votes got a tie: the model, its probabilities, which rows have no
    vote, the one warning that says so, and the class prior those rows would have had."""
    empty = vm.votes_per_row() == 0
    model = MODELS[name]().fit(vm)
    P = model.predict_proba(vm)
    assert np.allclose(P[empty], 0.5)
    note = [w for w in model.warnings_ if "row(s) without votes get equal probabilities" in w]
    assert len(note) == 1
    prior = np.tile(getattr(model, "model_", model).class_balance_, (int(empty.sum()), 1))
    return model, P, empty, note[0], prior

@pytest.mark.parametrize("name", ["auto", "hybrid", "majority"])
def test_disputed_prior_gives_rows_without_votes_a_tie_and_says_so(name):
    vm, y = keyword_rules()
    model, P, empty, note, prior = tied_fit(name, vm)
    assert (model.predict(vm, ties="abstain")[empty] == -1).all()
    assert f"{int(empty.sum()):,} row(s)" in note and "says class 1" in note
    # the prior (spam) would have been wrong on most of those rows: the tie gains over it
    assert expected_correct(P[empty], y[empty]).mean() > expected_correct(prior, y[empty]).mean() + 0.3
    # rows with votes are untouched
    assert np.isclose(P[~empty, 1], 0.5).mean() < 0.2


def test_rules_that_fire_regardless_of_the_class_keep_the_prior():
    # LFs whose firing does not depend on the class: the rows they leave are a random part of the
    # data, the model of who abstains agrees with the prior, and the prior (70% class 1) is kept
    from weaklabel.simulate import simulate_votes

    sim = simulate_votes(6000, 5, 2, coverage=(0.2, 0.4), class_balance=[0.3, 0.7], seed=3)
    vm = sim.votes
    empty = vm.votes_per_row() == 0
    assert empty.sum() > 500
    for name in ("auto", "hybrid", "majority"):
        model = MODELS[name]().fit(vm)
        inner = getattr(model, "model_", model)
        assert np.allclose(model.predict_proba(vm)[empty], inner.class_balance_)
        assert inner.class_balance_.argmax() == 1
        assert not any("row(s) without votes get equal" in w for w in model.warnings_)


def test_three_classes_keep_the_prior():
    vm, _ = keyword_rules()
    L = vm.to_dense()
    L[L == 0] = 2   # the ham rule votes a third class; class 0 is voted by nobody... give it a rule
    L[:50, 5] = 0
    vm3 = VoteMatrix.from_dense(L, cardinality=3)
    model = MODELS["majority"]().fit(vm3)
    empty = vm3.votes_per_row() == 0
    assert np.allclose(model.predict_proba(vm3)[empty], model.class_balance_)


def test_stream_and_memory_fits_agree(tmp_path):
    from weaklabel.fit import fit_file

    vm, _ = keyword_rules()
    votes = tmp_path / "votes.parquet"
    vm.to_parquet(votes)
    import pyarrow.parquet as pq

    out = {}
    for stream in (False, True):
        path = tmp_path / f"labels_{stream}.parquet"
        fit_file(votes, path, stream=stream)
        out[stream] = pq.read_table(path).to_pandas()
    assert out[False].equals(out[True])
    empty = vm.votes_per_row() == 0
    assert np.allclose(out[True]["prob_1"].to_numpy()[empty], 0.5)


def few_votes(n=6000, seed=0):
    """One spam rule and one ham rule that fire on a few dozen rows each: the voted rows are mostly
    spam, the data mostly ham, and with one rule a class nothing in the votes says how the rows no
    rule fires on split (a capture-recapture estimate needs two captures; PROTOCOL §30)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    L = np.full((n, 2), -1)
    L[rng.permutation(np.flatnonzero(y == 1))[:80], 0] = 1
    L[rng.permutation(np.flatnonzero(y == 0))[:20], 1] = 0
    return VoteMatrix.from_dense(L, cardinality=2), y


def test_who_abstains_cannot_say_where_rules_never_fire_together():
    vm, y = few_votes()
    model = MODELS["majority"]().fit(vm)
    P = model._predict_proba(vm)
    prior = model._predict_proba(vm.take(np.flatnonzero(vm.votes_per_row() == 0)[:1]))[0]
    assert prior.argmax() == 1
    # the fixed point stays on the side it starts from: no answer either way
    assert not disputed(prior, who_abstains(vm, P, prior))
    assert disputed(prior, who_abstains(vm, P, prior[::-1]))


@pytest.mark.parametrize("name", ["auto", "hybrid", "majority"])
def test_rows_without_votes_the_votes_say_nothing_about_get_a_tie(name):
    vm, y = few_votes()
    model, P, empty, note, prior = tied_fit(name, vm)
    assert "says class 1" in note and "fits class 0 as well" in note
    # the voted rows' mix (80 spam rows of 100) would have labelled 70% ham rows spam
    assert expected_correct(prior, y[empty]).mean() < 0.35 < expected_correct(P[empty], y[empty]).mean()
    # the rules' own rows keep their votes
    assert (P[~empty].argmax(axis=1) == vm.to_dense()[~empty].max(axis=1)).all()
