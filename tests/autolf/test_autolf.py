"""Automatic LF generation: the rules vote and abstain as documented, beat chance on held-out
rows, are deterministic, and survive being written out (readable code or a model file)."""

import numpy as np
import pandas as pd
import pytest

from weaklabel import ABSTAIN, LabelingFunction, MajorityVote, apply_lfs, load_lfs
from weaklabel.autolf import METHODS, generate_lfs, load_generated
from weaklabel.autolf.rules import keyword_rule, knn_rule, length_rule, linear_rule, threshold_rule
from weaklabel.autolf.snuba import softmax_fit
from weaklabel.bench.datasets import load_embedded
from weaklabel.bench.suites import draw_labeled
from weaklabel.errors import InputError, ModelFileError
from weaklabel.models.base import break_ties
from conftest import EXAMPLE


@pytest.fixture(scope="module")
def cancer():
    return load_embedded("breast_cancer")


@pytest.fixture(scope="module")
def digits():
    return load_embedded("digits")


def _split(ds, n=100, seed=0):
    idx = draw_labeled(ds.train.y, n, seed)
    unl = np.setdiff1d(np.arange(ds.train.n), idx)
    return idx, unl


def _votes(lfs, frame, K):
    return apply_lfs(frame, lfs, cardinality=K).to_dense().astype(np.int64)


# --------------------------------------------------------------------------- documented semantics
def test_threshold_rule_votes_above_and_abstains_elsewhere_and_on_missing():
    df = pd.DataFrame({"x": [0.0, 1.0, 1.5, 2.0, np.nan, "bad"]}, dtype=object)
    assert threshold_rule(df, "x", ">", 1.0, 1).tolist() == [-1, -1, 1, 1, -1, -1]
    assert threshold_rule(df, "x", "<=", 1.0, 0).tolist() == [0, 0, -1, -1, -1, -1]


def test_keyword_and_length_rules_match_whole_words_in_any_case():
    df = pd.DataFrame({"text": ["FREE money", "carefree day", "free!", None, "win a prize now, winner"]})
    assert keyword_rule(df, "text", ["free"], 1).tolist() == [1, -1, 1, -1, -1]
    assert keyword_rule(df, "text", ["free", "winner"], 1).tolist() == [1, -1, 1, -1, 1]
    assert length_rule(df, "text", "<=", 2, 0).tolist() == [0, 0, 0, -1, -1]
    assert length_rule(df, "text", ">", 2, 1).tolist() == [-1, -1, -1, -1, 1]


def test_linear_rule_abstains_below_its_confidence():
    df = pd.DataFrame({"a": [-3.0, -0.1, 0.1, 3.0, np.nan]})
    w, b = [[0.0], [2.0]], [0.0, 0.0]          # p(class 1) = sigmoid(2a)
    assert linear_rule(df, ["a"], w, b, [0, 1], 0.9).tolist() == [0, -1, -1, 1, -1]
    assert linear_rule(df, ["a"], w, b, [0, 1], 0.5).tolist() == [0, 0, 1, 1, -1]


def test_knn_rule_needs_agreement_and_a_near_enough_neighbour():
    pts = np.array([[0.0], [0.1], [0.2], [5.0]])
    lab = np.array([1, 1, 0, 0])
    z = np.array([[0.05], [4.9], [100.0]])
    assert knn_rule(z, pts, lab, 3, 2, 2, np.inf).tolist() == [1, 0, 0]           # 2 of 3 agree
    assert knn_rule(z, pts, lab, 3, 3, 2, np.inf).tolist() == [-1, -1, -1]       # unanimity
    assert knn_rule(z, pts, lab, 1, 1, 2, 1.0).tolist() == [1, 0, -1]            # radius


def test_softmax_fit_separates_and_matches_probabilities():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    Z = rng.normal(size=(90, 2)) + np.array([[0, 0], [3, 0], [0, 3]])[y]
    W, b = softmax_fit(Z, y, np.array([0, 1, 2]))
    logits = Z @ W.T + b
    assert (logits.argmax(axis=1) == y).mean() > 0.9
    # the optimum: gradient of the penalised log-loss is ~0
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    G = (P - np.eye(3)[y]).T @ Z + W
    assert np.abs(G).max() < 1e-5


