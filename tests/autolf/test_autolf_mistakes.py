"""Misuse of `weaklabel autolf` / `generate_lfs` (an adversarial pass): labels stored every which
way, bad label values, text columns that are not text, keyword rules on non-ASCII text, API
arguments of the wrong kind. Each test failed before its fix (a silent wrong answer, a raw
traceback, or an lfs.py that `weaklabel apply` could not run)."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import apply_lfs
from weaklabel.autolf import generate_lfs
from weaklabel.cli import app
from weaklabel.errors import InputError

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _numeric(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"f": y * 3 + rng.normal(size=n), "g": rng.normal(size=n)}), y


def _votes(tmp_path, lfs_py, data):
    r = run("apply", lfs_py, data, "-o", tmp_path / "votes.parquet", "-q", "--force")
    assert r.exit_code == 0, r.output
    return pd.read_parquet(tmp_path / "votes.parquet")


def test_labels_one_class_however_stored(tmp_path):
    """1, "1" and 1.0 in one column (JSON Lines mixes numbers and strings) are class 1: they were
    three classes '1', '1.0' and ... (rules trained on a third of each class, votes for '1.0'
    meaning class 1)."""
    X, y = _numeric()
    forms = [lambda k: int(k), lambda k: str(k), lambda k: float(k)]
    X["label"] = pd.Series([forms[i % 3](k) if i < 150 else None for i, k in enumerate(y)], dtype=object)
    X.to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    r = run("autolf", tmp_path / "t.jsonl", "--label-col", "label", "--features", "f,g", "-o", tmp_path / "lfs.py",
            "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["classes"] == ["0", "1"] and info["labelled_rows"] == 150
    votes = _votes(tmp_path, tmp_path / "lfs.py", tmp_path / "t.jsonl").drop(columns="row").to_numpy()
    fired = votes >= 0
    assert fired.any() and (votes[fired] == np.broadcast_to(y[:, None], votes.shape)[fired]).mean() > 0.85


def test_text_minus_one_marks_an_unlabelled_row(tmp_path):
    """The README: "the label column empty, NaN or -1 elsewhere". A text column's "-1" was a
    class of its own, and rules voted it on the unlabelled rows' features."""
    X, y = _numeric()
    X["label"] = pd.Series(np.where(np.arange(len(y)) < 120, y.astype(str), "-1"), dtype=object)
    X.to_parquet(tmp_path / "t.parquet")
    r = run("autolf", tmp_path / "t.parquet", "--label-col", "label", "-o", tmp_path / "lfs.py", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["classes"] == ["0", "1"] and info["labelled_rows"] == 120


@pytest.mark.parametrize("value, words", [(np.inf, "'l': label inf at row 7 is not a whole number"),
                                          (-2, "'l': label -2 at row 7 is negative"),
                                          (10 ** 7, "'l': label 10000000 at row 7 is beyond the class limit")])
def test_bad_label_values_are_errors_naming_the_row(tmp_path, value, words):
    """inf crashed (IntCastingNaNError traceback); -2 silently made the row unlabelled; a stray
    10**7 made 10**7 classes and hung."""
    X, y = _numeric()
    X["l"] = np.where(np.arange(len(y)) < 150, y % 3 + (np.arange(len(y)) % 3 == 0), -1).astype(float)
    X.loc[7, "l"] = value
    X.to_parquet(tmp_path / "t.parquet")
    r = run("autolf", tmp_path / "t.parquet", "--label-col", "l", "--features", "f,g", "-o", tmp_path / "lfs.py")
    assert r.exit_code == 1 and words in r.output, r.output
    assert not (tmp_path / "lfs.py").exists()


def test_text_column_holding_numbers_is_refused(tmp_path):
    """Keyword rules were generated from str(12345) and the lfs.py then failed on every batch of
    `weaklabel apply` (keyword_lf reads text only)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    with open(tmp_path / "t.jsonl", "w") as fh:
        for i, k in enumerate(y):
            text = ["good film ok", "bad film ok"][k] if i % 10 else 12345
            fh.write(json.dumps({"text": text, "label": int(k) if i < 100 else None}) + "\n")
    r = run("autolf", tmp_path / "t.jsonl", "--label-col", "label", "--text-col", "text", "-o", tmp_path / "lfs.py")
    assert r.exit_code == 1 and "text column 'text' holds 12345 (type int) at row 0" in r.output, r.output


def test_keyword_rules_are_scored_as_written():
    """The candidates were scored on a bag of words (``str.lower``), the rule written out is
    keyword_lf (``re``, ignoring case): "İstanbul".lower() has the tokens 'i' and 'stanbul', so
    `'i' in text -> 0` was kept with 100% accuracy on a third of the rows and voted on none, and
    `'istanbul'` reported half the coverage it has."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    texts = [f"{'İstanbul' if k == 0 and i % 2 else 'istanbul' if k == 0 else 'Paris'} x{i % 4}"
             for i, k in enumerate(y)]
    X = pd.DataFrame({"text": texts})
    lab = np.arange(300) < 150
    lfs = generate_lfs(X[lab], y[lab], X_unlabeled=X[~lab], text_column="text")
    assert len(lfs) > 0
    for part, key in ((X[lab], "coverage_labeled"), (X[~lab], "coverage_unlabeled")):
        votes = apply_lfs(part.reset_index(drop=True), list(lfs), cardinality=2).to_dense()
        for j, s in enumerate(lfs.stats):
            assert (votes[:, j] >= 0).mean() == pytest.approx(s[key]), s


