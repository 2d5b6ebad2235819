"""Label models: parameter recovery on simulated data, conventions, serialisation, determinism."""

import json

import numpy as np
import pytest

from weaklabel import VoteMatrix, load_model, save_model
from weaklabel.errors import InputError
from weaklabel.models import (DawidSkene, MajorityVote, MatrixCompletion, OneCoinDawidSkene, Triplet,
                              WeightedMajorityVote, make_model, MODELS)
from weaklabel.simulate import simulate_votes

LEARNERS = [DawidSkene, OneCoinDawidSkene, MatrixCompletion, Triplet, WeightedMajorityVote]


@pytest.fixture(scope="module")
def binary():
    return simulate_votes(100_000, 20, 2, class_balance=[0.3, 0.7], seed=11)


@pytest.fixture(scope="module")
def multiclass():
    return simulate_votes(100_000, 15, 4, class_balance=[0.1, 0.2, 0.3, 0.4], seed=12)


@pytest.mark.parametrize("cls", LEARNERS)
def test_recovers_accuracies_binary(cls, binary):
    model = cls().fit(binary.votes)
    np.testing.assert_allclose(model.accuracies_, binary.accuracies, atol=0.03)
    np.testing.assert_allclose(model.class_balance_, binary.class_balance, atol=0.03)
    mv = (MajorityVote().fit(binary.votes).predict(binary.votes) == binary.y).mean()
    acc = (model.predict(binary.votes) == binary.y).mean()
    assert acc > mv + 0.02, (acc, mv)


@pytest.mark.parametrize("cls", LEARNERS)
def test_recovers_accuracies_multiclass(cls, multiclass):
    model = cls().fit(multiclass.votes)
    np.testing.assert_allclose(model.accuracies_, multiclass.accuracies, atol=0.03)
    if cls is not WeightedMajorityVote:
        np.testing.assert_allclose(model.class_balance_, multiclass.class_balance, atol=0.03)
    mv = (MajorityVote().fit(multiclass.votes).predict(multiclass.votes) == multiclass.y).mean()
    assert (model.predict(multiclass.votes) == multiclass.y).mean() >= mv


def test_full_confusion_is_recovered():
    sim = simulate_votes(100_000, 12, 3, confusion="random", accuracy=(0.6, 0.85), seed=5)
    ds = DawidSkene(smoothing=0.1).fit(sim.votes)
    np.testing.assert_allclose(ds.confusion_, sim.confusion, atol=0.03)
    assert ds.converged_ and 1 <= ds.n_iter_ < 100


def test_unipolar_lfs_are_informative_through_abstains():
    """LFs that only vote one class: ignoring abstains throws their information away."""
    rng = np.random.default_rng(0)
    n = 20_000
    y = rng.integers(0, 2, n)
    L = np.full((n, 6), -1)
    for j in range(6):
        cls = j % 2
        fire = rng.random(n) < np.where(y == cls, 0.5, 0.05)  # fires mostly on its class
        L[fire, j] = cls
    vm = VoteMatrix.from_dense(L, cardinality=2)
    covered = (L >= 0).any(axis=1)
    auto = (DawidSkene().fit(vm).predict(vm)[covered] == y[covered]).mean()
    ignore = (DawidSkene(abstain="ignore").fit(vm).predict(vm)[covered] == y[covered]).mean()
    assert auto > 0.85 and auto > ignore + 0.2


def test_semi_supervised_labels_are_used():
    sim = simulate_votes(5_000, 8, 3, accuracy=(0.5, 0.7), coverage=(0.2, 0.4), seed=2)
    y = np.where(np.arange(5_000) < 1_000, sim.y, -1)
    model = DawidSkene().fit(sim.votes, y)
    # rows with a known label are fitted with that label: their posterior is not used, but the
    # class balance and accuracies move towards the truth
    assert np.abs(model.accuracies_ - sim.accuracies).max() < 0.06


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_round_trips_and_is_deterministic(name, binary, tmp_path):
    vm = binary.votes.take(np.arange(3000))
    a = make_model(name, random_state=3).fit(vm)
    b = make_model(name, random_state=3).fit(vm)
    pa, pb = a.predict_proba(vm), b.predict_proba(vm)
    assert pa.tobytes() == pb.tobytes()
    assert np.allclose(pa.sum(axis=1), 1)
    save_model(a, tmp_path / "m.json")
    back = load_model(tmp_path / "m.json")
    assert type(back) is type(a)
    np.testing.assert_allclose(back.predict_proba(vm), pa, rtol=1e-9, atol=1e-12)
    assert back.predict(vm).tolist() == a.predict(vm).tolist()
    json.loads((tmp_path / "m.json").read_text())  # plain JSON


def test_dense_input_and_cardinality_checks(binary):
    L = binary.votes.take(np.arange(500)).to_dense()
    model = DawidSkene().fit(L)
    assert model.predict_proba(L).shape == (500, 2)
    with pytest.raises(InputError, match="fitted on 20 LFs"):
        model.predict_proba(L[:, :5])
    with pytest.raises(InputError):
        DawidSkene(abstain="sometimes").fit(L)
    with pytest.raises(InputError, match="class_balance"):
        DawidSkene(class_balance=[0.5, 0.6]).fit(L)


