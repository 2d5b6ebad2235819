"""Moment fits on LFs that never vote together (PROTOCOL.md §33).

Frozen keyword rules on short texts (tweets, editorial sentences) rarely fire on the same row: the
agreement statistics that ``mc`` and ``triplet`` fit are then empty, nothing identifies any
accuracy, and both fits followed the LFs' vote rates alone: the class whose rules fire more took
nearly every row (0.3-19 points below majority vote on 8 of the 12 VADER sets). Now both say so and
fall back to majority vote; where LFs do overlap, nothing changes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.models import MajorityVote, MatrixCompletion, Triplet
from weaklabel.models.moments import MIN_COVOTES
from weaklabel.votes import VoteMatrix


def disjoint_keyword_votes(seed: int, n: int = 4000, pos_share: float = 0.65):
    """Ten one-class rules, 90% precise, that never fire on the same row; the positive rules fire
    three times as often as the negative ones (as sentiment rules on tweets did)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < pos_share).astype(np.int64)
    L = -np.ones((n, 10), dtype=np.int64)
    order = rng.permutation(n)
    free = iter(order)
    for j in range(10):
        cls = 1 if j < 5 else 0
        fires = 240 if cls == 1 else 80
        rows = []
        while len(rows) < fires:   # 90% on rows of its class, 10% on the other class
            i = next(free)
            want = cls if rng.random() < 0.9 else 1 - cls
            if y[i] == want:
                rows.append(i)
        L[rows, j] = cls
    return VoteMatrix.from_dense(L, cardinality=2, lf_names=[f"lf{j}" for j in range(10)]), y


def covered_accuracy(model, vm, y):
    p = model.predict_proba(vm)
    cov = vm.votes_per_row() > 0
    top = p[cov].max(axis=1, keepdims=True)
    is_top = p[cov] >= top - 1e-9
    return float((is_top[np.arange(cov.sum()), y[cov]] / is_top.sum(axis=1)).mean())


@pytest.mark.parametrize("cls", [MatrixCompletion, Triplet])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_overlap_falls_back_to_majority_vote(cls, seed):
    vm, y = disjoint_keyword_votes(seed)
    mv = covered_accuracy(MajorityVote().fit(vm), vm, y)
    model = cls().fit(vm)
    assert covered_accuracy(model, vm, y) == pytest.approx(mv, abs=1e-9)
    assert mv > 0.85   # the rules are 90% precise: majority vote is right on most covered rows
    note = [w for w in model.warnings_ if "falls back to majority vote" in w]
    assert len(note) == 1 and f"no LF shares {MIN_COVOTES} or more voted rows" in note[0]
    assert np.allclose(model.class_balance_, 0.5)
    # the state is one: a saved and reloaded model predicts the same
    other = cls()
    other.__dict__.update({k: v for k, v in model.__dict__.items() if k.endswith("_")})
    assert np.allclose(other.predict_proba(vm), model.predict_proba(vm))


def test_mc_mu_describes_the_fallback_state(tmp_path):
    vm, y = disjoint_keyword_votes(3)
    model = MatrixCompletion().fit(vm)
    path = tmp_path / "mc.json"
    model.save(path)
    loaded = MatrixCompletion.load(path)
    assert np.allclose(loaded.predict_proba(vm), model.predict_proba(vm))
    K = vm.cardinality
    mu3 = model.mu_.reshape(vm.n_lfs, K, K)   # [j, v, k] = P(vote v | k)
    conf = mu3.transpose(0, 2, 1) / mu3.sum(axis=1)[:, :, None]
    assert np.allclose(conf, model.confusion_)


def test_given_class_balance_is_kept():
    vm, _ = disjoint_keyword_votes(4)
    model = MatrixCompletion(class_balance=[0.3, 0.7]).fit(vm)
    assert np.allclose(model.class_balance_, [0.3, 0.7])
    assert any("the given class balance" in w for w in model.warnings_)


@pytest.mark.parametrize("cls", [MatrixCompletion, Triplet])
def test_one_overlap_is_not_enough_but_ten_are(cls):
    """The rule is about identifiability, not about quality: one LF with 10 co-votes keeps the fit."""
    vm, y = disjoint_keyword_votes(5)
    L = vm.to_dense()
    pos = np.flatnonzero(L[:, 0] == 1)
    L2 = L.copy()
    L2[pos[:MIN_COVOTES - 1], 1] = 1   # 9 co-votes: still nothing identified
    fitted = cls().fit(VoteMatrix.from_dense(L2, cardinality=2, lf_names=vm.lf_names))
    assert any("falls back to majority vote" in w for w in fitted.warnings_)
    L2[pos[:MIN_COVOTES], 1] = 1       # 10: the fit is the moment fit
    fitted = cls().fit(VoteMatrix.from_dense(L2, cardinality=2, lf_names=vm.lf_names))
    assert not any("falls back to majority vote" in w for w in fitted.warnings_)


@pytest.mark.parametrize("model", ["mc", "triplet"])
def test_cli_says_so_on_stderr_and_in_json(tmp_path, model):
    vm, _ = disjoint_keyword_votes(6)
    votes = tmp_path / "votes.parquet"
    pd.DataFrame(vm.to_dense(), columns=vm.lf_names).to_parquet(votes)
    out = tmp_path / "labels.parquet"
    res = CliRunner().invoke(app, ["fit", str(votes), "-o", str(out), "--model", model, "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert any("falls back to majority vote" in w for w in payload["warnings"])
    assert "falls back to majority vote" in res.stderr


def test_mc_names_the_lfs_it_cannot_check_when_they_cast_many_votes():
    """Some LFs overlap, most do not: the fit is kept, and the warning names the lonely ones."""
    from weaklabel.simulate import REGIMES

    vm, _ = disjoint_keyword_votes(7)
    L = vm.to_dense()
    rows = np.flatnonzero(L[:, 0] == 1)[:60]
    L[rows, 1] = 1                     # lf0 and lf1 now share 60 voted rows; lf2..lf9 share none
    model = MatrixCompletion().fit(VoteMatrix.from_dense(L, cardinality=2, lf_names=vm.lf_names))
    assert not any("falls back" in w for w in model.warnings_)
    note = [w for w in model.warnings_ if "cannot check the accuracy" in w]
    assert len(note) == 1 and "8 LF(s)" in note[0] and "lf2" in note[0] and "lf0" not in note[0]
    # LFs that overlap everywhere: nothing to say
    sim = REGIMES["independent"](seed=0)
    assert not any("cannot check the accuracy" in w for w in MatrixCompletion().fit(sim.votes).warnings_)


@pytest.mark.parametrize("engine", [[], ["--stream"]])
def test_a_few_rows_where_every_lf_fires_identify_nothing_on_every_engine(tmp_path, engine):
    """Two rows where all ten LFs fire give each LF 18 co-votes but two shared rows: the rows are
    counted (one more pass, streamed too) and the fit falls back."""
    vm, _ = disjoint_keyword_votes(8)
    L = vm.to_dense()
    free = np.flatnonzero((L < 0).all(axis=1))[:2]
    L[free, :] = [1] * 5 + [0] * 5
    votes = tmp_path / "votes.parquet"
    pd.DataFrame(L, columns=vm.lf_names).to_parquet(votes)
    res = CliRunner().invoke(app, ["fit", str(votes), "-o", str(tmp_path / "labels.parquet"), "--model", "mc",
                                   "--json", *engine])
    assert res.exit_code == 0, res.output
    assert any(f"no LF shares {MIN_COVOTES} or more voted rows" in w for w in json.loads(res.stdout)["warnings"])
