"""JSON Lines input (io/json_lines.py): the columns are the union of the records' keys, every batch
has every column with one type per optional key, and a file whose records all hold the same keys
is read exactly as pandas reads it (as before)."""

from __future__ import annotations

import json
import tracemalloc

import pandas as pd
import pyarrow as pa
import pytest

from weaklabel.errors import InputError
import weaklabel.io.json_lines as jl
from weaklabel.io import TableSource, read_table


def write(path, rows) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def values(src: TableSource, batch: int, cols=None) -> list:
    """Every row as ``(column, type name, value)`` tuples, NaN as the text "nan"."""
    out = []
    for df in src.iter_batches(batch, cols):
        for row in df.itertuples(index=False):
            out.append(tuple((c, type(v).__name__, "nan" if v != v else v) for c, v in zip(df.columns, row)))
    return out


UNIFORM = {
    "plain": [{"id": i, "text": f"t{i}", "score": i / 2, "ok": bool(i % 2)} for i in range(7)],
    "nulls": [{"id": i, "text": None if i % 3 else "x", "n": None if i == 4 else i, "ok": None} for i in range(7)],
    "mixed": [{"id": str(i), "v": [1, "a", 2.5, True, None, {"k": 1}, [1]][i]} for i in range(7)],
    "order": [{"a": 1, "b": "x"}, {"b": "y", "a": 2}, {"a": 3, "b": "z"}],
}


#: the keys of UNIFORM read otherwise than pandas reads a batch: integers beside null (or float)
#: values are 7 in a batch without one and 7.0 in a batch with one; they are floats in every batch
CONFORMED = {"plain": {}, "nulls": {"n": "number"}, "mixed": {"v": "mixed"}, "order": {}}


@pytest.mark.parametrize("name", sorted(UNIFORM))
def test_records_with_the_same_keys_are_read_as_pandas_reads_them(tmp_path, name):
    """No change where every record holds every key, but for integers beside nulls or floats
    (below): each batch is pandas' own, dtype for dtype."""
    path = write(tmp_path / "d.jsonl", UNIFORM[name])
    src = TableSource(path)
    assert src.columns == list(UNIFORM[name][0])
    assert src._json.optional == CONFORMED[name]
    for b in (1, 2, 1000):
        with pd.read_json(path, lines=True, chunksize=b, dtype=False) as reader:
            want = [w.drop(columns=list(CONFORMED[name])) for w in reader]
        got = list(src.iter_batches(b))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert list(g.columns) == src.columns   # the file's order (pandas: the batch's first record's)
            pd.testing.assert_frame_equal(g.drop(columns=list(CONFORMED[name])), w, check_exact=True, check_like=True)
    got = {b: values(src, b) for b in (1, 2, 3, 1000)}
    assert all(v == got[1000] for v in got.values()), got


def test_integers_beside_nulls_read_alike_whatever_the_batch_size(tmp_path):
    """A key every record holds, integers beside ``null`` (or a float): pandas read 7 in a batch
    without the null and 7.0 in one with it, so an LF's vote (and the votes' id type) depended on
    --batch-size; as for a key some records leave out, they are floats in every batch."""
    rows = [{"id": 1, "n": 7, "x": 1}, {"id": None, "n": None, "x": 2.5}, {"id": 3, "n": 8, "x": 3}]
    src = TableSource(write(tmp_path / "d.jsonl", rows))
    assert src._json.optional == {"id": "number", "n": "number", "x": "number"}
    for b in (1, 2, 1000):
        got = pd.concat(list(src.iter_batches(b)), ignore_index=True)
        assert [str(got[c].dtype) for c in got.columns] == ["float64"] * 3, b
        assert got["n"].tolist()[::2] == [7.0, 8.0] and got["x"].tolist() == [1.0, 2.5, 3.0]
        ids = pa.concat_tables([i for _, i in src.iter_batches_with_ids(b, None, ["id"])])
        assert ids.schema.field("id").type == pa.float64() and ids.column("id").to_pylist() == [1.0, None, 3.0]
    # integers alone, floats with nulls, text with nulls: pandas reads them alike in every batch
    src = TableSource(write(tmp_path / "e.jsonl", [{"i": 1, "f": 1.5, "t": "a"}, {"i": 2, "f": None, "t": None}]))
    assert src._json.optional == {}


