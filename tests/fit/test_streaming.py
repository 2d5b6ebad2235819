"""Streaming fits (``--stream``): the votes re-read in row blocks on every pass give the
in-memory fit's parameters and labels, in bounded memory."""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.io import read_metadata
from weaklabel.fit.labels import write_model_labels
from weaklabel.models import MODELS, make_model
from weaklabel.fit.streaming import StreamingVoteStats, write_labels_stream
from weaklabel.votes.reader import VotesSource

RTOL = 1e-9


def assert_same_learned(a: dict, b: dict, path: str = "learned") -> None:
    """Learned state equal up to floating-point summation order (exact for ints, bools, names)."""
    assert type(a) is type(b), path
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        if "__array__" in a:
            x, y = np.asarray(a["__array__"]), np.asarray(b["__array__"])
            assert a["dtype"] == b["dtype"] and x.shape == y.shape, path
            if x.dtype.kind == "f":
                np.testing.assert_allclose(x, y, rtol=RTOL, atol=1e-12, err_msg=path)
            else:
                np.testing.assert_array_equal(x, y, err_msg=path)
        else:
            for k in a:
                assert_same_learned(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_learned(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=RTOL, abs=1e-12), (path, a, b)
    else:
        assert a == b, (path, a, b)


@pytest.mark.parametrize("name", list(MODELS))
def test_streaming_fit_equals_in_memory(votes_dataset, name):
    vm, file, folder = votes_dataset
    ref = make_model(name).fit(vm)
    # a folder of 3 files in blocks of 700 rows (blocks never span files); the single file in one block
    for src, rows in ((folder, 700), (file, 1 << 20)) if name == "ds" else ((folder, 700),):
        stats = StreamingVoteStats(src, block_rows=rows)
        got = make_model(name).fit(stats)
        assert_same_learned(ref.to_dict()["learned"], got.to_dict()["learned"])
        assert stats.passes >= 1


def test_streaming_share_and_dependency_stats_equal_in_memory(votes_dataset):
    """The hybrid model's extra statistics add up over blocks, the row sample included: every
    ``step``-th row of the whole matrix, whichever block it falls in."""
    from weaklabel.models.stats import LocalVoteStats

    vm, _, folder = votes_dataset
    local, stats = LocalVoteStats(vm), StreamingVoteStats(folder, block_rows=700)
    for got, ref in zip(stats.share_stats(), local.share_stats()):
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    K = vm.cardinality
    D = np.random.default_rng(1).normal(size=(vm.n_lfs, K, K))
    sources = np.arange(vm.n_lfs) % 2 == 0
    for max_rows in (None, 451):
        got = stats.error_pair_stats(D, np.zeros(K), sources, max_rows=max_rows)
        ref = local.error_pair_stats(D, np.zeros(K), sources, max_rows=max_rows)
        np.testing.assert_array_equal(got[1], ref[1])
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-10, atol=1e-12)
        assert ref[1].sum() > 0
    full = local.error_pair_stats(D, np.zeros(K), sources)[1].sum()
    assert local.error_pair_stats(D, np.zeros(K), sources, max_rows=451)[1].sum() < full / 4


def test_streaming_labels_equal_in_memory_row_for_row(votes_dataset, tmp_path):
    vm, file, folder = votes_dataset
    src = VotesSource(folder)
    for name, params, ties, fill in [("majority", {}, None, "none"), ("majority", {"ties": "uniform"}, None, "prior"),
                                     ("majority", {"ties": "abstain"}, None, "none"), ("hybrid", {}, None, "none"),
                                     ("ds", {}, "abstain", "prior"), ("triplet", {}, None, "none")]:
        model = make_model(name, **params).fit(vm)
        write_model_labels(model, vm, tmp_path / "a.parquet", fill_unlabeled=fill, ties=ties, force=True)
        res = write_labels_stream(model, src, tmp_path / "b.parquet", fill_unlabeled=fill, ties=ties, force=True,
                                  block_rows=333)
        a, b = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
        pd.testing.assert_frame_equal(a, b)
        assert read_metadata(tmp_path / "a.parquet") == read_metadata(tmp_path / "b.parquet")
        assert res["labelled"] == int((a["label"] >= 0).sum()) and res["rows"] == vm.n_rows
    # the random tie-breaks really were exercised: the rows with one vote for each of two classes
    mv = make_model("majority").fit(vm)
    assert mv.proba_draws(vm) >= 20


