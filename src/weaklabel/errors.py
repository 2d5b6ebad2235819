"""Exceptions that carry a user-facing, one-line message.

Anything the user can fix (a missing file, a bad vote, a column an LF needs) raises a
:class:`WeaklabelError` subclass whose ``str()`` is the whole message. The CLI prints it on one
line and exits with code 1; library users can catch the specific subclass.
"""

from __future__ import annotations


class WeaklabelError(Exception):
    """Base class for errors caused by the user's input, not by a bug in weaklabel."""


class InputError(WeaklabelError):
    """A file is missing, unreadable, empty or has the wrong shape."""


class LFDefinitionError(WeaklabelError):
    """An ``lfs.py`` file or a labeling function is malformed (duplicate name, no LFs, ...)."""


class LFError(WeaklabelError):
    """A labeling function raised or returned an invalid vote on a specific row.

    Attributes keep the structured facts so that callers (and tests) need not parse text.
    """

    def __init__(self, message: str, *, lf: str, position: int | None = None,
                 row_id: object = None, value: object = None):
        super().__init__(message)
        self.lf = lf
        self.position = position
        self.row_id = row_id
        self.value = value

    def __reduce__(self):
        # keyword-only fields: rebuild explicitly so the error survives pickling (worker
        # processes and Dask workers send failures back to the client)
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class MissingColumnError(LFError):
    """A labeling function asked for a column the data does not have."""

    def __init__(self, message: str, *, lf: str, column: str):
        super().__init__(message, lf=lf)
        self.column = column


def _rebuild(cls: type, message: str, state: dict) -> Exception:
    exc = Exception.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class ModelFileError(InputError):
    """A saved model file is invalid, tampered with or of the wrong kind (an input error: library
    callers catching :class:`InputError` catch it too)."""


def check_regular(path, what: str = "a file") -> None:
    """Refuse an input that exists but is not a regular file or folder (a FIFO, a socket, a
    device): reading it could block forever or never end. Unreadable files are refused here too,
    with one line (exit code 1), rather than failing halfway."""
    import os
    import stat

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        return
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: is not a regular file (a FIFO, socket or device?); expected {what}")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied (not readable)")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty): what a
    one-line error shows of a library's multi-line exception."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
