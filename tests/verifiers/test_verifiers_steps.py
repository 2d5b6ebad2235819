"""weaklabel.verifiers building blocks on hand-made inputs: per-question group operations,
normalisers, binarisers, filters, metrics and input checks."""

import json

import numpy as np
import pandas as pd
import pytest

from weaklabel.errors import InputError
from weaklabel.verifiers import Binariser, Normaliser, from_frame
from weaklabel.verifiers._groups import Groups
from weaklabel.verifiers.filtering import agreement, mode_share, positive_rate, within_question_correlation
from weaklabel.verifiers.metrics import answer_support, top_candidates, within_question_auc

NAN = np.nan


# --------------------------------------------------------------------------- groups
def test_group_reductions_match_pandas_with_missing_values():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 7, size=60)
    codes[:7] = np.arange(7)                          # every question present, rows interleaved
    X = rng.standard_normal((60, 3))
    X[rng.random((60, 3)) < 0.2] = NAN
    g = Groups(codes)
    df = pd.DataFrame(X).assign(q=codes)
    grp = df.groupby("q")
    np.testing.assert_allclose(g.mean(X), grp.mean().to_numpy(), equal_nan=True)
    np.testing.assert_allclose(g.min(X), grp.min().to_numpy(), equal_nan=True)
    np.testing.assert_allclose(g.max(X), grp.max().to_numpy(), equal_nan=True)
    np.testing.assert_array_equal(g.count(X), grp.count().to_numpy())
    q = grp.quantile(0.3).to_numpy()                  # pandas' default is numpy's linear method
    np.testing.assert_allclose(g.quantile(X, 0.3), q, equal_nan=True)
    ranks = df.groupby("q").rank(method="average")    # 1-based average ranks
    n_valid = grp.transform("count")
    np.testing.assert_allclose(g.midrank(X), ((ranks - 0.5) / n_valid).to_numpy(), equal_nan=True)


def test_midrank_ties_and_per_group_quantile_levels():
    g = Groups([0, 0, 0, 0, 1, 1])
    x = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 9.0])
    np.testing.assert_allclose(g.midrank(x), [0.125, 0.5, 0.5, 0.875, 0.25, 0.75])
    np.testing.assert_allclose(g.quantile(x, np.array([0.5, 1.0])), [2.0, 9.0])


# --------------------------------------------------------------------------- normalisers
def test_minmax_global_is_stored_and_clips_new_scores():
    X = np.array([[1.0], [3.0], [5.0], [NAN]])
    n = Normaliser("minmax", "global").fit(X)
    np.testing.assert_allclose(n.transform(X)[:, 0], [0.0, 0.5, 1.0, NAN])
    np.testing.assert_allclose(n.transform(np.array([[7.0], [-1.0], [2.0]]))[:, 0], [1.0, 0.0, 0.25])


def test_minmax_per_question_and_constant_question():
    g = Groups([0, 0, 0, 1, 1])
    X = np.array([[1.0], [2.0], [3.0], [10.0], [10.0]])
    out = Normaliser("minmax", "question").fit_transform(X, g)
    np.testing.assert_allclose(out[:, 0], [0.0, 0.5, 1.0, 0.5, 0.5])


def test_quantile_global_uses_mid_ranks_and_interpolates_new_scores():
    X = np.array([[1.0], [2.0], [2.0], [3.0]])
    n = Normaliser("quantile", "global").fit(X)
    np.testing.assert_allclose(n.transform(X)[:, 0], [0.125, 0.5, 0.5, 0.875])
    np.testing.assert_allclose(n.transform(np.array([[2.5], [0.0], [9.0]]))[:, 0], [0.6875, 0.125, 0.875])
    z = Normaliser("quantile", "global", output="normal").fit_transform(X)[:, 0]
    from scipy.stats import norm

    np.testing.assert_allclose(z, norm.ppf([0.125, 0.5, 0.5, 0.875]))


def test_quantile_global_thins_knots_but_keeps_the_ends():
    X = np.arange(5000, dtype=float)[:, None]
    n = Normaliser("quantile", "global", n_quantiles=11).fit(X)
    assert len(n.knots_[0][0]) == 11
    out = n.transform(X)[:, 0]
    assert np.all(np.diff(out) >= 0) and abs(out[2500] - 0.5) < 1e-3


