"""Hunt 84: `apply` on data files as pandas, Spark and Dask write them.

* a file saved with a pandas index (``df.set_index("doc").to_parquet()``) lists ``doc`` among its
  columns, but the LFs lost it (``needs column 'doc'``) and ``--id-col doc`` failed with a
  ``KeyError`` traceback, on both engines; an unnamed saved index (``__index_level_0__``) asked
  for as ``--id-col`` did the same;
* a hive-partitioned folder (Spark's ``partitionBy("year")``: ``year=2024/part-*.parquet``):
  the partition key is no column of the files; an LF or ``--id-col`` asking for it now says so;
* ``apply_lfs`` on a DataFrame whose index holds the column asked for says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weaklabel import apply_file, apply_lfs
from weaklabel.apply.batches import lf_frame
from weaklabel.cli import app
from weaklabel.errors import InputError, MissingColumnError
from weaklabel.lf.loading import load_lfs

from conftest import one_line_error

LFS = '''
import numpy as np
CLASSES = ["a", "b"]

@labeling_function
def sees_doc(x):
    return 1 if str(x.doc).endswith("7") else 0

@labeling_function
def good(x):
    return 1 if "good" in x.text else ABSTAIN

@labeling_function(vectorized=True)
def v_doc(df):
    return np.where(df["doc"].str.endswith("3"), 1, 0)

@labeling_function(vectorized=True)
def v_sorted(df):   # a Series of a sorted copy: matched to the rows by index label
    s = df.sort_values("text")["text"]
    return (s == "good").astype(int)
'''


def _frame(n: int = 23) -> pd.DataFrame:
    return pd.DataFrame({"doc": [f"d{i}" for i in range(n)],
                         "text": ["good" if i % 3 else "bad" for i in range(n)]})


def _by_hand(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "doc": df["doc"],
        "sees_doc": [1 if d.endswith("7") else 0 for d in df["doc"]],
        "good": [1 if "good" in t else -1 for t in df["text"]],
        "v_doc": [1 if d.endswith("3") else 0 for d in df["doc"]],
        "v_sorted": [1 if t == "good" else 0 for t in df["text"]],
    }).reset_index(drop=True)


def _votes(path) -> pd.DataFrame:
    return pd.read_parquet(path).reset_index(drop=True)


@pytest.mark.parametrize("jobs,batch", [(1, 100), (2, 100), (1, 5)])
def test_saved_named_index_reaches_lfs_and_ids(tmp_path, write_lfs, jobs, batch):
    df = _frame()
    data = tmp_path / "setidx.parquet"
    df.set_index("doc").to_parquet(data)
    out = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, out, jobs=jobs, batch_size=batch, id_cols="doc")
    pd.testing.assert_frame_equal(_votes(out), _by_hand(df), check_dtype=False)


def test_saved_named_index_cli_one_line_before_was_traceback(tmp_path, write_lfs):
    data = tmp_path / "setidx.parquet"
    _frame().set_index("doc").to_parquet(data)
    out = tmp_path / "votes.parquet"
    r = CliRunner().invoke(app, ["apply", str(write_lfs(LFS)), str(data), "-o", str(out), "--id-col", "doc",
                                 "--jobs", "1", "-q"])
    assert r.exit_code == 0, r.output
    assert _votes(out)["doc"].tolist() == [f"d{i}" for i in range(23)]


def test_unnamed_saved_index_as_id_col(tmp_path, write_lfs):
    df = _frame()
    kept = df[df["text"] == "good"]          # a filtered frame saves its index: __index_level_0__
    data = tmp_path / "filtered.parquet"
    kept.to_parquet(data)
    assert "__index_level_0__" in pq.read_schema(data).names
    out = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, out, jobs=1, batch_size=4, id_cols="__index_level_0__")
    got = _votes(out)
    assert got["__index_level_0__"].tolist() == kept.index.tolist()
    assert got["sees_doc"].tolist() == _by_hand(kept)["sees_doc"].tolist()


def test_lf_frame_keeps_file_order_and_drops_unnamed_index():
    df = _frame(4).set_index("doc")
    got = lf_frame(df, ["text", "doc"])
    assert list(got.columns) == ["text", "doc"] and got.index.equals(pd.RangeIndex(4))
    unnamed = _frame(4).iloc[[3, 1]]
    got = lf_frame(unnamed, ["doc", "text", "__index_level_0__"])
    assert list(got.columns) == ["doc", "text"] and got.index.equals(pd.RangeIndex(2))


def test_saved_index_dask_equals_local(tmp_path, write_lfs, client):
    df = _frame()
    data = tmp_path / "setidx.parquet"
    df.set_index("doc").to_parquet(data, row_group_size=6)
    lfs = write_lfs(LFS)
    apply_file(lfs, data, tmp_path / "local.parquet", jobs=1, batch_size=4, id_cols="doc")
    apply_file(lfs, data, tmp_path / "dask", engine="dask", client=client, batch_size=4, partition_rows=8,
               id_cols="doc")
    pd.testing.assert_frame_equal(_votes(tmp_path / "dask"), _votes(tmp_path / "local.parquet"))
    pd.testing.assert_frame_equal(_votes(tmp_path / "local.parquet"), _by_hand(df), check_dtype=False)


def _spark_folder(root):
    for year in (2023, 2024):
        (root / f"year={year}").mkdir(parents=True)
        pq.write_table(pa.table({"doc": [f"{year}-{i}" for i in range(3)], "text": ["good", "bad", "good"]}),
                       root / f"year={year}" / "part-00000-abc-c000.snappy.parquet", compression="snappy")
    (root / "_SUCCESS").write_text("")
    return root


def test_partition_column_lf_names_the_partition_folder(tmp_path, write_lfs):
    data = _spark_folder(tmp_path / "spark")
    lfs = write_lfs(LFS + "\n@labeling_function\ndef recent(x):\n    return 1 if int(x.year) == 2024 else 0\n")
    out = tmp_path / "votes.parquet"
    with pytest.raises(MissingColumnError, match=r"needs column 'year'.*'year' is a partition folder name"):
        apply_file(lfs, data, out, jobs=1, id_cols="doc")
    assert not out.exists()
    r = CliRunner().invoke(app, ["apply", str(lfs), str(data), "-o", str(out), "--jobs", "1", "-q"])
    assert "partition folder name (year=...)" in one_line_error(r)
    assert not out.exists()


def test_partition_column_as_id_col_names_the_partition_folder(tmp_path, write_lfs):
    data = _spark_folder(tmp_path / "spark")
    with pytest.raises(InputError, match=r"no id column 'year'.*partition folder name"):
        apply_file(write_lfs(LFS), data, tmp_path / "votes.parquet", jobs=1, id_cols="year")


def test_spark_folder_without_partition_lfs_runs(tmp_path, write_lfs):
    data = _spark_folder(tmp_path / "spark")
    out = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, out, jobs=1, batch_size=2, id_cols="doc")
    assert _votes(out)["doc"].tolist() == [f"{y}-{i}" for y in (2023, 2024) for i in range(3)]


def test_apply_lfs_index_hint(write_lfs):
    lfs = load_lfs(write_lfs(LFS)).lfs
    data = _frame(5).set_index("doc")
    with pytest.raises(InputError, match=r"no id column 'doc'.*'doc' is the DataFrame's index.*reset_index"):
        apply_lfs(data, lfs, id_cols="doc")
    with pytest.raises(MissingColumnError, match=r"'doc' is the DataFrame's index"):
        apply_lfs(data, lfs)
    vm = apply_lfs(data.reset_index(), lfs, id_cols="doc")
    assert np.asarray(vm.row_ids["doc"]).tolist() == [f"d{i}" for i in range(5)]


NUM_LFS = '''
CLASSES = ["a", "b"]

@labeling_function(vectorized=True)
def v_by_num(df):   # indexed by num's values, not by the batch's rows
    return df.set_index("num")["text"].eq("good").astype(int)
'''


@pytest.mark.parametrize("batch", [100, 4])
def test_series_indexed_by_a_column_is_refused_in_every_batch_size(tmp_path, write_lfs, batch):
    # num is a permutation of 0..n-1: with one batch its values matched the batch's row labels and
    # the votes went to the wrong rows silently; with batches of 4 the same LF was refused
    n = 12
    num = np.random.default_rng(1).permutation(n)
    data = tmp_path / "num.parquet"
    pd.DataFrame({"num": num, "text": ["good" if i % 3 == 0 else "bad" for i in range(n)]}).to_parquet(data)
    out = tmp_path / "votes.parquet"
    with pytest.raises(Exception, match=r"v_by_num' on num.parquet returned a pandas Series indexed by 'num'"):
        apply_file(write_lfs(NUM_LFS), data, out, jobs=1, batch_size=batch)
    assert not out.exists()


def test_series_of_sorted_copy_still_matched_by_label(write_lfs):
    lfs = load_lfs(write_lfs(LFS)).lfs
    df = _frame(9)
    got = apply_lfs(df, lfs, batch_size=4).to_dense()
    assert got[:, 3].tolist() == _by_hand(df)["v_sorted"].tolist()


def test_range_saved_index_names_itself(tmp_path, write_lfs):
    # df.set_index("num") of num = 0..n-1: pandas keeps it as a range in the metadata, no column
    df = _frame(6).assign(num=range(6)).set_index("num")
    data = tmp_path / "intidx.parquet"
    df.to_parquet(data)
    assert "num" not in pq.read_schema(data).names
    lfs = write_lfs('CLASSES = ["a", "b"]\n@labeling_function\ndef odd(x):\n    return x.num % 2\n')
    with pytest.raises(InputError, match=r"no id column 'num'.*saved pandas index.*as a range"):
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, id_cols="num")
    with pytest.raises(MissingColumnError, match=r"needs column 'num'.*saved pandas index.*index=True"):
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1)
    assert not (tmp_path / "v.parquet").exists()


TEXT_LFS = '''
CLASSES = ["a", "b"]

@labeling_function
def good(x):
    return 1 if "good" in x.text else 0
'''


@pytest.mark.parametrize("orient", [None, "records", "index", "split", "table"])
def test_pandas_to_json_document_is_refused(tmp_path, write_lfs, orient):
    # df.to_json(path) is one JSON document: read as JSON Lines it was one row of dicts, and the
    # LF voted once ('good' in a dict of the column's values) on a 1-row output, exit 0
    data = tmp_path / "data.json"
    _frame(5).to_json(data, **({"orient": orient} if orient else {}))
    out = tmp_path / "votes.parquet"
    with pytest.raises(InputError, match=r"data.json: is one JSON document.*orient='records', lines=True"):
        apply_file(write_lfs(TEXT_LFS), data, out, jobs=1)
    assert not out.exists()


def test_json_lines_with_nested_records_still_read(tmp_path, write_lfs):
    data = tmp_path / "data.jsonl"
    pd.DataFrame({"text": ["good"], "meta": [{"x": 1}], "more": [{"y": 2}]}).to_json(data, orient="records",
                                                                                       lines=True)
    _frame(3).to_json(tmp_path / "lines.json", orient="records", lines=True)
    apply_file(write_lfs(TEXT_LFS), data, tmp_path / "v.parquet", jobs=1)
    apply_file(write_lfs(TEXT_LFS), tmp_path / "lines.json", tmp_path / "w.parquet", jobs=1)
    assert _votes(tmp_path / "w.parquet")["good"].tolist() == [0, 1, 1]


def test_json_lines_with_bom_names_the_bom(tmp_path, write_lfs):
    data = tmp_path / "data.jsonl"
    data.write_bytes(b'\xef\xbb\xbf{"text": "good"}\n{"text": "bad"}\n')
    with pytest.raises(InputError, match=r"data.jsonl: .*UTF-8 byte-order mark \(BOM\)"):
        apply_file(write_lfs(TEXT_LFS), data, tmp_path / "v.parquet", jobs=1)


def test_glob_input_named_by_its_pattern(tmp_path, write_lfs):
    _spark_folder(tmp_path / "spark")
    lfs = write_lfs(LFS + "\n@labeling_function\ndef recent(x):\n    return 1 if int(x.year) == 2024 else 0\n")
    with pytest.raises(MissingColumnError, match=r"which \S*spark/year=\*/\*\.parquet does not have"):
        apply_file(lfs, str(tmp_path / "spark" / "year=*" / "*.parquet"), tmp_path / "v.parquet", jobs=1)


def test_missing_column_message_same_on_both_engines_for_dask_written_folder(tmp_path, write_lfs, client):
    dd = pytest.importorskip("dask.dataframe")
    data = tmp_path / "dask_out"
    dd.from_pandas(_frame(), npartitions=3).to_parquet(data)    # parts keep __null_dask_index__
    lfs = write_lfs('CLASSES = ["a", "b"]\n@labeling_function\ndef lab(x):\n    return x.label\n')
    messages = []
    for kw in ({"jobs": 1}, {"engine": "dask", "client": client}):
        with pytest.raises(MissingColumnError) as info:
            apply_file(lfs, data, tmp_path / "v", **kw)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "(columns: 'doc', 'text')" in messages[0]


NAME_LFS = '''
CLASSES = ["a", "b"]

@labeling_function
def by_name(x):   # pandas' df.apply(f, axis=1): x.name is the index label
    return 1 if str(x.name).endswith("7") else 0
'''


def test_row_name_of_pandas_apply_is_explained(tmp_path, write_lfs):
    data = tmp_path / "setidx.parquet"
    _frame().set_index("doc").to_parquet(data)
    lfs = write_lfs(NAME_LFS)
    with pytest.raises(MissingColumnError, match=r"needs column 'name'.*x.name is the row's index label"):
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1)
    with pytest.raises(MissingColumnError, match=r"x.name is the row's index label"):
        apply_lfs(_frame(3), load_lfs(lfs).lfs)
    named = _frame(3).rename(columns={"doc": "name"})     # a real column called name is read as ever
    assert apply_lfs(named, load_lfs(lfs).lfs).to_dense()[:, 0].tolist() == [0, 0, 0]


def test_glob_matching_spark_success_file_says_so(tmp_path, write_lfs):
    flat = tmp_path / "flat"
    flat.mkdir()
    pq.write_table(pa.table({"text": ["good", "bad"]}), flat / "part-00000.snappy.parquet")
    (flat / "_SUCCESS").write_text("")
    with pytest.raises(InputError, match=r"_SUCCESS: not a readable Parquet file.*a glob reads every file it matches "
                                         r"\(here \S*_SUCCESS too\).*pass the folder"):
        apply_file(write_lfs(TEXT_LFS), str(flat / "*"), tmp_path / "v.parquet", jobs=1)
    apply_file(write_lfs(TEXT_LFS), flat, tmp_path / "v.parquet", jobs=1)   # the folder skips it
    assert _votes(tmp_path / "v.parquet")["good"].tolist() == [1, 0]
