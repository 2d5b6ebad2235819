"""The public entry points of `apply`: :func:`apply_lfs` (a DataFrame in memory) and
:func:`apply_file` (a table on disk to votes.parquet, with the local or the Dask runner)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._signals import watching_interrupts
from ..errors import InputError, MissingColumnError
from ..io import TableSource, check_output, check_parquet_name
from ..lf import LabelingFunction
from ..lf.loading import LFModule, collect_lfs, load_lfs
from ..votes import VoteMatrix, dense_to_csr
from .batches import bom_hint, check_json_document, column_hints, glob_hint, index_hint
from .engine import ON_ERROR, Engine, default_jobs, vote_counts
from .input_hash import InputHash
from .local import run_local
from .job import (DEFAULT_BATCH_SIZE, ENGINES, ApplyJob, ApplySummary, check_batch_size, check_id_cols, check_jobs,
                  id_col_list, resolve_cardinality, summary_from_metadata)
from .update import UpdatePlan, plan_update


def apply_lfs(data: pd.DataFrame, lfs: Sequence[LabelingFunction], *, cardinality: int | None = None,
              classes: Sequence[str] | None = None, on_error: str = "raise", jobs: int = 1,
              id_cols: str | Sequence[str] | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
              progress: Callable[[int], None] | None = None) -> VoteMatrix:
    """Apply labeling functions to a DataFrame and return the :class:`VoteMatrix`.

    ``cardinality`` (or ``classes``) fixes K; otherwise K is ``max vote + 1`` (at least 2).
    ``jobs > 1`` runs row-wise LFs in worker processes (identical results); ``jobs=0`` means all
    cores, as ``--jobs 0`` does. ``id_cols`` is one column name or a list of them. Per-LF error
    counts (``on_error="abstain"``) are in ``result.metadata["lfs"]``.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"apply_lfs expects a pandas DataFrame, got {type(data).__name__}")
    if isinstance(lfs, LabelingFunction):   # one LF: a list of one ("not iterable" otherwise)
        lfs = [lfs]
    try:
        lfs = list(lfs)
    except TypeError:
        raise InputError(f"apply_lfs expects a list of labeling functions, got {type(lfs).__name__}") from None
    lfs = collect_lfs(lfs, "apply_lfs")
    K, names = resolve_cardinality(classes, cardinality, None)
    id_cols = id_col_list(id_cols)
    jobs = check_jobs(jobs)
    batch_size = check_batch_size(batch_size)
    index_names = [str(n) for n in data.index.names if n is not None]
    try:
        check_id_cols(id_cols, list(data.columns), "data")
    except InputError as exc:
        missing = next((c for c in id_cols or [] if c not in data.columns), "")
        raise InputError(f"{exc}{index_hint(index_names, missing)}") from None
    if len(data) == 0:
        raise InputError("data: has no rows")
    hashes = [lf.source_hash for lf in lfs]   # before the LFs run (one may set a module global it hashes)
    engine = Engine(lfs, K, on_error, jobs, id_cols, "", None)
    t0 = time.perf_counter()
    data = data.reset_index(drop=True)
    # each batch indexed from 0, as apply_file's: a vectorized LF's pd.Series(votes) lines up in every batch
    batches = ((s, data.iloc[s:s + batch_size].reset_index(drop=True)) for s in range(0, len(data), batch_size))
    parts = []
    try:
        with watching_interrupts():
            for _, _, dense in engine.run(batches, len(data), progress):
                parts.append(dense)
    except MissingColumnError as exc:
        engine.abort()
        hint = index_hint(index_names, exc.column)
        if not hint:
            raise
        raise MissingColumnError(f"{exc}{hint}", lf=exc.lf, column=exc.column) from None
    except BaseException:
        engine.abort()
        raise
    finally:
        engine.close()
    dense = np.concatenate(parts)
    K = engine.cardinality()
    counts = vote_counts(dense, K)
    summary = ApplySummary(rows=len(data), lf_names=[lf.name for lf in lfs], vectorized=[lf.vectorized for lf in lfs],
                           cardinality=K, classes=names, vote_counts=counts, errors=engine.errors.tolist(),
                           seconds=time.perf_counter() - t0, jobs=engine.jobs,
                           id_columns=list(id_cols) if id_cols else ["row"],
                           row_is_id=list(id_cols or []) == ["row"])
    row_ids = data[list(id_cols)].reset_index(drop=True) if id_cols else None
    indptr, indices, votes = dense_to_csr(dense, K, summary.lf_names)
    return VoteMatrix(indptr, indices, votes, summary.lf_names, cardinality=K, row_ids=row_ids,
                      classes=names, metadata=summary.metadata(hashes), validate=False)


