"""Adversarial pass 76 on `weaklabel report`: figures the page showed that `fit` / `analyze` do not
(or that are not of these votes), and inputs that crashed it. Each test failed before its fix."""

import re

import numpy as np
import pandas as pd
import pytest

import weaklabel
from weaklabel import VoteMatrix
from weaklabel.errors import InputError
from weaklabel.fit.labels import write_model_labels
from weaklabel.htmlreport import collect
from weaklabel.models import HybridDawidSkene, MajorityVote
from weaklabel.models.moments import Triplet


def _lone_lf_votes(n=1500, seed=3):
    """Five overlapping LFs and one that votes only where no other LF does: a triplet model
    cannot estimate that one (``identified_`` false; its figure is the neutral prior)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    cols = [np.where(rng.random(n) < 0.5, np.where(rng.random(n) < 0.8, y, 1 - y), -1) for _ in range(5)]
    L = np.array(cols).T
    alone = (L < 0).all(axis=1) & (rng.random(n) < 0.8)
    L = np.column_stack([L, np.where(alone, np.where(rng.random(n) < 0.9, y, 1 - y), -1),
                         np.full(n, -1)])                        # and an LF that never votes
    names = [f"lf{j}" for j in range(5)] + ["lonely", "silent"]
    return VoteMatrix.from_dense(L, 2, names, classes=["neg", "pos"]), y


def _lf_cell(page: str, lf: str, col: int) -> str:
    """The text of column ``col`` of the LF table's row of ``lf``."""
    table = page[page.index('id="lf-table"'):]
    row = re.search(r'<tr><td class="l" data-v="' + re.escape(lf) + r'">.*?</tr>', table).group()
    return re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row)[col]).strip()


def test_estimates_a_model_could_not_make_are_na_as_in_fit_and_analyze():
    """The LF table showed a triplet model's neutral prior (0.750) as the estimated accuracy of an
    LF it could not estimate, and the prior of an LF without votes, where `fit` and `analyze` show
    "n/a" and "n/a (no votes)" (and "est. - gold" was computed from the prior)."""
    vm, y = _lone_lf_votes()
    lm = Triplet().fit(vm)
    ident = np.asarray(lm.identified_, dtype=bool)
    assert not ident[5] and ident[:5].all()
    rd = collect(vm, model=lm, gold=y)
    assert np.isnan(rd.lf.loc["lonely", "est_acc"]) and np.isnan(rd.lf.loc["silent", "est_acc"])
    np.testing.assert_allclose(rd.lf["est_acc"].to_numpy()[:5], np.asarray(lm.accuracies_)[:5])
    page = weaklabel.report(vm, model=lm, gold=y)
    assert _lf_cell(page, "lonely", 6) == "n/a"
    assert _lf_cell(page, "silent", 6) == "n/a (no votes)"
    assert _lf_cell(page, "lonely", 10) == "n/a"      # est. - gold
    assert _lf_cell(page, "lf0", 6) == f"{lm.accuracies_[0]:.3f}"


def test_model_of_classes_in_another_order_is_refused_with_labels(tmp_path):
    """With --labels, a model fitted on votes whose classes are in another order was accepted: its
    class prior was shown under the votes' class names (swapped), while `analyze --model` and
    `predict` refuse such a model."""
    vm, _ = _lone_lf_votes()
    L = vm.to_dense()
    swapped = VoteMatrix.from_dense(np.where(L >= 0, 1 - L, -1), 2, vm.lf_names, classes=["pos", "neg"])
    write_model_labels(MajorityVote().fit(swapped), swapped, tmp_path / "labels.parquet")
    other = HybridDawidSkene().fit(vm)         # classes neg, pos
    with pytest.raises(InputError, match="classes pos, neg but the model was fitted on classes neg, pos"):
        collect(swapped, labels=str(tmp_path / "labels.parquet"), model=other)


def test_worst_zero_shows_no_rows_instead_of_crashing():
    """worst=0 (allowed: "an integer of at least 0") crashed with numpy's "kth out of bounds"."""
    vm, y = _lone_lf_votes(n=300)
    rd = collect(vm, gold=y, worst=0, samples=0)
    assert rd.samples["wrong"] == [] and rd.samples["uncovered"] == []
    assert "Most confidently wrong" in weaklabel.report(vm, gold=y, worst=0)


