"""Input fingerprints: what ``apply`` records of its input (in the votes' ``input`` metadata) so
that a later ``apply --update`` reuses votes only for the very same bytes.

A fingerprint is ``{"name", "size", "sha256_ends"}``: the sha256 of the *whole* content followed
by its size (32 hex digits; the key keeps its old name). Earlier versions hashed only the first and
last MiB, so a file edited in the middle with the same size kept its fingerprint and ``--update``
silently reused stale votes. For a file (or a set of files) of at most 1 MiB that old hash already
covered every byte and is the same value, so such votes files keep matching; a fingerprint of more
than 1 MiB is marked ``"covers": "all"``, and one of more than 1 MiB without the mark (written
before) proves nothing: :func:`input_match` says ``"unknown"`` and ``--update`` reruns every LF.

A Parquet folder's fingerprint covers the files its readers read (:func:`~.tables.parquet_files`:
not ``_SUCCESS``, ``_common_metadata``, ``.crc`` files or anything else named ``_*`` / ``.*``), so
that a change there does not force a rerun, and is marked ``"files": "data"``. Earlier versions
hashed every file of the folder; :func:`folder_fingerprints` gives that value too, for their votes.

The file is read in 4 MiB chunks into one reused buffer (flat memory). Measured on a 2 GiB CSV
(2 shared cores, sha256 with SHA-NI): 0.8-1.0 GB/s from the page cache, ~0.6 GB/s after evicting
it; ``apply`` hashes on a background thread while the LFs run (:mod:`weaklabel.apply.input_hash`;
sha256 and the reads release the GIL), so a ``stop`` event ends a hash between two chunks.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError, first_line

_ENDS = 1 << 20           # what the old fingerprint hashed at each end of a file
_CHUNK = 4 << 20          # bytes read at a time
DATA_FILES = "data"       # the mark (key "files") of a folder fingerprint of its data files only


class HashStopped(Exception):
    """A hash ended early on request (its ``stop`` event was set)."""


def _whole_file_sha256(path: Path, stop: threading.Event | None = None) -> tuple[str, int]:
    """sha256 of a file's bytes followed by their count (what the old fingerprint was for files of
    at most 1 MiB), and the count; streamed through one reused buffer. An unreadable file is an
    :class:`InputError` (one line), a set ``stop`` :class:`HashStopped`."""
    h = hashlib.sha256()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    size = 0
    try:
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
                size += n
                if stop is not None and stop.is_set():
                    raise HashStopped(str(path))
    except PermissionError:
        raise InputError(f"{path}: permission denied (not readable)") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (removed while apply was reading its input?)") from None
    except OSError as exc:
        raise InputError(f"{path}: read failed ({first_line(exc)})") from None
    h.update(str(size).encode())
    return h.hexdigest()[:32], size


def _mark(fp: dict) -> dict:
    """A fingerprint of more than 1 MiB says that it covers every byte (old ones did not)."""
    if fp["size"] > _ENDS:
        fp["covers"] = "all"
    return fp


def file_fingerprint(path: str | Path) -> dict:
    """Identity of an input file (or Parquet folder): name, size and a sha256 of all its bytes (of
    a folder: of its data files, those :func:`~.tables.parquet_files` lists).

    Stored in votes metadata so that a later ``apply --update`` can check the data did not change.
    """
    p = Path(path)
    if p.is_dir():
        from .tables import parquet_files   # (tables imports this module)

        return table_fingerprint(p, parquet_files(p))
    return table_fingerprint(p, [p])


def files_fingerprint(name: str, files: Sequence[Path]) -> dict:
    """:func:`file_fingerprint` of a list of files (a glob's matches), in order."""
    return _combined(name, files, lambda f: f.name)


def table_fingerprint(path: str | Path, files: Sequence[Path], *, glob: bool = False,
                      stop: threading.Event | None = None) -> dict:
    """The fingerprint of an input table at ``path`` whose readers read ``files``: one file; a
    folder's data files (by path relative to it, marked ``"files": "data"``); a glob's matches
    (``glob``: by name, in the order given). ``stop``: see :func:`_whole_file_sha256`."""
    p = Path(path)
    if glob:
        return _combined(str(path), files, lambda f: f.name, stop)
    if p.is_dir():
        return {**_combined(p.name, sorted(files), lambda f: f.relative_to(p), stop), "files": DATA_FILES}
    digest, size = _whole_file_sha256(p, stop)
    return _mark({"name": p.name, "size": size, "sha256_ends": digest})


def folder_fingerprints(folder: str | Path, files: Sequence[Path],
                        stop: threading.Event | None = None) -> tuple[dict, dict | None]:
    """A folder's fingerprint (:func:`table_fingerprint` of its data ``files``) and the one earlier
    versions recorded of it (of every file in it, data or not; ``None`` when a file that is not
    data cannot be read), each file read once. Both hash the same bytes, so have the same value
    (without the mark), when the folder holds data files only."""
    p = Path(folder)
    data = sorted(files)
    digests = {f: _whole_file_sha256(f, stop) for f in data}
    new = {**_combine(p.name, [(f.relative_to(p), digests[f]) for f in data]), "files": DATA_FILES}
    try:
        every = sorted({f for f in p.rglob("*") if f.is_file()} | set(data))
        old = _combine(p.name, [(f.relative_to(p), digests.get(f) or _whole_file_sha256(f, stop)) for f in every])
    except (InputError, OSError):
        old = None
    return new, old


def _combined(name: str, files: Sequence[Path], label, stop: threading.Event | None = None) -> dict:
    """One fingerprint of several files: their sizes added, their hashes hashed with ``label(file)``."""
    return _combine(name, [(label(f), _whole_file_sha256(f, stop)) for f in files])


def _combine(name: str, labelled: Sequence[tuple[object, tuple[str, int]]]) -> dict:
    h = hashlib.sha256()
    size = 0
    for label, (digest, n) in labelled:
        size += n
        h.update(f"{label}:{digest}".encode())
    return _mark({"name": name, "size": size, "sha256_ends": h.hexdigest()[:32]})


def _covers_all(fp: dict) -> bool:
    size = fp.get("size")
    return fp.get("covers") == "all" or (isinstance(size, int) and not isinstance(size, bool) and 0 <= size <= _ENDS)


def input_match(old: dict, new: dict) -> str:
    """``"same"``, ``"differs"`` or ``"unknown"``: whether fingerprint ``old`` (from a votes
    file's metadata, perhaps written by an earlier version) and ``new`` describe the same data.
    The name may differ (a moved file). Another size always differs; ``"unknown"``: ``old`` hashed
    only the ends of more than 1 MiB (or is not a fingerprint), so equal hashes would prove nothing."""
    if not isinstance(old, dict) or old.get("size") != new.get("size"):
        return "differs"
    if not (_covers_all(old) and _covers_all(new)) or not isinstance(old.get("sha256_ends"), str):
        return "unknown"
    return "same" if old["sha256_ends"] == new.get("sha256_ends") else "differs"


def match_before_hash(old: dict, size: int) -> str | None:
    """What :func:`input_match` says of ``old`` and a fingerprint (this version's) of ``size``
    bytes before its hash is known: ``"differs"``, ``"unknown"``, or ``None``: it depends on the hash."""
    m = input_match(old, {"size": size, "covers": "all"})    # no hash: "differs" unless old has none
    return None if m == "differs" and isinstance(old, dict) and old.get("size") == size else m


def same_input(a: dict, b: dict) -> bool:
    """Whether two fingerprints describe the same data (:func:`input_match` is ``"same"``)."""
    return input_match(a, b) == "same"


def recorded_match(recorded: dict, path: str | Path, files: Sequence[Path], *, glob: bool = False) -> tuple[str, int]:
    """``(match, size)``: :func:`input_match` of the fingerprint a votes file recorded of its input
    (``recorded``) and the table at ``path`` whose readers read ``files`` now (one file, a folder's
    data files, a glob's matches), and the table's size in bytes. The sizes are compared first: the
    bytes are hashed only when they are equal. A folder's fingerprint of every file in it (earlier
    versions) is compared both ways, as ``apply --update`` compares it."""
    p = Path(path)
    files = [Path(f) for f in files]
    try:
        size = sum(f.stat().st_size for f in files)
    except OSError as exc:
        raise InputError(f"{p}: cannot read its size ({first_line(exc)})") from None
    if not glob and p.is_dir() and isinstance(recorded, dict) and recorded.get("files") != DATA_FILES:
        new, old = folder_fingerprints(p, files)
        found = {input_match(recorded, fp) for fp in (new, old) if fp is not None}
        return ("same" if "same" in found else "unknown" if "unknown" in found else "differs"), size
    match = match_before_hash(recorded, size)
    if match is None:   # the same size: the bytes decide
        match = input_match(recorded, table_fingerprint(p, files, glob=glob))
    return match, size
