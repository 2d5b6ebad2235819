"""The CLI end to end: the README's commands on the shipped example, and every bad-input path."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.io import read_metadata
from conftest import EXAMPLE

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def example(tmp_path):
    shutil.copy(EXAMPLE / "lfs.py", tmp_path / "lfs.py")
    shutil.copy(EXAMPLE / "reviews.parquet", tmp_path / "reviews.parquet")
    return tmp_path


def test_apply_analyze_fit_on_the_example(example):
    r = run("apply", example / "lfs.py", example / "reviews.parquet", "-o", example / "votes.parquet",
            "--id-col", "review_id", "--jobs", "2")
    assert r.exit_code == 0, r.output
    assert "positive_words" in r.stdout
    meta = read_metadata(example / "votes.parquet")
    assert meta["classes"] == ["negative", "positive"] and meta["rows"] == 600 and len(meta["lfs"]) == 10

    r = run("analyze", example / "votes.parquet", "--gold", example / "reviews.parquet", "--label-col", "label",
            "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert [d["lf"] for d in report["lfs"]][:2] == ["positive_words", "negative_words"]
    assert report["totals"]["labelled_rows"] == 600
    # gold labels are class names here; they are mapped through CLASSES
    assert report["totals"]["mv_accuracy_covered"] > 0.8
    for d in report["lfs"]:
        assert d["correct"] + d["incorrect"] == d["votes"]

    r = run("fit", example / "votes.parquet", "-o", example / "labels.parquet", "--save-model",
            example / "model.json")
    assert r.exit_code == 0, r.output
    labels = pd.read_parquet(example / "labels.parquet")
    assert labels.columns.tolist() == ["review_id", "prob_0", "prob_1", "label", "confidence", "label_name"]
    named = labels["label"] >= 0
    assert (labels.loc[named, "label_name"] == labels.loc[named, "label"].map({0: "negative", 1: "positive"})).all()
    assert labels.loc[~named, "label_name"].isna().all()
    assert labels["prob_0"].dtype == np.float32
    np.testing.assert_allclose(labels[["prob_0", "prob_1"]].sum(axis=1), 1, atol=1e-6)
    votes = pd.read_parquet(example / "votes.parquet")
    uncovered = (votes.drop(columns="review_id") == -1).all(axis=1)
    assert (labels.loc[uncovered, "label"] == -1).all() and (labels.loc[~uncovered, "label"] >= 0).all()
    gold = pd.read_parquet(example / "reviews.parquet")["label"].map({"negative": 0, "positive": 1})
    acc = (labels.loc[~uncovered, "label"] == gold[~uncovered]).mean()
    assert acc > 0.8
    assert json.loads((example / "model.json").read_text())["model"] == "AutoModel"


def test_fit_options(example):
    assert run("apply", example / "lfs.py", example / "reviews.parquet", "-o", example / "v.parquet", "-q",
               "--jobs", "1").exit_code == 0
    r = run("fit", example / "v.parquet", "-o", example / "l.parquet", "--fill-unlabeled", "prior", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["labelled_rows"] == 600
    assert (pd.read_parquet(example / "l.parquet")["label"] >= 0).all()
    r = run("fit", example / "v.parquet", "-o", example / "l2.parquet", "--model", "majority", "--ties", "abstain",
            "-q")
    assert r.exit_code == 0 and r.stdout == ""
    a = pd.read_parquet(example / "l2.parquet")
    tied = (a["prob_0"] == a["prob_1"]) & (a["label"] == -1)
    assert tied.any()
    # same seed, same bytes
    run("fit", example / "v.parquet", "-o", example / "s1.parquet", "--seed", "4", "-q")
    run("fit", example / "v.parquet", "-o", example / "s2.parquet", "--seed", "4", "-q")
    assert (example / "s1.parquet").read_bytes() == (example / "s2.parquet").read_bytes()


def _assert_user_error(result, *fragments):
    assert result.exit_code == 1, result.output
    text = result.stderr.strip()
    assert text.startswith("error:") and "\n" not in text, text
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in text, text


def test_error_paths_are_one_line_with_exit_code_1(example, write_lfs):
    out = example / "out.parquet"
    _assert_user_error(run("apply", example / "lfs.py", example / "missing.parquet", "-o", out), "missing.parquet",
                       "no such file")
    (example / "bad.parquet").write_bytes(b"PAR1 garbage")
    _assert_user_error(run("apply", example / "lfs.py", example / "bad.parquet", "-o", out), "bad.parquet",
                       "not a readable Parquet file")
    pd.DataFrame({"body": ["x"]}).to_parquet(example / "nocol.parquet")
    _assert_user_error(run("apply", example / "lfs.py", example / "nocol.parquet", "-o", out),
                       "LF 'positive_words' needs column 'text'")
    pd.DataFrame({"text": pd.Series([], dtype=str)}).to_parquet(example / "empty.parquet")
    _assert_user_error(run("apply", example / "lfs.py", example / "empty.parquet", "-o", out), "has no rows")
    lfs = write_lfs("@labeling_function\ndef boom(x):\n    return 1 / 0\n", name="boom.py")
    _assert_user_error(run("apply", lfs, example / "reviews.parquet", "-o", out, "--id-col", "review_id"),
                       "LF 'boom' raised ZeroDivisionError", "row 0", "r0000")
    bad_vote = write_lfs("@labeling_function\ndef half(x):\n    return 0.5\n", name="half.py")
    _assert_user_error(run("apply", bad_vote, example / "reviews.parquet", "-o", out, "-k", "2"),
                       "LF 'half' returned 0.5 (float) on row 0")
    _assert_user_error(run("apply", write_lfs("x = 1\n", name="none.py"), example / "reviews.parquet", "-o", out),
                       "defines no labeling functions")
    _assert_user_error(run("apply", example / "lfs.py", example / "reviews.parquet", "-o", out, "-k", "3"),
                       "disagrees")
    assert not out.exists()
    # existing output is kept without --force
    out.write_text("precious")
    _assert_user_error(run("apply", example / "lfs.py", example / "reviews.parquet", "-o", out), "already exists")
    assert out.read_text() == "precious"
    _assert_user_error(run("fit", example / "missing.parquet", "-o", example / "l.parquet"), "no such file")
    _assert_user_error(run("analyze", example / "reviews.parquet"), "no LF vote columns")
    run("apply", example / "lfs.py", example / "reviews.parquet", "-o", example / "v.parquet", "-q", "-j", "1")
    _assert_user_error(run("analyze", example / "v.parquet", "--gold", example / "reviews.parquet",
                           "--label-col", "nope"), "no label column 'nope'")
    _assert_user_error(run("fit", example / "v.parquet", "-o", example / "l.parquet", "--model", "nope"),
                       "unknown model 'nope'")
    assert not (example / "l.parquet").exists()


def test_on_error_abstain_reports_counts(example, write_lfs):
    lfs = write_lfs("@labeling_function\ndef flaky(x):\n    if 'great' in x.text.lower():\n"
                    "        raise ValueError('no')\n    return 1\n", name="flaky.py")
    r = run("apply", lfs, example / "reviews.parquet", "-o", example / "v.parquet", "--on-error", "abstain",
            "-k", "2", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    n_great = pd.read_parquet(example / "reviews.parquet")["text"].str.lower().str.contains("great").sum()
    assert info["lfs"][0]["errors"] == n_great > 0
    assert read_metadata(example / "v.parquet")["lfs"][0]["errors"] == n_great


def test_console_script_exit_codes(example):
    """The installed entry point: usage errors exit 2, user errors 1, success 0."""
    exe = [sys.executable, "-m", "weaklabel"]
    r = subprocess.run(exe + ["apply"], capture_output=True, text=True)
    assert r.returncode == 2
    r = subprocess.run(exe + ["fit", str(example / "nope.parquet"), "-o", str(example / "x.parquet")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr and r.stderr.startswith("error:")
    r = subprocess.run(exe + ["--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("weaklabel ")


@pytest.fixture
def votes_with_ids(example):
    r = run("apply", example / "lfs.py", example / "reviews.parquet", "-o", example / "v.parquet", "-q", "-j", "1",
            "--id-col", "review_id")
    assert r.exit_code == 0, r.output
    return example / "v.parquet"


@pytest.mark.parametrize("model", ["majority", "weighted", "ds", "onecoin", "mc", "triplet", "auto"])
def test_fit_every_model_and_predict_with_the_saved_model(example, votes_with_ids, model):
    labels, saved = example / f"{model}.parquet", example / f"{model}.json"
    r = run("fit", votes_with_ids, "-o", labels, "--model", model, "--save-model", saved, "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert len(info["lfs"]) == 10 and abs(sum(info["class_balance"].values()) - 1) < 1e-6
    gold = pd.read_parquet(example / "reviews.parquet")["label"].map({"negative": 0, "positive": 1})
    lab = pd.read_parquet(labels)
    covered = lab["label"] >= 0
    # triplets assume LFs that vote several classes; most example LFs vote one, so it is weaker
    assert (lab.loc[covered, "label"] == gold[covered]).mean() > (0.75 if model == "triplet" else 0.8)
    r = run("predict", saved, votes_with_ids, "-o", example / "again.parquet")
    assert r.exit_code == 0, r.output
    again = pd.read_parquet(example / "again.parquet")
    np.testing.assert_allclose(again[["prob_0", "prob_1"]], lab[["prob_0", "prob_1"]], rtol=1e-6)
    assert again["label"].tolist() == lab["label"].tolist()


def test_fit_with_dev_labels_and_options(example, votes_with_ids):
    gold = pd.read_parquet(example / "reviews.parquet")
    gold.iloc[:100][["review_id", "label"]].to_parquet(example / "dev.parquet")
    r = run("fit", votes_with_ids, "-o", example / "l.parquet", "--dev", example / "dev.parquet", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["dev_rows"] == 100 and info["dev_accuracy_fitted"] > 0.8
    assert info["selection"]["labelled_rows"] == 100 and info["selection"]["reason"]
    assert set(info["selection"]["cv"]) >= {"default", "majority"}
    ev = info["selection"]["evidence"]
    assert ev["against"] == info["selection"]["label_free_choice"] and ev["gold_rows_scored"] > 0
    # the opt-in bar on departures from the label-free model, as a model hyper-parameter
    r = run("fit", votes_with_ids, "-o", example / "l3.parquet", "--dev", example / "dev.parquet",
            "-p", "min_rows_gained=1000", "--json")
    assert r.exit_code == 0, r.output
    strict = json.loads(r.stdout)
    assert strict["params"]["min_rows_gained"] == 1000
    assert strict["selection"]["choice"] == strict["selection"]["label_free_choice"]
    # fixed class balance and hyper-parameters
    r = run("fit", votes_with_ids, "-o", example / "l2.parquet", "--model", "ds", "--class-balance", "0.2,0.8",
            "-p", "smoothing=5", "-p", "abstain=ignore", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["class_balance"] == {"negative": 0.2, "positive": 0.8}
    assert info["params"]["smoothing"] == 5 and info["params"]["abstain"] == "ignore"
    for args, msg in [(["--model", "ds", "-p", "nope=1"], "has no parameter 'nope'"),
                      (["--model", "majority", "--class-balance", "0.5,0.5"], "does not take a class balance"),
                      (["--class-balance", "0.5,0.6"], "--class-balance must be 2 positive numbers"),
                      (["--class-balance", "0.3,0.7", "-p", "class_balance=[0.5,0.5]"],
                       "--class-balance and -p class_balance=... disagree"),
                      (["--dev", example / "dev.parquet", "--label-col", "stars"], "no label column 'stars'")]:
        _assert_user_error(run("fit", votes_with_ids, "-o", example / "x.parquet", *args), msg)
    assert not (example / "x.parquet").exists()
    # --ties has a default, so -p ties=... alone still sets majority vote's ties
    r = run("fit", votes_with_ids, "-o", example / "l4.parquet", "--model", "majority", "-p", "ties=abstain", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["params"]["ties"] == "abstain"


def test_predict_rejects_mismatched_votes_and_bad_model_files(example, votes_with_ids, write_lfs):
    run("fit", votes_with_ids, "-o", example / "l.parquet", "--model", "ds", "--save-model", example / "m.json")
    other = write_lfs("CLASSES = ['negative', 'positive']\n@labeling_function\ndef other(x):\n    return 1\n",
                      name="other.py")
    run("apply", other, example / "reviews.parquet", "-o", example / "ov.parquet", "-q", "-j", "1")
    _assert_user_error(run("predict", example / "m.json", example / "ov.parquet", "-o", example / "p.parquet"),
                       "has no column for LF 'positive_words'")
    tampered = json.loads((example / "m.json").read_text())
    tampered["model"] = "subprocess.Popen"
    (example / "bad.json").write_text(json.dumps(tampered))
    _assert_user_error(run("predict", example / "bad.json", votes_with_ids, "-o", example / "p.parquet"),
                       "unknown model class")
    assert not (example / "p.parquet").exists()


def test_a_bad_vote_in_a_dev_csv_names_the_file(tmp_path):
    from weaklabel.votes import VoteMatrix

    L = np.array([[0, 1, -1], [1, 1, 0], [-1, 0, 0], [1, -1, 1]] * 10)
    VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "c"]).to_parquet(tmp_path / "votes.parquet")
    dev = pd.DataFrame({"a": [0, 1, 5], "b": [1, 1, 0], "c": [0, 0, 1], "label": [0, 1, 1]})
    dev.to_csv(tmp_path / "dev.csv", index=False)
    _assert_user_error(run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "l.parquet", "--dev", tmp_path / "dev.csv"),
                       "dev.csv: vote matrix: row 2, LF 'a'")
    assert not (tmp_path / "l.parquet").exists()


def test_json_output_is_strict_json(capsys):
    """`--json` is for scripts: Python's NaN (an empty calibration bin of `evaluate`) is not JSON,
    and `jq` refuses it. Non-finite floats are null."""
    from weaklabel.cli._common import print_json

    print_json({"ece_bins": [{"accuracy": float("nan"), "n": 0}], "x": np.float64("inf"), "a": np.array([1.5, np.nan]),
                "ok": 0.25})

    def refuse(name):
        raise ValueError(name)

    data = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert data == {"ece_bins": [{"accuracy": None, "n": 0}], "x": None, "a": [1.5, None], "ok": 0.25}


@pytest.mark.parametrize("model", ["auto", "ds", "mc", "majority"])
def test_fit_table_shows_no_accuracy_for_an_lf_without_votes(tmp_path, model):
    """An LF that never votes has no estimated accuracy: the fit (and analyze) table says
    "n/a (no votes)" instead of the model's prior as if it were an estimate; --json keeps the
    model's figure (its prior) and the warning naming the LF."""
    from weaklabel import VoteMatrix

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    L = np.where(rng.random((300, 4)) < 0.8, y[:, None], 1 - y[:, None])
    L[rng.random((300, 4)) < 0.4] = -1
    L[:, 2] = -1                                              # "silent" never votes
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "silent", "d"]).to_parquet(votes)
    r = run("fit", votes, "-o", tmp_path / "labels.parquet", "-m", model)
    assert r.exit_code == 0, r.output
    lines = {ln.split("│")[1].strip(): ln for ln in r.stdout.splitlines() if ln.count("│") > 2}
    if model == "majority":                                   # no estimates at all
        assert "n/a (no votes)" not in r.stdout
    else:
        assert "n/a (no votes)" in lines["silent"]
        assert "n/a" not in lines["a"]
        res = json.loads(run("fit", votes, "-o", tmp_path / "l2.parquet", "-m", model, "--json").stdout)
        assert isinstance(res["lfs"][2]["accuracy"], float)
        assert any("silent never vote" in w for w in res["warnings"])
    pd.DataFrame({"label": y}).to_parquet(tmp_path / "gold.parquet")
    r = run("analyze", votes, "--gold", tmp_path / "gold.parquet")
    assert r.exit_code == 0, r.output
    silent = next(ln for ln in r.stdout.splitlines() if "silent" in ln)
    assert "n/a (no votes)" in silent and "0.7" not in silent
