"""Rows no LF votes on: the class prior, except where something better is known (PROTOCOL §22).

Without gold labels, when some class gets no vote at all, a prior estimated from the voted rows
puts nothing on it, and the rows no LF fires on (rich in exactly that class: keyword rules for spam
leave the ham unvoted) would all be labelled with a class the LFs vote: they get equal
probabilities instead. With gold labels, the gold rows without votes estimate what such rows are."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from weaklabel.models.stats import LocalVoteStats
from weaklabel.bench.suites import reference_mv_proba
from weaklabel.cli import app
from weaklabel.errors import ModelFileError
from weaklabel.models import MODELS, AutoModel, BaseLabelModel, HybridDawidSkene
from weaklabel.models import uncovered
from weaklabel.simulate import simulate_regime
from weaklabel.votes import VoteMatrix


def expected_correct(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row, the chance that the hard label is right when ties are broken at random."""
    top = proba >= proba.max(axis=1, keepdims=True) - 1e-9
    return top[np.arange(y.size), y] / top.sum(axis=1)


def test_the_rules():
    counts = np.array([[0, 5, 0], [0, 3, 2]])
    assert np.allclose(uncovered.label_free(counts), 1 / 3)                      # class 0 unvoted
    assert uncovered.label_free(np.array([[1, 5, 0], [0, 3, 2]])) is None        # every class voted
    assert uncovered.label_free(np.zeros((2, 3))) is None                        # no votes at all
    # three gold rows without votes (classes 0, 0, 2) and one pseudo-row of the model's answer
    assert np.allclose(uncovered.from_gold([0, 0, 2], [0.2, 0.5, 0.3]), [2.2 / 4, 0.5 / 4, 1.3 / 4])
    assert uncovered.from_gold([], [0.5, 0.5]) is None


# validation seeds (benchmarks/split.json): not looked at while choosing the rule
@pytest.mark.parametrize("regime,seed", [("one_class", 1000), ("one_class", 1001), ("one_class", 1002),
                                         ("few_multiclass", 1000), ("few_multiclass", 1001)])
def test_rows_without_votes_are_not_given_a_class_no_evidence_points_to(regime, seed):
    sim = simulate_regime(regime, seed)
    vm, y = sim.votes, sim.y
    empty = vm.votes_per_row() == 0
    assert empty.mean() > 0.2 and (np.bincount(vm.votes, minlength=vm.cardinality) == 0).any()
    auto = AutoModel().fit(vm)
    proba = auto.predict_proba(vm)
    K = vm.cardinality
    assert np.allclose(proba[empty], 1.0 / K)
    assert any("rows without votes get equal probabilities" in w for w in auto.warnings_)
    # majority vote's guess on those rows; the prior the default used to give them is far below it
    guess = 1.0 / K
    assert expected_correct(proba[empty], y[empty]).mean() == pytest.approx(guess)
    prior = np.tile(auto.model_.class_balance_, (int(empty.sum()), 1))
    assert expected_correct(prior, y[empty]).mean() < guess - 0.05
    # on all rows the default is then at or above majority vote (random guess on empty rows)
    mv_all = expected_correct(reference_mv_proba(vm), y).mean()
    assert expected_correct(proba, y).mean() >= mv_all - 0.005
    # the hard labels: a tie, broken at random or left unlabelled
    assert (auto.predict(vm, ties="abstain")[empty] == -1).all()


def test_where_every_class_is_voted_the_prior_is_kept():
    sim = simulate_regime("independent", 0)
    vm = sim.votes
    # make some rows empty: drop every vote of the first 300 rows
    keep = np.repeat(np.arange(vm.n_rows), np.diff(vm.indptr)) >= 300
    L = vm.to_dense()
    L[:300] = -1
    vm = VoteMatrix.from_dense(L, vm.cardinality)
    assert keep.any() and (np.bincount(vm.votes, minlength=vm.cardinality) > 0).all()
    for name in ("auto", "hybrid", "majority"):
        model = MODELS[name]().fit(vm)
        assert not hasattr(model, "uncovered_proba_")
        cb = model.model_.class_balance_ if name == "auto" else model.class_balance_
        assert np.allclose(model.predict_proba(vm)[:300], cb)