def test_fixed_class_balance_is_kept(binary):
    m = OneCoinDawidSkene(class_balance=[0.5, 0.5]).fit(binary.votes)
    np.testing.assert_allclose(m.class_balance_, [0.5, 0.5])


@pytest.mark.parametrize("name", ["mc", "triplet", "ds", "onecoin", "hybrid"])
def test_a_fixed_class_balance_stays_with_its_classes(name):
    """A balance the user sets belongs to the classes in the order given, even where the votes say
    otherwise (`mc` used to re-order it with the latent columns: 0.05,0.05,0.9 came back 0.9,0.05,0.05)."""
    from weaklabel.models import MODELS
    from weaklabel.simulate import simulate_regime

    sim = simulate_regime("independent", 2)          # 4 classes; mc used to move 0.85 to class 2
    K = sim.votes.cardinality
    wrong = np.array([0.05] * (K - 1) + [1 - 0.05 * (K - 1)])
    model = MODELS[name](class_balance=wrong).fit(sim.votes)
    np.testing.assert_allclose(model.class_balance_, wrong)
    # a right balance leaves the labels as good as an estimated one
    right = np.bincount(sim.y, minlength=K) / sim.y.size
    cov = sim.votes.votes_per_row() > 0
    acc = lambda m: (m.predict(sim.votes, ties="random")[cov] == sim.y[cov]).mean()
    assert acc(MODELS[name](class_balance=right).fit(sim.votes)) >= acc(MODELS[name]().fit(sim.votes)) - 0.01


def test_weighted_majority_with_given_weights():
    L = np.array([[0, 1, 1], [1, 0, 0], [-1, -1, -1]])
    wmv = WeightedMajorityVote(weights=[5.0, 1.0, 1.0]).fit(L)
    assert wmv.predict(L)[:2].tolist() == [0, 1]  # the heavy LF wins
    np.testing.assert_allclose(wmv.predict_proba(L)[2], wmv.class_balance_)
    with pytest.raises(InputError, match="one per LF"):
        WeightedMajorityVote(weights=[1.0]).fit(L)
    learned = WeightedMajorityVote(estimator=DawidSkene()).fit(L)
    assert learned.weights_.shape == (3,)


@pytest.mark.parametrize("name", [n for n in MODELS if n != "auto"])
def test_gold_labels_of_one_class_do_not_set_the_class_balance(name):
    """100 gold rows all of class 0 are not a sample of the class mix; as the class balance they sent
    `triplet` from 0.87 to 0.60 on these votes (and `mc` to 0.50). They are not used as one, and the
    fit says so."""
    sim = simulate_votes(20000, 8, 2, seed=4)
    gold = -np.ones(sim.y.size, dtype=np.int64)
    gold[np.flatnonzero(sim.y == 0)[:100]] = 0
    free = (MODELS[name]().fit(sim.votes).predict(sim.votes) == sim.y).mean()
    model = MODELS[name]().fit(sim.votes, gold)
    assert (model.predict(sim.votes) == sim.y).mean() >= free - 0.005
    assert any(w.startswith("the gold labels are all class 0") for w in model.warnings_)
    # two classes among the gold rows: their mix is used, and nothing to say
    gold[np.flatnonzero(sim.y == 1)[:30]] = 1
    assert not any("gold labels are all class" in w for w in MODELS[name]().fit(sim.votes, gold).warnings_)


@pytest.mark.parametrize("name", list(MODELS))
def test_an_lf_that_never_votes_is_named(name):
    """An LF with no vote on the rows (a typo in a rule, a column of another dataset) carries no
    evidence; `mc` rated one 0.33 and the others 0.67-0.70 without a word. Every model names it."""
    sim = simulate_votes(3000, 5, 2, seed=1)
    L = np.concatenate([sim.votes.to_dense(), -np.ones((3000, 1), dtype=np.int64)], axis=1)
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=[f"lf{j}" for j in range(5)] + ["typo_rule"])
    model = MODELS[name]().fit(vm)
    (line,) = [w for w in model.warnings_ if "never vote" in w]
    assert line.startswith("LF(s) typo_rule never vote on these rows")
    assert not any("never vote" in w for w in MODELS[name]().fit(sim.votes).warnings_)


@pytest.mark.parametrize("name", ["ds", "hybrid", "mc", "onecoin"])
def test_a_fit_stopped_by_max_iter_says_so(name):
    """`converged_=False` was only in the CLI's summary line: `--json`, Python users and `auto`'s
    report did not see that the estimates were still moving. It is a warning now, and a fit that
    settles says nothing."""
    sim = simulate_votes(5000, 10, 3, seed=2)
    cls = MODELS[name]
    model = cls(max_iter=2, **({"tol": 1e-12} if "tol" in cls().get_params() else {})).fit(sim.votes)
    assert not model.converged_
    (line,) = [w for w in model.warnings_ if "before its estimates settled" in w]
    assert "max_iter=2" in line and f"after {model.n_iter_} iterations" in line
    settled = MODELS[name]().fit(sim.votes)
    assert settled.converged_ and not any("settled" in w for w in settled.warnings_)
