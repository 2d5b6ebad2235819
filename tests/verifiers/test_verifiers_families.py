"""Issue 16: verifier families, question difficulty and answer pooling on simulated pools that
differ from the bench suites (`weaklabel.verifiers.simulate`); the steps as scikit-learn
estimators; `select_file` and the Weaver-style score table reader."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.bench.verifier_protocol import score_pool
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.verifiers import (
    Binariser,
    FamilyDetector,
    Normaliser,
    ScoreMixture,
    VerifierSelector,
    from_frame,
    read_scores,
    select_file,
)
from weaklabel.verifiers.answers import answer_f_test, answer_icc, answer_icc_mixture, evidence_from_proba
from weaklabel.verifiers.simulate import TUNING, VALIDATION, copies_pool, make_pool

ROOT = Path(__file__).resolve().parents[2]

EXAMPLE = ROOT / "examples" / "verifiers" / "weaver_scores.csv"
runner = CliRunner()


def load(pool):
    return from_frame(pool.table, verifiers=pool.verifier_names, answer_col="answer", correct_col="correct")


@pytest.fixture(scope="module")
def small_pool():
    return make_pool(3, n_questions=160, n_candidates=16)


# --------------------------------------------------------------------------- the simulator
def test_pool_simulator_is_seeded_and_has_the_regimes(small_pool):
    pool = small_pool
    again = make_pool(3, n_questions=160, n_candidates=16)
    pd.testing.assert_frame_equal(pool.table, again.table)
    assert not make_pool(4, n_questions=160, n_candidates=16).table.equals(pool.table)
    t, vt = pool.table, pool.verifiers
    assert t.shape[0] == 160 * 16
    roles = vt["role"].value_counts().to_dict()
    assert roles == {"family": 7, "independent": 6, "random": 4, "sparse": 1, "flipped": 1, "constant": 1}
    # sparse verifiers score a minority of the candidates; the others score them all
    cov = t[pool.verifier_names].notna().mean()
    sparse = vt.loc[vt.role == "sparse", "verifier"]
    assert (cov[sparse] < 0.5).all() and (cov.drop(sparse) == 1).all()
    # constant: one value for almost all; flipped: worse than chance; random: near 0.5
    const = vt.loc[vt.role == "constant", "verifier"].iloc[0]
    assert t[const].value_counts(normalize=True).iloc[0] > 0.9
    assert (vt.loc[vt.role == "flipped", "true_auc"] < 0.49).all()
    assert (vt.loc[vt.role == "random", "true_auc"].sub(0.5).abs() < 0.08).all()
    # correct candidates share one answer per question; the most common wrong answer is the popular one
    right = t[t.correct == 1].groupby("question_id")["answer"].nunique()
    assert (right == 1).all()
    wrong = t[t.correct == 0]
    share = wrong.groupby("question_id")["answer"].agg(lambda a: a.value_counts(normalize=True).iloc[0])
    assert share.mean() > 0.4 and wrong.groupby("question_id")["answer"].nunique().max() <= 4
    # mixed formats, including verdicts and negative log-probabilities
    assert {"verdict", "prob"} <= set(vt["format"])
    # question difficulty: every verifier scores hard questions lower (offsets shared by all)
    qmean = t.groupby("question_id")[pool.verifier_names].mean().rank().mean(axis=1)
    q = pool.questions.set_index("question_id")
    assert np.corrcoef(qmean.loc[q.index], q["offset"])[0, 1] > 0.5


def test_tuning_and_validation_configs_are_disjoint():
    assert not set(TUNING) & set(VALIDATION)
    assert all(cfg not in TUNING.values() for cfg in VALIDATION.values())
    with pytest.raises(InputError, match="unknown pool setting"):
        make_pool(0, n_questionz=3)


# --------------------------------------------------------------------------- families
def test_family_detector_finds_the_planted_families(small_pool):
    pool = small_pool
    data = load(pool)
    U = Normaliser("quantile", "global", output="normal").fit_transform(data.scores, data.groups)
    fd = FamilyDetector().fit(U, data.groups)
    vt = pool.verifiers
    truth = sorted(sorted(vt.index[vt.family == f]) for f in sorted(set(vt.family) - {-1}))
    assert sorted(sorted(f) for f in fd.families_) == truth
    # the tighter family (85% shared noise) gets the lower member weight
    w3 = fd.weights_[vt.index[vt.family == 0][0]]
    w4 = fd.weights_[vt.index[vt.family == 1][0]]
    assert w3 < 0.6 and w4 < 0.8 and (fd.weights_[vt.family.to_numpy() == -1] == 1).all()


def test_independent_verifiers_form_no_family():
    pool = make_pool(5, n_questions=150, n_candidates=16, families=(), n_independent=10)
    data = load(pool)
    sel = VerifierSelector().fit(data)
    assert sel.explain()["families"] == [] and np.all(sel.family_weights_ == 1)


@pytest.mark.parametrize("seed", [0, 1])
def test_three_copies_of_a_weak_verifier_weigh_about_one(seed):
    pool = copies_pool(seed, n_questions=150, n_candidates=16)
    vt = pool.verifiers
    copies = list(vt.verifier[vt.family == 0])
    data = from_frame(pool.table, verifiers=pool.verifier_names, answer_col="answer")
    w = dict(zip(pool.verifier_names, VerifierSelector().fit(data).effective_weights()))
    alone_names = [v for v in pool.verifier_names if v not in copies[1:]]
    alone = from_frame(pool.table, verifiers=alone_names, answer_col="answer")
    w1 = dict(zip(alone_names, VerifierSelector().fit(alone).effective_weights()))
    together = sum(w[v] for v in copies)
    assert 0.7 * w1[copies[0]] < together < 1.4 * w1[copies[0]]
    # without family detection they count about three times over (and more: agreement read as accuracy)
    w0 = dict(zip(pool.verifier_names, VerifierSelector(families="none").fit(data).effective_weights()))
    assert sum(w0[v] for v in copies) > 3 * together


def _yes_no_weight(sel, name):
    """A vote model's log-likelihood-ratio gap between a yes and a no vote of ``name``'s column,
    times what ``name`` counts in it (its family weight)."""
    conf = np.asarray(sel.model_.confusion_, dtype=float)
    kept = sel.kept_.index(name)
    col = next(j for j, c in enumerate(sel.vote_columns_) if kept in c)
    c = conf[col]
    gap = np.log(c[1, 1] / c[0, 1]) - np.log(c[1, 0] / c[0, 0])
    return gap * sel.family_weights_[sel.verifiers_.index(name)]


@pytest.mark.parametrize("label_model", ["ds", "hybrid"])
@pytest.mark.parametrize("seed", [0, 1])
def test_vote_models_count_three_copies_of_a_weak_verifier_about_once(seed, label_model):
    pool = copies_pool(seed, n_questions=150, n_candidates=16)
    vt = pool.verifiers
    copies = list(vt.verifier[vt.family == 0])
    data = from_frame(pool.table, verifiers=pool.verifier_names, answer_col="answer", correct_col="correct")
    alone_names = [v for v in pool.verifier_names if v not in copies[1:]]
    alone = from_frame(pool.table, verifiers=alone_names, answer_col="answer", correct_col="correct")
    sel = VerifierSelector(label_model=label_model).fit(data)
    one = VerifierSelector(label_model=label_model).fit(alone)
    none = VerifierSelector(label_model=label_model, families="none").fit(data)
    # the family is found and votes once: one column, each member counting a third
    fam = sel.explain()["families"]
    assert [sorted(f["members"]) for f in fam] == [sorted(copies)]
    assert sel.explain()["family_weights_applied"]
    assert sum(sel.family_weights_[sel.verifiers_.index(v)] for v in copies) == pytest.approx(1.0)
    together = sum(_yes_no_weight(sel, v) for v in copies)
    single = _yes_no_weight(one, copies[0])
    assert 0.7 * single < together < 1.4 * single
    # estimated quality is the weak copy's, not inflated by the copies' agreement
    auc = sel.stats_["est_auc"][sel.verifiers_.index(copies[0])]
    assert abs(auc - one.stats_["est_auc"][one.verifiers_.index(copies[0])]) < 0.05

    def s1(s, d):
        return float(d.correct[s.select(d)].mean())

    assert s1(sel, data) >= s1(one, alone) - 0.02
    if label_model == "ds":
        # without families the copies count many times over and selection suffers
        assert sum(_yes_no_weight(none, v) for v in copies) > 5 * together
        assert none.stats_["est_auc"][none.verifiers_.index(copies[0])] > auc + 0.15
        assert s1(sel, data) > s1(none, data) + 0.1
    else:
        # hybrid's own dependency pass finds the copies without the families too (a group of
        # copies weighs one source, benchmarks/PROTOCOL.md §9): a third each, quality not inflated
        cols = [next(j for j, c in enumerate(none.vote_columns_) if none.kept_.index(v) in c) for v in copies]
        assert np.all(np.asarray(none.model_.source_weights_)[cols] <= 1 / 3 + 1e-9)
        assert abs(none.stats_["est_auc"][none.verifiers_.index(copies[0])] - auc) < 0.05
        assert s1(none, data) >= s1(one, alone) - 0.02
    # the fitted columns survive a save/load round trip
    again = VerifierSelector.from_dict(json.loads(json.dumps(sel.to_dict())))
    assert again.vote_columns_ == sel.vote_columns_
    np.testing.assert_allclose(again.predict_proba(data), sel.predict_proba(data))


# --------------------------------------------------------------------------- answer pooling
def test_answer_test_and_unlabelled_correlation(small_pool):
    data = load(small_pool)
    sel = VerifierSelector(pool_answers=True, answer_icc=1.0).fit(data)
    p, prior = sel.candidate_proba(data)
    ev = evidence_from_proba(p, prior)
    labelled = answer_icc(ev, data.answers, data.correct)
    unlabelled = answer_icc_mixture(ev, data.answers, sel.predict_proba(data))
    assert abs(unlabelled - labelled) < 0.12
    F, pval = answer_f_test(ev, data.answers, data.codes)
    assert F > 3 and pval < 1e-6
    # answers unrelated to the scores (shuffled within questions): no evidence to pool
    rng = np.random.default_rng(0)
    shuffled = data.answers.copy()
    for q in range(data.n_questions):
        rows = np.flatnonzero(data.codes == q)
        shuffled[rows] = rng.permutation(shuffled[rows])
    _, p2 = answer_f_test(ev, shuffled, data.codes)
    assert p2 > 0.01
    data.answers = shuffled
    auto = VerifierSelector().fit(data)
    assert auto.answer_icc_ is None and auto.answer_test_["decision"].startswith("not pooled")


# --------------------------------------------------------------------------- targets on unseen pools
def _pool_scores(names, size):
    rows = []
    for i, name in enumerate(names):
        pool = make_pool(2000 + i, name, **dict(VALIDATION[name], **size))
        rows.append(score_pool(pool.table, pool.verifier_names, 2000 + i))
    return pd.DataFrame(rows)


def _check_targets(df, no_label_gap=0.04, dev_gap=0.02):
    base = df[["mean score", "majority answer"]].max(axis=1)
    assert (df["select, no labels"] > base).all(), df
    assert (df["select, no labels"] - df["oracle-weighted"]).mean() > -no_label_gap, df
    assert (df["select, 5% dev"] - df["oracle-weighted"]).mean() > -dev_gap, df


def test_select_meets_the_targets_on_small_unseen_pools():
    df = _pool_scores(["v_issue", "v_hard_popular"], dict(n_questions=200, n_candidates=16))
    _check_targets(df)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(VALIDATION))
def test_select_meets_the_targets_on_each_validation_config(name):
    _check_targets(_pool_scores([name], {}))


# --------------------------------------------------------------------------- estimators
@pytest.mark.parametrize("est", [Normaliser(limits=(0.05, 0.95)), Binariser(class_balance=0.3),
                                 ScoreMixture(covariance="full"), FamilyDetector(threshold=0.4),
                                 VerifierSelector(rate_band=(0.01, 0.99), model_params={"covariance": "full"})])
def test_steps_follow_the_scikit_learn_contract(est):
    from sklearn.base import clone

    c = clone(est)
    assert type(c) is type(est) and c is not est
    assert c.get_params(deep=True).keys() == est.get_params(deep=True).keys()
    for k, v in est.get_params(deep=False).items():
        assert c.get_params()[k] == v
    first = min(est.get_params())
    assert c.set_params(**{first: est.get_params()[first]}) is c
    with pytest.raises(ValueError, match="invalid parameter"):
        c.set_params(no_such_parameter=1)
    json.dumps(est.json_params())


def test_selector_state_with_families_round_trips(small_pool, tmp_path):
    data = load(small_pool)
    sel = VerifierSelector().fit(data)
    sel.save(tmp_path / "sel.json")
    back = VerifierSelector.load(tmp_path / "sel.json")
    np.testing.assert_allclose(back.predict_proba(data), sel.predict_proba(data), rtol=1e-10, atol=1e-12)
    assert back.explain()["families"] == sel.explain()["families"]


# --------------------------------------------------------------------------- reader, select_file, CLI
def test_weaver_style_score_table_is_read_and_selected(tmp_path):
    table = read_scores(EXAMPLE)
    assert table.layout == "weaver-long" and table.answer_col == "answer" and table.correct_col == "correct"
    res = select_file(EXAMPLE, tmp_path / "sel.parquet", seed=0)
    assert res.layout == "weaver-long" and res.data.n_questions == 60 and res.selected.sum() == 60
    ev = res.evaluation
    assert ev.score("label model") > max(ev.score("mean score"), ev.score("majority answer"))
    summary = res.to_dict()
    fams = summary["explanation"]["families"]
    assert [sorted(f["members"]) for f in fams] == [["internlm_score", "judge_01_verdict", "judge_04_verdict"]]
    assert summary["explanation"]["answer_pooling"]["test"]["p_value"] < 0.01
    sel = pd.read_parquet(tmp_path / "sel.parquet")
    assert list(sel.columns[:2]) == ["question_id", "candidate_id"] and len(sel) == 960


def test_weaver_long_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"problem_idx": [0, 0], "score_a": [0.1, 0.2]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match="bad.csv.*sample column"):
        read_scores(bad, layout="weaver-long")
    with pytest.raises(InputError, match="--format must be one of"):
        read_scores(bad, layout="wide")


def test_select_json_explains_families_and_pooling(tmp_path):
    out = tmp_path / "sel.parquet"
    r = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    expl = s["explanation"]
    assert s["layout"] == "weaver-long" and len(expl["families"]) == 1
    assert expl["families"][0]["member_weight"] < 0.8
    by_name = {v["verifier"]: v for v in expl["verifiers"]}
    assert by_name["internlm_score"]["family"] == 0 and by_name["armo_score"]["family"] == -1
    assert expl["answer_pooling"]["pooled"] and expl["answer_pooling"]["test"]["F"] > 1
    r2 = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(tmp_path / "s2.parquet"), "--families", "bogus"])
    assert r2.exit_code == 1 and "families must be one of" in r2.output and "Traceback" not in r2.output
    assert not (tmp_path / "s2.parquet").exists()
