"""The votes reader: a votes Parquet file, folder or glob read in row blocks.

Every path that reads votes without loading them whole goes through here: the streaming fit
(:mod:`weaklabel.fit.streaming`), the Dask fit (one block per partition, :mod:`weaklabel.fit.dask`)
and the HTML report. :class:`VotesSource` opens the file(s) and reads its layout
(:class:`VotesLayout`: LF columns, id columns, cardinality, classes); :meth:`VotesSource.blocks`
yields :class:`Block` s, each a dense ``(m, n)`` int8/int16 array (one LF column per row of the
array, as Parquet hands the columns over), read one block ahead in a background thread.
:func:`block_csr` / :func:`block_vote_matrix` validate a block and turn it into CSR form;
:func:`should_stream` says whether an in-memory fit would take too much memory.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, first_line
from ..io import (TableSource, check_plain_vote_maxima, ids_table, ids_to_pandas, metadata_counts, open_parquet, read_rows,
                  votes_layout)
from ..io.background import read_ahead as _read_ahead
from ..io.plain_ids import gold_like_lf_notes, vote_like_id_notes
from .dense import row_place
from .matrix import VoteMatrix, vote_dtype

BLOCK_BYTES = 64 << 20          # dense votes per block (the default block size)
MAX_BLOCK_ROWS = 1 << 20
MIN_BLOCK_ROWS = 1 << 12


@dataclass(frozen=True)
class VotesLayout:
    """What a reader needs to turn Parquet columns into vote blocks (small; sent to Dask workers)."""

    path: str                   # the votes file/folder, for messages
    lf_names: tuple[str, ...]   # the LF columns read, in this order
    id_columns: tuple[str, ...]  # id columns carried into labels; empty: a ``row`` position column
    cardinality: int
    classes: tuple[str, ...] | None

    @property
    def n_lfs(self) -> int:
        return len(self.lf_names)

    @property
    def dtype(self) -> np.dtype:
        return vote_dtype(self.cardinality)


@dataclass
class Block:
    """Rows ``offset .. offset + n - 1``: votes ``L`` (m, n) and, if asked for, their ids; read from
    ``file`` (a part file of a folder or glob, for messages) from its row ``file_row``."""

    offset: int
    L: np.ndarray
    ids: pd.DataFrame | None = None
    file: str | None = None
    file_row: int = 0

    def place(self, path, r: int) -> tuple[str, str]:
        """``(name, "row ...")`` of the block's row ``r`` for a message (:func:`~.dense.row_place`)."""
        return row_place(path, self.offset + r, self.file, self.file_row + r)

    @property
    def n(self) -> int:
        return self.L.shape[1]

    def ids_table(self) -> pa.Table:
        """The id columns as labels.parquet writes them (a ``row`` position column without ids)."""
        return ids_table(self.ids, self.offset, self.n)


# --------------------------------------------------------------------------- blocks
def dense_block(columns: Sequence, layout: VotesLayout, offset: int, file: str | None = None,
                file_row: int = 0) -> np.ndarray:
    """Stack Arrow LF columns (Arrays or ChunkedArrays, one per LF) into an ``(m, n)`` vote block
    (rows ``offset ..`` of the votes, ``file_row ..`` of ``file``, for messages)."""
    def place(r: int) -> tuple[str, str]:
        return row_place(layout.path, offset + r, file, file_row + r)

    n = len(columns[0]) if columns else 0
    L = np.empty((layout.n_lfs, n), dtype=layout.dtype)
    K = layout.cardinality
    for j, col in enumerate(columns):
        if col.null_count:
            first = int(np.flatnonzero(np.asarray(col.is_null()))[0])
            name, row = place(first)
            raise InputError(f"{name}: LF column {layout.lf_names[j]!r} has a missing value at {row}; "
                             "abstains must be -1")
        arr = col.to_numpy() if isinstance(col, pa.ChunkedArray) else col.to_numpy(zero_copy_only=False)
        if arr.dtype != L.dtype and arr.size:
            # a wider column (plain files): check the range before narrowing hides a bad vote
            bad = np.flatnonzero((arr < -1) | (arr >= K))
            if bad.size:
                raise _bad_vote(layout, j, place(int(bad[0])), arr[bad[0]])
        L[j] = arr
    return L


