"""Run labeling functions over a table and collect their votes.

The engine reads the input in batches (bounded memory), runs vectorized LFs on each batch in
the main process (with ``jobs > 1``, groups of them in threads: their pandas, pyarrow and numpy
calls release the GIL) and row-wise LFs either inline (``jobs=1``) or in worker processes on
contiguous chunks whose results are reassembled in input order, so the output is byte-for-byte
the same for every ``jobs``. Every vote is validated: anything but an int in ``-1..K-1`` is an
error naming the LF, the row (position and id) and the value.

Error policy (``on_error``):

* ``"raise"`` (default): the first failing call, in row order, stops the run with an
  :class:`~weaklabel.errors.LFError`;
* ``"abstain"``: a failing call (an exception or an invalid vote) counts as an abstain and is
  counted per LF in the summary and the output metadata.

A column an LF needs but the data lacks is always an error (it would fail on every row).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._version import __version__
from ._signals import real_interrupt, remember_parent, watching_interrupts, worker_setup
from .background import BackgroundWriter, read_ahead
from .errors import InputError, LFError, MissingColumnError
from .io import (VOTES_FORMAT, FORMAT_VERSION, TableSource, VotesDataset, VotesWriter, atomic_output,
                 check_output, ids_table)
from .lf import LabelingFunction, MissingField, Row, batch_memo
from .lf.loading import LFModule, collect_lfs, load_lfs
from .votes import VoteMatrix, dense_to_csr

ON_ERROR = ("raise", "abstain")
ENGINES = ("local", "dask")
DEFAULT_BATCH_SIZE = 100_000
_UNKNOWN_K_CAP = 127  # with no cardinality given, votes are stored as int8
_MIN_ROWS_FOR_WORKERS = 2_000


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- failures
@dataclass
class _Failure:
    """A picklable description of an LF failure (exceptions with extra fields do not unpickle)."""

    kind: str          # "raised" | "invalid" | "missing"
    lf: str
    position: int
    row_id: object
    detail: str        # exception text, repr of the invalid value, or the missing column
    exc_type: str = ""


def _fmt_row(position: int, row_id: object) -> str:
    return f"row {position}" + (f" (id={row_id!r})" if row_id is not None else "")


def _failure_error(f: _Failure, K: int | None, source: str, columns: Sequence[str]) -> LFError:
    where = f" of {source}" if source else ""
    if f.kind == "missing":
        return MissingColumnError(
            f"LF {f.lf!r} needs column {f.detail!r}, which {source or 'the data'} does not have "
            f"(columns: {', '.join(map(str, columns))})", lf=f.lf, column=f.detail)
    if f.kind == "misaligned":
        return LFError(f"LF {f.lf!r} returned {f.detail}{where}", lf=f.lf, position=f.position)
    if f.kind == "invalid":
        allowed = f"-1..{K - 1}" if K is not None else "-1 or a class id >= 0"
        return LFError(f"LF {f.lf!r} returned {f.detail} on {_fmt_row(f.position, f.row_id)}{where}; "
                       f"votes must be ints in {allowed}",
                       lf=f.lf, position=f.position, row_id=f.row_id, value=f.detail)
    return LFError(f"LF {f.lf!r} raised {f.exc_type}: {f.detail} on {_fmt_row(f.position, f.row_id)}{where}",
                   lf=f.lf, position=f.position, row_id=f.row_id)


def _describe(v: object) -> str:
    text = repr(v)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(v).__name__})"


def _exc_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


# --------------------------------------------------------------------------- the batch kernels
def _row_id(id_values: list[list] | None, i: int) -> object:
    if not id_values:
        return None
    if len(id_values) == 1:
        return id_values[0][i]
    return tuple(col[i] for col in id_values)


def _pre_keys(lf: LabelingFunction) -> tuple:
    return tuple(tuple(id(p) for p in lf.pre[:k + 1]) for k in range(len(lf.pre)))


def apply_rowwise(df: pd.DataFrame, lfs: Sequence[LabelingFunction], K: int | None,
                  on_error: str, start: int, id_cols: Sequence[str] | None):
    """Run row-wise LFs on one chunk. Returns ``(votes (b, m) int16, error_counts, failure)``.

    ``failure`` is the first failure in row order under ``on_error="raise"`` (or a missing
    column under any policy); votes are then incomplete and must not be used.
    """
    names = [str(c) for c in df.columns]
    cols = [df[c].tolist() for c in df.columns]
    id_values = [df[c].tolist() for c in id_cols] if id_cols else None
    b, m = len(df), len(lfs)
    kmax = (K if K is not None else _UNKNOWN_K_CAP)
    out = [-1] * (b * m)
    errors = [0] * m
    plan = [(lf.f, lf.resources or None, tuple(lf.pre), _pre_keys(lf)) for lf in lfs]
    raise_first = on_error == "raise"
    rows = zip(*cols) if cols else iter([()] * b)
    for i, vals in enumerate(rows):
        x = Row(zip(names, vals))
        cache: dict = {}
        base = i * m
        for j, (fn, res, pre, keys) in enumerate(plan):
            try:
                xx = x
                for p, key in zip(pre, keys):
                    got = cache.get(key)
                    if got is None:
                        got = p(Row(xx))  # a copy: in-place preprocessors must not leak
                        cache[key] = got
                    xx = got
                v = fn(xx, **res) if res else fn(xx)
            except MissingField as exc:
                return None, errors, _Failure("missing", lfs[j].name, start + i, _row_id(id_values, i), exc.column)
            except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001 - user code may raise anything
                _reraise_real_interrupt(exc)
                if raise_first:
                    return None, errors, _Failure("raised", lfs[j].name, start + i, _row_id(id_values, i),
                                                  _exc_text(exc), type(exc).__name__)
                errors[j] += 1
                continue
            tv = type(v)
            if tv is int or (isinstance(v, np.integer)):
                iv = int(v)
                if -1 <= iv < kmax:
                    out[base + j] = iv
                    continue
            if raise_first:
                return None, errors, _Failure("invalid", lfs[j].name, start + i, _row_id(id_values, i), _describe(v))
            errors[j] += 1
    return np.array(out, dtype=np.int16).reshape(b, m), errors, None


def apply_vectorized(df: pd.DataFrame, lfs: Sequence[LabelingFunction], K: int | None,
                     on_error: str, start: int, id_cols: Sequence[str] | None):
    """Run vectorized LFs on one batch; same return convention as :func:`apply_rowwise`.

    The LFs share one :func:`~weaklabel.lf.batch_memo` (work several of them need, done once)."""
    with batch_memo():
        return _apply_vectorized(df, lfs, K, on_error, start, id_cols)


def _apply_vectorized(df: pd.DataFrame, lfs: Sequence[LabelingFunction], K: int | None,
                      on_error: str, start: int, id_cols: Sequence[str] | None):
    b, m = len(df), len(lfs)
    kmax = (K if K is not None else _UNKNOWN_K_CAP)
    out = np.full((b, m), -1, dtype=np.int16)
    errors = [0] * m
    cache: dict = {}
    columns = set(df.columns)

    def row_id(i):
        if not id_cols:
            return None
        vals = [df[c].iloc[i] for c in id_cols]
        return vals[0] if len(vals) == 1 else tuple(vals)

    for j, lf in enumerate(lfs):
        try:
            xx = df
            for p, key in zip(lf.pre, _pre_keys(lf)):
                got = cache.get(key)
                if got is None:
                    got = p(xx.copy(deep=False))
                    cache[key] = got
                xx = got
            res = lf.call_raw(xx)
            if isinstance(res, pd.Series) and not res.index.equals(df.index):
                res = _align(res, df.index, lf.name, start)
        except KeyError as exc:
            key = exc.args[0] if exc.args else None
            if isinstance(key, str) and key not in columns:
                return None, errors, _Failure("missing", lf.name, start, None, key)
            if on_error == "raise":
                return None, errors, _Failure("raised", lf.name, start, None,
                                              f"{_exc_text(exc)} (vectorized, batch from row {start})",
                                              type(exc).__name__)
            errors[j] += b
            continue
        except _Misaligned as exc:
            return None, errors, _Failure("misaligned", lf.name, start, None, str(exc))
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # noqa: BLE001
            _reraise_real_interrupt(exc)
            if on_error == "raise":
                return None, errors, _Failure("raised", lf.name, start, None,
                                              f"{_exc_text(exc)} (vectorized, batch from row {start})",
                                              type(exc).__name__)
            errors[j] += b
            continue
        arr = res.to_numpy() if hasattr(res, "to_numpy") else np.asarray(res)
        if arr.ndim != 1 or arr.shape[0] != b:
            msg = (f"{tuple(arr.shape)}-shaped votes for a batch of {b} rows "
                   "(a vectorized LF returns one vote per row)")
            return None, errors, _Failure("invalid", lf.name, start, None, msg)
        if arr.dtype.kind in "iu":
            bad = (arr < -1) | (arr >= kmax)
            vals = arr
        elif arr.dtype.kind == "O":
            vals = np.full(b, -1, dtype=np.int64)
            bad = np.zeros(b, dtype=bool)
            for i, v in enumerate(arr):
                if type(v) is int or isinstance(v, np.integer):
                    vals[i] = int(v)
                    bad[i] = not (-1 <= vals[i] < kmax)
                else:
                    bad[i] = True
        else:  # bool, float, string, ...
            bad = np.ones(b, dtype=bool)
            vals = None
        if bad.any():
            i = int(np.argmax(bad))
            if on_error == "raise":
                return None, errors, _Failure("invalid", lf.name, start + i, row_id(i),
                                              _describe(arr[i].item() if hasattr(arr[i], "item") else arr[i])
                                              + f" [dtype {arr.dtype}]")
            errors[j] += int(bad.sum())
            if vals is None:
                continue
            vals = np.where(bad, -1, vals)
        out[:, j] = vals
    return out, errors, None


class _Misaligned(Exception):
    pass


def _align(res: pd.Series, index: pd.Index, name: str, start: int) -> pd.Series:
    """A vectorized LF's Series on the batch's row order: values are matched by index label (a
    Series built from a sorted or filtered copy of the batch keeps its labels), never by position.
    An index that is not a permutation of the batch's index cannot be matched and is refused."""
    if len(res) == len(index) and res.index.is_unique and res.index.isin(index).all():
        return res.reindex(index)
    raise _Misaligned(f"a pandas Series whose index does not match the batch's (rows from {start}); "
                      "return one vote per row with the batch's index, or a numpy array in row order")


