"""Fit a label model on a votes file and write labels: in memory, streamed from disk, or on Dask.

:func:`fit_file` and :func:`predict_file` are the library's one entry for ``weaklabel fit`` /
``weaklabel predict`` on every engine (the commands only parse, call them and print). Three ways,
one result (the fitted parameters agree to floating-point summation order, the labels row for
row), chosen by :func:`~weaklabel.fit.plan.plan_run`:

* ``"memory"``: the votes are read into a :class:`~weaklabel.votes.VoteMatrix` (fastest when
  they fit; needed for gold labels, ``dev``);
* ``"stream"`` (``engine="local", stream=True``): :class:`~weaklabel.fit.streaming.StreamingVoteStats`
  re-reads the file in row blocks on every pass and labels.parquet is written block by block:
  memory stays bounded whatever the number of rows. ``stream=None`` chooses it when an in-memory
  fit would need more than half of the available memory;
* ``"dask"``: :class:`~weaklabel.fit.dask.DaskVoteStats` on a cluster (``scheduler``) or a
  LocalCluster of ``jobs`` workers; labels are written as a folder of part files.

Every engine writes through :func:`weaklabel.fit.labels.write_label_blocks`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import LABELS_FORMAT, check_distinct, check_json_name, check_output, check_parquet_name, output_group
from ..votes.class_names import class_key
from .plan import (Cluster, RunPlan, check_compressed_name, check_labels_options, check_model_outside_labels,
                   check_special_output, model_for, plan_run)
from .predict_checks import model_class_names, votes_lfs, with_ties


@dataclass
class FitSummary:
    """What a fit did: the model, the counts, the per-LF figures and the timings."""

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
    written: int | None = None             # rows in the output (fewer with drop_unlabeled)
    tied: int = 0                          # labelled rows whose label is a draw among tied classes
    dev_rows: int | None = None            # gold rows the fit used
    dev_accuracy: float | None = None      # accuracy on those with votes (random ties), as the out-of-fold figure
    dev_voted: int | None = None           # gold rows with votes: what dev_accuracy is over
    dev_lf_accuracy: np.ndarray | None = None  # per-LF accuracy on the gold rows

    def to_dict(self) -> dict:
        """The JSON summary ``weaklabel fit --json`` prints."""
        from ..models.base import jsonable

        lm = self.model
        out = {
            "output": self.output, "model": type(lm).__name__, "params": jsonable(lm.get_params(deep=False)),
            "rows": self.rows, "labelled_rows": self.labelled, "tied_rows": self.tied,
            "fit_seconds": round(self.fit_seconds, 4),
            **class_probabilities(lm, self.classes),
            "n_iter": int(getattr(lm, "n_iter_", 0)), "converged": bool(getattr(lm, "converged_", True)),
            "lfs": [{"name": n, "accuracy": float(a)} for n, a in
                    zip(self.lf_names, getattr(lm, "accuracies_", [float("nan")] * len(self.lf_names)))],
            "engine": "dask" if self.mode == "dask" else "local", "stream": self.mode == "stream",
        }
        if self.mode == "memory":
            if self.dev_accuracy is not None:
                out["dev_rows"] = self.dev_rows
                out["dev_rows_with_votes"] = self.dev_voted
                out["dev_accuracy_fitted"] = self.dev_accuracy
        else:
            out.update(passes=self.passes, partitions=self.partitions, seconds=round(self.seconds, 4))
        selection, report = getattr(lm, "selection_", None), getattr(lm, "report_", None)
        if selection is not None or report is not None:
            out["selection"] = jsonable({**(report or {}), **(selection or {})})
        out["warnings"] = list(getattr(lm, "warnings_", []))
        return out


def class_probabilities(model, classes=None) -> dict:
    """The ``class_balance`` and ``rows_without_votes`` entries of ``fit --json`` and ``predict --json``:
    the model's class prior, and what it gives a row no LF votes on, by class name."""
    classes = list(classes) if classes else [str(k) for k in range(int(model.cardinality_))]
    return {"class_balance": dict(zip(classes, map(float, model.class_balance_))),
            "rows_without_votes": dict(zip(classes, map(float, rows_without_votes_proba(model))))}


