"""Review 86 of helpers 78, 79 and 85: valid inputs the new checks refused or crashed on.

* ``models/inputs.check_label_order``: votes as a DataFrame whose index mixes types (ids of two
  kinds, ``[1, "a", ...]``) beside gold labels with another index crashed the fit with a bare
  ``TypeError`` from sorting the index (``'<' not supported between 'str' and 'int'``).
* ``models/inputs.check_id_columns``: an LF that never abstains and alone votes the high classes
  (a classifier LF over K = 300 classes beside keyword LFs of the first 50; a crowd worker who
  answered every item with one high class) was refused as "row ids" on a few hundred rows, though
  its values repeat, as ids never do.
* ``io/output_paths.check_name_length``: ``os.pathconf`` answers -1 (no definite limit) or 0 on
  some file systems (FUSE and network mounts that leave ``f_namelen`` unset); every output was then
  refused as "file name too long".
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from conftest import noisy_votes
from weaklabel.errors import InputError
from weaklabel.models import DawidSkene, MajorityVote


def _votes(n=200, m=4, K=2, seed=0):
    return noisy_votes(n, m, K, seed)


# --------------------------------------------------------------------------- gold order, mixed index
def test_gold_beside_votes_with_a_mixed_type_index_fits():
    L, y = _votes()
    index = pd.Index([1, "a"] + list(range(2, len(L))), dtype=object)
    votes = pd.DataFrame(L, columns=list("abcd"), index=index)
    gold = pd.Series(y)   # a RangeIndex: other row labels, read by position as before
    a = DawidSkene().fit(votes, gold).predict_proba(votes)
    assert np.array_equal(a, DawidSkene().fit(L, y).predict_proba(L))
    DawidSkene().fit(votes).score(votes, gold)


def test_gold_in_another_order_of_a_mixed_type_index_is_still_refused():
    L, y = _votes()
    index = pd.Index([1, "a"] + list(range(2, len(L))), dtype=object)
    votes = pd.DataFrame(L, columns=list("abcd"), index=index)
    gold = pd.Series(y, index=index)[::-1]
    with pytest.raises(InputError, match="another order"):
        DawidSkene().fit(votes, gold)


# --------------------------------------------------------------------------- id-column heuristic
def test_dense_lf_over_many_classes_is_not_taken_for_ids():
    # keyword LFs vote the first 50 classes; a classifier LF votes every row, over all 300 classes
    rng = np.random.default_rng(1)
    n = 200
    L = np.full((n, 5), -1)
    L[:, 0] = rng.integers(100, 300, n)
    L[:, 0][0] = 299
    for j in range(1, 5):
        fire = rng.random(n) < 0.3
        L[fire, j] = rng.integers(0, 50, fire.sum())
    assert MajorityVote().fit(L).cardinality_ == 300
    df = pd.DataFrame(L, columns=["clf", "kw1", "kw2", "kw3", "kw4"])
    assert MajorityVote().fit(df).cardinality_ == 300


def test_crowd_worker_answering_every_item_with_one_high_class_is_not_ids():
    L, _ = _votes(n=150, m=4, K=3)
    L = np.column_stack([L, np.full(len(L), 120)])
    assert MajorityVote().fit(L).cardinality_ == 121


def test_real_id_columns_are_still_refused():
    L, _ = _votes(n=300)
    with pytest.raises(InputError, match="looks like row ids"):
        MajorityVote().fit(np.column_stack([np.arange(300) + 1000, L]))
    shuffled = np.random.default_rng(0).permutation(300)
    with pytest.raises(InputError, match="looks like row ids"):
        MajorityVote().fit(pd.DataFrame(L).assign(x=shuffled))


# --------------------------------------------------------------------------- name length
@pytest.mark.parametrize("answer", [-1, 0])
def test_an_indeterminate_name_limit_refuses_no_output(tmp_path, monkeypatch, answer):
    from weaklabel.io import check_output
    from weaklabel.io.output_paths import check_name_length

    monkeypatch.setattr(os, "pathconf", lambda path, name: answer)
    check_name_length(tmp_path / "labels.parquet")
    check_output(tmp_path / "labels.parquet", force=False)
    with pytest.raises(InputError, match="file name too long"):
        check_name_length(tmp_path / ("x" * 250 + ".parquet"))   # over the usual 255 still is


# --------------------------------------------------------------------------- Series by class name
def test_class_balance_series_by_class_names_typed_otherwise_is_taken():
    # class names compare without surrounding spaces and in Unicode NFC everywhere else
    # (votes.class_names.class_key): "café" typed with a combining accent, "pos " with a space
    import unicodedata

    from weaklabel import VoteMatrix

    L, _ = _votes(K=2)
    vm = VoteMatrix.from_dense(L, classes=["café", "pos"])
    s = pd.Series([0.3, 0.7], index=[unicodedata.normalize("NFD", "café"), "pos "])
    a = DawidSkene(class_balance=s).fit(vm)
    assert np.array_equal(a.predict_proba(vm), DawidSkene(class_balance=[0.3, 0.7]).fit(vm).predict_proba(vm))
    with pytest.raises(InputError, match="class names"):
        DawidSkene(class_balance=s[::-1]).fit(vm)


def test_a_repeating_index_column_of_concatenated_frames_is_still_refused():
    # pd.concat([a, b]).reset_index(): ids 0..199 then 0..99, named "index" (refused before review
    # 86 by its values; its repeats must not make it an LF)
    L, _ = _votes(n=300)
    df = pd.concat([pd.DataFrame(L[:200]), pd.DataFrame(L[200:])]).reset_index()
    with pytest.raises(InputError, match="column 'index' looks like row ids"):
        MajorityVote().fit(df)


def test_an_lf_named_like_an_id_that_votes_every_row_over_many_classes_is_an_lf():
    # a classifier's output column "category_id" (class ids, repeated) beside keyword LFs
    rng = np.random.default_rng(2)
    n = 200
    df = pd.DataFrame({"category_id": rng.integers(0, 300, n)})
    df.loc[0, "category_id"] = 299
    for j in range(3):
        df[f"kw{j}"] = np.where(rng.random(n) < 0.3, rng.integers(0, 50, n), -1)
    assert MajorityVote().fit(df).cardinality_ == 300
