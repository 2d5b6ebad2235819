"""Atomic outputs: every file or folder weaklabel writes appears whole or not at all.

An output is written to a hidden temporary named after its owner (``.NAME.wl<host>-<pid>.*.tmp``)
beside the destination and renamed into place at the end (exclusively, with a hard link, unless
``--force``); a destination that is a symbolic link is written through, to the file it points to
(the temporary made beside that file); the temporary is removed on any exception or signal, and
stale temporaries of dead owners are deleted before writing. :func:`output_group` defers the
renames of the outputs written inside it to its end; :func:`check_distinct` refuses outputs that
are inputs. The paths refused as outputs (devices, FIFOs, ``/dev/stdout``, names too long for a
temporary) are :mod:`.output_paths`'.
"""

from __future__ import annotations

import contextlib
import contextvars
import glob as _glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import InputError, first_line
from .datasets import is_votes_dataset
from .metadata import LABELS_FORMAT, VOTES_FORMAT
from .output_paths import (NOT_PARQUET_SUFFIXES, check_json_name, check_parquet_name, check_special_output,  # noqa: F401
                           check_uncompressed_name, output_target, refuse_special, shown)
from .tables import is_glob


def check_output(path: str | Path, force: bool, *, dataset_ok: bool = False,
                 dataset_formats: Sequence[str] = (VOTES_FORMAT,)) -> Path:
    """Fail early (before any work) if ``path`` exists and ``force`` is not set.

    A folder is only ever replaced when ``dataset_ok`` is set and it is a weaklabel dataset of one
    of ``dataset_formats``: ``--force`` never deletes an arbitrary directory (nor, when labels are
    written, a votes dataset). A device, FIFO, socket or link into ``/proc`` (``/dev/null``,
    ``/dev/stdout``), a name too long for its temporary and a compressed name (``.gz``) are refused,
    ``force`` or not (:mod:`~weaklabel.io.output_paths`). A symbolic link is written through
    (:func:`~.output_paths.output_target`), so every check is made on the file it points to (a
    dangling link's target is written if its folder exists). Returns ``path``.
    """
    p = Path(path)
    _checked_target(p, force, dataset_ok, dataset_formats)
    return p


