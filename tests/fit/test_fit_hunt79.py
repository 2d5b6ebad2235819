"""``weaklabel fit`` / ``predict`` on awkward but realistic inputs (helper 79): outputs that are
inputs, failed runs that must leave nothing behind, ids and rows that must not be lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from conftest import one_line_error
from weaklabel.cli import app


def run(*args, **kw):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"}, **kw)


def plain_votes(path, n=200, m=4, seed=0, ids=True, **write):
    """A plain votes file (no weaklabel metadata) of ``m`` LFs on two classes, ids ``doc_id``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    on = rng.random((n, m)) < 0.6
    L = np.where(on, np.where(rng.random((n, m)) < 0.8, y[:, None], 1 - y[:, None]), -1).astype(np.int8)
    cols = {"doc_id": np.arange(n)} if ids else {}
    cols.update({f"lf{j}": L[:, j] for j in range(m)})
    pq.write_table(pa.table(cols), path, **write)
    return L


def test_keep_cols_refuses_to_overwrite_the_data_file_found_from_the_votes(tmp_path, monkeypatch):
    """``--keep-cols`` without ``--data`` reads the data file the votes record (beside them or in
    the working directory); ``-o`` naming that file with ``--force`` replaced the user's data with
    the labels (exit 0), as ``-o votes.parquet`` is refused."""
    from weaklabel.apply import apply_file
    from weaklabel import labeling_function

    @labeling_function()
    def has_a(x):
        return 1 if "a" in x.text else -1

    @labeling_function()
    def has_b(x):
        return 0 if "b" in x.text else -1

    data = tmp_path / "reviews.parquet"
    pd.DataFrame({"id": range(40), "text": ["ab", "a", "b", "c"] * 10}).to_parquet(data)
    apply_file([has_a, has_b], data, tmp_path / "votes.parquet", id_cols=["id"], jobs=1)
    before = data.read_bytes()
    monkeypatch.chdir(tmp_path)
    r = run("fit", "votes.parquet", "-o", "reviews.parquet", "--keep-cols", "text", "--force", "-m", "majority")
    assert "is an input of this command" in one_line_error(r)
    assert data.read_bytes() == before


def decimal_votes(path, n=300):
    """Votes whose ids are ``decimal128(38, 0)`` (a SQL ``NUMERIC`` export): 0 .. n-1."""
    import decimal

    L = plain_votes(path, n=n)
    ids = pa.array([decimal.Decimal(i) for i in range(n)], pa.decimal128(38, 0))
    pq.write_table(pa.table({"doc_id": ids, **{f"lf{j}": L[:, j] for j in range(L.shape[1])}}), path)


def test_decimal_ids_keep_their_type_on_every_engine(tmp_path, client):
    """Decimal ids went through pandas as Python ``Decimal``s, their Arrow type inferred per block:
    in memory the labels' ids became ``decimal128(3, 0)``, ``--stream`` failed where the ids gained
    a digit ("row-id columns change type at row 64") and ``--engine dask`` wrote part files of
    different types."""
    from weaklabel.fit import fit_file, predict_file

    votes = tmp_path / "votes.parquet"
    decimal_votes(votes)
    want = pa.decimal128(38, 0)
    fit_file(votes, tmp_path / "mem.parquet", "majority", save_model=tmp_path / "m.json")
    fit_file(votes, tmp_path / "stream.parquet", "majority", stream=True, block_rows=64)
    fit_file(votes, tmp_path / "dask", "majority", engine="dask", client=client, partition_rows=64)
    predict_file(tmp_path / "m.json", votes, tmp_path / "pred.parquet", stream=False)
    predict_file(tmp_path / "m.json", votes, tmp_path / "pred_s.parquet", stream=True, block_rows=10)
    mem = pq.read_table(tmp_path / "mem.parquet")
    assert mem.schema.field("doc_id").type == want
    assert mem.column("doc_id").equals(pq.read_table(votes).column("doc_id"))
    assert pq.read_table(tmp_path / "stream.parquet").equals(mem)
    for part in sorted((tmp_path / "dask").glob("part.*.parquet")):
        assert pq.read_schema(part).field("doc_id").type == want
    cols = ["doc_id", "prob_0", "prob_1", "label"]
    assert pq.read_table(tmp_path / "dask").select(cols).equals(mem.select(cols))
    for name in ("pred.parquet", "pred_s.parquet"):
        assert pq.read_table(tmp_path / name).select(cols).equals(mem.select(cols))


