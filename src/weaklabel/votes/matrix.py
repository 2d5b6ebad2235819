"""The vote matrix: which labeling function voted which class on which row.

:class:`VoteMatrix` stores votes in CSR form (abstains are not stored), so memory is
``O(nnz)`` however many LFs there are:

* ``indptr``  int64, length ``n + 1``: row ``i``'s votes are ``indptr[i]:indptr[i+1]``;
* ``indices`` int32: the LF (column) of each vote, increasing within a row;
* ``votes``   int8 (``K <= 127``) or int16: the class id ``0..K-1`` of each vote.

Dense ``(n, m)`` int arrays with ``-1`` for abstain convert both ways for small data. On disk a
vote matrix is ``votes.parquet`` (see :mod:`weaklabel.io` and DESIGN.md): one int8/int16 column
per LF, the row-id columns, and JSON metadata under the footer key ``weaklabel``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..dtypes import vote_dtype
from ..errors import InputError
from ..lf import ABSTAIN

_DENSE_CHUNK = 65536  # rows converted at a time, to bound temporaries


def dense_to_csr(dense: np.ndarray, cardinality: int,
                 lf_names: Sequence[str] | None = None, where: str = "vote matrix"):
    """Convert a dense ``(n, m)`` int array (``-1`` = abstain) into CSR arrays.

    Values outside ``-1..K-1`` raise :class:`InputError` naming the row and LF.
    """
    dense = np.asarray(dense)
    if dense.ndim != 2:
        raise InputError(f"{where}: expected a 2-d array of votes, got shape {dense.shape}")
    if dense.dtype.kind == "b" or dense.dtype.kind not in "iu":
        if dense.dtype.kind == "f" and dense.size and np.all(np.isfinite(dense)) \
                and np.all(dense == np.round(dense)):
            dense = dense.astype(np.int64)
        else:
            raise InputError(f"{where}: votes must be integers, got dtype {dense.dtype}")
    n, m = dense.shape
    vdt = vote_dtype(cardinality)
    indptr = np.zeros(n + 1, dtype=np.int64)
    idx_parts, vote_parts = [], []
    for start in range(0, n, _DENSE_CHUNK):
        block = dense[start:start + _DENSE_CHUNK]
        bad = (block < ABSTAIN) | (block >= cardinality)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            name = lf_names[c] if lf_names is not None else f"column {c}"
            raise InputError(
                f"{where}: row {start + r}, LF {name!r}: vote {block[r, c]} is outside -1..{cardinality - 1} "
                f"(cardinality {cardinality})")
        mask = block != ABSTAIN
        indptr[start + 1:start + 1 + block.shape[0]] = np.count_nonzero(mask, axis=1)
        _, cols = np.nonzero(mask)
        idx_parts.append(cols.astype(np.int32))
        vote_parts.append(block[mask].astype(vdt))
    np.cumsum(indptr, out=indptr)
    indices = np.concatenate(idx_parts) if idx_parts else np.zeros(0, np.int32)
    votes = np.concatenate(vote_parts) if vote_parts else np.zeros(0, vdt)
    return indptr, indices, votes


def concat_csr(parts, cardinality: int):
    """Stack CSR row blocks ``[(indptr, indices, votes), ...]`` into one CSR triple.

    When ``parts`` is a list it is emptied as the blocks are copied, so peak memory is the result
    plus one block rather than twice the result.
    """
    vdt = vote_dtype(cardinality)
    if not parts:
        return np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, vdt)
    if len(parts) == 1:
        ip, idx, v = parts[0]
        return ip, idx.astype(np.int32, copy=False), v.astype(vdt, copy=False)
    n = sum(p[0].size - 1 for p in parts)
    nnz = sum(int(p[0][-1]) for p in parts)
    indptr = np.empty(n + 1, dtype=np.int64)
    indices = np.empty(nnz, dtype=np.int32)
    votes = np.empty(nnz, dtype=vdt)
    indptr[0] = 0
    row, offset = 0, 0
    consume = isinstance(parts, list)
    seq = parts if not consume else parts[:]
    if consume:
        parts.clear()
    for i in range(len(seq)):
        ip, idx, v = seq[i]
        k, c = ip.size - 1, int(ip[-1])
        indptr[row + 1:row + 1 + k] = ip[1:] + offset
        indices[offset:offset + c] = idx
        votes[offset:offset + c] = v
        row += k
        offset += c
        if consume:
            seq[i] = None  # free the block
    return indptr, indices, votes


def check_labels(y, n_rows: int, cardinality: int, what: str = "gold labels") -> np.ndarray:
    """Gold labels aligned with ``n_rows`` rows: integers in ``-1..K-1`` (``-1`` = unknown)."""
    y = np.asarray(y)
    if y.shape != (n_rows,):
        raise InputError(f"{what}: expected one label per row ({n_rows}), got shape {y.shape}")
    if y.dtype.kind not in "iu":
        raise InputError(f"{what} must be integers (-1 = unknown), got dtype {y.dtype}")
    y = y.astype(np.int64)
    bad = (y < -1) | (y >= cardinality)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{what}: row {i} has label {y[i]} outside -1..{cardinality - 1}")
    return y


class VoteMatrix:
    """Sparse votes of ``m`` labeling functions on ``n`` rows, with LF names and cardinality.

    Parameters
    ----------
    indptr, indices, votes:
        CSR arrays (see module docstring).
    lf_names:
        One name per LF column; defaults to ``lf_0 .. lf_{m-1}``.
    cardinality:
        Number of classes K (classes are ``0..K-1``).
    row_ids:
        Optional pandas DataFrame (``n`` rows) of id columns carried through to the outputs.
    classes:
        Optional class names (length K).
    metadata:
        The JSON metadata read from ``votes.parquet`` (empty for in-memory matrices).
    """

    __slots__ = ("indptr", "indices", "votes", "lf_names", "cardinality", "row_ids",
                 "classes", "metadata")

    def __init__(self, indptr, indices, votes, lf_names: Sequence[str] | None = None, *,
                 n_lfs: int | None = None, cardinality: int, row_ids=None,
                 classes: Sequence[str] | None = None, metadata: dict | None = None,
                 validate: bool = True):
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(indices, dtype=np.int32)
        self.cardinality = int(cardinality)
        self.votes = np.ascontiguousarray(votes, dtype=vote_dtype(self.cardinality))
        if lf_names is None:
            if n_lfs is None:
                n_lfs = int(self.indices.max()) + 1 if self.indices.size else 0
            lf_names = [f"lf_{j}" for j in range(n_lfs)]
        self.lf_names = [str(x) for x in lf_names]
        self.row_ids = row_ids
        self.classes = list(classes) if classes is not None else None
        self.metadata = dict(metadata or {})
        if validate:
            self._validate()

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_dense(cls, L, cardinality: int | None = None, lf_names: Sequence[str] | None = None,
                   row_ids=None, classes: Sequence[str] | None = None) -> "VoteMatrix":
        """Build from a dense ``(n, m)`` int array with ``-1`` for abstain.

        ``cardinality`` defaults to ``max(L) + 1`` (at least 2).
        """
        L = np.asarray(L)
        if L.ndim != 2:
            raise InputError(f"vote matrix: expected a 2-d array, got shape {L.shape}")
        if cardinality is None:
            if classes is not None:
                cardinality = len(classes)
            else:
                cardinality = max(2, int(L.max()) + 1 if L.size else 2)
        if lf_names is not None and len(lf_names) != L.shape[1]:
            raise InputError(f"vote matrix: {len(lf_names)} LF names for {L.shape[1]} columns")
        indptr, indices, votes = dense_to_csr(L, cardinality, lf_names)
        names = list(lf_names) if lf_names is not None else [f"lf_{j}" for j in range(L.shape[1])]
        return cls(indptr, indices, votes, names, cardinality=cardinality, row_ids=row_ids,
                   classes=classes, validate=False)

    @classmethod
    def coerce(cls, L, cardinality: int | None = None) -> "VoteMatrix":
        """Accept a VoteMatrix as is, or build one from a dense array (used by every model)."""
        if isinstance(L, VoteMatrix):
            if cardinality is not None and cardinality != L.cardinality:
                raise InputError(
                    f"vote matrix has cardinality {L.cardinality} but {cardinality} was expected")
            return L
        return cls.from_dense(L, cardinality=cardinality)

    def _validate(self) -> None:
        n = self.indptr.size - 1
        if n < 0 or self.indptr[0] != 0:
            raise InputError("vote matrix: indptr must start at 0")
        if np.any(np.diff(self.indptr) < 0):
            raise InputError("vote matrix: indptr must be non-decreasing")
        if self.indptr[-1] != self.indices.size or self.indices.size != self.votes.size:
            raise InputError("vote matrix: indptr[-1], len(indices) and len(votes) disagree")
        m = len(self.lf_names)
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= m):
            raise InputError(f"vote matrix: LF index outside 0..{m - 1}")
        if self.votes.size and (self.votes.min() < 0 or self.votes.max() >= self.cardinality):
            raise InputError(f"vote matrix: a stored vote is outside 0..{self.cardinality - 1}")
        if self.cardinality < 2:
            raise InputError(f"vote matrix: cardinality must be at least 2, got {self.cardinality}")
        if len(set(self.lf_names)) != m:
            raise InputError("vote matrix: LF names must be unique")
        if self.row_ids is not None and len(self.row_ids) != n:
            raise InputError(f"vote matrix: {len(self.row_ids)} row ids for {n} rows")
        if self.classes is not None and len(self.classes) != self.cardinality:
            raise InputError(
                f"vote matrix: {len(self.classes)} class names for cardinality {self.cardinality}")

    # ----------------------------------------------------------------- shape and views
    @property
    def n_rows(self) -> int:
        return self.indptr.size - 1

    @property
    def n_lfs(self) -> int:
        return len(self.lf_names)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_rows, self.n_lfs)

    @property
    def nnz(self) -> int:
        return int(self.indices.size)

    def __len__(self) -> int:
        return self.n_rows

    def __repr__(self) -> str:
        return (f"VoteMatrix(n_rows={self.n_rows}, n_lfs={self.n_lfs}, cardinality={self.cardinality}, "
                f"nnz={self.nnz})")

    def _repr_html_(self) -> str:
        from ..htmlreport.notebook import votes_html

        return votes_html(self)

    def votes_per_row(self) -> np.ndarray:
        """Number of non-abstain votes in each row (int64, length n)."""
        return np.diff(self.indptr)

    def row_of_vote(self) -> np.ndarray:
        """Row index of each stored vote (int64, length nnz)."""
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), self.votes_per_row())

    def lf_class_counts(self) -> np.ndarray:
        """``(m, K)`` int64: how many times each LF voted each class."""
        key = self.indices.astype(np.int64) * self.cardinality + self.votes
        return np.bincount(key, minlength=self.n_lfs * self.cardinality).reshape(self.n_lfs, self.cardinality)

    def to_dense(self, dtype=None) -> np.ndarray:
        """Dense ``(n, m)`` array with ``-1`` for abstain (use only when ``n * m`` fits in memory)."""
        dt = np.dtype(dtype) if dtype is not None else self.votes.dtype
        out = np.full(self.shape, ABSTAIN, dtype=dt)
        out[self.row_of_vote(), self.indices] = self.votes
        return out

    def take(self, rows) -> "VoteMatrix":
        """A new VoteMatrix with the given rows (positions or a boolean mask), in that order."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            if rows.size != self.n_rows:
                raise InputError(f"row mask has {rows.size} entries for {self.n_rows} rows")
            rows = np.flatnonzero(rows)
        rows = rows.astype(np.int64, copy=False)
        if rows.size and (rows.min() < -self.n_rows or rows.max() >= self.n_rows):
            raise IndexError("row index out of range")
        rows = np.where(rows < 0, rows + self.n_rows, rows)
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        indptr = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        # gather positions: for each selected row, starts[r] + 0..len-1
        offsets = np.arange(indptr[-1], dtype=np.int64) - np.repeat(indptr[:-1], lengths)
        pos = np.repeat(starts, lengths) + offsets
        row_ids = None
        if self.row_ids is not None:
            row_ids = self.row_ids.iloc[rows].reset_index(drop=True)
        return VoteMatrix(indptr, self.indices[pos], self.votes[pos], self.lf_names,
                          cardinality=self.cardinality, row_ids=row_ids, classes=self.classes,
                          metadata=self.metadata, validate=False)

    def select_lfs(self, lfs: Sequence[int | str]) -> "VoteMatrix":
        """A new VoteMatrix keeping only the given LFs (indices or names), renumbered in that order."""
        cols = [self.lf_names.index(x) if isinstance(x, str) else int(x) for x in lfs]
        mapping = np.full(self.n_lfs, -1, dtype=np.int64)
        mapping[cols] = np.arange(len(cols))
        new_col = mapping[self.indices]
        keep = new_col >= 0
        counts = np.bincount(self.row_of_vote()[keep], minlength=self.n_rows)
        indptr = np.zeros(self.n_rows + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        idx, v = new_col[keep], self.votes[keep]
        if len(cols) > 1 and np.any(np.diff(cols) < 0):  # reordered: sort within rows
            row = np.repeat(np.arange(self.n_rows), counts)
            order = np.lexsort((idx, row))
            idx, v = idx[order], v[order]
        return VoteMatrix(indptr, idx.astype(np.int32), v, [self.lf_names[c] for c in cols],
                          cardinality=self.cardinality, row_ids=self.row_ids, classes=self.classes,
                          validate=False)

    def equals(self, other: "VoteMatrix") -> bool:
        """Same votes, LF names and cardinality (row ids are not compared)."""
        return (self.cardinality == other.cardinality and self.lf_names == other.lf_names
                and np.array_equal(self.indptr, other.indptr)
                and np.array_equal(self.indices, other.indices)
                and np.array_equal(self.votes, other.votes))

    # ----------------------------------------------------------------- Parquet I/O
    def to_parquet(self, path: str | Path, *, force: bool = False, metadata: dict | None = None) -> None:
        """Write ``votes.parquet`` atomically (see :func:`weaklabel.votes.file.write_votes`)."""
        from .file import write_votes

        write_votes(self, path, force=force, metadata=metadata)

    @classmethod
    def read_parquet(cls, path: str | Path, *, id_cols: Sequence[str] | None = None,
                     cardinality: int | None = None) -> "VoteMatrix":
        """Read ``votes.parquet`` (see :func:`weaklabel.votes.file.read_votes`)."""
        from .file import read_votes

        return read_votes(path, id_cols=id_cols, cardinality=cardinality)
