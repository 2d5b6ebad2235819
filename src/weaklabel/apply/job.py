"""What an apply run is and what it did: :class:`ApplyJob` (the LF file, the input, the output,
the update plan; shared by the local and the Dask runner), :class:`ApplySummary` (per-LF vote and
error counts, the output's metadata), and the checks of the run's options."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..io import FORMAT_VERSION, ROW_IS_ID, VOTES_FORMAT, TableSource
from ..lf import LabelingFunction
from ..lf.loading import LFModule
from ..votes.class_names import class_key
from .input_hash import InputHash
from .kernels import UNKNOWN_K_CAP
from .update import Reuse, UpdatePlan

ENGINES = ("local", "dask")
DEFAULT_BATCH_SIZE = 100_000


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
    row_is_id: bool = False                            # the one id column is a real column named ``row``
    note: str | None = None                            # update: why every LF ran (the old votes were not trusted)

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
        if self.row_is_id:
            meta[ROW_IS_ID] = True
        if self.update:
            meta["update"] = {"ran": self.ran, "reused": self.reused, "dropped": self.dropped}
        return meta


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
    input_hash: InputHash | None = None     # the input's fingerprint, hashed while the LFs run
    # the LFs' source hashes as planned, before any LF ran: an LF that sets a module global when it
    # runs (a model loaded lazily) hashes differently afterwards, and would rerun on every --update
    lf_hashes: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.lf_hashes:
            self.lf_hashes = [lf.source_hash for lf in self.module.lfs]

    def start_hashing(self) -> None:
        """Hash the input on a background thread from now (after the engine forked its workers)."""
        if self.input_hash is None:
            self.input_hash = InputHash(self.src, self.src.reading(self.id_cols))
        self.input_hash.start()

    def input_fingerprint(self) -> dict:
        """The input's fingerprint and reading (the votes' ``input`` metadata), once hashed; raises
        on an error while hashing, a file changed meanwhile, or (``--update``) other data than the
        old votes were made from: the runners call it before they write the metadata."""
        if self.input_hash is None:
            self.input_hash = InputHash(self.src, self.src.reading(self.id_cols))
        fingerprint = self.input_hash.result()
        self.plan.check_input(fingerprint)
        return {**fingerprint, **self.input_hash.reading}

    def check_input_early(self) -> None:
        """``--update``: other data than the old votes were made from is the error as soon as the
        input is hashed, while the LFs still run (the runners call it after each batch), not after
        the last batch: hashing first refused it before any LF ran."""
        if self.plan.expect_input is not None and self.input_hash is not None:
            fingerprint = self.input_hash.ready()
            if fingerprint is not None:
                self.plan.check_input(fingerprint)

    @property
    def lfs(self) -> list[LabelingFunction]:
        return self.module.lfs

    @property
    def lf_names(self) -> list[str]:
        return [lf.name for lf in self.module.lfs]

    @property
    def run_cols(self) -> list[int]:
        """The output columns of the LFs that run."""
        return list(self.plan.run)

    @property
    def run_lfs(self) -> list[LabelingFunction]:
        return [self.module.lfs[j] for j in self.plan.run]

    @property
    def K_store(self) -> int:
        return self.K if self.K is not None else UNKNOWN_K_CAP

    @property
    def id_columns(self) -> list[str]:
        return list(self.id_cols) if self.id_cols else ["row"]

    @property
    def row_is_id(self) -> bool:
        """The one id column is a real input column named ``row`` (not the position column)."""
        return list(self.id_cols or []) == ["row"]

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
                            input={**self.input_fingerprint(), "rows": rows, "lfs_file": self.module.path.name},
                            ran=[names[j] for j in self.plan.run], reused=[names[j] for j in self.plan.reuse],
                            dropped=list(self.plan.dropped), update=self.update, engine=engine,
                            partitions=partitions, row_is_id=self.row_is_id, note=self.plan.note)

    def hashes(self) -> list[str]:
        """The LFs' source hashes taken when the run was planned (not now: running an LF may change
        what its hash reads, such as a module global it fills in)."""
        return list(self.lf_hashes)


def resolve_cardinality(classes: Sequence[str] | None, cardinality: int | None,
                        module_classes: Sequence[str] | None, where: str = "lfs.py") -> tuple[int | None, list[str] | None]:
    """Combine CLASSES from the LF file with ``--classes`` / ``--cardinality``; conflicts are errors."""
    names = list(classes) if classes else (list(module_classes) if module_classes else None)
    if names is not None:
        seen = set()
        for c in names:
            key = class_key(c)   # "pos" and "pos ", or NFC and NFD accents, are one class to gold labels
            if key in seen:
                what = "--classes" if classes else f"CLASSES in {where}"
                raise InputError(f"{what}: class {key!r} appears more than once; class names must be distinct "
                                 f"(compared without surrounding spaces, in Unicode NFC)")
            seen.add(key)
    if classes and module_classes and list(classes) != list(module_classes):
        raise InputError(f"--classes {list(classes)} disagrees with CLASSES = {list(module_classes)} in {where}")
    if names is not None:
        if cardinality is not None and cardinality != len(names):
            raise InputError(f"--cardinality {cardinality} disagrees with the {len(names)} classes {names}")
        return len(names), names
    if cardinality is not None and cardinality < 2:
        raise InputError(f"--cardinality must be at least 2, got {cardinality}")
    return cardinality, None


def check_id_cols(id_cols: Sequence[str] | None, columns: Sequence[str], where: str) -> None:
    from ..io import labels_column_name

    seen = set()
    for c in id_col_list(id_cols) or []:
        if c in seen:
            raise InputError(f"--id-col {c!r} is given more than once")
        seen.add(c)
        if labels_column_name(c):
            raise InputError(f"--id-col {c!r}: labels.parquet writes a column of that name (label, prob_<k>, "
                             f"confidence, label_name); rename the column in {where}")
    for c in id_col_list(id_cols) or []:
        if c not in columns:
            raise InputError(f"{where}: no id column {c!r} (columns: {', '.join(map(str, columns))})")


def id_col_list(id_cols: str | Sequence[str] | None) -> list[str] | None:
    """``id_cols`` as a list of column names, ``None`` for none.

    A single string is one column (``id_cols="id"``), not a sequence of one-letter columns:
    ``list("id")`` would look for columns ``'i'`` and ``'d'``."""
    if id_cols is None:
        return None
    if isinstance(id_cols, str):
        return [id_cols]
    return list(id_cols) or None


def check_jobs(jobs: int | None, what: str = "jobs") -> int | None:
    """``jobs`` as the command line reads ``--jobs``: ``0`` means every core this process may
    use, ``None`` the caller's default; a negative or non-integer count is an error (it used to
    be run silently with one process)."""
    if jobs is None:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)):
        raise InputError(f"{what} must be an int >= 0 (0 = all cores), got {jobs!r}")
    if jobs < 0:
        raise InputError(f"{what} must be >= 0 (0 = all cores), got {jobs}")
    if jobs == 0:
        from ..threads import default_jobs

        return default_jobs()
    return int(jobs)


def check_batch_size(batch_size: int, what: str = "batch_size") -> int:
    """Rows per batch: a positive int (``0`` would loop forever or fail deep inside ``range``)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise InputError(f"{what} must be an int >= 1, got {batch_size!r}")
    if batch_size < 1:
        raise InputError(f"{what} must be at least 1, got {batch_size}")
    return int(batch_size)


def summary_from_metadata(plan: UpdatePlan, lfs: Sequence[LabelingFunction], output, t0: float,
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
                        reused=[lf.name for lf in lfs], dropped=[], update=True, engine=engine,
                        row_is_id=bool(meta.get(ROW_IS_ID)))
