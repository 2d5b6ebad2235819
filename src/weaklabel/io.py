"""File input and output: tables in batches, atomic writes, votes/labels Parquet formats.

Formats (DESIGN.md):

* **votes.parquet**: the row-id column(s) (or ``row``, the 0-based position), then one int8
  (K <= 127) or int16 column per LF, ``-1`` for abstain.
* **labels.parquet**: the row-id column(s), ``prob_0 .. prob_{K-1}`` (float32, each row sums
  to 1), ``label`` (argmax, ``-1`` for rows no LF voted on unless filled with the prior) and
  ``confidence`` (the largest probability).

Both carry JSON under the Parquet footer key-value metadata key ``weaklabel`` (read it with
:func:`read_metadata`, ``pyarrow.parquet.read_metadata(path).metadata[b"weaklabel"]`` or DuckDB's
``parquet_kv_metadata``). Every output is written to a temporary file in the destination folder
and renamed into place, so a failed run never leaves a half-written file.
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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._version import __version__
from .errors import InputError, check_regular
from .votes import VoteMatrix, concat_csr, dense_to_csr, vote_dtype

META_KEY = b"weaklabel"
VOTES_FORMAT = "weaklabel.votes"
LABELS_FORMAT = "weaklabel.labels"
FORMAT_VERSION = 1

PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
CSV_SUFFIXES = {".csv", ".tsv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


# --------------------------------------------------------------------------- atomic writes
COMMON_METADATA = "_common_metadata"


def is_votes_dataset(path: str | Path, formats: Sequence[str] = (VOTES_FORMAT,)) -> bool:
    """Whether ``path`` is a folder written by weaklabel with ``--engine dask`` whose metadata has
    one of ``formats`` (default: a votes dataset; ``LABELS_FORMAT`` for a labels dataset)."""
    p = Path(path)
    common = p / COMMON_METADATA
    if not p.is_dir() or not common.is_file():
        return False
    try:
        meta = read_metadata(p)
    except InputError:
        return False
    return bool(meta) and meta.get("format") in formats


def check_output(path: str | Path, force: bool, *, dataset_ok: bool = False,
                 dataset_formats: Sequence[str] = (VOTES_FORMAT,)) -> Path:
    """Fail early (before any work) if ``path`` exists and ``force`` is not set.

    A folder is only ever replaced when ``dataset_ok`` is set and it is a weaklabel dataset of one
    of ``dataset_formats``: ``--force`` never deletes an arbitrary directory (nor, when labels are
    written, a votes dataset).
    """
    p = Path(path)
    if p.exists() and not force:
        raise InputError(f"{p}: already exists; pass --force to overwrite it")
    if p.exists() and p.is_dir() and not (dataset_ok and is_votes_dataset(p, dataset_formats)):
        kind = "labels" if tuple(dataset_formats) == (LABELS_FORMAT,) else "votes"
        raise InputError(f"{p}: is a directory" + (f" that is not a weaklabel {kind} dataset; refusing to replace it"
                                                  if dataset_ok else ""))
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"{p}: folder {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"{p}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{p}: folder {parent} is not writable")
    return p


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
                             "pass --force to overwrite it") from None
        except OSError:  # a file system without hard links: check, then rename
            if os.path.lexists(dest):
                raise InputError(f"{dest}: already exists; pass --force to overwrite it") from None
            os.replace(tmp, dest)
            return
        os.unlink(tmp)
        return
    if os.path.lexists(dest):
        raise InputError(f"{dest}: already exists (another run wrote it meanwhile?); pass --force to overwrite it")
    os.rename(tmp, dest)  # a folder: fails if ``dest`` became a non-empty folder meanwhile


def _move_into_place(tmp: Path, dest: Path, force: bool = True) -> Path | None:
    """Rename ``tmp`` to ``dest``. A file replaces a file atomically; when a folder is involved the
    old output is renamed aside first, so ``dest`` is never half-written. Without ``force`` the
    rename fails if ``dest`` exists (:func:`_no_replace`). Returns the renamed-aside old output
    (for the caller to delete), if any."""
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
    file-size limit) becomes a one-line :class:`InputError`."""
    p = check_output(path, force, dataset_ok=replace_dataset, dataset_formats=dataset_formats)
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
    return exc.strerror or _first_line(exc)


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
    ``..``, or a folder holding an input), or whose outputs name the same path twice: with
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