def test_gold_rows_without_votes_say_what_such_rows_are():
    sim = simulate_regime("one_class", 0)
    vm, y = sim.votes, sim.y
    empty = vm.votes_per_row() == 0
    rng = np.random.default_rng(0)
    dev = np.sort(rng.choice(vm.n_rows, 100, replace=False))
    gold = np.full(y.size, -1)
    gold[dev] = y[dev]
    dev_empty = dev[empty[dev]]
    assert dev_empty.size > 20
    rest = np.setdiff1d(np.flatnonzero(empty), dev)
    mv_guess = 0.5
    for model in (AutoModel(), HybridDawidSkene(), MODELS["majority"](), MODELS["ds"]()):
        model.fit(vm, gold)
        counts = np.bincount(y[dev_empty], minlength=2)
        base = model._predict_proba(vm.take(dev_empty[:1]))[0]
        assert np.allclose(model.uncovered_proba_, (counts + base) / (counts.sum() + 1)), type(model).__name__
        proba = model.predict_proba(vm)
        assert np.allclose(proba[empty], model.uncovered_proba_)
        # the rows without votes (the gold ones left out) are mostly class 0: now labelled so
        assert expected_correct(proba[rest], y[rest]).mean() > mv_guess + 0.3, type(model).__name__
    # without the labels the default could only give them equal probabilities (a guess)
    assert np.allclose(AutoModel().fit(vm).predict_proba(vm)[rest], 0.5)


def test_a_handful_of_gold_rows_without_votes_does_not_decide_every_such_row():
    """Every row without votes gets one label, so fewer than `MIN_GOLD_ROWS` gold rows without votes
    are not used: the model's own answer stands, as with none."""
    sim = simulate_regime("one_class", 0)
    vm, y = sim.votes, sim.y
    empty = np.flatnonzero(vm.votes_per_row() == 0)
    covered = np.flatnonzero(vm.votes_per_row() > 0)
    for n_empty, used in ((uncovered.MIN_GOLD_ROWS - 1, False), (uncovered.MIN_GOLD_ROWS, True)):
        gold = np.full(y.size, -1)
        rows = np.concatenate([covered[:60], empty[:n_empty]])
        gold[rows] = y[rows]
        model = HybridDawidSkene().fit(vm, gold)
        assert model._uncovered_how == ("gold" if used else None)
        expected = (np.bincount(y[empty[:n_empty]], minlength=2) + model._predict_proba(vm.take(empty[:1]))[0]) / (
            n_empty + 1)
        got = model.predict_proba(vm)[empty]
        assert np.allclose(got, expected) == used
        if not used:   # the model's own answer: its class prior (fitted with labels: theirs)
            assert np.allclose(got, model.class_balance_)


def test_a_fixed_class_balance_is_kept_and_abstain_models_keep_their_own_answer():
    sim = simulate_regime("one_class", 0)
    vm = sim.votes
    empty = vm.votes_per_row() == 0
    fixed = HybridDawidSkene(class_balance=[0.7, 0.3]).fit(vm)
    assert not hasattr(fixed, "uncovered_proba_")
    assert np.allclose(fixed.predict_proba(vm)[empty], [0.7, 0.3])
    # Dawid-Skene with abstains modelled infers something from "no LF voted": not overwritten
    ds = MODELS["ds"]().fit(vm)
    assert ds.abstain_modelled_.any() and not hasattr(ds, "uncovered_proba_")
    assert not np.allclose(ds.predict_proba(vm)[empty], 0.5)
    # moment matching cannot: its abstain model for the unvoted class is a placeholder
    mc = MODELS["mc"]().fit(vm)
    assert mc.abstain_modelled_.any() and np.allclose(mc.predict_proba(vm)[empty], 0.5)
    # a refit without labels drops what a fit with labels learned
    hybrid = HybridDawidSkene().fit(vm, np.where(np.arange(vm.n_rows) < 300, sim.y, -1))
    assert hasattr(hybrid, "uncovered_proba_") and not np.allclose(hybrid.uncovered_proba_, 0.5)
    assert np.allclose(hybrid.fit(vm).uncovered_proba_, 0.5)


def test_the_rule_round_trips_through_the_model_file():
    sim = simulate_regime("one_class", 0)
    vm = sim.votes
    for name in ("auto", "hybrid", "majority", "triplet"):
        model = MODELS[name]().fit(vm)
        again = BaseLabelModel.from_dict(json.loads(json.dumps(model.to_dict())))
        assert np.array_equal(again.predict_proba(vm), model.predict_proba(vm)), name
    data = MODELS["hybrid"]().fit(vm).to_dict()
    data["learned"]["uncovered_proba_"] = [0.9, 0.3]
    with pytest.raises(ModelFileError, match="uncovered_proba_"):
        BaseLabelModel.from_dict(data)


