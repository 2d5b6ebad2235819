"""Input tables: Parquet (a file, a folder or a glob), CSV/TSV and JSON Lines, read in batches of
bounded size (:class:`TableSource`), whole (:func:`read_table`), and fingerprinted so that
``apply --update`` can tell that its input did not change."""

from __future__ import annotations

import glob as _glob
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError, check_regular, first_line
from .csv_ids import csv_read_options, csv_scan, same_kinds
from .frames import index_columns_back, numbers_as_text  # noqa: F401 (numbers_as_text: old home)
from .fingerprint import file_fingerprint, files_fingerprint, input_match, same_input  # noqa: F401 (old home)
from .id_types import (check_id_types, check_json_float_ids, dataset_id_types, ids_to_pandas,  # noqa: F401
                       pandas_ids, same_id_types)
from .json_lines import JSON_AS_WRITTEN, conform, id_arrow_types, scan_json_lines

PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
CSV_SUFFIXES = {".csv", ".tsv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


_GLOB_CHARS = frozenset("*?[")


def is_glob(path: str | Path) -> bool:
    """A path that does not exist but contains glob characters (``data/part-*.parquet``)."""
    return not Path(path).exists() and any(c in _GLOB_CHARS for c in str(path))


def _natural_key(text: str) -> list:
    """Sort key where digit runs compare as numbers: ``part.2`` < ``part.10`` (as Dask does)."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


def parquet_files(path: str | Path) -> list[Path]:
    """The files of a Parquet dataset in row order: one file, a folder (searched recursively; names
    starting with ``_`` or ``.`` are skipped, as pyarrow and Dask do; a Delta Lake table is refused)
    or a glob pattern. Files are
    ordered by path with numbers compared numerically, so ``part.10`` follows ``part.9``."""
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        if (p / "_delta_log").is_dir():   # its folder also keeps the files older versions removed: rows read twice
            raise InputError(f"{p}: is a Delta Lake table (it has a _delta_log folder), whose folder also keeps the "
                             "files of older versions; write its current version as Parquet and read that (e.g. "
                             "deltalake.DeltaTable(path).to_pandas().to_parquet(out))")
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
        self._id_dtypes: dict = {}
        self._as_written: set | None = None     # CSV text columns read as written (csv_scan), once
        self._json = None                        # a JSON Lines file's keys (json_lines.scan_json_lines)
        self._fingerprint: dict | None = None
        self._file_schemas: list[pa.Schema] = []
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
                    self._file_schemas.append(schema)
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
                # pandas renames a repeated header name ("text", "text" -> "text", "text.1"):
                # the check below must see the names as written
                raw = pd.read_csv(self.path, sep=sep, nrows=1, header=None, dtype=str, keep_default_na=False)
                if len(raw):
                    names = [c for c in raw.iloc[0].tolist() if c.strip()]
                    dup = sorted({c for c in names if names.count(c) > 1})
                    if dup:
                        raise InputError(f"{self.path}: column name {dup[0]!r} appears more than once in the "
                                         "header; column names must be unique")
                self.n_rows = None
            else:   # the union of the records' keys and their count (json_lines.py): one pass over the file
                self._json = scan_json_lines(self.path)
                self.columns = list(self._json.columns)
                self.n_rows = self._json.rows   # the rows the batches hold (None: lines that are not objects)
        except InputError:
            raise
        except PermissionError:
            raise InputError(f"{current}: permission denied (not readable)") from None
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise InputError(f"{current}: not a readable Parquet file ({first_line(exc)})") from None
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            kind = "CSV" if self.format == "csv" else "JSON Lines"
            raise InputError(f"{self.path}: not a readable {kind} file ({first_line(exc)})") from None

        dup = sorted({c for c in self.columns if self.columns.count(c) > 1}, key=str)
        if dup:
            raise InputError(f"{self.path}: column name {dup[0]!r} appears more than once; column names must be unique")

    def footer_metadata(self) -> dict | None:
        """The ``weaklabel`` metadata of a single Parquet file, from the footer this source already
        read (``None`` for other formats and for a file without it; a folder keeps it in
        ``_common_metadata``: :func:`~weaklabel.io.read_metadata`)."""
        from .metadata import metadata_from_footer

        return metadata_from_footer(self._pf.metadata.metadata, self.path) if self._pf is not None else None

    def nested_columns(self, names: Sequence[str]) -> list[str]:
        """Which of ``names`` hold lists, structs or maps (unusable as row ids)."""
        if self.schema is None:
            return []
        nested = (pa.types.is_list, pa.types.is_large_list, pa.types.is_struct, pa.types.is_map,
                  pa.types.is_fixed_size_list)
        return [n for n in names if n in self.schema.names
                and any(f(self.schema.field(n).type) for f in nested)]

    def check_id_types(self, id_cols: Sequence[str]) -> None:
        """A Parquet dataset's files give the id columns types of one kind (:func:`~.id_types.check_id_types`)."""
        check_id_types(self.files, self._file_schemas, id_cols)

    def id_schema(self, id_cols: Sequence[str]) -> pa.Schema:
        """A Parquet input's id columns, one type for every file (:func:`~.id_types.dataset_id_types`)."""
        wide = dataset_id_types(self._file_schemas, id_cols)
        return pa.schema([pa.field(c, wide[c]) if c in wide else self.schema.field(c) for c in id_cols])

    def id_dtypes(self, id_cols: Sequence[str] | None) -> dict:
        """How a CSV's id columns ``id_cols`` are read (:func:`csv_id_dtypes`: as text when their
        inferred type would change an id's text, else that type); ``{}`` for other formats, whose
        ids have their own types. Columns the table lacks are left out; decided once per column."""
        if self.format != "csv" or not id_cols:
            return {}
        cols = [c for c in dict.fromkeys(id_cols) if c in self.columns]
        self._scan(cols, False)
        return {c: self._id_dtypes[c] for c in cols if self._id_dtypes[c] is not None}

    def _scan(self, id_cols: Sequence[str], text: bool) -> None:
        """Decide in one pass over the CSV (:func:`csv_scan`) the types of id columns not decided yet
        and, with ``text``, which text columns are read as written."""
        todo = [c for c in id_cols if c not in self._id_dtypes]
        text = text and self._as_written is None
        if todo or text:
            others = [c for c in self.columns if c not in self._id_dtypes] if text else ()
            found, written = csv_scan(self.path, self._sep, todo, others)
            self._id_dtypes.update({c: found.get(c) for c in todo})
            if text:
                self._as_written = written

    def _csv_options(self, cols: Sequence[str] | None, id_cols: Sequence[str] | None, text: bool) -> dict:
        """``read_csv`` arguments for the columns ``cols`` (None: all): id columns with the types
        :meth:`id_dtypes` gives and every text as written (``NA`` is an id, not a missing one);
        with ``text`` (``apply``'s LFs), the text columns holding NA markers too, as text."""
        ids = [c for c in dict.fromkeys(id_cols or ()) if c in self.columns]
        self._scan(ids, text)
        written = set(ids) | (self._as_written if text else set())
        dtype = {**{c: str for c in written - set(ids)}, **self.id_dtypes(ids)}
        dtype = {c: t for c, t in dtype.items() if cols is None or c in cols}
        return {"dtype": dtype or None, **csv_read_options(self.columns, written)}

    def reading(self, id_cols: Sequence[str] | None = None) -> dict:
        """How this input's values reach the LFs, where it differs from earlier versions' reading:
        ``{"na_text_columns": [...]}`` for a CSV whose text columns keep NA markers as text (they were
        missing values), ``{"json_optional_keys": [...]}`` for a JSON Lines file's keys read with one
        type in every batch (:mod:`.json_lines`; they were read batch by batch), else
        ``{}``. Recorded beside the fingerprint: votes made with the other reading of the same bytes
        are not reused by ``--update``."""
        if self.format == "jsonl":
            return {"json_optional_keys": sorted(map(str, self._json.optional))} if self._json.optional else {}
        if self.format != "csv":
            return {}
        self._scan([c for c in dict.fromkeys(id_cols or ()) if c in self.columns], True)
        return {"na_text_columns": sorted(self._as_written)} if self._as_written else {}

    def fingerprint(self) -> dict:
        """The input's fingerprint (:mod:`.fingerprint`), computed on the first call and kept. ``apply``
        does not use it: it hashes its input on a background thread beside the LFs and refuses an input
        changed meanwhile (:class:`weaklabel.apply.input_hash.InputHash`)."""
        if self._fingerprint is None:
            if self.format == "parquet-dir" and is_glob(self.path):
                self._fingerprint = files_fingerprint(str(self.path), self.files)
            else:
                self._fingerprint = file_fingerprint(self.path)
        return self._fingerprint

    def iter_batches_with_ids(self, batch_size: int, columns: Sequence[str] | None, id_cols: Sequence[str],
                              text_as_written: bool = False) -> Iterator[tuple[pd.DataFrame, pa.Table]]:
        """As :meth:`iter_batches`, with each batch's ``id_cols`` as an Arrow table. Parquet ids
        keep the file's Arrow type exactly (taken from the record batch, not through pandas, where
        nullable or > 2**53 int64 ids would pass through float64); CSV / JSON Lines ids are
        converted from pandas (:func:`pandas_ids`), CSV ids read as :meth:`id_dtypes` says. Every
        batch's ids have the first one's types (:func:`same_id_types`: one line naming the file
        and the column where they cannot)."""
        cols = list(columns) if columns is not None else None
        ids = list(id_cols)
        self.check_id_types(ids)
        null_types = (lambda names: id_arrow_types(self.path, self._json, names)) if self.format == "jsonl" else None
        yield from same_id_types(self._with_ids(batch_size, cols, ids, text_as_written), self.path, null_types,
                                 dataset_id_types(self._file_schemas, ids))

    def _with_ids(self, batch_size: int, cols: list[str] | None, ids: list[str],
                  text_as_written: bool) -> Iterator[tuple[pd.DataFrame, pa.Table]]:
        if self.format in ("parquet", "parquet-dir"):
            files = [self.path] if self.format == "parquet" else self.files
            try:
                for f in files:
                    pf = self._pf if self.format == "parquet" else open_parquet(f)
                    try:
                        for rb in pf.iter_batches(batch_size=batch_size, columns=cols, use_threads=False):
                            if rb.num_rows or self.format == "parquet":
                                yield rb.to_pandas(use_threads=False), pa.Table.from_batches([rb]).select(ids)
                    finally:
                        if pf is not self._pf:
                            pf.close()
            except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
                raise InputError(f"{self.path}: read failed ({first_line(exc)})") from None
            return
        start = 0
        for df in self.iter_batches(batch_size, cols, id_cols=ids, text_as_written=text_as_written):
            if self.format == "jsonl":
                check_json_float_ids(df[ids], self.path, start)
            yield df, pandas_ids(df[ids], self.path)
            start += len(df)

    def iter_batches(self, batch_size: int, columns: Sequence[str] | None = None,
                     id_cols: Sequence[str] | None = None, text_as_written: bool = False) -> Iterator[pd.DataFrame]:
        """Yield pandas DataFrames of at most ``batch_size`` rows, in file order.

        ``id_cols``: the columns that are row ids. In a CSV they are read as :meth:`id_dtypes`
        says (text when the inferred type would change an id, e.g. ``007``, or is an NA marker
        such as ``NA``), the same type in every batch, every text as written; the other columns
        keep the types pandas infers. ``text_as_written`` (``apply``: what the LFs see): a CSV's
        text columns that hold NA markers keep them as text too (:func:`~.csv_ids.csv_scan`).

        Decoding and conversion stay on the calling thread (``use_threads=False``): ``apply`` reads
        on a daemon read-ahead thread, and a daemon thread waiting on Arrow's global thread pool
        when the process exits (Ctrl-C) deadlocks with the pool's own shutdown in the C exit
        handlers: the run printed "interrupted" and never ended (3 Ctrl-Cs in about 500;
        ``tests/adversarial/test_adv_signals.py``). The read-ahead thread already overlaps reading
        with the LFs, so the pool bought nothing there."""
        cols = list(columns) if columns is not None else None
        try:
            if self.format == "parquet":
                for rb in self._pf.iter_batches(batch_size=batch_size, columns=cols, use_threads=False):
                    yield rb.to_pandas(use_threads=False)
            elif self.format == "parquet-dir":
                for f in self.files:
                    pf = open_parquet(f)
                    try:
                        for rb in pf.iter_batches(batch_size=batch_size, columns=cols, use_threads=False):
                            if rb.num_rows:
                                yield rb.to_pandas(use_threads=False)
                    finally:
                        pf.close()
            elif self.format == "csv":
                reader = pd.read_csv(self.path, sep=self._sep, chunksize=batch_size, usecols=cols,
                                     **self._csv_options(cols, id_cols, text_as_written))
                with reader:
                    yield from same_kinds(reader, self.path)
            else:   # every batch has every column requested, one type each (json_lines.conform)
                missing = [c for c in cols or () if c not in self.columns]
                if missing:
                    raise InputError(f"{self.path}: no column {missing[0]!r} "
                                     f"(columns: {', '.join(map(str, self.columns))})")
                with pd.read_json(self.path, lines=True, chunksize=batch_size, **JSON_AS_WRITTEN) as reader:
                    for chunk in reader:
                        if len(chunk):   # a batch of blank lines has no columns
                            yield conform(chunk, self._json, cols)
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise InputError(f"{self.path}: read failed ({first_line(exc)})") from None
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError(f"{self.path}: read failed ({first_line(exc)})") from None


def format_id(value) -> str:
    """An id as a plain value for messages: ``'007'`` (text quoted), ``7``, ``('a', 1)``; never
    ``np.int64(7)`` (NumPy 2's repr of the scalars pandas and NumPy hand out)."""
    if isinstance(value, tuple):
        return f"({', '.join(map(format_id, value))}{',' * (len(value) == 1)})"
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if value is None or isinstance(value, (str, bytes, int, float)) else str(value)


def format_ids(ids) -> str:
    """Ids (tuples for several id columns) as plain values, comma-separated (:func:`format_id`)."""
    return ", ".join(map(format_id, ids))


def id_sample(keys: pd.DataFrame, k: int = 3) -> str:
    """The first ``k`` ids of id columns and their types, for errors on ids that match nothing:
    ``'007', '010', '012' (text)``, ``7, 10, 12 (int64)``, ``('a', 1), ('b', 2) (text, int64)``."""
    rows = [tuple(r) if len(keys.columns) > 1 else r[0] for r in keys.head(k).itertuples(index=False)]
    kinds = ["text" if pd.api.types.is_string_dtype(keys[c]) else str(keys[c].dtype) for c in keys.columns]
    return f"{format_ids(rows) or 'none'} ({', '.join(kinds)})"


def read_table(path: str | Path | TableSource, columns: Sequence[str] | None = None,
               id_cols: Sequence[str] | None = None, text_as_written: bool = False) -> pd.DataFrame:
    """Read a whole table (Parquet/CSV/JSON Lines) into pandas, checking requested columns.
    ``id_cols``: the columns that hold row ids (those the table has), read from a CSV as
    :meth:`TableSource.id_dtypes` says, so that they match the same ids read by any other command.
    ``text_as_written``: a CSV's text columns as the LFs read them (``NA`` kept as text;
    :mod:`.csv_ids`). ``path`` may be a :class:`TableSource` already open (its footer is not read again)."""
    src = path if isinstance(path, TableSource) else TableSource(path)
    if columns is not None:
        missing = [c for c in columns if c not in src.columns]
        if missing:
            raise InputError(f"{src.path}: no column {missing[0]!r} (columns: {', '.join(src.columns)})")
    asked = [*(columns or ()), *(id_cols or ())]   # a saved pandas index asked for by name stays a column
    parts = [index_columns_back(df, asked) for df in
             src.iter_batches(1 << 20, columns, id_cols=id_cols, text_as_written=text_as_written)]
    if not parts:
        return pd.DataFrame({c: [] for c in (columns or src.columns)})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
