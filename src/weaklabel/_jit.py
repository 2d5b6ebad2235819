"""Numba plumbing shared by the kernel modules: serial/parallel twins and the first-run notice.

A ``parallel=True`` kernel costs twice: compiling it takes several times longer than the plain
loop (the first ``weaklabel fit`` after install spent most of its 25 s there), and calling it
wakes Numba's thread pool, which on a busy machine can cost a scheduler slice per call. Most
inputs are small, so :func:`parallel_kernel` compiles each kernel twice from the same source:

* a **serial twin** (``prange`` is ``range``), used whenever :func:`weaklabel.threads.threads_for`
  says one thread (small inputs, one row block, ``--threads 1``): nothing parallel is compiled or
  started on that path;
* the **parallel** kernel, compiled on first use above the kernel's size threshold.

Both loop over the same row blocks and add the per-block results in block order, so they
return the same bytes. The twin is a copy of the Python function with its own qualified name:
Numba's on-disk cache is keyed by that name, so the two never overwrite each other's cache.

:func:`announce` tells the user, once per process, that Numba is about to compile (a cold
cache: no cache index on disk for a kernel this process has not compiled yet). The CLI sets
:data:`on_compile` to print "compiling (first run only)" on stderr; the library stays silent.
"""

from __future__ import annotations

import functools
import os
import types
from collections.abc import Callable

# Numba's default threading layer on Linux is OpenMP (libgomp), whose threads spin-wait at the end
# of every parallel region. When the machine has no idle core, the spinning threads take the CPU
# from the one thread that still works: an em_pass over 30,000 rows took 150 ms with 2 threads
# instead of 7 ms (benchmarks/bench_threads.py). Passive waiting makes the threads sleep at once.
# libgomp reads this when it is loaded, at the first parallel call, so setting it here is in
# time; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _tolerate_cache_write_errors() -> None:
    """A kernel cache that cannot be written (disk full, a file-size limit, a read-only tree) must
    not fail the command: the cache only saves compile time. Numba raises such ``OSError``s out of
    the kernel call; this makes its cache save skip them (the kernel is compiled in memory and
    runs; the next run compiles again)."""
    from .threads import numba_env_error

    message = numba_env_error()
    if message:   # importing numba would raise a bare ValueError
        from .errors import InputError

        raise InputError(message)
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - numba is a dependency
        return
    save = caching.Cache.save_overload
    if getattr(save, "_weaklabel_tolerant", False):
        return

    @functools.wraps(save)
    def save_overload(self, sig, data):
        try:
            save(self, sig, data)
        except OSError:
            pass

    save_overload._weaklabel_tolerant = True
    caching.Cache.save_overload = save_overload


_tolerate_cache_write_errors()


def _hold_signals_while_compiling() -> None:
    """Signals that arrive while Numba compiles are raised when the compile ends
    (:func:`weaklabel._signals.compile_started`): raised inside LLVM they are lost or abort it."""
    from numba.core import event

    from . import _signals

    class _Listener(event.Listener):
        def on_start(self, ev):
            _signals.compile_started()

        def on_end(self, ev):
            _signals.compile_ended()

    event.register("numba:compiler_lock", _Listener())   # once: this module is imported once


_hold_signals_while_compiling()

#: called with a short message before the first compile of the process (the CLI prints it)
on_compile: Callable[[str], None] | None = None
_announced = False

COMPILE_NOTE = "compiling (first run only): Numba is compiling weaklabel's kernels and caching them"


def will_compile(dispatcher) -> bool:
    """Whether calling ``dispatcher`` now compiles rather than loads: it has nothing compiled in
    this process and no cache index on disk. (A cache for other argument types also counts as
    warm: a rare miss, then, goes unannounced.)"""
    if dispatcher.signatures:
        return False
    try:
        cache = dispatcher._cache   # numba's FunctionCache (private; guarded)
        index = cache._cache_file._index_path
    except AttributeError:
        return False
    return not os.path.exists(index)


def announce(dispatcher) -> None:
    """Call :data:`on_compile` before the first cold compile of the process."""
    global _announced
    if _announced or on_compile is None:
        return
    if will_compile(dispatcher):
        _announced = True
        on_compile(COMPILE_NOTE)


_stamps: dict[str, tuple] = {}