# --------------------------------------------------------------------------- generation
@pytest.mark.parametrize("method", METHODS)
def test_generated_lfs_vote_abstain_and_beat_chance_on_held_out_rows(cancer, method):
    ds = cancer
    idx, unl = _split(ds)
    lfs = generate_lfs(ds.train.features.iloc[idx], ds.train.y[idx], method,
                       X_unlabeled=ds.train.features.iloc[unl], classes=ds.classes)
    assert 1 <= len(lfs) <= {"snuba": 30, "cluster": 12, "knn": 8}[method]
    assert all(isinstance(lf, LabelingFunction) and lf.vectorized for lf in lfs)
    assert len({lf.name for lf in lfs}) == len(lfs)
    V = _votes(lfs, ds.test.features, 2)
    assert set(np.unique(V)) <= {ABSTAIN, 0, 1}
    assert (V == ABSTAIN).any(), "generated LFs must abstain somewhere"
    covered = V >= 0
    acc = ((V == ds.test.y[:, None]) & covered).sum(0) / np.maximum(covered.sum(0), 1)
    assert acc[covered.sum(0) > 0].mean() > 0.75           # chance is 0.5 (majority class 0.63)
    mv = MajorityVote().fit(_votes(lfs, ds.train.features.iloc[unl], 2))
    pred = break_ties(mv.predict_proba(V), "random", 0)
    assert (pred == ds.test.y).mean() > 0.85


def test_cluster_lfs_on_digits_beat_chance_by_far(digits):
    ds = digits
    idx, unl = _split(ds)
    lfs = generate_lfs(ds.train.features.iloc[idx], ds.train.y[idx], "cluster",
                       X_unlabeled=ds.train.features.iloc[unl[:700]], classes=ds.classes)
    V = _votes(lfs, ds.test.features, 10)
    covered = V >= 0
    assert covered.any(axis=1).mean() > 0.7
    acc = ((V == ds.test.y[:, None]) & covered).sum() / covered.sum()
    assert acc > 0.7                                       # chance: 0.1
    # views are shared preprocessors: one object per view, not one per LF
    assert len({id(lf.pre[0]) for lf in lfs}) <= 2


def test_reported_labelled_stats_are_what_the_rules_do(cancer):
    """For rules not fitted to the labels (thresholds), applying the LF to the labelled rows
    reproduces the coverage and accuracy the generator reports."""
    ds = cancer
    idx, unl = _split(ds)
    Xl, yl = ds.train.features.iloc[idx], ds.train.y[idx]
    lfs = generate_lfs(Xl, yl, "snuba", X_unlabeled=ds.train.features.iloc[unl], classes=ds.classes)
    V = _votes(lfs, Xl, 2)
    for j, st in enumerate(lfs.stats):
        if st["rule"] != "threshold":
            continue
        cov = V[:, j] >= 0
        assert cov.mean() == pytest.approx(st["coverage_labeled"])
        assert (V[cov, j] == yl[cov]).mean() == pytest.approx(st["accuracy_labeled"])
        assert st["accuracy_labeled"] >= 0.6


def test_generation_is_deterministic_and_seeded(cancer):
    ds = cancer
    idx, unl = _split(ds)
    args = (ds.train.features.iloc[idx], ds.train.y[idx], "cluster")
    a = generate_lfs(*args, X_unlabeled=ds.train.features.iloc[unl], random_state=3)
    b = generate_lfs(*args, X_unlabeled=ds.train.features.iloc[unl], random_state=3)
    assert [lf.name for lf in a] == [lf.name for lf in b]
    np.testing.assert_array_equal(_votes(a, ds.test.features, 2), _votes(b, ds.test.features, 2))