def rows_without_votes_proba(model) -> np.ndarray:
    """What ``model`` gives a row no LF votes on (the class prior, or ``uncovered_proba_``)."""
    from ..models.base import empty_row

    return np.asarray(model.predict_proba(empty_row(model)), dtype=float)[0]


def _kept(keep_cols, data, votes, row_ids, n_rows, K):
    if keep_cols is None:
        return None
    from .keep import kept_columns_of

    return kept_columns_of(row_ids, n_rows, K, votes, keep_cols, data)


def fit_file(votes, output, model="auto", *, params: dict | None = None, dev=None, label_col: str = "label",
             class_balance=None, seed: int | None = None, engine: str = "local", stream: bool | None = None,
             scheduler: str | None = None, client=None, jobs: int | None = None, partition_rows: int | None = None,
             block_rows: int | None = None, fill_unlabeled: str = "none", ties: str | None = None,
             keep_cols: str | list[str] | None = None, data=None, drop_unlabeled: bool = False, force: bool = False,
             save_model=None, extra_metadata: dict | None = None, progress=None,
             plan: RunPlan | None = None) -> FitSummary:
    """Fit ``model`` on ``votes`` and write its labels to ``output`` (a file; a folder of part
    files with ``engine="dask"``).

    ``model``: a name from ``MODELS`` (built with ``params``, ``seed``, ``class_balance`` and,
    for majority vote, ``ties``; see :func:`~weaklabel.fit.plan.model_for`) or an unfitted
    model. ``dev``: gold labels (a table matched by id, or labelled dev votes; in memory only).
    ``keep_cols`` (comma-separated, or a list of names) columns of the data file ``data`` carried into the labels;
    ``drop_unlabeled``: only rows with a label are written. ``plan``: a :class:`RunPlan` from
    :func:`plan_run` (made here from the engine options otherwise). ``progress``: optional object
    with ``start(label, total_rows)`` and ``advance(rows)``.
    """
    from ..models import MODELS, save_model as save

    t0 = time.perf_counter()
    if engine == "dask":   # the workers read and write these paths: absolute, as the client sees them
        from .._dask import shared_path

        votes, output = shared_path(votes), shared_path(output)
    if isinstance(model, str) and model not in MODELS:
        raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    check_labels_options(fill_unlabeled, ties, model if isinstance(model, str) else None)
    plan = plan or plan_run(votes, engine=engine, stream=stream, dev=dev is not None, scheduler=scheduler,
                            jobs=jobs, partition_rows=partition_rows, block_rows=block_rows)
    if data is not None and keep_cols is None:
        raise InputError("--data is the file --keep-cols reads its columns from; pass --keep-cols too")
    if dev is None and label_col != "label":   # ignored before: the fit ran without gold labels, exit 0
        raise InputError(f"--label-col {label_col!r} names the gold label column of --dev; pass --dev too")
    if keep_cols is not None:
        from .keep import find_data

        # the data file found from the votes' metadata is an input too: -o reviews.parquet --force
        # replaced the user's data with the labels
        data = find_data(votes, data)
    check_distinct([votes, dev, data], [output, save_model])
    for path in (output, save_model):
        if path is not None:
            check_special_output(path)
    check_model_outside_labels(output, save_model)
    check_compressed_name(output)
    check_parquet_name(output, "labels")
    check_output(output, force, dataset_ok=True, dataset_formats=(LABELS_FORMAT,))
    if save_model is not None:
        check_json_name(save_model, "the fitted model")
        check_output(save_model, force)
    meta = {"votes_file": Path(votes).name, "dev_file": Path(dev).name if dev is not None else None}
    meta.update(extra_metadata or {})
    written = dict(fill_unlabeled=fill_unlabeled, ties=ties, force=force, extra_metadata=meta,
                   drop_unlabeled=drop_unlabeled)
    s = FitSummary(str(output), None, plan.mode, 0, 0, [], [], np.zeros(0), None, 0.0, 0.0, plan=plan)
    # the labels and the model file are renamed into place together, at the end (output_group)
    with output_group(), Cluster(plan, scheduler, jobs, client) as c:
        if plan.mode == "memory":
            res = _fit_memory(s, votes, model, params, seed, class_balance, dev, label_col, keep_cols, data,
                              output, written, _known_cardinality(plan))
        elif plan.mode == "stream":
            from .streaming import StreamingVoteStats, write_labels_stream
            from ..votes.reader import VotesSource

            source = plan.source or VotesSource(votes)
            kept = _kept(keep_cols, data, votes, _ids(source, keep_cols), source.n_rows, source.cardinality)
            s.model = lm = model_for(model, params, cardinality=source.cardinality, seed=seed, ties=ties,
                                     class_balance=class_balance)
            stats = StreamingVoteStats(source, block_rows=block_rows, progress=progress)
            _check_rows(source.n_rows, votes)
            t1 = time.perf_counter()
            lm.fit(stats)
            s.fit_seconds = time.perf_counter() - t1
            res = write_labels_stream(lm, source, output, block_rows=block_rows, progress=progress, kept=kept,
                                      **written)
            s.rows, s.lf_names, s.classes = source.n_rows, source.lf_names, source.layout.classes
            s.coverage = stats.lf_counts().sum(axis=1) / max(source.n_rows, 1)
            s.passes = stats.passes + 1
        else:
            from .dask import DaskVoteStats
            from ..votes.reader import VotesSource

            source = VotesSource(votes)
            kept = _kept(keep_cols, data, votes, _ids(source, keep_cols), source.n_rows, source.cardinality)
            s.model = lm = model_for(model, params, cardinality=source.cardinality, seed=seed, ties=ties,
                                     class_balance=class_balance)
            with DaskVoteStats(source, c, partition_rows=partition_rows, progress=progress,
                               where=scheduler or "a LocalCluster") as stats:
                _check_rows(stats.n_rows, votes)
                t1 = time.perf_counter()
                lm.fit(stats)
                s.fit_seconds = time.perf_counter() - t1
                res = stats.write_labels(lm, output, kept=kept, **written)
                s.rows, s.lf_names, s.classes = stats.n_rows, stats.lf_names, stats.layout.classes
                s.coverage = stats.lf_counts().sum(axis=1) / max(stats.n_rows, 1)
                s.passes, s.partitions = stats.passes, stats.partitions
        if save_model is not None:
            save(s.model, save_model, force=force)
    s.labelled, s.per_class, s.written = res["labelled"], list(res["per_class"]), res.get("written")
    s.tied = int(res.get("tied", 0))
    s.lf_names, s.classes = list(s.lf_names), list(s.classes) if s.classes else None
    s.seconds = time.perf_counter() - t0
    return s


