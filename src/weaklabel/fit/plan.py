"""The run plan of ``fit`` / ``predict``: every engine option checked once, the engine chosen once.

:func:`plan_run` is the one place where ``engine``, ``stream`` and the engine-specific options
(``scheduler``, ``jobs``, ``partition_rows``, ``block_rows``) are validated and combined with
what needs the votes in memory (``dev``): the CLI and the library call it, nothing else checks
them. :func:`check_engine_options` is its option check alone, for other commands with the same
flags. :func:`model_for` turns a model name and its options into an unfitted model.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
# the output checks every command makes live in io (one definition); fit.run imports them from here
from ..io.output_paths import check_compressed_name, check_model_outside_labels, check_special_output  # noqa: F401

ENGINES = ("local", "dask")
FILL = ("none", "prior")


@dataclass
class RunPlan:
    """How the votes will be processed and why."""

    mode: str                      # "memory", "stream" or "dask"
    reason: str = ""
    memory_estimate: int | None = None
    available: int | None = None
    source: object = None          # the VotesSource, when one was opened


def check_engine_options(engine: str = "local", *, stream: bool | None = None, scheduler: str | None = None,
                         jobs: int | None = None, partition_rows: int | None = None,
                         block_rows: int | None = None) -> None:
    """One-line errors for engine options that do not go together (CLI flag names)."""
    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "dask":
        for flag, value in (("--scheduler", scheduler), ("--partition-rows", partition_rows), ("--jobs", jobs or None)):
            if value is not None:
                raise InputError(f"{flag} needs --engine dask")
    elif stream is not None:
        raise InputError("--stream/--no-stream are for --engine local (Dask holds the votes in its workers)")
    if block_rows is not None and (engine == "dask" or stream is False):
        raise InputError("--batch-size sets the block size of --stream")
    if block_rows is not None and block_rows < 1:
        raise InputError(f"--batch-size must be at least 1, got {block_rows}")
    if partition_rows is not None and partition_rows < 1:
        raise InputError(f"--partition-rows must be at least 1, got {partition_rows}")
    if jobs is not None and jobs < 0:
        raise InputError(f"--jobs must be >= 0, got {jobs}")


def check_votes_ids(votes) -> None:
    """Refuse votes whose id column has the name of a column labels.parquet writes (``label``,
    ``prob_<k>``, ``confidence``, ``label_name``): it would be overwritten and every id lost.
    ``weaklabel apply`` refuses such --id-col names; older versions wrote them."""
    from pathlib import Path

    from ..io import TableSource, labels_column_name, votes_layout

    src = TableSource(Path(votes))
    _, ids, _, _, _ = votes_layout(src)
    # a dataset whose files give an id column types of two kinds (int64 in one, text in the next):
    # one line naming the file, not a ValueError traceback from its row-group statistics
    src.check_id_types(ids)
    clash = [c for c in ids if labels_column_name(c)]
    if clash:
        raise InputError(f"{votes}: id column {clash[0]!r} has the name of a column labels.parquet writes; "
                         "rename it in the votes file (or re-run `weaklabel apply` with another --id-col)")


def plan_run(votes, *, engine: str = "local", stream: bool | None = None, lf_names=None, dev: bool = False,
             scheduler: str | None = None, jobs: int | None = None, partition_rows: int | None = None,
             block_rows: int | None = None, cardinality: int | None = None) -> RunPlan:
    """Check the engine options and decide between memory, stream and dask (``stream=None``: by
    the in-memory size estimate). ``dev``: gold labels are matched row by row, in memory.
    ``cardinality``: K of a votes file without weaklabel metadata (``predict``: the model's)."""
    check_engine_options(engine, stream=stream, scheduler=scheduler, jobs=jobs, partition_rows=partition_rows,
                         block_rows=block_rows)
    check_votes_ids(votes)
    if dev:
        if engine == "dask" or stream:
            raise InputError("--dev needs the votes in memory (gold labels are matched row by row); "
                             "it cannot be combined with " + ("--engine dask" if engine == "dask" else "--stream"))
        stream = False
    if engine == "dask":
        return RunPlan("dask", "engine dask")
    if stream is False:
        return RunPlan("memory", "--no-stream")
    from ..votes.reader import VotesSource, should_stream

    source = VotesSource(votes, lf_names=lf_names, cardinality=cardinality)
    if stream:
        return RunPlan("stream", "--stream", source=source)
    big, need, avail = should_stream(source)
    if big:
        return RunPlan("stream", f"an in-memory fit needs about {need / 2**30:.1f} GiB, more than half of the "
                                 f"{avail / 2**30:.1f} GiB available", need, avail, source)
    return RunPlan("memory", f"about {need / 2**30:.1f} GiB in memory", need, avail, source)


def check_labels_options(fill_unlabeled: str, ties: str | None, model: str | None = None) -> None:
    if fill_unlabeled not in FILL:
        raise InputError(f"--fill-unlabeled must be one of {', '.join(FILL)}, got {fill_unlabeled!r}")
    allowed = ("random", "abstain", "uniform") if model == "majority" else ("random", "abstain")
    if ties is not None and ties not in allowed:
        raise InputError(f"--ties must be one of {', '.join(allowed)}" + (f" for --model {model}" if model else "")
                         + f", got {ties!r}")


def parse_balance(value, K: int) -> list[float] | None:
    """``class_balance`` as K positive numbers summing to 1 (text ``"0.3,0.7"`` or a sequence)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            values = [float(x) for x in value.split(",")]
        except ValueError:
            raise InputError(f"--class-balance must be comma-separated numbers, got {value!r}") from None
    else:
        values = [float(x) for x in value]
    if len(values) != K or any(v <= 0 for v in values) or abs(sum(values) - 1) > 1e-3:
        raise InputError(f"--class-balance must be {K} positive numbers summing to 1, got {value!r}")
    return values


def model_for(model, params: dict | None = None, *, cardinality: int | None = None, seed: int | None = None,
              ties: str | None = None, class_balance=None):
    """An unfitted label model: ``model`` itself (an instance), or the model named ``model`` with
    ``params``, ``seed`` as its ``random_state``, majority vote's ``ties`` and ``class_balance``
    (checked against ``cardinality``) where it takes them."""
    from .._params import init_param_names
    from ..models import MODELS, make_model
    from ..models.base import LabelModel

    if isinstance(model, LabelModel):
        return model
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    params = dict(params or {})
    names = init_param_names(MODELS[model])
    if seed is not None and "random_state" in names:
        params.setdefault("random_state", seed)
    if model == "majority" and ties is not None:
        params.setdefault("ties", ties)
    cb = parse_balance(class_balance, int(cardinality or 0)) if class_balance is not None else None
    if cb is not None:
        if "class_balance" not in names:
            raise InputError(f"--model {model} does not take a class balance")
        if "class_balance" in params and parse_balance(params["class_balance"], len(cb)) != cb:
            raise InputError("--class-balance and -p class_balance=... disagree; give one of them")
        params["class_balance"] = cb
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise InputError(f"--model {model} has no parameter {unknown[0]!r} (parameters: {', '.join(names)})")
    return make_model(model, **params)


class Cluster:
    """The apply engine's ``connect``, opened only for ``mode == "dask"`` (else ``None``)."""

    def __init__(self, plan: RunPlan, scheduler, jobs, client):
        self.plan, self.args = plan, (scheduler, jobs, client)
        self._cm = None

    def __enter__(self):
        if self.plan.mode != "dask":
            return None
        from .._dask import connect, require_dask

        require_dask()
        self._cm = connect(*self.args)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        if self._cm is not None:
            return self._cm.__exit__(*exc)
        return False
