"""`weaklabel autolf` on awkward inputs a practitioner brings (hunt 75): missing values in a
feature, a new table whose texts are all empty, non-Latin keywords, option and label mistakes."""

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from weaklabel import apply_lfs, load_lfs
from weaklabel.autolf import generate_lfs
from weaklabel.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_a_missing_value_keeps_a_feature_in_the_pair_rules():
    """One NaN among the labelled rows of the best feature kept it out of every pair rule
    (`if not np.isfinite(Xp).all(): continue`): on a table with a third of `a` missing, the
    pair rules were all on the noise features and `fit` scored 0.70 instead of 0.94. The pair
    is now fitted and scored on the rows where both values are given (the rule abstains on the
    others, as its code does)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    y = (X["a"] + 0.5 * X["b"] > 0).to_numpy().astype(int)
    X.loc[::3, "a"] = np.nan
    gen = generate_lfs(X.iloc[:100], y[:100], X_unlabeled=X.iloc[100:], random_state=0)
    pairs = [s for s in gen.stats if s["rule"] == "linear"]
    with_a = [s for s in pairs if "on a," in s["description"]]
    assert with_a, [s["description"] for s in pairs]
    L = apply_lfs(X, gen, cardinality=2).to_dense()
    for j, lf in enumerate(gen):
        if lf.f.__name__ == "linear_rule" and "a" in lf.resources["columns"]:
            assert (L[X["a"].isna().to_numpy(), j] == -1).all()          # abstains where a is missing
            held = L[100:, j]
            cov = held >= 0
            assert (held[cov] == y[100:][cov]).mean() > 0.85


def test_length_rule_on_a_batch_whose_texts_are_all_empty(tmp_path):
    """A CSV whose text column is empty on every row is read as float NaN: the generated
    `number of words` rule raised `Can only use .str accessor with string values` and `weaklabel
    apply` stopped, while the keyword rules beside it abstained. It now abstains too."""
    rng = np.random.default_rng(1)
    vocab = ["the", "a", "film", "it", "was", "and", "of", "to", "is", "this"]
    y = rng.integers(0, 2, 300)
    texts = [" ".join(rng.choice(vocab, 2 if k == 0 else 25)) for k in y]
    df = pd.DataFrame({"text": texts, "label": np.where(np.arange(300) < 100, y, -1)})
    df.to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "lfs.py"
    r = run("autolf", tmp_path / "t.parquet", "--label-col", "label", "--text-col", "text", "-o", out)
    assert r.exit_code == 0, r.output
    assert "words = df['text']" in out.read_text()        # a length rule was written
    pd.DataFrame({"text": [None, None, None]}).to_csv(tmp_path / "empty.csv", index=False)
    assert pd.read_csv(tmp_path / "empty.csv")["text"].dtype == float
    r = run("apply", out, tmp_path / "empty.csv", "-o", tmp_path / "v.parquet")
    assert r.exit_code == 0, r.output
    votes = pd.read_parquet(tmp_path / "v.parquet")
    assert (votes[[c for c in votes.columns if c != "row"]].to_numpy() == -1).all()
    # the in-memory rule is the written one
    gen = generate_lfs(df["text"].iloc[:100], y[:100])
    empty = pd.DataFrame({"text": [np.nan, np.nan]})
    assert (apply_lfs(empty, gen, cardinality=2).to_dense() == -1).all()


def test_non_latin_keywords_name_their_lf(tmp_path):
    """Every keyword outside a-z was named `kw_x_c1`, `kw_x_c0_2`, ... (vote columns that say
    nothing); the LF's name now holds the word; the function stays an ASCII name."""
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    words = {1: ["хорошо", "好", "bien"], 0: ["плохо", "差", "mal"]}
    texts = [" ".join(rng.choice(words[k], 2)) + " фильм" for k in y]
    df = pd.DataFrame({"text": texts, "label": np.where(np.arange(200) < 100, y, -1)})
    df.to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "lfs.py"
    r = run("autolf", tmp_path / "t.parquet", "--label-col", "label", "--text-col", "text", "-o", out)
    assert r.exit_code == 0, r.output
    names = [lf.name for lf in load_lfs(out).lfs]
    assert "kw_хорошо_c1" in names and "kw_好_c1" in names and not [n for n in names if n.startswith("kw_x_")]
    source = out.read_text()
    assert "lf_kw_c1 = keyword_lf('kw_хорошо_c1'," in source or "lf_kw_c1 = keyword_lf('kw_好_c1'," in source
    assert all(line.split(" = ")[0].isascii() for line in source.splitlines() if " = keyword_lf(" in line)
    r = run("apply", out, tmp_path / "t.parquet", "-o", tmp_path / "v.parquet")
    assert r.exit_code == 0, r.output
    assert "kw_хорошо_c1" in pd.read_parquet(tmp_path / "v.parquet").columns


def _numeric_table(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=200),
                       "label": np.where(np.arange(200) < 100, np.where(x > 0, "pos", "neg"), None)})
    df.to_parquet(tmp_path / "t.parquet")
    return tmp_path / "t.parquet"


def test_empty_features_option_is_an_error(tmp_path):
    """`--features ""` ran with the default features (an empty string was "not given"), and
    `--features a,,b` said "no column ''"."""
    path = _numeric_table(tmp_path)
    for given in ("", "x,,z", ","):
        r = run("autolf", path, "--label-col", "label", "--features", given, "-o", tmp_path / "o.py")
        assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
        assert f"--features {given!r} has an empty column name" in r.output
        assert not (tmp_path / "o.py").exists()


def test_existing_model_file_is_refused_before_the_work(tmp_path, monkeypatch):
    """`--method cluster` found `lfs_model.npz` in the way only after generating every rule."""
    import weaklabel.autolf as autolf

    path = _numeric_table(tmp_path)
    (tmp_path / "lfs_model.npz").write_bytes(b"old")
    called = []
    monkeypatch.setattr(autolf, "generate_lfs", lambda *a, **k: called.append(1))
    r = run("autolf", path, "--label-col", "label", "-m", "knn", "-o", tmp_path / "lfs.py")
    assert r.exit_code == 1 and "lfs_model.npz: already exists" in r.output and not called
    assert not (tmp_path / "lfs.py").exists() and (tmp_path / "lfs_model.npz").read_bytes() == b"old"


def test_class_spelled_like_a_missing_value_gets_a_note(tmp_path):
    """`df["label"].map(str)` (or `astype(str)` before pandas 3) turns the empty cells into
    'None' (or 'nan'): a Parquet file then holds a class 'None' of every unlabelled row (a CSV
    reader reads 'nan' and 'None' as missing), and autolf trained on it silently."""
    path = _numeric_table(tmp_path)
    df = pd.read_parquet(path)
    df["label"] = df["label"].astype(object).map(str)
    df.to_parquet(tmp_path / "s.parquet")
    r = run("autolf", tmp_path / "s.parquet", "--label-col", "label", "-o", tmp_path / "o.py")
    assert r.exit_code == 0, r.output
    assert "class 'nan' (100 rows) is spelled like a missing value" in r.stderr
    r = run("autolf", path, "--label-col", "label", "-o", tmp_path / "o2.py")
    assert r.exit_code == 0 and "spelled like a missing value" not in r.stderr
