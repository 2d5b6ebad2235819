"""Dask plumbing shared by ``apply --engine dask`` (:mod:`weaklabel.apply.dask_runner`) and
``fit --engine dask`` (:mod:`weaklabel.fit.dask`): the Dask check, the client (a scheduler or a
LocalCluster), the worker checks, the partition plan (row ranges of the Parquet files), the
ordered gathering of partition results and the part-file writer.

Imports Dask only inside functions: ``import weaklabel`` and the CLI do not import it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ._version import __version__
from ._dask_close import abandon_cluster, close_cluster, spec_clusters
from ._signals import signals_held
from .errors import InputError, first_line
from .io import part_name
from .threads import default_jobs

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


def shared_path(path):
    """``path`` made absolute (a ``Path`` stays a ``Path``; anything else is returned as is): Dask
    workers resolve a relative path in their own working directory, so ``data/x.parquet`` given to
    a cluster started elsewhere pointed at nothing, even on a shared filesystem."""
    if isinstance(path, Path):
        return Path(os.path.abspath(path))
    if isinstance(path, str):
        return os.path.abspath(path)
    return path


def plan_pieces(files: list[Path], file_rows: list[int], partition_rows: int) -> list[Piece]:
    """Cut every file into row ranges of ``partition_rows`` (a multiple of the batch size, so that
    batches are the local engine's); a partition never spans two files."""
    pieces, offset = [], 0
    for f, n in zip(files, file_rows):
        for a in range(0, n, partition_rows):
            pieces.append(Piece(str(f), a, min(n, a + partition_rows), offset + a))
        offset += n
    return pieces


def probe_worker(paths: list[str]) -> dict:
    """Run on every worker before the job: its weaklabel version and the paths it cannot see."""
    return {"version": __version__, "missing": [p for p in paths if not os.path.exists(p)]}


@contextlib.contextmanager
def connect(scheduler: str | None = None, jobs: int | None = None, client=None) -> Iterator[object]:
    """A ``distributed.Client``: the one given, one connected to ``scheduler``, or one on a new
    LocalCluster of ``jobs`` single-threaded worker processes (closed on exit).

    A LocalCluster that does not close cleanly (its ``close()`` raises, or a Ctrl-C cuts it or the
    cluster's start short) is abandoned instead (:func:`weaklabel._dask_close.abandon_cluster`): its worker processes
    are stopped and distributed's atexit hook (``close_clusters``) no longer sees it. That hook
    would otherwise close it again as Python exits and print "Exception ignored in atexit
    callback" and a traceback (``AssertionError: Status.init`` for a worker whose start the Ctrl-C
    interrupted) after the one line "interrupted". The block's own exception always propagates
    unchanged; a failed close after a block that ended normally or with an error is one warning
    line on stderr, after a Ctrl-C nothing more is said."""
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
    before = spec_clusters()
    try:
        with ctrl_c_blocked_for_workers():
            # CRITICAL: a failing task's error reaches the client as an exception (one line); what
            # the workers would log besides it (heartbeats failing while the cluster shuts down after
            # that error) is noise that buried the one-line message under a traceback
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=logging.CRITICAL, preload=[__name__])  # dask_setup: no Ctrl-C
    except BaseException:
        # a Ctrl-C while the workers start leaves the half-started cluster to the atexit hook
        # (LocalCluster cleans up after an Exception only), which fails on the worker that never
        # started: abandon it here, it is the one that appeared in distributed's registry
        with signals_held():
            for orphan in spec_clusters() - before:
                abandon_cluster(orphan)
        raise
    try:
        c = Client(cluster)
        try:
            yield c
        finally:
            c.close()
    except BaseException as exc:
        close_cluster(cluster, exc)
        raise
    close_cluster(cluster, None)


