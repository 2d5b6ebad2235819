"""Label-model statistics of a votes file read block by block: fits in bounded memory.

A label model's ``fit`` only needs row sums of the votes (:mod:`weaklabel.models.stats`), so the
votes never have to be in memory at once. :class:`StreamingVoteStats` reads the votes with a
:class:`~weaklabel.votes.reader.VotesSource` (dense ``(m, n)`` row blocks) and computes every
statistic with the dense-block Numba kernels of :mod:`weaklabel.models.kernels`, adding the
blocks' results up in file order (deterministic). One EM iteration is one pass over the file:
memory is one or two blocks (about 64 MB of votes each by default) whatever the number of rows.
:func:`write_labels_stream` predicts block by block into labels.parquet (atomic; the one label
writer of :mod:`weaklabel.fit.labels`), with the random tie-breaks of a whole-matrix prediction.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import LABELS_FORMAT, atomic_output, check_metadata_counts, check_metadata_rows
from ..models.stats import error_pair_block, n_blocks, sample_block, share_block
from ..votes.reader import Block, VotesSource, block_vote_matrix, check_bad
from .labels import LabelBlock, block_labels, label_meta, votes_id_types, write_label_blocks
from .partitioned import PartitionedVoteStats, em_tables, no_labels, pair_blocks  # noqa: F401 (old names)


# --------------------------------------------------------------------------- statistics
class StreamingVoteStats(PartitionedVoteStats):
    """:class:`~weaklabel.models.stats.VoteStats` of a votes file, re-read block by block on
    every pass (an EM iteration is one pass). Vote counts are collected on the first pass of any
    kind and the co-occurrence matrix is cached; ``passes`` counts the passes made.

    ``progress``: optional object with ``start(label, total_rows)`` and ``advance(rows)``.
    """

    def __init__(self, source: VotesSource | str | Path, *, block_rows: int | None = None, progress=None,
                 read_ahead: bool = True):
        self.source = source if isinstance(source, VotesSource) else VotesSource(source)
        self.layout = self.source.layout
        self.n_rows, self.n_lfs, self.cardinality = self.source.n_rows, self.source.n_lfs, self.source.cardinality
        self.lf_names = self.source.lf_names
        self.block_rows = int(block_rows or self.source.default_block_rows())
        if self.block_rows < 1:
            raise InputError(f"block rows must be at least 1, got {self.block_rows}")
        self.progress = progress
        self.read_ahead = read_ahead
        self.passes = 0
        # votes per LF and class: the metadata's (checked against the data on the first pass)
        check_metadata_rows(self.source.path, self.source.meta, self.n_rows)
        self._counts: np.ndarray | None = self.source.metadata_counts()
        self._uncovered: int | None = None
        self._pairs: np.ndarray | None = None

    def _pass(self, label: str) -> Iterator[Block]:
        """One pass over the votes; the first pass also counts votes per LF and uncovered rows."""
        from ..models import kernels

        self.passes += 1
        if self.progress is not None:
            self.progress.start(f"pass {self.passes}: {label}", self.n_rows)
        scan = self._uncovered is None
        counts = np.zeros((self.n_lfs, self.cardinality), dtype=np.int64)
        uncovered = 0
        rows = 0
        for block in self.source.blocks(self.block_rows, read_ahead=self.read_ahead):
            if scan:
                c, per_row, bad = kernels.scan_dense(block.L, self.cardinality)
                check_bad(int(bad), block, self.layout)
                counts += c
                uncovered += int(np.count_nonzero(per_row == 0))
            yield block
            rows += block.n
            if self.progress is not None:
                self.progress.advance(block.n)
        if rows != self.n_rows:
            raise InputError(f"{self.source.path}: read {rows} rows but its metadata says {self.n_rows}; "
                             "did the file change during the fit?")
        if scan:
            check_metadata_counts(self.source.path, self._counts, counts)
            self._counts, self._uncovered = counts, uncovered

    def results(self, what: str, label: str, **args) -> Iterator:
        from ..models import kernels

        for block in self._pass(label):
            if what == "em":
                s, t, l_, bad = kernels.em_pass_dense(block.L, args["Dflat"], args["prior_w"], args["base"],
                                                       args["base0"], n_blocks(block.L.size))
                check_bad(int(bad), block, self.layout)
                yield s, t, l_
            elif what == "pairs":
                o, bad = kernels.pair_counts_dense(block.L, self.cardinality,
                                                    pair_blocks(block.L.size, self.n_lfs * self.cardinality))
                check_bad(int(bad), block, self.layout)
                yield o
            else:
                vm = block_vote_matrix(block, self.layout)
                if what == "shares":
                    yield share_block(vm)
                elif what == "error_pairs":
                    yield error_pair_block(vm, block.offset, args["step"], args["D"], args["base"], args["sources"],
                                           args["prior_w"])
                else:
                    yield sample_block(vm, block.offset, args["step"])

    def _scan(self) -> None:
        if self._uncovered is None:
            for _ in self._pass("counting votes"):
                pass

    def lf_counts(self):
        if self._counts is None:
            self._scan()
        return self._counts

    def n_uncovered(self):
        self._scan()
        return int(self._uncovered)


# --------------------------------------------------------------------------- labels
def write_labels_stream(model, source: VotesSource, path: str | Path, *, fill_unlabeled: str = "none",
                        ties: str | None = None, force: bool = False, extra_metadata: dict | None = None,
                        block_rows: int | None = None, progress=None, read_ahead: bool = True, kept=None,
                        drop_unlabeled: bool = False) -> dict:
    """Predict block by block into labels.parquet (atomic; bounded memory). The result equals
    :func:`weaklabel.fit.labels.write_model_labels` on the whole vote matrix, row for row.
    ``kept``: the ``--keep-cols`` table, one row per row of the votes (:mod:`weaklabel.fit.keep`)."""
    layout = source.layout
    K = layout.cardinality

    def blocks() -> Iterator[LabelBlock]:
        skip = (0, 0)
        for block in source.blocks(block_rows, ids=True, read_ahead=read_ahead):
            vm = block_vote_matrix(block, layout)
            proba, label, draws = block_labels(model, vm, fill_unlabeled, ties, skip)
            skip = (skip[0] + draws[0], skip[1] + draws[1])
            yield LabelBlock(block.ids_table(), proba, label,
                             kept.slice(block.offset, block.n) if kept is not None else None, draws[0])
            if progress is not None:
                progress.advance(block.n)

    if progress is not None:
        progress.start("writing labels", source.n_rows)
    empty = LabelBlock(Block(0, np.zeros((layout.n_lfs, 0), layout.dtype), _empty_ids(source)).ids_table(),
                       np.zeros((0, K)), np.zeros(0, dtype=np.int64), kept.slice(0, 0) if kept is not None else None)
    with atomic_output(path, force, replace_dataset=True, dataset_formats=(LABELS_FORMAT,)) as tmp:
        res = write_label_blocks(tmp, blocks(), cardinality=K, classes=layout.classes, id_columns=source.id_columns,
                                 row_is_id=list(layout.id_columns) == ["row"],
                                 meta=label_meta(model, fill_unlabeled, extra_metadata),
                                 drop_unlabeled=drop_unlabeled, empty=empty,
                                 id_types=votes_id_types(source.path, layout.id_columns))
    return res


def _empty_ids(source: VotesSource) -> pd.DataFrame | None:
    if not source.layout.id_columns:
        return None
    return source.schema.empty_table().select(list(source.layout.id_columns)).to_pandas()
