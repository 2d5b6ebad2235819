"""Row ids between pandas and Arrow (:func:`pandas_ids`, :func:`ids_to_pandas`), and one type
per id column across the batches and files of an input (:func:`same_id_types`).

votes.parquet holds one Arrow type per id column, taken from the first batch. pandas infers a JSON
Lines file's types batch by batch, and pandas writes each file of a Parquet dataset with its own
types, so ids could be numbers in one batch (or file) and text in the next. Arrow's cast would
then either fail with its own message (no file, no column named) or, worse, succeed and change
ids: ``"007"`` cast to int64 is 7. Ids of one kind (``int32`` and ``int64``, ``string`` and
``large_string``, integers and whole floats) are cast safely; anything else is one
:class:`~weaklabel.errors.InputError` naming the file, the column and the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import InputError, first_line

_KINDS = (("bool", pa.types.is_boolean),
          ("number", lambda t: pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)),
          ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)),
          ("bytes", lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t)
           or pa.types.is_fixed_size_binary(t)),
          ("timestamp", pa.types.is_timestamp), ("date", pa.types.is_date), ("time", pa.types.is_time),
          ("duration", pa.types.is_duration), ("empty", pa.types.is_null))


def type_kind(t: pa.DataType) -> str:
    """What a type says of its values, for comparing ids: ``"number"``, ``"text"``, ``"bool"``,
    ``"empty"`` (all null), ... (a dictionary's values decide; any other type is its own kind)."""
    if pa.types.is_dictionary(t):
        return type_kind(t.value_type)
    return next((kind for kind, test in _KINDS if test(t)), str(t))


def cast_ids(col, to: pa.DataType):
    """``col`` as type ``to`` when both are one kind (or ``col`` is all null) and the safe cast
    changes no value; ``None`` otherwise (never text to numbers: ``"007"`` is not 7)."""
    if col.type == to:
        return col
    if type_kind(col.type) not in (type_kind(to), "empty"):
        return None
    try:
        return col.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def same_id_types(batches: Iterator, where, null_types: Callable[[list], dict] | None = None,
                  first_types: dict | None = None) -> Iterator:
    """``(data, ids)`` batches with every batch's ids of the first batch's types (:func:`cast_ids`);
    ids that cannot be are one :class:`InputError` naming ``where``, the column and the rows, and
    ids that are lists or structs (JSON Lines objects) are refused as a Parquet file's are.
    ``null_types(names)``: the types of id columns all missing in the first batch (Arrow's null
    type, to which no later id casts), ``{name: type}``, where the input knows them (JSON Lines:
    the rows of ``--batch-size 1`` with a missing id first were refused). ``first_types``: types
    the first batch's ids are cast to (a Parquet dataset's: :func:`dataset_id_types`)."""
    schema = None
    start = 0
    for df, ids in batches:
        nested = [f.name for f in ids.schema if pa.types.is_nested(f.type)]
        if nested:
            raise InputError(f"{where}: id column {nested[0]!r} holds lists or objects; row ids must be plain "
                             "values (strings, numbers, dates)")
        if schema is None:
            empty = [f.name for f in ids.schema if pa.types.is_null(f.type)]
            types = null_types(empty) if empty and null_types is not None else {}
            types = {**types, **{n: t for n, t in (first_types or {}).items() if n in ids.column_names}}
            if types:
                ids = pa.table([ids.column(n).cast(types[n]) if n in types else ids.column(n)
                                for n in ids.column_names], names=ids.column_names)
            schema = ids.schema
        elif ids.schema != schema:
            cols = []
            for f in schema:
                col = cast_ids(ids.column(f.name), f.type)
                if col is None:
                    raise InputError(
                        f"{where}: id column {f.name!r} holds {f.type} values before row {start:,} but "
                        f"{ids.column(f.name).type} in rows {start:,}..{start + ids.num_rows - 1:,}; row ids must "
                        "all have one type (e.g. all text)")
                cols.append(col)
            ids = pa.table(cols, schema=schema)
        start += ids.num_rows
        yield df, ids


def check_id_types(files: Sequence[Path], schemas: Sequence[pa.Schema], id_cols: Sequence[str]) -> None:
    """The files of a Parquet dataset give each id column types of one kind (a file whose ids are
    all null may have Arrow's null type, the first one too); else one :class:`InputError` naming
    the file and column, before any LF runs."""
    for c in id_cols:
        typed = [(f, s.field(c).type) for f, s in zip(files, schemas)
                 if c in s.names and not pa.types.is_null(s.field(c).type)]
        for f, b in typed[1:]:
            (f0, a) = typed[0]
            if type_kind(b) != type_kind(a):
                raise InputError(f"{f}: id column {c!r} is {b} in this file but {a} in {f0}; row ids must "
                                 "have one type in every file of a dataset (e.g. all text)")


def dataset_id_types(schemas: Sequence[pa.Schema], id_cols: Sequence[str]) -> dict:
    """``{column: type}`` for the id columns whose first Parquet file's type cannot hold every
    file's ids: integers of several widths (``int32`` in one file, ``int64`` in the next: the
    widest, pyarrow's promotion) and a first file whose ids are all null (Arrow's null type: the
    type of the others). The first batch's ids are cast to it (:func:`same_id_types`), so the votes
    get one type for the whole dataset; the first file's type made a later file's ``2**40`` a
    refusal ("holds int32 values ... but int64"), on Dask naming the part's row and no file."""
    out = {}
    for c in id_cols:
        types = [s.field(c).type for s in schemas if c in s.names]
        typed = [t for t in types if not pa.types.is_null(t)]
        if not typed or all(t == types[0] for t in types):
            continue
        if all(t == typed[0] for t in typed):
            out[c] = typed[0]
        elif all(pa.types.is_integer(t) for t in typed):
            fields = [pa.schema([pa.field(c, t)]) for t in typed]
            wide = pa.unify_schemas(fields, promote_options="permissive").field(c).type
            if wide == pa.uint64() or pa.uint64() not in typed:   # uint64 beside int64 is int64: no promotion
                out[c] = wide
    return out


_NULLABLE_INT = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                 pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
                 pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype()}