def test_fit_writes_equal_probabilities_and_says_so(tmp_path):
    sim = simulate_regime("one_class", 1)
    votes = tmp_path / "votes.parquet"
    sim.votes.to_parquet(votes)
    out = tmp_path / "labels.parquet"
    res = CliRunner().invoke(app, ["fit", str(votes), "-o", str(out), "--fill-unlabeled", "prior",
                                   "--ties", "abstain", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert any("rows without votes get equal probabilities" in w for w in summary["warnings"])
    import pandas as pd

    labels = pd.read_parquet(out)
    empty = sim.votes.votes_per_row() == 0
    proba = labels[["prob_0", "prob_1"]].to_numpy()
    assert np.allclose(proba[empty], 0.5)
    assert (labels["label"].to_numpy()[empty] == -1).all()


def test_predict_reports_what_rows_without_votes_get(tmp_path):
    sim = simulate_regime("one_class", 1)
    votes = tmp_path / "votes.parquet"
    sim.votes.to_parquet(votes)
    res = CliRunner().invoke(app, ["fit", str(votes), "-o", str(tmp_path / "l.parquet"), "--save-model",
                                   str(tmp_path / "m.json"), "--json"])
    assert res.exit_code == 0, res.output
    fitted = json.loads(res.stdout)
    assert fitted["rows_without_votes"] == {"0": 0.5, "1": 0.5}
    for flags in ([], ["--stream", "--batch-size", "300"]):
        res = CliRunner().invoke(app, ["predict", str(tmp_path / "m.json"), str(votes), "-o",
                                       str(tmp_path / "p.parquet"), "--force", "--json"] + flags)
        assert res.exit_code == 0, res.output
        summary = json.loads(res.stdout)
        # what a row without votes gets, and the prior, as `fit --json` said when the model was fitted
        assert summary["rows_without_votes"] == fitted["rows_without_votes"]
        assert summary["class_balance"] == fitted["class_balance"]
        assert summary["labelled_rows"] == int((sim.votes.votes_per_row() > 0).sum())


def test_streamed_fit_gives_rows_without_votes_the_same(tmp_path):
    sim = simulate_regime("one_class", 2)
    votes = tmp_path / "votes.parquet"
    sim.votes.to_parquet(votes)
    import pandas as pd

    frames = []
    for name, flags in (("mem", []), ("stream", ["--stream", "--batch-size", "300"])):
        out = tmp_path / f"{name}.parquet"
        res = CliRunner().invoke(app, ["fit", str(votes), "-o", str(out), "-q"] + flags)
        assert res.exit_code == 0, res.output
        frames.append(pd.read_parquet(out))
    assert frames[0].equals(frames[1])
    empty = sim.votes.votes_per_row() == 0
    assert np.allclose(frames[0][["prob_0", "prob_1"]].to_numpy()[empty], 0.5)


def test_the_default_takes_a_class_balance_for_every_choice(tmp_path):
    """`fit --class-balance` with the default: the candidates are fitted with it and rows without
    votes get it, whether the check keeps the model or falls back to majority vote."""
    for regime, expected in (("one_class", "majority"), ("independent", "hybrid")):
        sim = simulate_regime(regime, 0)
        vm, K = sim.votes, sim.votes.cardinality
        cb = [0.6] + [0.4 / (K - 1)] * (K - 1)
        auto = AutoModel(class_balance=cb).fit(vm)
        assert auto.selection_["model"] == expected
        assert np.allclose(auto.class_balance_, cb)
        if expected == "hybrid":
            assert np.allclose(auto.model_.class_balance_, cb)
        empty_row = VoteMatrix(np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int16),
                               vm.lf_names, cardinality=K)
        assert np.allclose(auto.predict_proba(empty_row), cb)
        again = BaseLabelModel.from_dict(json.loads(json.dumps(auto.to_dict())))
        assert np.array_equal(again.predict_proba(vm), auto.predict_proba(vm))
    sim = simulate_regime("one_class", 1)
    sim.votes.to_parquet(tmp_path / "votes.parquet")
    res = CliRunner().invoke(app, ["fit", str(tmp_path / "votes.parquet"), "-o", str(tmp_path / "l.parquet"),
                                   "--class-balance", "0.7,0.3", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["rows_without_votes"] == {"0": 0.7, "1": 0.3} and summary["params"]["class_balance"] == [0.7, 0.3]


def test_the_no_vote_warning_says_what_rows_without_votes_get():
    sim = simulate_regime("one_class", 0)
    vm, y = sim.votes, sim.y
    gold = np.where(np.arange(y.size) % 10 == 0, y, -1)

    def no_vote(model):
        lines = [w for w in model.warnings_ if w.startswith("no LF votes class 0")]
        assert len(lines) == 1, model.warnings_
        return lines[0]

    assert "equal probabilities" in no_vote(AutoModel().fit(vm))
    assert "equal probabilities" in no_vote(HybridDawidSkene().fit(vm))
    assert "class mix of the gold rows without votes" in no_vote(AutoModel().fit(vm, gold))
    assert "class mix of the gold rows without votes" in no_vote(HybridDawidSkene().fit(vm, gold))
    assert "class balance you set" in no_vote(AutoModel(class_balance=[0.5, 0.5]).fit(vm))
    assert "class balance you set" in no_vote(HybridDawidSkene(class_balance=[0.5, 0.5]).fit(vm))
    assert "only come from the class prior" in no_vote(MODELS["ds"]().fit(vm))   # its abstains answer


def test_a_set_class_balance_is_what_rows_without_votes_get_where_a_class_is_unvoted():
    """mc models abstains, but with a class no LF votes its abstain model has no evidence for that
    class: a balance the user set is what such rows get, as the warning says."""
    sim = simulate_regime("one_class", 1)
    vm = sim.votes
    empty = vm.votes_per_row() == 0
    for name in ("mc", "hybrid", "triplet"):
        model = MODELS[name](class_balance=[0.3, 0.7]).fit(vm)
        assert np.allclose(model.predict_proba(vm)[empty], [0.3, 0.7]), name
        assert any("rows without votes get the class balance you set" in w for w in model.warnings_), name


def test_with_a_correction_the_warning_says_rows_without_votes_are_shifted_by_it():
    """100 gold rows, all with votes, where a class gets no vote: the correction learned from them
    has no intercept (PROTOCOL §35), so the equal probabilities the label-free model gives rows
    without votes stay, and so does the warning; a correction with an intercept (a model file
    written before) moves them, and the warning says so instead of "equal probabilities"."""
    sim = simulate_regime("few_multiclass", 1000)      # a validation seed; class 1 gets no vote
    vm = sim.votes
    covered = np.flatnonzero(vm.votes_per_row() > 0)
    gold = np.random.default_rng(1).choice(covered, 100, replace=False)
    y = np.full(vm.n_rows, -1)
    y[gold] = sim.y[gold]
    auto = AutoModel().fit(vm, y)
    assert hasattr(auto, "correction_"), auto.selection_["choice"]
    empty = vm.votes_per_row() == 0
    assert np.allclose(auto.predict_proba(vm)[empty], 1.0 / vm.cardinality)
    line = [w for w in auto.warnings_ if w.startswith("no LF votes class")]
    assert len(line) == 1 and "shifted by the correction" not in line[0], line
    auto.correction_ = auto.correction_.copy()
    auto.correction_[-1] = np.linspace(-0.5, 0.5, vm.cardinality)
    assert not np.allclose(auto.predict_proba(vm)[empty], 1.0 / vm.cardinality)
    line = [w for w in auto._diagnose(LocalVoteStats(vm)) if w.startswith("no LF votes class")]
    assert len(line) == 1 and "shifted by the correction" in line[0], line


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_class_no_source_votes_is_not_given_to_rows_with_votes(seed):
    """Two-class LFs on a three-class task (the third class never voted): `hybrid`'s confusion row
    for that class is its prior alone, a flat row that "explained" rows whose votes conflict, and
    with the crowd bias pinned nothing held it back (seed 3: 1,876 of 12,649 rows with votes got it,
    6 points below majority vote). No vote is evidence for it: no row with votes gets it, unless
    gold labels on rows with votes show what its sources do."""
    from weaklabel.simulate import simulate_votes

    sim = simulate_votes(20000, 6, 3, seed=seed)
    L = sim.votes.to_dense()
    L[L == 2] = -1
    vm = VoteMatrix.from_dense(L, cardinality=3)
    cov = vm.votes_per_row() > 0
    mv = expected_correct(reference_mv_proba(vm)[cov], sim.y[cov]).mean()
    for model in (HybridDawidSkene(), AutoModel()):
        proba = model.fit(vm).predict_proba(vm)[cov]
        assert proba[:, 2].max() < 1e-6, type(model).__name__
        # what it does with the two voted classes gains over majority vote, as elsewhere
        assert expected_correct(proba, sim.y[cov]).mean() >= mv - 0.005
    # gold rows of class 2 that have votes show what the sources do on it: it is a class again
    y = -np.ones(vm.n_rows, dtype=np.int64)
    gold = np.flatnonzero(cov & (sim.y == 2))[:200]
    y[gold] = 2
    fitted = HybridDawidSkene().fit(vm, y)
    assert not fitted._unseen_classes.any()
    assert (fitted.predict(vm)[cov & (y < 0)] == 2).sum() > 0
