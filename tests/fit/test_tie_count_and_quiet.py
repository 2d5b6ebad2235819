"""`fit` counts majority vote's random tie-breaks (README, `--ties random`); `report -q` prints nothing but errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _tied_votes(path):
    # 2 LFs that disagree on rows 0..29 (majority-vote ties), agree on 30..59, abstain on 60..79
    a = np.r_[np.zeros(30), np.ones(30), -np.ones(20)].astype(np.int8)
    b = np.r_[np.ones(30), np.ones(30), -np.ones(20)].astype(np.int8)
    pd.DataFrame({"a": a, "b": b}).to_parquet(path)
    return 30


DASK = ["--engine", "dask", "--jobs", "1", "--partition-rows", "40"]


@pytest.mark.parametrize("mode", [[], ["--stream"], DASK], ids=["memory", "stream", "dask"])
def test_majority_vote_random_tie_breaks_are_counted(tmp_path, mode):
    # README (fit options, --ties): "With `random` the summary line (and `--json` -> `tied_rows`)
    # counts the labels drawn among tied classes". `-m majority` draws them in its probabilities
    # (one-hot), and those draws were not counted: tied_rows 0, no note on the summary line.
    if mode == DASK:
        pytest.importorskip("distributed")
    votes = tmp_path / "votes.parquet"
    n_tied = _tied_votes(votes)
    r = run("fit", votes, "-o", tmp_path / "l.parquet", "-m", "majority", "--json", *mode,
            "--save-model", tmp_path / "m.json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["tied_rows"] == n_tied
    r = run("fit", votes, "-o", tmp_path / "l2.parquet", "-m", "majority", *mode)
    assert f"{n_tied:,} of them" in r.stderr and "--ties abstain" in r.stderr
    r = run("predict", tmp_path / "m.json", votes, "-o", tmp_path / "p.parquet", "--json", *mode)
    assert r.exit_code == 0 and json.loads(r.stdout)["tied_rows"] == n_tied
    # uniform splits the probability evenly and draws the hard label: counted as before
    r = run("fit", votes, "-o", tmp_path / "u.parquet", "-m", "majority", "--ties", "uniform", "--json", *mode)
    assert json.loads(r.stdout)["tied_rows"] == n_tied
    # abstain: no label is a draw
    r = run("fit", votes, "-o", tmp_path / "a.parquet", "-m", "majority", "--ties", "abstain", "--json", *mode)
    info = json.loads(r.stdout)
    assert info["tied_rows"] == 0 and info["labelled_rows"] == 30


def test_report_quiet_prints_no_compile_note(tmp_path, monkeypatch):
    # `weaklabel report -q` ("Print nothing but errors") printed Numba's "compiling (first run
    # only)" note on a cold cache, as apply/analyze/fit/predict -q do not
    from weaklabel import _jit

    votes = tmp_path / "votes.parquet"
    _tied_votes(votes)
    notes = []
    monkeypatch.setattr(_jit, "on_compile", notes.append)
    monkeypatch.setattr(_jit, "_announced", False)
    monkeypatch.setattr(_jit, "will_compile", lambda dispatcher: True)   # as on a cold cache
    r = run("report", votes, "-o", tmp_path / "r.html", "-q")
    assert r.exit_code == 0, r.output
    # the note is off for the command (kernels already loaded in this process call no hook)
    assert notes == [] and r.stderr == "" and _jit.on_compile is None


def test_streamed_predict_off_a_terminal_prints_no_blank_line(tmp_path):
    # the progress bar, transient on a terminal, left an empty line on a pipe
    votes = tmp_path / "votes.parquet"
    _tied_votes(votes)
    assert run("fit", votes, "-o", tmp_path / "l.parquet", "--save-model", tmp_path / "m.json", "-q").exit_code == 0
    r = run("predict", tmp_path / "m.json", votes, "-o", tmp_path / "p.parquet", "--stream")
    assert r.exit_code == 0 and r.stderr.startswith("wrote "), repr(r.stderr)
