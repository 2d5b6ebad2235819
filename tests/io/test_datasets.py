"""Multi-file Parquet inputs (folders, globs) and votes datasets (a folder of part files), no Dask needed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from weaklabel import LabelingFunction, VoteMatrix, apply_file
from weaklabel.errors import InputError
from weaklabel.io import (TableSource, VotesDataset, VotesWriter, ids_table, parquet_files, part_name,
                          read_metadata, votes_schema, write_dataset_metadata)
from weaklabel.lf import ABSTAIN


def _frame(n, start=0):
    return pd.DataFrame({"id": np.arange(start, start + n), "x": np.linspace(-2, 2, n) + start})


def test_folder_and_glob_are_read_in_natural_order(tmp_path):
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    _frame(3, 0).to_parquet(folder / "part.2.parquet")
    _frame(4, 100).to_parquet(folder / "part.10.parquet")
    _frame(2, 200).to_parquet(folder / "sub" / "part.0.parquet")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part.3.parquet.crc").write_text("x")
    names = [p.relative_to(folder).as_posix() for p in parquet_files(folder)]
    assert names == ["part.2.parquet", "part.10.parquet", "sub/part.0.parquet"]
    src = TableSource(folder)
    assert src.n_rows == 9 and src.file_rows == [3, 4, 2]
    ids = pd.concat(src.iter_batches(2))["id"].tolist()
    assert ids == [0, 1, 2, 100, 101, 102, 103, 200, 201]
    glob = TableSource(str(folder / "part.*.parquet"))
    assert [p.name for p in glob.files] == ["part.2.parquet", "part.10.parquet"] and glob.n_rows == 7
    assert glob.fingerprint()["name"] == str(folder / "part.*.parquet")
    with pytest.raises(InputError, match="no files match this pattern"):
        TableSource(str(folder / "nothing-*.parquet"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="folder has no Parquet files"):
        TableSource(tmp_path / "empty")
    pd.DataFrame({"other": [1]}).to_parquet(folder / "part.11.parquet")
    with pytest.raises(InputError, match=r"part.11.parquet: has columns \['other'\]"):
        TableSource(folder)


def test_apply_reads_a_glob(tmp_path):
    for k in range(3):
        _frame(50, 1000 * k).to_parquet(tmp_path / f"in-{k}.parquet")
    lf = LabelingFunction("pos", lambda x: 1 if x.x > 0 else ABSTAIN)
    s = apply_file([lf], str(tmp_path / "in-*.parquet"), tmp_path / "votes.parquet", jobs=1, id_cols=["id"],
                   cardinality=2)
    assert s.rows == 150
    assert pd.read_parquet(tmp_path / "votes.parquet")["id"].tolist()[48:52] == [48, 49, 1000, 1001]


def _split_into_dataset(votes_file, folder, sizes):
    """Rewrite a votes file as a votes dataset (parts + _common_metadata), as the Dask engine does."""
    table = pq.read_table(votes_file)
    meta = read_metadata(votes_file)
    folder.mkdir()
    offset, parts = 0, []
    id_schema = pa.schema([table.schema.field(c) for c in meta["id_columns"]])
    lf_names = [d["name"] for d in meta["lfs"]]
    for i, n in enumerate(sizes):
        chunk = table.slice(offset, n)
        w = VotesWriter(folder / part_name(i, len(sizes)), id_schema, lf_names, meta["cardinality"])
        for start in range(0, n, 7):  # several row groups per part
            sub = chunk.slice(start, 7)
            w.write(sub.select(meta["id_columns"]),
                    np.column_stack([sub.column(c).to_numpy() for c in lf_names]))
        w.close({"format": "weaklabel.votes", "part": {"index": i, "offset": offset, "rows": n}})
        parts.append({"file": part_name(i, len(sizes)), "offset": offset, "rows": n})
        offset += n
    write_dataset_metadata(folder, votes_schema(id_schema, lf_names, meta["cardinality"]), dict(meta, parts=parts))


def test_votes_dataset_reads_like_the_single_file(tmp_path):
    data = tmp_path / "d.parquet"
    _frame(100).to_parquet(data)
    lfs = [LabelingFunction("pos", lambda x: 1 if x.x > 0.5 else ABSTAIN),
           LabelingFunction("neg", lambda x: 0 if x.x < -0.5 else ABSTAIN)]
    single = tmp_path / "votes.parquet"
    apply_file(lfs, data, single, jobs=1, id_cols=["id"], cardinality=2)
    folder = tmp_path / "votes"
    _split_into_dataset(single, folder, [30, 45, 25])
    a, b = VoteMatrix.read_parquet(single), VoteMatrix.read_parquet(folder)
    assert a.equals(b) and a.row_ids.equals(b.row_ids) and b.classes is None and b.cardinality == 2
    assert read_metadata(folder)["parts"][1] == {"file": "part.00001.parquet", "offset": 30, "rows": 45}
    with pytest.raises(InputError, match="is one part of a votes dataset; read its folder"):
        VoteMatrix.read_parquet(folder / "part.00001.parquet")
    ds = VotesDataset(folder)
    full = pq.read_table(single)
    for start, stop in [(0, 100), (28, 31), (29, 76), (75, 76), (99, 100), (10, 10)]:
        got = ds.read(start, stop, ["id", "neg"])
        assert got.to_pydict() == full.select(["id", "neg"]).slice(start, stop - start).to_pydict()
    ds.close()


def test_force_never_deletes_a_plain_folder(tmp_path):
    data = tmp_path / "d.parquet"
    _frame(20).to_parquet(data)
    lf = LabelingFunction("pos", lambda x: 1 if x.x > 0 else ABSTAIN)
    precious = tmp_path / "results"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep")
    with pytest.raises(InputError, match="is a directory that is not a weaklabel votes dataset"):
        apply_file([lf], data, precious, jobs=1, cardinality=2, force=True)
    assert (precious / "notes.txt").read_text() == "keep"
    # a votes dataset folder may be replaced (here by a single file from the local engine)
    single = tmp_path / "v.parquet"
    apply_file([lf], data, single, jobs=1, cardinality=2)
    ds = tmp_path / "votes.parquet"
    _split_into_dataset(single, ds, [10, 10])
    with pytest.raises(InputError, match="already exists"):
        apply_file([lf], data, ds, jobs=1, cardinality=2)
    apply_file([lf], data, ds, jobs=1, cardinality=2, force=True)
    assert ds.is_file()
    assert VoteMatrix.read_parquet(ds).equals(VoteMatrix.read_parquet(single))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.parquet", "results", "v.parquet", "votes.parquet"]


def test_part_metadata_is_json(tmp_path):
    folder = tmp_path / "votes"
    folder.mkdir()
    schema = votes_schema(ids_table(None, 0, 0).schema, ["a"], 2)
    write_dataset_metadata(folder, schema, {"format": "weaklabel.votes", "x": [1, 2]})
    raw = pq.read_metadata(folder / "_common_metadata").metadata[b"weaklabel"]
    assert json.loads(raw)["x"] == [1, 2] and read_metadata(folder)["x"] == [1, 2]


@pytest.mark.parametrize("pre_buffer", [False, True])
def test_streaming_reads_do_not_accumulate(tmp_path, monkeypatch, pre_buffer):
    """Arrow memory stays at about one batch while a file is streamed (pyarrow's pre-buffer cache
    would keep every row group read so far: the case ``pre_buffer=True`` shows the test can fail)."""
    import weaklabel.io.tables as wio

    rng = np.random.default_rng(0)
    path = tmp_path / "big.parquet"
    table = pa.table({f"f{c}": rng.normal(size=200_000) for c in range(4)})
    pq.write_table(table, path, row_group_size=5_000, compression="none")
    if pre_buffer:
        monkeypatch.setattr(wio, "open_parquet", lambda p: pq.ParquetFile(p, pre_buffer=True))
    batch_bytes = 5_000 * 4 * 8
    import gc

    gc.collect()  # Arrow buffers of earlier tests' cyclic garbage would count towards the global figure
    base = pa.total_allocated_bytes()
    peak = 0
    for df in TableSource(path).iter_batches(5_000):
        peak = max(peak, pa.total_allocated_bytes() - base)
        del df
    bounded = peak < 8 * batch_bytes
    assert bounded != pre_buffer, f"peak Arrow allocation {peak / 2**20:.1f} MiB"


def test_parquet_without_a_suffix_is_recognised(tmp_path):
    data = tmp_path / "d.parquet"
    _frame(10).to_parquet(data)
    lf = LabelingFunction("pos", lambda x: 1 if x.x > 0 else ABSTAIN)
    apply_file([lf], data, tmp_path / "votes", jobs=1, cardinality=2)  # as the Dask engine names folders
    assert VoteMatrix.read_parquet(tmp_path / "votes").n_rows == 10
    (tmp_path / "notes").write_text("not parquet")
    with pytest.raises(InputError, match="unknown file type"):
        TableSource(tmp_path / "notes")
