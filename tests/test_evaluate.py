"""`weaklabel evaluate` and the shared metrics module (checked against scikit-learn and by hand)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix, evaluate
from weaklabel.cli import app
from weaklabel.metrics import (LabelScores, accuracy_f1, brier_sum, calibration_sums, confusion_matrix, ece,
                               scores_from_confusion, wilson_interval)
from weaklabel.models import HybridDawidSkene
from weaklabel.fit.labels import write_model_labels

from conftest import EXAMPLE, synthetic_votes

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_scores_match_scikit_learn():
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    rng = np.random.default_rng(3)
    for trial in range(20):
        K = int(rng.integers(2, 6))
        y = rng.integers(0, K, 200)
        pred = np.where(rng.random(200) < 0.6, y, rng.integers(0, K, 200))
        if trial % 3 == 0:
            pred[pred == K - 1] = 0                      # a class never predicted
        if trial % 4 == 1:
            y[y == 0] = 1                                # a class never in gold
        got = scores_from_confusion(confusion_matrix(y, pred, K))
        p, r, f, s = precision_recall_fscore_support(y, pred, labels=list(range(K)), zero_division=0)
        np.testing.assert_allclose(got["per_class"]["precision"], p)
        np.testing.assert_allclose(got["per_class"]["recall"], r)
        np.testing.assert_allclose(got["per_class"]["f1"], f)
        assert got["per_class"]["support"] == s.tolist()
        assert got["accuracy"] == pytest.approx((y == pred).mean())
        assert got["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
        # the bench's helper (any integers, e.g. -1 predictions) gives scikit-learn's figures too
        pred2 = np.where(rng.random(200) < 0.1, -1, pred)
        assert accuracy_f1(y, pred2)["macro_f1"] == pytest.approx(f1_score(y, pred2, average="macro",
                                                                           zero_division=0))


def test_bench_metrics_unchanged():
    from sklearn.metrics import f1_score

    from weaklabel.bench.endmodel import metrics

    rng = np.random.default_rng(0)
    y, pred = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    got = metrics(y, pred)
    assert got["accuracy"] == pytest.approx((y == pred).mean())
    assert got["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
    assert np.isnan(metrics(np.zeros(0), np.zeros(0))["accuracy"])


def test_brier_ece_and_wilson_by_hand():
    P = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.55, 0.45]])
    y = np.array([0, 1, 1, 0])
    by_hand = np.mean([(0.9 - 1) ** 2 + 0.1 ** 2, 0.6 ** 2 + (0.4 - 1) ** 2, 0.2 ** 2 + (0.8 - 1) ** 2,
                       (0.55 - 1) ** 2 + 0.45 ** 2])
    assert brier_sum(y, P) / 4 == pytest.approx(by_hand)
    sums = calibration_sums(y, P, 10)
    # bins: 0.9 -> 9 (right), 0.6 -> 6 (wrong), 0.8 -> 8 (right), 0.55 -> 5 (right)
    assert sums[0].tolist() == [0, 0, 0, 0, 0, 1, 1, 0, 1, 1]
    assert ece(sums) == pytest.approx((abs(1 - 0.55) + abs(0 - 0.6) + abs(1 - 0.8) + abs(1 - 0.9)) / 4)
    lo, hi = wilson_interval(np.array([0, 10, 7]), np.array([10, 10, 0]))
    assert lo[0] == 0 and hi[0] == pytest.approx(0.2775, abs=1e-4)      # textbook value for 0/10
    assert hi[1] == 1 and lo[1] == pytest.approx(0.7225, abs=1e-4)
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_label_scores_add_up_over_blocks():
    rng = np.random.default_rng(1)
    n, K = 1000, 3
    P = rng.dirichlet(np.ones(K), n)
    label = P.argmax(axis=1)
    label[rng.random(n) < 0.1] = -1
    y = np.where(rng.random(n) < 0.7, rng.integers(0, K, n), -1)
    whole = LabelScores(K)
    whole.add(y, P, label)
    parts = LabelScores(K)
    for a in range(0, n, 137):
        parts.add(y[a:a + 137], P[a:a + 137], label[a:a + 137])
    a, b = whole.result(), parts.result()
    for key in ("accuracy", "macro_f1", "brier", "ece", "coverage", "gold_rows"):
        assert a[key] == pytest.approx(b[key])
    assert a["confusion_matrix"] == b["confusion_matrix"]


@pytest.fixture
def fitted(tmp_path):
    """votes (string ids), labels.parquet and a gold table for the synthetic votes."""
    L = synthetic_votes()
    rng = np.random.default_rng(0)
    n = L.shape[0]
    ids = pd.DataFrame({"doc": [f"d{i:05d}" for i in range(n)]})
    vm = VoteMatrix.from_dense(L, cardinality=3, lf_names=[f"lf{j}" for j in range(L.shape[1])], row_ids=ids,
                               classes=["a", "b", "c"])
    model = HybridDawidSkene().fit(vm)
    write_model_labels(model, vm, tmp_path / "labels.parquet")
    # gold for a shuffled subset, as class names, in a different row order
    truth = np.where(L[:, 5] >= 0, L[:, 5], rng.integers(0, 3, n))
    keep = rng.permutation(n)[:1200]
    gold = pd.DataFrame({"doc": ids["doc"].to_numpy()[keep], "gold": np.array(["a", "b", "c"])[truth[keep]]})
    gold.to_csv(tmp_path / "gold.csv", index=False)
    return vm, model, tmp_path / "labels.parquet", tmp_path / "gold.csv", truth, keep


def test_evaluate_matches_a_manual_join(fitted):
    vm, model, labels, gold, truth, keep = fitted
    res = evaluate(labels, gold, "gold")
    lab = pd.read_parquet(labels)
    g = pd.read_csv(gold).merge(lab, on="doc")
    y = g["gold"].map({"a": 0, "b": 1, "c": 2}).to_numpy()
    has = g["label"].to_numpy() >= 0
    assert res["gold_rows"] == 1200 and res["labelled_gold_rows"] == int(has.sum())
    assert res["coverage"] == pytest.approx(has.mean())
    assert res["accuracy"] == pytest.approx((g["label"].to_numpy()[has] == y[has]).mean())
    assert res["accuracy_all"] == pytest.approx((g["label"].to_numpy() == y).mean())
    P = g[["prob_0", "prob_1", "prob_2"]].to_numpy(dtype=float)[has]
    brier = np.mean(((P - np.eye(3)[y[has]]) ** 2).sum(axis=1))
    assert res["brier"] == pytest.approx(brier)
    cm = np.asarray(res["confusion_matrix"])
    assert cm.sum() == has.sum() and np.trace(cm) == int((g["label"].to_numpy()[has] == y[has]).sum())
    assert res["classes"] == ["a", "b", "c"]
    assert 0 <= res["ece"] <= 1 and len(res["calibration"]) == 10


def test_evaluate_by_position_without_ids(tmp_path):
    L = synthetic_votes(n=500, seed=2)
    vm = VoteMatrix.from_dense(L, cardinality=3)
    model = HybridDawidSkene().fit(vm)
    write_model_labels(model, vm, tmp_path / "labels.parquet")
    y = np.where(L[:, 6] >= 0, L[:, 6], 0)
    pd.DataFrame({"label": y}).to_parquet(tmp_path / "gold.parquet")
    res = evaluate(tmp_path / "labels.parquet", tmp_path / "gold.parquet")
    lab = pd.read_parquet(tmp_path / "labels.parquet")
    has = lab["label"].to_numpy() >= 0
    assert res["accuracy"] == pytest.approx((lab["label"].to_numpy()[has] == y[has]).mean())
    pd.DataFrame({"label": y[:10]}).to_parquet(tmp_path / "short.parquet")
    from weaklabel.errors import InputError

    with pytest.raises(InputError, match=r"has 10 rows but .*labels\.parquet has 500"):
        evaluate(tmp_path / "labels.parquet", tmp_path / "short.parquet")


def test_evaluate_cli(fitted, tmp_path):
    vm, model, labels, gold, truth, keep = fitted
    r = run("evaluate", labels, "--gold", gold, "--label-col", "gold", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    lib = evaluate(labels, gold, "gold")
    assert data["accuracy"] == pytest.approx(lib["accuracy"]) and data["confusion_matrix"] == lib["confusion_matrix"]
    r = run("evaluate", labels, "--gold", gold, "--label-col", "gold")
    assert r.exit_code == 0 and "macro-F1" in r.stdout and "confusion matrix" in r.stdout
    # user mistakes: one line, exit 1
    r = run("evaluate", labels, "--gold", gold, "--label-col", "nope")
    assert r.exit_code == 1 and "no label column 'nope'" in r.stderr and "Traceback" not in r.output
    pd.DataFrame({"doc": ["zzz"], "gold": ["a"]}).to_csv(tmp_path / "nomatch.csv", index=False)
    r = run("evaluate", labels, "--gold", tmp_path / "nomatch.csv", "--label-col", "gold")
    assert r.exit_code == 1 and "ids matches a row" in r.stderr and "nomatch.csv ids e.g." in r.stderr  # names the file
    r = run("evaluate", EXAMPLE / "reviews.parquet", "--gold", gold, "--label-col", "gold")
    assert r.exit_code == 1 and "not a labels file" in r.stderr


def test_evaluate_labels_with_dropped_rows(tmp_path):
    """Labels without ids keep the votes' `row` positions; with unlabelled rows dropped those
    positions (not the labels' own order) index the gold table."""
    from weaklabel.io import write_labels

    L = synthetic_votes(n=400, seed=3)
    vm = VoteMatrix.from_dense(L, cardinality=3)
    model = HybridDawidSkene().fit(vm)
    P = model.predict_proba(vm)
    label = P.argmax(axis=1)
    keep = np.flatnonzero(vm.votes_per_row() > 0)
    write_labels(tmp_path / "labels.parquet", P[keep], label[keep], row_ids=pd.DataFrame({"row": keep}))
    y = np.where(L[:, 4] >= 0, L[:, 4], 2)
    pd.DataFrame({"label": y}).to_parquet(tmp_path / "gold.parquet")
    res = evaluate(tmp_path / "labels.parquet", tmp_path / "gold.parquet")
    assert res["gold_rows"] == keep.size
    assert res["accuracy"] == pytest.approx((label[keep] == y[keep]).mean())
    pd.DataFrame({"label": y[:100]}).to_parquet(tmp_path / "short.parquet")
    from weaklabel.errors import InputError

    with pytest.raises(InputError, match="refer to row"):
        evaluate(tmp_path / "labels.parquet", tmp_path / "short.parquet")


def test_evaluate_says_which_gold_rows_a_drop_unlabeled_file_left_out(tmp_path):
    """A labels file written with --drop-unlabeled has no row for the gold rows without a label:
    coverage reads 1.0 there, so evaluate says how many gold rows it could not score and why."""
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(synthetic_votes(n=400, seed=3), cardinality=3).to_parquet(votes)
    L = synthetic_votes(n=400, seed=3)
    uncovered = int(((L >= 0).sum(axis=1) == 0).sum())
    assert uncovered > 0
    pd.DataFrame({"row": np.arange(400), "label": np.where(L[:, 4] >= 0, L[:, 4], 2)}).to_parquet(tmp_path / "g.parquet")
    for flags, dropped in (([], 0), (["--drop-unlabeled"], uncovered)):
        out = tmp_path / f"l{len(flags)}.parquet"
        assert run("fit", votes, "-o", out, "-m", "hybrid", "-q", *flags).exit_code == 0
        res = json.loads(run("evaluate", out, "--gold", tmp_path / "g.parquet", "--json").stdout)
        assert res["gold_rows_unmatched"] == dropped and res["labels_rows_dropped"] == dropped
        r = runner.invoke(app, ["evaluate", str(out), "--gold", str(tmp_path / "g.parquet")])
        assert ("written with --drop-unlabeled" in r.output) == bool(dropped)


@pytest.mark.parametrize("with_ids", [True, False])
def test_evaluate_a_labels_file_without_rows_reports_coverage_zero(tmp_path, with_ids):
    """`fit --drop-unlabeled` on votes where no row has a vote writes a labels file of 0 rows:
    evaluate scores nothing and says so (coverage 0, accuracy null), by id or by position."""
    L = np.full((5, 3), -1)
    ids = pd.DataFrame({"doc": [f"d{i}" for i in range(5)]}) if with_ids else None
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2, row_ids=ids, classes=["a", "b"]).to_parquet(votes)
    out = tmp_path / "labels.parquet"
    assert run("fit", votes, "-o", out, "-m", "majority", "-q", "--drop-unlabeled").exit_code == 0
    assert len(pd.read_parquet(out)) == 0
    gold = pd.DataFrame({"label": ["a", "b", "", "a", "b"]})
    if with_ids:
        gold.insert(0, "doc", ids["doc"])
    gold.to_csv(tmp_path / "gold.csv", index=False)
    res = evaluate(out, tmp_path / "gold.csv")
    assert res["rows"] == 0 and res["labelled_gold_rows"] == 0
    assert res["gold_rows"] == 4 and res["coverage"] == 0.0 and res["accuracy_all"] == 0.0
    assert np.isnan(res["accuracy"]) and res["gold_rows_no_label"] == 1 and res["labels_rows_dropped"] == 5
    r = run("evaluate", out, "--gold", tmp_path / "gold.csv", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["coverage"] == 0.0 and got["accuracy"] is None and got["rows"] == 0
    r = run("evaluate", out, "--gold", tmp_path / "gold.csv")
    assert r.exit_code == 0, r.output
    assert "coverage 0.000" in r.stdout and "no rows scored" in r.stdout and "--drop-unlabeled" in r.stdout
    # a gold file without the label column is still one line naming it
    pd.DataFrame({"doc": ["d0"], "gold": ["a"]}).to_csv(tmp_path / "other.csv", index=False)
    r = runner.invoke(app, ["evaluate", str(out), "--gold", str(tmp_path / "other.csv")])
    assert r.exit_code == 1 and "no label column 'label'" in r.stderr


@pytest.mark.parametrize("how", ["ids", "positions", "empty"])
def test_evaluate_reads_the_gold_no_label_masks_once(tmp_path, monkeypatch, how):
    """The gold rows read as "no label" (empty, -1) are found once per evaluate, by id, by the
    positions of a --drop-unlabeled file or for a labels file without rows; the result is unchanged."""
    import weaklabel.votes.gold as gold_mod
    from weaklabel.io import write_labels

    n, K = 60, 2
    rng = np.random.default_rng(5)
    P = rng.dirichlet(np.ones(K), n)
    keep = {"ids": np.arange(n), "positions": np.arange(0, n, 2), "empty": np.arange(0)}[how]
    row_ids = pd.DataFrame({"doc": [f"d{i}" for i in keep]} if how == "ids" else {"row": keep})
    write_labels(tmp_path / "labels.parquet", P[keep], P[keep].argmax(axis=1), row_ids=row_ids, classes=["a", "b"])
    gold = pd.DataFrame({"doc": [f"d{i}" for i in range(n)], "label": np.array(["a", "b", "", "-1"])[np.arange(n) % 4]})
    if how != "ids":
        gold = gold[["label"]]
    gold.to_parquet(tmp_path / "gold.parquet")
    want = evaluate(tmp_path / "labels.parquet", tmp_path / "gold.parquet")
    calls = []
    real = gold_mod.no_label
    monkeypatch.setattr(gold_mod, "no_label", lambda *a, **k: calls.append(1) or real(*a, **k))
    got = evaluate(tmp_path / "labels.parquet", tmp_path / "gold.parquet")
    assert len(calls) == 1
    assert json.dumps(got, sort_keys=True, default=str) == json.dumps(want, sort_keys=True, default=str)
    assert got["gold_rows_no_label"] == n // 2 and got["gold_rows_minus_one"] == n // 4


def test_read_labels_reads_only_the_columns_it_needs(fitted, tmp_path, monkeypatch):
    """A labels file with a large kept text column (``fit --keep-cols``): ``read_labels`` read every
    column, the text included, to use the ids, ``prob_*`` and ``label``, and the Parquet footer
    twice (metadata, then the table). Same result, from those columns only, one footer read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from weaklabel import evaluation
    from weaklabel.io import tables

    vm, model, labels, gold, truth, keep = fitted
    text = pa.table({"text": ["a long review " * 200 + str(i) for i in range(vm.n_rows)]})
    kept = tmp_path / "kept.parquet"
    write_model_labels(model, vm, kept, extra_cols=text)
    assert "text" in pq.read_schema(kept).names
    expect = pd.read_parquet(labels)
    read_cols, footers = [], []
    real_iter, real_meta = pq.ParquetFile.iter_batches, pq.read_metadata
    real_open = tables.open_parquet

    def spy_iter(self, *a, columns=None, **kw):
        read_cols.append(columns)
        return real_iter(self, *a, columns=columns, **kw)

    def spy_open(path):
        footers.append(path)
        return real_open(path)

    def spy_meta(path, *a, **kw):
        footers.append(path)
        return real_meta(path, *a, **kw)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy_iter)
    monkeypatch.setattr(tables, "open_parquet", spy_open)
    monkeypatch.setattr(pq, "read_metadata", spy_meta)
    ids, proba, label, meta = evaluation.read_labels(kept)
    assert read_cols and all(c is not None and "text" not in c for c in read_cols), read_cols
    assert len(footers) == 1, footers
    pd.testing.assert_frame_equal(ids, expect[["doc"]])
    np.testing.assert_array_equal(proba, expect[["prob_0", "prob_1", "prob_2"]].to_numpy(dtype=np.float64))
    np.testing.assert_array_equal(label, expect["label"].to_numpy(dtype=np.int64))
    assert meta["cardinality"] == 3
    monkeypatch.undo()
    a, b = evaluate(kept, gold, "gold"), evaluate(labels, gold, "gold") | {"labels": str(kept)}
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
