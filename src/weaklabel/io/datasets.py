"""Part-file datasets: a folder of ``part.NNNNN.parquet`` files plus a ``_common_metadata`` file
(what ``--engine dask`` writes), and random access by row range to a votes file or dataset
(:class:`VotesDataset`, used by ``apply --update``)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError, first_line
from .metadata import COMMON_METADATA, VOTES_FORMAT, encode_metadata, read_metadata
from .tables import open_parquet, parquet_files


def is_votes_dataset(path: str | Path, formats: Sequence[str] = (VOTES_FORMAT,)) -> bool:
    """Whether ``path`` is a folder written by weaklabel with ``--engine dask`` whose metadata has
    one of ``formats`` (default: a votes dataset; ``LABELS_FORMAT`` for a labels dataset)."""
    p = Path(path)
    common = p / COMMON_METADATA
    if not p.is_dir() or not common.is_file():
        return False
    try:
        meta = read_metadata(p)
    except InputError:
        return False
    return bool(meta) and meta.get("format") in formats


def row_group_starts(md: pq.FileMetaData) -> np.ndarray:
    """First row of each row group of a Parquet file, plus the row count at the end."""
    sizes = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)


def read_rows(pf: pq.ParquetFile, start: int, stop: int, columns: Sequence[str] | None = None,
              starts: np.ndarray | None = None) -> pa.Table:
    """Rows ``start:stop`` of a Parquet file, reading only the row groups that hold them."""
    starts = row_group_starts(pf.metadata) if starts is None else starts
    stop = min(stop, int(starts[-1]))
    if stop <= start:
        return pf.schema_arrow.empty_table() if columns is None else \
            pa.schema([pf.schema_arrow.field(c) for c in columns]).empty_table()
    first = int(np.searchsorted(starts, start, side="right")) - 1
    last = int(np.searchsorted(starts, stop, side="left"))
    table = pf.read_row_groups(list(range(first, last)), columns=list(columns) if columns is not None else None)
    return table.slice(start - int(starts[first]), stop - start)


class VotesDataset:
    """Random access by row range to ``votes.parquet`` or a votes dataset folder.

    Used by ``apply --update`` to copy the columns of unchanged LFs; it reads only the row groups a
    range needs, so memory stays bounded whatever the size of the file. Picklable (open files are
    not carried), so Dask workers can read their partition's rows of the old votes themselves.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta = read_metadata(self.path)
        self.files = [str(f) for f in parquet_files(self.path)]
        self._starts: list[np.ndarray] = []
        for f in self.files:
            try:
                self._starts.append(row_group_starts(pq.read_metadata(f)))
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"{f}: not a readable Parquet file ({first_line(exc)})") from None
        self.offsets = np.concatenate([[0], np.cumsum([int(s[-1]) for s in self._starts])]).astype(np.int64)
        self.n_rows = int(self.offsets[-1])
        self.schema = pq.read_schema(self.files[0])
        self._open: dict[int, pq.ParquetFile] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_open"] = {}
        return state

    def _file(self, i: int) -> pq.ParquetFile:
        pf = self._open.get(i)
        if pf is None:
            if len(self._open) >= 4:
                self.close()
            pf = self._open[i] = open_parquet(self.files[i])
        return pf

    def read(self, start: int, stop: int, columns: Sequence[str]) -> pa.Table:
        """Rows ``start:stop`` (global positions) of ``columns`` as one Arrow table."""
        parts = []
        first = max(0, int(np.searchsorted(self.offsets, start, side="right")) - 1)
        for i in range(first, len(self.files)):
            off = int(self.offsets[i])
            if off >= stop:
                break
            a, b = max(start, off) - off, min(stop, int(self.offsets[i + 1])) - off
            if b > a:
                parts.append(read_rows(self._file(i), a, b, columns, self._starts[i]))
        if not parts:
            return pa.schema([self.schema.field(c) for c in columns]).empty_table()
        return pa.concat_tables(parts) if len(parts) > 1 else parts[0]

    def close(self) -> None:
        for pf in self._open.values():
            with contextlib.suppress(Exception):
                pf.close()
        self._open.clear()


def part_name(index: int, n_parts: int) -> str:
    """``part.00000.parquet``: zero-padded so that plain and natural sorting agree."""
    width = max(5, len(str(max(n_parts - 1, 0))))
    return f"part.{index:0{width}d}.parquet"


def write_dataset_metadata(folder: Path, schema: pa.Schema, meta: dict) -> None:
    """The ``_common_metadata`` file of a votes dataset: its schema and ``weaklabel`` metadata."""
    pq.write_metadata(schema.with_metadata(encode_metadata(meta)), str(folder / COMMON_METADATA))