def test_threshold_between_huge_values():
    """The midpoint of 1e308 and 1.7e308 overflowed to inf: `f > inf`, a rule on nothing."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    X = pd.DataFrame({"f": np.where(y == 1, 1.7e308, 1.0e308), "g": rng.normal(size=100)})
    # named: one value per class, `f` is no default feature (the label by another name; hunt 75)
    lfs = generate_lfs(X, y, feature_names=["f", "g"])
    on_f = [s for s in lfs.stats if s["rule"] == "threshold" and s["description"].startswith("f ")]
    assert on_f and all(s["accuracy_labeled"] == 1.0 for s in on_f)


def test_whole_float_labels_are_class_ids():
    """Labels read with NaN are floats (1.0): refused before as "must hold integer class ids"."""
    X, y = _numeric()
    a = generate_lfs(X, y.astype(float))
    b = generate_lfs(X, y)
    assert [s["description"] for s in a.stats] == [s["description"] for s in b.stats]


@pytest.mark.parametrize("kwargs, words", [
    ({"classes": "neg,pos"}, "classes must be a list of names"),          # was 7 classes, silently
    ({"feature_names": "fg"}, "feature_names must be a list of names"),   # was the columns f and g
    ({"max_lfs": 2.5}, "max_lfs must be an integer"),                     # was 2, silently
    ({"min_accuracy": "0.5"}, "min_accuracy must be a number"),           # TypeError
    ({"cardinality": True}, "cardinality must be an integer"),
    ({"X_unlabeled": ["a", "b"]}, "X_unlabeled: not numeric rows"),       # ValueError
    ({"text_column": "f"}, "text column 'f' has type float64, not text"),  # AttributeError
])
def test_api_misuse_is_an_input_error(kwargs, words):
    X, y = _numeric()
    with pytest.raises(InputError, match=words):
        generate_lfs(X, y, **kwargs)


def test_api_frame_with_integer_column_names():
    """A frame built from an array has columns 0, 1: the rules read '0' and crashed (KeyError)."""
    X, y = _numeric()
    with pytest.raises(InputError, match="column 0 is named by a value of type int"):
        generate_lfs(pd.DataFrame(X.to_numpy()), y)


def test_api_text_with_numbers_and_stray_label():
    y = np.arange(100) % 2
    with pytest.raises(InputError, match="holds 5 \\(type int\\) at row 0"):
        generate_lfs(pd.Series([5 if k == 0 else "good film" for k in y]), y)
    X, _ = _numeric(100)
    with pytest.raises(InputError, match="y_labeled\\[4\\] is 10000000"):
        generate_lfs(X, np.where(np.arange(100) == 4, 10 ** 7, y))