def test_quantile_per_question():
    g = Groups([0, 0, 0, 1, 1])
    X = np.array([[3.0], [1.0], [2.0], [NAN], [4.0]])
    out = Normaliser("quantile", "question").fit_transform(X, g)
    np.testing.assert_allclose(out[:, 0], [5 / 6, 1 / 6, 0.5, NAN, 0.5])


def test_winsorize_global_and_per_question():
    X = np.arange(101, dtype=float)[:, None]
    n = Normaliser("winsorize", "global", limits=(0.1, 0.9)).fit(X)
    np.testing.assert_allclose(n.transform(np.array([[0.0], [50.0], [95.0]]))[:, 0], [0.0, 0.5, 1.0])
    g = Groups([0] * 5 + [1] * 5)
    Xq = np.array([0, 1, 2, 3, 100, 10, 20, 30, 40, 50], dtype=float)[:, None]
    out = Normaliser("winsorize", "question", limits=(0.0, 0.75)).fit_transform(Xq, g)[:, 0]
    np.testing.assert_allclose(out[:5], [0, 1 / 3, 2 / 3, 1, 1])   # the outlier 100 is clipped to 3
    np.testing.assert_allclose(out[5:], [0, 1 / 3, 2 / 3, 1, 1])


@pytest.mark.parametrize("method", ["minmax", "quantile", "winsorize", "none"])
@pytest.mark.parametrize("scope", ["global", "question"])
def test_two_valued_verifiers_map_to_zero_one_in_every_mode(method, scope):
    g = Groups([0, 0, 1, 1])
    X = np.array([[2.0, 0.0], [5.0, 1.0], [5.0, 1.0], [5.0, NAN]])
    out = Normaliser(method, scope).fit_transform(X, g)
    np.testing.assert_allclose(out, [[0, 0], [1, 1], [1, 1], [1, NAN]])


def test_normaliser_state_round_trips_through_json():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 3))
    X[:, 2] = rng.integers(0, 2, 200)
    X[5, 0] = NAN
    for method in ("minmax", "quantile", "winsorize"):
        n = Normaliser(method, "global").fit(X)
        back = Normaliser.from_dict(json.loads(json.dumps(n.to_dict())))
        new = rng.standard_normal((50, 3)) * 2
        np.testing.assert_allclose(back.transform(new), n.transform(new))


def test_normaliser_rejects_bad_settings():
    with pytest.raises(InputError, match="normalisation must be one of"):
        Normaliser("zscore").fit(np.zeros((3, 1)))
    with pytest.raises(InputError, match="winsorize limits"):
        Normaliser("winsorize", limits=(0.9, 0.1)).fit(np.zeros((3, 1)))
    with pytest.raises(InputError, match="needs the question"):
        Normaliser("minmax", "question").fit_transform(np.arange(6.0).reshape(3, 2))


# --------------------------------------------------------------------------- binarisers
def test_fixed_threshold_and_missing_scores_abstain():
    X = np.array([[0.2], [0.5], [0.7], [NAN]])
    v = Binariser("fixed", threshold=0.5).fit_transform(X)
    np.testing.assert_array_equal(v[:, 0], [0, 1, 1, -1])
    assert v.dtype == np.int8


def test_class_balance_quantile_global():
    X = np.array([[0.1], [0.2], [0.3], [0.4]])
    b = Binariser("quantile", scope="global", class_balance=0.25).fit(X)
    assert b.thresholds_[0] == pytest.approx(0.325)
    np.testing.assert_array_equal(b.transform(X)[:, 0], [0, 0, 0, 1])


def test_class_balance_quantile_per_question_with_one_balance_per_question():
    g = Groups([0, 0, 0, 0, 1, 1])
    X = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [9.0]])
    b = Binariser("quantile", scope="question", class_balance=0.5).fit(X, g)
    np.testing.assert_array_equal(b.transform(X, g)[:, 0], [0, 0, 1, 1, 0, 1])
    # question 0: top quarter; question 1: everything at or above its minimum
    np.testing.assert_array_equal(b.transform(X, g, class_balance=np.array([0.25, 1.0]))[:, 0], [0, 0, 0, 1, 1, 1])