def ids_to_pandas(table) -> pd.DataFrame:
    """Id columns (an Arrow table or record batch) as pandas without loss: an integer column with
    nulls becomes a nullable integer column (``Int64``), not float64 (which rounds ids above
    2**53 and turns them into floats); other columns convert as ``to_pandas`` does."""
    cols = {}
    for name, col in zip(table.column_names, table.columns):
        if col.null_count and col.type in _NULLABLE_INT:
            cols[name] = col.to_pandas(types_mapper=_NULLABLE_INT.get)
        else:
            cols[name] = col.to_pandas()
    return pd.DataFrame(cols) if cols else table.to_pandas()


def pandas_ids(ids: pd.DataFrame, where) -> pa.Table:
    """Id columns read through pandas (CSV, JSON Lines, a DataFrame) as an Arrow table; a column
    Arrow cannot give one type (e.g. JSON ids that are text on some lines and numbers on others)
    is one :class:`InputError` naming ``where`` and the column."""
    ids = ids.reset_index(drop=True)
    for c in ids.columns:
        try:
            pa.array(ids[c], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as exc:
            kinds = sorted({type(v).__name__ for v in ids[c] if v is not None and v == v})
            raise InputError(f"{where}: id column {c!r} mixes value types ({', '.join(kinds) or first_line(exc)}); "
                             "row ids must all have one type (e.g. all text)") from None
    return pa.Table.from_pandas(ids, preserve_index=False)


def check_json_float_ids(ids: pd.DataFrame, where, start: int) -> None:
    """pandas' JSON reader makes a batch's integer ids float64 when one of them is null, rounding
    those beyond 2**53 (9007199254740993 is read as 9007199254740992.0: two ids become one, or an
    id another file has not); so are a key's in every batch when some record lacks it or holds
    null (:mod:`.json_lines`). Such ids are refused (one line) rather than silently changed."""
    for c in ids.columns:
        s = ids[c]
        if s.dtype.kind == "f":
            big = s.abs().to_numpy() >= 2.0 ** 53
            if big.any():
                i = int(big.argmax())
                raise InputError(f"{where}: id column {c!r} is read as {s.iloc[i]:.0f} in row {start + i:,} (ids "
                                 "missing beside it in the file, null or a key some records lack: JSON integers are "
                                 "then read as float64, rounding those beyond 2**53); write the ids as strings, or "
                                 "use Parquet")