def test_text_keywords_from_the_example_reviews():
    df = pd.read_parquet(EXAMPLE / "reviews.parquet")
    y = (df["label"] == "positive").to_numpy().astype(np.int64)
    lfs = generate_lfs(df["text"][:100], y[:100], "snuba", X_unlabeled=df["text"][100:],
                       classes=["negative", "positive"])
    kinds = {st["rule"] for st in lfs.stats}
    assert "keyword" in kinds
    V = _votes(lfs, df[["text"]].iloc[100:], 2)
    covered = V >= 0
    # the synthetic reviews negate on purpose ("never poor"): keywords are right 2 times in 3
    assert ((V == y[100:, None]) & covered).sum() / covered.sum() > 0.6          # chance: 0.5
    # keyword LFs read the text column by name and match whole words
    kw = next(lf for lf, st in zip(lfs, lfs.stats) if st["rule"] == "keyword")
    word = kw.resources["words"][0]
    probe = pd.DataFrame({"text": [word.upper(), f"x{word}x", f"({word})"]})
    assert kw(probe).tolist() == [kw.resources["label"], ABSTAIN, kw.resources["label"]]


def test_numpy_input_and_input_errors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    lfs = generate_lfs(X, y, "snuba")
    assert lfs.columns == ["x0", "x1", "x2"]
    assert any("x0" in st["description"] for st in lfs.stats)
    with pytest.raises(InputError, match="unknown labels"):
        generate_lfs(X, np.where(y == 1, 1, -1), "snuba")
    with pytest.raises(InputError, match="unknown LF generation method"):
        generate_lfs(X, y, "magic")
    with pytest.raises(InputError, match="one label per"):
        generate_lfs(X, y[:10], "snuba")


# --------------------------------------------------------------------------- writing them out
def test_readable_lfs_py_reproduces_the_in_memory_votes(tmp_path, cancer):
    ds = cancer
    idx, unl = _split(ds)
    lfs = generate_lfs(ds.train.features.iloc[idx], ds.train.y[idx], "snuba",
                       X_unlabeled=ds.train.features.iloc[unl], classes=ds.classes)
    assert lfs.readable
    paths = lfs.write(tmp_path / "lfs.py")
    assert paths == [tmp_path / "lfs.py"]
    source = (tmp_path / "lfs.py").read_text()
    assert "load_generated" not in source and "np.where(num(df, " in source
    mod = load_lfs(tmp_path / "lfs.py")
    assert mod.classes == ds.classes and [lf.name for lf in mod.lfs] == [lf.name for lf in lfs]
    data = pd.concat([ds.train.features, ds.test.features], ignore_index=True)
    np.testing.assert_array_equal(_votes(mod.lfs, data, 2), _votes(lfs, data, 2))
    with pytest.raises(InputError, match="already exists"):
        lfs.write(tmp_path / "lfs.py")


def test_readable_text_lfs_py_reproduces_the_in_memory_votes(tmp_path):
    df = pd.read_parquet(EXAMPLE / "reviews.parquet")
    y = (df["label"] == "positive").to_numpy().astype(np.int64)
    lfs = generate_lfs(df[["text"]][:120], y[:120], "snuba", text_column="text", X_unlabeled=df[["text"]][120:])
    lfs.write(tmp_path / "lfs.py")
    mod = load_lfs(tmp_path / "lfs.py")
    np.testing.assert_array_equal(_votes(mod.lfs, df, 2), _votes(lfs, df, 2))


@pytest.mark.parametrize("method", ["cluster", "knn"])
def test_model_file_lfs_round_trip(tmp_path, cancer, method):
    ds = cancer
    idx, unl = _split(ds)
    lfs = generate_lfs(ds.train.features.iloc[idx], ds.train.y[idx], method,
                       X_unlabeled=ds.train.features.iloc[unl], classes=ds.classes)
    assert not lfs.readable
    with pytest.raises(InputError, match="cannot be written as plain code"):
        lfs.write(tmp_path / "x.py", format="python")
    paths = lfs.write(tmp_path / "lfs.py")
    assert paths == [tmp_path / "lfs.py", tmp_path / "lfs_model.npz"]
    mod = load_lfs(tmp_path / "lfs.py")
    assert mod.classes == ds.classes
    np.testing.assert_array_equal(_votes(mod.lfs, ds.test.features, 2), _votes(lfs, ds.test.features, 2))
    again = load_generated(tmp_path / "lfs_model.npz")
    assert again.method == method and [s["name"] for s in again.stats] == [lf.name for lf in lfs]


