"""Closing the LocalCluster that :func:`weaklabel._dask.connect` started when a plain ``close()``
fails or a Ctrl-C cuts it (or the cluster's start) short: the cluster is *abandoned* (its worker
processes stopped, distributed's atexit hook ``close_clusters`` kept from closing it again).

Why. That hook closes every registered cluster whose status is not closed as Python exits; on a
cluster whose worker start a Ctrl-C interrupted it fails (``assert w.status in {...}``:
``Status.init``) and Python prints "Exception ignored in atexit callback" and a traceback after the
command's one line "interrupted" (seen under load in ``test_dask_signals.py``; helper 97). Kept
apart from ``_dask.py`` (the engine's client and worker set-up): this is clean-up of distributed's
internals, every one of them looked up with ``getattr`` and every step allowed to fail on its own.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from ._signals import signals_held
from .errors import first_line


def close_cluster(cluster, pending: BaseException | None) -> None:
    """Close the LocalCluster of :func:`weaklabel._dask.connect`; ``pending``: the exception leaving the block,
    which the caller re-raises unchanged. When the close fails the cluster is abandoned
    (:func:`abandon_cluster`) and, unless the run was interrupted, one warning line says so; a
    Ctrl-C that cut the close short is re-raised when the block had ended normally."""
    try:
        cluster.close()
        return
    except BaseException as exc:  # noqa: BLE001 - any failure, a Ctrl-C during the close too
        failure = exc
    with signals_held():     # a second Ctrl-C waits for the workers to be stopped
        left = abandon_cluster(cluster)
    interrupted = not isinstance(failure, Exception) or (pending is not None and not isinstance(pending, Exception))
    if not interrupted:
        stopped = ("its workers were stopped" if not left else
                   f"{left} of its worker processes may still be running")
        with contextlib.suppress(Exception):   # a closed or broken stderr: nothing more to say
            sys.stderr.write(f"warning: the local Dask cluster did not close cleanly ({type(failure).__name__}: "
                             f"{first_line(failure)}); {stopped}\n")
            sys.stderr.flush()
    if pending is None and not isinstance(failure, Exception):
        raise failure     # a Ctrl-C (or SIGTERM) during the close of a finished block: still a Ctrl-C


def spec_clusters() -> set:
    """The clusters distributed's atexit hook ``close_clusters`` walks (``SpecCluster._instances``,
    a WeakSet; empty if this distributed has no such registry)."""
    try:
        from distributed.deploy.spec import SpecCluster

        return set(getattr(SpecCluster, "_instances", ()))
    except Exception:  # noqa: BLE001 - another distributed: nothing to find
        return set()


def abandon_cluster(cluster) -> int:
    """Give up on a LocalCluster whose close failed or was cut short: keep distributed's atexit hook
    from closing it again (:func:`_forget_cluster`), stop its event loop (:func:`_stop_loop`) and
    its worker processes (:func:`_stop_processes`); return how many may still run. Every private
    attribute is looked up with ``getattr`` and every step may fail on its own, so a distributed
    without one of them still gets the other steps."""
    with contextlib.suppress(Exception):
        _forget_cluster(cluster)
    procs: dict = {}
    with contextlib.suppress(Exception):   # before the loop stops: a nanny's cancelled close forgets its process
        procs.update(_worker_processes(cluster))
    with contextlib.suppress(Exception):
        _stop_loop(cluster)
    with contextlib.suppress(Exception):   # and one whose start was queued meanwhile
        procs.update(_worker_processes(cluster))
    try:
        return _stop_processes(list(procs.values()))
    except Exception:  # noqa: BLE001 - best effort: the workers also end with this process
        return 0


def _forget_cluster(cluster) -> None:
    """Mark ``cluster`` closed and drop it from ``SpecCluster._instances``: ``close_clusters``
    closes only registered clusters whose status is not closed (and ``close()`` returns at once
    for a closed one), so either step alone keeps it from retrying."""
    try:
        from distributed.core import Status

        closed = Status.closed
    except (ImportError, AttributeError):   # the enum of the cluster's own status
        closed = getattr(type(getattr(cluster, "status", None)), "closed", None)
    if closed is not None:
        with contextlib.suppress(Exception):
            cluster.status = closed
    registries = [getattr(type(cluster), "_instances", None)]
    with contextlib.suppress(ImportError):
        from distributed.deploy.spec import SpecCluster

        registries.append(getattr(SpecCluster, "_instances", None))
    for registry in registries:
        discard = getattr(registry, "discard", None)
        if discard is not None:
            with contextlib.suppress(Exception):
                discard(cluster)


def _stop_loop(cluster) -> None:
    """Stop the cluster's event loop thread (what ``SpecCluster.close`` does after its ``_close``;
    ``LoopRunner.stop`` is a no-op the second time, and only stops a loop nobody else uses): the
    tasks still on it, a nanny's start that the Ctrl-C interrupted, the in-process scheduler, are
    cancelled, not left to fail when the worker processes are stopped ("Task exception was never
    retrieved ... Nanny failed to start") nor to restart a stopped worker."""
    runner = getattr(cluster, "_loop_runner", None)
    stop = getattr(runner, "stop", None)
    if callable(stop):
        stop()


def _worker_processes(cluster) -> dict[int, tuple[object, object]]:
    """``(nanny, process)`` by ``id(process)`` for every worker process of ``cluster`` that runs: a
    LocalCluster of processes has a ``Nanny`` per worker (``cluster.workers``, and
    ``cluster._created`` for one whose start was interrupted); ``nanny.process`` is its
    ``WorkerProcess`` and that one's ``process`` the ``AsyncProcess`` (``pid``; ``is_alive()`` is
    false once it was reaped). Empty where these attributes are missing."""
    nannies: dict[int, object] = {}
    for source in (getattr(cluster, "workers", None), getattr(cluster, "_created", None)):
        try:
            members = list(source.values() if isinstance(source, dict) else source or ())
        except Exception:  # noqa: BLE001 - e.g. the set changed size while the loop thread ran
            members = []
        for nanny in members:
            nannies[id(nanny)] = nanny
    out = {}
    for nanny in nannies.values():
        wp = getattr(nanny, "process", None)
        for proc in (getattr(wp, "process", None), wp):   # AsyncProcess, else whatever has pid/is_alive
            if getattr(proc, "pid", None) is not None and callable(getattr(proc, "is_alive", None)):
                if _alive(proc):
                    out[id(proc)] = (nanny, proc)
                break
    return out


def _alive(proc) -> bool:
    try:
        return bool(proc.is_alive())
    except Exception:  # noqa: BLE001 - e.g. a closed process object: gone
        return False


def _stop_processes(procs: list[tuple[object, object]], grace: float = 3.0) -> int:
    """Stop worker processes (``(nanny, process)``, :func:`_worker_processes`): their nannies are
    told not to restart them (``Nanny.close_gracefully``), then each gets SIGTERM and, still
    running after ``grace`` seconds, SIGKILL. A process is signalled only while ``is_alive()`` (it
    was not reaped, so its pid is not another process's). Returns how many still run."""
    import signal

    for nanny, _ in procs:
        close_gracefully = getattr(nanny, "close_gracefully", None)
        if callable(close_gracefully):
            with contextlib.suppress(Exception):
                close_gracefully()
    for sig, wait in ((signal.SIGTERM, grace), (getattr(signal, "SIGKILL", signal.SIGTERM), 2.0)):
        procs = [(n, p) for n, p in procs if _alive(p)]
        for _, proc in procs:
            with contextlib.suppress(OSError):
                os.kill(proc.pid, sig)
        deadline = time.monotonic() + wait
        while procs and time.monotonic() < deadline and any(_alive(p) for _, p in procs):
            time.sleep(0.05)
    return sum(_alive(p) for _, p in procs)
