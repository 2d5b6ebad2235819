"""Apply labeling functions on a Dask cluster: ``weaklabel apply ... --engine dask``.

The input (a Parquet file, folder or glob) becomes a Dask DataFrame with one partition per
``partition_rows`` rows of a file (:func:`dask.dataframe.from_map` over row ranges, so every
partition's global row offset is known before anything runs). ``map_partitions`` then applies
the LFs where the partition was read (Dask fuses the two into one task, so rows never travel
between workers): the local engine's own kernels (:class:`weaklabel.apply._Engine` with one
process, in ``batch_size`` batches aligned with the local engine's), and the worker writes the
partition as one part file of the output folder::

    votes.parquet/
        _common_metadata          schema + the ``weaklabel`` metadata of the whole dataset
        part.00000.parquet        rows 0 .. P-1      (each part: ids + one int8 column per LF)
        part.00001.parquet        rows P .. 2P-1
        ...

so the output equals ``--engine local``'s row for row (:func:`weaklabel.io.read_votes`,
``weaklabel analyze`` and ``weaklabel fit`` read the folder). The folder is assembled in a
temporary folder beside the output and renamed into place at the end; a failed run leaves
nothing behind.

The LF file travels as its source text (one graph key, sent once to each worker); a worker
writes it to a private temporary folder and imports it with weaklabel's loader. Workers need
weaklabel (``pip install 'weaklabel[dask]'``) and whatever the LF file imports, not the file
itself. The input, and the output's folder, must be at the same path on the client and on
every worker (a shared filesystem): the workers read the data and write the parts themselves.

LF failures come back as data, not as task errors: the error of the first failing partition in
row order is raised (with global row positions and ids), as the local engine would, and later
partitions are cancelled.

This module imports Dask; ``import weaklabel`` and the CLI do not import it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ._version import __version__
from .apply import ApplyJob, ApplySummary, Reuse, _Engine, _vote_counts, default_jobs
from .errors import InputError, LFDefinitionError, WeaklabelError, first_line
from .io import (COMMON_METADATA, open_parquet, FORMAT_VERSION, VOTES_FORMAT, VotesWriter, atomic_output, ids_table,
                 part_name, read_rows, votes_schema, write_dataset_metadata)
from .lf.loading import load_lfs

INSTALL_HINT = "pip install 'weaklabel[dask]'"
DEFAULT_PARTITION_ROWS = 1_000_000
_CONNECT_TIMEOUT = "20s"
_WORKERS_TIMEOUT = 60.0


def require_dask() -> None:
    """Raise a one-line :class:`InputError` if Dask (dataframe + distributed) is not installed."""
    try:
        import dask  # noqa: F401
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        raise InputError(f"--engine dask needs Dask, which is not installed (no module {missing!r}): "
                         f"{INSTALL_HINT}") from None


# --------------------------------------------------------------------------- partitions
@dataclass(frozen=True)
class Piece:
    """Rows ``start:stop`` of one Parquet file; the first is row ``offset`` of the dataset."""

    file: str
    start: int
    stop: int
    offset: int

    @property
    def rows(self) -> int:
        return self.stop - self.start


def plan_pieces(files: list[Path], file_rows: list[int], partition_rows: int) -> list[Piece]:
    """Cut every file into row ranges of ``partition_rows`` (a multiple of the batch size, so that
    batches are the local engine's); a partition never spans two files."""
    pieces, offset = [], 0
    for f, n in zip(files, file_rows):
        for a in range(0, n, partition_rows):
            pieces.append(Piece(str(f), a, min(n, a + partition_rows), offset + a))
        offset += n
    return pieces


def read_piece(piece: Piece, columns: list[str] | None = None) -> pd.DataFrame:
    """One partition as pandas, converted exactly as the local engine converts its batches."""
    pf = open_parquet(piece.file)
    try:
        table = read_rows(pf, piece.start, piece.stop, columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{piece.file}: read failed ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    finally:
        pf.close()
    df = table.to_pandas()
    df.index = pd.RangeIndex(piece.offset, piece.offset + len(df))
    return df


# --------------------------------------------------------------------------- worker side
@dataclass
class PartitionSpec:
    """What every partition task needs; one graph key, sent once to each worker."""

    lf_text: str
    lf_filename: str
    lf_digest: str
    run_names: list[str]              # LFs to apply, in output order
    run_cols: list[int]               # their columns in the output
    lf_names: list[str]               # every output LF column, in order
    K: int | None
    K_store: int
    on_error: str
    id_cols: list[str] | None
    id_schema: pa.Schema
    batch_size: int
    source: str                       # the input's name, for error messages
    columns: list[str]                # the input's columns, for error messages
    folder: str                       # the temporary output folder
    n_parts: int
    part_meta: dict
    reuse: Reuse | None = None
    expect_version: str = __version__


_LF_LOCK = threading.Lock()
_LF_CACHE: dict[str, object] = {}


def _worker_lfs(spec: PartitionSpec):
    """Import the shipped LF file once per worker process (keyed by the text's digest)."""
    with _LF_LOCK:
        module = _LF_CACHE.get(spec.lf_digest)
        if module is None:
            base = Path(tempfile.gettempdir()) / f"weaklabel-lfs-{os.getuid()}" / spec.lf_digest
            base.mkdir(parents=True, exist_ok=True)
            path = base / spec.lf_filename
            if not path.exists() or path.read_text() != spec.lf_text:
                fd, tmp = tempfile.mkstemp(dir=base, suffix=".tmp")
                with os.fdopen(fd, "w") as fh:
                    fh.write(spec.lf_text)
                os.replace(tmp, path)
            module = _LF_CACHE[spec.lf_digest] = load_lfs(path)
    by_name = {lf.name: lf for lf in module.lfs}
    missing = [n for n in spec.run_names if n not in by_name]
    if missing:
        raise LFDefinitionError(f"{spec.lf_filename}: on a Dask worker it defines no LF {missing[0]!r} "
                                "(does the file depend on something that differs between machines?)")
    return [by_name[n] for n in spec.run_names]


def run_partition(df: pd.DataFrame, spec: PartitionSpec, index: int, offset: int) -> dict:
    """Apply the LFs to one partition on a worker and write its part file.

    Returns counts for the summary; a user-facing failure (an LF error, changed row ids) is
    returned as ``{"error": exc}`` so that the client can report the first one in row order.
    """
    folder = Path(spec.folder)
    final = folder / part_name(index, spec.n_parts)
    tmp = folder / f".{final.name}.inprogress"
    m = len(spec.lf_names)
    counts = np.zeros((m, spec.K_store), dtype=np.int64)
    max_vote = -1
    rows = 0
    writer = None
    reuse = spec.reuse.fresh() if spec.reuse is not None else None  # worker threads share the spec
    try:
        lfs = _worker_lfs(spec) if spec.run_names else []
        engine = _Engine(lfs, spec.K, spec.on_error, 1, spec.id_cols, spec.source, None)
        engine.columns = list(spec.columns)
        B = spec.batch_size
        batches = ((offset + s, df.iloc[s:s + B].reset_index(drop=True)) for s in range(0, len(df), B))
        writer = VotesWriter(tmp, spec.id_schema, spec.lf_names, spec.K_store)
        for start, bdf, part in engine.run(batches, len(df), None):
            ids = ids_table(bdf[list(spec.id_cols)] if spec.id_cols else None, start, len(bdf))
            if reuse is None:
                dense = part
            else:
                dense = np.full((len(bdf), m), -1, dtype=np.int16)
                if spec.run_cols:
                    dense[:, spec.run_cols] = part
                reuse.fill(dense, start, ids)
            writer.write(ids, dense)
            counts += _vote_counts(dense, spec.K_store)
            if dense.size:
                max_vote = max(max_vote, int(dense.max()))
            rows += len(bdf)
        meta = dict(spec.part_meta, part={"index": index, "offset": offset, "rows": rows})
        writer.close(meta)
        writer = None
        os.replace(tmp, final)
    except WeaklabelError as exc:
        if writer is not None:
            writer.abort()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        return {"index": index, "error": exc}
    except BaseException:
        if writer is not None:
            writer.abort()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        if reuse is not None:
            reuse.old.close()
    return {"index": index, "rows": rows, "counts": counts, "errors": engine.errors.tolist(),
            "max_vote": max_vote, "file": final.name}


RESULT_META = pd.DataFrame({"result": pd.Series([], dtype=object)})


def apply_partition(df: pd.DataFrame, spec: PartitionSpec, partition_info: dict | None = None) -> pd.DataFrame:
    """``map_partitions`` wrapper of :func:`run_partition`: one row holding the result dict."""
    index = partition_info["number"]
    offset = int(partition_info["division"])
    # what LFs print goes to the worker's stderr: a LocalCluster's workers share the client's
    # stdout, which holds the summary table or the --json document alone
    with contextlib.redirect_stdout(sys.stderr):
        result = run_partition(df, spec, index, offset)
    return pd.DataFrame({"result": [result]}, index=[offset])


def probe_worker(paths: list[str]) -> dict:
    """Run on every worker before the job: its weaklabel version and the paths it cannot see."""
    return {"version": __version__, "missing": [p for p in paths if not os.path.exists(p)]}


# --------------------------------------------------------------------------- client side
@contextlib.contextmanager
def connect(scheduler: str | None = None, jobs: int | None = None, client=None) -> Iterator[object]:
    """A ``distributed.Client``: the one given, one connected to ``scheduler``, or one on a new
    LocalCluster of ``jobs`` single-threaded worker processes (closed on exit)."""
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if scheduler:
        try:
            c = Client(scheduler, timeout=_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot connect to the Dask scheduler at {scheduler}: {first_line(exc)}") from None
        try:
            yield c
        finally:
            c.close()
        return
    n = max(1, int(jobs or default_jobs()))
    # CRITICAL: a failing task's error reaches the client as an exception (one line); what the
    # workers would log besides it (heartbeats failing while the cluster shuts down after that
    # error) is noise that buried the one-line message under a traceback
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.CRITICAL)
    try:
        c = Client(cluster)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def check_workers(client, paths: list[str], where: str) -> int:
    """Wait for at least one worker, check that every worker runs this weaklabel and sees
    ``paths``; return the number of worker threads."""
    try:
        if not client.scheduler_info().get("workers"):
            client.wait_for_workers(1, timeout=_WORKERS_TIMEOUT)
    except TimeoutError:
        raise InputError(f"no Dask worker joined the scheduler at {where} within {_WORKERS_TIMEOUT:.0f} s; "
                         "start workers with `dask worker SCHEDULER_ADDRESS`") from None
    try:
        answers = client.run(probe_worker, paths)
    except Exception as exc:  # noqa: BLE001 - e.g. weaklabel is not importable on a worker
        raise InputError(f"the Dask workers cannot run weaklabel ({type(exc).__name__}: {first_line(exc)}); "
                         f"install it on every worker: {INSTALL_HINT}") from None
    for addr, got in sorted(answers.items()):
        if got["version"] != __version__:
            raise InputError(f"the Dask worker {addr} runs weaklabel {got['version']}, this client {__version__}; "
                             "install the same version everywhere")
        if got["missing"]:
            raise InputError(f"the Dask worker {addr} cannot see {got['missing'][0]}: the input and the output's "
                             "folder must be on a filesystem shared by the client and every worker, at the same path")
    return sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()) or len(answers)


def _lf_text(job: ApplyJob) -> tuple[str, str]:
    path = job.module.path
    if not path.exists():
        raise InputError("--engine dask needs the LFs as an lfs.py file (its text is sent to the workers), "
                         "not LabelingFunction objects defined in memory")
    return path.read_text(), path.name


def run_dask(job: ApplyJob, *, jobs: int | None, scheduler: str | None, client, partition_rows: int | None,
             progress: Callable[[int], None] | None, on_start: Callable[[int | None], None] | None,
             t0: float) -> ApplySummary:
    """The Dask engine behind :func:`weaklabel.apply.apply_file` (``engine="dask"``)."""
    require_dask()
    import dask
    import dask.dataframe as dd
    from distributed import as_completed

    src = job.src
    if src.format not in ("parquet", "parquet-dir"):
        raise InputError(f"{src.path}: --engine dask reads Parquet (a file, a folder or a glob), not "
                         f"{src.format.upper()}; convert it first, or use --engine local")
    B = job.batch_size
    P = int(partition_rows) if partition_rows else DEFAULT_PARTITION_ROWS
    if P < 1:
        raise InputError(f"--partition-rows must be at least 1, got {P}")
    P = max(B, -(-P // B) * B)  # a multiple of the batch size: batches are the local engine's
    pieces = [p for p in plan_pieces(src.files, src.file_rows, P) if p.rows > 0]
    if not pieces:
        raise InputError(f"{src.path}: has no rows")
    lf_text, lf_filename = _lf_text(job) if job.plan.run else ("", "")
    first = next(src.iter_batches(B, job.id_cols), None) if job.id_cols else None
    id_schema = ids_table(first[list(job.id_cols)] if job.id_cols else None, 0, 0).schema
    schema = votes_schema(id_schema, job.lf_names, job.K_store)  # also rejects LF names that clash with ids
    columns = job.read_columns()
    meta_df = (src.schema if columns is None else pa.schema([src.schema.field(c) for c in columns])) \
        .empty_table().to_pandas()
    hashes = job.hashes()
    part_meta = {"format": VOTES_FORMAT, "format_version": FORMAT_VERSION, "weaklabel_version": __version__,
                 "classes": job.classes, "id_columns": job.id_columns, "dataset": COMMON_METADATA,
                 "lfs": [{"name": n, "hash": h} for n, h in zip(job.lf_names, hashes)]}
    if job.K is not None:
        part_meta["cardinality"] = job.K
    m = len(job.lfs)
    with atomic_output(job.output, job.force or job.update, directory=True, replace_dataset=True) as tmp:
        where = scheduler or "a LocalCluster"
        with connect(scheduler, jobs, client) as c:
            needed = [p.file for p in pieces[:1]] + [str(tmp)]
            if job.plan.reuse:
                needed.append(job.plan.old.files[0])
            threads = check_workers(c, needed, where)
            spec = PartitionSpec(
                lf_text=lf_text, lf_filename=lf_filename,
                lf_digest=hashlib.sha256(f"{lf_filename}\0{lf_text}".encode()).hexdigest()[:20],
                run_names=[lf.name for lf in job.run_lfs], run_cols=list(job.plan.run), lf_names=job.lf_names,
                K=job.K, K_store=job.K_store, on_error=job.on_error, id_cols=job.id_cols, id_schema=id_schema,
                batch_size=B, source=src.path.name, columns=list(src.columns), folder=str(tmp),
                n_parts=len(pieces), part_meta=part_meta, reuse=job.reuse())
            spec_key = dask.delayed(spec, name=f"weaklabel-spec-{uuid.uuid4().hex}", traverse=False)
            with dask.config.set({"dataframe.convert-string": False}):  # keep the local engine's dtypes
                ddf = dd.from_map(read_piece, pieces, args=[columns], meta=meta_df,
                                  divisions=[p.offset for p in pieces] + [pieces[-1].offset + pieces[-1].rows - 1],
                                  label="weaklabel-read", enforce_metadata=False)
                # reading and applying fuse into one task per partition: the partition's rows never
                # leave the worker that read them
                done = ddf.map_partitions(apply_partition, spec_key, meta=RESULT_META, enforce_metadata=False,
                                          align_dataframes=False)
                tasks = done.to_delayed()
            if on_start is not None:
                on_start(src.n_rows)
            futures = c.compute(tasks)
            results = _gather_in_order(c, futures, pieces, progress, as_completed)
        rows = sum(r["rows"] for r in results)
        counts = np.zeros((m, job.K_store), dtype=np.int64)
        run_errors = np.zeros(len(job.plan.run), dtype=np.int64)
        max_vote = -1
        for r in results:
            counts += r["counts"]
            run_errors += np.asarray(r["errors"], dtype=np.int64)
            max_vote = max(max_vote, r["max_vote"])
        summary = job.summary(rows, counts, run_errors.tolist(), max_vote, time.perf_counter() - t0, threads,
                              "dask", partitions=len(pieces))
        meta = summary.metadata(hashes)
        meta["parts"] = [{"file": r["file"], "offset": p.offset, "rows": r["rows"]} for r, p in zip(results, pieces)]
        write_dataset_metadata(tmp, schema, meta)
    return summary


def _gather_in_order(client, futures: list, pieces: list[Piece], progress, as_completed) -> list[dict]:
    """Collect partition results; on a failure, report the earliest failing partition in row order
    (waiting for the partitions before it, cancelling those after it)."""
    from distributed.client import FutureCancelledError

    from distributed import KilledWorker

    index = {f.key: i for i, f in enumerate(futures)}
    results: list[dict | None] = [None] * len(futures)

    def get(i: int) -> dict:
        try:
            got = futures[i].result()
            return got["result"].iloc[0] if isinstance(got, pd.DataFrame) else got
        except KilledWorker as exc:
            p = pieces[i]
            raise InputError(f"a Dask worker died while applying the LFs to rows {p.offset:,}..{p.offset + p.rows - 1:,} "
                             f"({first_line(exc)}); out of memory? try a smaller --partition-rows") from None
        except FutureCancelledError:
            raise InputError("the Dask computation was cancelled (did the scheduler or the workers stop?)") from None

    failed = None
    try:
        for fut in as_completed(futures):
            i = index[fut.key]
            results[i] = get(i)
            if results[i].get("error") is not None:
                failed = i
                break
            if progress is not None:
                progress(results[i]["rows"])
        if failed is not None:
            client.cancel(futures[failed + 1:])
            for j in range(failed):
                if results[j] is None:
                    results[j] = get(j)
                if results[j].get("error") is not None:
                    raise results[j]["error"]
            raise results[failed]["error"]
    except BaseException:
        client.cancel(futures)
        raise
    return results  # type: ignore[return-value]