def test_binary_verifiers_keep_their_verdicts_and_state_round_trips():
    g = Groups([0, 0, 0, 1, 1, 1])
    X = np.array([[1, 0.9], [1, 0.1], [0, 0.5], [0, 0.2], [0, 0.3], [NAN, 0.8]])
    b = Binariser("quantile", scope="question", class_balance=0.2).fit(X, g)
    v = b.transform(X, g)
    np.testing.assert_array_equal(v[:, 0], [1, 1, 0, 0, 0, -1])
    np.testing.assert_array_equal(v[:, 1], [1, 0, 0, 0, 0, 1])
    back = Binariser.from_dict(json.loads(json.dumps(b.to_dict())))
    np.testing.assert_array_equal(back.transform(X, g), v)
    assert np.all(Binariser("none").fit_transform(X, g)[~np.isnan(X)] == X[~np.isnan(X)])


def test_binariser_rejects_bad_class_balance():
    with pytest.raises(InputError, match="class balance"):
        Binariser("quantile", scope="global", class_balance=1.5).fit(np.zeros((3, 1)))
    g = Groups([0, 1, 1])
    b = Binariser("quantile", scope="question").fit(np.zeros((3, 1)), g)
    with pytest.raises(InputError, match="2 questions"):
        b.transform(np.zeros((3, 1)), g, class_balance=np.array([0.1, 0.2, 0.3]))


# --------------------------------------------------------------------------- filters and metrics
def test_filters_flag_constant_and_unrelated_columns():
    rng = np.random.default_rng(2)
    codes = np.repeat(np.arange(100), 10)
    c = rng.random(1000) < 0.4
    good1 = c + rng.standard_normal(1000) * 0.7 + np.repeat(rng.standard_normal(100) * 3, 10)
    good2 = c + rng.standard_normal(1000) * 0.7
    noise = rng.standard_normal(1000)
    shift_only = np.repeat(rng.standard_normal(100), 10) + 0.01 * rng.standard_normal(1000)
    X = np.column_stack([good1, good2, noise, shift_only])
    a = agreement(X, Groups(codes))
    assert a[0] > 0.15 and a[1] > 0.15 and a[2] < 0.06 and a[3] < 0.06
    corr, pairs = within_question_correlation(X, Groups(codes))
    assert pairs[0, 1] == 1000 and corr[0, 1] == pytest.approx(corr[1, 0])
    votes = np.array([[1, 0], [1, 1], [1, -1], [1, 0]])
    np.testing.assert_allclose(positive_rate(votes), [1.0, 1 / 3])
    np.testing.assert_allclose(mode_share(np.array([[1.0, 0.1], [1.0, 0.2], [2.0, NAN]])), [2 / 3, 0.5])


def test_top_candidates_break_ties_at_random_and_rank_missing_last():
    g = Groups([0, 0, 0, 1, 1])
    top = top_candidates(np.array([0.5, 0.9, 0.1, NAN, 0.2]), g)
    np.testing.assert_array_equal(top, [1, 4])
    tied = Groups(np.repeat(np.arange(400), 2))
    picks = top_candidates(np.zeros(800), tied, seed=3) % 2
    assert 0.4 < picks.mean() < 0.6                  # not always the first candidate


def test_top_candidates_break_ties_by_each_key_in_turn():
    g = Groups([0, 0, 0, 1, 1, 1])
    score = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 0.0])
    first = np.array([0.0, 1.0, 1.0, 5.0, 5.0, 9.0])
    second = np.array([9.0, 0.0, 2.0, 0.0, 1.0, 9.0])
    np.testing.assert_array_equal(top_candidates(score, g, secondary=first), top_candidates(score, g, secondary=[first]))
    assert top_candidates(score, g, secondary=[first, second]).tolist() == [2, 4]
    assert top_candidates(score, g, secondary=[second]).tolist() == [0, 4]
    # a missing key ranks last
    assert top_candidates(score, g, secondary=[np.array([NAN, 1.0, 0.0, NAN, 0.0, 0.0])]).tolist()[0] == 1


def test_within_question_auc_matches_brute_force():
    rng = np.random.default_rng(4)
    codes = np.repeat(np.arange(30), 8)
    y = (rng.random(240) < 0.4).astype(int)
    s = np.round(y + rng.standard_normal(240), 1)     # rounding makes ties
    s[rng.random(240) < 0.1] = NAN
    num = den = 0.0
    for q in range(30):
        idx = np.flatnonzero((codes == q) & ~np.isnan(s))
        for i in idx[y[idx] == 1]:
            for j in idx[y[idx] == 0]:
                num += (s[i] > s[j]) + 0.5 * (s[i] == s[j])
                den += 1
    assert within_question_auc(s, y, Groups(codes)) == pytest.approx(num / den)


