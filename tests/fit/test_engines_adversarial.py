"""Engines pushed to their edges: many classes, no rows, exact majority-vote statistics. Every
engine (in memory, ``--stream``, ``--engine dask``) must give the same labels and the same errors."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from weaklabel import VoteMatrix
from weaklabel.errors import InputError
from weaklabel.fit import fit_file, predict_file
from weaklabel.fit.streaming import StreamingVoteStats
from weaklabel.models.stats import LocalVoteStats, VoteStats


def many_class_votes(path, n=600, m=4, K=60, seed=0) -> VoteMatrix:
    """Votes of ``m`` LFs on ``K`` classes (70% right), written to ``path``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    L = -np.ones((n, m), dtype=np.int64)
    for j in range(m):
        on = rng.random(n) < 0.5
        L[on, j] = np.where(rng.random(on.sum()) < 0.7, y[on], rng.integers(0, K, on.sum()))
    vm = VoteMatrix.from_dense(L, cardinality=K, lf_names=[f"lf{j}" for j in range(m)],
                               classes=[f"c{k}" for k in range(K)])
    vm.to_parquet(path)
    return vm




def test_majority_stats_are_an_exact_split(tmp_path):
    """The in-memory co-occurrence pass gives majority vote's exact even split of the top classes;
    the E-step version every partitioned engine uses left e^-30 on each other class (3.5e-11 apart
    at 120 classes, 7e-12 in the labels of ``mc``)."""
    vm = many_class_votes(tmp_path / "votes.parquet", n=3000, m=10, K=120)
    local = LocalVoteStats(vm)
    local.pair_counts()                       # caches the exact statistics
    exact_S, exact_T = local.majority_stats()
    for S, T in (VoteStats.majority_stats(local),
                 StreamingVoteStats(tmp_path / "votes.parquet", block_rows=100).majority_stats()):
        np.testing.assert_allclose(S, exact_S, rtol=0, atol=1e-12)
        np.testing.assert_allclose(T, exact_T, rtol=0, atol=1e-12)


@pytest.mark.parametrize("model", ["ds", "mc"])
def test_dask_fits_many_classes(client, tmp_path, model):
    """EM tables of m K^2 doubles over 100 kB (4 LFs x 60 classes): Dask made the keyword argument a
    graph node named ``Dflat`` and the scheduler failed with an AssertionError traceback."""
    votes = tmp_path / "votes.parquet"
    many_class_votes(votes)
    fit_file(votes, tmp_path / "mem.parquet", model, seed=1)
    fit_file(votes, tmp_path / "dask", model, seed=1, engine="dask", client=client, partition_rows=250)
    a, b = pd.read_parquet(tmp_path / "mem.parquet"), pd.read_parquet(tmp_path / "dask")
    pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-12, rtol=0)


def test_dask_zero_rows_as_local(client, tmp_path):
    """A votes file without rows: the local engines write an empty labels file (predict) and refuse
    to fit with one message; Dask said "has no rows" for both."""
    votes, empty = tmp_path / "votes.parquet", tmp_path / "empty.parquet"
    VoteMatrix.from_dense(np.array([[0, 1, -1], [1, 1, 0], [0, -1, 0]]), cardinality=2,
                          lf_names=["a", "b", "c"]).to_parquet(votes)
    VoteMatrix.from_dense(np.zeros((0, 3), dtype=np.int64), cardinality=2, lf_names=["a", "b", "c"]).to_parquet(empty)
    fit_file(votes, tmp_path / "l.parquet", "ds", save_model=tmp_path / "m.json")
    res = {}
    for tag, kw in (("memory", {}), ("stream", dict(stream=True)), ("dask", dict(engine="dask", client=client))):
        with pytest.raises(InputError) as err:
            fit_file(empty, tmp_path / f"fit_{tag}", "hybrid", **kw)
        res[tag] = str(err.value)
        out = predict_file(tmp_path / "m.json", empty, tmp_path / f"pred_{tag}", **kw)
        assert (out["rows"], out["labelled"], out["tied"]) == (0, 0, 0)
        df = pd.read_parquet(tmp_path / f"pred_{tag}")
        assert len(df) == 0 and list(df.columns) == ["row", "prob_0", "prob_1", "label", "confidence"]
    assert res["dask"] == res["memory"] == res["stream"]
