"""Generated LFs at scale, and classes with very few labelled rows.

* ``knn`` took time and memory quadratic in the labelled rows: a dense rows x rows distance
  matrix, sorted whole for each ``k`` (4,000 labelled rows: ~14 s and ~570 MB; 25,000: ~10 GB),
  and ``knn_rule`` (what ``weaklabel apply`` runs from ``lfs_model.npz``) a batch x labelled
  rows matrix (100,000-row batches). Distances now come a block of rows at a time and only each
  row's nearest are sorted; the votes are those of a stable sort of whole rows.
* ``snuba``: one class with a single labelled row switched the pair (logistic-regression) rules
  off for every class. That class is now left out of the pair models, with a warning.

The memory and snuba tests failed before the fixes; the others hold the votes to those of the
former whole-matrix code (a stable sort of every row), ties included."""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

from weaklabel import apply_lfs
from weaklabel.autolf import generate_lfs, rules
from weaklabel.autolf.rules import centroid_rule, knn_rule


# --------------------------------------------------------------------------- references (the former code)
def _d2(z, points):
    return (np.square(z).sum(axis=1)[:, None] - 2.0 * z @ points.T + np.square(points).sum(axis=1)[None, :])


def _reference_knn_votes(d2, labels, k, min_agree, K, radius):
    """The former ``_knn_votes``: every row sorted whole, by (distance, point index)."""
    n, p = d2.shape
    k = min(k, p)
    order = np.lexsort((np.broadcast_to(np.arange(p), d2.shape), d2), axis=1)[:, :k]
    counts = np.zeros((n, K), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), k), labels[order].ravel()), 1)
    top = counts.max(axis=1)
    unique_top = (counts == top[:, None]).sum(axis=1) == 1
    nearest = np.sqrt(np.maximum(d2[np.arange(n), order[:, 0]], 0.0))
    return np.where((top >= min_agree) & unique_top & (nearest <= radius), counts.argmax(axis=1), -1)


def _grid(rng, n, d=2, levels=4):
    """Whole-number coordinates: exact distances, and many equal ones (ties)."""
    return rng.integers(0, levels, (n, d)).astype(float)


