"""Fit label models and predict on a Dask cluster: ``weaklabel fit/predict ... --engine dask``.

The votes (a Parquet file, folder or glob) are cut into partitions of ``partition_rows`` rows of
a file, as ``apply --engine dask`` cuts its input (:func:`weaklabel._dask.plan_pieces`).
Each partition is read and converted ONCE, on a worker, into compact CSR arrays that stay in that
worker's memory for the whole fit: int32 row pointers and one code ``j*K + v`` per vote (uint8
while m K <= 256: one byte per vote). :class:`DaskVoteStats` then answers the models'
:class:`~weaklabel.models.stats.VoteStats` questions by running the local Numba kernels on every
partition where it lives and adding the partitions' results up on the client in partition order
(deterministic; equal to the single-machine statistics up to floating-point summation order).
One EM iteration is one task per partition; only the (m K, K) tables and sums travel.

Labels are predicted on the workers from the fitted model's JSON (``to_dict`` / ``from_dict``)
and written by them as a folder of part files, one per partition, plus ``_common_metadata``
(atomic, like the apply engine's output). Random tie-breaks are those of a single-machine
prediction: a first round counts each partition's random draws, a second one writes with the
draws of the partitions before it skipped.

Like :mod:`weaklabel.apply.dask_runner`, the votes and the output's folder must be at the same path on
the client and on every worker. This module imports Dask; nothing else in weaklabel does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._dask import DEFAULT_PARTITION_ROWS, Piece, check_workers, gather_in_order, part_file, plan_pieces, require_dask
from ..errors import InputError, WeaklabelError
from ..io import (LABELS_FORMAT, atomic_output, check_metadata_counts, check_metadata_rows, ids_table, labels_metadata,
                  part_name, write_dataset_metadata)
from ..models.stats import (error_pair_block, n_blocks, sample_block, share_block)
from ..votes.reader import VotesLayout, VotesSource, check_bad, read_ids, read_rows_block
from ..votes import VoteMatrix
from .labels import LabelBlock, block_draws, block_labels, label_meta, votes_id_types, write_label_blocks
from .partitioned import PartitionedVoteStats, pair_blocks


# --------------------------------------------------------------------------- worker side
@dataclass
class VotesPartition:
    """One partition's votes as code CSR (one code ``j*K + v`` per vote), held in a worker's memory."""

    piece: Piece
    indptr: np.ndarray          # int32 (int64 for huge partitions)
    codes: np.ndarray           # uint8 when m K <= 256, else uint16 / int32
    cardinality: int
    counts: np.ndarray          # (m, K) votes per LF and class
    uncovered: int
    error: WeaklabelError | None = None

    @property
    def rows(self) -> int:
        return self.indptr.size - 1

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.codes.nbytes + self.counts.nbytes)

    def vote_matrix(self, layout: VotesLayout, row_ids=None) -> VoteMatrix:
        """The partition as a VoteMatrix (decoded; for the models' ``predict_proba``)."""
        K = self.cardinality
        return VoteMatrix(self.indptr, (self.codes // K).astype(np.int32), (self.codes % K).astype(layout.dtype),
                          list(layout.lf_names), cardinality=K, row_ids=row_ids,
                          classes=list(layout.classes) if layout.classes else None, validate=False)


def code_dtypes(n_codes: int, nnz_max: int):
    """``(indptr dtype, code dtype)``: the narrowest that hold ``nnz_max`` votes and ``n_codes`` codes."""
    codes = np.uint8 if n_codes <= 256 else (np.uint16 if n_codes <= 65536 else np.int32)
    indptr = np.int32 if nnz_max < 2**31 - 1 else np.int64
    return indptr, codes


def load_partition(piece: Piece, layout: VotesLayout) -> VotesPartition:
    """Read a partition on a worker and convert it to code CSR (kept in the worker's memory).
    A user-facing failure (a bad vote, an unreadable file) is kept in ``error`` for the client."""
    from ..models import kernels

    m, K = layout.n_lfs, layout.cardinality
    try:
        block = read_rows_block(piece.file, piece.start, piece.stop, piece.offset, layout)
        counts, per_row, bad = kernels.scan_dense(block.L, K)
        check_bad(int(bad), block, layout)
        ptr_t, code_t = code_dtypes(m * K, block.n * m)
        indptr = np.zeros(block.n + 1, dtype=ptr_t)
        np.cumsum(per_row, out=indptr[1:])
        nnz = int(indptr[-1])
        codes = np.empty(nnz + 1, dtype=code_t)  # + the kernel's spare slot
        kernels.dense_to_codes_fill(block.L, K, indptr, codes)
        del block
        return VotesPartition(piece, indptr, codes[:nnz].copy(), K, counts, int(np.count_nonzero(per_row == 0)))
    except WeaklabelError as exc:
        return VotesPartition(piece, np.zeros(1, np.int32), np.zeros(0, np.uint8), K, np.zeros((m, K), np.int64), 0,
                              exc)


def partition_summary(part: VotesPartition) -> dict:
    return {"rows": part.rows, "counts": part.counts, "uncovered": part.uncovered, "nbytes": part.nbytes,
            "error": part.error}


def partition_em(part: VotesPartition, Dflat, prior_w, base, base0):
    from ..models import kernels

    lf_of = np.repeat(np.arange(prior_w.size), part.cardinality)
    return kernels.em_pass_codes(part.indptr, part.codes, lf_of, Dflat, prior_w, base, base0, n_blocks(part.codes.size))


def partition_pairs(part: VotesPartition, m: int, K: int):
    from ..models import kernels

    return kernels.pair_counts_codes(part.indptr, part.codes, m * K, pair_blocks(part.codes.size, m * K))


def partition_shares(part: VotesPartition, layout: VotesLayout):
    return share_block(part.vote_matrix(layout))


def partition_error_pairs(part: VotesPartition, layout: VotesLayout, step: int, D, base, sources, prior_w):
    return error_pair_block(part.vote_matrix(layout), part.piece.offset, step, D, base, sources, prior_w)


def partition_sample(part: VotesPartition, layout: VotesLayout, step: int):
    return sample_block(part.vote_matrix(layout), part.piece.offset, step)


_MODEL_LOCK = threading.Lock()
_MODEL_CACHE: dict[str, object] = {}


@dataclass
class LabelSpec:
    """What every labels task needs (one graph key per job)."""

    model: dict                 # the fitted model's to_dict()
    digest: str
    layout: VotesLayout
    fill_unlabeled: str
    ties: str | None
    folder: str = ""
    n_parts: int = 0
    meta: dict = field(default_factory=dict)        # the run's metadata keys (every part file's)
    id_columns: tuple[str, ...] = ()
    drop_unlabeled: bool = False
    id_types: dict = field(default_factory=dict)   # votes_id_types of the votes


def _worker_model(spec: LabelSpec):
    """Rebuild the model from its JSON once per worker process (validated, never unpickled)."""
    from ..models.base import LabelModel

    with _MODEL_LOCK:
        model = _MODEL_CACHE.get(spec.digest)
        if model is None:
            model = _MODEL_CACHE[spec.digest] = LabelModel.from_dict(spec.model, where="model")
    return model


def partition_draws(part: VotesPartition, spec: LabelSpec) -> tuple[int, int]:
    return block_draws(_worker_model(spec), part.vote_matrix(spec.layout), spec.ties)


def write_label_part(part: VotesPartition, index: int, skip: tuple[int, int], kept, spec: LabelSpec) -> dict:
    """Predict one partition and write it as ``part.NNNNN.parquet`` of the labels folder
    (``kept``: its rows of the ``--keep-cols`` table)."""

    layout = spec.layout
    piece = part.piece
    ids = read_ids(piece.file, piece.start, piece.stop, layout) if layout.id_columns else None
    vm = part.vote_matrix(layout, ids)
    proba, label, draws = block_labels(_worker_model(spec), vm, spec.fill_unlabeled, spec.ties, skip)
    ids = ids_table(ids, piece.offset, part.rows)
    with part_file(spec.folder, index, spec.n_parts) as tmp:
        res = write_label_blocks(tmp, [LabelBlock(ids, proba, label, kept, draws[0])], cardinality=layout.cardinality,
                                 classes=layout.classes, id_columns=spec.id_columns, meta=spec.meta,
                                 row_is_id=list(layout.id_columns) == ["row"],
                                 drop_unlabeled=spec.drop_unlabeled, part={"index": index, "offset": piece.offset},
                                 id_types=spec.id_types)
    return dict(res, file=part_name(index, spec.n_parts), offset=piece.offset)


try:  # tell Dask how big a partition is (its memory accounting), on the client and the workers
    from dask.sizeof import sizeof as _sizeof

    @_sizeof.register(VotesPartition)
    def _partition_sizeof(part: VotesPartition) -> int:
        return part.nbytes
except ImportError:  # pragma: no cover - Dask missing: require_dask() says so
    pass


# --------------------------------------------------------------------------- client side


def gather(client, futures: list, rows: list[int] | None = None, progress=None) -> list:
    """Results of ``futures`` in their order (:func:`weaklabel._dask.gather_in_order`; a worker
    death while the votes are held is a one-line error)."""
    return gather_in_order(client, futures, rows=rows, advance=progress.advance if progress is not None else None,
                           died=lambda _i, text: f"a Dask worker died while holding or processing the votes ({text}); "
                                                 "out of memory? use more workers or a smaller --partition-rows")


class DaskVoteStats(PartitionedVoteStats):
    """:class:`~weaklabel.models.stats.VoteStats` of votes held as partitions on a Dask cluster.

    Parameters
    ----------
    source:
        A :class:`~weaklabel.votes.reader.VotesSource` (or a path) of Parquet votes.
    client:
        A ``distributed.Client``; the partitions stay in its workers' memory until :meth:`close`.
    partition_rows:
        Rows per partition (default 1,000,000); a partition never spans two files.
    progress:
        Optional object with ``start(label, total_rows)`` and ``advance(rows)``.
    """

    def __init__(self, source: VotesSource | str | Path, client, *, partition_rows: int | None = None,
                 progress=None, where: str = "the Dask cluster"):
        require_dask()
        self.source = source if isinstance(source, VotesSource) else VotesSource(source)
        self.layout = self.source.layout
        self.client = client
        self.progress = progress
        self.n_rows, self.n_lfs, self.cardinality = self.source.n_rows, self.source.n_lfs, self.source.cardinality
        self.lf_names = self.source.lf_names
        check_metadata_rows(self.source.path, self.source.meta, self.n_rows)
        P = int(partition_rows) if partition_rows else DEFAULT_PARTITION_ROWS
        if P < 1:
            raise InputError(f"--partition-rows must be at least 1, got {P}")
        self.pieces = [p for p in plan_pieces([Path(f) for f in self.source.files], self.source.file_rows, P)
                       if p.rows > 0]
        if not self.pieces:   # no rows: one empty partition, so that fit and predict answer as the local engine
            self.pieces = [Piece(str(self.source.files[0]), 0, 0, 0)]
        self.threads = check_workers(client, [self.pieces[0].file], where)
        self._rows = [p.rows for p in self.pieces]
        self.passes = 0
        self._pairs = None
        token = uuid.uuid4().hex[:12]
        self._parts = client.map(load_partition, self.pieces, **self._kwargs(layout=self.layout),
                                 key=[f"weaklabel-votes-{token}-{i}" for i in range(len(self.pieces))])
        self._start("reading votes")
        try:
            summaries = gather(client, client.map(partition_summary, self._parts, pure=False), self._rows,
                               progress)
        except BaseException:
            self.close()
            raise
        for s in summaries:  # the first failing partition in row order
            if s["error"] is not None:
                self.close()
                raise s["error"]
        self._counts = np.sum([s["counts"] for s in summaries], axis=0)
        try:
            check_metadata_counts(self.source.path, self.source.metadata_counts(), self._counts)
        except InputError:
            self.close()
            raise
        self._uncovered = int(sum(s["uncovered"] for s in summaries))
        self.nbytes = int(sum(s["nbytes"] for s in summaries))
        if sum(s["rows"] for s in summaries) != self.n_rows:
            self.close()
            raise InputError(f"{self.source.path}: read {sum(s['rows'] for s in summaries)} rows but its metadata "
                             f"says {self.n_rows}")

    @property
    def partitions(self) -> int:
        return len(self.pieces)

    def _start(self, label: str) -> None:
        self.passes += 1
        if self.progress is not None:
            self.progress.start(f"pass {self.passes}: {label}", self.n_rows)

    def _map(self, fn, label: str, **kwargs) -> list:
        self._start(label)
        return gather(self.client, self.client.map(fn, self._parts, pure=False, **self._kwargs(**kwargs)), self._rows,
                      self.progress)

    def _kwargs(self, **kwargs) -> dict:
        """Keyword arguments for ``client.map``, those over 64 kB broadcast first: Dask makes a larger
        one a graph node keyed by its bare name (``"Dflat"``: the EM tables of 10 LFs x 120 classes),
        which the scheduler fails on (``AssertionError(<TaskState 'Dflat' processing>)``)."""
        from dask.sizeof import sizeof

        return {k: self._broadcast(v) if sizeof(v) > 64_000 else v for k, v in kwargs.items()}

    _FUNCTIONS = {"em": "partition_em", "pairs": "partition_pairs", "shares": "partition_shares",
                  "error_pairs": "partition_error_pairs", "sample": "partition_sample"}

    def results(self, what: str, label: str, **args) -> list:
        if what == "pairs":
            args.update(m=self.n_lfs, K=self.cardinality)
        elif what != "em":
            args["layout"] = self.layout
        return self._map(globals()[self._FUNCTIONS[what]], label, **args)

    def lf_counts(self):
        return self._counts

    def n_uncovered(self):
        return self._uncovered

    # ------------------------------------------------------------------ labels
    def write_labels(self, model, path: str | Path, *, fill_unlabeled: str = "none", ties: str | None = None,
                     force: bool = False, extra_metadata: dict | None = None, kept=None,
                     drop_unlabeled: bool = False) -> dict:
        """Predict every partition on its worker and write the labels as a folder of part files
        plus ``_common_metadata`` (atomic). Row for row the labels of a single-machine prediction.
        ``kept``: the ``--keep-cols`` table (one row per row of the votes), sent to the workers
        partition by partition."""
        layout = self.layout
        K = layout.cardinality
        model_dict = json.loads(json.dumps(model.to_dict()))  # plain JSON, as in a model file
        digest = hashlib.sha256(json.dumps(model_dict, sort_keys=True).encode()).hexdigest()[:20]
        meta = label_meta(model, fill_unlabeled, extra_metadata, engine="dask")
        spec = LabelSpec(model_dict, digest, layout, fill_unlabeled, ties)
        draws = self._map(partition_draws, "counting random tie-breaks", spec=self._broadcast(spec))
        skips, acc = [], (0, 0)
        for d in draws:
            skips.append(acc)
            acc = (acc[0] + d[0], acc[1] + d[1])
        kept_parts = [None if kept is None else kept.slice(p.offset, p.rows) for p in self.pieces]
        with atomic_output(path, force, directory=True, replace_dataset=True,
                           dataset_formats=(LABELS_FORMAT,)) as tmp:
            check_workers(self.client, [str(tmp)], "the Dask cluster")
            spec = LabelSpec(model_dict, digest, layout, fill_unlabeled, ties, str(tmp), len(self.pieces),
                             dict(meta, dataset="_common_metadata"), tuple(self.source.id_columns), drop_unlabeled,
                             votes_id_types(self.source.path, layout.id_columns))
            self._start("writing labels")
            futures = self.client.map(write_label_part, self._parts, list(range(len(self.pieces))), skips,
                                      kept_parts, spec=self._broadcast(spec), pure=False)
            results = gather(self.client, futures, self._rows, self.progress)
            import pyarrow.parquet as pq

            schema = pq.read_schema(tmp / results[0]["file"]).remove_metadata()
            dropped = int(sum(r["dropped"] for r in results))
            if drop_unlabeled:
                meta["dropped_unlabeled"] = dropped
            full = labels_metadata(K, layout.classes, self.source.id_columns, self.n_rows - dropped, meta,
                                   row_is_id=list(layout.id_columns) == ["row"])
            full["parts"] = [{"file": r["file"], "offset": r["offset"], "rows": r["written"]} for r in results]
            write_dataset_metadata(tmp, schema, full)
        per_class = np.sum([r["per_class"] for r in results], axis=0)
        return {"labelled": int(sum(r["labelled"] for r in results)), "tied": int(sum(r["tied"] for r in results)),
                "per_class": per_class.tolist(),
                "rows": self.n_rows, "partitions": len(results), "written": self.n_rows - dropped, "dropped": dropped}

    def _broadcast(self, obj):
        """``obj`` on every worker, as one future (sent once, not with every task)."""
        [fut] = self.client.scatter([obj], broadcast=True, hash=False)
        return fut

    def close(self) -> None:
        """Release the partitions held by the workers."""
        parts, self._parts = getattr(self, "_parts", []), []
        if parts:
            with contextlib.suppress(Exception):  # the cluster may already be gone
                self.client.cancel(parts)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
