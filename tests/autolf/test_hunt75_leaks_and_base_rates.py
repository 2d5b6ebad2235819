"""`weaklabel autolf` as a practitioner with 100 labelled rows uses it (hunt 75): rules that
only restate a class's share of the labelled rows, and columns that give the label away."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import apply_lfs
from weaklabel.autolf import generate_lfs
from weaklabel.autolf._base import id_like
from weaklabel.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _imbalanced(n_lab=100, n=600, seed=0):
    """87% class 0. ``x`` finds class 1 (x > 1.5) and some class 0 (x < -1); ``words`` is a
    count above 2 on nearly every row: ``words > 2 -> 0`` is right 87% of the time, as a vote
    for class 0 at random is."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.13).astype(int)
    x = np.where(y == 1, rng.normal(2.5, 0.6, n), rng.normal(0.0, 1.0, n))
    words = rng.integers(3, 60, n).astype(float)
    words[rng.random(n) < 0.01] = 1.0
    return pd.DataFrame({"x": x, "words": words}), y


@pytest.mark.parametrize("method", ["snuba", "cluster", "knn"])
def test_no_rule_is_only_as_accurate_as_voting_its_class_at_random(method):
    """On 87/13 labelled rows (the SMS spam balance) snuba wrote `number of words in text > 2 ->
    ham` (coverage 0.99, accuracy 0.87 on held-out rows: ham's share) and cluster a 2-means
    whose clusters both said ham (0.999 of the rows): they pass --min-accuracy 0.6 but say
    nothing beyond the class balance, and the selection favoured them for their coverage."""
    X, y = _imbalanced()
    lab = np.zeros(len(y), bool)
    lab[:100] = True
    gen = generate_lfs(X[lab], y[lab], method=method, X_unlabeled=X[~lab], random_state=0)
    share = np.bincount(y[lab], minlength=2) / lab.sum()
    assert len(gen) > 0
    L = apply_lfs(X[lab], gen, cardinality=2).to_dense()
    for j, st in enumerate(gen.stats):
        v = L[:, j]
        cov = v >= 0
        chance = share[v[cov]].mean()
        acc = (v[cov] == y[lab][cov]).mean()
        # as accurate as random votes for the same classes, or barely: not a rule
        assert acc > chance + 0.03, (st["description"], acc, chance)


def test_threshold_search_skips_the_threshold_below_every_row():
    """The best-F1 threshold for the majority class was the one below (nearly) every row:
    F1 0.93 for `> 2 -> 0` at 87% class 0. It is now the best one that beats the class share,
    so the informative `x <= t -> 0` is kept instead of nothing."""
    from weaklabel.autolf.snuba import best_thresholds

    X, y = _imbalanced()
    X, y = X[:100], y[:100]
    found = best_thresholds(X["words"].to_numpy(), y, 2, 0.6, 3)
    assert not [t for t in found if t[2] == 0 and t[0] == ">" and t[1] < 3], found
    found = best_thresholds(X["x"].to_numpy(), y, 2, 0.6, 3)
    for op, t, k in found:
        hit = X["x"].to_numpy() > t if op == ">" else X["x"].to_numpy() <= t
        assert (y[hit] == k).mean() > (y == k).mean(), (op, t, k)


def _table_with_leaks(tmp_path, fmt="parquet"):
    rng = np.random.default_rng(1)
    n = 400
    y = (rng.random(n) < 0.4).astype(int)
    df = pd.DataFrame({"a": rng.normal(size=n) + 1.5 * y, "b": rng.normal(size=n) - y})
    df["label"] = np.where(y == 1, "malignant", "benign").astype(object)
    df.loc[100:, "label"] = None                          # the first 100 rows are labelled
    df["is_malignant"] = y                                # the label again, filled in everywhere
    df["annotator"] = np.where(np.arange(n) < 100, rng.integers(1, 4, n), np.nan)   # labelled rows only
    df = df.sort_values("label", na_position="last", kind="stable").reset_index(drop=True)
    path = tmp_path / f"t.{fmt}"
    if fmt == "csv":
        df.sample(frac=1, random_state=0).iloc[:350].to_csv(path)    # a saved, shuffled index: "Unnamed: 0"
    else:
        df.to_parquet(path, index=False)
    return path