def test_cli_fit_and_predict_stream_equal_memory(votes_dataset, tmp_path):
    vm, file, folder = votes_dataset
    runner = CliRunner()
    mem = runner.invoke(app, ["fit", str(file), "-o", str(tmp_path / "m.parquet"), "--model", "ds",
                              "--save-model", str(tmp_path / "m.json"), "--json", "--no-stream"])
    st = runner.invoke(app, ["fit", str(folder), "-o", str(tmp_path / "s.parquet"), "--model", "ds",
                             "--save-model", str(tmp_path / "s.json"), "--json", "--stream", "--batch-size", "500"])
    assert mem.exit_code == 0, mem.output
    assert st.exit_code == 0, st.output
    a, b = json.loads(mem.stdout), json.loads(st.stdout)
    assert b["stream"] is True and b["passes"] > 2 and b["rows"] == a["rows"] == vm.n_rows
    assert b["n_iter"] == a["n_iter"] and b["labelled_rows"] == a["labelled_rows"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "m.parquet"), pd.read_parquet(tmp_path / "s.parquet"))
    assert_same_learned(json.loads((tmp_path / "m.json").read_text())["learned"],
                        json.loads((tmp_path / "s.json").read_text())["learned"])
    r = runner.invoke(app, ["predict", str(tmp_path / "m.json"), str(folder), "-o", str(tmp_path / "p.parquet"),
                            "--stream", "--json"])
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "m.parquet"), pd.read_parquet(tmp_path / "p.parquet"))


def test_predict_reads_the_models_lfs_by_name(votes_dataset, tmp_path):
    vm, file, _ = votes_dataset
    sub = vm.select_lfs(["lf5", "lf2", "lf6"])
    sub.row_ids, sub.classes = vm.row_ids, vm.classes
    model = make_model("onecoin").fit(sub)
    write_model_labels(model, sub, tmp_path / "a.parquet")
    src = VotesSource(file, lf_names=model.lf_names_)
    write_labels_stream(model, src, tmp_path / "b.parquet", block_rows=1000)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet"))


def test_auto_streams_when_memory_is_short(votes_dataset, tmp_path, monkeypatch):
    _, file, _ = votes_dataset
    import weaklabel.votes.reader as reader

    monkeypatch.setattr(reader, "available_memory", lambda: 1 << 20)
    r = CliRunner().invoke(app, ["fit", str(file), "-o", str(tmp_path / "l.parquet"), "--model", "majority"])
    assert r.exit_code == 0, r.output
    assert "streaming" in r.output and "--no-stream" in r.output
    r = CliRunner().invoke(app, ["fit", str(file), "-o", str(tmp_path / "j.parquet"), "--json"])
    assert json.loads(r.stdout)["stream"] is True
    monkeypatch.setattr(reader, "available_memory", lambda: 1 << 40)
    r = CliRunner().invoke(app, ["fit", str(file), "-o", str(tmp_path / "k.parquet"), "--json"])
    assert json.loads(r.stdout)["stream"] is False


def test_memory_estimate_and_nnz(votes_dataset):
    vm, file, folder = votes_dataset
    src = VotesSource(folder)
    assert src.nnz_estimate() == (vm.nnz, "metadata")
    np.testing.assert_array_equal(src.metadata_counts(), vm.lf_class_counts())
    plain = VotesSource(file, lf_names=["lf3", "lf4"])
    assert plain.n_lfs == 2 and plain.id_columns == ["doc"]
    est = src.memory_estimate()
    assert est > 2 * (8 * vm.n_rows + 5 * vm.nnz)