def _checked_target(p: Path, force: bool, dataset_ok: bool, dataset_formats: Sequence[str]) -> Path:
    """:func:`check_output`'s checks; returns where the output is written (``p``, or its link's target)."""
    refuse_special(p)   # before following it: /dev/stdout reaches /proc hop by hop
    target = output_target(p)
    where = shown(p, target)
    check_special_output(target)
    check_uncompressed_name(p)
    if target.exists() and not force:
        raise InputError(f"{where}: already exists; pass --force (force=True from Python) to overwrite it")
    if target.exists() and target.is_dir() and not (dataset_ok and is_votes_dataset(target, dataset_formats)):
        kind = "labels" if tuple(dataset_formats) == (LABELS_FORMAT,) else "votes"
        why = f" that is not a weaklabel {kind} dataset; refusing to replace it" if dataset_ok else ""
        raise InputError(f"{where}: is a directory{why}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"{where}: folder {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"{where}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{where}: folder {parent} is not writable")
    return target


def _remove(path: Path) -> None:
    """Delete a file or a folder tree, retrying briefly (a straggling writer may still add a file)."""
    for _ in range(5):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            return
        except FileNotFoundError:
            return
        except OSError:
            import time

            time.sleep(0.05)
    shutil.rmtree(path, ignore_errors=True)


def _no_replace(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest`` only if ``dest`` does not exist, atomically for files (a hard
    link fails if the name is taken), so that two runs writing the same output without ``--force``
    cannot silently replace each other: the second one fails."""
    if tmp.is_file():
        try:
            os.link(tmp, dest)
        except FileExistsError:
            raise InputError(f"{dest}: already exists (another run wrote it meanwhile?); "
                             "pass --force (force=True from Python) to overwrite it") from None
        except OSError:  # a file system without hard links: check, then rename
            if os.path.lexists(dest):
                raise InputError(f"{dest}: already exists; pass --force (force=True from Python) to overwrite it") from None
            os.replace(tmp, dest)
            return
        os.unlink(tmp)
        return
    if os.path.lexists(dest):
        raise InputError(f"{dest}: already exists (another run wrote it meanwhile?); pass --force (force=True from Python) to overwrite it")
    os.rename(tmp, dest)  # a folder: fails if ``dest`` became a non-empty folder meanwhile


def _move_into_place(tmp: Path, dest: Path, force: bool = True) -> Path | None:
    """Rename ``tmp`` to ``dest``. A file replaces a file atomically; when a folder is involved the
    old output is renamed aside first, so ``dest`` is never half-written. Without ``force`` the
    rename fails if ``dest`` exists (:func:`_no_replace`). Returns the renamed-aside old output
    (for the caller to delete), if any. A ``dest`` that became a device, FIFO or link into ``/proc``
    since :func:`check_output` is refused, not replaced."""
    refuse_special(dest)
    if not force:
        _no_replace(tmp, dest)
        return None
    if not dest.exists() or (tmp.is_file() and dest.is_file()):
        os.replace(tmp, dest)
        return None
    aside = _aside_name(dest)
    os.replace(dest, aside)
    try:
        os.replace(tmp, dest)
    except BaseException:
        os.replace(aside, dest)
        raise
    return aside


def _aside_name(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.{_owner_tag()}.old-{uuid.uuid4().hex[:8]}.tmp")


# --------------------------------------------------------------------------- temporaries
def _host_tag() -> str:
    import socket

    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def _owner_tag() -> str:
    """``wl<host hash>-<pid>``: who owns a temporary, so that a later run can tell a dead
    owner's leftovers (safe to delete) from a running writer's file (never touched)."""
    return f"wl{_host_tag()}-{os.getpid()}"


_OWNER_RE = re.compile(r"^\.wl([0-9a-f]{6})-(\d+)\.")
STALE_SECONDS = 24 * 3600  # temporaries of another host (a shared folder) are deleted after a day


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def clean_stale_temporaries(dest: str | Path) -> list[Path]:
    """Delete the temporaries that earlier runs writing ``dest`` left behind when they were
    killed (``.NAME.wl<host>-<pid>.*.tmp`` whose process on this host is gone, or older than a day
    when written from another host or by an older weaklabel). Returns what was removed."""
    import time

    p = Path(dest)
    parent = p.parent if str(p.parent) else Path(".")
    removed: list[Path] = []
    try:
        candidates = list(parent.glob(f".{_glob.escape(p.name)}.*.tmp"))
    except OSError:
        return removed
    host, now = _host_tag(), time.time()
    for c in candidates:
        m = _OWNER_RE.match(c.name[len(p.name) + 1:])
        try:
            if m is not None and m.group(1) == host:
                pid = int(m.group(2))
                stale = pid != os.getpid() and not _pid_alive(pid)
            else:
                stale = now - c.lstat().st_mtime > STALE_SECONDS
        except OSError:
            continue
        if stale:
            _remove(c)
            removed.append(c)
    return removed


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux), since
    ``os.umask`` can only be read by setting it, which races with other threads creating files."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _settle_mode(tmp: Path, dest: Path) -> None:
    """Give the finished temporary output the mode a plain ``open``/``mkdir`` would have given it
    (``mkstemp``/``mkdtemp`` make it private: 0600/0700), or the permission bits of the output it
    replaces (never its setuid, setgid or sticky bits: ``--force`` must not make a data file
    privileged)."""
    try:
        mode = dest.stat().st_mode & 0o777 if dest.exists() and dest.is_dir() == tmp.is_dir() else None
    except OSError:
        mode = None
    if mode is None:
        mode = (0o777 if tmp.is_dir() else 0o666) & ~_umask()
    os.chmod(tmp, mode)


@contextlib.contextmanager
def atomic_output(path: str | Path, force: bool = False, *, directory: bool = False,
                  replace_dataset: bool = False, dataset_formats: Sequence[str] = (VOTES_FORMAT,)) -> Iterator[Path]:
    """Yield a temporary path (a file, or a folder if ``directory``) beside ``path``; move it into
    place only if the block succeeds, otherwise delete it. With ``force`` an existing file (and,
    if ``replace_dataset``, an existing dataset folder of one of ``dataset_formats``) is replaced;
    without it the final rename fails if ``path`` appeared meanwhile (another run). Inside an
    :func:`output_group` the rename waits for the end of the group. Stale temporaries of killed
    earlier runs writing ``path`` are removed first. An ``OSError`` inside the block (disk full,
    file-size limit) becomes a one-line :class:`InputError`. A symbolic link ``path`` is written
    through: the temporary is made beside its final target and renamed onto it, the link kept."""
    p = _checked_target(Path(path), force, replace_dataset, dataset_formats)
    clean_stale_temporaries(p)
    prefix, suffix = f".{p.name}.{_owner_tag()}.", ".tmp"
    try:
        if directory:
            tmp_path = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=p.parent))
        else:
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=p.parent)
            os.close(fd)
            tmp_path = Path(tmp)
    except OSError as exc:
        raise InputError(f"{p}: cannot write in folder {p.parent} ({os_error_text(exc)})") from None
    group = _GROUP.get()
    try:
        try:
            yield tmp_path
        except OSError as exc:
            raise write_error(p, exc) from None
        _settle_mode(tmp_path, p)
        if group is not None:
            group.append((tmp_path, p, force))
            return
        aside = _move_into_place(tmp_path, p, force)
    except BaseException:
        _remove(tmp_path)
        raise
    if aside is not None:
        _remove(aside)


def os_error_text(exc: OSError) -> str:
    """A short reason for an ``OSError`` (disk full and file-size limit named as such)."""
    import errno

    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EFBIG:
        return "file too large (file-size limit reached)"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded"
    return exc.strerror or first_line(exc)


def write_error(path: Path, exc: OSError) -> InputError:
    """An ``OSError`` while writing an output as a one-line :class:`InputError` (the partial
    temporary is removed by :func:`atomic_output`)."""
    return InputError(f"{path}: write failed: {os_error_text(exc)}; nothing was written")


_GROUP: contextvars.ContextVar = contextvars.ContextVar("weaklabel_output_group", default=None)


@contextlib.contextmanager
def output_group() -> Iterator[None]:
    """Commit every :func:`atomic_output` inside the block together, at its end: each output is
    finished as a temporary first, and only when the whole block succeeded are they renamed into
    place (a command's labels and model file appear together or not at all; if one rename fails,
    the outputs already placed are taken back and replaced ones restored). Nested groups join the
    outer one."""
    if _GROUP.get() is not None:
        yield
        return
    pending: list = []
    token = _GROUP.set(pending)
    try:
        try:
            yield
        except BaseException:
            for tmp, _dest, _force in pending:
                _remove(tmp)
            raise
        _commit(pending)
    finally:
        _GROUP.reset(token)


def _commit(pending: list) -> None:
    done: list[tuple[Path, Path | None]] = []   # (placed output, the old output renamed aside)
    try:
        for _tmp, dest, _force in pending:   # before any rename: none of the group is placed
            refuse_special(dest)
        for tmp, dest, force in pending:
            aside = None
            if force and os.path.lexists(dest):
                aside = _aside_name(dest)
                os.replace(dest, aside)
            try:
                _move_into_place(tmp, dest, force=False)
            except BaseException:
                if aside is not None:
                    os.replace(aside, dest)
                raise
            done.append((dest, aside))
    except BaseException:
        for tmp, _dest, _force in pending[len(done):]:
            _remove(tmp)
        for dest, aside in reversed(done):
            with contextlib.suppress(OSError):
                _remove(dest)
                if aside is not None:
                    os.replace(aside, dest)
        raise
    for _dest, aside in done:
        if aside is not None:
            _remove(aside)


def check_distinct(inputs: Sequence[str | Path | None], outputs: Sequence[str | Path | None]) -> None:
    """Refuse a command whose output is one of its inputs (the same file after symlinks and
    ``..``, a folder holding an input, or a path inside an input folder, such as a part file of a
    votes dataset), or whose outputs name the same path twice: with
    ``--force`` the input would be replaced by the output (data loss), and two outputs would
    overwrite each other. Call before any work."""
    def key(x) -> Path:
        return Path(os.path.realpath(os.path.abspath(str(x))))

    outs = [(o, key(o)) for o in outputs if o is not None]
    seen: dict[Path, object] = {}
    for o, k in outs:
        if k in seen:
            raise InputError(f"{o}: given as two outputs of the same command ({seen[k]} and {o}); "
                             "each output needs its own path")
        seen[k] = o
    for i in inputs:
        if i is None:
            continue
        ins = [key(f) for f in _glob.glob(str(i))] if is_glob(i) else [key(i)]
        for ik in ins:
            for o, ok in outs:
                same = ok == ik or (os.path.exists(ok) and os.path.exists(ik) and _samefile(ok, ik))
                if same or ok in ik.parents:
                    raise InputError(f"{o}: is an input of this command ({i}); refusing to overwrite "
                                     "an input, choose another output path")
                if ik in ok.parents and ik.is_dir():   # -o votes_dask/part.00000.parquet: a part file replaced
                    raise InputError(f"{o}: is inside {i}, an input folder of this command; choose an output "
                                     "path outside it")


def _samefile(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_json_atomic(obj: dict, path: str | Path, force: bool = False) -> None:
    with atomic_output(path, force) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")
