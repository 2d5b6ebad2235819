"""Helper 78: the label models' Python API called from a notebook with awkward inputs (pandas
parameters, other dtypes, estimators that estimate no accuracies)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaklabel.errors import InputError
from conftest import noisy_votes
from weaklabel.models import (AutoModel, DawidSkene, HybridDawidSkene, MajorityVote, WeightedMajorityVote,
                              load_model, make_model, save_model)


def _votes(n=200, m=5, K=3, seed=3):
    return noisy_votes(n, m, K, seed)


@pytest.mark.parametrize("name", ["ds", "onecoin", "hybrid", "mc", "triplet", "auto"])
def test_class_balance_series_in_another_order_is_refused(name):
    # df.label.value_counts(normalize=True) lists the classes by frequency: read by position, class
    # 0 silently got class 1's share
    L, _ = _votes(K=2)
    s = pd.Series([0.7, 0.3], index=[1, 0])
    with pytest.raises(InputError, match=r"parameter 'class_balance' is a pandas Series indexed \[1, 0\]"):
        make_model(name, class_balance=s).fit(L)


def test_class_balance_series_in_class_order_equals_the_list(tmp_path):
    L, _ = _votes(K=2)
    s = pd.Series([0.3, 0.7])
    a = DawidSkene(class_balance=s).fit(L)
    b = DawidSkene(class_balance=[0.3, 0.7]).fit(L)
    assert np.array_equal(a.predict_proba(L), b.predict_proba(L))
    save_model(a, tmp_path / "m.json")   # was a raw TypeError: Series is not JSON serializable
    assert np.array_equal(load_model(tmp_path / "m.json").predict_proba(L), a.predict_proba(L))


def test_default_fit_class_balance_series_in_another_order_is_refused():
    from weaklabel import LabelModel

    L, _ = _votes(K=2)
    with pytest.raises(InputError, match="class_balance"):
        LabelModel().fit(L, class_balance=pd.Series([0.7, 0.3], index=[1, 0]))


def test_weights_series_indexed_by_lf_name_is_refused():
    L, _ = _votes()
    df = pd.DataFrame(L, columns=list("abcde"))
    w = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=list("edcba"))
    with pytest.raises(InputError, match=r"parameter 'weights' is a pandas Series indexed \['e', 'd', 'c', ...\]"):
        WeightedMajorityVote(weights=w).fit(df)


@pytest.mark.parametrize("param,value", [
    ("class_balance", np.array([0.25, 0.25, 0.5], dtype=np.float16)),
    ("weights", np.array([1, 2, 3, 1, 1], dtype=np.uint8)),
    ("weights", np.array([1, 2, 3, 1, 1], dtype=np.float16)),
])
def test_saved_parameters_of_other_dtypes_load_back(tmp_path, param, value):
    # the file was written, then refused by load_model ("unsupported array dtype 'float16'")
    L, _ = _votes()
    model = (DawidSkene if param == "class_balance" else WeightedMajorityVote)(**{param: value}).fit(L)
    save_model(model, tmp_path / "m.json")
    back = load_model(tmp_path / "m.json")
    assert np.array_equal(back.predict_proba(L), model.predict_proba(L))


def test_long_parameter_value_in_error_is_one_line():
    L, _ = _votes()
    bad = np.full(40, 1 / 40)
    bad[7] = np.nan
    with pytest.raises(InputError) as err:
        DawidSkene(class_balance=bad).fit(L)
    assert "\n" not in str(err.value) and "class_balance" in str(err.value)


@pytest.mark.parametrize("estimator", [MajorityVote(), AutoModel(candidates=[("mv", "majority", {})])])
def test_weighted_vote_with_an_estimator_of_no_accuracies(estimator):
    L, _ = _votes()
    with pytest.raises(InputError, match="estimates no LF accuracies"):
        WeightedMajorityVote(estimator=estimator).fit(L)


def test_weighted_vote_estimator_that_estimates_accuracies_still_works():
    L, _ = _votes()
    p = WeightedMajorityVote(estimator=HybridDawidSkene()).fit(L).predict_proba(L)
    assert np.allclose(p.sum(axis=1), 1)


def test_masked_array_of_votes_is_refused():
    # np.asarray drops the mask: the masked cells were read as the 0s under them, votes for class 0
    L, _ = _votes()
    masked = np.ma.masked_array(np.where(L < 0, 0, L), mask=L < 0)
    with pytest.raises(InputError, match=r"masked array, with row \d+, column \d+ masked.*L.filled\(-1\)"):
        MajorityVote().fit(masked)
    model = MajorityVote().fit(L)
    with pytest.raises(InputError, match="masked array"):
        model.predict_proba(masked)
    from weaklabel import LabelModel

    with pytest.raises(InputError, match="masked array"):
        LabelModel(cardinality=3).fit(masked)
    # nothing masked: the data under it, as before
    unmasked = np.ma.masked_array(L, mask=np.zeros_like(L, dtype=bool))
    assert np.array_equal(model.predict_proba(unmasked), model.predict_proba(L))


def test_ragged_list_of_votes_is_one_line():
    # was numpy's "setting an array element with a sequence ... inhomogeneous shape" ValueError
    rows = [[0, 1, -1], [1, 1, 0], [1, -1]]
    with pytest.raises(InputError, match=r"^vote matrix: row 2 has 2 votes, row 0 has 3"):
        MajorityVote().fit(rows)
    model = MajorityVote().fit(rows[:2])
    with pytest.raises(InputError, match="row 2 has 2 votes"):
        model.predict_proba(rows)


@pytest.mark.parametrize("name", ["ds", "hybrid", "mc", "triplet", "auto"])
def test_failed_refit_leaves_the_model_as_it_was(name):
    # the refit set cardinality_, n_lfs_ and lf_names_ before failing: the old tables then
    # "predicted" the new votes (3 columns for 2 classes) and refused the old ones
    LA, _ = _votes(K=3, m=6)
    LB, _ = _votes(K=2, m=4, seed=4)
    model = make_model(name, class_balance=[0.2, 0.3, 0.5]).fit(LA)
    before = model.predict_proba(LA)
    with pytest.raises(InputError, match="class_balance must be 2 positive numbers"):
        model.fit(LB)
    assert model.cardinality_ == 3 and model.n_lfs_ == 6
    assert np.array_equal(model.predict_proba(LA), before)
    with pytest.raises(InputError):
        model.predict_proba(LB)


def test_failed_refit_of_weighted_vote_leaves_it_as_it_was():
    LA, _ = _votes(K=3, m=6)
    LB, _ = _votes(K=2, m=4, seed=4)
    model = WeightedMajorityVote(weights=[1, 2, 3, 4, 5, 6]).fit(LA)
    before = model.predict_proba(LA)
    with pytest.raises(InputError, match="weights must be 4 finite numbers"):
        model.fit(LB)
    assert np.array_equal(model.predict_proba(LA), before)
    with pytest.raises(InputError, match="fitted on 6 LFs but got 4"):   # was a raw numpy broadcast ValueError
        model.predict_proba(LB)


def test_majority_vote_scores_the_labels_it_predicts():
    # MajorityVote(ties="abstain").predict abstains on tied rows, but score() broke those ties at
    # random: an accuracy of labels it never gives and a coverage of 1
    L, y = _votes(K=2, m=4, n=300, seed=5)
    model = MajorityVote(ties="abstain").fit(L)
    pred = model.predict(L)
    assert (pred == -1).any()
    assert model.score(L, y) == pytest.approx((pred == y).mean())
    got = model.score(L, y, metrics=["accuracy", "coverage"])
    assert got["coverage"] == pytest.approx((pred >= 0).mean())
    assert got["accuracy"] == pytest.approx((pred == y)[pred >= 0].mean())
    # ties="uniform" (predict's) is taken by score too; it was "ties must be one of random, abstain"
    uniform = MajorityVote(ties="uniform").fit(L)
    assert uniform.score(L, y, metrics=["accuracy"])["accuracy"] == uniform.score(L, y)
    assert MajorityVote().fit(L).score(L, y, ties="uniform", metrics=["coverage"])["coverage"] == 1.0


@pytest.mark.parametrize("model,params", [
    (MajorityVote(), {"ties": "bogus"}),
    (DawidSkene(), {"smoothing": float("nan")}),
    (WeightedMajorityVote(), {"weights": [1.0, float("inf"), 1.0, 1.0, 1.0]}),
])
def test_save_refuses_parameters_set_after_fit_that_load_would_refuse(tmp_path, model, params):
    # save_model wrote the file and load_model then refused it ("bad parameters"): the model was lost
    L, _ = _votes()
    model.fit(L).set_params(**params)
    name = next(iter(params))
    with pytest.raises(InputError, match=f"parameter '{name}' must be"):
        save_model(model, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_series_parameters_in_the_votes_order_are_taken(tmp_path):
    from weaklabel import VoteMatrix

    L, _ = _votes(K=2)
    df = pd.DataFrame(L, columns=list("abcde"))
    w = [1.0, 2.0, 3.0, 4.0, 5.0]
    by_name = WeightedMajorityVote(weights=pd.Series(w, index=list("abcde"))).fit(df)
    assert np.array_equal(by_name.predict_proba(df), WeightedMajorityVote(weights=w).fit(df).predict_proba(df))
    save_model(by_name, tmp_path / "w.json")
    assert np.array_equal(load_model(tmp_path / "w.json").predict_proba(df), by_name.predict_proba(df))
    vm = VoteMatrix.from_dense(L, classes=["neg", "pos"])
    named = DawidSkene(class_balance=pd.Series([0.3, 0.7], index=["neg", "pos"])).fit(vm)
    assert np.array_equal(named.predict_proba(vm), DawidSkene(class_balance=[0.3, 0.7]).fit(vm).predict_proba(vm))
    with pytest.raises(InputError, match=r"indexed \['pos', 'neg'\].*class names \('neg', 'pos'\)"):
        DawidSkene(class_balance=pd.Series([0.7, 0.3], index=["pos", "neg"])).fit(vm)


def test_series_parameter_set_after_fit_in_another_order_is_not_saved(tmp_path):
    L, _ = _votes(K=2)
    model = DawidSkene().fit(L).set_params(class_balance=pd.Series([0.7, 0.3], index=[1, 0]))
    with pytest.raises(InputError, match="class_balance"):
        save_model(model, tmp_path / "m.json")


def test_id_column_of_a_frame_is_not_taken_for_an_lf():
    # pd.read_parquet("votes.parquet") / df.reset_index() keep the ids: taken as an LF's votes,
    # K became the largest id + 1 (300 or 1300 classes) and every model fitted without a word
    from weaklabel import LabelModel

    L, _ = _votes(K=2, m=4, n=300)
    with_id = pd.DataFrame(L, columns=list("abcd"))
    with_id.insert(0, "doc_id", np.arange(300))
    with pytest.raises(InputError, match=r"column 'doc_id' looks like row ids.*L.drop\(columns=\['doc_id'\]\)"):
        MajorityVote().fit(with_id)
    with pytest.raises(InputError, match="column 'doc_id' looks like row ids"):
        LabelModel().fit(with_id)
    reset = pd.DataFrame(L, columns=list("abcd"), index=pd.Index(np.arange(300) + 1000, name="doc")).reset_index()
    with pytest.raises(InputError, match=r"column 'doc' looks like row ids, not an LF's votes \(values up to 1,299"):
        DawidSkene().fit(reset)
    with pytest.raises(InputError, match=r"column 0 looks like row ids"):
        DawidSkene().fit(reset.to_numpy())
    few = pd.DataFrame(L[:5], columns=list("abcd"))
    few.insert(0, "ID", [10, 11, 12, 13, 14])
    with pytest.raises(InputError, match="column 'ID' looks like row ids"):
        MajorityVote().fit(few)
    # the votes alone, or the ids as the index, fit as before
    a = MajorityVote().fit(with_id.set_index("doc_id")).predict_proba(L)
    assert np.array_equal(a, MajorityVote().fit(pd.DataFrame(L, columns=list("abcd"))).predict_proba(L))


def test_lf_columns_named_like_ids_that_vote_are_still_lfs():
    # an LF named *_id that abstains, or repeats its votes, is an LF
    L, _ = _votes(K=3, m=4, n=300)
    df = pd.DataFrame(L, columns=["a", "b", "c", "has_user_id"])
    assert MajorityVote().fit(df).cardinality_ == 3
    never_abstains = df.assign(has_user_id=np.arange(300) % 3)
    assert MajorityVote().fit(never_abstains).cardinality_ == 3


def test_gold_series_in_another_row_order_is_refused():
    # votes and gold both indexed by doc id, the gold sorted otherwise: read by position, each row
    # was fitted and scored with another row's label
    from weaklabel import LabelModel

    L, y = _votes(K=2, n=200)
    ids = np.arange(200) + 1000
    votes = pd.DataFrame(L, columns=list("abcde"), index=pd.Index(ids, name="doc_id"))
    gold = pd.Series(y, index=votes.index).sort_values(kind="stable")
    with pytest.raises(InputError, match=r"^y: a pandas Series whose index holds L's row labels in another order"):
        DawidSkene().fit(votes, gold)
    with pytest.raises(InputError, match="y.reindex"):
        LabelModel(cardinality=2).fit(votes, gold)
    model = DawidSkene().fit(votes)
    with pytest.raises(InputError, match="another order"):
        model.score(votes, gold)
    aligned = gold.reindex(votes.index)
    assert model.score(votes, aligned) == model.score(votes, y)
    assert np.array_equal(DawidSkene().fit(votes, aligned).predict_proba(votes),
                          DawidSkene().fit(votes, y).predict_proba(votes))
