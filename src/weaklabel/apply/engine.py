"""The local apply engine: batches through the kernels, row-wise LFs in worker processes (fork),
vectorized LFs split by LF across threads, results reassembled in input order so that the output
is byte-for-byte the same for every ``jobs``.

:class:`Engine` is shared by the local runner, :func:`~weaklabel.apply.apply_lfs` and each Dask
partition (with one process); :func:`assemble` is the one loop that turns its results into
output rows (reused columns filled in, votes counted) for both runners.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .._signals import remember_parent, signals_held, worker_setup
from ..errors import InputError
from ..io import ids_table
from ..lf import LabelingFunction
from ..lf.loading import load_lfs
from ..threads import default_jobs  # noqa: F401  (part of weaklabel.apply's face)
from .kernels import Failure, apply_rowwise, apply_vectorized, failure_error

ON_ERROR = ("raise", "abstain")
_MIN_ROWS_FOR_WORKERS = 2_000


# --------------------------------------------------------------------------- worker processes
_WORKER: dict = {}


def _init_worker(lfs_or_path, K, on_error, id_cols):
    worker_setup()
    lfs = load_lfs(lfs_or_path).lfs if isinstance(lfs_or_path, (str, Path)) else lfs_or_path
    _WORKER.update(lfs=lfs, K=K, on_error=on_error, id_cols=id_cols)


def _worker_task(df: pd.DataFrame, start: int, idx: Sequence[int]):
    """Run the row-wise LFs ``idx`` on ``df`` in a worker process."""
    w = _WORKER
    return apply_rowwise(df, [w["lfs"][j] for j in idx], w["K"], w["on_error"], start, w["id_cols"])


def _split(items: Sequence[int], parts: int) -> list[list[int]]:
    """Contiguous groups (LF order is kept, so the first failure is the same as inline)."""
    if not items:
        return []
    parts = max(1, min(parts, len(items)))
    size = -(-len(items) // parts)
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


class Engine:
    """Shared driver for :func:`apply_lfs` (in memory) and :func:`apply_file` (Parquet out)."""

    def __init__(self, lfs: Sequence[LabelingFunction], K: int | None, on_error: str, jobs: int,
                 id_cols: Sequence[str] | None, source: str, lf_path: str | None):
        if on_error not in ON_ERROR:
            raise InputError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
        self.lfs = list(lfs)
        self.K = K
        self.on_error = on_error
        self.id_cols = list(id_cols) if id_cols else None
        self.source = source
        self.lf_path = lf_path
        self.row_idx = [j for j, lf in enumerate(self.lfs) if not lf.vectorized]
        self.vec_idx = [j for j, lf in enumerate(self.lfs) if lf.vectorized]
        parallel = bool(self.row_idx) or len(self.vec_idx) > 1
        self.jobs = max(1, int(jobs)) if parallel else 1
        self.errors = np.zeros(len(self.lfs), dtype=np.int64)
        self.max_vote = -1
        self.columns: list[str] = []
        self._pool = None      # worker processes for row-wise LFs
        self._threads = None   # threads for groups of vectorized LFs
        self._prepared = False

    # ---- worker pool
    def prepare(self, n_rows_hint: int | None) -> None:
        """Start worker processes if they will pay off. Call before starting threads (progress
        bars): forking a multi-threaded process is unsafe."""
        self._prepared = True
        if self.jobs > 1 and (n_rows_hint is None or n_rows_hint >= _MIN_ROWS_FOR_WORKERS):
            if self.row_idx:
                self._start_pool()
            if len(self.vec_idx) > 1 and self.jobs > 1:
                # vectorized LFs spend their time in pandas/pyarrow/numpy calls that release the GIL:
                # threads run them in parallel without pickling the batch to another process
                self._threads = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="weaklabel-vec")
        if self._pool is None and self._threads is None:
            self.jobs = 1

    def _start_pool(self) -> None:
        methods = mp.get_all_start_methods()
        if "fork" in methods:
            ctx, payload = mp.get_context("fork"), self.lfs
        elif self.lf_path is not None:
            ctx, payload = mp.get_context("spawn"), self.lf_path
        else:
            warnings.warn("worker processes need the fork start method or an lfs.py path; running with jobs=1",
                          RuntimeWarning, stacklevel=3)
            self.jobs = 1
            return
        remember_parent()
        self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker,
                                         initargs=(payload, self.K, self.on_error, self.id_cols))
        # the pool forks its workers on the first submit: do it now, while this process has no
        # other threads (the background reader and writer start after prepare()); a Ctrl-C during
        # the forks is held and raised after them (signals_held)
        with signals_held():
            self._pool.submit(int).result()

    def abort(self) -> None:
        """Stop worker processes now (Ctrl-C, a signal, an error): their results are not needed,
        and an LF that never returns must not keep the run alive."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            # (shutdown() forgets the pool's manager thread: take it first)
            manager = getattr(pool, "_executor_manager_thread", None)
            # work still queued for the workers would be flushed into a pipe nobody reads once they
            # are gone, and the manager thread (which Python joins at exit) would wait for it forever
            with contextlib.suppress(Exception):
                pool._call_queue.cancel_join_thread()
            for proc in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    proc.terminate()
            with contextlib.suppress(Exception):
                pool.shutdown(wait=False, cancel_futures=True)
            # the pool's manager thread closes its wake-up pipe as it ends; Python's exit handler for
            # process pools writes to that pipe without its lock, and when the two meet the exit
            # prints "OSError: [Errno 9] Bad file descriptor" after our one line. The workers are
            # gone, so the manager ends at once: let it finish first.
            if manager is not None:
                with contextlib.suppress(Exception):
                    manager.join(timeout=5)
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)
            self._threads = None

    # ---- running
    def _raise(self, failure: Failure) -> None:
        raise failure_error(failure, self.K, self.source, self.columns)

    def _merge(self, dense: np.ndarray, part: np.ndarray, cols: Sequence[int], errs) -> None:
        if cols:
            dense[:, cols] = part
            for j, e in zip(cols, errs):
                self.errors[j] += e

    def run(self, batches: Iterable[tuple[int, pd.DataFrame]], n_rows_hint: int | None,
            progress: Callable[[int], None] | None) -> Iterator[tuple[int, pd.DataFrame, np.ndarray]]:
        """Yield ``(start, batch, dense votes (b, m) int16)`` in input order."""
        if not self._prepared:
            self.prepare(n_rows_hint)
        use_pool = self._pool is not None
        use_threads = self._threads is not None
        pending: deque = deque()   # (start, df, dense, row futures, vectorized futures or result)
        max_pending = 2

        def finish(item):
            # row-wise failures are checked before vectorized ones and each kind in order, as in
            # the inline path, so the reported error does not depend on ``jobs``
            start, df, dense, row_futs, vec_parts = item
            for sub_start, fut in row_futs:
                part, errs, failure = fut.result()
                if failure is not None:
                    self._raise(failure)
                off = sub_start - start
                dense[off:off + part.shape[0], self.row_idx] = part
                for j, e in zip(self.row_idx, errs):
                    self.errors[j] += e
            for cols, res in vec_parts:
                part, errs, failure = res.result() if hasattr(res, "result") else res
                if failure is not None:
                    self._raise(failure)
                self._merge(dense, part, cols, errs)
            self._account(dense)
            if progress is not None:
                progress(len(df))
            return start, df, dense

        for start, df in batches:
            if not self.columns:
                self.columns = [str(c) for c in df.columns]
            b = len(df)
            dense = np.full((b, len(self.lfs)), -1, dtype=np.int16)
            row_futs, vec_parts = [], []
            if use_pool:
                if self.row_idx:
                    chunk = max(500, -(-b // (self.jobs * 4)))
                    for s in range(0, b, chunk):
                        fut = self._pool.submit(_worker_task, df.iloc[s:s + chunk], start + s, self.row_idx)
                        row_futs.append((start + s, fut))
            if use_threads:
                # vectorized LFs see the whole batch (a rule may use batch statistics), so they
                # are split across threads by LF, not by rows
                for group in _split(self.vec_idx, self.jobs):
                    vec_parts.append((group, self._threads.submit(
                        apply_vectorized, df, [self.lfs[j] for j in group], self.K, self.on_error, start,
                        self.id_cols)))
            if not use_pool:
                if self.row_idx:
                    part, errs, failure = apply_rowwise(df, [self.lfs[j] for j in self.row_idx], self.K,
                                                        self.on_error, start, self.id_cols)
                    if failure is not None:
                        self._raise(failure)
                    self._merge(dense, part, self.row_idx, errs)
            if self.vec_idx and not use_threads:
                vec_parts.append((self.vec_idx, apply_vectorized(df, [self.lfs[j] for j in self.vec_idx],
                                                                 self.K, self.on_error, start, self.id_cols)))
            pending.append((start, df, dense, row_futs, vec_parts))
            while len(pending) > (max_pending if use_pool or use_threads else 0):
                yield finish(pending.popleft())
        while pending:
            yield finish(pending.popleft())

    def _account(self, dense: np.ndarray) -> None:
        if dense.size:
            self.max_vote = max(self.max_vote, int(dense.max()))

    def cardinality(self) -> int:
        return self.K if self.K is not None else max(2, self.max_vote + 1)


def vote_counts(dense: np.ndarray, K: int) -> np.ndarray:
    m = dense.shape[1]
    counts = np.zeros((m, K), dtype=np.int64)
    for j in range(m):
        col = dense[:, j]
        counts[j] = np.bincount(col[col >= 0], minlength=K)[:K]
    return counts


class Tally:
    """Votes per LF and class (``counts``, (m, K_store)), the largest vote and the rows of an
    output, added up batch by batch as the output is written."""

    def __init__(self, m: int, K_store: int):
        self.K_store = K_store
        self.counts = np.zeros((m, K_store), dtype=np.int64)
        self.max_vote = -1
        self.rows = 0

    def add(self, dense: np.ndarray) -> None:
        self.counts += vote_counts(dense, self.K_store)
        if dense.size:
            self.max_vote = max(self.max_vote, int(dense.max()))
        self.rows += dense.shape[0]


def assemble(results: Iterable[tuple[int, pd.DataFrame, np.ndarray]], job, reuse, tally: Tally,
             ids_of: Callable[[int], object] | None = None) -> Iterator[tuple[object, np.ndarray]]:
    """The output rows of an :meth:`Engine.run`: ``(ids table, votes of every LF (b, m))`` per
    batch, the columns of reused LFs (``apply --update``) copied from the old output and checked
    against the row ids, the votes added to ``tally``. ``job``: anything with ``id_cols``,
    ``lf_names`` and ``run_cols`` (an :class:`~.job.ApplyJob` or a Dask partition's spec).
    ``ids_of(start)``: the batch's ids as an Arrow table read from the input (its exact types);
    without it they are converted from the batch's pandas columns."""
    id_cols, run_cols, m = job.id_cols, job.run_cols, len(job.lf_names)
    for start, df, part in results:
        if ids_of is not None and id_cols:
            ids = ids_of(start)
        else:
            ids = ids_table(df[list(id_cols)] if id_cols else None, start, len(df))
        if reuse is None:
            dense = part
        else:
            dense = np.full((len(df), m), -1, dtype=np.int16)
            if run_cols:
                dense[:, run_cols] = part
            reuse.fill(dense, start, ids)
        tally.add(dense)
        yield ids, dense
