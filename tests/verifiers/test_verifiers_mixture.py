"""The continuous label model (ScoreMixture): parameter recovery on data drawn from its own
model, per-question priors, new questions, semi-supervision, correlated verifiers, state."""

import json

import numpy as np
import pytest
from scipy.special import ndtr

from weaklabel.errors import InputError
from weaklabel.verifiers._groups import Groups
from weaklabel.verifiers.gaussian import marginal_solve
from weaklabel.verifiers.metrics import top_candidates
from weaklabel.verifiers.mixture import ScoreMixture

DELTA = np.array([1.5, 1.0, 0.8, 0.5, -0.8, 0.0])           # planted separations (sigma = 1)
P_YES = np.array([[0.15, 0.75], [0.30, 0.60], [0.05, 0.35]])  # yes/no verifiers: P(yes | wrong), P(yes | right)


def simulate(G=300, k=30, seed=0, missing=0.1, offsets=True):
    """Questions with their own base rates; Gaussian verifiers with per-question offsets that
    follow difficulty; yes/no verifiers; scores missing at random."""
    rng = np.random.default_rng(seed)
    base = rng.beta(0.8, 0.8, size=G)
    codes = np.repeat(np.arange(G), k)
    c = (rng.random(G * k) < base[codes]).astype(int)
    off = (-1.5 * (1 - base))[:, None] + rng.standard_normal((G, DELTA.size)) * 0.5 if offsets else np.zeros((G, DELTA.size))
    Xg = off[codes] + DELTA[None, :] * c[:, None] + rng.standard_normal((G * k, DELTA.size))
    Xb = (rng.random((G * k, len(P_YES))) < P_YES[:, 1][None, :] * c[:, None]
          + P_YES[:, 0][None, :] * (1 - c[:, None])).astype(float)
    X = np.column_stack([Xg, Xb])
    X[rng.random(X.shape) < missing] = np.nan
    return X, Groups(codes), c, base


def select_at_1(p, groups, c):
    return c[top_candidates(p, groups)].mean()


def test_recovers_planted_verifier_parameters_without_labels():
    X, g, c, base = simulate()
    m = ScoreMixture().fit(X, g)
    assert m.converged_
    np.testing.assert_array_equal(m.gaussian_, [True] * 6 + [False] * 3)
    np.testing.assert_allclose(m.delta_[:6] / m.sigma_[:6], DELTA, atol=0.12)
    np.testing.assert_allclose(m.p_yes_[6:], P_YES, atol=0.03)
    np.testing.assert_allclose(m.auc_[:6], ndtr(DELTA / np.sqrt(2)), atol=0.035)
    np.testing.assert_allclose(m.auc_[6:], 0.5 + 0.5 * (P_YES[:, 1] - P_YES[:, 0]), atol=0.02)
    assert m.class_balance_ == pytest.approx(c.mean(), abs=0.02)
    # per-question priors follow the questions' base rates
    assert np.corrcoef(m.question_prior_, base)[0, 1] > 0.95


def test_selection_close_to_the_supervised_fit_and_on_new_questions():
    X, g, c, _ = simulate(seed=1)
    half = g.codes < 150
    g_fit, g_new = g.take(np.flatnonzero(half)), g.take(np.flatnonzero(~half))
    unsup = ScoreMixture().fit(X[half], g_fit)
    sup = ScoreMixture().fit(X[half], g_fit, y=c[half])
    p_u = unsup.predict_proba(X[~half], g_new)
    p_s = sup.predict_proba(X[~half], g_new)
    acc_u, acc_s = select_at_1(p_u, g_new, c[~half]), select_at_1(p_s, g_new, c[~half])
    assert acc_u >= acc_s - 0.02
    assert np.all((p_u >= 0) & (p_u <= 1))
    # calibrated: the mean predicted P(correct) per question tracks the truth
    assert abs(p_u.mean() - c[~half].mean()) < 0.03