def _share_source_stamp(dispatcher, func) -> None:
    """Key ``dispatcher``'s disk cache on every ``_kernels*.py`` beside ``func``'s module, not only
    on its own file. Numba checks only the file a kernel is defined in, but kernels inline small
    functions from their sibling modules (the row pass of ``models/_kernels_rows.py`` is inlined
    into the pair kernels): edited there, a cached kernel would otherwise go on running the old
    code."""
    import glob
    import sys

    try:
        path = sys.modules[func.__module__].__file__
        cache_file = dispatcher._cache._cache_file   # numba's IndexDataCacheFile (private; guarded)
        cache_file._source_stamp   # noqa: B018 - the attribute replaced below
    except (AttributeError, KeyError, TypeError):
        return
    folder = os.path.dirname(path)
    key = os.path.join(folder, "_kernels")
    if key not in _stamps:
        files = sorted(glob.glob(key + "*.py"))
        _stamps[key] = tuple((os.path.basename(f), st.st_mtime, st.st_size) for f in files for st in [os.stat(f)])
    if os.path.basename(path).startswith("_kernels"):
        cache_file._source_stamp = _stamps[key]


def _renamed(func, name: str):
    """A copy of ``func`` under another (qualified) name: the same code, its own Numba cache files."""
    twin = types.FunctionType(func.__code__, func.__globals__, name, func.__defaults__, func.__closure__)
    twin.__qualname__ = name
    twin.__module__ = func.__module__
    twin.__doc__ = func.__doc__
    twin.__kwdefaults__ = func.__kwdefaults__
    return twin


PRANGE_ONLY = {"prange": True, "comprehension": False, "reduction": False, "inplace_binop": False,
               "setitem": False, "numpy": False, "stencil": False, "fusion": False}


class ParallelKernel:
    """A kernel with a serial twin; calls pick one by size (``work(*args) >= min_work``), the
    number of row blocks (the last argument) and the user's thread cap."""

    def __init__(self, func, min_work: float, work: Callable[..., float], flags: dict):
        from numba import njit

        self.py_func = func
        self.min_work = min_work
        self.work = work
        # only the explicit prange over row blocks runs in threads: with plain parallel=True Numba
        # also turns every array allocation and array expression (np.zeros, the per-block fold
        # ``S_out += S[b]``) into a parallel region of its own, 2 n_blocks + 6 launches of the
        # pool per em_pass call, each a wait for the threads on a busy machine
        self.parallel = njit(cache=True, parallel=dict(PRANGE_ONLY), **flags)(func)
        self.serial = njit(cache=True, **flags)(_renamed(func, func.__name__ + "_serial"))
        _share_source_stamp(self.parallel, func)
        _share_source_stamp(self.serial, func)
        functools.update_wrapper(self, func)

    def threads(self, *args) -> int:
        """Threads a call with these arguments would use (1: the serial twin)."""
        from .threads import threads_for

        return threads_for(int(args[-1]), self.work(*args), self.min_work)

    def __call__(self, *args):
        t = self.threads(*args)
        if t <= 1:
            announce(self.serial)
            return self.serial(*args)
        import numba

        announce(self.parallel)
        old = numba.get_num_threads()
        numba.set_num_threads(t)
        # hand the row blocks out one at a time rather than in equal shares up front: a thread
        # that shares its core with another program then simply takes fewer blocks
        old_chunk = numba.set_parallel_chunksize(1)
        try:
            return self.parallel(*args)
        finally:
            numba.set_parallel_chunksize(old_chunk)
            numba.set_num_threads(old)


def parallel_kernel(min_work: float, work: Callable[..., float], **flags):
    """Decorator: ``@njit(cache=True, parallel=True, **flags)`` plus a serial twin (see the
    module docstring). ``work(*args)`` estimates a call's cost in the unit of ``min_work``; the
    last argument of the kernel must be its number of row blocks."""
    def deco(func):
        return ParallelKernel(func, min_work, work, flags)
    return deco


def njit_announced(**flags):
    """``@njit(cache=True, **flags)`` whose first cold call is announced (see :func:`announce`)."""
    def deco(func):
        from numba import njit

        disp = njit(cache=True, **flags)(func)
        _share_source_stamp(disp, func)

        @functools.wraps(func)
        def call(*args):
            if not disp.signatures:
                announce(disp)
            return disp(*args)

        call.dispatcher = disp
        return call
    return deco
