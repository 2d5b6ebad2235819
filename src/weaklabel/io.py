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
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .errors import InputError
from .votes import VoteMatrix, concat_csr, dense_to_csr, vote_dtype

META_KEY = b"weaklabel"
VOTES_FORMAT = "weaklabel.votes"
LABELS_FORMAT = "weaklabel.labels"
FORMAT_VERSION = 1

PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
CSV_SUFFIXES = {".csv", ".tsv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


# --------------------------------------------------------------------------- atomic writes
def check_output(path: str | Path, force: bool) -> Path:
    """Fail early (before any work) if ``path`` exists and ``force`` is not set."""
    p = Path(path)
    if p.exists() and not force:
        raise InputError(f"{p}: already exists; pass --force to overwrite it")
    if p.exists() and p.is_dir():
        raise InputError(f"{p}: is a directory")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"{p}: folder {parent} does not exist")
    return p


@contextlib.contextmanager
def atomic_output(path: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only if the block succeeds."""
    p = check_output(path, force)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_json_atomic(obj: dict, path: str | Path, force: bool = False) -> None:
    with atomic_output(path, force) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


# --------------------------------------------------------------------------- reading tables
def _format_of(p: Path) -> str:
    if p.is_dir():
        return "parquet-dir"
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    raise InputError(f"{p}: unknown file type {suffix!r}; use .parquet, .csv, .tsv or .jsonl")


class TableSource:
    """A Parquet file or folder, CSV or JSON Lines file read in bounded-memory batches."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: no such file")
        self.format = _format_of(self.path)
        self._pf = None
        self._dataset = None
        try:
            if self.format == "parquet":
                self._pf = pq.ParquetFile(self.path)
                self.columns = list(self._pf.schema_arrow.names)
                self.n_rows: int | None = self._pf.metadata.num_rows
            elif self.format == "parquet-dir":
                import pyarrow.dataset as ds

                self._dataset = ds.dataset(self.path, format="parquet")
                self.columns = list(self._dataset.schema.names)
                self.n_rows = self._dataset.count_rows()
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
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise InputError(f"{self.path}: not a readable Parquet file ({_first_line(exc)})") from None
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            kind = "CSV" if self.format == "csv" else "JSON Lines"
            raise InputError(f"{self.path}: not a readable {kind} file ({_first_line(exc)})") from None

    def fingerprint(self) -> dict:
        return file_fingerprint(self.path)

    def iter_batches(self, batch_size: int, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """Yield pandas DataFrames of at most ``batch_size`` rows, in file order."""
        cols = list(columns) if columns is not None else None
        try:
            if self.format == "parquet":
                for rb in self._pf.iter_batches(batch_size=batch_size, columns=cols):
                    yield rb.to_pandas()
            elif self.format == "parquet-dir":
                for rb in self._dataset.to_batches(columns=cols, batch_size=batch_size):
                    if rb.num_rows:
                        yield rb.to_pandas()
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


# --------------------------------------------------------------------------- metadata
def read_metadata(path: str | Path) -> dict | None:
    """The ``weaklabel`` JSON metadata of a Parquet file, or ``None`` if it has none."""
    p = Path(path)
    try:
        kv = pq.read_metadata(p).metadata or {}
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{p}: not a readable Parquet file ({_first_line(exc)})") from None
    raw = kv.get(META_KEY)
    if raw is None:
        return None
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise InputError(f"{p}: the weaklabel metadata is not valid JSON") from None
    if not isinstance(meta, dict):
        raise InputError(f"{p}: the weaklabel metadata is not a JSON object")
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


def read_votes(path: str | Path, *, id_cols: Sequence[str] | None = None,
               cardinality: int | None = None, batch_rows: int = 1 << 18) -> VoteMatrix:
    """Read ``votes.parquet`` (or any Parquet file of integer vote columns) into a VoteMatrix.

    Files written by weaklabel carry their LF names, id columns and cardinality in metadata.
    For plain files, id columns are ``id_cols`` (default: non-integer columns and columns named
    row/id/row_id/item), every other column is an LF, and K defaults to ``max vote + 1``.
    """
    p = Path(path)
    src = TableSource(p)
    if src.format not in ("parquet", "parquet-dir"):
        raise InputError(f"{p}: votes must be a Parquet file (got {src.format})")
    meta = read_metadata(p) if src.format == "parquet" else None
    schema = src._pf.schema_arrow if src._pf is not None else src._dataset.schema
    if meta is not None:
        if meta.get("format") != VOTES_FORMAT:
            raise InputError(f"{p}: is a {meta.get('format', 'unknown')!r} file, not a votes file")
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
    for name in lf_names:
        t = schema.field(name).type
        if not pa.types.is_integer(t):
            raise InputError(f"{p}: LF column {name!r} has type {t}; votes must be integers (-1 = abstain)")
    if not lf_names:
        raise InputError(f"{p}: has no LF vote columns (integer columns); is it a votes file from `weaklabel apply`?")
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


# --------------------------------------------------------------------------- labels
def write_labels(path: str | Path, proba: np.ndarray, label: np.ndarray, *,
                 row_ids: pd.DataFrame | None = None, classes: Sequence[str] | None = None,
                 metadata: dict | None = None, force: bool = False) -> None:
    """Write ``labels.parquet`` atomically: ids, ``prob_k`` (float32), ``label``, ``confidence``."""
    n, K = proba.shape
    p32 = proba.astype(np.float32)
    p32 /= p32.sum(axis=1, keepdims=True)
    ids = ids_table(row_ids, 0, n)
    cols = {name: ids.column(name) for name in ids.column_names}
    for k in range(K):
        cols[f"prob_{k}"] = pa.array(p32[:, k])
    cols["label"] = pa.array(label.astype(vote_dtype(K)))
    cols["confidence"] = pa.array(p32.max(axis=1) if n else np.zeros(0, np.float32))
    table = pa.table(cols)
    meta = {"format": LABELS_FORMAT, "format_version": FORMAT_VERSION,
            "weaklabel_version": __version__, "cardinality": K,
            "classes": list(classes) if classes is not None else None,
            "id_columns": list(ids.column_names), "rows": n}
    meta.update(metadata or {})
    table = table.replace_schema_metadata(_encode_meta(meta))
    with atomic_output(path, force) as tmp:
        pq.write_table(table, str(tmp), compression="zstd")