def _bad_vote(layout: VotesLayout, j: int, place: tuple[str, str], value) -> InputError:
    K = layout.cardinality
    name, row = place
    return InputError(f"{name}: {row}, LF {layout.lf_names[j]!r}: vote {value} is outside -1..{K - 1} "
                      f"(cardinality {K})")


def check_bad(bad: int, block: Block, layout: VotesLayout) -> None:
    """Raise the one-line error for the first invalid vote a kernel found in row ``bad`` of ``block``."""
    if bad < 0:
        return
    col = block.L[:, bad]
    j = int(np.flatnonzero((col < -1) | (col >= layout.cardinality))[0])
    raise _bad_vote(layout, j, block.place(layout.path, bad), int(col[j]))


def block_csr(block: Block, layout: VotesLayout, indptr_dtype=np.int64, indices_dtype=np.int32):
    """``(indptr, indices, votes, lf_counts, votes_per_row)`` of a block (validated)."""
    from ..models import kernels

    counts, per_row, bad = kernels.scan_dense(block.L, layout.cardinality)
    check_bad(int(bad), block, layout)
    indptr = np.zeros(block.n + 1, dtype=indptr_dtype)
    np.cumsum(per_row, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz + 1, dtype=indices_dtype)  # + the kernel's spare slot
    votes = np.empty(nnz + 1, dtype=layout.dtype)
    kernels.dense_to_csr_fill(block.L, indptr, indices, votes)
    return indptr, indices[:nnz], votes[:nnz], counts, per_row


def block_vote_matrix(block: Block, layout: VotesLayout) -> VoteMatrix:
    """A block as a :class:`VoteMatrix` (for the models' ``predict_proba``)."""
    indptr, indices, votes, _, _ = block_csr(block, layout)
    return VoteMatrix(indptr, indices, votes, list(layout.lf_names), cardinality=layout.cardinality,
                      row_ids=block.ids, classes=list(layout.classes) if layout.classes else None, validate=False)


def read_rows_block(file: str, start: int, stop: int, offset: int, layout: VotesLayout, ids: bool = False) -> Block:
    """Rows ``start:stop`` of one Parquet file (row ``offset`` of the dataset) as a block."""
    cols = list(layout.id_columns if ids else ()) + list(layout.lf_names)
    pf = open_parquet(file)
    try:
        table = read_rows(pf, start, stop, cols)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{file}: read failed ({first_line(exc)})") from None
    finally:
        pf.close()
    return _to_block(table, layout, offset, ids, file, start)


def read_ids(file: str, start: int, stop: int, layout: VotesLayout) -> pd.DataFrame:
    """The id columns of rows ``start:stop`` of one Parquet file, as pandas (as read_votes has them)."""
    pf = open_parquet(file)
    try:
        return ids_to_pandas(read_rows(pf, start, stop, list(layout.id_columns)))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{file}: read failed ({first_line(exc)})") from None
    finally:
        pf.close()


def _to_block(table, layout: VotesLayout, offset: int, ids: bool, file: str | None = None, file_row: int = 0) -> Block:
    m = layout.n_lfs
    ncol = table.num_columns
    L = dense_block([table.column(i) for i in range(ncol - m, ncol)], layout, offset, file, file_row)
    id_df = None
    if ids and layout.id_columns:
        id_df = ids_to_pandas(table.select(list(layout.id_columns)))
    return Block(offset, L, id_df, file, file_row)


def stats_vote_range(files: Sequence, lf_names: Sequence[str]) -> tuple[dict[str, int], dict[str, int]] | None:
    """Largest and smallest vote of each LF column (max -1: no value) from the Parquet files'
    row-group statistics (footers only), or ``None`` when a column chunk has none."""
    import pyarrow.parquet as pq

    hi = dict.fromkeys(lf_names, -1)
    lo = dict.fromkeys(lf_names, 0)
    for f in files:
        md = pq.read_metadata(f)
        where = {md.schema.column(i).name: i for i in range(md.num_columns)}
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            for name in lf_names:
                st = rg.column(where[name]).statistics
                if st is None or not st.has_min_max:
                    return None
                hi[name] = max(hi[name], int(st.max))
                lo[name] = min(lo[name], int(st.min))
    return hi, lo