def _reraise_real_interrupt(exc: BaseException) -> None:
    """A Ctrl-C or termination signal while an LF runs stops the run; a ``KeyboardInterrupt`` or
    ``SystemExit`` that the LF raised itself is an error of that LF."""
    if isinstance(exc, KeyboardInterrupt) and real_interrupt():
        raise exc


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


# --------------------------------------------------------------------------- the engine
@dataclass
class ApplySummary:
    """What an apply run did: per-LF vote and error counts, timing, and for ``update=True`` which
    LFs ran, which were reused from the existing output and which were dropped."""

    rows: int
    lf_names: list[str]
    vectorized: list[bool]
    cardinality: int
    classes: list[str] | None
    vote_counts: np.ndarray          # (m, K) votes per LF and class
    errors: list[int]
    seconds: float
    jobs: int
    id_columns: list[str]
    output: str | None = None
    input: dict = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)       # LFs applied in this run (all, without update)
    reused: list[str] = field(default_factory=list)    # update: unchanged LFs copied from the old output
    dropped: list[str] = field(default_factory=list)   # update: LFs in the old output but not in lfs.py
    update: bool = False
    engine: str = "local"
    partitions: int | None = None                      # Dask: partitions (= part files written)

    def __post_init__(self):
        if not self.ran and not self.reused:
            self.ran = list(self.lf_names)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def metadata(self, hashes: Sequence[str]) -> dict:
        meta = {
            "format": VOTES_FORMAT,
            "format_version": FORMAT_VERSION,
            "weaklabel_version": __version__,
            "cardinality": self.cardinality,
            "classes": self.classes,
            "id_columns": self.id_columns,
            "rows": self.rows,
            "lfs": [{"name": n, "hash": h, "vectorized": v, "errors": int(e),
                     "votes": int(c.sum()), "class_votes": [int(x) for x in c]}
                    for n, h, v, e, c in zip(self.lf_names, hashes, self.vectorized, self.errors,
                                             self.vote_counts)],
            "input": self.input,
            "engine": self.engine,
        }
        if self.update:
            meta["update"] = {"ran": self.ran, "reused": self.reused, "dropped": self.dropped}
        return meta


