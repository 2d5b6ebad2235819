"""The ``weaklabel`` metadata of votes and labels Parquet files: format names, reading, schema check.

Both formats carry JSON under the Parquet footer key-value metadata key ``weaklabel`` (read it
with :func:`read_metadata`, ``pyarrow.parquet.read_metadata(path).metadata[b"weaklabel"]`` or
DuckDB's ``parquet_kv_metadata``); a dataset folder carries it in its ``_common_metadata`` file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..dtypes import MAX_CARDINALITY
from ..errors import InputError, first_line

META_KEY = b"weaklabel"
VOTES_FORMAT = "weaklabel.votes"
LABELS_FORMAT = "weaklabel.labels"
FORMAT_VERSION = 1
COMMON_METADATA = "_common_metadata"


def read_metadata(path: str | Path) -> dict | None:
    """The ``weaklabel`` JSON metadata of a Parquet file, or ``None`` if it has none.

    For a folder (a votes dataset) it is read from the folder's ``_common_metadata`` file. A glob
    (``'votes/part-*.parquet'``) of plain Parquet files has none; of files weaklabel wrote, each
    carries its own (a dataset's parts, or separate votes files with their own row counts), which
    no one metadata stands for: an error saying to give the folder or one file. (The pattern was
    opened as a file name: every command that reads votes refused a glob the README offers.)
    """
    p = Path(path)
    from .tables import is_glob

    if is_glob(p):
        return _glob_metadata(p)
    if p.is_dir():
        p = p / COMMON_METADATA
        if not p.is_file():
            return None
    try:
        kv = pq.read_metadata(p).metadata or {}
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{p}: not a readable Parquet file ({first_line(exc)})") from None
    return metadata_from_footer(kv, p)


def _glob_metadata(pattern: Path) -> None:
    from .tables import parquet_files

    for f in parquet_files(pattern):
        try:
            kv = pq.read_metadata(f).metadata or {}
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{f}: not a readable Parquet file ({first_line(exc)})") from None
        if META_KEY in kv:
            raise InputError(f"{pattern}: matches {f}, a file weaklabel wrote, whose metadata (LF names, "
                             "classes, row counts) holds for itself only; give one such file, or the folder of a "
                             "votes dataset (apply --engine dask), not a glob")
    return None


def metadata_from_footer(kv: dict | None, where) -> dict | None:
    """The ``weaklabel`` metadata in a Parquet footer's key-value pairs (``ParquetFile.metadata
    .metadata``, already read), checked; ``None`` if it has none."""
    raw = (kv or {}).get(META_KEY)
    if raw is None:
        return None
    from ..jsonsafe import loads_strict

    meta = loads_strict(raw, f"{where}: the weaklabel metadata", error=InputError)
    validate_metadata(meta, str(where))
    return meta


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
    if meta.get("row_is_id") is not None and not isinstance(meta["row_is_id"], bool):
        raise _field_error(where, "row_is_id", "true or false", meta["row_is_id"])
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


def encode_metadata(meta: dict) -> dict[bytes, bytes]:
    return {META_KEY: json.dumps(meta, sort_keys=True).encode()}