def test_cli_leaves_the_label_under_another_name_out_of_the_default_features(tmp_path):
    """`is_malignant` (0/1, the label's coding, on every row) was a default feature: rules
    `is_malignant > 0.5 -> malignant` with accuracy 1.00 on the labelled rows and on every
    held-out row, useless on new data without the column. `annotator` (filled in on the labelled
    rows only) gave rules that never vote on the unlabelled rows. Both are left out with a note;
    --features still takes them, with a note."""
    path = _table_with_leaks(tmp_path)
    out = tmp_path / "lfs.py"
    r = run("autolf", path, "--label-col", "label", "-o", out, "--json")
    assert r.exit_code == 0, r.output
    source = out.read_text()
    assert "is_malignant" not in source and "annotator" not in source
    descr = " ".join(lf["description"] for lf in json.loads(r.stdout)["lfs"])
    assert "is_malignant" not in descr and "annotator" not in descr
    assert "note: left out of the default features: 'is_malignant' (one value per class on the labelled rows" \
           in r.stderr
    assert "'annotator' (given on the labelled rows only" in r.stderr
    r = run("autolf", path, "--label-col", "label", "-o", out, "-f", "--features", "a,is_malignant")
    assert r.exit_code == 0, r.output
    assert "note: --features 'is_malignant': one value per class on the labelled rows" in r.stderr
    assert "is_malignant" in out.read_text()
    # nothing but leaks: one error line naming them
    pd.read_parquet(path)[["label", "is_malignant", "annotator"]].to_parquet(tmp_path / "only.parquet")
    r = run("autolf", tmp_path / "only.parquet", "--label-col", "label", "-o", tmp_path / "o.py")
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    assert "no numeric feature columns" in r.output and "'is_malignant' (one value per class" in r.output
    assert not (tmp_path / "o.py").exists()


def test_cli_saved_index_of_a_shuffled_table_is_a_row_id(tmp_path):
    """`df.to_csv(path)` of a filtered, shuffled table saves its index as `Unnamed: 0`: whole
    numbers, distinct, not consecutive. It was a default feature and, on a table sorted by class
    before the shuffle, gave `Unnamed: 0 > 356 -> malignant` (perfect on the labelled rows)."""
    path = _table_with_leaks(tmp_path, "csv")
    out = tmp_path / "lfs.py"
    r = run("autolf", path, "--label-col", "label", "-o", out, "--json")
    assert r.exit_code == 0, r.output
    assert "Unnamed" not in out.read_text()
    assert "note: left out of the default features: 'Unnamed: 0' (whole numbers, all distinct: a row id" in r.stderr
    n = 40
    assert id_like(pd.Series(np.random.default_rng(0).permutation(n) * 3 + 7), "Unnamed: 0")
    assert id_like(pd.Series(np.arange(n) * 2), "level_0") and id_like(pd.Series(np.arange(n) * 2), "")
    assert not id_like(pd.Series(np.arange(n) * 2), "Unnamed feature")


def test_api_frame_holding_the_label_column():
    """`generate_lfs(df_labeled, y)` with the label still in the frame (the README passes
    `df_labeled[features]`; one without the selection took `label` as a feature): rules on
    the answer itself. Left out of the default features with a warning; named, it is used."""
    X, y = _imbalanced(seed=3)
    X = X.iloc[:100].copy()
    y = y[:100]
    X["label"] = y
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gen = generate_lfs(X, y, method="snuba")
    assert "label" not in gen.columns
    assert any("'label' (one value per class on the labelled rows" in str(w.message) for w in caught)
    assert "label" in generate_lfs(X, y, method="snuba", feature_names=["x", "label"]).columns