def apply_file(lfs: str | Path | LFModule | Sequence[LabelingFunction], data: str | Path,
               output: str | Path, *, jobs: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
               id_cols: str | Sequence[str] | None = None, on_error: str = "raise",
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
    be the data the output was made from (its fingerprint, a hash of every byte, is in the output's
    metadata); votes that cannot prove it (an older version's partial fingerprint) are not reused:
    every LF reruns, and ``ApplySummary.note`` says why.

    ``engine="dask"`` runs the LFs per partition on a Dask cluster (``scheduler`` address, an
    existing ``distributed.Client`` as ``client``, or else a LocalCluster of ``jobs`` workers) and
    writes ``output`` as a folder of Parquet part files; see :mod:`weaklabel.apply.dask_runner`.

    ``jobs=0`` means all cores (as ``--jobs 0``); ``id_cols`` is one column name or a list.
    """
    id_cols = id_col_list(id_cols)
    jobs = check_jobs(jobs)
    batch_size = check_batch_size(batch_size, "--batch-size")
    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "dask":
        from .._dask import shared_path
        from .dask_runner import require_dask

        require_dask()  # before any work: a missing extra is a one-line error
        data, output = shared_path(data), shared_path(output)   # the workers' paths too
    if on_error not in ON_ERROR:
        raise InputError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
    check_parquet_name(output, "votes")
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
    try:
        src = TableSource(data)
    except InputError as exc:
        hint = bom_hint(data) if Path(data).suffix.lower() in (".jsonl", ".ndjson", ".json") else glob_hint(data)
        if not hint:
            raise
        raise InputError(f"{exc}{hint}") from None
    check_json_document(src)
    if src.n_rows == 0:   # before the id columns: an empty JSON Lines file has no columns either
        raise InputError(f"{src.path}: has no rows")
    hints = column_hints(src)
    try:
        check_id_cols(id_cols, src.columns, str(src.path))
    except InputError as exc:
        missing = next((c for c in id_cols or [] if c not in src.columns), "")
        raise InputError(f"{exc}{hints.get(missing, '')}") from None
    nested = src.nested_columns(id_cols or [])
    if nested:
        raise InputError(f"{src.path}: --id-col {nested[0]!r} holds lists or structs; row ids must be plain values "
                         "(strings, numbers, dates)")
    src.check_id_types(id_cols or [])
    t0 = time.perf_counter()
    # the input's files as they are now; their bytes are hashed while the LFs run (input_hash.py)
    hashing = InputHash(src, src.reading(id_cols))
    # the LFs' hashes now, before any LF runs: the plan compares them and the output records them
    lf_hashes = [lf.source_hash for lf in module.lfs]
    try:
        if update:
            plan = plan_update(output, module.lfs, hashing, src.n_rows, id_cols, K, names, lf_hashes)
        else:
            plan = UpdatePlan(run=list(range(len(module.lfs))), reuse=[], dropped=[],
                              current_names=[lf.name for lf in module.lfs])
        job = ApplyJob(module=module, src=src, output=Path(output), K=K, classes=names,
                       id_cols=list(id_cols) if id_cols else None, on_error=on_error, batch_size=batch_size,
                       force=force, plan=plan, update=update, input_hash=hashing,
                       lf_hashes=lf_hashes)
        if plan.noop:
            job.input_fingerprint()    # nothing to run beside the hash: the same data, or an error
            return summary_from_metadata(plan, module.lfs, output, t0, engine)
        if engine == "dask":
            from .dask_runner import run_dask

            return run_dask(job, jobs=jobs, scheduler=scheduler, client=client, partition_rows=partition_rows,
                            progress=progress, on_start=on_start, t0=t0)
        with watching_interrupts():
            return run_local(job, jobs if jobs is not None else default_jobs(), progress, on_start, t0)
    except MissingColumnError as exc:
        hint = hints.get(exc.column, "")
        if not hint:
            raise
        raise MissingColumnError(f"{exc}{hint}", lf=exc.lf, column=exc.column) from None
    finally:
        hashing.cancel()   # an error or a signal: the hash stops within a chunk