def _check_rows(n_rows: int, votes) -> None:
    """A votes file without rows is one line naming it (the model's message named no file)."""
    if not n_rows:
        raise InputError(f"{votes}: has no rows; a label model needs votes to fit (`weaklabel predict` labels "
                         "an empty votes file with a saved model)")


def _ids(source, keep_cols):
    if keep_cols is None:
        return None
    from .keep import source_ids

    return source_ids(source)


def _known_cardinality(plan: RunPlan) -> int | None:
    """K of the votes as the plan's :class:`~weaklabel.votes.reader.VotesSource` found it (``None``:
    no source, or one that does not read every LF column). Given to the in-memory read, a file
    without weaklabel metadata is converted block by block, not held dense until its largest vote
    is known, and that vote is not looked for a second time."""
    src = plan.source
    if src is None or list(src.lf_names) != list(src.file_lf_names):
        return None
    return int(src.cardinality)


def _fit_memory(s: FitSummary, votes, model, params, seed, class_balance, dev, label_col, keep_cols, data, output,
                written: dict, cardinality: int | None = None) -> dict:
    """The in-memory engine of :func:`fit_file` (fills ``s``; returns the label writer's counts).
    ``cardinality``: K as the run plan found it (:func:`_known_cardinality`)."""
    from ..votes import VoteMatrix
    from .labels import write_model_labels

    vm = VoteMatrix.read_parquet(votes, cardinality=cardinality)
    s.model = lm = model_for(model, params, cardinality=vm.cardinality, seed=seed, ties=written["ties"],
                             class_balance=class_balance)
    kept = _kept(keep_cols, data, votes, vm.row_ids, vm.n_rows, vm.cardinality)
    fit_vm, y = vm, None
    if dev is not None:
        from ..votes.gold import load_dev

        fit_vm, y, _ = load_dev(vm, dev, label_col, votes_where=str(votes))
    _check_rows(fit_vm.n_rows, votes)
    t1 = time.perf_counter()
    lm.fit(fit_vm, y)
    s.fit_seconds = time.perf_counter() - t1
    res = write_model_labels(lm, vm, output, extra_cols=kept, id_types=_id_types(votes, vm), **written)
    s.rows, s.lf_names, s.classes = vm.n_rows, vm.lf_names, vm.classes
    s.coverage = np.bincount(fit_vm.indices, minlength=fit_vm.n_lfs) / max(fit_vm.n_rows, 1)
    if y is not None:
        from ..votes.analysis import analyze

        known = np.flatnonzero(y >= 0)
        s.dev_rows = int(known.size)
        # over the gold rows with votes, as the out-of-fold figure `auto` reports: rows without
        # votes get no label and counted as errors (0.853 in-sample beside 0.886 out of fold)
        voted = known[fit_vm.take(known).votes_per_row() > 0]
        s.dev_voted = int(voted.size)
        s.dev_accuracy = (float((lm.predict(fit_vm.take(voted), ties="random") == y[voted]).mean())
                          if voted.size else None)
        stats = analyze(fit_vm, y if (y >= 0).any() else None)
        s.dev_lf_accuracy = stats["emp_acc"].to_numpy() if "emp_acc" in stats else None
    return res


