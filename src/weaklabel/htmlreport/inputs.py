"""Inputs of ``weaklabel report`` read block by block: the votes (a file or a matrix), the rows of
the labels and data files, and gold labels lined up with the votes. Split from :mod:`.collect`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..votes import VoteMatrix

DEFAULT_BLOCK_ROWS = 1 << 18
BLOCK_CELLS = 1 << 23      # default block: about 8M vote cells (rows x LFs)


def _count(value, what: str, lowest: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or int(value) < lowest:
        raise InputError(f"{what} must be an integer of at least {lowest}, got {value!r}")
    return int(value)


def check_args(votes, *, labels, data, gold, label_col, model, samples, worst, seed, block_rows):
    """The report's arguments, checked before anything is read: a one-line error for each misuse
    of the Python API (the CLI's options are typed). A negative ``block_rows`` read no block at
    all (a page of zeros for a VoteMatrix); negative ``samples``/``worst`` and a model not fitted
    crashed deep inside; a path given as a DataFrame or an array, a ``TypeError`` from ``Path``.
    Returns ``gold`` as a table: labels given as an array, list or Series are one per row (by
    position), as ``analyze(votes, y)`` takes them."""
    from ..models import BaseLabelModel

    _count(samples, "samples", 0)
    _count(worst, "worst", 0)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise InputError(f"seed must be an integer, got {seed!r}")
    if block_rows is not None:
        _count(block_rows, "block_rows", 1)
    if not isinstance(votes, (VoteMatrix, str, Path)):
        raise InputError(f"votes must be a votes.parquet path or a VoteMatrix, got {type(votes).__name__} "
                         "(for a dense array: VoteMatrix.from_dense(L, cardinality=K))")
    for name, value, what in (("labels", labels, "the labels.parquet `weaklabel fit` wrote"),
                              ("data", data, "the table file the LFs ran on")):
        if value is not None and not isinstance(value, (str, Path)):
            raise InputError(f"{name} must be a path ({what}), got {type(value).__name__}")
    if model is not None:
        if isinstance(model, BaseLabelModel):
            if not hasattr(model, "class_balance_"):
                raise InputError(f"model: {type(model).__name__} is not fitted; fit it on these votes first "
                                 "(or leave model out)")
        elif not isinstance(model, (str, Path)):
            raise InputError(f"model must be a fitted label model or a model.json path, got {type(model).__name__}")
    if gold is not None and not isinstance(gold, (str, Path, pd.DataFrame)):
        if isinstance(gold, pd.Series) or np.ndim(gold) == 1:
            gold = pd.DataFrame({label_col: pd.Series(gold).reset_index(drop=True)})
        else:
            raise InputError(f"gold must be a table path, a DataFrame or one label per row, got "
                             f"{type(gold).__name__}")
    if isinstance(gold, (str, Path)):
        from ..evaluation import check_gold_not_labels

        check_gold_not_labels(gold, label_col, labels)   # a labels file as gold: what its figures are
    return gold


def default_block_rows(m: int) -> int:
    """Rows per block: about BLOCK_CELLS vote cells, so the per-block temporaries (dense votes,
    analyze()'s per-vote arrays) stay around 100 MB whatever the LF count."""
    return int(max(4096, min(DEFAULT_BLOCK_ROWS, BLOCK_CELLS // max(m, 1))))


class _RowsReader:
    """The next ``n`` rows of a table read in batches (re-cut to the votes' blocks)."""

    def __init__(self, path: Path, columns: list[str], batch: int):
        from ..io import TableSource

        self.src = TableSource(path)
        missing = [c for c in columns if c not in self.src.columns]
        if missing:
            raise InputError(f"{path}: no column {missing[0]!r}")
        self.it = self.src.iter_batches(batch, columns)
        self.buf: list[pd.DataFrame] = []
        self.buffered = 0

    @property
    def n_rows(self) -> int:
        return int(self.src.n_rows)

    def take(self, n: int) -> pd.DataFrame:
        while self.buffered < n:
            nxt = next(self.it, None)
            if nxt is None:
                break
            self.buf.append(nxt.reset_index(drop=True))
            self.buffered += len(nxt)
        df = pd.concat(self.buf, ignore_index=True) if len(self.buf) != 1 else self.buf[0]
        head, rest = df.iloc[:n].reset_index(drop=True), df.iloc[n:].reset_index(drop=True)
        self.buf = [rest] if len(rest) else []
        self.buffered = len(rest)
        return head


def _vote_blocks(votes, block_rows: int | None):
    """``(layout info, iterator of (offset, VoteMatrix with row ids))`` for a path or a VoteMatrix."""
    if isinstance(votes, VoteMatrix):
        vm = votes
        B = int(block_rows or default_block_rows(vm.n_lfs))

        def gen():
            for s in range(0, vm.n_rows, B):
                yield s, vm.take(np.arange(s, min(vm.n_rows, s + B)))

        ids = list(vm.row_ids.columns) if vm.row_ids is not None else []
        return vm.n_rows, vm.lf_names, vm.cardinality, vm.classes, ids, gen()
    from ..votes.reader import VotesSource, block_vote_matrix

    src = VotesSource(votes)

    def gen():
        for block in src.blocks(block_rows or default_block_rows(src.n_lfs), ids=True):
            yield block.offset, block_vote_matrix(block, src.layout)

    classes = list(src.layout.classes) if src.layout.classes else None
    return src.n_rows, src.lf_names, src.cardinality, classes, list(src.layout.id_columns), gen()


def _same_file(a, b) -> bool:
    """Whether two inputs (paths; a DataFrame is none) are one file: ``--gold`` the ``--data`` file."""
    import os

    if not isinstance(a, (str, Path)) or not isinstance(b, (str, Path)):
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:   # a glob, a file that does not exist: the reading says so
        return Path(a).absolute() == Path(b).absolute()


def _first_other_id(a: pd.Series, b: pd.Series) -> int | None:
    """The first position where two id columns differ (a null id equals a null id: ``fit`` writes
    the votes' null ids as they are), or ``None``."""
    x, y = a.to_numpy(), b.to_numpy()
    nx, ny = pd.isna(x), pd.isna(y)
    both = ~nx & ~ny
    diff = nx != ny
    diff[both] = np.asarray(x[both] != y[both], dtype=bool)
    hit = np.flatnonzero(diff)
    return int(hit[0]) if hit.size else None


class _Gold:
    """Gold labels for each block: by id columns (when both tables have them) or by position,
    as :func:`weaklabel.gold.align_gold` decides for the whole matrix."""

    def __init__(self, gold, label_col: str, ids: list[str], n: int, K: int, classes, rows_where: str = "the votes"):
        from ..io import TableSource, read_table

        self.rows_where = rows_where
        if isinstance(gold, pd.DataFrame):
            self.table, self.where = gold, "gold"
        else:   # a path, or the --data file's source already open (a JSON Lines file is scanned when opened)
            src = gold if isinstance(gold, TableSource) else TableSource(gold)
            self.where = str(gold.path if isinstance(gold, TableSource) else gold)
            if label_col not in src.columns:
                raise InputError(f"{self.where}: no label column {label_col!r} "
                                 f"(columns: {', '.join(map(str, src.columns))})")
            # the id and label columns only: --gold is often the data file, its text not needed here
            self.table = read_table(src, [c for c in ids if c in src.columns] + [label_col], id_cols=ids)
        self.label_col, self.K, self.classes = label_col, K, classes
        if label_col not in self.table.columns:
            raise InputError(f"{self.where}: no label column {label_col!r} "
                             f"(columns: {', '.join(map(str, self.table.columns))})")
        from ..votes.gold import check_id_columns

        check_id_columns(ids, self.table.columns, self.where, rows_where)   # some id columns: neither match holds
        self.by_id = bool(ids) and all(c in self.table.columns for c in ids)
        self.ids = ids
        self.n = n
        self.all = None
        self.label_ids = None
        if not self.by_id:
            from ..evaluation import gold_for_rows

            self.all = gold_for_rows(None, n, K, classes, self.table, label_col, where=self.where)
        else:
            # the label column is read once (not per block: its notes, e.g. "-1 read as no
            # label", are given once, and digit class names are decided on the whole column)
            from ..votes.gold import labels_to_ids

            self.label_ids = labels_to_ids(self.table[label_col], K, classes, f"{self.where}, column {label_col!r}")

    def block(self, offset: int, bvm: VoteMatrix) -> np.ndarray:
        if self.all is not None:
            return self.all[offset:offset + bvm.n_rows]
        from ..votes.gold import align_gold
        from ..votes.row_ids import same_ids

        if len(self.table) == self.n:
            # the votes' own data file (null or repeated ids included) is matched by position, as
            # align_gold decides on the whole matrix; decided here block by block on the same ids
            keys = self.table[self.ids].iloc[offset:offset + bvm.n_rows].reset_index(drop=True)
            if same_ids(keys, bvm.row_ids[self.ids].reset_index(drop=True)):
                return np.asarray(self.label_ids[offset:offset + bvm.n_rows])
        return align_gold(bvm, self.table, self.label_col, id_cols=self.ids, where=self.where,
                          label_ids=self.label_ids, rows_where=self.rows_where, row_offset=offset)
