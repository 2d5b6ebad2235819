"""pandas reads the texts ``NA``, ``null``, ``N/A``, ``None``, ``nan`` (its default NA markers) as
missing values. A CSV id column keeps them as written (a product coded ``NA`` is an id; it was
read as "no id"), for every command; for apply's LFs (``text_as_written``) a text column holding
them keeps them too, while a numeric column keeps them as missing values. Only an empty cell is
missing where the text is kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaklabel.io import TableSource, read_table
from weaklabel.io.csv_ids import NA_MARKERS

MARKERS = ["NA", "null", "N/A", "None", "nan", "NULL", "<NA>", "#N/A", "n/a", "NaN"]


def _rows(src, batch_size=100, **kw) -> pd.DataFrame:
    return pd.concat(list(src.iter_batches(batch_size, **kw)), ignore_index=True)


@pytest.mark.parametrize("sep", [",", "\t"])
def test_id_columns_keep_na_markers_as_written(tmp_path, sep):
    path = tmp_path / ("d.csv" if sep == "," else "d.tsv")
    ids = MARKERS + ["", "7"]
    path.write_text(f"id{sep}text\n" + "".join(f"{i}{sep}row {k}\n" for k, i in enumerate(ids)))
    src = TableSource(path)
    got = _rows(src, batch_size=3, id_cols=["id"])["id"]
    assert [None if v is None or v != v else v for v in got] == MARKERS + [None, "7"]   # the empty cell is missing
    # every command reads a CSV's ids by one rule: a gold file read whole gets the same ids
    assert read_table(path, id_cols=["id"])["id"].tolist()[:len(MARKERS)] == MARKERS


def test_integer_ids_with_a_marker_are_text_and_empty_cells_stay_missing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,text\n1,a\n2,b\nNA,c\n")
    assert TableSource(path).id_dtypes(["id"]) == {"id": str}
    assert _rows(TableSource(path), id_cols=["id"])["id"].tolist() == ["1", "2", "NA"]
    path.write_text("id,text\n7,a\n,b\n12,c\n")            # as before: integers with an empty cell are float64
    got = _rows(TableSource(path), id_cols=["id"])["id"]
    assert got.dtype == np.float64 and got.isna().tolist() == [False, True, False]


def test_lfs_see_text_markers_as_text_and_numeric_markers_as_missing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,score,flag,note,n\n"
                    "good,1.5,True,NA,1\n"
                    "NA,NA,NA,n/a,2\n"
                    "null,,False,,3\n"
                    "None,2.5,,NA,4\n")
    src = TableSource(path)
    got = _rows(src, batch_size=2, text_as_written=True)
    assert got["text"].tolist() == ["good", "NA", "null", "None"]
    assert got["score"].dtype == np.float64 and got["score"].isna().tolist() == [False, True, True, False]
    assert got["flag"].tolist()[:1] == [True] and got["flag"].isna().tolist() == [False, True, False, True]
    assert got["note"].isna().all()               # markers alone (no text besides): missing, as before
    assert got["n"].tolist() == [1, 2, 3, 4]
    # read without text_as_written (gold labels): "NA" is missing there, as before
    assert _rows(TableSource(path))["text"].isna().tolist() == [False, True, True, True]


def test_a_text_column_is_text_in_every_batch(tmp_path):
    """The choice is the whole column's: a text column whose first batches hold only markers, and a
    numeric column whose last batch does, read the same whatever the batch size."""
    path = tmp_path / "d.csv"
    path.write_text("text,score\nNA,1.5\nnull,2.5\nNA,NA\nhello,NA\n")
    whole = _rows(TableSource(path), batch_size=100, text_as_written=True)
    for b in (1, 2, 3):
        got = _rows(TableSource(path), batch_size=b, text_as_written=True)
        pd.testing.assert_frame_equal(got, whole)
    assert whole["text"].tolist() == ["NA", "null", "NA", "hello"]
    assert whole["score"].tolist()[:2] == [1.5, 2.5] and whole["score"].isna().tolist()[2:] == [True, True]


def test_a_column_of_numbers_and_text_with_markers_is_text_throughout(tmp_path):
    """Numbers in a text column are its text (pandas keeps them so in a batch with any text)."""
    path = tmp_path / "d.csv"
    path.write_text("code\n10\n20\nNA\nx7\n")
    got = _rows(TableSource(path), batch_size=2, text_as_written=True)
    assert got["code"].tolist() == ["10", "20", "NA", "x7"]


def test_every_other_column_reads_as_pandas_reads_it(tmp_path):
    """Columns without markers among text, and the numeric ones with markers, are exactly what
    pandas' default reading gives (the same parser: 1e3, ' 4', True, quoted numbers)."""
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({
        "i": rng.integers(-1000, 1000, n).astype(str),
        "f": [f"{v:.6g}" for v in rng.normal(size=n)],
        "e": rng.choice(["1e3", " 4", "+3", "inf", "NA", ""], n),
        "b": rng.choice(["True", "False", "NA", ""], n),
        "t": rng.choice(["a b", "c,d", '"q"', "x\ny", "", "7"], n),
        "m": rng.choice(["NA", "null", ""], n),
    })
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    src = TableSource(path)
    got = _rows(src, batch_size=150, text_as_written=True)
    assert src._as_written == set()
    pd.testing.assert_frame_equal(got, pd.read_csv(path))
    # with a text column that keeps its markers, the others still read as pandas reads them
    df["w"] = rng.choice(["NA", "word", ""], n)
    df.to_csv(path, index=False)
    src = TableSource(path)
    got = _rows(src, batch_size=150, text_as_written=True)
    assert src._as_written == {"w"} and (got["w"] == "NA").sum() == (df["w"] == "NA").sum()
    pd.testing.assert_frame_equal(got.drop(columns="w"), pd.read_csv(path).drop(columns="w"))


def test_markers_are_pandas_defaults_besides_the_empty_cell():
    assert "" not in NA_MARKERS and {"NA", "null", "N/A", "None", "nan"} <= NA_MARKERS


def test_json_lines_keep_their_strings(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "NA", "text": "null"}\n{"id": "None", "text": null}\n')
    got = _rows(TableSource(path), id_cols=["id"], text_as_written=True)
    assert got["id"].tolist() == ["NA", "None"] and got["text"].tolist()[0] == "null" and got["text"].isna()[1]
