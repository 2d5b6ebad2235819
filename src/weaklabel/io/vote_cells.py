"""Cells of one LF column of a plain votes file (no weaklabel metadata), read back from its Parquet
file(s) for the checks of :func:`~weaklabel.io.votes_file.check_plain_vote_maxima`, which decide
from each column's smallest and largest vote (row-group statistics, or a pass) and read a column
only when those point at a bad file:

* :func:`first_vote_at_least`: where the first vote above the class limit is (the part file of a
  folder or glob, the row within it, the votes row), reading only the row groups whose statistics
  do not rule it out. From the statistics alone, a folder's error named the folder, not the part.
* :func:`id_like_values`: whether a column holds its values as row ids do (a different value on
  every row, counting up row by row, or sorted with a few rows per value). A crowd worker
  answering one high class on every item (or a classifier LF over hundreds of classes) has the
  range of an id column, not its values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .tables import open_parquet


def _cells(col) -> np.ndarray:
    """An Arrow integer column as int64 numpy, nulls (missing votes: refused by the readers) left out."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if col.null_count:
        col = col.drop_null()
    if pa.types.is_null(col.type) or not len(col):
        return np.zeros(0, np.int64)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.int64)


def column_values(files: Sequence, name: str) -> np.ndarray:
    """The values of column ``name`` over ``files`` (in row order, nulls left out), as int64. Only
    read for a column whose largest value is below the class limit and at least half the row
    count, so at most ~65,000 values."""
    parts = []
    for f in files:
        pf = open_parquet(f)
        try:
            if name in pf.schema_arrow.names:
                parts.append(_cells(pf.read(columns=[name]).column(0)))
        finally:
            pf.close()
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


#: values in sorted order are taken for ids grouping rows (several rows per document) when there
#: are at least this many distinct values per row: an LF's votes over many classes are not sorted
#: row by row, and a crowd worker's one repeated answer has a single value (reviewer 93's
#: ``doc = 1000 + i // 2`` was read as an LF of 1,100 classes)
SORTED_IDS_MIN_SHARE = 0.1


def id_like_values(values: np.ndarray) -> str | None:
    """How ``values`` look like row ids (``"a different value on every row"``, ``"counting up row
    by row"``: most steps +1, as the index of frames concatenated without ``ignore_index`` and then
    reset; ``"in sorted order, a few rows per value"``: rows grouped by a document or item id,
    ``doc = 1000 + i // 2``, at least :data:`SORTED_IDS_MIN_SHARE` as many values as rows), or
    ``None``: values that repeat in no such order (one class answered on every row) are votes. The
    rule :func:`weaklabel.models.inputs.check_id_columns` applies to dense votes."""
    v = np.asarray(values)
    if v.size < 2:
        return None
    n_values = np.unique(v).size
    if n_values == v.size:
        return "a different value on every row"
    steps = np.diff(v)
    if float(np.mean(steps == 1)) >= 0.9:
        return "counting up row by row"
    if bool((steps >= 0).all()) and n_values >= SORTED_IDS_MIN_SHARE * v.size:
        return "in sorted order, a few rows per value"
    return None


def first_vote_at_least(files: Sequence, name: str, limit: int) -> tuple[str, int, int, int] | None:
    """``(file, row in the file, votes row, value)`` of the first value of column ``name`` that is
    at least ``limit``, over ``files`` in order; ``None`` if there is none (or a file cannot be
    read: the caller's message then names the dataset alone). Row groups whose statistics say
    their largest value is below ``limit`` are not read."""
    offset = 0
    for f in files:
        try:
            pf = open_parquet(f)
        except (OSError, pa.ArrowException):
            return None
        try:
            md = pf.metadata
            names = pf.schema_arrow.names
            if name not in names:
                offset += md.num_rows
                continue
            where = [md.schema.column(i).path for i in range(md.num_columns)].index(name)
            row = 0
            for g in range(md.num_row_groups):
                rg = md.row_group(g)
                st = rg.column(where).statistics
                if not (st is not None and st.has_min_max and int(st.max) < limit):
                    col = pf.read_row_group(g, columns=[name]).column(0)
                    try:   # compared in the column's own type (a uint64 vote over 2**63 is no int64)
                        bound = pa.scalar(limit, col.type)
                    except (OverflowError, pa.ArrowException):   # no value of the type reaches it
                        row += rg.num_rows
                        continue
                    over = pc.greater_equal(col, bound).fill_null(False)
                    hit = np.flatnonzero(np.asarray(over.to_numpy(zero_copy_only=False), dtype=bool))
                    if hit.size:
                        r = int(hit[0])
                        return str(f), row + r, offset + row + r, int(col[r].as_py())
                row += rg.num_rows
            offset += md.num_rows
        except (OSError, pa.ArrowException, ValueError):
            return None
        finally:
            pf.close()
    return None