def two_file_votes(folder, second_ids):
    """A votes folder of two plain files: ids ``int32`` 0..49, then ``second_ids`` (50 rows)."""
    folder.mkdir()
    rng = np.random.default_rng(3)
    for name, ids in (("a.parquet", pa.array(np.arange(50), pa.int32())), ("b.parquet", second_ids)):
        votes = {f"lf{j}": pa.array(rng.integers(-1, 2, 50).astype(np.int8)) for j in range(3)}
        pq.write_table(pa.table({"doc_id": ids, **votes}), folder / name)


def test_a_dataset_of_int32_and_int64_ids_is_labelled_with_the_widest_type(tmp_path, client):
    """Files of ``int32`` and ``int64`` ids (one dataset, ids take the widest type): ``--stream``
    stopped at the second file ("row-id columns change type at row 50") and ``--engine dask`` wrote
    part files of both types under an ``int32`` ``_common_metadata``, exit 0, that no reader could
    read back ("Integer value 1099511627826 not in range")."""
    from weaklabel.fit import fit_file

    votes = tmp_path / "votes"
    two_file_votes(votes, pa.array(np.arange(50) + 2**40, pa.int64()))
    fit_file(votes, tmp_path / "mem.parquet", "majority")
    fit_file(votes, tmp_path / "stream.parquet", "majority", stream=True, block_rows=30)
    fit_file(votes, tmp_path / "dask", "majority", engine="dask", client=client, partition_rows=30)
    mem = pq.read_table(tmp_path / "mem.parquet")
    assert mem.schema.field("doc_id").type == pa.int64()
    assert mem.column("doc_id").to_pylist() == list(range(50)) + [i + 2**40 for i in range(50)]
    assert pq.read_table(tmp_path / "stream.parquet").equals(mem)
    assert pq.read_schema(tmp_path / "dask" / "_common_metadata").field("doc_id").type == pa.int64()
    cols = ["doc_id", "prob_0", "prob_1", "label"]
    assert pq.read_table(tmp_path / "dask").select(cols).equals(mem.select(cols))


def test_a_dataset_of_int_and_text_ids_is_one_line(tmp_path):
    """Integer ids in one file and text in the next: a ``ValueError`` traceback (``int('s9')``, from
    the row-group statistics) on every engine; now one line naming the file and column."""
    votes = tmp_path / "votes"
    two_file_votes(votes, pa.array([f"s{i}" for i in range(50)]))
    for extra in ([], ["--stream"]):
        r = run("fit", votes, "-o", tmp_path / "labels.parquet", "-m", "majority", *extra)
        line = one_line_error(r)
        assert "b.parquet" in line and "'doc_id'" in line, line
        assert not (tmp_path / "labels.parquet").exists()


def test_fitting_a_votes_file_without_rows_names_the_file(tmp_path):
    """"cannot fit a label model on an empty vote matrix" did not say which file was empty."""
    votes = tmp_path / "empty.parquet"
    plain_votes(votes, n=0)
    for extra in ([], ["--stream"], ["--json"]):
        line = one_line_error(run("fit", votes, "-o", tmp_path / "labels.parquet", *extra))
        assert "empty.parquet: has no rows" in line, line
    assert not (tmp_path / "labels.parquet").exists()


