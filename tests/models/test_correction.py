"""The supervised correction of a label model's posterior (``weaklabel.models.correction``) and its
use by ``AutoModel`` with gold labels."""

import json

import numpy as np
import pytest

from weaklabel.models import AutoModel, HybridDawidSkene, MajorityVote
from weaklabel.models import BaseLabelModel
from weaklabel.models.correction import (apply_correction, corrected_proba, fit_correction, log_offset,
                                         penalised_loss, vote_features)
from weaklabel.simulate import simulate_regime, simulate_votes
from weaklabel.votes import VoteMatrix


def test_vote_features_are_one_hot_votes_plus_a_constant():
    L = np.array([[0, -1, 1], [-1, -1, -1], [1, 1, 0]])
    X = vote_features(VoteMatrix.from_dense(L, cardinality=2)).toarray()
    assert X.shape == (3, 3 * 2 + 1)
    expected = np.zeros((3, 7))
    expected[0, [0 * 2 + 0, 2 * 2 + 1]] = 1
    expected[2, [0 * 2 + 1, 1 * 2 + 1, 2 * 2 + 0]] = 1
    expected[:, 6] = 1
    assert np.array_equal(X, expected)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    sim = simulate_votes(60, 5, 3, seed=1)
    X = vote_features(sim.votes)
    offset = log_offset(rng.dirichlet(np.ones(3), size=60))
    W = rng.normal(0, 0.3, (X.shape[1], 3))
    _, grad = penalised_loss(W, X, offset, sim.y, 0.05)
    eps = 1e-6
    for idx in [(0, 0), (3, 2), (X.shape[1] - 1, 1), (7, 1)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        num = (penalised_loss(Wp, X, offset, sim.y, 0.05)[0] - penalised_loss(Wm, X, offset, sim.y, 0.05)[0]) / (2 * eps)
        assert grad[idx] == pytest.approx(num, rel=1e-4, abs=1e-7)


def test_a_strong_penalty_leaves_the_model_as_it_is():
    sim = simulate_votes(300, 6, 2, seed=2)
    proba = MajorityVote(ties="uniform").fit(sim.votes).predict_proba(sim.votes)
    X = vote_features(sim.votes)
    W = fit_correction(X, log_offset(proba), sim.y, l2=1e6)
    assert np.abs(W).max() < 1e-4
    assert np.allclose(corrected_proba(X, log_offset(proba), W), proba, atol=1e-3)


def test_the_correction_learns_an_lf_the_model_trusts_wrongly():
    """Majority vote trusts every LF equally; one of them is right only 20% of the time. 300 gold
    rows are enough to learn that its votes point the other way (majority vote's posteriors are 0/1,
    floored at 1e-6, so the penalised correction moves only part of the way)."""
    rng = np.random.default_rng(3)
    n = 4000
    y = rng.integers(0, 2, n)
    cols = []
    for acc in (0.75, 0.75, 0.2):
        v = np.where(rng.random(n) < acc, y, 1 - y)
        cols.append(np.where(rng.random(n) < 0.9, v, -1))
    vm = VoteMatrix.from_dense(np.stack(cols, axis=1), cardinality=2)
    mv = MajorityVote(ties="uniform").fit(vm)
    gold = np.arange(300)
    W = fit_correction(vote_features(vm.take(gold)), log_offset(mv.predict_proba(vm.take(gold))), y[gold], 0.03)
    rest = vm.take(np.arange(300, n))
    before = (mv.predict_proba(rest).argmax(1) == y[300:]).mean()
    after = (apply_correction(rest, mv.predict_proba(rest), W).argmax(1) == y[300:]).mean()
    assert after > before + 0.03, (before, after)
    # the wrong LF's vote for class 1 now counts for class 0, and the other way round
    assert W[2 * 2 + 1, 0] > W[2 * 2 + 1, 1] and W[2 * 2 + 0, 1] > W[2 * 2 + 0, 0]


def _dev(sim, seed=0, size=100):
    rng = np.random.default_rng(seed)
    n = sim.votes.n_rows
    dev = np.sort(rng.choice(n, size, replace=False))
    y_fit = np.full(n, -1)
    y_fit[dev] = sim.y[dev]
    return y_fit, np.setdiff1d(np.arange(n), dev)


def test_auto_uses_the_correction_only_when_it_predicts_the_gold_rows_better():
    # few sources: the label-free default falls back to majority vote, whose errors the gold rows
    # show (this used to be correlated/1, where copies of a weak source captured the label-free fit;
    # the hybrid model now finds the copies and needs no correction there)
    sim = simulate_regime("few_sources", 3)
    y_fit, rest = _dev(sim, 3)
    auto = AutoModel().fit(sim.votes, y_fit)
    test = sim.votes.take(rest)
    acc = (auto.predict(test) == sim.y[rest]).mean()
    free = (AutoModel().fit(sim.votes).predict(test) == sim.y[rest]).mean()
    assert auto.selection_.get("corrected"), auto.selection_["reason"]
    assert acc > free + 0.05, (acc, free)
    # a model file keeps the correction
    again = BaseLabelModel.from_dict(json.loads(json.dumps(auto.to_dict())))
    assert np.array_equal(again.predict_proba(test), auto.predict_proba(test))
    # and with correction_l2=None it is never used
    plain = AutoModel(correction_l2=None).fit(sim.votes, y_fit)
    assert not plain.selection_.get("corrected") and not hasattr(plain, "correction_")


def test_the_correction_is_not_used_where_it_overfits():
    # 5-7 classes and ~60 gold rows with votes: the correction loses out of fold and is not used.
    # (Seed 0 was this case until the correction lost its intercept, PROTOCOL §35: there it now wins
    # out of fold, z 1.07, and loses 1.3 points of expected accuracy on the other rows, one of the
    # draws §35 counts against the change; this test keeps the mechanism checked on seed 4.)
    sim = simulate_regime("few_multiclass", 4)
    y_fit, _ = _dev(sim, 4)
    auto = AutoModel().fit(sim.votes, y_fit)
    assert not auto.selection_.get("corrected"), auto.selection_["reason"]
    assert "corrected default" in auto.cv_scores_


@pytest.fixture(scope="module")
def hard_crowd_dev():
    """``(sim, y_fit, rest, auto)``: hard_crowd/2 with 100 gold rows (``_dev``) and the default fitted
    on them. Fitted once for the two tests that look at it: its cross-validation over 850 workers
    is the slowest fit of this module (~7 s)."""
    sim = simulate_regime("hard_crowd", 2)
    y_fit, rest = _dev(sim, 2)
    return sim, y_fit, rest, AutoModel().fit(sim.votes, y_fit)


def test_the_free_spread_is_tried_only_where_it_differs_from_hybrid(hard_crowd_dev):
    """hybrid's wrong_class_strength only acts with 3+ classes and a multi-class source; elsewhere
    the free-spread candidates and correction base would be a second look at the same fit (on the
    WRENCH trec set that second look picked a correction 12 points below majority vote)."""
    from weaklabel.models.dev_selection import FREE_SPREAD_LABEL, _spread_matters

    def dev_fit(sim, seed):
        rng = np.random.default_rng(seed)
        y = -np.ones(sim.votes.n_rows, dtype=np.int64)
        gold = rng.choice(sim.votes.n_rows, 150, replace=False)
        y[gold] = sim.y[gold]
        return AutoModel().fit(sim.votes, y)

    one_class = simulate_regime("few_multiclass", 0)          # 5-7 classes, one-class keyword LFs
    assert one_class.votes.cardinality > 2 and not _spread_matters(one_class.votes)
    a = dev_fit(one_class, 0)
    assert not any("own wrong-class" in k for k in a.cv_scores_), a.cv_scores_
    binary = simulate_votes(3000, 8, 2, seed=5)
    assert not _spread_matters(binary.votes)
    # 4 classes, workers vote every class: the gold fit of the pooled-correction test below (which
    # candidates are tried depends on the votes, not on which gold rows are drawn)
    crowd, _, _, a = hard_crowd_dev
    assert _spread_matters(crowd.votes)
    assert FREE_SPREAD_LABEL in a.cv_scores_ and "corrected " + FREE_SPREAD_LABEL in a.cv_scores_
    # whatever it chose (a corrected free-spread hybrid on some draws), the model file keeps it
    b = BaseLabelModel.from_dict(json.loads(json.dumps(a.to_dict())))
    np.testing.assert_allclose(b.predict_proba(crowd.votes), a.predict_proba(crowd.votes), atol=1e-12)
    assert b.model_.get_params() == a.model_.get_params()


def test_a_pooled_correction_is_the_same_family_folded_into_one_weight_per_vote():
    """The shared part is folded into the one-hot weights: predictions from the folded ``W`` equal
    those of the fit on the one-hot votes plus each row's votes per class."""
    from scipy import sparse

    from weaklabel.models.correction import _softmax, pooling_map

    sim = simulate_votes(200, 6, 3, seed=4)
    X = vote_features(sim.votes)
    offset = log_offset(MajorityVote(ties="uniform").fit(sim.votes).predict_proba(sim.votes))
    M = pooling_map(X.shape[1], 3)
    counts = (X @ M).toarray()
    assert np.array_equal(counts, np.stack([(sim.votes.to_dense() == c).sum(axis=1) for c in range(3)], axis=1))
    for intercept in (False, True):
        W = fit_correction(X, offset, sim.y, 0.03, pooled=True, intercept=intercept)
        assert W.shape == (X.shape[1], 3)
        assert (W[-1] == 0).all() != intercept          # the intercept only where asked for
        Xi = X.copy().tolil()
        if not intercept:
            Xi[:, -1] = 0
        Xi = Xi.tocsr()
        Xa = sparse.hstack([Xi, Xi @ M]).tocsr()
        Wa = fit_correction(Xa, offset, sim.y, 0.03, intercept=True)   # every column of Xa fitted
        np.testing.assert_allclose(corrected_proba(X, offset, W), _softmax(offset + Xa @ Wa), atol=1e-8)


def test_a_crowd_sharing_one_confusion_is_corrected_pooled_over_its_workers(hard_crowd_dev):
    """850 workers with ~8 answers per item and a crowd-wide confusion on hard items: 100 gold rows
    show each worker a few times, too few for its own residual, but the crowd's shared confusion is
    plain in them. The pooled correction learns it; ``auto`` picks it and gains over the no-label
    default and the per-worker correction alike (on the rows outside the gold ones)."""
    sim, y_fit, rest, auto = hard_crowd_dev     # AutoModel().fit(sim.votes, y_fit), _dev(sim, 2)
    test = sim.votes.take(rest)
    assert auto.selection_.get("correction") == "pooled", auto.selection_["reason"]
    acc = (auto.predict(test) == sim.y[rest]).mean()
    free = (AutoModel().fit(sim.votes).predict(test) == sim.y[rest]).mean()
    assert acc > free + 0.15, (acc, free)
    gold = np.flatnonzero(y_fit >= 0)
    base = auto.model_
    X, offset = vote_features(sim.votes.take(gold)), log_offset(base.predict_proba(sim.votes.take(gold)))
    own = fit_correction(X, offset, sim.y[gold], auto.correction_l2)
    acc_own = (apply_correction(test, base.predict_proba(test), own).argmax(1) == sim.y[rest]).mean()
    assert acc > acc_own + 0.1, (acc, acc_own)
    again = BaseLabelModel.from_dict(json.loads(json.dumps(auto.to_dict())))
    assert np.array_equal(again.predict_proba(test), auto.predict_proba(test))


def test_a_dev_choice_says_how_many_gold_rows_it_rests_on():
    """``selection_["evidence"]``: the out-of-fold gain of the choice over the label-free model, in
    gold rows and as a paired z. A correction accepted on one more gold row right than wrong
    (``independent/4``, this draw) is flagged as thin evidence; one resting on 4.5 rows
    (``few_sources/3``) is not, and a run that keeps the label-free choice shows no gain at all."""
    from weaklabel.models.auto import THIN_EVIDENCE_ROWS

    sim = simulate_regime("independent", 4)
    y_fit, _ = _dev(sim, 104)
    thin = AutoModel().fit(sim.votes, y_fit)
    ev = thin.selection_["evidence"]
    assert thin.selection_["choice"].startswith("corrected"), thin.selection_["reason"]
    assert ev["against"] == thin.selection_["label_free_choice"]
    assert ev["gold_rows_scored"] == 100 and 0 < ev["more_right"] < THIN_EVIDENCE_ROWS
    assert f"{ev['more_right']:.1f} more of the 100 gold rows with votes right" in thin.selection_["reason"]
    assert any("more gold rows would settle it" in w for w in thin.warnings_), thin.warnings_
    again = BaseLabelModel.from_dict(json.loads(json.dumps(thin.to_dict())))
    assert again.selection_["evidence"] == ev

    sim = simulate_regime("few_sources", 3)
    y_fit, _ = _dev(sim, 3)
    firm = AutoModel().fit(sim.votes, y_fit)
    assert firm.selection_["evidence"]["more_right"] >= THIN_EVIDENCE_ROWS
    assert not any("settle" in w for w in firm.warnings_), firm.warnings_

    sim = simulate_regime("dense_crowd", 0)
    y_fit, _ = _dev(sim, 0)
    kept = AutoModel(correction_l2=None).fit(sim.votes, y_fit)
    assert kept.selection_["choice"] == kept.selection_["label_free_choice"] == "default"
    assert kept.selection_["evidence"] == {"against": "default", "gold_rows_scored": 100, "more_right": 0.0,
                                           "paired_z": 0.0}
    assert not any("settle" in w for w in kept.warnings_)


def test_min_rows_gained_keeps_the_label_free_model_unless_a_departure_gains_that_many_rows():
    """The opt-in bar (``-p min_rows_gained=3``): the thin correction of ``independent/4`` (one more
    gold row right) is refused and the label-free model kept, with no warning; the firm one of
    ``few_sources/3`` (4.5 rows) is kept. Bad values are refused."""
    sim = simulate_regime("independent", 4)
    y_fit, rest = _dev(sim, 104)
    strict = AutoModel(min_rows_gained=3).fit(sim.votes, y_fit)
    free = AutoModel().fit(sim.votes)
    assert strict.selection_["choice"] == strict.selection_["label_free_choice"], strict.selection_["reason"]
    assert strict.selection_["evidence"]["more_right"] == 0
    assert not any("settle" in w for w in strict.warnings_)
    test = sim.votes.take(rest)
    np.testing.assert_allclose(strict.predict_proba(test), free.predict_proba(test))

    sim = simulate_regime("few_sources", 3)
    y_fit, _ = _dev(sim, 3)
    firm = AutoModel(min_rows_gained=3).fit(sim.votes, y_fit)
    assert firm.selection_["choice"] == AutoModel().fit(sim.votes, y_fit).selection_["choice"]
    assert firm.selection_["choice"].startswith("corrected")

    with pytest.raises(Exception, match="min_rows_gained"):
        AutoModel(min_rows_gained=-1).fit(sim.votes, y_fit)


def test_a_gold_sample_leaning_to_one_class_does_not_move_the_rows_without_votes():
    """100 gold rows drawn at random can lean to one class by several standard errors (SST-2: 0.68
    against 0.54), and an intercept learned from them moved every row towards it, the rows without
    votes wholesale (PROTOCOL §35). The correction has no intercept now: a row without votes keeps the
    label-free model's probabilities, and the class mix moves less."""
    sim = simulate_votes(4000, 6, 2, seed=3)
    vm, y = sim.votes, sim.y
    empty = vm.votes_per_row() == 0
    assert empty.sum() > 20
    P = HybridDawidSkene().fit(vm).predict_proba(vm)
    rng = np.random.default_rng(3)
    gold = np.concatenate([rng.choice(np.flatnonzero(y == 1), 70, replace=False),
                           rng.choice(np.flatnonzero(y == 0), 30, replace=False)])   # pool: 50/50
    X, offset = vote_features(vm), log_offset(P)
    shares = {}
    for intercept in (True, False):
        W = fit_correction(X[gold], offset[gold], y[gold], 0.03, pooled=True, intercept=intercept)
        Q = corrected_proba(X, offset, W)
        shares[intercept] = Q[:, 1].mean()
        if intercept:
            assert np.abs(Q[empty] - P[empty]).max() > 0.05        # the intercept moved them
        else:
            np.testing.assert_allclose(Q[empty], P[empty], atol=1e-12)
    assert shares[False] < shares[True] - 0.02
    # AutoModel's correction is fitted without one
    auto = AutoModel().fit(simulate_regime("few_sources", 3).votes, _dev(simulate_regime("few_sources", 3), 3)[0])
    assert auto.selection_.get("corrected") and (auto.correction_[-1] == 0).all()