def _samefile(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_json_atomic(obj: dict, path: str | Path, force: bool = False) -> None:
    with atomic_output(path, force) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


# --------------------------------------------------------------------------- reading tables
_GLOB_CHARS = frozenset("*?[")


def is_glob(path: str | Path) -> bool:
    """A path that does not exist but contains glob characters (``data/part-*.parquet``)."""
    return not Path(path).exists() and any(c in _GLOB_CHARS for c in str(path))


def _natural_key(text: str) -> list:
    """Sort key where digit runs compare as numbers: ``part.2`` < ``part.10`` (as Dask does)."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


def parquet_files(path: str | Path) -> list[Path]:
    """The files of a Parquet dataset in row order: one file, a folder (searched recursively; names
    starting with ``_`` or ``.`` are skipped, as pyarrow and Dask do) or a glob pattern. Files are
    ordered by path with numbers compared numerically, so ``part.10`` follows ``part.9``."""
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        found = [(f.relative_to(p).as_posix(), f) for f in p.rglob("*")
                 if f.is_file() and not any(part.startswith(("_", ".")) for part in f.relative_to(p).parts)]
        if not found:
            raise InputError(f"{p}: folder has no Parquet files")
    elif is_glob(p):
        found = [(m, Path(m)) for m in _glob.glob(str(p), recursive=True) if Path(m).is_file()]
        if not found:
            raise InputError(f"{p}: no files match this pattern")
    else:
        raise InputError(f"{p}: no such file")
    return [f for _, f in sorted(found, key=lambda t: _natural_key(t[0]))]


def open_parquet(path: str | Path) -> pq.ParquetFile:
    """Open a Parquet file for streaming. ``pre_buffer=False``: with pyarrow's default read-ahead
    cache, ``iter_batches`` keeps every row group it has read until the file is closed, so memory
    grows with the file (measured: +3.7 MB per 100,000-row batch of 12 columns) instead of
    staying flat."""
    return pq.ParquetFile(path, pre_buffer=False)


def _format_of(p: Path) -> str:
    if p.is_dir() or is_glob(p):
        return "parquet-dir"
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if p.is_file():  # no telling suffix (e.g. votes written as "-o votes"): recognise Parquet by its magic
        with open(p, "rb") as fh:
            if fh.read(4) == b"PAR1":
                return "parquet"
    raise InputError(f"{p}: unknown file type {suffix!r}; use .parquet, .csv, .tsv or .jsonl")


class TableSource:
    """A Parquet file, folder or glob, a CSV or a JSON Lines file read in bounded-memory batches.

    A multi-file Parquet dataset (``format == "parquet-dir"``, a folder or a glob) is read file by
    file in :func:`parquet_files` order; ``files`` and ``file_rows`` list its files and row counts.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists() and not is_glob(self.path):
            raise InputError(f"{self.path}: no such file")
        if not is_glob(self.path):
            check_regular(self.path, "a data table (.parquet, .csv, .tsv, .jsonl or a Parquet folder)")
        self.format = _format_of(self.path)
        self._pf = None
        self.files: list[Path] = []
        self.file_rows: list[int] = []
        self.schema: pa.Schema | None = None
        current = self.path
        try:
            if self.format == "parquet":
                self._pf = open_parquet(self.path)
                self.schema = self._pf.schema_arrow
                self.columns = list(self.schema.names)
                self.n_rows: int | None = self._pf.metadata.num_rows
                self.files, self.file_rows = [self.path], [self.n_rows]
            elif self.format == "parquet-dir":
                self.files = parquet_files(self.path)
                for f in self.files:
                    current = f
                    md = pq.read_metadata(f)
                    schema = md.schema.to_arrow_schema()
                    if self.schema is None:
                        self.schema = schema
                    elif schema.names != self.schema.names:
                        raise InputError(
                            f"{f}: has columns {schema.names} but {self.files[0]} has {self.schema.names}; "
                            "all files of a dataset must have the same columns")
                    self.file_rows.append(md.num_rows)
                self.columns = list(self.schema.names)
                self.n_rows = sum(self.file_rows)
            elif self.format == "csv":
                sep = "\t" if self.path.suffix.lower() == ".tsv" else ","
                self._sep = sep
                self.columns = list(pd.read_csv(self.path, sep=sep, nrows=0).columns)
                self.n_rows = None
            else:
                first = pd.read_json(self.path, lines=True, nrows=1)
                self.columns = list(first.columns)
                self.n_rows = None
        except InputError:
            raise
        except PermissionError:
            raise InputError(f"{current}: permission denied (not readable)") from None
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise InputError(f"{current}: not a readable Parquet file ({_first_line(exc)})") from None
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            kind = "CSV" if self.format == "csv" else "JSON Lines"
            raise InputError(f"{self.path}: not a readable {kind} file ({_first_line(exc)})") from None

        dup = sorted({c for c in self.columns if self.columns.count(c) > 1}, key=str)
        if dup:
            raise InputError(f"{self.path}: column name {dup[0]!r} appears more than once; column names must be unique")

    def nested_columns(self, names: Sequence[str]) -> list[str]:
        """Which of ``names`` hold lists, structs or maps (unusable as row ids)."""
        if self.schema is None:
            return []
        nested = (pa.types.is_list, pa.types.is_large_list, pa.types.is_struct, pa.types.is_map,
                  pa.types.is_fixed_size_list)
        return [n for n in names if n in self.schema.names
                and any(f(self.schema.field(n).type) for f in nested)]

    def fingerprint(self) -> dict:
        if self.format == "parquet-dir" and is_glob(self.path):
            return files_fingerprint(str(self.path), self.files)
        return file_fingerprint(self.path)

    def iter_batches(self, batch_size: int, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """Yield pandas DataFrames of at most ``batch_size`` rows, in file order."""
        cols = list(columns) if columns is not None else None
        try:
            if self.format == "parquet":
                for rb in self._pf.iter_batches(batch_size=batch_size, columns=cols):
                    yield rb.to_pandas()
            elif self.format == "parquet-dir":
                for f in self.files:
                    pf = open_parquet(f)
                    try:
                        for rb in pf.iter_batches(batch_size=batch_size, columns=cols):
                            if rb.num_rows:
                                yield rb.to_pandas()
                    finally:
                        pf.close()
            elif self.format == "csv":
                reader = pd.read_csv(self.path, sep=self._sep, chunksize=batch_size, usecols=cols)
                with reader:
                    yield from reader
            else:
                reader = pd.read_json(self.path, lines=True, chunksize=batch_size)
                with reader:
                    for chunk in reader:
                        yield chunk[cols] if cols is not None else chunk
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise InputError(f"{self.path}: read failed ({_first_line(exc)})") from None
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError(f"{self.path}: read failed ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a whole table (Parquet/CSV/JSON Lines) into pandas, checking requested columns."""
    src = TableSource(path)
    if columns is not None:
        missing = [c for c in columns if c not in src.columns]
        if missing:
            raise InputError(f"{src.path}: no column {missing[0]!r} (columns: {', '.join(src.columns)})")
    parts = list(src.iter_batches(1 << 20, columns))
    if not parts:
        return pd.DataFrame({c: [] for c in (columns or src.columns)})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)


def file_fingerprint(path: str | Path) -> dict:
    """Cheap identity of an input file: name, size and a hash of its first and last MiB.

    Stored in votes metadata so that a later ``apply --update`` can check the data did not change.
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file())
        h = hashlib.sha256()
        size = 0
        for f in files:
            sub = file_fingerprint(f)
            size += sub["size"]
            h.update(f"{f.relative_to(p)}:{sub['sha256_ends']}".encode())
        return {"name": p.name, "size": size, "sha256_ends": h.hexdigest()[:32]}
    size = p.stat().st_size
    h = hashlib.sha256()
    chunk = 1 << 20
    with open(p, "rb") as fh:
        h.update(fh.read(chunk))
        if size > chunk:
            fh.seek(max(chunk, size - chunk))
            h.update(fh.read(chunk))
    h.update(str(size).encode())
    return {"name": p.name, "size": size, "sha256_ends": h.hexdigest()[:32]}


def files_fingerprint(name: str, files: Sequence[Path]) -> dict:
    """:func:`file_fingerprint` of a list of files (a glob's matches), in order."""
    h = hashlib.sha256()
    size = 0
    for f in files:
        sub = file_fingerprint(f)
        size += sub["size"]
        h.update(f"{f.name}:{sub['sha256_ends']}".encode())
    return {"name": name, "size": size, "sha256_ends": h.hexdigest()[:32]}


def same_input(a: dict, b: dict) -> bool:
    """Whether two fingerprints describe the same data (the name may differ: a moved file)."""
    return a.get("size") == b.get("size") and a.get("sha256_ends") == b.get("sha256_ends")


# --------------------------------------------------------------------------- metadata
def read_metadata(path: str | Path) -> dict | None:
    """The ``weaklabel`` JSON metadata of a Parquet file, or ``None`` if it has none.

    For a folder (a votes dataset) it is read from the folder's ``_common_metadata`` file.
    """
    p = Path(path)
    if p.is_dir():
        p = p / COMMON_METADATA
        if not p.is_file():
            return None
    try:
        kv = pq.read_metadata(p).metadata or {}
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{p}: not a readable Parquet file ({_first_line(exc)})") from None
    raw = kv.get(META_KEY)
    if raw is None:
        return None
    from .jsonsafe import loads_strict

    meta = loads_strict(raw, f"{p}: the weaklabel metadata", error=InputError)
    validate_metadata(meta, str(p))
    return meta


MAX_CARDINALITY = 32767   # votes are int8/int16


def _field_error(where: str, name: str, want: str, value) -> InputError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InputError(f"{where}: weaklabel metadata field {name!r} must be {want}, got {shown}")


def _is_int(v) -> bool:
    return type(v) is int


def _str_list(meta: dict, key: str, where: str, *, unique: bool = True, length: int | None = None) -> None:
    v = meta[key]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _field_error(where, key, "a list of strings", v)
    if unique and len(set(v)) != len(v):
        raise _field_error(where, key, "a list of distinct names", v)
    if length is not None and len(v) != length:
        raise _field_error(where, key, f"a list of {length} names (one per class)", v)


def validate_metadata(meta, where: str, required: Sequence[str] = ()) -> dict:
    """Check the ``weaklabel`` metadata of a votes or labels file against its schema: field types,
    ranges and lengths (``cardinality`` an int in 2..32767, one class name per class, LF names
    distinct strings, ...). Any violation is one :class:`InputError` naming the file and the field;
    files of other formats are only required to be JSON objects. Fields are checked when present
    (a part file of a votes dataset carries only ``format`` and ``part``); ``required`` names
    those that must be there (:func:`votes_layout` requires what it reads)."""
    if not isinstance(meta, dict):
        raise InputError(f"{where}: the weaklabel metadata is not a JSON object")
    fmt = meta.get("format")
    if fmt is not None and not isinstance(fmt, str):
        raise _field_error(where, "format", "a string", fmt)
    if fmt not in (VOTES_FORMAT, LABELS_FORMAT):
        return meta
    for key in required:
        if key not in meta:
            raise InputError(f"{where}: weaklabel metadata has no field {key!r}")
    K = meta.get("cardinality")
    if ("cardinality" in meta or "cardinality" in required) and (not _is_int(K) or not 2 <= K <= MAX_CARDINALITY):
        raise _field_error(where, "cardinality", f"an integer from 2 to {MAX_CARDINALITY}", K)
    if meta.get("classes") is not None:
        _str_list(meta, "classes", where, length=K)
    if "id_columns" in meta:
        _str_list(meta, "id_columns", where)
    for key in ("rows", "format_version"):
        v = meta.get(key)
        if v is not None and (not _is_int(v) or v < 0):
            raise _field_error(where, key, "a non-negative integer", v)
    for key in ("input", "update"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise _field_error(where, key, "an object", meta[key])
    if fmt == VOTES_FORMAT and "lfs" in meta:
        lfs = meta["lfs"]
        if not isinstance(lfs, list) or not all(isinstance(d, dict) and isinstance(d.get("name"), str) for d in lfs):
            raise _field_error(where, "lfs", "a list of objects with a string 'name'", lfs)
        names = [d["name"] for d in lfs]
        if len(set(names)) != len(names):
            raise _field_error(where, "lfs", "LFs with distinct names", names)
        if set(names) & set(meta.get("id_columns") or []):
            raise _field_error(where, "lfs", "names that are not id columns", names)
        for d in lfs:
            if d.get("hash") is not None and not isinstance(d["hash"], str):
                raise _field_error(where, "lfs.hash", "a string", d["hash"])
            if d.get("errors") is not None and (not _is_int(d["errors"]) or d["errors"] < 0):
                raise _field_error(where, "lfs.errors", "a non-negative integer", d["errors"])
            cv = d.get("class_votes")
            if cv is not None and (not isinstance(cv, list) or (K is not None and len(cv) != K)
                                   or not all(_is_int(x) and x >= 0 for x in cv)):
                raise _field_error(where, "lfs.class_votes", f"{K or 'K'} non-negative integers", cv)
    return meta


def _encode_meta(meta: dict) -> dict[bytes, bytes]:
    return {META_KEY: json.dumps(meta, sort_keys=True).encode()}


# --------------------------------------------------------------------------- votes
def votes_schema(id_schema: pa.Schema, lf_names: Sequence[str], cardinality: int) -> pa.Schema:
    vt = pa.int8() if vote_dtype(cardinality) == np.int8 else pa.int16()
    clash = [n for n in lf_names if n in id_schema.names]
    if clash:
        raise InputError(f"LF name {clash[0]!r} is also a row-id column name; rename the LF")
    return pa.schema(list(id_schema) + [pa.field(n, vt, nullable=False) for n in lf_names])


class VotesWriter:
    """Streams vote batches into a Parquet file (used by ``apply`` and ``VoteMatrix.to_parquet``)."""

    def __init__(self, path: Path, id_schema: pa.Schema, lf_names: Sequence[str], cardinality: int):
        self.schema = votes_schema(id_schema, lf_names, cardinality)
        self.id_schema = id_schema
        self.lf_names = list(lf_names)
        self.vdt = vote_dtype(cardinality)
        self.rows = 0
        self._writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")

    def write(self, ids: pa.Table, dense: np.ndarray) -> None:
        if ids.num_rows != dense.shape[0]:
            raise ValueError("ids and votes batch lengths differ")
        arrays = []
        for field in self.id_schema:
            col = ids.column(field.name)
            if col.type != field.type:
                try:
                    col = col.cast(field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise InputError(
                        f"row-id column {field.name!r} changes type from {field.type} to {col.type} "
                        f"at row {self.rows}") from None
            arrays.append(col)
        dense = dense.astype(self.vdt, copy=False)
        for j in range(dense.shape[1]):
            arrays.append(pa.array(np.ascontiguousarray(dense[:, j])))
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += dense.shape[0]

    def close(self, metadata: dict) -> None:
        self._writer.add_key_value_metadata(_encode_meta(metadata))
        self._writer.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()


def ids_table(row_ids: pd.DataFrame | None, start: int, n: int) -> pa.Table:
    """The id columns of a batch as an Arrow table (or a ``row`` position column)."""
    if row_ids is None:
        return pa.table({"row": pa.array(np.arange(start, start + n, dtype=np.int64))})
    return pa.Table.from_pandas(row_ids.reset_index(drop=True), preserve_index=False)


def votes_metadata(vm: VoteMatrix, extra: dict | None = None) -> dict:
    meta = {
        "format": VOTES_FORMAT,
        "format_version": FORMAT_VERSION,
        "weaklabel_version": __version__,
        "cardinality": vm.cardinality,
        "classes": vm.classes,
        "id_columns": list(vm.row_ids.columns) if vm.row_ids is not None else ["row"],
        "lfs": [{"name": n} for n in vm.lf_names],
        "rows": vm.n_rows,
    }
    if extra:
        meta.update(extra)
    return meta


def write_votes(vm: VoteMatrix, path: str | Path, *, force: bool = False,
                metadata: dict | None = None, batch_rows: int = 1 << 18) -> None:
    """Write a VoteMatrix as ``votes.parquet`` atomically."""
    meta = votes_metadata(vm, metadata)
    with atomic_output(path, force) as tmp:
        id0 = ids_table(vm.row_ids.iloc[:0] if vm.row_ids is not None else None, 0, 0)
        writer = VotesWriter(tmp, id0.schema, vm.lf_names, vm.cardinality)
        try:
            for start in range(0, max(vm.n_rows, 1), batch_rows):
                stop = min(start + batch_rows, vm.n_rows)
                part = vm.take(np.arange(start, stop))
                ids = ids_table(part.row_ids, start, stop - start)
                writer.write(ids, part.to_dense())
            writer.close(meta)
        except BaseException:
            writer.abort()
            raise


def _plain_id_columns(schema: pa.Schema) -> list[str]:
    common = {"row", "id", "row_id", "item", "index", "__index_level_0__"}
    return [f.name for f in schema if f.name in common or not pa.types.is_integer(f.type)]


def votes_layout(src: TableSource, *, id_cols: Sequence[str] | None = None,
                 cardinality: int | None = None) -> tuple[list[str], list[str], int | None, list | None, dict]:
    """``(lf_names, id_columns, K, classes, metadata)`` of a votes Parquet file, folder or glob.

    Files written by weaklabel carry their LF names, id columns and cardinality in metadata.
    For plain files, id columns are ``id_cols`` (default: non-integer columns and columns named
    row/id/row_id/item), every other column is an LF, and K is ``cardinality`` (``None``: unknown,
    the largest vote + 1).
    """
    p = src.path
    if src.format not in ("parquet", "parquet-dir"):
        raise InputError(f"{p}: votes must be a Parquet file (got {src.format})")
    meta = read_metadata(p)
    schema = src.schema
    if meta is not None:
        if meta.get("part") is not None:
            raise InputError(f"{p}: is one part of a votes dataset; read its folder {p.parent} instead")
        if meta.get("format") != VOTES_FORMAT:
            raise InputError(f"{p}: is a {meta.get('format', 'unknown')!r} file, not a votes file")
        validate_metadata(meta, str(p), required=("cardinality", "lfs", "id_columns"))
        lf_names = [d["name"] for d in meta["lfs"]]
        ids = list(meta.get("id_columns") or [])
        K = int(meta["cardinality"])
        if cardinality is not None and cardinality != K:
            raise InputError(f"{p}: votes have cardinality {K} but {cardinality} was given")
        classes = meta.get("classes")
    else:
        ids = list(id_cols) if id_cols is not None else _plain_id_columns(schema)
        lf_names = [n for n in schema.names if n not in ids]
        K = cardinality
        classes = None
        meta = {}
    for name in ids + lf_names:
        if name not in schema.names:
            raise InputError(f"{p}: column {name!r} named in its metadata is missing")
    nested = src.nested_columns(ids)
    if nested:
        raise InputError(f"{p}: id column {nested[0]!r} holds lists or structs; row ids must be plain values")
    for name in lf_names:
        t = schema.field(name).type
        if not pa.types.is_integer(t):
            raise InputError(f"{p}: LF column {name!r} has type {t}; votes must be integers (-1 = abstain)")
    if not lf_names:
        raise InputError(f"{p}: has no LF vote columns (integer columns); is it a votes file from `weaklabel apply`?")
    return lf_names, ids, K, classes, meta


def read_votes(path: str | Path, *, id_cols: Sequence[str] | None = None,
               cardinality: int | None = None, batch_rows: int = 1 << 18) -> VoteMatrix:
    """Read ``votes.parquet`` (or any Parquet file of integer vote columns) into a VoteMatrix.

    See :func:`votes_layout` for how LF columns, id columns and K are found.
    """
    p = Path(path)
    src = TableSource(p)
    lf_names, ids, K, classes, meta = votes_layout(src, id_cols=id_cols, cardinality=cardinality)
    # Convert batch by batch when K is known (bounded memory); plain files without a
    # cardinality need the maximum vote first, so they are held dense until the end.
    dense_parts, csr_parts, id_parts = [], [], []
    pos = 0
    for df in src.iter_batches(batch_rows, ids + lf_names):
        block = df[lf_names]
        missing = block.isna().to_numpy()
        if missing.any():
            r, c = np.argwhere(missing)[0]
            raise InputError(f"{p}: LF column {lf_names[c]!r} has a missing value at row {pos + r}; "
                             "abstains must be -1")
        arr = block.to_numpy()  # native integer dtype; range is checked before narrowing
        if K is None:
            dense_parts.append(arr)
        else:
            csr_parts.append(dense_to_csr(arr, K, lf_names, where=f"{p} (rows from {pos})"))
        if ids:
            id_parts.append(df[ids])
        pos += len(df)
    if K is None:
        dense = np.concatenate(dense_parts) if dense_parts else np.zeros((0, len(lf_names)), np.int64)
        K = max(2, int(dense.max()) + 1) if dense.size else 2
        csr_parts = [dense_to_csr(dense, K, lf_names, where=str(p))]
    indptr, indices, votes = concat_csr(csr_parts, K)
    row_ids = None
    if ids and ids != ["row"]:
        row_ids = pd.concat(id_parts, ignore_index=True) if id_parts else pd.DataFrame(columns=ids)
    return VoteMatrix(indptr, indices, votes, lf_names, cardinality=K, row_ids=row_ids,
                      classes=classes, metadata=meta, validate=False)


# --------------------------------------------------------------------------- row ranges, datasets
def row_group_starts(md: pq.FileMetaData) -> np.ndarray:
    """First row of each row group of a Parquet file, plus the row count at the end."""
    sizes = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)


def read_rows(pf: pq.ParquetFile, start: int, stop: int, columns: Sequence[str] | None = None,
              starts: np.ndarray | None = None) -> pa.Table:
    """Rows ``start:stop`` of a Parquet file, reading only the row groups that hold them."""
    starts = row_group_starts(pf.metadata) if starts is None else starts
    stop = min(stop, int(starts[-1]))
    if stop <= start:
        return pf.schema_arrow.empty_table() if columns is None else \
            pa.schema([pf.schema_arrow.field(c) for c in columns]).empty_table()
    first = int(np.searchsorted(starts, start, side="right")) - 1
    last = int(np.searchsorted(starts, stop, side="left"))
    table = pf.read_row_groups(list(range(first, last)), columns=list(columns) if columns is not None else None)
    return table.slice(start - int(starts[first]), stop - start)


class VotesDataset:
    """Random access by row range to ``votes.parquet`` or a votes dataset folder.

    Used by ``apply --update`` to copy the columns of unchanged LFs; it reads only the row groups a
    range needs, so memory stays bounded whatever the size of the file. Picklable (open files are
    not carried), so Dask workers can read their partition's rows of the old votes themselves.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta = read_metadata(self.path)
        self.files = [str(f) for f in parquet_files(self.path)]
        self._starts: list[np.ndarray] = []
        for f in self.files:
            try:
                self._starts.append(row_group_starts(pq.read_metadata(f)))
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"{f}: not a readable Parquet file ({_first_line(exc)})") from None
        self.offsets = np.concatenate([[0], np.cumsum([int(s[-1]) for s in self._starts])]).astype(np.int64)
        self.n_rows = int(self.offsets[-1])
        self.schema = pq.read_schema(self.files[0])
        self._open: dict[int, pq.ParquetFile] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_open"] = {}
        return state

    def _file(self, i: int) -> pq.ParquetFile:
        pf = self._open.get(i)
        if pf is None:
            if len(self._open) >= 4:
                self.close()
            pf = self._open[i] = open_parquet(self.files[i])
        return pf

    def read(self, start: int, stop: int, columns: Sequence[str]) -> pa.Table:
        """Rows ``start:stop`` (global positions) of ``columns`` as one Arrow table."""
        parts = []
        first = max(0, int(np.searchsorted(self.offsets, start, side="right")) - 1)
        for i in range(first, len(self.files)):
            off = int(self.offsets[i])
            if off >= stop:
                break
            a, b = max(start, off) - off, min(stop, int(self.offsets[i + 1])) - off
            if b > a:
                parts.append(read_rows(self._file(i), a, b, columns, self._starts[i]))
        if not parts:
            return pa.schema([self.schema.field(c) for c in columns]).empty_table()
        return pa.concat_tables(parts) if len(parts) > 1 else parts[0]

    def close(self) -> None:
        for pf in self._open.values():
            with contextlib.suppress(Exception):
                pf.close()
        self._open.clear()


def part_name(index: int, n_parts: int) -> str:
    """``part.00000.parquet``: zero-padded so that plain and natural sorting agree."""
    width = max(5, len(str(max(n_parts - 1, 0))))
    return f"part.{index:0{width}d}.parquet"


def write_dataset_metadata(folder: Path, schema: pa.Schema, meta: dict) -> None:
    """The ``_common_metadata`` file of a votes dataset: its schema and ``weaklabel`` metadata."""
    pq.write_metadata(schema.with_metadata(_encode_meta(meta)), str(folder / COMMON_METADATA))


# --------------------------------------------------------------------------- labels
def labels_table(ids: pa.Table, proba: np.ndarray, label: np.ndarray,
                 classes: Sequence[str] | None = None) -> pa.Table:
    """The columns of labels.parquet for a block of rows: ids, ``prob_k`` (float32, rows sum to 1),
    ``label``, ``confidence``, and with known class names ``label_name`` (null where ``label`` is
    -1): a downstream trainer reads the class without a lookup."""
    n, K = proba.shape
    p32 = proba.astype(np.float32)
    p32 /= p32.sum(axis=1, keepdims=True)
    cols = {name: ids.column(name) for name in ids.column_names}
    for k in range(K):
        cols[f"prob_{k}"] = pa.array(p32[:, k])
    cols["label"] = pa.array(label.astype(vote_dtype(K)))
    cols["confidence"] = pa.array(p32.max(axis=1) if n else np.zeros(0, np.float32))
    if classes is not None:
        names = pa.array(list(classes), pa.string())
        idx = pa.array(np.asarray(label, dtype=np.int64), mask=np.asarray(label) < 0)
        cols["label_name"] = names.take(idx)
    return pa.table(cols)


def labels_metadata(K: int, classes: Sequence[str] | None, id_columns: Sequence[str], rows: int,
                    extra: dict | None = None) -> dict:
    meta = {"format": LABELS_FORMAT, "format_version": FORMAT_VERSION,
            "weaklabel_version": __version__, "cardinality": K,
            "classes": list(classes) if classes is not None else None,
            "id_columns": list(id_columns), "rows": rows}
    meta.update(extra or {})
    return meta


def write_labels(path: str | Path, proba: np.ndarray, label: np.ndarray, *,
                 row_ids: pd.DataFrame | None = None, classes: Sequence[str] | None = None,
                 metadata: dict | None = None, force: bool = False, extra_cols: pa.Table | None = None,
                 keep: np.ndarray | None = None) -> None:
    """Write ``labels.parquet`` atomically: ids, ``prob_k`` (float32), ``label``, ``confidence``
    (+ ``label_name``). ``extra_cols``: columns appended after them (one row per row of ``proba``);
    ``keep``: a boolean mask of the rows to write (e.g. only the labelled ones)."""
    n, K = proba.shape
    ids = ids_table(row_ids, 0, n)
    table = labels_table(ids, proba, label, classes)
    if extra_cols is not None:
        for name in extra_cols.column_names:
            table = table.append_column(name, extra_cols.column(name))
    if keep is not None:
        table = table.filter(pa.array(np.asarray(keep, dtype=bool)))
    meta = labels_metadata(K, classes, ids.column_names, table.num_rows, metadata)
    table = table.replace_schema_metadata(_encode_meta(meta))
    with atomic_output(path, force, replace_dataset=True, dataset_formats=(LABELS_FORMAT,)) as tmp:
        pq.write_table(table, str(tmp), compression="zstd")


class LabelsWriter:
    """Streams blocks of labels into one Parquet file (bounded memory); the ``weaklabel``
    metadata is added when it is closed. ``path`` is the temporary file of an :func:`atomic_output`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.rows = 0
        self.schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.schema = table.schema
            self._writer = pq.ParquetWriter(str(self.path), self.schema, compression="zstd")
        elif table.schema != self.schema:
            try:
                table = table.cast(self.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
                raise InputError(f"row-id columns change type at row {self.rows}: {table.schema} "
                                 f"vs {self.schema}") from None
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self, metadata: dict, empty: pa.Table) -> None:
        """Finish the file (``empty``: a 0-row table giving the schema when nothing was written)."""
        if self._writer is None:
            self.schema = empty.schema
            self._writer = pq.ParquetWriter(str(self.path), self.schema, compression="zstd")
        self._writer.add_key_value_metadata(_encode_meta(metadata))
        self._writer.close()
        self._writer = None

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
            self._writer = None
