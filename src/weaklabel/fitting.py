"""Fit a label model on a votes file and write labels: in memory, streamed from disk, or on Dask.

:func:`fit_file` and :func:`predict_file` are what ``weaklabel fit`` / ``weaklabel predict`` run.
Three ways, one result (the fitted parameters agree to floating-point summation order, the
labels row for row):

* ``"memory"``: the votes are read into a :class:`~weaklabel.votes.VoteMatrix` (fastest when
  they fit; needed for gold labels);
* ``"stream"`` (``engine="local", stream=True``): :class:`~weaklabel.streaming.StreamingVoteStats`
  re-reads the file in row blocks on every pass and labels.parquet is written block by block:
  memory stays bounded whatever the number of rows. ``stream=None`` chooses it when an in-memory
  fit would need more than half of the available memory;
* ``"dask"``: :class:`~weaklabel.dask_fit.DaskVoteStats` on a cluster (``scheduler``) or a
  LocalCluster of ``jobs`` workers; labels are written as a folder of part files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .io import LABELS_FORMAT, check_distinct, check_output, output_group

ENGINES = ("local", "dask")


@dataclass
class RunPlan:
    """How the votes will be processed and why."""

    mode: str                      # "memory", "stream" or "dask"
    reason: str = ""
    memory_estimate: int | None = None
    available: int | None = None
    source: object = None          # the VotesSource, when one was opened


@dataclass
class FitSummary:
    output: str
    model: object
    mode: str
    rows: int
    labelled: int
    per_class: list[int]
    lf_names: list[str]
    coverage: np.ndarray
    classes: list[str] | None
    fit_seconds: float
    seconds: float
    passes: int | None = None
    partitions: int | None = None
    plan: RunPlan = field(default_factory=lambda: RunPlan("memory"))


def plan_run(votes, *, engine: str = "local", stream: bool | None = None, lf_names=None) -> RunPlan:
    """Decide between memory, stream and dask (``stream=None``: by the in-memory size estimate)."""
    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "dask":
        if stream is not None:
            raise InputError("--stream/--no-stream are for --engine local (Dask holds the votes in its workers)")
        return RunPlan("dask", "engine dask")
    if stream is False:
        return RunPlan("memory", "--no-stream")
    from .votes.reader import VotesSource, should_stream

    source = VotesSource(votes, lf_names=lf_names)
    if stream:
        return RunPlan("stream", "--stream", source=source)
    big, need, avail = should_stream(source)
    if big:
        return RunPlan("stream", f"an in-memory fit needs about {need / 2**30:.1f} GiB, more than half of the "
                                 f"{avail / 2**30:.1f} GiB available", need, avail, source)
    return RunPlan("memory", f"about {need / 2**30:.1f} GiB in memory", need, avail, source)


def _model(model, params: dict | None):
    from .models import make_model
    from .models.base import LabelModel

    if isinstance(model, LabelModel):
        return model
    return make_model(model, **(params or {}))


class _Cluster:
    """``connect`` of the apply engine, opened only for ``mode == "dask"``."""

    def __init__(self, plan: RunPlan, scheduler, jobs, client):
        self.plan, self.args = plan, (scheduler, jobs, client)
        self._cm = None

    def __enter__(self):
        if self.plan.mode != "dask":
            return None
        from ._dask import connect, require_dask

        require_dask()
        self._cm = connect(*self.args)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        if self._cm is not None:
            return self._cm.__exit__(*exc)
        return False


def fit_file(votes, output, model="auto", *, params: dict | None = None, engine: str = "local",
             stream: bool | None = None, scheduler: str | None = None, client=None, jobs: int | None = None,
             partition_rows: int | None = None, block_rows: int | None = None, fill_unlabeled: str = "none",
             ties: str | None = None, force: bool = False, save_model=None, extra_metadata: dict | None = None,
             progress=None, plan: RunPlan | None = None) -> FitSummary:
    """Fit ``model`` (a name from ``MODELS`` with ``params``, or an unfitted model) on ``votes``
    and write its labels to ``output`` (a file; a folder of part files with ``engine="dask"``).

    ``progress``: optional object with ``start(label, total_rows)`` and ``advance(rows)``.
    """
    from .models import save_model as save

    t0 = time.perf_counter()
    check_distinct([votes], [output, save_model])
    plan = plan or plan_run(votes, engine=engine, stream=stream)
    check_output(output, force, dataset_ok=True, dataset_formats=(LABELS_FORMAT,))
    if save_model is not None:
        check_output(save_model, force)
    lm = _model(model, params)
    meta = {"votes_file": Path(votes).name, "dev_file": None}
    meta.update(extra_metadata or {})
    passes = partitions = None
    # the labels and the model file are renamed into place together, at the end (output_group)
    with output_group(), _Cluster(plan, scheduler, jobs, client) as c:
        if plan.mode == "memory":
            from .labels import write_model_labels
            from .votes import VoteMatrix

            vm = VoteMatrix.read_parquet(votes)
            t1 = time.perf_counter()
            lm.fit(vm)
            fit_s = time.perf_counter() - t1
            res = write_model_labels(lm, vm, output, fill_unlabeled=fill_unlabeled, force=force, ties=ties,
                                     extra_metadata=meta)
            rows, names, classes = vm.n_rows, vm.lf_names, vm.classes
            coverage = np.bincount(vm.indices, minlength=vm.n_lfs) / max(vm.n_rows, 1)
        elif plan.mode == "stream":
            from .streaming import StreamingVoteStats, write_labels_stream
            from .votes.reader import VotesSource

            source = plan.source or VotesSource(votes)
            stats = StreamingVoteStats(source, block_rows=block_rows, progress=progress)
            t1 = time.perf_counter()
            lm.fit(stats)
            fit_s = time.perf_counter() - t1
            res = write_labels_stream(lm, source, output, fill_unlabeled=fill_unlabeled, ties=ties, force=force,
                                      extra_metadata=meta, block_rows=block_rows, progress=progress)
            rows, names, classes = source.n_rows, source.lf_names, source.layout.classes
            coverage = stats.lf_counts().sum(axis=1) / max(source.n_rows, 1)
            passes = stats.passes + 1
        else:
            from .dask_fit import DaskVoteStats

            with DaskVoteStats(votes, c, partition_rows=partition_rows, progress=progress,
                               where=scheduler or "a LocalCluster") as stats:
                t1 = time.perf_counter()
                lm.fit(stats)
                fit_s = time.perf_counter() - t1
                res = stats.write_labels(lm, output, fill_unlabeled=fill_unlabeled, ties=ties, force=force,
                                         extra_metadata=meta)
                rows, names, classes = stats.n_rows, stats.lf_names, stats.layout.classes
                coverage = stats.lf_counts().sum(axis=1) / max(stats.n_rows, 1)
                passes, partitions = stats.passes, stats.partitions
        if save_model is not None:
            save(lm, save_model, force=force)
    return FitSummary(str(output), lm, plan.mode, rows, res["labelled"], list(res["per_class"]), list(names),
                      coverage, list(classes) if classes else None, fit_s, time.perf_counter() - t0, passes,
                      partitions, plan)


def predict_file(model, votes, output, *, engine: str = "local", stream: bool | None = None,
                 scheduler: str | None = None, client=None, jobs: int | None = None,
                 partition_rows: int | None = None, block_rows: int | None = None, fill_unlabeled: str = "none",
                 ties: str | None = None, force: bool = False, extra_metadata: dict | None = None,
                 progress=None, plan: RunPlan | None = None) -> dict:
    """Label ``votes`` with a fitted model (or the path of a model file); the model's LFs are read
    by name. Returns ``{"rows", "labelled", "per_class", "mode", "partitions"}``."""
    from .models import load_model
    from .models.base import LabelModel

    lm = model if isinstance(model, LabelModel) else load_model(model)
    lm._check_fitted()
    names = list(getattr(lm, "lf_names_", None) or []) or None
    where = Path(votes)
    check_distinct([votes, model if not isinstance(model, LabelModel) else None], [output])
    plan = plan or plan_run(votes, engine=engine, stream=stream, lf_names=names)
    check_output(output, force, dataset_ok=True, dataset_formats=(LABELS_FORMAT,))
    meta = dict(extra_metadata or {})
    K = int(lm.cardinality_)
    with _Cluster(plan, scheduler, jobs, client) as c:
        if plan.mode == "memory":
            from .labels import write_model_labels
            from .votes import VoteMatrix

            vm = VoteMatrix.read_parquet(votes)
            if names and vm.lf_names != names:
                missing = [n for n in names if n not in vm.lf_names]
                if missing:
                    raise InputError(f"{where}: has no column for LF {missing[0]!r}, which the model was fitted with")
                sub = vm.select_lfs(names)
                sub.row_ids, sub.classes = vm.row_ids, vm.classes
                vm = sub
            if vm.cardinality != K:
                raise InputError(f"{where}: cardinality {vm.cardinality} but the model has {K} classes")
            if names is None and vm.n_lfs != int(lm.n_lfs_):
                raise InputError(f"{where}: has {vm.n_lfs} LFs but the model was fitted on {int(lm.n_lfs_)}")
            res = write_model_labels(lm, vm, output, fill_unlabeled=fill_unlabeled, force=force, ties=ties,
                                     extra_metadata=meta)
            res["rows"] = vm.n_rows
        else:
            from .votes.reader import VotesSource

            source = plan.source or VotesSource(votes, lf_names=names)
            if source.cardinality != K:
                raise InputError(f"{where}: cardinality {source.cardinality} but the model has {K} classes")
            if source.n_lfs != int(lm.n_lfs_):
                raise InputError(f"{where}: has {source.n_lfs} LFs but the model was fitted on {int(lm.n_lfs_)}")
            if plan.mode == "stream":
                from .streaming import write_labels_stream

                res = write_labels_stream(lm, source, output, fill_unlabeled=fill_unlabeled, ties=ties, force=force,
                                          extra_metadata=meta, block_rows=block_rows, progress=progress)
            else:
                from .dask_fit import DaskVoteStats

                with DaskVoteStats(source, c, partition_rows=partition_rows, progress=progress,
                                   where=scheduler or "a LocalCluster") as stats:
                    res = stats.write_labels(lm, output, fill_unlabeled=fill_unlabeled, ties=ties, force=force,
                                             extra_metadata=meta)
    res["mode"] = plan.mode
    return res