def test_streaming_memory_is_bounded(tmp_path):
    # 400,000 rows x 12 LFs: the in-memory vote matrix is ~20 MB; a streaming pass over blocks of
    # 20,000 rows must stay far below it (numpy allocations, traced)
    rng = np.random.default_rng(1)
    n, m = 400_000, 12
    L = rng.integers(0, 2, size=(n, m), dtype=np.int8)
    L[rng.random((n, m)) < 0.5] = -1
    vm = VoteMatrix.from_dense(L, cardinality=2)
    vm.to_parquet(tmp_path / "v.parquet")
    full = vm.indptr.nbytes + vm.indices.nbytes + vm.votes.nbytes
    del vm, L
    stats = StreamingVoteStats(tmp_path / "v.parquet", block_rows=20_000)
    stats.lf_counts()  # compile and warm up outside the measurement
    tracemalloc.start()
    try:
        stats.em_stats(np.zeros((m, 2, 2)), np.zeros(2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < full / 4, (peak, full)


def test_streaming_errors_are_one_line(votes_dataset, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    vm, file, _ = votes_dataset
    table = pq.read_table(file)
    col = table.column("lf4").to_numpy().copy()
    col[2345] = 7
    bad = tmp_path / "bad.parquet"
    meta = {b"weaklabel": pq.read_metadata(file).metadata[b"weaklabel"]}  # keep the metadata (cardinality 3)
    pq.write_table(table.set_column(table.schema.get_field_index("lf4"), "lf4", pa.array(col))
                   .replace_schema_metadata(meta), bad, row_group_size=500)
    with pytest.raises(InputError, match=r"row 2345, LF 'lf4': vote 7 is outside -1..2"):
        make_model("hybrid").fit(StreamingVoteStats(bad, block_rows=1000))
    nulls = pa.array([None if i == 17 else int(v) for i, v in enumerate(table.column("lf2").to_numpy())],
                     type=pa.int8())
    pq.write_table(table.set_column(table.schema.get_field_index("lf2"), "lf2", nulls).replace_schema_metadata(meta),
                   tmp_path / "null.parquet")
    with pytest.raises(InputError, match=r"'lf2' has a missing value at row 17"):
        StreamingVoteStats(tmp_path / "null.parquet").n_uncovered()
    y = -np.ones(vm.n_rows, dtype=np.int64)
    y[3] = 1
    with pytest.raises(InputError, match="gold labels"):
        make_model("ds").fit(StreamingVoteStats(file), y)
    r = CliRunner().invoke(app, ["fit", str(file), "-o", str(tmp_path / "x.parquet"), "--stream", "--dev", str(file)])
    assert r.exit_code == 1 and "--dev needs the votes in memory" in r.output
    r = CliRunner().invoke(app, ["fit", str(bad), "-o", str(tmp_path / "x.parquet"), "--stream"])
    assert r.exit_code == 1 and "vote 7 is outside" in r.output and not (tmp_path / "x.parquet").exists()
    assert not list(tmp_path.glob(".x.parquet*"))  # atomic: nothing left behind


def test_plain_parquet_without_metadata(tmp_path):
    # plain integer columns: K from the row-group statistics, the id column inferred
    rng = np.random.default_rng(2)
    L = rng.integers(-1, 4, size=(900, 5))
    df = pd.DataFrame(L, columns=[f"c{j}" for j in range(5)])
    df.insert(0, "id", [f"r{i}" for i in range(900)])
    df.to_parquet(tmp_path / "plain.parquet", row_group_size=250)
    src = VotesSource(tmp_path / "plain.parquet")
    vm = VoteMatrix.read_parquet(tmp_path / "plain.parquet")
    assert src.cardinality == vm.cardinality == 4 and src.id_columns == ["id"]
    a = make_model("onecoin").fit(vm)
    b = make_model("onecoin").fit(StreamingVoteStats(src, block_rows=100))
    assert_same_learned(a.to_dict()["learned"], b.to_dict()["learned"])
