"""Apply labeling functions on a Dask cluster: ``weaklabel apply ... --engine dask``.

The input (a Parquet file, folder or glob) becomes a Dask DataFrame with one partition per
``partition_rows`` rows of a file (:func:`dask.dataframe.from_map` over row ranges, so every
partition's global row offset is known before anything runs). ``map_partitions`` then applies
the LFs where the partition was read (Dask fuses the two into one task, so rows never travel
between workers): the local engine's own kernels (:class:`weaklabel.apply.engine.Engine` with one
process, in ``batch_size`` batches aligned with the local engine's), and the worker writes the
partition as one part file of the output folder::

    votes.parquet/
        _common_metadata          schema + the ``weaklabel`` metadata of the whole dataset
        part.00000.parquet        rows 0 .. P-1      (each part: ids + one int8 column per LF)
        part.00001.parquet        rows P .. 2P-1
        ...

so the output equals ``--engine local``'s row for row (:func:`weaklabel.votes.file.read_votes`,
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
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .._dask import (DEFAULT_PARTITION_ROWS, Piece, check_workers, connect, gather_in_order, part_file,  # noqa: F401
                     plan_pieces, require_dask)
from .._version import __version__
from ..errors import InputError, LFDefinitionError, WeaklabelError
from ..io import (COMMON_METADATA, open_parquet, FORMAT_VERSION, ROW_IS_ID, VOTES_FORMAT, VotesWriter, atomic_output, ids_table,
                 part_name, read_rows, votes_schema, write_dataset_metadata)
from ..lf.loading import load_lfs
from .batches import lf_columns, lf_frame, source_name
from .engine import Engine, Tally, assemble
from .job import ApplyJob, ApplySummary
from .update import Reuse



def read_piece(piece: Piece, columns: list[str] | None = None, id_cols: list[str] | None = None) -> pd.DataFrame:
    """One partition as pandas, converted exactly as the local engine converts its batches."""
    pf = open_parquet(piece.file)
    try:
        table = read_rows(pf, piece.start, piece.stop, columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{piece.file}: read failed ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    finally:
        pf.close()
    df = lf_frame(table.to_pandas(), table.schema.names, id_cols)   # a saved pandas index as the local engine has it
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


#: copies of ``lfs.py`` older than this are removed when a worker writes a new one
LF_COPY_DAYS = 7


def _prune_lf_copies(folder: Path, keep: Path) -> None:
    """Remove this user's shipped ``lfs.py`` copies (one folder per file digest) untouched for
    :data:`LF_COPY_DAYS`; best effort (another worker may be removing or using one)."""
    import shutil

    cutoff = time.time() - LF_COPY_DAYS * 86400
    for old in folder.iterdir():
        try:
            if old != keep and old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def _worker_lfs(spec: PartitionSpec):
    """Import the shipped LF file once per worker process (keyed by the text's digest)."""
    with _LF_LOCK:
        module = _LF_CACHE.get(spec.lf_digest)
        if module is None:
            base = Path(tempfile.gettempdir()) / f"weaklabel-lfs-{os.getuid()}" / spec.lf_digest
            fresh = not base.exists()
            base.mkdir(parents=True, exist_ok=True)
            if fresh:
                _prune_lf_copies(base.parent, keep=base)
            else:
                os.utime(base)   # in use: not pruned by another run's worker
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
    tally = Tally(len(spec.lf_names), spec.K_store)
    reuse = spec.reuse.fresh() if spec.reuse is not None else None  # worker threads share the spec
    try:
        with part_file(spec.folder, index, spec.n_parts) as tmp:
            lfs = _worker_lfs(spec) if spec.run_names else []
            engine = Engine(lfs, spec.K, spec.on_error, 1, spec.id_cols, spec.source, None)
            engine.columns = list(spec.columns)
            B = spec.batch_size
            batches = ((offset + s, df.iloc[s:s + B].reset_index(drop=True)) for s in range(0, len(df), B))
            writer = VotesWriter(tmp, spec.id_schema, spec.lf_names, spec.K_store)
            try:
                for ids, dense in assemble(engine.run(batches, len(df), None), spec, reuse, tally):
                    writer.write(ids, dense)
                writer.close(dict(spec.part_meta, part={"index": index, "offset": offset, "rows": tally.rows}))
            except BaseException:
                writer.abort()
                raise
    except WeaklabelError as exc:
        return {"index": index, "error": exc}
    finally:
        if reuse is not None:
            reuse.old.close()
    return {"index": index, "rows": tally.rows, "counts": tally.counts, "errors": engine.errors.tolist(),
            "max_vote": tally.max_vote, "file": part_name(index, spec.n_parts)}


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



def _lf_text(job: ApplyJob) -> tuple[str, str]:
    path = job.module.path
    if not path.exists():
        raise InputError("--engine dask needs the LFs as an lfs.py file (its text is sent to the workers), "
                         "not LabelingFunction objects defined in memory")
    return path.read_text(), path.name


def run_dask(job: ApplyJob, *, jobs: int | None, scheduler: str | None, client, partition_rows: int | None,
             progress: Callable[[int], None] | None, on_start: Callable[[int | None], None] | None,
             t0: float) -> ApplySummary:
    """The Dask runner behind :func:`weaklabel.apply.apply_file` (``engine="dask"``)."""
    require_dask()
    import dask
    import dask.dataframe as dd

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
    if job.id_cols and src.schema is not None:   # Parquet: the ids keep the input's Arrow types
        id_schema = src.id_schema(job.id_cols)   # one type for every file (int32 and int64: int64)
    else:
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
    if job.row_is_id:
        part_meta[ROW_IS_ID] = True
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
                batch_size=B, source=source_name(src), columns=lf_columns(src.columns, job.id_cols), folder=str(tmp),
                n_parts=len(pieces), part_meta=part_meta, reuse=job.reuse())
            spec_key = dask.delayed(spec, name=f"weaklabel-spec-{uuid.uuid4().hex}", traverse=False)
            with dask.config.set({"dataframe.convert-string": False}):  # keep the local engine's dtypes
                ddf = dd.from_map(read_piece, pieces, args=[columns, job.id_cols], meta=meta_df,
                                  divisions=[p.offset for p in pieces] + [pieces[-1].offset + pieces[-1].rows - 1],
                                  label="weaklabel-read", enforce_metadata=False)
                # reading and applying fuse into one task per partition: the partition's rows never
                # leave the worker that read them
                done = ddf.map_partitions(apply_partition, spec_key, meta=RESULT_META, enforce_metadata=False,
                                          align_dataframes=False)
                tasks = done.to_delayed()
            if on_start is not None:
                on_start(src.n_rows)

            def advance(rows: int) -> None:   # --update: other data fails once hashed, not at the end
                job.check_input_early()
                if progress is not None:
                    progress(rows)

            job.start_hashing()   # on this machine, while the workers run the LFs
            futures = c.compute(tasks)
            results = gather_in_order(c, futures, rows=[p.rows for p in pieces], advance=advance,
                                      error_of=lambda r: _result(r).get("error"), died=_died(pieces))
            results = [_result(r) for r in results]
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


def _died(pieces: list[Piece]):
    def message(i: int | None, text: str) -> str:
        where = "" if i is None else f" to rows {pieces[i].offset:,}..{pieces[i].offset + pieces[i].rows - 1:,}"
        return (f"a Dask worker died while applying the LFs{where} ({text}); out of memory? "
                "try a smaller --partition-rows")
    return message


def _result(got) -> dict:
    """A partition's result dict (``apply_partition`` wraps it in a one-row DataFrame)."""
    return got["result"].iloc[0] if isinstance(got, pd.DataFrame) else got