def _id_types(votes, vm) -> dict:
    """The types the labels' id columns are written with (:func:`~weaklabel.fit.labels.votes_id_types`)."""
    if vm.row_ids is None:
        return {}
    from .labels import votes_id_types

    return votes_id_types(votes, vm.row_ids.columns)


def predict_file(model, votes, output, *, engine: str = "local", stream: bool | None = None,
                 scheduler: str | None = None, client=None, jobs: int | None = None,
                 partition_rows: int | None = None, block_rows: int | None = None, fill_unlabeled: str = "none",
                 ties: str | None = None, force: bool = False, extra_metadata: dict | None = None,
                 progress=None, plan: RunPlan | None = None) -> dict:
    """Label ``votes`` with a fitted model (or the path of a model file); the model's LFs are read
    by name. Returns ``{"rows", "labelled", "tied", "per_class", "mode", "partitions", "model"}``
    (``model``: the model's class name), the two entries of :func:`class_probabilities` and
    ``ignored_lfs`` (LF columns of ``votes`` the model was not fitted with: not read). ``plan``: a
    :class:`RunPlan` from :func:`plan_run` with the model's ``lf_names`` (made here from the engine
    options otherwise). Votes whose classes are named otherwise than the model's are refused; names
    that differ only as :func:`~weaklabel.votes.class_names.class_key` ignores (surrounding spaces,
    NFD/NFC) are the model's, and the labels carry the model's names."""
    from ..models import load_model
    from ..models.base import LabelModel

    if engine == "dask":
        from .._dask import shared_path

        votes, output = shared_path(votes), shared_path(output)
    check_labels_options(fill_unlabeled, None)
    check_distinct([votes, model if not isinstance(model, LabelModel) else None], [output])
    lm = model if isinstance(model, LabelModel) else load_model(model)
    lm._check_fitted()
    lm = with_ties(lm, ties)
    names = list(getattr(lm, "lf_names_", None) or []) or None
    where = Path(votes)
    K = int(lm.cardinality_)
    # a votes file without weaklabel metadata has the model's K: inferred from its largest vote, a
    # batch where no LF voted the last class was refused ("cardinality 2 but the model has 3")
    file_lfs, plain = votes_lfs(votes)
    plain_k = K if plain else None
    if names:   # before any engine reads the votes: the same error from each
        missing = [n for n in names if n not in file_lfs]
        if missing:
            raise InputError(f"{where}: has no column for LF {missing[0]!r}, which the model was fitted with")
    ignored = [n for n in file_lfs if names and n not in names]   # not read
    plan = plan or plan_run(votes, engine=engine, stream=stream, lf_names=names, scheduler=scheduler, jobs=jobs,
                            partition_rows=partition_rows, block_rows=block_rows, cardinality=plain_k)
    check_special_output(output)
    check_compressed_name(output)
    check_parquet_name(output, "labels")
    check_output(output, force, dataset_ok=True, dataset_formats=(LABELS_FORMAT,))
    meta = dict(extra_metadata or {})
    with Cluster(plan, scheduler, jobs, client) as c:
        if plan.mode == "memory":
            from ..votes.file import read_votes
            from .labels import write_model_labels

            # the model's LF columns only, as the stream and Dask engines read them: a column the
            # model was not fitted with (a vote 7 there) failed in memory and passed with --stream
            vm = read_votes(votes, cardinality=plain_k, lf_names=names)
            if vm.cardinality != K:
                raise InputError(f"{where}: cardinality {vm.cardinality} but the model has {K} classes")
            vm.classes = model_class_names(lm, vm.classes, where)
            if names is None and vm.n_lfs != int(lm.n_lfs_):
                raise InputError(f"{where}: has {vm.n_lfs} LFs but the model was fitted on {int(lm.n_lfs_)}")
            res = write_model_labels(lm, vm, output, fill_unlabeled=fill_unlabeled, force=force, ties=ties,
                                     extra_metadata=meta, id_types=_id_types(votes, vm))
            classes = vm.classes
        else:
            from ..votes.reader import VotesSource

            source = plan.source or VotesSource(votes, lf_names=names, cardinality=plain_k)
            classes = source.layout.classes
            if source.cardinality != K:
                raise InputError(f"{where}: cardinality {source.cardinality} but the model has {K} classes")
            if model_class_names(lm, classes, where) != (list(classes) if classes else classes):
                import dataclasses

                source.layout = dataclasses.replace(source.layout, classes=tuple(lm.class_names_))
                classes = source.layout.classes
            if source.n_lfs != int(lm.n_lfs_):
                raise InputError(f"{where}: has {source.n_lfs} LFs but the model was fitted on {int(lm.n_lfs_)}")
            if plan.mode == "stream":
                from .streaming import write_labels_stream

                res = write_labels_stream(lm, source, output, fill_unlabeled=fill_unlabeled, ties=ties, force=force,
                                          extra_metadata=meta, block_rows=block_rows, progress=progress)
            else:
                from .dask import DaskVoteStats

                with DaskVoteStats(source, c, partition_rows=partition_rows, progress=progress,
                                   where=scheduler or "a LocalCluster") as stats:
                    res = stats.write_labels(lm, output, fill_unlabeled=fill_unlabeled, ties=ties, force=force,
                                             extra_metadata=meta)
    res["mode"], res["model"] = plan.mode, type(lm).__name__
    res.update(class_probabilities(lm, classes))
    res["ignored_lfs"] = ignored   # LF columns of the votes the model was not fitted with
    return res
