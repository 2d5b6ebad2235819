"""What `apply` reads is what the input holds: CSV ids written ``NA``/``null`` are ids (they were
read as missing: "5 rows have no id"), an LF over the text ``NA`` sees ``"NA"``; ids that change
type between batches (JSON Lines) or files (a Parquet dataset) are one line naming the file and
the column (they were a message without either, or, text cast to numbers, silently other ids);
an empty JSON Lines file, or one starting with a blank line, is read for what it is."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weaklabel import apply_file
from conftest import one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError

LFS = '''
from weaklabel import ABSTAIN, labeling_function
CLASSES = ["neg", "pos"]

@labeling_function
def good(x):
    return 1 if "good" in x.text else ABSTAIN

@labeling_function
def literal_na(x):
    return 0 if x.text == "NA" else ABSTAIN

@labeling_function
def high(x):
    return 1 if x.score > 2 else ABSTAIN
'''
MARKER_IDS = ["NA", "null", "N/A", "None", "nan"]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)



@pytest.fixture
def lfs(tmp_path):
    p = tmp_path / "lfs.py"
    p.write_text(LFS)
    return p


def test_csv_ids_written_na_are_ids_and_lfs_see_the_text(tmp_path, lfs):
    data = tmp_path / "data.csv"
    data.write_text("id,text,score\n" + "".join(f"{i},{t},{s}\n" for i, t, s in zip(
        MARKER_IDS + ["7"], ["good", "NA", "null", "good NA", "x", "NA"], ["1", "NA", "3", "", "5", "6"])))
    votes = tmp_path / "votes.parquet"
    r = run("apply", lfs, data, "-o", votes, "--id-col", "id", "--jobs", "1", "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["null_ids"] is None and res["duplicate_ids"] is None       # "5 rows have no id" before
    t = pq.read_table(votes)
    assert t.column("id").to_pylist() == MARKER_IDS + ["7"]
    assert t.column("literal_na").to_pylist() == [-1, 0, -1, -1, -1, 0]       # the LF saw the text "NA"
    assert t.column("high").to_pylist() == [-1, -1, 1, -1, 1, 1]              # NA scores are missing
    # gold files read by the same rule: their "NA" ids match these
    (tmp_path / "gold.csv").write_text("id,label\nNA,neg\nnull,neg\n7,pos\n")
    r = run("analyze", votes, "--gold", tmp_path / "gold.csv", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["totals"]["labelled_rows"] == 3
    # and --update keeps matching them
    r = run("apply", lfs, data, "-o", votes, "--id-col", "id", "--jobs", "1", "--update", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ran"] == []


def test_json_lines_ids_changing_type_between_batches_name_file_and_column(tmp_path, lfs):
    data = tmp_path / "mixed.jsonl"
    rows = [{"id": i, "text": "good", "score": 1} for i in range(4)] + [{"id": f"r{i}", "text": "x", "score": 1}
                                                                         for i in range(4, 8)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    line = one_line_error(run("apply", lfs, data, "-o", tmp_path / "v.parquet", "--id-col", "id", "--jobs", "1",
                              "--batch-size", "4"))
    assert "mixed.jsonl" in line and "id column 'id'" in line and "rows 4..7" in line
    # "7" after 7: the writer's cast made the text ids numbers (and "007" would have become 7)
    rows[4:] = [{"id": f"{i:03d}", "text": "x", "score": 1} for i in range(4, 8)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    line = one_line_error(run("apply", lfs, data, "-o", tmp_path / "v.parquet", "--id-col", "id", "--jobs", "1",
                              "--batch-size", "4"))
    assert "mixed.jsonl" in line and "'id'" in line
    assert not (tmp_path / "v.parquet").exists()
    # integers and a missing id (null) in the file: floats in every batch (pandas: in the batches
    # holding the null only, so the ids were int64 with --batch-size 4 and double with 1000)
    rows[4:] = [{"id": None if i == 5 else i, "text": "x", "score": 1} for i in range(4, 8)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for b in (4, 1000):
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, batch_size=b, id_cols="id", force=True)
        got = pq.read_table(tmp_path / "v.parquet").column("id")
        assert got.type == pa.float64() and got.to_pylist() == [0, 1, 2, 3, 4, None, 6, 7]


def test_json_lines_ids_that_are_objects_are_refused_as_in_parquet(tmp_path, lfs):
    data = tmp_path / "nested.jsonl"
    data.write_text("".join(json.dumps({"id": {"k": i}, "text": "good", "score": 1}) + "\n" for i in range(3)))
    with pytest.raises(InputError, match=r"nested.jsonl: id column 'id' holds lists or objects"):
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, id_cols="id")


def test_a_dataset_whose_files_give_ids_other_types_names_the_file(tmp_path, lfs):
    folder = tmp_path / "ds"
    folder.mkdir()
    pd.DataFrame({"id": [1, 2], "text": ["good", "bad"], "score": [1, 3]}).to_parquet(folder / "part.0.parquet")
    pd.DataFrame({"id": ["007", "8"], "text": ["x", "y"], "score": [1, 3]}).to_parquet(folder / "part.1.parquet")
    for engine in ("local", "dask"):
        if engine == "dask":
            pytest.importorskip("distributed")
        with pytest.raises(InputError, match=r"part\.1\.parquet: id column 'id' is large_string in this file but "
                                             r"int64 in .*part\.0\.parquet"):
            apply_file(lfs, folder, tmp_path / f"v_{engine}", jobs=1, id_cols="id", engine=engine)
    # int32 in one file, int64 in another: one kind, read as the first file's type
    pq.write_table(pa.table({"id": pa.array([7, 8], pa.int32()), "text": ["x", "y"], "score": [1, 3]}),
                   folder / "part.1.parquet")
    apply_file(lfs, folder, tmp_path / "v.parquet", jobs=1, id_cols="id", batch_size=1)
    assert pq.read_table(tmp_path / "v.parquet").column("id").to_pylist() == [1, 2, 7, 8]


def test_a_data_column_mixing_text_and_numbers_is_read_as_written(tmp_path):
    """A JSON Lines text column holding a number on some lines is legitimate input: the LFs get
    each value with its JSON type (whatever the batch size), and only the ids are carried."""
    lfs = tmp_path / "lfs.py"
    lfs.write_text(LFS.split("@labeling_function\ndef literal_na")[0]
                   + "\n@labeling_function\ndef is_text(x):\n    return 1 if isinstance(x.text, str) else 0\n")
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(["good", 5, "bad", 7.5])))
    for b in (1, 100):
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, batch_size=b, id_cols="id", force=True,
                   on_error="abstain")
        t = pq.read_table(tmp_path / "v.parquet")
        assert t.column("is_text").to_pylist() == [1, 0, 1, 0]


@pytest.mark.parametrize("text", ["", "\n\n", "\n" + json.dumps({"id": "NA", "text": "good", "score": 3}) + "\n"])
def test_json_lines_without_records_or_with_a_leading_blank_line(tmp_path, lfs, text):
    data = tmp_path / "d.jsonl"
    data.write_text(text)
    if text.strip():   # a blank first line: the columns are the first record's (they were none)
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, id_cols="id")
        assert pq.read_table(tmp_path / "v.parquet").column("id").to_pylist() == ["NA"]
    else:              # "has no rows" (it said "no id column 'id' (columns: )")
        with pytest.raises(InputError, match=r"d.jsonl: has no rows"):
            apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, id_cols="id")


def test_the_votes_writer_never_casts_text_ids_to_numbers(tmp_path):
    import numpy as np

    from weaklabel.io import VotesWriter

    w = VotesWriter(tmp_path / "v.parquet", pa.schema([("id", pa.int64())]), ["lf"], 2)
    w.write(pa.table({"id": pa.array([1, 2], pa.int32())}), np.zeros((2, 1), dtype=np.int8))   # one kind: fine
    with pytest.raises(InputError, match="row-id column 'id' changes type from int64 to string at row 2"):
        w.write(pa.table({"id": ["007", "8"]}), np.zeros((2, 1), dtype=np.int8))
    w.abort()


def test_json_lines_big_integer_ids_beside_a_missing_one_are_refused_not_rounded(tmp_path, lfs):
    """pandas reads a batch of JSON integers with a null as float64: 2**53 + 1 became 2**53."""
    data = tmp_path / "big.jsonl"
    rows = [{"id": 2**53 + 1, "text": "good", "score": 1}, {"id": None, "text": "x", "score": 1},
            {"id": 2**53 + 3, "text": "x", "score": 1}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for b in (1, 1000):   # with --batch-size 1 they were read as exact integers: no null in their batch
        with pytest.raises(InputError, match=r"big.jsonl: id column 'id' is read as 9007199254740992 in row 0"):
            apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, id_cols="id", batch_size=b)
    rows[1]["id"] = 2**53 + 2   # no null in the file: exact integers
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, id_cols="id", batch_size=1)
    assert pq.read_table(tmp_path / "v.parquet").column("id").to_pylist() == [2**53 + 1, 2**53 + 2, 2**53 + 3]
