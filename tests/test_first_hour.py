"""What a new user meets in the first hour (issue 14): help texts, duplicate and unmatched ids,
majority-vote ties, estimated vs gold accuracies, labels ready to train on, the Python API."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import weaklabel
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.simulate import simulate_votes
from weaklabel.votes import VoteMatrix
from conftest import EXAMPLE

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"})


@pytest.fixture
def example(tmp_path):
    shutil.copy(EXAMPLE / "lfs.py", tmp_path / "lfs.py")
    shutil.copy(EXAMPLE / "reviews.parquet", tmp_path / "reviews.parquet")
    r = run("apply", tmp_path / "lfs.py", tmp_path / "reviews.parquet", "-o", tmp_path / "votes.parquet",
            "--id-col", "review_id", "-q", "--jobs", "1")
    assert r.exit_code == 0, r.output
    return tmp_path


# ------------------------------------------------------------------------------------------- help
def test_fit_help_lists_every_model_and_flags_show_no_type():
    from weaklabel.models import MODELS

    r = run("fit", "--help")
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    for name in MODELS:
        assert name in text, name
    assert "auto (the default" in text and "hybrid" in text
    for cmd in ("fit", "apply", "analyze", "predict"):
        out = run(cmd, "--help").output
        assert "<bool>" not in out, cmd                   # flags are flags
        assert "<path>" in out or "<str>" in out          # options with values keep their type
    assert "--quiet" in run("analyze", "--help").output


# ------------------------------------------------------------------------------ duplicate ids
def _spam_table(tmp_path, dup=True):
    """A YouTube-like table whose comment ids repeat (the real data has 3 such ids)."""
    rng = np.random.default_rng(0)
    words = ["check out my channel", "subscribe please", "love this song", "http://spam.example", "nice"]
    n = 400
    texts = [" ".join(rng.choice(words, 2)) for _ in range(n)]
    ids = [f"c{i:04d}" for i in range(n)]
    if dup:
        ids[10], ids[20], ids[30] = ids[11], ids[21], ids[31]
    label = [1 if ("channel" in t or "subscribe" in t or "http" in t) else 0 for t in texts]
    df = pd.DataFrame({"COMMENT_ID": ids, "CONTENT": texts, "CLASS": label})
    df.to_csv(tmp_path / "yt.csv", index=False)
    (tmp_path / "lfs.py").write_text(textwrap.dedent('''
        from weaklabel import keyword_lf
        CLASSES = ["ham", "spam"]
        check = keyword_lf("check", ["check out"], 1, column="CONTENT")
        link = keyword_lf("link", ["http"], 1, column="CONTENT", match="prefix")
        sub = keyword_lf("sub", ["subscribe"], 1, column="CONTENT")
        song = keyword_lf("song", ["song", "love"], 0, column="CONTENT")
        nice = keyword_lf("nice", ["nice"], 0, column="CONTENT")
    '''))
    return df


def test_apply_warns_on_duplicate_ids_and_gold_from_the_same_file_still_matches(tmp_path):
    df = _spam_table(tmp_path)
    r = run("apply", tmp_path / "lfs.py", tmp_path / "yt.csv", "-o", tmp_path / "v.parquet", "--id-col",
            "COMMENT_ID", "--jobs", "1")
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "3 ids of --id-col COMMENT_ID appear more than once" in text and "'c0011'" in text
    r = run("apply", tmp_path / "lfs.py", tmp_path / "yt.csv", "-o", tmp_path / "v.parquet", "--id-col",
            "COMMENT_ID", "--jobs", "1", "--json", "--force")
    assert json.loads(r.stdout)["duplicate_ids"] == {"count": 3, "first": ["c0011", "c0021", "c0031"]}
    # the gold file is the data the votes came from: its rows are the votes' rows, matched by position
    r = run("analyze", tmp_path / "v.parquet", "--gold", tmp_path / "yt.csv", "--label-col", "CLASS", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["totals"]["labelled_rows"] == len(df)
    # another file with repeated ids cannot be matched by id: exit 1, saying how to resolve it
    df.iloc[::-1].to_csv(tmp_path / "gold.csv", index=False)
    r = run("analyze", tmp_path / "v.parquet", "--gold", tmp_path / "gold.csv", "--label-col", "CLASS")
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    assert "appear more than once" in text and "drop_duplicates" in text
    r = run("fit", tmp_path / "v.parquet", "-o", tmp_path / "l.parquet", "--dev", tmp_path / "gold.csv",
            "--label-col", "CLASS")
    assert r.exit_code == 1 and "drop_duplicates" in " ".join(r.output.split())
    assert not (tmp_path / "l.parquet").exists()


def test_gold_whose_ids_match_nothing_is_an_error(tmp_path):
    df = _spam_table(tmp_path, dup=False)
    assert run("apply", tmp_path / "lfs.py", tmp_path / "yt.csv", "-o", tmp_path / "v.parquet", "--id-col",
               "COMMENT_ID", "-q", "--jobs", "1").exit_code == 0
    other = df.assign(COMMENT_ID="x" + df["COMMENT_ID"])
    other.to_csv(tmp_path / "other.csv", index=False)
    r = run("analyze", tmp_path / "v.parquet", "--gold", tmp_path / "other.csv", "--label-col", "CLASS")
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    assert "none of its 400 ids matches" in text and "votes ['COMMENT_ID']" in text
    assert "'c0000'" in text and "'xc0000'" in text          # a sample of each file's ids
    df.head(0).to_csv(tmp_path / "empty.csv", index=False)
    r = run("analyze", tmp_path / "v.parquet", "--gold", tmp_path / "empty.csv", "--label-col", "CLASS", "-q")
    assert r.exit_code == 1 and "has no rows" in r.output
    # matching ids: -q prints nothing and exits 0
    r = run("analyze", tmp_path / "v.parquet", "--gold", tmp_path / "yt.csv", "--label-col", "CLASS", "-q")
    assert r.exit_code == 0 and r.stdout == ""


# ------------------------------------------------------------------------- analyze with gold
def test_analyze_majority_ties_agree_with_fit_majority_and_estimates_sit_beside_gold(example):
    from weaklabel.votes.gold import align_gold
    from weaklabel.models import MajorityVote

    r = run("analyze", example / "votes.parquet", "--gold", example / "reviews.parquet", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    vm = VoteMatrix.read_parquet(example / "votes.parquet")
    y = align_gold(vm, example / "reviews.parquet", "label")
    # the reported majority-vote accuracy is the expected accuracy of `fit -m majority`'s random
    # tie-break: exactly the mean probability of the gold class under ties="uniform"
    proba = MajorityVote(ties="uniform").fit(vm).predict_proba(vm)
    covered = vm.votes_per_row() > 0
    assert rep["totals"]["mv_accuracy_covered"] == pytest.approx(proba[covered, y[covered]].mean(), abs=1e-12)
    counts = np.stack([np.bincount(vm.votes[vm.indptr[i]:vm.indptr[i + 1]], minlength=2) for i in range(vm.n_rows)])
    assert rep["totals"]["mv_ties"] == int(((counts[:, 0] == counts[:, 1]) & covered).sum()) > 0
    # estimated accuracies (default model, no gold) next to the gold ones, close on this data
    est = np.array([d["est_acc"] for d in rep["lfs"]])
    emp = np.array([d["emp_acc"] for d in rep["lfs"]])
    assert np.isfinite(est).all() and np.abs(est - emp).mean() < 0.1
    table = run("analyze", example / "votes.parquet", "--gold", example / "reviews.parquet").output
    assert "est. acc." in table and "emp. acc." in table and "tied rows" in table
    # --model: a saved model's estimates
    assert run("fit", example / "votes.parquet", "-o", example / "l.parquet", "-m", "triplet", "--save-model",
               example / "m.json", "-q").exit_code == 0
    rep2 = json.loads(run("analyze", example / "votes.parquet", "--gold", example / "reviews.parquet",
                          "--model", example / "m.json", "--json").stdout)
    saved = json.loads((example / "m.json").read_text())
    acc = np.array(saved["learned"]["accuracies_"]["__array__"])
    np.testing.assert_allclose([d["est_acc"] for d in rep2["lfs"]], acc)
    assert run("analyze", example / "votes.parquet", "--model", example / "m.json").exit_code == 1


# ------------------------------------------------------------------------- labels to train on
def test_fit_keep_cols_label_name_and_drop_unlabeled(example):
    data = pd.read_parquet(example / "reviews.parquet")
    r = run("fit", example / "votes.parquet", "-o", example / "train.parquet", "--keep-cols", "text",
            "--drop-unlabeled", "--threads", "1")
    assert r.exit_code == 0, r.output
    lab = pd.read_parquet(example / "train.parquet")
    assert lab.columns.tolist() == ["review_id", "prob_0", "prob_1", "label", "confidence", "label_name", "text"]
    full = pd.read_parquet(example / "votes.parquet")
    covered = (full.drop(columns="review_id") >= 0).any(axis=1)
    assert len(lab) == int(covered.sum()) and (lab["label"] >= 0).all()
    # the kept text is the text of the row with that id (the data file is found through the votes' metadata)
    merged = lab.merge(data[["review_id", "text"]], on="review_id", suffixes=("", "_data"))
    assert len(merged) == len(lab) and (merged["text"] == merged["text_data"]).all()
    assert set(lab["label_name"]) == {"negative", "positive"}
    assert (lab["label_name"] == lab["label"].map({0: "negative", 1: "positive"})).all()
    # the summary counts the rows the file holds first (it used to lead with the input's rows)
    n = len(full)
    assert (f"{len(lab):,} labelled rows of {n:,}" in r.output
            and f"{n - len(lab):,} unlabelled rows left out" in r.output), r.output
    # from Python, the columns may be a list as well as comma-separated
    from weaklabel.fit import fit_file

    fit_file(example / "votes.parquet", example / "train2.parquet", keep_cols=["text"], drop_unlabeled=True,
             force=True)
    assert pd.read_parquet(example / "train2.parquet").equals(lab)


def test_fit_keep_cols_errors(example, tmp_path):
    r = run("fit", example / "votes.parquet", "-o", example / "t.parquet", "--keep-cols", "label")
    assert r.exit_code == 1 and "already has a column" in r.output
    r = run("fit", example / "votes.parquet", "-o", example / "t.parquet", "--keep-cols", "nope")
    assert r.exit_code == 1 and "no column 'nope'" in r.output
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(example / "votes.parquet", moved / "votes.parquet")
    r = run("fit", moved / "votes.parquet", "-o", moved / "t.parquet", "--keep-cols", "text")
    assert r.exit_code == 1 and "--data" in r.output
    r = run("fit", moved / "votes.parquet", "-o", moved / "t.parquet", "--keep-cols", "text", "--data",
            example / "reviews.parquet")
    assert r.exit_code == 0, r.output
    r = run("fit", example / "votes.parquet", "-o", example / "t3.parquet", "--threads", "-1")
    assert r.exit_code == 1 and "threads" in r.output


# ------------------------------------------------------------------------------- compile notice
def test_compile_notice_only_when_numba_compiles(tmp_path):
    script = tmp_path / "kern.py"
    script.write_text(textwrap.dedent('''
        import sys
        from weaklabel import _jit
        _jit.on_compile = lambda msg: print(msg, file=sys.stderr)

        @_jit.njit_announced()
        def plus_one(x):
            return x + 1

        assert plus_one(1) == 2 and plus_one(2) == 3
    '''))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    first = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True)
    second = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True)
    assert first.stderr.count("compiling (first run only)") == 1
    assert "compiling" not in second.stderr


# ------------------------------------------------------------------------------------ Python API
def test_label_model_is_the_default_model_with_snorkel_spellings(tmp_path):
    sim = simulate_votes(3000, 8, 2, seed=3)
    L = sim.votes.to_dense()
    lm = weaklabel.LabelModel(cardinality=2).fit(L_train=L)
    assert isinstance(lm, weaklabel.models.AutoModel) and isinstance(lm, weaklabel.BaseLabelModel)
    ref = weaklabel.AutoModel().fit(L)
    np.testing.assert_array_equal(lm.predict_proba(L), ref.predict_proba(L))
    np.testing.assert_array_equal(weaklabel.LabelModel().fit(L).predict(L), ref.predict(L))
    with pytest.raises(InputError, match="cardinality=3"):
        weaklabel.LabelModel(cardinality=3).fit(sim.votes)
    with pytest.raises(InputError):
        weaklabel.LabelModel(cardinality=2).fit(np.where(L == 1, 2, L))      # a vote outside 0..1
    with pytest.raises(InputError, match="once"):
        weaklabel.LabelModel().fit(L, L_train=L)
    # Snorkel's tie_break_policy. One source casts most votes, so the default is majority vote,
    # and the ten rows where the other source disagrees with it are ties
    two = np.stack([np.arange(100) % 2, np.where(np.arange(100) < 10, 1 - np.arange(100) % 2, -1)], axis=1)
    mv = weaklabel.LabelModel().fit(two)
    assert mv.selection_["choice"] == "majority"
    tied = np.arange(100) < 10
    assert (mv.predict(two, tie_break_policy="abstain")[tied] == -1).all()
    assert (mv.predict(two, tie_break_policy="abstain")[~tied] == two[~tied, 0]).all()
    assert mv.predict(two, tie_break_policy="true-random").tolist() == mv.predict(two).tolist()
    assert mv.score(two, two[:, 0], tie_break_policy="abstain", metrics=["coverage"])["coverage"] == 0.9
    with pytest.raises(InputError, match="tie_break_policy"):
        mv.predict(two, tie_break_policy="first")
    with pytest.raises(InputError, match="not both"):
        mv.predict(two, "abstain", tie_break_policy="random")
    # a three-class model on votes that only use two classes
    assert weaklabel.LabelModel(cardinality=3).fit(L).predict_proba(L).shape == (3000, 3)
    weaklabel.save_model(lm, tmp_path / "m.json")
    back = weaklabel.load_model(tmp_path / "m.json")
    assert type(back) is type(lm) and back.cardinality == 2
    np.testing.assert_allclose(back.predict_proba(L), lm.predict_proba(L))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from weaklabel.models import LabelModel as Old
    assert Old is weaklabel.BaseLabelModel and any(issubclass(w.category, DeprecationWarning) for w in caught)


def test_score_metrics_match_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    for K, seed in ((2, 0), (4, 1)):
        sim = simulate_votes(4000, 10, K, seed=seed)
        lm = weaklabel.LabelModel().fit(sim.votes)
        y = sim.y.copy()
        y[::7] = -1                                     # unknown gold labels are left out
        got = lm.score(sim.votes, y, metrics=["accuracy", "f1", "precision", "recall", "f1_macro", "coverage",
                                              "brier"])
        pred = lm.predict(sim.votes)
        k = y >= 0
        avg = "binary" if K == 2 else "macro"
        assert got["accuracy"] == pytest.approx(accuracy_score(y[k], pred[k]))
        assert got["f1"] == pytest.approx(f1_score(y[k], pred[k], average=avg))
        assert got["precision"] == pytest.approx(precision_score(y[k], pred[k], average=avg))
        assert got["recall"] == pytest.approx(recall_score(y[k], pred[k], average=avg))
        assert got["f1_macro"] == pytest.approx(f1_score(y[k], pred[k], average="macro"))
        proba = lm.predict_proba(sim.votes)[k]
        assert got["brier"] == pytest.approx(((proba - np.eye(K)[y[k]]) ** 2).sum(axis=1).mean())
        assert got["coverage"] == 1.0
        assert lm.score(sim.votes, y) == pytest.approx(got["accuracy"])       # plain: a float
    with pytest.raises(InputError, match="unknown metric"):
        lm.score(sim.votes, y, metrics=["auc"])
    # ties="abstain": abstained rows count only against coverage
    mv = weaklabel.MajorityVote(ties="abstain").fit(sim.votes)
    s = mv.score(sim.votes, sim.y, ties="abstain", metrics=["accuracy", "coverage"])
    pred = mv.predict(sim.votes, ties="abstain")
    assert s["coverage"] == pytest.approx((pred >= 0).mean()) and s["coverage"] < 1
    assert s["accuracy"] == pytest.approx((pred[pred >= 0] == sim.y[pred >= 0]).mean())
