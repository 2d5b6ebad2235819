"""How many threads weaklabel's Numba kernels may use, and when they use more than one.

Why this exists: a parallel Numba kernel wakes a pool of threads, hands each a share of the row
blocks and waits for the slowest. On an idle machine waking them costs tens of microseconds; on a
machine where another program keeps a core busy (a browser, another job, a test runner) a thread
that lands on the busy core may wait a whole scheduler slice before it runs, on *every* call. A
label-model fit calls its kernels hundreds of times, so a 2,000-row fit went from 0.04 s to 2 s.
The rules (measured in ``benchmarks/bench_threads.py``):

* a kernel runs serially (its serial twin: no thread pool is touched, nothing ``parallel=True``
  is even compiled) unless its input is large enough for threads to pay, a threshold per kernel;
* it never uses more threads than it has row blocks;
* the user caps the count: ``--threads N`` on ``fit``/``predict``, ``WEAKLABEL_NUM_THREADS``, or
  :func:`set_num_threads` from Python (default: every core Numba sees). ``1`` never starts a thread.

The row blocks are a function of the data size only, so every thread count, 1 included, gives the
same bytes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

ENV = "WEAKLABEL_NUM_THREADS"

_override: int | None = None


def default_jobs() -> int:
    """Cores this process may use (its CPU affinity): the default number of worker processes of
    ``apply`` and of a Dask LocalCluster."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _cores() -> int:
    """The most threads Numba can start (``NUMBA_NUM_THREADS``, default the number of cores)."""
    from numba import config

    return max(1, int(config.NUMBA_NUM_THREADS))


def _check(n, where: str) -> int:
    from .errors import InputError

    try:
        value = int(n)
    except (TypeError, ValueError):
        raise InputError(f"{where} must be a whole number of threads, got {n!r}") from None
    if isinstance(n, bool) or value < 0 or (not isinstance(n, str) and value != n):
        raise InputError(f"{where} must be a whole number of threads (0 = all cores), got {n!r}")
    return value


def check_env() -> None:
    """Refuse a ``WEAKLABEL_NUM_THREADS`` that is not a whole number: every command checks it when it
    starts (the kernels read it only on inputs large enough for threads, so a typo could pass unseen)."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        _check(raw, ENV)
    message = numba_env_error()
    if message:
        from .errors import InputError

        raise InputError(message)


def numba_env_error() -> str | None:
    """What is wrong with Numba's own ``NUMBA_NUM_THREADS``, if anything: 0 or a negative count
    makes ``import numba`` itself raise ``ValueError`` (a traceback before any command ran; text
    Numba ignores, falling back to every core). Checked before Numba is imported (``_jit``)."""
    raw = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    try:
        bad = bool(raw) and int(raw) < 1
    except ValueError:
        bad = False
    if not bad:
        return None
    return (f"NUMBA_NUM_THREADS must be at least 1 (the size of Numba's thread pool), got {raw!r}; unset it "
            f"to use every core, or cap weaklabel's threads with {ENV} or --threads")


def set_num_threads(n: int | None) -> None:
    """Cap the threads of the kernels (``None`` or ``0``: back to ``WEAKLABEL_NUM_THREADS`` or all cores)."""
    global _override
    value = None if n is None else _check(n, "threads")
    _override = value or None


def get_num_threads() -> int:
    """The current cap: :func:`set_num_threads`, else ``WEAKLABEL_NUM_THREADS``, else all cores
    (never more than Numba's pool, ``NUMBA_NUM_THREADS``)."""
    value = _override
    if value is None:
        raw = os.environ.get(ENV, "").strip()
        value = _check(raw, ENV) if raw else 0
    cores = _cores()
    return cores if not value else min(value, cores)


@contextlib.contextmanager
def num_threads(n: int | None) -> Iterator[None]:
    """``with num_threads(2): ...``: :func:`set_num_threads` for a block (``None``: unchanged)."""
    global _override
    old = _override
    if n is not None:
        set_num_threads(n)
    try:
        yield
    finally:
        _override = old


def threads_for(n_blocks: int, work: float, min_work: float) -> int:
    """Threads for one kernel call: 1 below the kernel's ``min_work`` (threads would cost more than
    they save) or with a single block, else the cap, at most one per block."""
    if n_blocks <= 1 or work < min_work:
        return 1
    return max(1, min(get_num_threads(), int(n_blocks)))
