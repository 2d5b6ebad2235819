"""Adversarial inputs for `weaklabel autolf` / `generate_lfs` and `weaklabel bench` (regressions)."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import apply_lfs, load_lfs
from weaklabel.autolf import generate_lfs
from weaklabel.bench.config import BenchConfig
from weaklabel.cli import app
from weaklabel.errors import InputError

runner = CliRunner()


def _table(n=60, seed=2):
    rng = np.random.default_rng(seed)
    b = rng.normal(size=n)
    a = rng.normal(size=n)
    a[::7] = np.inf                          # some +inf values (no -inf to cancel them out)
    return pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n)}), (b > 0).astype(int)


@pytest.mark.parametrize("method", ["cluster", "knn"])
def test_views_ignore_infinite_values(method):
    # the centre of the standardised view was +inf, and the PCA failed on the overflowed view
    X, y = _table()
    lfs = generate_lfs(X, y, method, X_unlabeled=X)
    assert len(lfs) > 0
    votes = apply_lfs(X, list(lfs), cardinality=2).to_dense()
    assert set(np.unique(votes)) <= {-1, 0, 1}


def test_cli_autolf_infinite_feature_is_no_traceback(tmp_path):
    X, y = _table(200)
    X["label"] = np.where(np.arange(200) < 60, y, -1)
    X.to_parquet(tmp_path / "t.parquet")
    r = runner.invoke(app, ["autolf", str(tmp_path / "t.parquet"), "--label-col", "label", "-m", "knn",
                            "-o", str(tmp_path / "lfs.py"), "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "lfs_model.npz").exists()


def test_class_constants_stay_distinct(tmp_path):
    # "a b" -> A_B, "a-b" -> A_B again -> suffixed A_B_2: the name of the class "A_B_2", so the
    # generated file said `A_B, A_B_2, A_B_2 = 0, 1, 2` and votes for class 1 became votes for 2
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    X = pd.DataFrame({"f": y * 5 + rng.normal(size=90), "g": y * 3 + rng.normal(size=90)})
    lfs = generate_lfs(X, y, "snuba", classes=["a b", "A_B_2", "a-b"])
    lfs.write(tmp_path / "lfs.py")
    loaded = load_lfs(tmp_path / "lfs.py")
    assert loaded.classes == ["a b", "A_B_2", "a-b"]
    written = apply_lfs(X, loaded.lfs, cardinality=3).to_dense()
    direct = apply_lfs(X, list(lfs), cardinality=3).to_dense()
    assert np.array_equal(written, direct)


@pytest.mark.parametrize("seed", [-1, 2 ** 32])
def test_seed_out_of_numpy_range_is_a_user_error(tmp_path, seed):
    X, y = _table()
    with pytest.raises(InputError, match="random_state"):
        generate_lfs(X, y, "snuba", random_state=seed)
    X["label"] = y
    X.to_parquet(tmp_path / "t.parquet")
    r = runner.invoke(app, ["autolf", str(tmp_path / "t.parquet"), "--label-col", "label", "--features", "b,c",
                            "-o", str(tmp_path / "lfs.py"), "--seed", str(seed)])
    assert r.exit_code == 1 and "error:" in r.output and "Traceback" not in r.output


def test_bench_seed_beyond_numpy_range_is_a_user_error():
    with pytest.raises(InputError, match="2\\*\\*32"):
        BenchConfig(seeds=(2 ** 32 - 1, 2 ** 32)).check()
    r = runner.invoke(app, ["bench", "--quick", "--seed", str(2 ** 32 - 1), "--seeds", "2", "-q"])
    assert r.exit_code == 1 and "2**32" in r.output


def test_cluster_rule_covers_duplicated_rows_as_reported():
    # a cluster of identical rows has radius 0; the rule's distance (|z|^2 - 2 z.c + |c|^2) came out
    # ~1e-8 from rounding, so the rule abstained on rows the summary counted as covered
    words = ["alpha", "beta", "gamma"]
    texts = [None if i % 10 == 0 else "" if i % 10 == 1 else f"{words[i % 3]} x{i % 5} naive" for i in range(300)]
    y = np.arange(300) % 3
    X = pd.DataFrame({"text": texts})
    lab = np.arange(300) < 90
    lfs = generate_lfs(X[lab], y[lab], "cluster", X_unlabeled=X[~lab], text_column="text")
    assert len(lfs) > 0
    votes = apply_lfs(X[~lab].reset_index(drop=True), list(lfs), cardinality=3).to_dense()
    for j, s in enumerate(lfs.stats):
        assert (votes[:, j] >= 0).mean() == pytest.approx(s["coverage_unlabeled"]), s["name"]
