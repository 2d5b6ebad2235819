"""``fit --keep-cols`` with a data file matched by position: one of another row count is refused
from the count its opening made (a Parquet footer, the JSON Lines scan), before its columns are
read into memory (they were read whole, then refused); one of the right count is read as before."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import weaklabel.fit.keep as keep
import weaklabel.io as wio
from weaklabel.errors import InputError
from weaklabel.votes import VoteMatrix

N = 12


def _data(tmp_path, fmt: str, n: int):
    rows = [{"text": f"review {i}", "stars": i % 5 + 1, **({"note": "x"} if i % 4 == 1 else {})} for i in range(n)]
    path = tmp_path / f"data_{n}.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n")
    else:
        pd.DataFrame(rows).to_parquet(path, index=False)
    return path


@pytest.fixture
def no_reads(monkeypatch):
    """Fail on any read of a data file's rows (the kept columns and the ids)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the data file's rows were read")

    monkeypatch.setattr(wio, "read_table", refuse)
    monkeypatch.setattr(keep, "_arrow_columns", refuse)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_data_file_of_another_row_count_is_refused_before_it_is_read(tmp_path, fmt, no_reads):
    path = _data(tmp_path, fmt, N + 3)
    with pytest.raises(InputError, match=rf"data_{N + 3}\.{fmt}: has {N + 3:,} rows but the votes have {N:,} and no "
                                         r"id column to match them by; pass the data file the votes were made from"):
        keep.kept_columns_of(None, N, 2, tmp_path / "votes.parquet", "text", path)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_data_file_of_the_votes_row_count_is_read_as_before(tmp_path, fmt):
    path = _data(tmp_path, fmt, N)
    vm = VoteMatrix.from_dense(np.full((N, 2), -1), cardinality=2)
    got = keep.kept_columns(vm, tmp_path / "votes.parquet", "text,stars,note", path)
    assert isinstance(got, pa.Table) and got.column_names == ["text", "stars", "note"]
    frame = got.to_pandas()
    assert frame["text"].tolist() == [f"review {i}" for i in range(N)]
    assert frame["stars"].tolist() == [i % 5 + 1 for i in range(N)]
    assert [v if isinstance(v, str) else None for v in frame["note"]] == ["x" if i % 4 == 1 else None for i in range(N)]
