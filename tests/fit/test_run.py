"""``weaklabel.fit.fit_file`` is the one fit path: the library call with gold labels writes the
bytes the command writes, and the run plan refuses option combinations once, with one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.fit import check_engine_options, fit_file, plan_run, predict_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reviews"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    shutil.copy(EXAMPLE / "reviews.parquet", d / "reviews.parquet")
    r = run("apply", EXAMPLE / "lfs.py", d / "reviews.parquet", "-o", d / "votes.parquet", "--id-col", "review_id",
            "-q", "--jobs", "1")
    assert r.exit_code == 0, r.output
    data = pd.read_parquet(d / "reviews.parquet")
    dev = data[["review_id", "label"]].iloc[:80].copy()
    dev["label"] = dev["label"].map({"negative": 0, "positive": 1})
    dev.to_parquet(d / "dev.parquet")
    return d


def test_fit_file_with_dev_writes_what_the_command_writes(example):
    d = example
    r = run("fit", d / "votes.parquet", "-o", d / "cli.parquet", "--dev", d / "dev.parquet", "-m", "ds",
            "--save-model", d / "cli.json", "--json")
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    s = fit_file(d / "votes.parquet", d / "lib.parquet", "ds", dev=d / "dev.parquet", seed=0, ties="random",
                 save_model=d / "lib.json")
    assert (d / "cli.parquet").read_bytes() == (d / "lib.parquet").read_bytes()
    assert (d / "cli.json").read_bytes() == (d / "lib.json").read_bytes()
    summary = s.to_dict()
    assert s.mode == "memory" and s.dev_rows == 80 and 0.5 < s.dev_accuracy <= 1
    for key in ("rows", "labelled_rows", "dev_rows", "dev_accuracy_fitted", "class_balance", "lfs", "params"):
        assert summary[key] == cli[key], key
    # the saved model predicts the same labels (predict_file, the other library entry)
    res = predict_file(d / "lib.json", d / "votes.parquet", d / "pred.parquet", ties="random")
    assert res["rows"] == s.rows and res["labelled"] == s.labelled
    a, b = pd.read_parquet(d / "lib.parquet"), pd.read_parquet(d / "pred.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_the_plan_refuses_combinations_once(example):
    votes = example / "votes.parquet"
    with pytest.raises(InputError, match="--dev needs the votes in memory"):
        plan_run(votes, stream=True, dev=True)
    with pytest.raises(InputError, match="--dev needs the votes in memory"):
        fit_file(votes, example / "x.parquet", dev=example / "dev.parquet", engine="dask")
    with pytest.raises(InputError, match="--scheduler needs --engine dask"):
        check_engine_options("local", scheduler="tcp://x:1")
    with pytest.raises(InputError, match="--batch-size sets the block size of --stream"):
        plan_run(votes, stream=False, block_rows=10)
    with pytest.raises(InputError, match="--engine must be one of"):
        fit_file(votes, example / "x.parquet", engine="spark")
    with pytest.raises(InputError, match="unknown model"):
        fit_file(votes, example / "x.parquet", "nope")
    with pytest.raises(InputError, match="--class-balance must be 2 positive numbers"):
        fit_file(votes, example / "x.parquet", "ds", class_balance="0.2,0.3,0.5")
    with pytest.raises(InputError, match="--data is the file --keep-cols reads"):
        fit_file(votes, example / "x.parquet", data=example / "reviews.parquet")
    assert not (example / "x.parquet").exists()
    assert plan_run(votes, stream=True).mode == "stream" and plan_run(votes, dev=True).mode == "memory"


def test_the_fit_says_how_many_labels_are_draws_among_tied_classes(tmp_path):
    # a catch-all LF sends the default to majority vote, which ties on every row where one other LF
    # votes: those labels are coin flips, and the summary (stderr, --json, predict) counts them
    import numpy as np

    from weaklabel.simulate import simulate_regime

    sim = simulate_regime("catch_all", 1)
    votes = tmp_path / "votes.parquet"
    sim.votes.to_parquet(votes)
    r = run("fit", votes, "-o", tmp_path / "labels.parquet", "--json", "--save-model", tmp_path / "m.json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    labels = pd.read_parquet(tmp_path / "labels.parquet")
    p = labels[["prob_0", "prob_1"]].to_numpy()
    tied = int(((np.abs(p[:, 0] - p[:, 1]) < 1e-9) & (labels["label"] >= 0)).sum())
    assert tied > 0.2 * len(labels) and info["tied_rows"] == tied
    r = run("fit", votes, "-o", tmp_path / "labels2.parquet")
    assert f"{tied:,} of them" in r.stderr and "--ties abstain" in r.stderr
    r = run("predict", tmp_path / "m.json", votes, "-o", tmp_path / "again.parquet", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["tied_rows"] == tied
    # with --ties abstain those rows are unlabelled, and no label is a draw
    r = run("fit", votes, "-o", tmp_path / "abstain.parquet", "--ties", "abstain", "--json")
    info = json.loads(r.stdout)
    assert info["tied_rows"] == 0 and info["labelled_rows"] == len(labels) - tied
    r = run("fit", votes, "-o", tmp_path / "abstain2.parquet", "--ties", "abstain")
    assert r.exit_code == 0 and "wrote" in r.stderr and "are ties" not in r.stderr


def test_in_sample_dev_accuracy_is_over_the_gold_rows_with_votes(example):
    """As the out-of-fold figure `auto` prints: the gold rows without votes get no label, and counted
    as errors they put the in-sample figure below the out-of-fold one (0.853 against 0.886 on the
    Quickstart's 600 rows, 84 without votes)."""
    from weaklabel.votes import VoteMatrix

    d = example
    s = fit_file(d / "votes.parquet", d / "insample.parquet", "ds", dev=d / "dev.parquet", seed=0, ties="random")
    vm = VoteMatrix.read_parquet(d / "votes.parquet")
    dev = pd.read_parquet(d / "dev.parquet")
    pos = vm.row_ids["review_id"].reset_index(drop=True)
    rows = pos[pos.isin(dev["review_id"])].index.to_numpy()
    voted = rows[vm.take(rows).votes_per_row() > 0]
    assert 0 < voted.size < rows.size == s.dev_rows == 80           # the test can tell the two apart
    assert s.dev_voted == voted.size and s.to_dict()["dev_rows_with_votes"] == voted.size
    y = dev.set_index("review_id").loc[vm.row_ids["review_id"].to_numpy()[voted], "label"].to_numpy()
    assert s.dev_accuracy == pytest.approx((s.model.predict(vm.take(voted), ties="random") == y).mean())