def test_model_files_are_validated(tmp_path, cancer):
    import json

    ds = cancer
    idx, _ = _split(ds)
    lfs = generate_lfs(ds.train.features.iloc[idx], ds.train.y[idx], "knn")
    lfs.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(str(arrays["__header__"]))
    header["lfs"][0]["rule"] = "os.system"
    arrays["__header__"] = np.array(json.dumps(header))
    with open(tmp_path / "bad.npz", "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ModelFileError, match="unknown rule"):
        load_generated(tmp_path / "bad.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError):
        load_generated(tmp_path / "junk.npz")


def test_repeated_features_text_features_and_repeated_class_names_are_input_errors():
    """A feature named twice (or two columns of one name) crashed with a TypeError deep in the
    generators; a text feature was read as all-missing; two classes of one name gave an lfs.py
    whose CLASSES could not tell them apart."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(InputError, match="feature 'a' is named twice"):
        generate_lfs(X, y, "snuba", feature_names=["a", "a"])
    df = pd.DataFrame(X, columns=["a", "b"])
    with pytest.raises(InputError, match="feature 'a' is named twice"):
        generate_lfs(df, y, "snuba", feature_names=["a", "a"])
    with pytest.raises(InputError, match="2 columns are named 'a'"):
        generate_lfs(df.set_axis(["a", "a"], axis=1), y, "snuba")
    with pytest.raises(InputError, match=r"feature column 't' holds no numbers \(row 0: 'x'\)"):
        generate_lfs(df.assign(t="x"), y, "snuba", feature_names=["a", "t"])
    with pytest.raises(InputError, match="class name 'c' is given twice"):
        generate_lfs(X, y, "snuba", classes=["c", "c"])
    text_numbers = df.assign(b=df["b"].map(repr))           # numbers stored as text still work
    assert len(generate_lfs(text_numbers, y, "snuba", feature_names=["a", "b"], max_lfs=2)) >= 1


def test_linear_rule_and_lfs_py_take_infinite_values_without_warnings(tmp_path):
    """An inf feature value made a generated pair-model LF print numpy's 'invalid value
    encountered in subtract' (and the matmul's) when applied, and abstain by accident. Now an
    infinite value gets the model's limit (as a threshold rule votes on inf), NaN abstains, quietly."""
    import warnings

    df = pd.DataFrame({"a": [np.inf, -np.inf, np.nan, 3.0, np.inf], "b": [0.0, 0.0, 0.0, 0.0, -np.inf]})
    w, b = [[-2.0, 0.0], [2.0, 1.0]], [0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert linear_rule(df, ["a", "b"], w, b, [0, 1], 0.9).tolist() == [1, 0, -1, 1, -1]
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = ((X["a"] + X["b"]) > 0).astype(int).to_numpy()
    lfs = generate_lfs(X[:100], y[:100], "snuba", X_unlabeled=X[100:], min_accuracy=0.5)
    linear = [lf for lf in lfs if lf.f.__name__ == "linear_rule"]
    assert linear
    lfs.write(tmp_path / "lfs.py")
    mod = load_lfs(tmp_path / "lfs.py")
    test = pd.DataFrame({"a": [np.inf, -np.inf, np.nan, 0.5], "b": [0.0, 0.0, 0.0, np.inf]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lf in linear:
            code = next(m for m in mod.lfs if m.name == lf.name)
            assert code.f(test).tolist() == lf.f(test, **lf.resources).tolist()
            assert code.f(test)[2] == -1


def test_row_ids_are_left_out_of_the_default_features_with_a_warning():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"id": np.arange(100), "a": rng.normal(size=100)})
    y = (X["a"] > 0).astype(int).to_numpy()
    with pytest.warns(UserWarning, match="'id' .*a row id"):
        lfs = generate_lfs(X, y, "snuba")
    assert lfs.columns == ["a"]
    assert generate_lfs(X, y, "snuba", feature_names=["id", "a"]).columns == ["id", "a"]
