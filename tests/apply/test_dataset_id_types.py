"""A Parquet dataset whose files give an id column integer types of several widths (pandas writes
int64, other writers int32), or whose first file's ids are all null (Arrow's null type): the votes
get one type that holds every file's ids. The first file's type was the votes', so a later file's
``2**40`` was refused ("holds int32 values before row 2 but int64 ... e.g. all text"; on Dask
"changes type from int32 to int64 at row 0", naming neither the file nor the dataset's row), and so
was any id after a first file of nulls."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import GOOD_BAD_LFS
from weaklabel import apply_file
from weaklabel.errors import InputError
from weaklabel.io import TableSource

BIG = 2**40


def _dataset(folder, first: pa.Array, second: pa.Array):
    folder.mkdir()
    pq.write_table(pa.table({"id": first, "text": ["good", "bad"]}), folder / "part.0.parquet")
    pq.write_table(pa.table({"id": second, "text": ["good bad", "x"]}), folder / "part.1.parquet")
    return folder


CASES = {
    "int32 then int64": (pa.array([1, 2], pa.int32()), pa.array([3, BIG], pa.int64()), pa.int64(), [1, 2, 3, BIG]),
    "uint8 then int32": (pa.array([1, 2], pa.uint8()), pa.array([-3, 4], pa.int32()), pa.int32(), [1, 2, -3, 4]),
    "nulls then int64": (pa.nulls(2), pa.array([3, BIG], pa.int64()), pa.int64(), [None, None, 3, BIG]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_dataset_gets_one_id_type_holding_every_file(tmp_path, case):
    first, second, want_type, want = CASES[case]
    data = _dataset(tmp_path / "data", first, second)
    (tmp_path / "lfs.py").write_text(GOOD_BAD_LFS)
    for b in (1, 1000):
        apply_file(tmp_path / "lfs.py", data, tmp_path / "v.parquet", jobs=1, batch_size=b, id_cols="id", force=True)
        t = pq.read_table(tmp_path / "v.parquet")
        assert t.schema.field("id").type == want_type and t.column("id").to_pylist() == want
        assert t.column("good").to_pylist() == [1, -1, 1, -1]
    assert TableSource(data).id_schema(["id"]).field("id").type == want_type   # what the Dask runner writes


def test_ids_of_other_kinds_are_still_refused_naming_the_file(tmp_path):
    data = _dataset(tmp_path / "data", pa.nulls(2), pa.array(["a", "b"]))
    third = data / "part.2.parquet"
    pq.write_table(pa.table({"id": pa.array([5, 6]), "text": ["a", "b"]}), third)
    (tmp_path / "lfs.py").write_text(GOOD_BAD_LFS)
    with pytest.raises(InputError, match=r"part.2.parquet: id column 'id' is int64 in this file but string in "
                                         r".*part.1.parquet"):
        apply_file(tmp_path / "lfs.py", data, tmp_path / "v.parquet", jobs=1, id_cols="id")


def test_dask_gives_the_local_engine_s_id_type(tmp_path, client):
    pytest.importorskip("dask.dataframe")
    data = _dataset(tmp_path / "data", *CASES["int32 then int64"][:2])
    (tmp_path / "lfs.py").write_text(GOOD_BAD_LFS)
    apply_file(tmp_path / "lfs.py", data, tmp_path / "local.parquet", jobs=1, id_cols="id")
    apply_file(tmp_path / "lfs.py", data, tmp_path / "dask", engine="dask", client=client, batch_size=1,
               partition_rows=1, id_cols="id")
    local, dask = pq.read_table(tmp_path / "local.parquet"), pq.read_table(tmp_path / "dask")
    assert dask.schema.field("id").type == pa.int64() and dask.column("id").to_pylist() == [1, 2, 3, BIG]
    assert dask.select(local.column_names).equals(local.select(local.column_names))
