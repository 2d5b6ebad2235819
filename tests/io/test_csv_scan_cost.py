"""The CSV scan (``csv_scan``) decides once per column which text columns keep NA markers as
text. A numeric column with NA markers (R's ``write.csv`` writes ``NA`` for a missing number) is
numeric in every chunk; its values must not be written out and parsed again chunk after chunk
(that round trip made ``apply`` on such a CSV 2.4x slower), and the decision must not change."""

from __future__ import annotations

import numpy as np
import pandas as pd

from weaklabel.io import TableSource
from weaklabel.io import csv_ids


def _write(path, n=60):
    rows = ["id,score,count,text"]
    for i in range(n):
        score = "NA" if i % 7 == 3 else f"{i * 0.25 - 3}"
        count = "NA" if i % 5 == 1 else ("1e3" if i == 4 else str(i))
        rows.append(f"{i},{score},{count},{'NA' if i % 9 == 2 else f'review {i}'}")
    path.write_text("\n".join(rows) + "\n")


def test_numeric_columns_with_markers_are_not_parsed_again_chunk_by_chunk(tmp_path, monkeypatch):
    path = tmp_path / "r.csv"
    _write(path)
    calls = []
    real = csv_ids._reads_as_text
    monkeypatch.setattr(csv_ids, "_reads_as_text", lambda values: calls.append(list(values)) or real(values))
    monkeypatch.setattr(csv_ids, "_ID_SCAN_ROWS", 10)   # six chunks
    src = TableSource(path)
    assert src.reading(["id"]) == {"na_text_columns": ["text"]}
    # once, for the text column's first chunk; plain numbers beside markers are numbers without a
    # round trip through the parser (it ran for "score" and "count" in every chunk)
    assert len(calls) == 1 and calls[0][0] == "review 0"
    got = pd.concat(list(src.iter_batches(16, id_cols=["id"], text_as_written=True)), ignore_index=True)
    assert got["score"].dtype == np.float64 and int(got["score"].isna().sum()) == 9
    assert got["count"].dtype == np.float64 and got["count"][4] == 1000.0
    assert got["text"][2] == "NA"


def test_other_values_beside_markers_are_still_decided_by_the_parser(tmp_path, monkeypatch):
    # " 4" and "True" are no plain numbers: pandas' parser decides (numbers; booleans and numbers: text)
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n 4,True,x\nNA,NA,NA\n5,1,y\n")
    calls = []
    real = csv_ids._reads_as_text
    monkeypatch.setattr(csv_ids, "_reads_as_text", lambda values: calls.append(list(values)) or real(values))
    assert TableSource(path).reading() == {"na_text_columns": ["b", "c"]}
    assert sorted(map(sorted, calls)) == [[" 4", "5"], ["1", "True"], ["x", "y"]]


def test_the_scan_of_long_rows_reads_a_bounded_share_of_the_file_at_a_time(tmp_path, monkeypatch):
    """The scan of every column read 262,144 rows at a time whatever their length: 10 kB documents
    were 2.6 GB in memory at once (apply's peak 0.8 -> 1.4 GB on a 600 MB CSV at --batch-size 1000).
    It reads about ``_SCAN_BYTES`` of text at a time; short rows keep the 262,144-row chunks."""
    path = tmp_path / "docs.csv"
    path.write_text("id,text\n" + "".join(f"{i},{'word ' * 400}{'NA' if i == 900 else 'end'}\n" for i in range(1000)))
    short = tmp_path / "short.csv"
    short.write_text("id,text\n" + "".join(f"{i},w{i}\n" for i in range(1000)))
    monkeypatch.setattr(csv_ids, "_SCAN_BYTES", 200_000, raising=False)   # ~100 rows of 2 kB
    sizes = []
    real = pd.read_csv

    def read_csv(*args, **kw):
        sizes.append(kw.get("chunksize"))
        return real(*args, **kw)

    monkeypatch.setattr(pd, "read_csv", read_csv)
    assert csv_ids.csv_scan(path, ",", ["id"], ["text"]) == ({"id": "int64"}, set())
    assert 50 <= sizes[-1] <= 200, sizes
    monkeypatch.setattr(csv_ids, "_SCAN_BYTES", 64 << 20, raising=False)
    csv_ids.csv_scan(short, ",", ["id"], ["text"])
    assert sizes[-1] == csv_ids._ID_SCAN_ROWS
