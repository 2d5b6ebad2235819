"""The vote matrix: which labeling function voted which class on which row.

:class:`VoteMatrix` stores votes in CSR form (abstains are not stored), so memory is
``O(nnz)`` however many LFs there are:

* ``indptr``  int64, length ``n + 1``: row ``i``'s votes are ``indptr[i]:indptr[i+1]``;
* ``indices`` int32: the LF (column) of each vote, increasing within a row;
* ``votes``   int8 (``K <= 127``) or int16: the class id ``0..K-1`` of each vote.

Dense ``(n, m)`` int arrays with ``-1`` for abstain convert both ways for small data (checked
by :mod:`.dense`). On disk a
vote matrix is ``votes.parquet`` (see :mod:`weaklabel.io` and DESIGN.md): one int8/int16 column
per LF, the row-id columns, and JSON metadata under the footer key ``weaklabel``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..dtypes import MAX_CARDINALITY, vote_dtype
from ..errors import InputError
from ..lf import ABSTAIN
from .class_names import class_key
from .dense import checked_dense, dense_to_csr, duplicate_vote, frame_has_default_columns, infer_cardinality, is_frame

__all__ = ["VoteMatrix", "check_labels", "concat_csr", "dense_to_csr", "vote_dtype"]

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


def _too_many_classes(cardinality: int) -> InputError:
    return InputError(f"vote matrix: cardinality {cardinality} is above the limit of "
                      f"{MAX_CARDINALITY} classes (votes are stored as int16)")


def check_description(cardinality: int, lf_names: Sequence[str], classes, n: int, row_ids) -> None:
    """What describes the votes (K, LF names, class names, row ids) is consistent: cheap, no
    pass over the votes. Duplicate LF names would make ``select_lfs`` and the votes file
    ambiguous; a class list or row ids of the wrong length would mislabel rows."""
    if cardinality < 2:
        given = f" (classes {list(classes)})" if classes is not None and len(classes) == cardinality else ""
        raise InputError(f"vote matrix: cardinality must be at least 2, got {cardinality}{given}; "
                         "a label model tells at least two classes apart")
    if cardinality > MAX_CARDINALITY:
        raise _too_many_classes(cardinality)
    seen: set[str] = set()
    for name in lf_names:
        if name in seen:
            raise InputError(f"vote matrix: LF name {name!r} is used twice; LF names must be unique")
        seen.add(name)
    if row_ids is not None and not is_frame(row_ids):   # take() and to_parquet() read it as one
        hint = " (a Series s: s.to_frame())" if hasattr(row_ids, "to_frame") else ""
        raise InputError(f"vote matrix: row_ids must be a pandas DataFrame of id columns, e.g. "
                         f"pd.DataFrame({{'id': ids}}){hint}, got {type(row_ids).__name__}")
    if row_ids is not None and len(row_ids) != n:
        raise InputError(f"vote matrix: {len(row_ids)} row ids for {n} rows (row_ids needs one row per vote row)")
    if classes is not None and len(classes) != cardinality:
        raise InputError(f"vote matrix: {len(classes)} class names {list(classes)} for cardinality {cardinality}")
    if classes is not None:
        keys: set[str] = set()
        for c in classes:
            if c is None or not str(c).strip():   # a None or empty name labels nothing
                raise InputError(f"vote matrix: class names must be non-empty, got {c!r} in classes {list(classes)}")   # two classes of one name: gold labels and label names would be ambiguous
            if class_key(c) in keys:
                raise InputError(f"vote matrix: class {str(c)!r} appears more than once in classes {list(classes)}; "
                                 "class names must be distinct (compared without surrounding spaces, in Unicode NFC)")
            keys.add(class_key(c))


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
        if self.cardinality > MAX_CARDINALITY:   # checked always: the cast below would wrap votes
            raise _too_many_classes(self.cardinality)
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
        """Build from a dense ``(n, m)`` int array (or DataFrame) with ``-1`` for abstain.

        ``cardinality`` defaults to ``len(classes)``, else ``max(L) + 1`` (at least 2). Anything
        that is not an integer vote (NaN, NA, strings, a wrapped ``-1`` in an unsigned array, a
        vote above the class limit) is an :class:`InputError` naming the first bad cell, and so
        are duplicate LF names and ``classes``/``row_ids`` of the wrong length.

        A DataFrame's column names are the LF names (unless ``lf_names`` is given, or the columns
        are pandas' default ``0 .. m-1``), so that a model fitted on it reads another frame by
        column name, as it reads a VoteMatrix.
        """
        shown = list(lf_names) if lf_names is not None else None
        if shown is not None and np.ndim(L) == 2 and len(shown) != np.shape(L)[1]:
            raise InputError(f"vote matrix: {len(shown)} LF names for {np.shape(L)[1]} columns")
        if shown is None and is_frame(L):
            shown = [str(c) for c in L.columns]   # messages name the user's columns
            if not frame_has_default_columns(L):
                # ... and so do the LF names: a model fitted on this frame reads another frame's
                # columns by name (alignment.align_lfs), not by position
                lf_names = shown
        L = checked_dense(L, shown)
        if cardinality is None:
            cardinality = len(classes) if classes is not None else infer_cardinality(L, shown)
        elif isinstance(cardinality, bool) or not isinstance(cardinality, (int, np.integer)):
            raise InputError(f"vote matrix: cardinality must be an int >= 2, got {cardinality!r}")
        names = list(lf_names) if lf_names is not None else [f"lf_{j}" for j in range(L.shape[1])]
        # the description first: a bad cardinality, names or classes say so before any vote is converted
        check_description(int(cardinality), [str(x) for x in names], classes, L.shape[0], row_ids)
        indptr, indices, votes = dense_to_csr(L, cardinality, shown)
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
        self._validate_arrays()
        check_description(self.cardinality, self.lf_names, self.classes, self.n_rows, self.row_ids)

    def _validate_arrays(self) -> None:
        """The CSR arrays agree with each other, the LF count and the cardinality."""
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
        dup = duplicate_vote(self.indptr, self.indices)
        if dup is not None:
            raise InputError(f"vote matrix: row {dup[0]} holds two votes of LF {self.lf_names[dup[1]]!r}; "
                             "an LF votes at most once a row")

    @classmethod
    def from_answers(cls, answers, item: str | None = None, worker: str | None = None, label: str | None = None,
                     **options) -> "VoteMatrix":
        """Crowd answers in long form (a DataFrame, one row per answer: item, worker, label) as a
        vote matrix: items are rows, workers LFs, classes named by the label values
        (:func:`weaklabel.votes.answers.votes_from_answers`, which also returns a summary)."""
        from .answers import votes_from_answers

        return votes_from_answers(answers, item, worker, label, **options)[0]

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
        """A new VoteMatrix with the given rows (positions, a boolean mask or a slice), in that order."""
        rows = self._row_positions(rows)
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

    def _row_positions(self, rows) -> np.ndarray:
        """Rows as int64 positions in ``0..n-1``: from a slice, a boolean mask of length n, or
        positions (negative ones count from the end, as in numpy). Anything else is refused
        rather than truncated (float positions) or failing inside numpy."""
        if isinstance(rows, slice):
            return np.arange(self.n_rows, dtype=np.int64)[rows]
        rows = np.asarray(rows)
        if rows.ndim != 1:
            raise InputError(f"take: rows must be a 1-d list of positions, a boolean mask or a slice, "
                             f"got an array of shape {rows.shape}")
        if rows.dtype == bool:
            if rows.size != self.n_rows:
                raise InputError(f"row mask has {rows.size} entries for {self.n_rows} rows")
            return np.flatnonzero(rows)
        if rows.size and rows.dtype.kind not in "iu":
            raise InputError(f"take: rows must be integer positions, a boolean mask or a slice, got dtype {rows.dtype}")
        rows = rows.astype(np.int64, copy=False)
        if rows.size and (rows.min() < -self.n_rows or rows.max() >= self.n_rows):
            bad = rows[(rows < -self.n_rows) | (rows >= self.n_rows)][0]
            raise IndexError(f"row index {bad} is out of range for {self.n_rows} rows")
        return np.where(rows < 0, rows + self.n_rows, rows)

    def _lf_positions(self, lfs: Sequence[int | str]) -> list[int]:
        """LF names or indices as column positions: unknown names are listed with some known
        ones, and an LF selected twice is refused (its name would be duplicated)."""
        if isinstance(lfs, (str, int, np.integer)):
            lfs = [lfs]
        where = {name: j for j, name in enumerate(self.lf_names)}
        unknown = [x for x in lfs if isinstance(x, str) and x not in where]
        if unknown:
            known = ", ".join(map(repr, self.lf_names[:5])) + (", ..." if self.n_lfs > 5 else "")
            raise InputError(f"select_lfs: no LF named {', '.join(map(repr, unknown))} "
                             f"({self.n_lfs} LFs: {known or 'none'})")
        cols = []
        for x in lfs:
            if isinstance(x, str):
                cols.append(where[x])
            elif isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                raise InputError(f"select_lfs: LFs are names or column indices, got {x!r}")
            elif not -self.n_lfs <= x < self.n_lfs:
                raise InputError(f"select_lfs: LF index {x} is out of range for {self.n_lfs} LFs")
            else:
                cols.append(int(x) % self.n_lfs)
        seen: set[int] = set()
        for c in cols:
            if c in seen:
                raise InputError(f"select_lfs: LF {self.lf_names[c]!r} is selected twice")
            seen.add(c)
        return cols

    def select_lfs(self, lfs: Sequence[int | str]) -> "VoteMatrix":
        """A new VoteMatrix keeping only the given LFs (indices or names), renumbered in that order."""
        cols = self._lf_positions(lfs)
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
                     cardinality: int | None = None, lf_names: Sequence[str] | None = None) -> "VoteMatrix":
        """Read ``votes.parquet`` (see :func:`weaklabel.votes.file.read_votes`)."""
        from .file import read_votes

        return read_votes(path, id_cols=id_cols, cardinality=cardinality, lf_names=lf_names)
