"""The votes.parquet format: the row-id column(s) (or ``row``, the 0-based position), then one
int8 (K <= 127) or int16 column per LF, ``-1`` for abstain; ``weaklabel`` metadata in the footer.

:class:`VotesWriter` streams batches into a file, :func:`votes_layout` finds the LF columns, id
columns and cardinality of a file (with or without weaklabel metadata). Reading a file into a
:class:`~weaklabel.votes.VoteMatrix` is :mod:`weaklabel.votes.file` (io does not import votes).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..dtypes import MAX_CARDINALITY, vote_dtype
from ..errors import InputError
from .metadata import VOTES_FORMAT, encode_metadata, read_metadata, validate_metadata
from .id_types import cast_ids
from .tables import TableSource, pandas_ids
from .vote_cells import column_values, first_vote_at_least, id_like_values


def metadata_counts(meta: dict, lf_names: Sequence[str], cardinality: int, n_rows: int) -> np.ndarray | None:
    """``(m, K)`` votes per LF and class as a votes file's metadata states them (``weaklabel
    apply`` writes them), or ``None`` when it does not state them all for ``n_rows`` rows."""
    by_name = {d.get("name"): d for d in meta.get("lfs", []) if isinstance(d, dict)}
    K = cardinality
    rows = []
    for name in lf_names:
        cv = by_name.get(name, {}).get("class_votes")
        if not isinstance(cv, list) or len(cv) < K or not all(isinstance(x, int) for x in cv) or any(cv[K:]):
            return None
        rows.append(cv[:K])
    if meta.get("rows") != n_rows:
        return None
    return np.array(rows, dtype=np.int64).reshape(len(lf_names), K)


def check_metadata_rows(where, meta: dict, n_rows: int) -> None:
    """Refuse a votes file whose metadata states another row count than the file has (rows were
    removed or added after ``weaklabel apply`` wrote it): its statistics would be wrong."""
    rows = meta.get("rows")
    if isinstance(rows, int) and not isinstance(rows, bool) and rows != n_rows:
        raise InputError(f"{where}: its metadata says {rows:,} rows but it has {n_rows:,}; "
                         "was the file changed after `weaklabel apply` wrote it?")


def check_metadata_counts(where, stated: np.ndarray | None, counts: np.ndarray) -> None:
    """Refuse votes whose per-LF, per-class counts differ from those their metadata states
    (:func:`metadata_counts`; ``None``: not stated, nothing to check)."""
    if stated is not None and not np.array_equal(stated, counts):
        raise InputError(f"{where}: the vote counts in its metadata do not match its votes; "
                         "was the file changed after `weaklabel apply` wrote it?")


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
            col = cast_ids(ids.column(field.name), field.type)   # never text to numbers: "007" is not 7
            if col is None:
                raise InputError(f"row-id column {field.name!r} changes type from {field.type} to "
                                 f"{ids.column(field.name).type} at row {self.rows}")
            arrays.append(col)
        dense = dense.astype(self.vdt, copy=False)
        for j in range(dense.shape[1]):
            arrays.append(pa.array(np.ascontiguousarray(dense[:, j])))
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += dense.shape[0]

    def close(self, metadata: dict) -> None:
        self._writer.add_key_value_metadata(encode_metadata(metadata))
        self._writer.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()


def ids_table(row_ids: pd.DataFrame | None, start: int, n: int) -> pa.Table:
    """The id columns of a batch as an Arrow table (or a ``row`` position column)."""
    if row_ids is None:
        return pa.table({"row": pa.array(np.arange(start, start + n, dtype=np.int64))})
    return pandas_ids(row_ids, "row ids")


#: ``task``: crowd-kit's item column, also of a wide answer matrix pivoted from its answers
_PLAIN_ID_NAMES = frozenset({"row", "id", "row_id", "item", "task", "index", "__index_level_0__"})
#: how a plain votes file's id columns are named, for the messages
_ID_NAME_RULE = "id, index, item, task, row, or ending in _id, in any case"


def _is_id_name(name: str) -> bool:
    """A plain votes file's column named like an id: one of :data:`_PLAIN_ID_NAMES` or ending in
    ``_id``, in any case (``ID``, ``doc_id``, ``Review_ID``). An integer ``doc_id`` column was an
    LF before, and where its values stayed small (a file of a few dozen rows) nothing refused it:
    K became the row count and the fit exited 0."""
    low = name.strip().lower()
    return low in _PLAIN_ID_NAMES or low.endswith("_id")


def pandas_index_columns(schema: pa.Schema) -> list[str]:
    """The columns a pandas DataFrame's index was saved as (``df.to_parquet()`` keeps a named or
    non-range index, e.g. ``L.set_index("doc")``, as columns its ``pandas`` schema metadata lists):
    row ids, never an LF's votes. An integer ``doc`` index was read as an LF (and, read back
    through pandas, which puts it in the index again, a ``KeyError`` traceback)."""
    return list(_pandas_index(schema))


_UNNAMED_INDEX = re.compile(r"__index_level_\d+__|__null_dask_index__")


def _pandas_index(schema: pa.Schema) -> dict[str, bool]:
    """``{column: unnamed}`` of the columns a pandas index was saved as (:func:`pandas_index_columns`);
    ``unnamed``: the index had no name (``__index_level_0__``; Dask's ``__null_dask_index__``)."""
    raw = (schema.metadata or {}).get(b"pandas")
    try:
        meta = json.loads(raw) if raw else {}
        found = [c for c in meta.get("index_columns") or [] if isinstance(c, str) and c in schema.names]
        named = {d.get("field_name"): d.get("name") for d in meta.get("columns") or [] if isinstance(d, dict)}
    except (ValueError, AttributeError, TypeError):
        return {}
    return {c: named.get(c) is None or bool(_UNNAMED_INDEX.fullmatch(c)) for c in found}


def unnamed_index_left_out(schema: pa.Schema, ids: list[str]) -> list[str]:
    """The columns of an unnamed pandas index saved beside other id columns: neither ids nor LFs.
    ``df[mask].to_parquet()`` saves the index the filter left (``__index_level_0__``) beside the
    file's ``doc_id``; taken for a second id column, a gold file with ``doc_id`` alone could not be
    matched ("has the votes' id column doc_id but not __index_level_0__"). Beside no other column
    named as an id (or a named index), e.g. a text ``split`` column, it stays an id column."""
    index = _pandas_index(schema)
    unnamed = [c for c, u in index.items() if u and c in ids]
    named = [c for c in ids if c not in unnamed and (_is_id_name(c) or c in index)]
    return unnamed if named else []


def _integer_values(t: pa.DataType) -> bool:
    """Integers, or integers dictionary-encoded (a pandas categorical of ints read back with its
    dictionary type): an LF's votes, never ids by their type (taken for an id column, the LF was
    silently left out of the fit). Pandas writes the values of ``pd.Categorical([0, 1, -1])`` as a
    plain INT64 column, which pyarrow reads as int64; a reader that keeps the dictionary type is
    refused in :func:`votes_layout`."""
    return pa.types.is_integer(t) or (pa.types.is_dictionary(t) and pa.types.is_integer(t.value_type))


def _plain_id_columns(schema: pa.Schema) -> list[str]:
    index = set(pandas_index_columns(schema))
    return [f.name for f in schema if f.name in index or _is_id_name(f.name) or not _integer_values(f.type)]


def _refuse_vote_like_id_columns(path, schema: pa.Schema) -> None:
    """A plain votes file takes its non-integer columns for row ids; a float or boolean column is
    an LF's votes written otherwise (pandas turns an integer column with NaN abstains into
    float64; a binary LF may be written as True/False; an LF column of nulls alone has type null),
    not an id: taken for an id column, the LF was silently left out of the fit (and its values
    written into labels.parquet as "ids")."""
    index = set(pandas_index_columns(schema))
    for f in schema:
        if _is_id_name(f.name) or f.name in index:
            continue
        if pa.types.is_floating(f.type) or pa.types.is_boolean(f.type) or pa.types.is_null(f.type):
            raise InputError(
                f"{path}: column {f.name!r} has type {f.type}; a Parquet file without weaklabel metadata takes "
                "non-integer columns for row ids, and this one looks like an LF's votes: write votes as integers "
                f"with -1 for abstain (pandas: df[{f.name!r}] = df[{f.name!r}].fillna(-1).astype('int8')), or "
                f"name an id column {_ID_NAME_RULE}")


ROW_IS_ID = "row_is_id"

#: a plain votes file's integer column whose largest value is at least this, and at least
#: :data:`ID_LIKE_RATIO` times the largest vote of every other column, is taken for an id column
#: that was not recognised when its values are also those of ids (see :func:`check_plain_vote_maxima`)
ID_LIKE_MIN_VALUE = 100
ID_LIKE_RATIO = 4


def check_plain_vote_maxima(path, maxima: dict[str, int], minima: dict[str, int], n_rows: int,
                            files: Sequence | None = None) -> None:
    """Refuse a Parquet file without weaklabel metadata whose cardinality is inferred (the largest
    vote + 1) when one integer column looks like an id column the name rule of :func:`votes_layout`
    did not recognise (``review_id`` holding 1000..1499 beside LFs voting 0/1 became an LF, K =
    1500, and a 9-minute fit of nonsense that exited 0): it never abstains (no -1), its largest
    value is at least :data:`ID_LIKE_MIN_VALUE` and half the row count, and at least
    :data:`ID_LIKE_RATIO` times the largest vote of another column that votes, and it holds its
    values as ids do (:func:`~.vote_cells.id_like_values`: a different one on every row, counting
    up, or sorted with a few rows per value; read from ``files``, the file's Parquet files in row order, only for such a column). An LF
    over many classes abstains somewhere or stays below half the rows on any file of some size; a
    crowd worker who answered one high class on every item (class 150 of 200 beside workers who
    answered 0..29) has the range of ids but repeats its value: it was refused as an id column, and
    its votes could not be fitted at all. A column of one value is never ids (decided from its
    range alone); without ``files`` the range decides.

    A vote above the class limit (votes are stored as int8/int16) is refused here too, naming the
    column: the cardinality inferred from it (the largest vote + 1) made ``fit --stream`` (and a
    default fit, which streams what looks too big for memory) allocate per-class tables of that
    size (a vote of 2**40: "Unable to allocate 80.0 TiB", a traceback), and the in-memory read
    named neither the file nor the column. With ``files``, the message names the row and, for a
    folder or glob, the part file holding it (:func:`~.vote_cells.first_vote_at_least`)."""
    over = {k: v for k, v in maxima.items() if v >= MAX_CARDINALITY}
    if over:
        name = next(iter(over))
        value, where, at = over[name], f"{path}: ", ""
        found = first_vote_at_least(files, name, MAX_CARDINALITY) if files else None
        if found is not None:
            file, file_row, row, value = found
            if len(files) == 1 and str(file) == str(path):
                at = f", at row {row:,}"
            else:
                where = f"{file}: row {file_row:,} of the file, votes row {row:,}, "
        raise InputError(f"{where}LF column {name!r} holds the vote {value:,}, above the limit of "
                         f"{MAX_CARDINALITY:,} classes (class ids 0..{MAX_CARDINALITY - 1}, -1 = abstain){at}; "
                         "is it an id column? A Parquet file without weaklabel metadata takes its id columns by "
                         f"name ({_ID_NAME_RULE}) or type (not integer)")
    voting = {k: v for k, v in maxima.items() if v >= 0}
    if len(voting) < 2:
        return
    name = max(voting, key=voting.get)
    top, low = voting[name], minima.get(name, -1)
    rest = max(v for k, v in voting.items() if k != name)
    if not (low >= 0 and top >= ID_LIKE_MIN_VALUE and 2 * top >= n_rows
            and top + 1 >= ID_LIKE_RATIO * (rest + 1)):
        return
    if low == top and n_rows > 1:   # one value on every row: ids differ from row to row
        return
    how = id_like_values(column_values(files, name)) if files else "values in the range of row ids"
    if how is None:   # its values repeat, as ids never do: an LF over many classes, a worker's one answer
        return
    raise InputError(
        f"{path}: column {name!r} holds values up to {top:,} and never abstains while every other column's "
        f"votes stay at or below {rest} ({how}): an id column, not an LF's votes? A Parquet file without "
        f"weaklabel metadata takes its id columns by name ({_ID_NAME_RULE}) "
        f"or type (not integer): rename the column, or write the votes with `weaklabel apply`")


def _typed_schema(src: TableSource) -> pa.Schema:
    """A Parquet dataset's schema with each column's type from the first file where it is not null:
    an empty part written by pandas (``df.iloc[:0].to_parquet()``) has columns of Arrow's null type,
    and taken from it, every LF column was refused as "type null" though every other part holds
    integer votes."""
    schema, later = src.schema, src._file_schemas[1:]
    fields = []
    for f in schema:
        if pa.types.is_null(f.type):
            typed = [s.field(f.name).type for s in later
                     if f.name in s.names and not pa.types.is_null(s.field(f.name).type)]
            f = f.with_type(typed[0]) if typed else f
        fields.append(f)
    return pa.schema(fields, metadata=schema.metadata)


def id_columns_metadata(id_cols: Sequence[str] | None) -> dict:
    """The metadata fields naming the id columns of a votes or labels file.

    Without ids the files carry a ``row`` position column and ``id_columns`` is ``["row"]``; a
    real id column that happens to be named ``row`` is marked ``row_is_id: true`` so readers keep
    its values instead of treating it as positions."""
    ids = list(id_cols) if id_cols else []
    if not ids:
        return {"id_columns": ["row"]}
    if ids == ["row"]:
        return {"id_columns": ["row"], ROW_IS_ID: True}
    return {"id_columns": ids}


def real_id_columns(ids: Sequence[str], meta: dict | None) -> list[str]:
    """The id columns of a file whose metadata names ``ids`` (``[]``: only a ``row`` position column).

    Decided from the metadata: ``["row"]`` is the position column unless ``row_is_id`` is set."""
    ids = list(ids or [])
    if ids == ["row"] and not (meta or {}).get(ROW_IS_ID):
        return []
    return ids


def _not_parquet_hint(src: TableSource) -> str:
    """What to do with a CSV or JSON Lines file given as votes: crowd answers (a column named like a
    worker) go through ``weaklabel crowd``; a vote matrix is converted to Parquet."""
    import shlex

    from .plain_ids import is_worker_name

    try:
        columns = list(src.columns)
    except (InputError, OSError, ValueError):
        columns = []
    if any(is_worker_name(c) for c in columns):
        return (f"; it looks like crowd answers, one row per answer: make votes of them with `weaklabel crowd "
                f"{shlex.quote(str(src.path))} -o votes.parquet`")
    read = "read_csv" if src.format == "csv" else "read_json"
    lines = "" if src.format == "csv" else ", lines=True"
    return (f"; a vote matrix (one column per LF, -1 = abstain) converts with python -c \"import pandas as pd; "
            f"pd.{read}('{src.path}'{lines}).to_parquet('votes.parquet', index=False)\"")


def votes_layout(src: TableSource, *, id_cols: Sequence[str] | None = None,
                 cardinality: int | None = None) -> tuple[list[str], list[str], int | None, list | None, dict]:
    """``(lf_names, id_columns, K, classes, metadata)`` of a votes Parquet file, folder or glob.

    Files written by weaklabel carry their LF names, id columns and cardinality in metadata.
    ``id_columns`` is ``[]`` when the file has no ids (only a ``row`` position column: see
    :func:`id_columns_metadata`).
    For plain files, id columns are ``id_cols`` (default: non-integer columns, a saved pandas index
    (:func:`pandas_index_columns`) and columns named id, index, item, task, row, row_id or ending in
    ``_id``, any case), every other column is an LF,
    and K is ``cardinality`` (``None``: unknown, the largest vote + 1). A plain file's ``row`` column
    holds the user's ids (only files weaklabel wrote have its position column, and they carry metadata).
    """
    p = src.path
    if src.format not in ("parquet", "parquet-dir"):
        raise InputError(f"{p}: votes must be a Parquet file (got {src.format}){_not_parquet_hint(src)}")
    meta = read_metadata(p)
    schema = _typed_schema(src)
    if meta is not None:
        if meta.get("part") is not None:
            raise InputError(f"{p}: is one part of a votes dataset; read its folder {p.parent} instead")
        if meta.get("format") != VOTES_FORMAT:
            raise InputError(f"{p}: is a {meta.get('format', 'unknown')!r} file, not a votes file")
        validate_metadata(meta, str(p), required=("cardinality", "lfs", "id_columns"))
        lf_names = [d["name"] for d in meta["lfs"]]
        ids = list(meta.get("id_columns") or [])
        row_is_id = bool(meta.get(ROW_IS_ID))
        K = int(meta["cardinality"])
        if cardinality is not None and cardinality != K:
            raise InputError(f"{p}: votes have cardinality {K} but {cardinality} was given")
        classes = meta.get("classes")
    else:
        if id_cols is None:
            _refuse_vote_like_id_columns(p, schema)
        ids = list(id_cols) if id_cols is not None else _plain_id_columns(schema)
        # a ``row`` column of a file without weaklabel metadata is the user's (their ids, as ``ROW``
        # or ``row`` beside another id column are): weaklabel's own position column comes only in
        # files it wrote, which carry metadata. Taken for positions, its values were replaced by
        # 0, 1, 2... in labels.parquet without a word, and gold labels were matched by position.
        row_is_id = True
        left_out = unnamed_index_left_out(schema, ids) if id_cols is None else []
        ids = [c for c in ids if c not in left_out]
        lf_names = [n for n in schema.names if n not in ids and n not in left_out]
        if id_cols is None:
            from .plain_ids import refuse_answers_table

            refuse_answers_table(p, src, schema, ids, lf_names)
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
        if pa.types.is_dictionary(t):
            raise InputError(f"{p}: LF column {name!r} is dictionary-encoded ({t}: a pandas categorical?); votes "
                             f"must be plain integers, -1 = abstain: df[{name!r}] = df[{name!r}].astype('int8')")
        if not pa.types.is_integer(t):
            raise InputError(f"{p}: LF column {name!r} has type {t}; votes must be integers (-1 = abstain)")
    if not lf_names:
        raise InputError(f"{p}: has no LF vote columns (integer columns); is it a votes file from `weaklabel apply`?")
    if ids == ["row"] and not row_is_id:
        ids = []   # the ``row`` column holds positions, not ids
    return lf_names, ids, K, classes, meta