def test_columns_are_the_union_of_the_keys_in_order_of_first_appearance(tmp_path):
    path = write(tmp_path / "d.jsonl", [{"b": 1}, {"a": "x", "b": 2}, {"c": True}, {"a": "y", "d": None}])
    src = TableSource(path)
    assert src.columns == ["b", "a", "c", "d"]
    t = read_table(path, ["a", "c"])          # was: "no column 'a' (columns: b)"
    assert [v if v == v else None for v in t["a"]] == [None, "x", None, "y"]
    # a batch in which no record holds a key has the column (it was a KeyError: "None of [Index(['a'])]")
    assert values(src, 1, ["a"]) == [(("a", "float", "nan"),), (("a", "str", "x"),), (("a", "float", "nan"),),
                                     (("a", "str", "y"),)]
    with pytest.raises(InputError, match=r"d.jsonl: no column 'zz' \(columns: b, a, c, d\)"):
        next(src.iter_batches(2, ["zz"]))


def test_optional_keys_read_alike_whatever_the_batch_size(tmp_path):
    rows = [{"text": "a"}, {"text": "b", "n": 3, "f": True, "mix": 1, "big": 2**40},
            {"text": "c", "n": 2.5, "mix": "x"}, {"text": "d", "n": None, "f": False},
            {"text": "e", "n": 7, "mix": 2, "big": 5}]
    src = TableSource(write(tmp_path / "d.jsonl", rows))
    got = {b: values(src, b) for b in (1, 2, 3, 1000)}
    assert all(v == got[1000] for v in got.values()), got
    row = dict((c, (t, v)) for c, t, v in got[1][4])
    assert row == {"text": ("str", "e"), "n": ("float", 7.0), "f": ("float", "nan"), "mix": ("float", 2.0),
                   "big": ("float", 5.0)}
    # one dtype per numeric optional key in every batch (an all-missing batch was an object column)
    for b in (1, 2, 1000):
        assert {str(df["n"].dtype) for df in src.iter_batches(b)} == {"float64"}
        assert {str(df["big"].dtype) for df in src.iter_batches(b)} == {"float64"}
    assert src._json.optional == {"n": "number", "f": "other", "mix": "mixed", "big": "number"}


def test_value_types_before_the_first_record_with_other_keys_count(tmp_path, monkeypatch):
    """The scan records value types only from the first record whose keys differ; the records
    before it are read again: text there makes "n" a key of mixed values, not numbers only."""
    monkeypatch.setattr(jl, "_HINT", 64)
    rows = [{"n": "x", "pad": "p" * 40}] + [{"n": i, "pad": "p" * 40} for i in range(1, 20)] + [{"pad": "q"}]
    src = TableSource(write(tmp_path / "d.jsonl", rows))
    assert src._json.optional == {"n": "mixed"}
    for b in (1, 4, 1000):
        ns = [v for df in src.iter_batches(b) for v in df["n"].tolist()]
        assert ns[0] == "x" and all(type(v) is float for v in ns[1:]) and ns[1:20] == [float(i) for i in range(1, 20)]


def test_an_id_column_missing_from_the_first_batch_takes_its_type_from_the_file(tmp_path):
    """ids all missing in the first batch were Arrow's null type, and the next batch's text ids
    were refused ("holds null values before row 1 but large_string"); with explicit nulls too."""
    for rows in ([{"text": "a"}, {"id": "x", "text": "b"}], [{"id": None, "text": "a"}, {"id": "x", "text": "b"}],
                 [{"text": "a"}, {"id": 7, "text": "b"}]):
        path = write(tmp_path / "d.jsonl", rows)
        types = set()
        for b in (1, 2):
            ids = pa.concat_tables([i for _, i in TableSource(path).iter_batches_with_ids(b, None, ["id"])])
            types.add(ids.schema.field("id").type)
            assert ids.column("id").to_pylist() == [None, rows[1]["id"]]
        assert len(types) == 1 and not pa.types.is_null(types.pop()), rows


