"""fit/predict --engine dask: the partitioned statistics and labels equal the in-memory ones.

One LocalCluster with two worker processes serves the module (skipped without Dask).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

from typer.testing import CliRunner  # noqa: E402

from test_streaming import assert_same_learned  # noqa: E402
from weaklabel.cli import app  # noqa: E402
from weaklabel.fit.dask import DaskVoteStats  # noqa: E402
from weaklabel.errors import InputError  # noqa: E402
from weaklabel.fit import fit_file, predict_file  # noqa: E402
from weaklabel.io import read_metadata  # noqa: E402
from weaklabel.fit.labels import write_model_labels  # noqa: E402
from weaklabel.models import MODELS, make_model  # noqa: E402
from weaklabel.models.stats import LocalVoteStats  # noqa: E402




def test_every_model_fits_on_dask_as_in_memory(client, votes_dataset):
    vm, _, folder = votes_dataset
    # 3 files of 1000/1300/700 rows in partitions of at most 700: 2 + 2 + 1 partitions over 2 workers
    with DaskVoteStats(folder, client, partition_rows=700) as stats:
        assert stats.partitions == 5 and stats.n_rows == vm.n_rows
        np.testing.assert_array_equal(stats.lf_counts(), vm.lf_class_counts())
        assert stats.n_uncovered() == int((vm.votes_per_row() == 0).sum())
        np.testing.assert_array_equal(stats.pair_counts(), LocalVoteStats(vm).pair_counts())
        local = LocalVoteStats(vm)
        for got, ref in zip(stats.share_stats(), local.share_stats()):
            np.testing.assert_allclose(got, ref, rtol=1e-12)
        K = vm.cardinality
        D = np.random.default_rng(1).normal(size=(vm.n_lfs, K, K))
        sources = np.arange(vm.n_lfs) % 2 == 0
        for max_rows in (None, 451):  # the row sample crosses partition boundaries
            got = stats.error_pair_stats(D, np.zeros(K), sources, max_rows=max_rows)
            ref = local.error_pair_stats(D, np.zeros(K), sources, max_rows=max_rows)
            np.testing.assert_array_equal(got[1], ref[1])
            np.testing.assert_allclose(got[0], ref[0], rtol=1e-10, atol=1e-12)
        for name in MODELS:
            ref = make_model(name).fit(vm)
            got = make_model(name).fit(stats)
            assert_same_learned(ref.to_dict()["learned"], got.to_dict()["learned"])
        # deterministic: the same pass twice gives the same bytes
        D = np.random.default_rng(0).normal(size=(vm.n_lfs, 3, 3))
        a, b = stats.em_stats(D, np.zeros(3)), stats.em_stats(D, np.zeros(3))
        assert a[0].tobytes() == b[0].tobytes() and a[2] == b[2]


def test_labels_per_partition_equal_in_memory(client, votes_dataset, tmp_path):
    vm, file, folder = votes_dataset
    with DaskVoteStats(folder, client, partition_rows=450) as stats:
        for name, params, ties, fill in [("majority", {}, None, "none"), ("majority", {"ties": "uniform"}, None,
                                                                          "prior"),
                                         ("hybrid", {}, None, "none"), ("weighted", {}, "abstain", "prior")]:
            model = make_model(name, **params).fit(vm)
            write_model_labels(model, vm, tmp_path / "a.parquet", fill_unlabeled=fill, ties=ties, force=True)
            res = stats.write_labels(model, tmp_path / "labels", fill_unlabeled=fill, ties=ties, force=True)
            got = pd.read_parquet(tmp_path / "labels")
            pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), got)
            assert res["partitions"] == stats.partitions and res["labelled"] == int((got["label"] >= 0).sum())
    meta = read_metadata(tmp_path / "labels")
    mem = read_metadata(tmp_path / "a.parquet")
    assert meta["format"] == "weaklabel.labels" and meta["engine"] == "dask"
    assert {k: v for k, v in meta.items() if k not in ("engine", "parts")} == mem
    assert sum(p["rows"] for p in meta["parts"]) == vm.n_rows
    for p in meta["parts"]:
        part = json.loads(pq.read_metadata(tmp_path / "labels" / p["file"]).metadata[b"weaklabel"])
        assert part["part"]["offset"] == p["offset"]
    assert not [f for f in (tmp_path / "labels").iterdir() if f.name.startswith(".")]


def test_cli_fit_and_predict_on_an_existing_cluster(client, votes_dataset, tmp_path):
    vm, file, folder = votes_dataset
    addr = client.scheduler.address
    runner = CliRunner()
    mem = runner.invoke(app, ["fit", str(file), "-o", str(tmp_path / "m.parquet"), "--model", "onecoin",
                              "--save-model", str(tmp_path / "m.json"), "--json"])
    dsk = runner.invoke(app, ["fit", str(folder), "-o", str(tmp_path / "d"), "--model", "onecoin", "--engine", "dask",
                              "--scheduler", addr, "--partition-rows", "800", "--save-model", str(tmp_path / "d.json"),
                              "--json"])
    assert mem.exit_code == 0, mem.output
    assert dsk.exit_code == 0, dsk.output
    a, b = json.loads(mem.stdout), json.loads(dsk.stdout)
    assert b["engine"] == "dask" and b["partitions"] == 5 and b["n_iter"] == a["n_iter"]
    assert (tmp_path / "d").is_dir()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "m.parquet"), pd.read_parquet(tmp_path / "d"))
    assert_same_learned(json.loads((tmp_path / "m.json").read_text())["learned"],
                        json.loads((tmp_path / "d.json").read_text())["learned"])
    r = runner.invoke(app, ["predict", str(tmp_path / "m.json"), str(file), "-o", str(tmp_path / "p"),
                            "--engine", "dask", "--scheduler", addr, "--json"])
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "m.parquet"), pd.read_parquet(tmp_path / "p"))
    # a labels dataset is replaced with --force; a votes dataset or another folder never is
    r = runner.invoke(app, ["fit", str(folder), "-o", str(tmp_path / "d"), "--engine", "dask", "--scheduler", addr])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(app, ["fit", str(folder), "-o", str(tmp_path / "d"), "--engine", "dask", "--scheduler", addr,
                            "--model", "majority", "--force", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["fit", str(folder), "-o", str(folder), "--engine", "dask", "--scheduler", addr, "--force"])
    assert r.exit_code == 1 and "is an input of this command" in r.output  # never replaced, even with --force
    r = runner.invoke(app, ["fit", str(folder), "-o", str(tmp_path / "x"), "--engine", "dask", "--scheduler", addr,
                            "--dev", str(file)])
    assert r.exit_code == 1 and "--dev needs the votes in memory" in r.output


def test_first_bad_partition_in_row_order_is_reported(client, votes_dataset, tmp_path):
    import pyarrow as pa

    vm, _, folder = votes_dataset
    for part, row in (("part.2.parquet", 55), ("part.1.parquet", 1234)):  # rows 2355 and 2234 of the dataset
        t = pq.read_table(folder / part)
        col = t.column("lf3").to_numpy().copy()
        col[row] = 9
        pq.write_table(t.set_column(t.schema.get_field_index("lf3"), "lf3", pa.array(col)), folder / part)
    with pytest.raises(InputError, match=r"row 2234, LF 'lf3': vote 9 is outside -1..2"):
        fit_file(folder, tmp_path / "l", "hybrid", engine="dask", client=client, partition_rows=500)
    assert not (tmp_path / "l").exists()


def test_fit_file_and_predict_file_python_api(client, votes_dataset, tmp_path):
    vm, file, folder = votes_dataset
    res = fit_file(folder, tmp_path / "d", "triplet", engine="dask", client=client, partition_rows=1000)
    assert res.mode == "dask" and res.rows == vm.n_rows and res.partitions == 4
    np.testing.assert_allclose(res.coverage, np.bincount(vm.indices, minlength=vm.n_lfs) / vm.n_rows)
    out = predict_file(res.model, file, tmp_path / "p", engine="dask", client=client)
    assert out["rows"] == vm.n_rows
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "d"), pd.read_parquet(tmp_path / "p"))
