"""Fewer passes over a Parquet votes file without weaklabel metadata (a "plain" file, whose K is
its largest vote + 1):

* ``read_votes`` without a cardinality held the whole file dense (int64 for pandas-written
  columns: 5M rows x 20 LFs took 2.2 GB and 7 s where 0.8 GB and 3 s do) until it had the largest
  vote; it now takes K from the row-group statistics when every column chunk has them (as the
  streaming reader does) and converts block by block;
* ``fit``'s default run plan opens a :class:`~weaklabel.votes.reader.VotesSource` to estimate the
  memory, which finds K (a pass over a file without statistics); the in-memory fit threw it away
  and read the file dense to find K again. It now reads with that K.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import weaklabel.votes.file as vfile
from weaklabel.errors import InputError
from weaklabel.fit import fit_file
from weaklabel.votes.reader import VotesSource

N, M, K = 1000, 4, 3


def _plain(path, stats: bool, extra: dict | None = None):
    rng = np.random.default_rng(1)
    cols = {"id": np.arange(N, dtype=np.int64)}
    for j in range(M):
        v = rng.integers(0, K, N)
        v[rng.random(N) > 0.5] = -1
        cols[f"lf{j}"] = v              # int64, as pandas writes integer columns
    cols.update(extra or {})
    pq.write_table(pa.table(cols), path, row_group_size=300, write_statistics=stats)
    return pd.DataFrame(cols)


@pytest.fixture
def spy_dense(monkeypatch):
    """The row counts of the blocks read_votes converts to CSR."""
    sizes = []
    real = vfile.dense_to_csr

    def spy(arr, *a, **k):
        sizes.append(len(arr))
        return real(arr, *a, **k)

    monkeypatch.setattr(vfile, "dense_to_csr", spy)
    return sizes


def test_read_votes_takes_k_of_a_plain_file_from_its_statistics(tmp_path, spy_dense):
    df = _plain(tmp_path / "stats.parquet", True)
    _plain(tmp_path / "nostats.parquet", False)
    vm = vfile.read_votes(tmp_path / "stats.parquet", batch_rows=100)
    assert spy_dense == [100] * 10           # block by block (was one dense block of 1,000 rows)
    assert vm.cardinality == K
    np.testing.assert_array_equal(vm.to_dense(), df[[f"lf{j}" for j in range(M)]].to_numpy())
    spy_dense.clear()
    same = vfile.read_votes(tmp_path / "nostats.parquet", batch_rows=100)
    assert spy_dense == [N]                  # no statistics: held dense until K is known, as before
    assert same.equals(vm) and same.row_ids.equals(vm.row_ids)
    assert VotesSource(tmp_path / "stats.parquet").cardinality == K


@pytest.mark.parametrize("stats", [True, False])
def test_plain_file_checks_hold_with_or_without_statistics(tmp_path, stats):
    """The id-like column and the class limit are refused from the statistics as from the votes."""
    p = tmp_path / "idlike.parquet"
    _plain(p, stats, {"review": np.arange(1000, 1000 + N, dtype=np.int64)})
    with pytest.raises(InputError, match=r"column 'review' holds values up to 1,999 and never abstains"):
        vfile.read_votes(p)
    _plain(p, stats, {"big": np.full(N, 1 << 40, dtype=np.int64)})
    with pytest.raises(InputError, match=r"LF column 'big' holds the vote 1,099,511,627,776, above the limit"):
        vfile.read_votes(p)


def test_fit_reads_with_the_k_its_plan_found(tmp_path, monkeypatch):
    """The default plan's VotesSource found K (a pass over a file without statistics): the
    in-memory fit reads with it, and labels as a fit without that plan does."""
    _plain(tmp_path / "nostats.parquet", False)
    asked = []
    real = vfile.read_votes

    def spy(path, **k):
        asked.append(k.get("cardinality"))
        return real(path, **k)

    monkeypatch.setattr(vfile, "read_votes", spy)
    s = fit_file(tmp_path / "nostats.parquet", tmp_path / "auto.parquet", "majority")
    assert s.plan.mode == "memory" and s.plan.source is not None and asked == [K]
    s = fit_file(tmp_path / "nostats.parquet", tmp_path / "mem.parquet", "majority", stream=False)
    assert s.plan.source is None and asked == [K, None]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "auto.parquet"), pd.read_parquet(tmp_path / "mem.parquet"))