def _peak_mib(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- knn: same votes, blockwise
def test_nearest_order_is_a_stable_sort_of_each_row():
    nearest_order = getattr(rules, "nearest_order", None)
    assert nearest_order is not None, "no partial sort: every row was sorted whole"
    rng = np.random.default_rng(0)
    for trial in range(30):
        n, p = rng.integers(1, 40), rng.integers(1, 60)
        d2 = rng.integers(0, 5, (n, p)).astype(float)          # ties everywhere
        if trial % 3 == 0:
            d2[rng.random((n, p)) < 0.1] = np.inf
        if trial % 5 == 0:
            d2[rng.random((n, p)) < 0.1] = np.nan               # NaN sorts last, as in a sort
        full = np.lexsort((np.broadcast_to(np.arange(p), d2.shape), d2), axis=1)
        for k in sorted({1, 3, 9, int(p)}):
            assert np.array_equal(nearest_order(d2, k), full[:, :min(k, p)]), (trial, k)


@pytest.mark.parametrize("block", [1, 7, 100, 1 << 21])
def test_knn_rule_votes_do_not_depend_on_the_block_of_rows(monkeypatch, block):
    """Blocks of 1, 7, 100 rows or all: the votes of the former whole-matrix rule, ties included."""
    rng = np.random.default_rng(1)
    pts, z = _grid(rng, 60), _grid(rng, 45)
    lab = rng.integers(0, 3, 60)
    monkeypatch.setattr(rules, "BLOCK_ELEMENTS", block * 60, raising=False)
    for k, agree, radius in ((1, 1, 0.5), (3, 2, np.inf), (5, 4, np.inf), (9, 5, np.inf), (60, 30, np.inf)):
        want = _reference_knn_votes(_d2(z, pts), lab, k, agree, 3, radius)
        assert knn_rule(z, pts, lab, k, agree, 3, radius).tolist() == want.tolist(), (k, block)


def test_knn_leave_one_out_matches_the_whole_matrix(monkeypatch):
    """The labelled rows' leave-one-out votes, in blocks of 7 rows: those of the full matrix with
    its diagonal taken out, however the equal distances fall."""
    rng = np.random.default_rng(2)
    P = _grid(rng, 80, levels=3)
    y = rng.integers(0, 2, 80)
    monkeypatch.setattr(rules, "BLOCK_ELEMENTS", 7 * 80, raising=False)
    order, first, smallest = rules.knn_neighbours(P, P, 9, leave_one_out=True)
    d2 = _d2(P, P)
    np.fill_diagonal(d2, np.inf)
    assert np.array_equal(smallest, d2.min(axis=1))
    for k, agree in ((1, 1), (3, 3), (5, 4), (9, 7)):
        got = rules.knn_votes(y[order[:, :k]], first, agree, 2, np.inf)
        assert got.tolist() == _reference_knn_votes(d2, y, k, agree, 2, np.inf).tolist()


def test_knn_generation_memory_does_not_grow_with_the_square_of_the_labelled_rows(monkeypatch):
    """3,000 labelled rows: a 3,000 x 3,000 distance matrix and its sort took ~140 MB (4,000
    rows: ~250 MB, 20,000 rows: ~6 GB); in blocks of 2**16 cells it is a few MB."""
    monkeypatch.setattr(rules, "BLOCK_ELEMENTS", 1 << 16, raising=False)
    rng = np.random.default_rng(0)
    n = 3000
    y = np.arange(n) % 2
    X = pd.DataFrame({"a": y + rng.random(n), "b": rng.random(n)})
    generate_lfs(X.iloc[:60], y[:60], "knn")          # imports outside the measurement
    peak = _peak_mib(lambda: generate_lfs(X, y, "knn"))
    assert peak < 24, f"{peak:.0f} MiB"


def test_knn_rule_memory_is_bounded_on_a_large_batch(monkeypatch):
    """What `weaklabel apply` runs from lfs_model.npz: a batch (100,000 rows by default) against
    every labelled point was one dense matrix; 20,000 x 1,500 here (~240 MB, and its sort more)."""
    monkeypatch.setattr(rules, "BLOCK_ELEMENTS", 1 << 16, raising=False)
    rng = np.random.default_rng(3)
    pts, lab = rng.random((1500, 2)), rng.integers(0, 2, 1500)
    z = rng.random((20_000, 2))
    votes = []
    peak = _peak_mib(lambda: votes.append(knn_rule(z, pts, lab, 5, 4, 2, np.inf)))
    assert peak < 16, f"{peak:.0f} MiB"
    head = _reference_knn_votes(_d2(z[:500], pts), lab, 5, 4, 2, np.inf)
    assert votes[0][:500].tolist() == head.tolist()


def test_centroid_rule_in_blocks_of_rows(monkeypatch):
    """Many clusters (k-means with k up to 4K) times a 100,000-row batch was one dense matrix."""
    rng = np.random.default_rng(4)
    cents = _grid(rng, 40, levels=5)
    labels = rng.integers(-1, 3, 40)
    radius = rng.random(40) * 3
    z = _grid(rng, 5000, levels=5) + 0.25
    d2 = _d2(z, cents)
    g = d2.argmin(axis=1)
    dist = np.sqrt(np.square(z - cents[g]).sum(axis=1))
    want = np.where(dist <= radius[g], labels[g], -1)
    monkeypatch.setattr(rules, "BLOCK_ELEMENTS", 40 * 64, raising=False)
    assert centroid_rule(z, cents, labels, radius).tolist() == want.tolist()
    z = rng.random((40_000, 2))
    cents = rng.random((400, 2))
    peak = _peak_mib(lambda: centroid_rule(z, cents, np.zeros(400, np.int64), np.ones(400)))
    assert peak < 16, f"{peak:.0f} MiB"      # 40,000 x 400 at once: ~120 MB


def test_knn_model_file_applies_the_generated_votes(tmp_path):
    """Written as lfs.py + lfs_model.npz and run by `apply` in batches of 333 rows: the votes on
    the unlabelled rows are the ones generation reported."""
    from weaklabel.autolf import load_generated

    rng = np.random.default_rng(5)
    n = 1600
    y = rng.integers(0, 3, n)
    X = pd.DataFrame(rng.normal(size=(n, 4)) + y[:, None] * 0.7, columns=list("abcd"))
    lfs = generate_lfs(X.iloc[:600], y[:600], "knn", X_unlabeled=X.iloc[600:])
    assert len(lfs)
    lfs.write(tmp_path / "lfs.py", format="model")
    loaded = load_generated(tmp_path / "lfs_model.npz")
    votes = apply_lfs(X.iloc[600:], list(loaded), cardinality=3, batch_size=333).to_dense()
    got = (votes >= 0).mean(axis=0)
    want = [s["coverage_unlabeled"] for s in lfs.stats]
    assert np.allclose(got, want), (got, want)


# --------------------------------------------------------------------------- snuba: a class with one row
def _three_classes(n=300, seed=0, single=2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[17] = single                                   # one labelled row of class 2 (or of 0/1)
    X = pd.DataFrame({"a": y * 1.5 + rng.normal(size=n), "b": -y * 1.5 + rng.normal(size=n),
                      "c": rng.normal(size=n)})
    return X, y


def test_one_row_of_a_class_keeps_pair_rules_for_the_others():
    """`n_folds = min(4, counts.min())` became 1 and no pair rule was made for any class."""
    X, y = _three_classes()
    with pytest.warns(UserWarning, match=r"pair rules .* leave out class 'rare' \(1 labelled row\)"):
        lfs = generate_lfs(X, y, "snuba", classes=["neg", "pos", "rare"])
    linear = [(lf, s) for lf, s in zip(lfs, lfs.stats) if s["rule"] == "linear"]
    assert linear, lfs.summary()
    for lf, s in linear:
        assert lf.resources["labels"] == [0, 1]       # never votes the class it could not check
        assert "rare" not in s["classes"]
    # the reported accuracy is what the rule does out of fold; the rare row counts like any other
    votes = apply_lfs(X, lfs, cardinality=3).to_dense()
    assert votes.max() <= 1 and votes.min() >= -1
    # the same table with that row in a class of many: the pair rules it had before, no warning
    X2, y2 = _three_classes(single=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lfs2 = generate_lfs(X2, y2, "snuba", classes=["neg", "pos", "rare"])
    assert any(s["rule"] == "linear" for s in lfs2.stats)


def test_the_rare_rows_count_in_the_pair_rules_accuracy():
    """The left-out class's rows are never trained on; the rule's votes on them are in its
    coverage and accuracy (wrong when it fires)."""
    from weaklabel.autolf._base import prepare
    from weaklabel.autolf.snuba import pair_candidates

    X, y = _three_classes()
    data = prepare(X, y, classes=["neg", "pos", "rare"])
    with pytest.warns(UserWarning, match="leave out class 'rare'"):
        cands = pair_candidates(data, 0.6, 6, 0)
    assert cands
    for c in cands:
        v = c.votes_labeled
        assert v[17] in (-1, 0, 1)
        own = rules.linear_rule(X.iloc[[17]], **c.resources)[0]
        assert v[17] == own                          # the rule's own vote on the row it never saw


def test_generated_lfs_py_with_a_one_row_class_votes_only_valid_classes(tmp_path):
    """The CLI path: the written lfs.py has pair rules, `weaklabel apply` runs it, and every
    vote is one of the classes (never the single-row one from a pair rule)."""
    from typer.testing import CliRunner

    from weaklabel.cli import app

    X, y = _three_classes()
    names = np.array(["neg", "pos", "rare"])
    X["label"] = pd.Series(names[y], dtype=object)
    X.loc[250:, "label"] = None
    X.to_parquet(tmp_path / "t.parquet")
    runner = CliRunner()
    r = runner.invoke(app, ["autolf", str(tmp_path / "t.parquet"), "--label-col", "label", "-o",
                            str(tmp_path / "lfs.py")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    # the generator's warning is a note: line, not Python's warning with its source line
    note = [ln for ln in r.stderr.splitlines() if "leave out class 'rare'" in ln]
    assert len(note) == 1 and note[0].startswith("note:") and "UserWarning" not in r.stderr
    src = (tmp_path / "lfs.py").read_text()
    assert "def lr_" in src and "CLASSES = ['neg', 'pos', 'rare']" in src
    r = runner.invoke(app, ["apply", str(tmp_path / "lfs.py"), str(tmp_path / "t.parquet"), "-o",
                            str(tmp_path / "v.parquet"), "-q"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    votes = pd.read_parquet(tmp_path / "v.parquet")
    lr = [c for c in votes.columns if c.startswith("lr_")]
    assert lr and votes[lr].isin([-1, 0, 1]).all().all()


def test_binary_with_one_row_of_a_class_says_why_there_are_no_pair_rules():
    rng = np.random.default_rng(0)
    n = 200
    y = np.zeros(n, dtype=np.int64)
    y[5] = 1
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    from weaklabel.autolf._base import prepare
    from weaklabel.autolf.snuba import pair_candidates

    with pytest.warns(UserWarning, match=r"no pair rules .* class '1' \(1 labelled row\)"):
        assert pair_candidates(prepare(X, y), 0.6, 4, 0) == []


def test_best_confidence_is_the_former_scan_of_every_threshold():
    """The threshold search counted the rows above each distinct confidence by a scan of all
    rows (quadratic: ~70 of the 78 s of snuba on 20,000 labelled rows and 10 features); now from
    one sort, with the same choice: the lowest of equally good thresholds, NaN never above."""
    from weaklabel.autolf._base import wilson_lower
    from weaklabel.autolf.snuba import _best_confidence

    def scan(conf, pred, y, min_accuracy, min_covered):
        best, best_val = None, 0.0
        for beta in np.unique(np.round(conf, 6)):
            cov = conf >= beta
            n = int(cov.sum())
            if n < min_covered:
                continue
            correct = int((pred[cov] == y[cov]).sum())
            if wilson_lower(correct, n) < min_accuracy:
                continue
            if 2 * correct - n > best_val:
                best, best_val = float(beta), 2 * correct - n
        return best

    rng = np.random.default_rng(6)
    for t in range(400):
        n = int(rng.integers(1, 120))
        conf = rng.random(n) * 0.7 + 0.3
        if t % 3 == 0:
            conf = np.round(conf, int(rng.integers(1, 4)))           # many equal confidences
        if t % 7 == 0:
            conf[rng.random(n) < 0.1] = np.nan
        if t % 11 == 0:
            conf = np.round(conf, 6) + rng.choice([0, 4e-7, -4e-7], n)   # rounding to 6 decimals
        y = rng.integers(0, 3, n)
        pred = np.where(rng.random(n) < conf, y, rng.integers(0, 3, n))
        ma, mc = float(rng.choice([0.0, 0.5, 0.6, 0.8])), int(rng.integers(0, 10))
        assert _best_confidence(conf, pred, y, ma, mc) == scan(conf, pred, y, ma, mc), t
