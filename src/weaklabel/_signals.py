"""Signals: a clean exit on SIGTERM/SIGHUP, a real Ctrl-C told apart from a ``KeyboardInterrupt``
that user code raised, and worker processes that die with their parent.

The command line installs :func:`install_handlers` at start-up. SIGTERM and SIGHUP then raise
:class:`Terminated` (a ``KeyboardInterrupt``), so every ``except BaseException`` / ``finally``
that removes temporaries runs, as it does for Ctrl-C, and the process exits with ``128 + signal``.
Worker processes (forked by ``apply``) ignore SIGINT (the parent stops them: no second
traceback from each worker), take the default action on SIGTERM/SIGHUP and ask the Linux kernel
to send them SIGKILL when their parent dies (``prctl(PR_SET_PDEATHSIG)``), so a killed run does not
leave workers behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

_state = {"installed": False, "sigint": False, "held": 0, "pending": None, "pid": None}


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM or SIGHUP (after :func:`install_handlers`)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _deliver(signum: int):
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _forked_child() -> bool:
    """Whether this process is a fork of the one that installed the handlers, before
    :func:`worker_setup` ran in it: a worker that the parent terminates while it is still starting
    (Ctrl-C right after ``apply`` forked it) must not raise the parent's exceptions there (a second
    traceback, "Process ForkProcess-2: ... Terminated")."""
    return _state["pid"] is not None and os.getpid() != _state["pid"]


def _on_sigint(signum, frame):
    if _forked_child():
        return                          # workers ignore Ctrl-C: the parent stops them
    _state["sigint"] = True
    if _state["held"]:
        _state["pending"] = signum     # raised when the hold ends (compile_ended)
        return
    raise KeyboardInterrupt


def _on_terminate(signum, frame):
    if _forked_child():                 # a starting worker: the default action, quietly
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _state["sigint"] = True  # any KeyboardInterrupt from now on is the signal, not user code
    if _state["held"]:
        _state["pending"] = signum
        return
    raise Terminated(signum)


def compile_started() -> None:
    """Numba starts compiling in the main thread: hold signals until it ends.

    A ``KeyboardInterrupt`` raised while LLVM is compiling lands in one of llvmlite's ctypes
    callbacks, where Python can only print "Exception ignored" and carry on (the Ctrl-C is lost
    and the run ends normally), or it aborts LLVM itself (exit -6). So during a compile the
    handlers only note the signal, and :func:`compile_ended` raises it, in Python code, once the
    outermost compile is over (a first-run compile takes a few seconds)."""
    import threading

    if threading.current_thread() is threading.main_thread():
        _state["held"] += 1


def compile_ended() -> None:
    """The end of :func:`compile_started`'s compile: raise a signal that came in meanwhile."""
    import threading

    if threading.current_thread() is not threading.main_thread() or not _state["held"]:
        return
    _state["held"] -= 1
    if _state["held"] == 0 and _state["pending"] is not None:
        signum, _state["pending"] = _state["pending"], None
        _deliver(signum)


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT/SIGTERM/SIGHUP in the main thread while the block runs and raise one that came
    in when it ends (the mechanism of :func:`compile_started`). For forking worker processes: a
    signal that lands in one of ``os.fork``'s after-fork callbacks (``logging`` registers one) is
    reported as "Exception ignored" and lost, and the run then went on to its end."""
    compile_started()
    try:
        yield
    finally:
        compile_ended()


def install_handlers() -> None:
    """SIGINT, SIGTERM and SIGHUP raise in the main thread (see the module docstring)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    _state["pid"] = os.getpid()
    signal.signal(signal.SIGINT, _on_sigint)
    signal.signal(signal.SIGTERM, _on_terminate)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _on_terminate)
    _state["installed"] = True


@contextlib.contextmanager
def watching_interrupts():
    """While LFs run in the main thread of a library caller (no :func:`install_handlers`), note
    Ctrl-C in a flag, so that :func:`real_interrupt` can tell it from a ``KeyboardInterrupt`` an LF
    raises. Where SIGINT is ignored (a background job, ``nohup``) no ``KeyboardInterrupt`` can be a
    Ctrl-C, so any is an LF's (as in a worker, :func:`worker_setup`). A no-op outside the main thread
    or when someone else handles SIGINT."""
    import threading

    if _state["installed"] or threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.getsignal(signal.SIGINT)
    if handler is signal.SIG_IGN:
        _state.update(installed=True, sigint=False)
        try:
            yield
        finally:
            _state.update(installed=False, sigint=False)
        return
    if handler is not signal.default_int_handler:
        yield
        return
    signal.signal(signal.SIGINT, _on_sigint)
    _state.update(installed=True, sigint=False, pid=os.getpid())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _state.update(installed=False, sigint=False, pid=None)


def real_interrupt() -> bool:
    """Whether a ``KeyboardInterrupt`` caught now is the user's Ctrl-C (or a termination signal),
    not one raised by a labeling function. Without our handlers (weaklabel used as a library) every
    ``KeyboardInterrupt`` in the main thread is taken as real; off it (a Dask worker's thread, a
    thread pool) none can be, since Python raises a signal's ``KeyboardInterrupt`` in the main
    thread only: there it is the LF's own error."""
    import threading

    if _state["sigint"]:
        return True
    return not _state["installed"] and threading.current_thread() is threading.main_thread()


def exit_code(exc: BaseException) -> int:
    """``128 + signal``: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


def caused_by_interrupt(exc: BaseException) -> KeyboardInterrupt | None:
    """The ``KeyboardInterrupt`` behind ``exc`` (a Numba kernel interrupted by Ctrl-C surfaces as
    ``SystemError: ... returned a result with an exception set``), if any."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


_PARENT = {"pid": None}


def remember_parent() -> None:
    """Call in the parent just before forking workers: they check it is still alive."""
    _PARENT["pid"] = os.getpid()


def worker_setup() -> None:
    """In a worker process: ignore Ctrl-C, default SIGTERM/SIGHUP, die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    # Ctrl-C is ignored here: any KeyboardInterrupt is an LF's; this process's own handlers from now on
    _state.update(installed=True, sigint=False, pid=os.getpid())
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    parent = _PARENT["pid"]
    if parent is not None and os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
