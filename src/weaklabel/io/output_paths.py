"""Output paths weaklabel refuses, for every command and API: checked early by
:func:`~weaklabel.io.atomic.check_output` (before any work, even with ``--force``) and again by
:func:`~weaklabel.io.atomic.atomic_output` before it renames anything into place.

Outputs are written to a temporary and renamed into place, so an output that is a device, a FIFO,
a socket or a link into ``/proc`` (``/dev/stdout``) was *replaced* by a regular file:
``-o /dev/null --force`` replaced the machine's null device (:func:`check_special_output`). A name
the file system holds but whose longer temporary it cannot failed after the whole run
(:func:`check_name_length`). Names of another format (:func:`check_parquet_name`,
:func:`check_json_name`), compressed names included (:func:`check_compressed_name`:
``labels.parquet.gz`` was a Parquet file under a gzip name), are refused by the commands that
write Parquet or JSON. An output that is a symbolic link is written through to its final target
(:func:`output_target`), and these checks hold for that target too. Nothing here imports another
weaklabel module but ``errors``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError

#: Suffixes of formats other than Parquet: an output named so would be a Parquet file under a
#: misleading name (a spreadsheet or ``pandas.read_csv`` then reads bytes), so it is refused.
NOT_PARQUET_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".xlsx", ".xls",
                                  ".feather", ".arrow", ".pkl", ".pickle", ".h5", ".hdf5", ".html", ".npy",
                                  ".npz"})

#: suffixes of compressed files: ``-o labels.csv.gz`` wrote a Parquet file under that name
COMPRESSED_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst", ".zip", ".lz4", ".z"})

#: bytes the hidden temporary an output is written to (``.NAME.wl<host>-<pid>.old-XXXXXXXX.tmp``,
#: :mod:`weaklabel.io.atomic`) adds to its name, with room to spare
TEMP_NAME_BYTES = 40


def _uncompressed(p: Path) -> Path | None:
    """``labels.parquet`` of ``labels.parquet.gz`` (``None`` when ``p`` is not named compressed)."""
    return p.with_name(p.stem) if p.suffix.lower() in COMPRESSED_SUFFIXES else None


def output_target(path: str | Path) -> Path:
    """Where an output named ``path`` is written: ``path`` itself, or, when it is a symbolic link (a
    chain of them, relative or absolute, dangling or not), the file it finally points to, as the
    shell's ``>`` and ``cp`` write through a link. An output is a temporary renamed into place, so
    renamed onto the link's own name it *replaced the link* with a regular file (``-o latest.parquet
    --force``, a link into a results folder: the link gone, the file it pointed to left as it was).
    The temporary is made beside the target, on its file system, and renamed onto it there. A loop
    of links is an error. Links into ``/proc`` are refused before this (:func:`refuse_special`)."""
    p = Path(path)
    if not os.path.islink(p):
        return p
    target = Path(os.path.realpath(p))
    if os.path.islink(target):   # realpath stops, without an error, where the links go round
        raise InputError(f"{p}: is a symbolic link that never reaches a file (the links loop at {target}); "
                         "give a file path")
    return target


def shown(path: str | Path, target: Path) -> str:
    """``path`` for a message, with its link target when it is a link (:func:`output_target`)."""
    return str(path) if str(target) == str(path) else f"{path} (a link to {target})"


def _and_target(path: str | Path) -> list[tuple[Path, str]]:
    """``[(name, shown)]`` to check an output name by: ``path``, and its final target if it is a
    link (a loop, a device and a link into ``/proc`` are left to :func:`refuse_special` and
    :func:`output_target`, which the writers call: ``/proc/self/fd/1`` leads to names such as
    ``pipe:[123]``)."""
    p = Path(path)
    try:
        t = output_target(p) if special_kind(p) is None else p
    except InputError:
        t = p
    return [(p, str(p))] + ([(t, shown(p, t))] if t != p else [])


def check_compressed_name(path: str | Path, what: str = "labels") -> None:
    """Refuse an output named like a compressed file (``labels.csv.gz``, ``labels.parquet.gz``):
    weaklabel writes ``what`` as Parquet, compressed inside the file, so a Parquet file was
    written under the name, which ``pandas.read_csv`` or ``gunzip`` then fail on."""
    for p, where in _and_target(path):
        inner = _uncompressed(p)
        if inner is None:
            continue
        name = (inner.stem if inner.suffix else inner.name) + ".parquet"
        raise InputError(f"{where}: weaklabel writes {what} as Parquet (compressed inside the file), not "
                         f"{''.join(p.suffixes[-2:]) if inner.suffix else p.suffix}: name the output {name}")


def check_uncompressed_name(path: str | Path) -> None:
    """Refuse any output named like a compressed file (``votes.parquet.gz``, ``model.json.zst``):
    nothing weaklabel writes is compressed as a whole (Parquet is compressed inside the file), so
    the name would make ``gunzip`` and every reader going by it fail. The commands that know the
    format say more (:func:`check_compressed_name`, :func:`check_json_name`); this is the check
    :func:`~weaklabel.io.atomic.check_output` makes for the others (``write_votes``)."""
    for p, where in _and_target(path):
        inner = _uncompressed(p)
        if inner is None:
            continue
        raise InputError(f"{where}: weaklabel writes its outputs uncompressed by name (Parquet compresses inside "
                         f"the file), not {''.join(p.suffixes[-2:]) if inner.suffix else p.suffix}: name it "
                         f"{inner.name}")


def check_parquet_name(path: str | Path, what: str) -> None:
    """Refuse an output named like another format (``labels.csv``) or a compressed file
    (``votes.parquet.gz``): weaklabel writes ``what`` as Parquet, whose footer keeps the metadata
    ``evaluate``, ``report`` and ``predict`` read, so a CSV would lose it. The message says how
    to get a CSV from the Parquet file."""
    check_compressed_name(path, what)
    for p, where in _and_target(path):
        suffix = p.suffix.lower()
        if suffix not in NOT_PARQUET_SUFFIXES:
            continue
        target = p.with_suffix(".parquet").name
        hint = (f"; for a CSV, convert it afterwards: python -c \"import pandas as pd; "
                f"pd.read_parquet('{target}').to_csv('{p.name}', index=False)\"" if suffix == ".csv" else "")
        raise InputError(f"{where}: weaklabel writes {what} as Parquet, not {suffix}: name the output "
                         f"{target}{hint}")


def check_json_name(path: str | Path, what: str) -> None:
    """Refuse a model output not named ``*.json`` (``model.parquet``, ``model.json.gz``): weaklabel
    writes ``what`` as plain JSON, and a JSON file under another format's name misleads every
    reader of it."""
    for p, where in _and_target(path):
        if p.suffix.lower() == ".json":
            continue
        inner = _uncompressed(p)
        if inner is not None and inner.suffix.lower() == ".json":   # model.json.gz: name it model.json
            raise InputError(f"{where}: weaklabel writes {what} as plain JSON, not {''.join(p.suffixes[-2:])}: "
                             f"name it {inner.name}")
        found = f"not {p.suffix}" if p.suffix else "and the name has no .json suffix"
        raise InputError(f"{where}: weaklabel writes {what} as JSON, {found}: name it {p.with_suffix('.json').name}")


def check_name_length(path: str | Path) -> None:
    """An output name the file system cannot hold, or whose temporary it cannot: an ``OSError``
    traceback ("File name too long") before, or an error after the whole run."""
    name = os.fsencode(Path(path).name)
    try:
        limit = os.pathconf(str(Path(path).parent), "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if limit <= TEMP_NAME_BYTES:   # -1: no definite limit; 0: a file system (FUSE, network) that leaves it unset
        limit = 255
    if len(name) + TEMP_NAME_BYTES > limit:
        raise InputError(f"{path}: file name too long ({len(name)} bytes; an output is written through a "
                         f"temporary named after it, so at most {limit - TEMP_NAME_BYTES} here): choose a shorter name")


def special_kind(path: str | Path) -> str | None:
    """What ``path`` is when it is no place for an output: a device, FIFO or socket (after links),
    or a link into ``/proc`` (``/dev/stdout``); ``None`` for a regular file, a folder or a new name."""
    p = str(path)
    try:
        mode = os.stat(p).st_mode
    except (OSError, ValueError):   # missing (or a dangling link): an ordinary new output
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return ("a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
                else "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    if _through_proc(p):
        return "a link to a process's file descriptor"
    return None


def refuse_special(path: str | Path) -> None:
    """:func:`special_kind` as a one-line error (the check :func:`atomic_output` repeats before a rename)."""
    kind = special_kind(path)
    if kind:
        raise InputError(f"{path}: is {kind}; weaklabel writes its outputs as files renamed into place (none "
                         "is streamed to a pipe or device), so it would be replaced: give a file path")


def check_special_output(path: str | Path) -> None:
    """Refuse an output path that is a device, FIFO or socket, or a link into ``/proc`` (``/dev/stdout``,
    ``/dev/fd/1``), or whose name is too long for its temporary: outputs are renamed into place, so
    ``-o /dev/null --force`` replaced the null device with a regular file (and ``-o /dev/stdout``
    the link), exit 0."""
    check_name_length(path)
    refuse_special(path)


def check_model_outside_labels(output, save_model) -> None:
    """``--save-model`` inside the labels output (``-o labels_dask --save-model labels_dask/m.json``):
    the labels folder is replaced as a whole when both are renamed into place, so the model's
    temporary, made in the old folder, was gone: a ``FileNotFoundError`` traceback, and the
    temporary left in the labels folder."""
    if save_model is None:
        return
    out = Path(os.path.realpath(os.path.abspath(str(output))))
    if out in Path(os.path.realpath(os.path.abspath(str(save_model)))).parents:
        raise InputError(f"{save_model}: is inside {output}, the labels output, which is replaced as a whole; "
                         "write the model file outside it (--save-model)")


def _through_proc(path: str) -> bool:
    """Whether ``path`` or a link on its way is in ``/proc`` (``/dev/stdout`` -> ``/proc/self/fd/1``);
    followed hop by hop, as ``realpath`` resolves ``/proc/self/fd/1`` itself to the open file."""
    p = path
    for _ in range(40):
        a = os.path.abspath(p)
        if os.path.realpath(os.path.dirname(a)).startswith("/proc/"):
            return True
        if not os.path.islink(a):
            return False
        p = os.path.join(os.path.dirname(a), os.readlink(a))
    return False