class _Engine:
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
        # other threads (the background reader and writer start after prepare())
        self._pool.submit(int).result()

    def abort(self) -> None:
        """Stop worker processes now (Ctrl-C, a signal, an error): their results are not needed,
        and an LF that never returns must not keep the run alive."""
        if self._pool is not None:
            for proc in list(getattr(self._pool, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    proc.terminate()
            with contextlib.suppress(Exception):
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)
            self._threads = None

    # ---- running
    def _raise(self, failure: _Failure) -> None:
        raise _failure_error(failure, self.K, self.source, self.columns)

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


def _vote_counts(dense: np.ndarray, K: int) -> np.ndarray:
    m = dense.shape[1]
    counts = np.zeros((m, K), dtype=np.int64)
    for j in range(m):
        col = dense[:, j]
        counts[j] = np.bincount(col[col >= 0], minlength=K)[:K]
    return counts


def resolve_cardinality(classes: Sequence[str] | None, cardinality: int | None,
                        module_classes: Sequence[str] | None, where: str = "lfs.py") -> tuple[int | None, list[str] | None]:
    """Combine CLASSES from the LF file with ``--classes`` / ``--cardinality``; conflicts are errors."""
    names = list(classes) if classes else (list(module_classes) if module_classes else None)
    if classes and module_classes and list(classes) != list(module_classes):
        raise InputError(f"--classes {list(classes)} disagrees with CLASSES = {list(module_classes)} in {where}")
    if names is not None:
        if cardinality is not None and cardinality != len(names):
            raise InputError(f"--cardinality {cardinality} disagrees with the {len(names)} classes {names}")
        return len(names), names
    if cardinality is not None and cardinality < 2:
        raise InputError(f"--cardinality must be at least 2, got {cardinality}")
    return cardinality, None


def _check_id_cols(id_cols: Sequence[str] | None, columns: Sequence[str], where: str) -> None:
    for c in id_cols or []:
        if c not in columns:
            raise InputError(f"{where}: no id column {c!r} (columns: {', '.join(map(str, columns))})")


# --------------------------------------------------------------------------- public API
def apply_lfs(data: pd.DataFrame, lfs: Sequence[LabelingFunction], *, cardinality: int | None = None,
              classes: Sequence[str] | None = None, on_error: str = "raise", jobs: int = 1,
              id_cols: Sequence[str] | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
              progress: Callable[[int], None] | None = None) -> VoteMatrix:
    """Apply labeling functions to a DataFrame and return the :class:`VoteMatrix`.

    ``cardinality`` (or ``classes``) fixes K; otherwise K is ``max vote + 1`` (at least 2).
    ``jobs > 1`` runs row-wise LFs in worker processes (identical results). Per-LF error counts
    (``on_error="abstain"``) are in ``result.metadata["lfs"]``.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"apply_lfs expects a pandas DataFrame, got {type(data).__name__}")
    lfs = collect_lfs(list(lfs), "apply_lfs")
    K, names = resolve_cardinality(classes, cardinality, None)
    _check_id_cols(id_cols, list(data.columns), "data")
    if len(data) == 0:
        raise InputError("data: has no rows")
    engine = _Engine(lfs, K, on_error, jobs, id_cols, "", None)
    t0 = time.perf_counter()
    data = data.reset_index(drop=True)
    batches = ((s, data.iloc[s:s + batch_size]) for s in range(0, len(data), batch_size))
    parts = []
    try:
        with watching_interrupts():
            for _, _, dense in engine.run(batches, len(data), progress):
                parts.append(dense)
    except BaseException:
        engine.abort()
        raise
    finally:
        engine.close()
    dense = np.concatenate(parts)
    K = engine.cardinality()
    counts = _vote_counts(dense, K)
    summary = ApplySummary(rows=len(data), lf_names=[lf.name for lf in lfs], vectorized=[lf.vectorized for lf in lfs],
                           cardinality=K, classes=names, vote_counts=counts, errors=engine.errors.tolist(),
                           seconds=time.perf_counter() - t0, jobs=engine.jobs,
                           id_columns=list(id_cols) if id_cols else ["row"])
    row_ids = data[list(id_cols)].reset_index(drop=True) if id_cols else None
    indptr, indices, votes = dense_to_csr(dense, K, summary.lf_names)
    return VoteMatrix(indptr, indices, votes, summary.lf_names, cardinality=K, row_ids=row_ids,
                      classes=names, metadata=summary.metadata([lf.source_hash for lf in lfs]), validate=False)


# --------------------------------------------------------------------------- incremental re-apply
@dataclass
class UpdatePlan:
    """Which LFs an ``apply --update`` runs, copies from the existing output, or drops."""

    run: list[int]                       # positions (in the current LF list) of LFs to apply
    reuse: list[int]                     # positions of LFs whose votes are copied
    dropped: list[str]                   # LF names in the old output but not in the LF file
    old: VotesDataset | None = None      # the existing output (None: there is none; run everything)
    old_meta: dict = field(default_factory=dict)
    current_names: list[str] = field(default_factory=list)

    @property
    def noop(self) -> bool:
        """Nothing to run or drop and the columns are already in the LF file's order."""
        return (self.old is not None and not self.run and not self.dropped
                and [d["name"] for d in self.old_meta["lfs"]] == self.current_names
                and all("class_votes" in d for d in self.old_meta["lfs"]))


def plan_update(output: str | Path, lfs: Sequence[LabelingFunction], fingerprint: dict, n_rows: int | None,
                id_cols: Sequence[str] | None, K: int | None, classes: Sequence[str] | None) -> UpdatePlan:
    """Compare the current LFs with the existing output's metadata (LF source hashes, input
    fingerprint, id columns, classes) and decide what an ``apply --update`` must do.

    With no existing output every LF runs. Anything that makes the old votes unusable (other
    input data, other id columns, other classes) is an :class:`InputError`: rerun without
    ``--update``.
    """
    from .io import same_input

    names = [lf.name for lf in lfs]
    out = Path(output)
    if not out.exists():
        return UpdatePlan(run=list(range(len(lfs))), reuse=[], dropped=[], current_names=names)
    hint = "; run without --update to apply every LF"
    old = VotesDataset(out)
    meta = old.meta
    if not meta or meta.get("format") != VOTES_FORMAT:
        raise InputError(f"{out}: has no weaklabel votes metadata; --update needs votes written by "
                         f"`weaklabel apply`{hint}")
    old_lfs = meta.get("lfs") or []
    if not old_lfs or any("hash" not in d for d in old_lfs) or not meta.get("input"):
        raise InputError(f"{out}: has no LF source hashes or input fingerprint (not written by "
                         f"`weaklabel apply`){hint}")
    old_in = meta["input"]
    if not same_input(old_in, fingerprint):
        raise InputError(
            f"--update: the input data differs from the one {out.name} was made from "
            f"({fingerprint.get('name')}: {fingerprint.get('size'):,} bytes, fingerprint "
            f"{str(fingerprint.get('sha256_ends'))[:12]} vs {old_in.get('name')}: {old_in.get('size', 0):,} bytes, "
            f"{str(old_in.get('sha256_ends'))[:12]}){hint}")
    rows = meta.get("rows")
    if old.n_rows != rows or (n_rows is not None and n_rows != rows):
        raise InputError(f"--update: {out.name} has {old.n_rows:,} rows (metadata: {rows}) but the input has "
                         f"{n_rows if n_rows is not None else '?'}{hint}")
    want_ids = list(id_cols) if id_cols else ["row"]
    if list(meta.get("id_columns") or []) != want_ids:
        raise InputError(f"--update: {out.name} has id columns {meta.get('id_columns')} but this run uses "
                         f"{want_ids}{hint}")
    old_K, old_classes = meta.get("cardinality"), meta.get("classes")
    if classes is not None and old_classes is not None and list(classes) != list(old_classes):
        raise InputError(f"--update: the classes changed from {old_classes} to {list(classes)}{hint}")
    if (classes is None) != (old_classes is None) or (K is not None and K != old_K):
        raise InputError(f"--update: the classes changed (K={old_K}, classes {old_classes} before; "
                         f"K={K if K is not None else 'inferred'}, classes {list(classes) if classes else None} now)"
                         f"{hint}")
    missing = [d["name"] for d in old_lfs if d["name"] not in old.schema.names]
    if missing:
        raise InputError(f"{out}: column {missing[0]!r} named in its metadata is missing{hint}")
    by_name = {d["name"]: d for d in old_lfs}
    run, reuse = [], []
    for j, lf in enumerate(lfs):
        d = by_name.get(lf.name)
        (reuse if d is not None and d["hash"] == lf.source_hash else run).append(j)
    dropped = [d["name"] for d in old_lfs if d["name"] not in set(names)]
    return UpdatePlan(run=run, reuse=reuse, dropped=dropped, old=old, old_meta=meta, current_names=names)


class Reuse:
    """Fills the columns of reused LFs from the old output for a range of rows, checking that the
    old output's row ids are the new ones (module level and picklable: Dask workers use it too)."""

    def __init__(self, plan: UpdatePlan, lf_names: Sequence[str], id_columns: Sequence[str], where: str):
        self.old = plan.old
        self.cols = list(plan.reuse)
        self.names = [lf_names[j] for j in plan.reuse]
        self.id_columns = list(id_columns)
        self.where = where

    def fresh(self) -> "Reuse":
        """A copy with its own open-file cache (for use from another thread)."""
        import copy

        other = copy.copy(self)
        other.old = copy.copy(self.old)
        other.old._open = {}
        return other

    def fill(self, dense: np.ndarray, start: int, ids) -> None:
        import pyarrow as pa

        b = dense.shape[0]
        t = self.old.read(start, start + b, self.id_columns + self.names)
        if t.num_rows != b:
            raise InputError(f"--update: {self.where} ends at row {start + t.num_rows:,}, before the input does; "
                             "run without --update")
        for c in self.id_columns:
            new, old = ids.column(c), t.column(c)
            if old.type != new.type:
                try:
                    old = old.cast(new.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    pass
            if not old.equals(new):
                raise InputError(f"--update: the row ids in {self.where} differ from the input's in rows "
                                 f"{start:,}..{start + b - 1:,}; run without --update")
        for j, name in zip(self.cols, self.names):
            dense[:, j] = t.column(name).to_numpy()


def _summary_from_metadata(plan: UpdatePlan, lfs: Sequence[LabelingFunction], output, t0: float,
                           engine: str) -> ApplySummary:
    """The summary of an ``--update`` with nothing to do: read from the existing output."""
    meta = plan.old_meta
    by_name = {d["name"]: d for d in meta["lfs"]}
    K = int(meta["cardinality"])
    counts = np.array([by_name[lf.name]["class_votes"][:K] for lf in lfs], dtype=np.int64).reshape(len(lfs), K)
    return ApplySummary(rows=int(meta["rows"]), lf_names=[lf.name for lf in lfs],
                        vectorized=[lf.vectorized for lf in lfs], cardinality=K, classes=meta.get("classes"),
                        vote_counts=counts, errors=[int(by_name[lf.name].get("errors", 0)) for lf in lfs],
                        seconds=time.perf_counter() - t0, jobs=0, id_columns=list(meta["id_columns"]),
                        output=str(output), input=meta.get("input", {}), ran=[],
                        reused=[lf.name for lf in lfs], dropped=[], update=True, engine=engine)


# --------------------------------------------------------------------------- apply_file
@dataclass
class ApplyJob:
    """Everything an engine needs to apply an LF file to a table and write the votes (shared by the
    local engine and :mod:`weaklabel.dask_engine`)."""

    module: LFModule
    src: TableSource
    output: Path
    K: int | None
    classes: list[str] | None
    id_cols: list[str] | None
    on_error: str
    batch_size: int
    force: bool
    plan: UpdatePlan
    update: bool

    @property
    def lfs(self) -> list[LabelingFunction]:
        return self.module.lfs

    @property
    def lf_names(self) -> list[str]:
        return [lf.name for lf in self.module.lfs]

    @property
    def run_lfs(self) -> list[LabelingFunction]:
        return [self.module.lfs[j] for j in self.plan.run]

    @property
    def K_store(self) -> int:
        return self.K if self.K is not None else _UNKNOWN_K_CAP

    @property
    def id_columns(self) -> list[str]:
        return list(self.id_cols) if self.id_cols else ["row"]

    def reuse(self) -> Reuse | None:
        return Reuse(self.plan, self.lf_names, self.id_columns, self.output.name) if self.plan.reuse else None

    def read_columns(self) -> list[str] | None:
        """Input columns to read: all of them when an LF runs, else just the ids (or one column)."""
        if self.plan.run:
            return None
        return list(self.id_cols) if self.id_cols else [self.src.columns[0]]

    def summary(self, rows: int, counts: np.ndarray, run_errors: Sequence[int], max_vote: int, seconds: float,
                jobs: int, engine: str, partitions: int | None = None) -> ApplySummary:
        K_final = self.K if self.K is not None else max(2, max_vote + 1)
        errors = [0] * len(self.lfs)
        for j, e in zip(self.plan.run, run_errors):
            errors[j] = int(e)
        if self.plan.reuse:
            old_errors = {d["name"]: int(d.get("errors", 0)) for d in self.plan.old_meta["lfs"]}
            for j in self.plan.reuse:
                errors[j] = old_errors[self.lfs[j].name]
        names = self.lf_names
        return ApplySummary(rows=rows, lf_names=names, vectorized=[lf.vectorized for lf in self.lfs],
                            cardinality=K_final, classes=self.classes, vote_counts=counts[:, :K_final],
                            errors=errors, seconds=seconds, jobs=jobs, id_columns=self.id_columns,
                            output=str(self.output),
                            input={**self.src.fingerprint(), "rows": rows, "lfs_file": self.module.path.name},
                            ran=[names[j] for j in self.plan.run], reused=[names[j] for j in self.plan.reuse],
                            dropped=list(self.plan.dropped), update=self.update, engine=engine,
                            partitions=partitions)

    def hashes(self) -> list[str]:
        return [lf.source_hash for lf in self.lfs]


def apply_file(lfs: str | Path | LFModule | Sequence[LabelingFunction], data: str | Path,
               output: str | Path, *, jobs: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
               id_cols: Sequence[str] | None = None, on_error: str = "raise",
               cardinality: int | None = None, classes: Sequence[str] | None = None,
               force: bool = False, update: bool = False, engine: str = "local",
               scheduler: str | None = None, client=None, partition_rows: int | None = None,
               progress: Callable[[int], None] | None = None,
               on_start: Callable[[int | None], None] | None = None) -> ApplySummary:
    """Apply the LFs of ``lfs`` (an ``lfs.py`` path, a loaded module or a list) to a data file.

    Streams ``data`` (Parquet file, folder or glob, CSV or JSON Lines) in batches and writes
    ``output`` (``votes.parquet``) atomically. Returns an :class:`ApplySummary`.

    ``update=True`` reuses an existing ``output``: only LFs whose source hash changed or that are
    new run, unchanged LFs' columns are copied, LFs no longer defined are dropped; the input must
    be the data the output was made from (its fingerprint is in the output's metadata).

    ``engine="dask"`` runs the LFs per partition on a Dask cluster (``scheduler`` address, an
    existing ``distributed.Client`` as ``client``, or else a LocalCluster of ``jobs`` workers) and
    writes ``output`` as a folder of Parquet part files; see :mod:`weaklabel.dask_engine`.
    """
    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "dask":
        from .dask_engine import require_dask

        require_dask()  # before any work: a missing extra is a one-line error
    if on_error not in ON_ERROR:
        raise InputError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
    check_output(output, force or update, dataset_ok=True)
    if isinstance(lfs, (str, Path)):
        module = load_lfs(lfs)
    elif isinstance(lfs, LFModule):
        module = lfs
    else:
        module = LFModule(path=Path("<memory>"), lfs=collect_lfs(list(lfs), "apply_file"))
    K, names = resolve_cardinality(classes, cardinality, module.classes, module.path.name)
    if K is not None and K > 32767:
        raise InputError(f"cardinality {K} is too large (at most 32767 classes)")
    src = TableSource(data)
    _check_id_cols(id_cols, src.columns, str(src.path))
    nested = src.nested_columns(id_cols or [])
    if nested:
        raise InputError(f"{src.path}: --id-col {nested[0]!r} holds lists or structs; row ids must be plain values "
                         "(strings, numbers, dates)")
    if src.n_rows == 0:
        raise InputError(f"{src.path}: has no rows")
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {batch_size}")
    t0 = time.perf_counter()
    if update:
        plan = plan_update(output, module.lfs, src.fingerprint(), src.n_rows, id_cols, K, names)
    else:
        plan = UpdatePlan(run=list(range(len(module.lfs))), reuse=[], dropped=[],
                          current_names=[lf.name for lf in module.lfs])
    job = ApplyJob(module=module, src=src, output=Path(output), K=K, classes=names,
                   id_cols=list(id_cols) if id_cols else None, on_error=on_error, batch_size=batch_size,
                   force=force, plan=plan, update=update)
    if plan.noop:
        return _summary_from_metadata(plan, module.lfs, output, t0, engine)
    if engine == "dask":
        from .dask_engine import run_dask

        return run_dask(job, jobs=jobs, scheduler=scheduler, client=client, partition_rows=partition_rows,
                        progress=progress, on_start=on_start, t0=t0)
    with watching_interrupts():
        return _run_local(job, jobs if jobs is not None else default_jobs(), progress, on_start, t0)


def _run_local(job: ApplyJob, jobs: int, progress, on_start, t0: float) -> ApplySummary:
    src, module = job.src, job.module
    lf_path = str(module.path) if module.path.exists() else None
    engine = _Engine(job.run_lfs, job.K, job.on_error, jobs, job.id_cols, src.path.name, lf_path)
    m = len(job.lfs)
    counts = np.zeros((m, job.K_store), dtype=np.int64)
    reuse = job.reuse()
    run_cols = job.plan.run
    max_vote = -1
    rows = 0
    with atomic_output(job.output, job.force or job.update, replace_dataset=True) as tmp:
        writer = None
        sink = None
        reader = None

        def write(ids, dense):
            nonlocal writer
            if writer is None:
                writer = VotesWriter(tmp, ids.schema, job.lf_names, job.K_store)
            writer.write(ids, dense)

        try:
            engine.prepare(src.n_rows)
            if on_start is not None:
                on_start(src.n_rows)

            def batches():
                pos = 0
                for df in src.iter_batches(job.batch_size, job.read_columns()):
                    df = df.reset_index(drop=True)
                    yield pos, df
                    pos += len(df)

            # the next batch is read and the previous one written while the LFs run (background.py)
            reader = read_ahead(batches())
            sink = BackgroundWriter(write)
            for start, df, part in engine.run(reader, src.n_rows, progress):
                ids = ids_table(df[list(job.id_cols)] if job.id_cols else None, start, len(df))
                if reuse is None:
                    dense = part
                else:
                    dense = np.full((len(df), m), -1, dtype=np.int16)
                    if run_cols:
                        dense[:, run_cols] = part
                    reuse.fill(dense, start, ids)
                sink.submit(ids, dense)
                counts += _vote_counts(dense, job.K_store)
                if dense.size:
                    max_vote = max(max_vote, int(dense.max()))
                rows += len(df)
            sink.close()
            if rows == 0:
                raise InputError(f"{src.path}: has no rows")
            if reuse is not None and rows != reuse.old.n_rows:
                raise InputError(f"--update: the input has {rows:,} rows but {job.output.name} has "
                                 f"{reuse.old.n_rows:,}; run without --update")
            summary = job.summary(rows, counts, engine.errors.tolist(), max_vote, time.perf_counter() - t0,
                                  engine.jobs, "local")
            writer.close(summary.metadata(job.hashes()))
        except BaseException:
            engine.abort()
            if reader is not None:
                reader.close()
            if sink is not None:
                sink.abort()
            if writer is not None:
                writer.abort()
            raise
        finally:
            engine.close()
            if reuse is not None:
                reuse.old.close()
    return summary