def test_answer_support_counts_equal_answers():
    np.testing.assert_array_equal(answer_support(np.array([0, 0, 1, -1, 2, 2, 2])), [2, 2, 1, 0, 3, 3, 3])


# --------------------------------------------------------------------------- input checks
def _table():
    return pd.DataFrame({"question_id": ["a", "a", "b", "b"], "candidate_id": [0, 1, 0, 1],
                         "rm_1": [0.1, 0.9, 0.4, NAN], "judge_1": [1, 0, 1, 1], "notes": ["x", "y", "z", "w"],
                         "answer": ["4", "5", None, "7"], "correct": [1, 0, NAN, 1]})


def test_from_frame_selects_verifiers_by_glob_and_codes_answers_and_labels():
    d = from_frame(_table(), verifiers="rm_*,judge_*", answer_col="answer", correct_col="correct")
    assert d.verifiers == ["rm_1", "judge_1"] and d.n_questions == 2
    np.testing.assert_array_equal(d.correct, [1, 0, -1, 1])
    assert d.answers[2] == -1 and d.answers[0] != d.answers[1]
    # default: every numeric column that is not an id, answer or label
    assert from_frame(_table(), answer_col="answer", correct_col="correct").verifiers == ["rm_1", "judge_1"]


@pytest.mark.parametrize("change, kwargs, message", [
    (None, {"question_col": "qid"}, "no column 'qid'"),
    (None, {"verifiers": "llm_*"}, "no verifier column matches 'llm_\\*'"),
    (None, {"verifiers": "notes"}, "'notes' is not numeric \\(row 0: 'x'\\)"),
    (lambda t: t.assign(candidate_id=[0, 0, 0, 1]), {}, "row 1: duplicate \\(question_id, candidate_id\\) pair \\('a', 0\\)"),
    (lambda t: t.assign(rm_1=[0.1, np.inf, 0.2, 0.3]), {}, "row 1: score inf is not finite"),
    (lambda t: t.assign(correct=[1, 2, 0, 1]), {"correct_col": "correct"}, "row 1: 2 is not 0/1"),
    (lambda t: t.iloc[:0], {}, "no rows"),
])
def test_from_frame_errors_are_one_line(change, kwargs, message):
    t = _table()
    if change is not None:
        t = change(t)
    kw = {"verifiers": "rm_*,judge_*", **kwargs}
    with pytest.raises(InputError, match=message) as exc:
        from_frame(t, **kw)
    assert "\n" not in str(exc.value)


# --------------------------------------------------------------------------- answer pooling
def test_pooled_log_odds_between_sum_and_mean():
    from weaklabel.verifiers.answers import pooled_log_odds

    ev = np.array([1.0, 2.0, 3.0, -1.0, 0.5])
    answers = np.array([7, 7, 7, 8, -1])
    prior = np.full(5, -0.5)
    np.testing.assert_allclose(pooled_log_odds(ev, prior, answers, 0.0), [5.5, 5.5, 5.5, -1.5, 0.0])
    np.testing.assert_allclose(pooled_log_odds(ev, prior, answers, 1.0), [1.5, 1.5, 1.5, -1.5, 0.0])
    np.testing.assert_allclose(pooled_log_odds(ev, prior, answers, 0.5)[0], -0.5 + 6.0 / 2.0)


def test_answer_icc_recovers_the_planted_correlation():
    from weaklabel.verifiers.answers import answer_icc

    rng = np.random.default_rng(7)
    A, n = 3000, 6
    cls = rng.integers(0, 2, A)
    shared = rng.standard_normal(A) * np.sqrt(0.3)
    ev = (np.repeat(2.0 * cls + shared, n) + rng.standard_normal(A * n) * np.sqrt(0.7))
    answers = np.repeat(np.arange(A), n)
    classes = np.repeat(cls, n)
    assert answer_icc(ev, answers, classes) == pytest.approx(0.3, abs=0.03)
    # unknown classes are left out; too few answers give NaN
    classes[: n * (A - 2)] = -1
    assert np.isnan(answer_icc(ev, answers, classes))