# --------------------------------------------------------------------------- the source
class VotesSource:
    """A votes Parquet file, folder or glob, read in row blocks.

    Parameters
    ----------
    path:
        votes.parquet, a votes dataset folder, or a glob of Parquet files.
    lf_names:
        Read these LF columns, in this order (default: every LF of the file). A model fitted on
        some LFs predicts from those columns.
    cardinality, id_cols:
        For plain Parquet files without weaklabel metadata (as :func:`weaklabel.io.read_votes`);
        without a cardinality K is the largest vote + 1 of the LF columns read (from the row-group
        statistics, or a pass).
    """

    def __init__(self, path: str | Path, *, lf_names: Sequence[str] | None = None, cardinality: int | None = None,
                 id_cols: Sequence[str] | None = None):
        self.path = Path(path)
        src = TableSource(self.path)
        names, ids, K, classes, meta = votes_layout(src, id_cols=id_cols, cardinality=cardinality)
        self.file_lf_names = list(names)
        self.files = [str(f) for f in src.files]
        self.file_rows = list(src.file_rows)
        self.n_rows = int(src.n_rows)
        self.meta = meta
        self.schema = src.schema
        id_columns = tuple(ids)   # () when the file has only a ``row`` position column (from its metadata)
        classes = tuple(classes) if classes else None
        if lf_names is not None:   # checked as read_votes checks them
            from .file import select_lf_names

            names = select_lf_names(self.path, names, lf_names)
        if not meta and id_cols is None:   # as read_votes, from the row-group statistics
            self._note_vote_like_ids(id_columns, names)
        if K is None:  # as read_votes: the largest vote over the LF columns read
            maxima, minima = self._vote_range(VotesLayout(str(self.path), tuple(names), id_columns, 2, classes))
            check_plain_vote_maxima(self.path, maxima, minima, self.n_rows, files=self.files)
            K = max(2, max(maxima.values(), default=-1) + 1)
        self.layout = VotesLayout(str(self.path), tuple(names), id_columns, int(K), classes)

    def _note_vote_like_ids(self, id_columns, lf_names) -> None:
        """A plain file's integer id column (taken by its name) that holds -1 (:func:`vote_like_id_notes`),
        an LF column named like gold labels (:func:`gold_like_lf_notes`)."""
        from .gold import VotesNote, _note

        ints = [c for c in id_columns if pa.types.is_integer(self.schema.field(c).type)]
        found = stats_vote_range(self.files, ints) if ints else None
        ranges = {c: (found[1][c], found[0][c]) for c in ints} if found else {}
        for text in vote_like_id_notes(self.path, self.schema, list(id_columns), ranges,
                                       n_rows=self.n_rows) + gold_like_lf_notes(self.path, lf_names):
            _note(text, VotesNote)

    @property
    def n_lfs(self) -> int:
        return self.layout.n_lfs

    @property
    def cardinality(self) -> int:
        return self.layout.cardinality

    @property
    def lf_names(self) -> list[str]:
        return list(self.layout.lf_names)

    @property
    def id_columns(self) -> list[str]:
        """The id columns of labels.parquet (``["row"]`` when the votes have none)."""
        return list(self.layout.id_columns) or ["row"]

    def default_block_rows(self) -> int:
        per_row = max(1, self.n_lfs) * self.layout.dtype.itemsize
        return int(min(MAX_BLOCK_ROWS, max(MIN_BLOCK_ROWS, BLOCK_BYTES // per_row)))

    def _vote_range(self, layout: VotesLayout) -> tuple[dict[str, int], dict[str, int]]:
        """Largest and smallest vote of each LF column of a plain file (max -1: no value): from the
        row-group statistics when every chunk has them, else a pass."""
        return stats_vote_range(self.files, layout.lf_names) or self._vote_range_scan(layout)

    def _vote_range_scan(self, layout: VotesLayout) -> tuple[dict[str, int], dict[str, int]]:
        hi = dict.fromkeys(layout.lf_names, -1)
        lo = dict.fromkeys(layout.lf_names, 0)
        for f in self.files:
            pf = open_parquet(f)
            try:
                for rb in pf.iter_batches(batch_size=MAX_BLOCK_ROWS, columns=list(layout.lf_names)):
                    for name, col in zip(rb.schema.names, rb.columns):
                        if len(col) and col.null_count < len(col):
                            hi[name] = max(hi[name], int(pc.max(col).as_py()))
                            lo[name] = min(lo[name], int(pc.min(col).as_py()))
            finally:
                pf.close()
        return hi, lo

    def blocks(self, block_rows: int | None = None, *, ids: bool = False, read_ahead: bool = True) -> Iterator[Block]:
        """Yield the rows in order as :class:`Block` s of at most ``block_rows`` rows (one file's
        rows at a time); ``ids``: with the id columns (as pandas, converted as read_votes does)."""
        B = int(block_rows or self.default_block_rows())
        gen = self._blocks(B, ids)
        return _read_ahead(gen, name="weaklabel-read-ahead") if read_ahead else gen

    def _blocks(self, B: int, ids: bool) -> Iterator[Block]:
        cols = list(self.layout.id_columns if ids else ()) + list(self.layout.lf_names)
        offset = 0
        for f in self.files:
            pf = open_parquet(f)
            file_row = 0
            try:
                for rb in pf.iter_batches(batch_size=B, columns=cols):
                    if rb.num_rows:
                        yield _to_block(rb, self.layout, offset, ids, f, file_row)
                        offset += rb.num_rows
                        file_row += rb.num_rows
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"{f}: read failed ({first_line(exc)})") from None
            finally:
                pf.close()

    # ------------------------------------------------------------------ sizes
    def metadata_counts(self) -> np.ndarray | None:
        """``(m, K)`` votes per LF and class as the metadata states them (``weaklabel apply``
        writes them), or ``None``."""
        return metadata_counts(self.meta, self.layout.lf_names, self.cardinality, self.n_rows)

    def nnz_estimate(self) -> tuple[int, str]:
        """Votes that are not abstains: ``(count, how)``, from the metadata's per-LF vote counts
        (exact) or from the density of the first rows (an estimate)."""
        by_name = {d.get("name"): d for d in self.meta.get("lfs", []) if isinstance(d, dict)}
        if self.meta.get("rows") == self.n_rows and all(
                isinstance(by_name.get(n, {}).get("votes"), int) for n in self.layout.lf_names):
            return sum(by_name[n]["votes"] for n in self.layout.lf_names), "metadata"
        # at most 2**16 rows and ~16 million cells: 2**16 rows of a crowd's 10,000 worker columns
        # (`weaklabel crowd`) held 6 GB to estimate the memory a fit would take
        first = next(self.blocks(max(1, min(1 << 16, (1 << 24) // max(1, self.n_lfs))), read_ahead=False), None)
        if first is None or first.n == 0:
            return 0, "sample"
        density = float(np.count_nonzero(first.L >= 0)) / first.L.size
        return int(density * self.n_rows * self.n_lfs), "sample"

    def memory_estimate(self) -> int:
        """Bytes an in-memory fit + predict of these votes takes (CSR twice while reading, the
        models' per-row arrays, probabilities and the labels table)."""
        import pyarrow.parquet as pq

        n, K = self.n_rows, self.cardinality
        nnz, _ = self.nnz_estimate()
        csr = 8 * n + (4 + self.layout.dtype.itemsize) * nnz
        ids = 0
        for f in self.files:
            md = pq.read_metadata(f)
            names = [md.schema.column(i).name for i in range(md.num_columns)]
            for g in range(md.num_row_groups):
                rg = md.row_group(g)
                ids += sum(rg.column(names.index(c)).total_uncompressed_size for c in self.layout.id_columns)
        return 2 * csr + n * (40 + 24 * K) + 3 * ids


def available_memory() -> int:
    """Memory available to a new process (Linux ``MemAvailable``; else physical memory)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def should_stream(source: VotesSource, fraction: float = 0.5) -> tuple[bool, int, int]:
    """``(stream?, estimated bytes in memory, available bytes)``: stream when an in-memory fit
    would take more than ``fraction`` of the available memory."""
    need, avail = source.memory_estimate(), available_memory()
    return need > fraction * avail, need, avail