def test_an_output_that_is_a_fifo_or_a_link_to_a_descriptor_is_refused(tmp_path):
    """Outputs are renamed into place: ``fit -o /dev/null --force`` replaced the null device with a
    regular Parquet file and ``-o /dev/stdout`` the link (exit 0). A FIFO and a link into
    ``/proc/self/fd`` stand in for them here (a device needs root to make)."""
    import os

    votes = tmp_path / "votes.parquet"
    plain_votes(votes)
    fifo, link = tmp_path / "pipe", tmp_path / "out"
    os.mkfifo(fifo)
    link.symlink_to("/proc/self/fd/1")
    r = run("fit", votes, "-o", tmp_path / "m.parquet", "-m", "ds", "--save-model", tmp_path / "m.json")
    assert r.exit_code == 0, r.output
    for args in (["fit", votes, "-o", fifo], ["fit", votes, "-o", tmp_path / "l.parquet", "--save-model", fifo],
                 ["predict", tmp_path / "m.json", votes, "-o", fifo], ["fit", votes, "-o", link],
                 ["predict", tmp_path / "m.json", votes, "-o", link]):
        line = one_line_error(run(*args, "--force", "-m" if args[0] == "fit" else "--ties", "majority"
                                  if args[0] == "fit" else "random"))
        assert "is a FIFO" in line or "file descriptor" in line, line
    assert fifo.exists() and not fifo.is_file() and link.is_symlink()
    assert os.readlink(link) == "/proc/self/fd/1"
    assert not (tmp_path / "l.parquet").exists()


def test_an_output_name_too_long_for_its_temporary_is_one_line_before_the_fit(tmp_path):
    """A name over the file system's 255 bytes was an ``OSError`` traceback ("File name too long"
    from ``Path.exists``); one of 248 bytes, legal itself, failed only after the fit, when its
    longer temporary could not be made."""
    votes = tmp_path / "votes.parquet"
    plain_votes(votes)
    for n in (240, 300):
        out = tmp_path / ("a" * n + ".parquet")
        line = one_line_error(run("fit", votes, "-o", out, "-m", "majority"))
        assert "file name too long" in line, line
    ok = tmp_path / ("a" * 180 + ".parquet")
    assert run("fit", votes, "-o", ok, "-m", "majority").exit_code == 0
    assert ok.is_file()


def test_a_model_file_inside_the_labels_folder_is_refused(tmp_path, client):
    """``-o labels_dask --save-model labels_dask/m.json --force`` over an existing labels folder:
    the folder is replaced as a whole at the end, so the model's temporary (made in the old folder)
    was gone: a ``FileNotFoundError`` traceback, and the temporary left in the labels folder."""
    from weaklabel.fit import fit_file

    votes = tmp_path / "votes.parquet"
    plain_votes(votes)
    labels = tmp_path / "labels_dask"
    fit_file(votes, labels, "ds", engine="dask", client=client)
    before = sorted(p.name for p in labels.iterdir())
    for extra in ([], ["--engine", "dask", "--scheduler", client.scheduler.address]):
        r = run("fit", votes, "-o", labels, "-m", "ds", "--force", "--save-model", labels / "m.json", *extra)
        assert "inside" in one_line_error(r)
    assert sorted(p.name for p in labels.iterdir()) == before


def test_an_output_named_like_a_compressed_file_is_refused(tmp_path):
    """``-o labels.csv.gz`` (only the last suffix was checked) wrote a Parquet file under a name that
    ``pandas.read_csv`` and ``gunzip`` then fail on; exit 0."""
    votes = tmp_path / "votes.parquet"
    plain_votes(votes)
    assert run("fit", votes, "-o", tmp_path / "m.parquet", "-m", "ds", "--save-model", tmp_path / "m.json").exit_code == 0
    for name in ("labels.csv.gz", "labels.parquet.gz", "labels.jsonl.bz2"):
        for args in (["fit", votes], ["predict", tmp_path / "m.json", votes]):
            line = one_line_error(run(*args, "-o", tmp_path / name))
            assert "name the output labels.parquet" in line, line
            assert not (tmp_path / name).exists()


def test_label_col_without_dev_is_refused(tmp_path):
    """``--label-col gold`` without ``--dev`` was ignored: a label-free fit, exit 0 (``--data``
    without ``--keep-cols`` is refused the same way)."""
    votes = tmp_path / "votes.parquet"
    plain_votes(votes)
    line = one_line_error(run("fit", votes, "-o", tmp_path / "labels.parquet", "--label-col", "gold"))
    assert "--label-col 'gold'" in line and "--dev" in line, line
    assert not (tmp_path / "labels.parquet").exists()