@contextlib.contextmanager
def ctrl_c_blocked_for_workers() -> Iterator[None]:
    """Block SIGINT in the main thread while a LocalCluster starts, so that the threads it starts
    and the worker processes they spawn begin with SIGINT blocked (a thread and an exec'd child
    inherit the signal mask). A worker then cannot get a Ctrl-C before its :func:`dask_setup`
    preload ignores SIGINT (which discards one pending since the start): without this, a Ctrl-C
    in the second or so a worker spends importing Dask printed that worker's
    ``KeyboardInterrupt`` traceback after the command's one line "interrupted".

    A Ctrl-C during the start is held, not lost: when the block ends it reaches this process's
    handler and the start is undone as any interrupted start (:func:`connect`). Multiprocessing's
    resource tracker is started first, outside the block: starting it unblocks SIGINT in the thread
    that starts it (``SIG_UNBLOCK``, not a restore), which would be the cluster's event-loop thread.
    No-op off the main thread and where ``signal.pthread_sigmask`` does not exist (Windows)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def dask_setup(worker) -> None:
    """Preload of the LocalCluster workers :func:`connect` starts (``preload=["weaklabel._dask"]``),
    run in each worker process's main thread: the worker ignores Ctrl-C, as the local engine's
    workers do (``weaklabel._signals.worker_setup``). A Ctrl-C in the terminal reaches the whole
    process group; the client stops the cluster, and the workers no longer die each with a
    ``KeyboardInterrupt`` traceback. And with SIGINT ignored no ``KeyboardInterrupt`` in an LF can be
    a Ctrl-C: it is that LF's error (``--on-error abstain`` counts it), not a signal that killed
    the worker and made Dask retry the partition on every worker."""
    import signal
    import threading

    from ._signals import _state

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # also discards a Ctrl-C held since the start
        if hasattr(signal, "pthread_sigmask"):          # blocked since the start (ctrl_c_blocked_for_workers)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _state.update(installed=True, sigint=False)


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


# --------------------------------------------------------------------------- results and part files
def gather_in_order(client, futures: list, *, rows: list[int] | None = None,
                    advance: Callable[[int], None] | None = None, error_of: Callable[[object], Exception | None] | None = None,
                    died: Callable[[int | None, str], str] | None = None) -> list:
    """Results of ``futures`` in their order, fetched as they complete (``advance(rows[i])`` for
    each). ``error_of(result)``: a user-facing error a task returned as data (an LF failure); the
    earliest failing task in row order is raised, after the tasks before it (those after it are
    cancelled). A worker death (``died(index or None, first line)`` gives the message) or a
    cancellation becomes a one-line :class:`InputError`; on any failure the rest is cancelled."""
    from distributed import KilledWorker, as_completed
    from distributed.client import FutureCancelledError

    index = {f.key: i for i, f in enumerate(futures)}
    results: list = [None] * len(futures)
    failed = None
    try:
        for fut, res in as_completed(futures, with_results=True):  # results fetched in batches
            i = index[fut.key]
            results[i] = res
            if error_of is not None and error_of(res) is not None:
                failed = i
                break
            if advance is not None and rows is not None:
                advance(rows[i])
        if failed is not None:
            client.cancel(futures[failed + 1:])
            for j in range(failed):
                if results[j] is None:
                    results[j] = futures[j].result()
                if error_of(results[j]) is not None:
                    raise error_of(results[j])
            raise error_of(results[failed])
    except KilledWorker as exc:
        client.cancel(futures)
        which = next((i for i, f in enumerate(futures) if f.status == "error"), None)
        text = first_line(exc)
        raise InputError(died(which, text) if died is not None else
                         f"a Dask worker died ({text}); out of memory? try a smaller --partition-rows") from None
    except FutureCancelledError:
        raise InputError("the Dask computation was cancelled (did the scheduler or the workers stop?)") from None
    except BaseException:
        client.cancel(futures)
        raise
    return results


@contextlib.contextmanager
def part_file(folder: str | Path, index: int, n_parts: int) -> Iterator[Path]:
    """Write part ``index`` of a dataset folder on a worker: yields a temporary path beside it
    (``.part.NNNNN.parquet.inprogress``), renamed to ``part.NNNNN.parquet`` when the block
    succeeds and removed when it fails (the caller closes or aborts its writer inside the block)."""
    final = Path(folder) / part_name(index, n_parts)
    tmp = final.with_name(f".{final.name}.inprogress")
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