def test_question_effects_matter_when_offsets_follow_difficulty():
    """Reward models score every answer to a hard question lower: without question effects the
    offsets leak into the separations (and the probabilities); with them they do not."""
    X, g, c, base = simulate(seed=2, missing=0.0)
    with_fx = ScoreMixture().fit(X, g)
    without = ScoreMixture(question_effects=False, prior="global").fit(X, g)
    err_with = np.abs(with_fx.delta_[:6] / with_fx.sigma_[:6] - DELTA).max()
    err_without = np.abs(without.delta_[:6] / without.sigma_[:6] - DELTA).max()
    assert err_with < 0.12 < err_without
    p = with_fx.predict_proba(X, g)
    assert np.corrcoef(g.mean(p), g.mean(c.astype(float)))[0, 1] > 0.95


def test_semi_supervised_rows_keep_their_labels():
    X, g, c, _ = simulate(seed=3)
    y = np.where(g.codes < 20, c, -1)
    m = ScoreMixture().fit(X, g, y=y)
    np.testing.assert_allclose(m.delta_[:6] / m.sigma_[:6], DELTA, atol=0.1)
    with pytest.raises(InputError, match="one entry per candidate"):
        ScoreMixture().fit(X, g, y=y[:5])


def test_state_round_trips_through_json():
    X, g, c, _ = simulate(seed=4, G=100)
    for cov in ("diag", "full"):
        m = ScoreMixture(covariance=cov).fit(X, g)
        back = ScoreMixture.from_dict(json.loads(json.dumps(m.to_dict())))
        np.testing.assert_allclose(back.predict_proba(X, g), m.predict_proba(X, g))
        np.testing.assert_allclose(back.auc_, m.auc_)
    bad = m.to_dict()
    bad["cov"] = (-np.eye(6)).tolist()
    with pytest.raises(ValueError, match="positive definite"):
        ScoreMixture.from_dict(bad)


def test_marginal_solve_matches_per_row_inversion():
    rng = np.random.default_rng(5)
    k, n = 6, 300
    A0 = rng.standard_normal((k, k))
    cov = A0 @ A0.T + k * np.eye(k)
    obs = rng.random((n, k)) > 0.35
    A = rng.standard_normal((n, k, 2))
    S, logdet = marginal_solve(np.linalg.inv(cov), np.linalg.slogdet(cov)[1], A, obs)
    for i in range(n):
        o = obs[i]
        ref = np.zeros((k, 2))
        ref_ld = 0.0
        if o.any():
            ref[o] = np.linalg.solve(cov[np.ix_(o, o)], A[i][o])
            ref_ld = np.linalg.slogdet(cov[np.ix_(o, o)])[1]
        np.testing.assert_allclose(S[i], ref, atol=1e-10)
        assert logdet[i] == pytest.approx(ref_ld)


def test_full_covariance_counts_near_duplicate_verifiers_once():
    """Five copies of one weak reward model (errors shared) outvote two good independent ones
    under naive Bayes; the full-covariance model, which sees their shared errors, selects better."""
    rng = np.random.default_rng(6)
    G, k = 200, 30
    codes = np.repeat(np.arange(G), k)
    c = (rng.random(G * k) < rng.beta(1, 1, G)[codes]).astype(int)
    n = G * k
    shared = rng.standard_normal(n)
    copies = [0.6 * c + shared + 0.3 * rng.standard_normal(n) for _ in range(5)]
    good = [1.4 * c + rng.standard_normal(n) for _ in range(2)]
    X = np.column_stack(copies + good)
    g = Groups(codes)
    diag = ScoreMixture(covariance="diag").fit(X, g)
    full = ScoreMixture(covariance="full").fit(X, g)
    acc_diag = select_at_1(diag.predict_proba(X, g), g, c)
    acc_full = select_at_1(full.predict_proba(X, g), g, c)
    assert acc_full > acc_diag + 0.03


def test_bad_parameters_are_user_errors():
    X, g, _, _ = simulate(G=10, k=5)
    for kwargs, msg in [({"covariance": "sparse"}, "covariance"), ({"prior": "cluster"}, "prior"),
                        ({"class_balance": 1.2}, "class_balance"), ({"max_iter": 0}, "max_iter")]:
        with pytest.raises(InputError, match=msg):
            ScoreMixture(**kwargs).fit(X, g)
    with pytest.raises(InputError, match="not fitted"):
        ScoreMixture().predict_proba(X, g)