def test_labels_of_other_votes_without_ids_are_refused(tmp_path):
    """Votes without id columns (fit writes a `row` position column) took the labels of any votes
    of as many rows: here those of the same votes shuffled, every figure silently of other rows.
    Labels written with --fill-unlabeled none give no row without votes a label; these did."""
    vm, _ = _lone_lf_votes(n=400)
    shuffled = vm.take(np.random.default_rng(0).permutation(vm.n_rows))
    lm = HybridDawidSkene().fit(vm)
    write_model_labels(lm, shuffled, tmp_path / "other.parquet")
    write_model_labels(lm, vm, tmp_path / "own.parquet")
    with pytest.raises(InputError, match=r"row \d+ has no vote .* label"):
        collect(vm, labels=str(tmp_path / "other.parquet"), block_rows=64)
    collect(vm, labels=str(tmp_path / "own.parquet"), block_rows=64)      # its own labels: fine
    write_model_labels(lm, shuffled, tmp_path / "filled.parquet", fill_unlabeled="prior")
    collect(vm, labels=str(tmp_path / "filled.parquet"))   # every row labelled: nothing to check


@pytest.mark.parametrize("value, shown", [(pd.NA, ""), (float("inf"), "inf"), (np.nan, ""), (None, ""),
                                          ("NA", "NA")])
def test_missing_text_is_empty_and_a_number_is_shown(tmp_path, value, shown):
    """A missing text of a nullable column (pd.NA: Parquet's string or Int64 nulls) read "<NA>",
    as if the row's text were "<NA>"; an infinite number showed as empty, as if missing."""
    vm = VoteMatrix.from_dense(np.array([[0, -1]] * 4), 2, row_ids=pd.DataFrame({"id": [1, 2, 3, 4]}))
    dtype = "string" if value is pd.NA else object
    text = pd.array([value] * 4, dtype=dtype) if value is not None else [None] * 4
    pd.DataFrame({"id": [1, 2, 3, 4], "text": text}).to_parquet(tmp_path / "d.parquet")
    page = weaklabel.report(vm, data=str(tmp_path / "d.parquet"), samples=1)
    cells = set(re.findall(r'<td class="txt">(.*?)</td>', page))
    assert cells == {shown}


def test_an_empty_id_is_shown_as_empty_not_as_nan(tmp_path):
    """A sampled row whose id is null read "id=nan" (or "id=None", "id=<NA>"): the same as a row
    whose id is the text "nan"."""
    ids = pd.DataFrame({"id": pd.array(["a", None, "nan"], dtype=object)})
    vm = VoteMatrix.from_dense(np.array([[0], [0], [0]]), 2, row_ids=ids)
    page = weaklabel.report(vm, samples=3)
    cells = re.findall(r"<td class=l>(id=[^<]*)</td>", page)
    assert "id=(empty)" in cells and "id=nan" in cells and "id=None" not in cells


def test_notebook_view_of_a_model_shows_na_where_it_could_not_estimate():
    """A fitted model's notebook view listed a triplet model's neutral prior (0.750) as the
    estimated accuracy of an LF it could not estimate (`fit` shows "n/a")."""
    vm, _ = _lone_lf_votes()
    lm = Triplet().fit(vm)
    view = lm._repr_html_()
    row = re.search(r"<tr><td class=l>lonely</td><td>(.*?)</td></tr>", view).group(1)
    assert row == "n/a"
    assert f"{lm.accuracies_[0]:.3f}" in re.search(r"<tr><td class=l>lf0</td><td>(.*?)</td></tr>", view).group(1)


def test_blocks_bound_the_probabilities_of_many_classes(tmp_path, monkeypatch):
    """Blocks were sized by vote cells (rows x LFs) alone, while each also holds the labels'
    (rows, K) probabilities: with K = 1,000 a block of 262,144 rows held 262 M of them (2.2 GB peak
    for 50,000 rows x 50 LFs). Now rows x (LFs + K) cells, with the same figures."""
    from weaklabel import evaluation
    from weaklabel.htmlreport import inputs

    monkeypatch.setattr(inputs, "BLOCK_CELLS", 1 << 20)
    rng = np.random.default_rng(0)
    n, K = 30_000, 100
    vm = VoteMatrix.from_dense(rng.integers(-1, K, (n, 2)), K)
    write_model_labels(MajorityVote().fit(vm), vm, tmp_path / "labels.parquet")
    seen = []
    real = evaluation.label_arrays
    monkeypatch.setattr(evaluation, "label_arrays", lambda lab, *a, **kw: seen.append(len(lab)) or real(lab, *a, **kw))
    rd = collect(vm, labels=str(tmp_path / "labels.parquet"))
    assert len(seen) > 1 and max(seen) * (2 + K) <= max(1 << 20, 4096 * (2 + K))
    whole = collect(vm, labels=str(tmp_path / "labels.parquet"), block_rows=n)
    assert (rd.label_counts == whole.label_counts).all() and (rd.confidence_hist == whole.confidence_hist).all()
    assert np.array_equal(rd.overlap, whole.overlap) and rd.totals == whole.totals
