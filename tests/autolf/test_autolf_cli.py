"""`weaklabel autolf`: from a partly labelled table to an lfs.py that `weaklabel apply` runs."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import apply_lfs, load_lfs
from weaklabel.autolf import generate_lfs
from weaklabel.bench.datasets import load_embedded
from weaklabel.cli import app
from conftest import EXAMPLE

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def cancer_table(tmp_path):
    ds = load_embedded("breast_cancer")
    df = ds.train.features.copy()
    df["diagnosis"] = [ds.classes[k] for k in ds.train.y]
    df.loc[100:, "diagnosis"] = None                        # only the first 100 rows are labelled
    df.to_parquet(tmp_path / "cancer.parquet")
    return tmp_path / "cancer.parquet", ds


def test_autolf_writes_readable_rules_that_apply_runs(tmp_path, cancer_table):
    path, ds = cancer_table
    r = run("autolf", path, "--label-col", "diagnosis", "-o", tmp_path / "lfs.py", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["labelled_rows"] == 100 and info["unlabelled_rows"] == ds.train.n - 100
    assert info["classes"] == ["benign", "malignant"]              # names sorted when not given
    source = (tmp_path / "lfs.py").read_text()
    assert "def " in source and "load_generated" not in source
    mod = load_lfs(tmp_path / "lfs.py")
    assert mod.classes == ["benign", "malignant"] and len(mod.lfs) == len(info["lfs"])
    # the same call in Python gives the same rules and votes
    df = pd.read_parquet(path)
    y = np.where(df["diagnosis"] == "malignant", 1, 0)[:100]
    feats = [c for c in df.columns if c != "diagnosis"]
    lfs = generate_lfs(df[feats][:100], y, "snuba", X_unlabeled=df[feats][100:], classes=["benign", "malignant"])
    assert [lf.name for lf in lfs] == [lf.name for lf in mod.lfs]
    np.testing.assert_array_equal(apply_lfs(df, mod.lfs, cardinality=2).to_dense(),
                                  apply_lfs(df, lfs, cardinality=2).to_dense())
    r = run("apply", tmp_path / "lfs.py", path, "-o", tmp_path / "votes.parquet", "--jobs", "1", "-q")
    assert r.exit_code == 0, r.output
    r = run("autolf", path, "--label-col", "diagnosis", "-o", tmp_path / "lfs.py")
    assert r.exit_code == 1 and "already exists" in r.output


def test_autolf_cluster_writes_a_model_file(tmp_path, cancer_table):
    path, _ = cancer_table
    r = run("autolf", path, "--label-col", "diagnosis", "--method", "cluster", "-o", tmp_path / "gen.py")
    assert r.exit_code == 0, r.output
    assert "cluster_" in r.stdout
    assert (tmp_path / "gen_model.npz").exists()
    mod = load_lfs(tmp_path / "gen.py")
    votes = apply_lfs(pd.read_parquet(path), mod.lfs, classes=mod.classes)
    assert votes.n_lfs == len(mod.lfs) and votes.nnz > 0


def test_autolf_text_from_the_example(tmp_path):
    df = pd.read_parquet(EXAMPLE / "reviews.parquet")
    df.loc[150:, "label"] = ""
    df.to_csv(tmp_path / "reviews.csv", index=False)
    r = run("autolf", tmp_path / "reviews.csv", "--label-col", "label", "--text-col", "text", "-o",
            tmp_path / "lfs.py", "--max-lfs", "12")
    assert r.exit_code == 0, r.output
    mod = load_lfs(tmp_path / "lfs.py")
    assert mod.classes == ["negative", "positive"] and 1 <= len(mod.lfs) <= 12
    assert "= keyword_lf(" in (tmp_path / "lfs.py").read_text()      # keywords use the template
    r = run("apply", tmp_path / "lfs.py", EXAMPLE / "reviews.parquet", "-o", tmp_path / "v.parquet", "-q")
    assert r.exit_code == 0, r.output


def test_autolf_errors(tmp_path, cancer_table):
    path, _ = cancer_table
    for args, msg in [(["--label-col", "nope"], "no column 'nope'"),
                      (["--label-col", "diagnosis", "--method", "magic"], "--method must be"),
                      (["--label-col", "diagnosis", "--format", "model", "--text-col", "zz"], "no column 'zz'"),
                      (["--label-col", "diagnosis", "--classes", "a,b"], "is not one of the classes")]:
        r = run("autolf", path, *args, "-o", tmp_path / "x.py")
        assert r.exit_code == 1, (args, r.output)
        assert msg in r.output and "Traceback" not in r.output
    df = pd.read_parquet(path)
    df["diagnosis"] = None
    df.loc[0, "diagnosis"] = "benign"
    df.to_parquet(tmp_path / "one.parquet")
    r = run("autolf", tmp_path / "one.parquet", "--label-col", "diagnosis", "-o", tmp_path / "x.py")
    assert r.exit_code == 1 and "need at least 2 classes" in r.output


def test_autolf_refuses_the_label_as_input_and_text_as_a_feature(tmp_path, cancer_table):
    """--features naming the label column wrote rules that read the answer (perfect accuracy on the
    labelled rows, nothing on the others); a repeated feature crashed with a TypeError traceback; a
    text column given as a feature was read as all-missing ('no rule reached the threshold')."""
    path, _ = cancer_table
    df = pd.read_parquet(path)
    feat = str(df.columns[0])
    df["note"] = "free text"
    df.to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "lfs.py"
    for args, msg in [(["--features", f"{feat},diagnosis"], "--features names the label column 'diagnosis'"),
                      (["--text-col", "diagnosis"], "--text-col names the label column 'diagnosis'"),
                      (["--features", f"{feat},note"], "t.parquet: feature column 'note' holds no numbers")]:
        r = runner.invoke(app, ["autolf", str(tmp_path / "t.parquet"), "--label-col", "diagnosis", *args,
                                "-o", str(out)])
        assert r.exit_code == 1, (args, r.output)
        assert msg in r.output and "Traceback" not in r.output, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1, r.output
        assert not out.exists()
    r = run("autolf", path, "--label-col", "diagnosis", "--features", f"{feat},{feat}", "--max-lfs", "2", "-o", out)
    assert r.exit_code == 0, r.output
    assert out.exists()


def _ids_table(tmp_path, n=300):
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    df = pd.DataFrame({"review_id": np.arange(n), "x": x, "z": [f"{v:.3f}" for v in rng.normal(size=n)],
                       "label": np.where(np.arange(n) < 100, (x > 0).astype(int), -1)})
    df.to_parquet(tmp_path / "ids.parquet")
    return tmp_path / "ids.parquet"


def test_autolf_leaves_row_ids_and_text_numbers_out_of_the_default_features_and_says_so(tmp_path):
    """An integer row id (all distinct) was a default feature: rules like `review_id > 96.5`,
    spurious (the labelled rows came first). A Parquet column of numbers stored as text was left
    out without a word (a CSV reader parses it). Both are now left out with a note naming them;
    --features still takes them."""
    path = _ids_table(tmp_path)
    out = tmp_path / "lfs.py"
    r = run("autolf", path, "--label-col", "label", "-o", out, "--json")
    assert r.exit_code == 0, r.output
    cols = {c for lf in json.loads(r.stdout)["lfs"] for c in ("review_id", "z") if c in lf["description"]}
    assert not cols, r.stdout
    assert "review_id" not in out.read_text() and "'z'" not in out.read_text()
    assert "note: left out of the default features: 'review_id' (whole numbers, all distinct: a row id" in r.stderr
    assert "name it in --features" in r.stderr
    assert "note: left out of the default features: 'z' (numbers stored as text)" in r.stderr
    r = run("autolf", path, "--label-col", "label", "-o", out, "-f", "--features", "review_id,x,z", "--json")
    assert r.exit_code == 0, r.output
    assert "left out" not in r.stderr and "review_id" in out.read_text()
    # the same in CSV: the id is left out; nothing is text
    pd.read_parquet(path).to_csv(tmp_path / "ids.csv", index=False)
    r = run("autolf", tmp_path / "ids.csv", "--label-col", "label", "-o", out, "-f", "--json")
    assert r.exit_code == 0 and "'review_id'" in r.stderr and "'z'" not in r.stderr and "review_id" not in out.read_text()
    # only an id: the error says what was left out
    pd.DataFrame({"id": range(10), "label": [0, 1] * 5}).to_csv(tmp_path / "only.csv", index=False)
    r = run("autolf", tmp_path / "only.csv", "--label-col", "label", "-o", tmp_path / "o.py")
    assert r.exit_code == 1 and "no numeric feature columns (left out: 'id' (a row id)" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_id_like_columns():
    from weaklabel.autolf._base import id_like

    n = 50
    assert id_like(pd.Series(np.arange(n)), "review_id") and id_like(pd.Series(np.arange(n) * 7), "reviewId")
    assert id_like(pd.Series(np.arange(n) * 3 + 5), "ID") and id_like(pd.Series(np.arange(1, n + 1)), "Unnamed: 0")
    assert not id_like(pd.Series(np.arange(n) * 3 + 5), "count")            # not named so, not row numbers
    assert not id_like(pd.Series(np.arange(2000, 2000 + n)), "year")
    assert not id_like(pd.Series(np.arange(n) % 5), "id")                    # repeats
    assert not id_like(pd.Series(np.linspace(0, 1, n)), "id")                # not whole numbers


def test_autolf_output_must_be_a_py_file(tmp_path, cancer_table):
    """`-o lfs.txt` wrote a Python module under a name `weaklabel apply` and `import` do not load."""
    path, _ = cancer_table
    for name, target in (("lfs.txt", "lfs.py"), ("lfs", "lfs.py")):
        r = run("autolf", path, "--label-col", "diagnosis", "-o", tmp_path / name)
        assert r.exit_code == 1 and f"name the output {target}" in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1 and not (tmp_path / name).exists()
