"""Apply labeling functions to a table and collect their votes.

* :mod:`.api`: :func:`apply_lfs` (a DataFrame in memory) and :func:`apply_file` (a table on disk
  to votes.parquet);
* :mod:`.kernels`: row-wise and vectorized LFs on one batch, every vote validated, failures as data;
* :mod:`.engine`: the engine (batches, worker processes, threads, input order) and the one loop
  that turns its results into output rows (:func:`~.engine.assemble`);
* :mod:`.job`: :class:`ApplyJob`, :class:`ApplySummary`, option checks;
* :mod:`.update`: ``apply --update`` planning and column reuse;
* :mod:`.local`, :mod:`.dask_runner`: the two runners (this machine; a Dask cluster).

The engine reads the input in batches (bounded memory) and writes the same bytes for every
``jobs`` and for both runners.
"""

from __future__ import annotations

from .api import apply_file, apply_lfs
from .engine import ON_ERROR, default_jobs
from .job import DEFAULT_BATCH_SIZE, ENGINES, ApplyJob, ApplySummary, resolve_cardinality
from .kernels import apply_rowwise, apply_vectorized
from .update import Reuse, UpdatePlan, plan_update

__all__ = ["apply_file", "apply_lfs", "ON_ERROR", "default_jobs", "DEFAULT_BATCH_SIZE", "ENGINES", "ApplyJob",
           "ApplySummary", "resolve_cardinality", "apply_rowwise", "apply_vectorized", "Reuse", "UpdatePlan",
           "plan_update"]
