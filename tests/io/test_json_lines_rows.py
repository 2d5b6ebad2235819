"""A JSON Lines file's row count (``TableSource.n_rows``) is the count its scan made: known before
any batch (as a Parquet file's), equal to the rows the batches hold, and the reading unchanged.

It was ``None`` (unknown) for every JSON Lines file with a record, although the scan that learns
the columns had counted them: progress bars and plans that take a row count got none."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import weaklabel.io.json_lines as jl
from weaklabel.io import TableSource, read_table

#: file name -> (bytes, records): blank and whitespace-only lines (a leading and a trailing one,
#: several in a row), CRLF line ends, a last line without a newline, empty objects, optional keys
FILES = {
    "blank": (b'\n{"id": 1, "t": "a"}\n\n  \n{"id": 2, "t": "b"}\n\t\n\n{"id": 3, "t": "c"}\n\n', 3),
    "no_final_newline": (b'{"id": 1, "t": "a"}\n{"id": 2, "t": "b"}\n{"id": 3, "t": "c"}', 3),
    "blank_then_no_final_newline": (b'{"id": 1, "t": "a"}\n\n\n{"id": 2, "t": "b"}', 2),
    "crlf": (b'{"id": 1, "t": "a"}\r\n\r\n{"id": 2, "t": "b"}\r\n{"id": 3, "t": "c"}', 3),
    "optional": (b'{"id": 1}\n{"id": 2, "n": 7}\n\n{"t": "x", "id": 3, "n": null}\n{"id": 4, "n": 2.5}\n', 4),
    "empty_objects": (b'{}\n{"id": 1}\n\n{}\n', 3),
    "long_records": (b"\n".join(json.dumps({"id": i, "t": "w" * (37 * i)}).encode() for i in range(9)) + b"\n", 9),
}

#: scan blocks (``_HINT`` bytes of lines): one line each, a few lines with the block's end inside
#: a record (``readlines`` keeps it whole, in that block), and the default (one block)
HINTS = (1, 7, 40, 64, jl._HINT)


def _rows(src: TableSource, batch: int) -> list:
    """Every row as ``(column, type name, value)`` tuples, NaN as the text "nan"."""
    return [tuple((c, type(v).__name__, "nan" if v != v else v) for c, v in zip(df.columns, row))
            for df in src.iter_batches(batch) for row in df.itertuples(index=False)]


@pytest.mark.parametrize("name", sorted(FILES))
def test_n_rows_is_the_scans_count_of_records(tmp_path, monkeypatch, name):
    data, records = FILES[name]
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(data)
    want = {b: _rows(TableSource(path), b) for b in (1, 2, 3, 1000)}   # the reading with the default blocks
    assert all(len(w) == records for w in want.values())
    for hint in HINTS:
        monkeypatch.setattr(jl, "_HINT", hint)
        src = TableSource(path)
        assert src.n_rows == records, (name, hint)       # was None
        for b, rows in want.items():                     # the batches hold as many, read as before
            assert sum(len(df) for df in src.iter_batches(b)) == records
            assert _rows(src, b) == rows, (name, hint, b)
        assert len(read_table(src)) == records


def test_the_count_is_pandas_count_across_batch_and_block_boundaries(tmp_path, monkeypatch):
    """Thousands of records with blank lines between some of them, read in blocks and batches whose
    boundaries fall anywhere: the count is the rows pandas' own reader yields, and the batches are
    those of ``read_json`` (every record holds every key)."""
    lines = []
    for i in range(2_500):
        lines.append(json.dumps({"id": i, "text": "word " * (i % 13), "ok": bool(i % 2)}))
        lines += [""] * (i % 7 == 0) + ["   "] * (i % 11 == 0)
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines))       # no final newline
    with pd.read_json(path, lines=True, chunksize=1000, dtype=False, convert_axes=False) as reader:
        want = list(reader)
    assert sum(map(len, want)) == 2_500
    for hint in (97, 4096, jl._HINT):
        monkeypatch.setattr(jl, "_HINT", hint)
        src = TableSource(path)
        assert src.n_rows == 2_500
        got = list(src.iter_batches(1000))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            pd.testing.assert_frame_equal(g, w, check_exact=True)


def test_files_without_records_and_files_of_other_lines(tmp_path):
    for data in (b"", b"\n", b"\n  \n\t\n"):     # no record: 0 rows (as before)
        path = tmp_path / "e.jsonl"
        path.write_bytes(data)
        assert TableSource(path).n_rows == 0
    path = tmp_path / "a.jsonl"                  # arrays: pandas' reading, not counted (as before)
    path.write_bytes(b"[1, 2]\n\n[3, 4]\n")
    src = TableSource(path)
    assert src.n_rows is None and sum(len(df) for df in src.iter_batches(1)) == 2
