"""The input's fingerprint (:mod:`weaklabel.io.fingerprint`) hashed on a background thread while
the LFs run. ``apply`` hashed every byte of its input before reading any for the LFs: ~1 GB/s, so
seconds per GB on a local disk and minutes on network storage, all of it before the first batch.

:class:`InputHash` notes the identity (size, modification time, inode) of the files the readers
read when the run starts, hashes them on a daemon thread from :meth:`InputHash.start` (called by
the runners once the engine has forked its workers: forking a multi-threaded process is unsafe)
and gives the fingerprint at :meth:`InputHash.result`, which the runners call after their last read
and before they write the votes' metadata. sha256 and the reads release the GIL, so the hash runs
beside the LFs; the value is the one hashing first gave (the same function of the same bytes).

Hashing first recorded the input as it was before the LFs read it, never a later state; a hash
beside the reads could record a later one (a file rewritten meanwhile), and a later ``--update``
would then reuse votes of the earlier data. So :meth:`InputHash.result` checks that no file
changed since the start, and a change is an error, like one while hashing (a file removed or
unreadable): one line, and nothing written. :meth:`InputHash.cancel` (every exit of
``apply_file``, Ctrl-C and SIGTERM too) stops the thread between two 4 MiB chunks and joins it.

The check cannot see a rewrite that keeps the size, the inode and the modification time: on a
filesystem whose times are coarse (whole seconds: ext3, HFS+, FAT, many network mounts), a file
written less than a tick before the run starts can be rewritten within that tick unseen. Such a
*racy* file (a modification time in whole 10 ms or coarser, less than 2 s old or in the future,
as git treats racily clean files) is hashed first, in the caller's thread from :meth:`start`: the
fingerprint is of the bytes before the LFs read any, so a rewrite makes the next ``--update`` refuse.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..errors import InputError
from ..io import TableSource, is_glob
from ..io.fingerprint import folder_fingerprints, table_fingerprint

_POLL = 0.1     # seconds between checks for a signal while waiting for the hash
_JOIN = 5.0     # seconds cancel() waits for the thread (it stops within one chunk's read)
_COARSE_NS = 10_000_000      # a modification time in whole 10 ms (exFAT) or coarser: coarse timestamps
_RACY_NS = 2_000_000_000     # how recent such a time must be for a rewrite to hide in its tick (FAT: 2 s)


def _identity(path: Path) -> tuple[int, int, int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (removed while apply was reading its input?)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


def _racy(ids: list[tuple[int, int, int, int]], now_ns: int) -> bool:
    """Whether a file's identity may not show a rewrite made now (module docstring): its modification
    time is coarse and less than :data:`_RACY_NS` old, or in the future (another machine's clock)."""
    return any(mtime % _COARSE_NS == 0 and now_ns - mtime < _RACY_NS for _, mtime, _, _ in ids)


class InputHash:
    """The fingerprint of ``src``'s data files (:func:`~weaklabel.io.fingerprint.table_fingerprint`),
    hashed in the background from :meth:`start`, or here at the first :meth:`result` if not started.
    ``reading``: ``src.reading(id_cols)``, recorded beside the fingerprint."""

    def __init__(self, src: TableSource, reading: dict):
        self.path = src.path
        self.reading = dict(reading)
        self.glob = src.format == "parquet-dir" and is_glob(src.path)
        self.folder = src.format == "parquet-dir" and not self.glob   # earlier versions hashed every file
        self.files = list(src.files) if src.format == "parquet-dir" else [src.path]
        self.name = str(src.path) if self.glob else src.path.name
        self._ids = [_identity(f) for f in self.files]
        self.racy = _racy(self._ids, time.time_ns())   # hashed first, not beside the LFs
        self.size = sum(i[0] for i in self._ids)      # what the fingerprint's size will be
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._value: dict | None = None
        self._error: BaseException | None = None

    def known(self) -> dict:
        """What is known before the hash: name, size and reading (for :func:`~.update.plan_update`)."""
        return {"name": self.name, "size": self.size, **self.reading}

    def start(self) -> None:
        """Hash on a daemon thread (once; not after :meth:`result` or :meth:`cancel`); a racy input
        (module docstring) here, before the LFs read it."""
        if self.racy and self._value is None and self._error is None and not self._stop.is_set():
            self._value = self._hash()
            return
        if self._thread is None and self._value is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._run, name="weaklabel-hash", daemon=True)
            self._thread.start()

    def _hash(self) -> dict:
        return table_fingerprint(self.path, self.files, glob=self.glob, stop=self._stop)

    def _run(self) -> None:
        try:
            self._value = self._hash()
        except BaseException as exc:  # noqa: BLE001 - raised by result() in the caller's thread
            self._error = exc

    def result(self) -> dict:
        """The fingerprint; raises the hash's error, or one if a file changed since the start."""
        if self._thread is not None:
            while self._thread.is_alive():
                self._thread.join(_POLL)     # a signal is raised between two waits
        elif self._value is None and self._error is None:
            self._value = self._hash()
        if self._error is not None:
            raise self._error
        self._check_unchanged()
        return self._value

    def ready(self) -> dict | None:
        """The fingerprint if it is hashed already (without waiting, nor checking the files), else
        ``None``: for the runners' early ``--update`` check (:meth:`~.job.ApplyJob.check_input_early`)."""
        if self._error is None and (self._thread is None or not self._thread.is_alive()):
            return self._value
        return None

    def with_old_value(self) -> tuple[dict, dict | None]:
        """A folder's fingerprint and the one earlier versions recorded of it (every file of the folder;
        :func:`~weaklabel.io.fingerprint.folder_fingerprints`), hashed here; before :meth:`start`."""
        new, old = folder_fingerprints(self.path, self.files, self._stop)
        self._value = self._value or new
        return self.result(), old

    def _check_unchanged(self) -> None:
        for f, before in zip(self.files, self._ids):
            if _identity(f) != before:
                raise InputError(f"{f}: changed while apply was reading it (size or modification time); "
                                 "run apply again once it is written")
        if self._value["size"] != self.size:
            raise InputError(f"{self.path}: changed while apply was reading it; run apply again once it is written")

    def cancel(self) -> None:
        """Stop the hash (between two chunks) and wait for the thread; never raises."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(_JOIN)