def test_blank_lines_make_no_batch_without_columns(tmp_path):
    path = write(tmp_path / "d.jsonl", [{"a": 1}, "", "  ", {"a": 2}])
    src = TableSource(path)
    for b in (1, 2, 1000):     # a batch of blank lines had no columns: KeyError on ["a"]
        assert [v for df in src.iter_batches(b, ["a"]) for v in df["a"].tolist()] == [1, 2]


def test_keys_are_column_names_as_written(tmp_path):
    """pandas converted keys that all look like numbers: "1", "2" became the columns 1 and 2 (and
    "007" the column 7), so `--id-col 1` found no column."""
    src = TableSource(write(tmp_path / "d.jsonl", [{"1": "a", "007": 5}, {"1": "b", "007": 6}]))
    assert src.columns == ["1", "007"]
    assert list(next(src.iter_batches(10)).columns) == ["1", "007"]


def test_lines_that_are_not_objects(tmp_path):
    # a file of arrays: pandas' positional columns, as before
    src = TableSource(write(tmp_path / "a.jsonl", ["[1, 2]", "[3, 4]"]))
    assert src.columns == [0, 1]
    assert next(src.iter_batches(10)).values.tolist() == [[1, 2], [3, 4]]
    # an object file with another kind of line: one line naming it (pandas raised a bare TypeError)
    with pytest.raises(InputError, match=r"b.jsonl: line 3 holds an array, not an object"):
        TableSource(write(tmp_path / "b.jsonl", [{"a": 1}, "", "[1, 2]"]))
    with pytest.raises(InputError, match=r"c.jsonl: not a readable JSON Lines file \(line 2: "):
        TableSource(write(tmp_path / "c.jsonl", [{"a": 1}, '{"a": 2']))
    assert TableSource(write(tmp_path / "e.jsonl", ["", ""])).n_rows == 0


def _scan_peak(path):
    """The scan of ``path`` and the peak of the memory Python allocated for it."""
    tracemalloc.start()
    try:
        layout = jl.scan_json_lines(path)
        return layout, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_scan_keeps_memory_flat_with_many_optional_keys(tmp_path, monkeypatch):
    """Records leaving out any of 16 keys: the distinct (keys, value types) tuples grow with the
    file (~65,000 here); kept for the whole file they took ~13x the file's size in memory."""
    import random

    monkeypatch.setattr(jl, "_HINT", 1 << 16)
    rng = random.Random(0)
    keys = [f"k{i}" for i in range(16)]
    rows = [json.dumps({"id": i, **{k: rng.choice([1, "a", None]) for k in keys if rng.random() < 0.5}})
            for i in range(40_000)]
    path = tmp_path / "sparse.jsonl"
    path.write_text("\n".join(rows) + "\n")
    layout, peak = _scan_peak(path)
    assert layout.rows == 40_000 and layout.columns[0] == "id" and set(layout.columns) == {"id", *keys}
    assert layout.optional == dict.fromkeys(layout.columns[1:], "mixed")
    assert peak < 10_000_000, peak   # was ~60 MB


def test_the_scan_keeps_memory_flat(tmp_path, monkeypatch):
    """~1 MiB of lines at a time (here 64 KiB): the peak does not grow with the file."""
    monkeypatch.setattr(jl, "_HINT", 1 << 16)
    rows = [json.dumps({"id": i, "text": "word " * 30, **({"n": i} if i % 3 else {})}) for i in range(40_000)]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(rows) + "\n")
    assert path.stat().st_size > 6_000_000
    layout, peak = _scan_peak(path)
    assert layout.rows == 40_000 and layout.optional == {"n": "number"}
    assert peak < 1_500_000, peak
