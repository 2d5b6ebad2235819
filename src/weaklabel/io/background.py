"""Overlap ``apply``'s input and output with its LF work: a read-ahead iterator and a writer thread.

Reading a Parquet batch (decompress, decode, convert to pandas) and writing the votes of the
previous one (build an Arrow table, compress) take about a fifth of ``apply``'s time when the
LFs are vectorized. pyarrow releases the GIL for both, so a second thread does them while the
main thread runs the LFs of the current batch. Order is kept (one reader, one writer, FIFO
queues), so the output is byte-for-byte what the sequential loop writes; queues hold one item,
so memory grows by at most one batch each way.

Errors are not lost: an exception in the reader is raised by the consumer's next ``next()``, one
in the writer by the next :meth:`BackgroundWriter.submit` or by :meth:`BackgroundWriter.close`.
When the consumer stops early (an LF failed), the reader is told to stop and joined, and its
source iterator closed, so files are released before the caller cleans up.

A reader whose consumer is never closed (a Ctrl-C unwinds the loop while the traceback, or a
reference cycle, keeps the generator alive until exit) is stopped and joined at interpreter exit
(:func:`stop_readers`, an ``atexit`` handler): a daemon thread left inside a pyarrow decode that
waits on Arrow's thread pool deadlocks with the C exit handlers that shut that pool down (gdb, the
apply hang of the ninth session); joined while Python still runs, the decode finishes and the
thread returns.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_POLL = 0.05  # seconds between checks for a stop request while a queue is full
_DONE = object()
_EXIT_JOIN = 10.0  # seconds stop_readers waits for each reader at exit (a block's decode, at most)
_READERS: dict[threading.Thread, threading.Event] = {}   # live read-ahead threads and their stop flags
_READERS_LOCK = threading.Lock()


def stop_readers(timeout: float = _EXIT_JOIN) -> None:
    """Tell every live read-ahead thread to stop and join it (at exit; see the module docstring)."""
    with _READERS_LOCK:
        live = list(_READERS.items())
    for thread, stop in live:
        stop.set()
    for thread, _ in live:
        thread.join(timeout)


atexit.register(stop_readers)


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    """Put ``item`` unless ``stop`` is set first; True if it was queued."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL)
            return True
        except queue.Full:
            continue
    return False


def read_ahead(items: Iterable[T], depth: int = 1, name: str = "weaklabel-read") -> Iterator[T]:
    """Iterate ``items`` in a background thread, at most ``depth`` items ahead of the consumer."""
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    source = iter(items)

    def run() -> None:
        try:
            for item in source:
                if not _put(q, (True, item), stop):
                    return
            _put(q, (True, _DONE), stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            _put(q, (False, exc), stop)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
            with _READERS_LOCK:
                _READERS.pop(threading.current_thread(), None)

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _READERS_LOCK:
        _READERS[thread] = stop
    thread.start()
    try:
        while True:
            ok, item = q.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


class BackgroundWriter:
    """Run ``write(*args)`` calls in order on one background thread, one call queued at a time."""

    def __init__(self, write: Callable[..., None], name: str = "weaklabel-write"):
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            args = self._queue.get()
            if args is _DONE:
                return
            if self._error is not None:
                continue  # drain without writing: the caller will raise
            try:
                self._write(*args)
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                self._error = exc
                self._stop.set()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, *args) -> None:
        """Queue one write; raises the exception of an earlier write that failed."""
        if self._closed:
            raise RuntimeError("BackgroundWriter.submit() after close() or abort()")
        self._raise_error()
        if not _put(self._queue, args, self._stop):
            self._raise_error()

    def close(self) -> None:
        """Wait for every queued write; raises the first write's exception, if any."""
        if self._closed:
            self._raise_error()
            return
        self._closed = True
        self._queue.put(_DONE)
        self._thread.join()
        self._raise_error()

    def abort(self) -> None:
        """Stop after the write in progress, dropping queued ones, and wait for the thread (also
        after an interrupted :meth:`close`); never raises."""
        self._stop.set()
        self._error = self._error or _Aborted()
        if not self._closed:
            self._closed = True
            self._queue.put(_DONE)   # the thread drains what is queued without writing it
        self._thread.join()


class _Aborted(Exception):
    """Marks a writer whose queued writes were dropped on purpose."""
