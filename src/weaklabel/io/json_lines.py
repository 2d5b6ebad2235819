"""JSON Lines tables: the columns are the union of the records' keys, and every batch has every
column, with one type per column whatever the batch size.

A JSON Lines record may leave keys out (optional fields). pandas reads such a file batch by batch,
and a batch's columns are the keys of its own records; the columns of a file were taken from its
first record. A key absent from that record was no column (``--id-col``, ``--keep-cols``), and a
batch in which no record held some key lacked that column, so an LF reading it worked or failed
with ``--batch-size``. :func:`scan_json_lines` reads the file once, before any batch, for the
union of its records' keys in order of first appearance (as pandas orders a batch's columns), and
:func:`conform` gives every batch every column, a missing key read as a ``null`` is. A key that
some record lacks (an *optional* key), and a key whose integers sit beside ``null`` values or
floats on other records (``{"n": 7}``, ``{"n": null}``: pandas read ``7`` in a batch without the
``null`` and ``7.0`` in one with it), also gets values of one type in every batch, decided on the
whole file as :func:`~.csv_ids.csv_id_dtypes` decides a CSV id column's type:

* numbers only (and missing or ``null`` values): float64 in every batch. pandas reads a batch of
  integers with a missing one as float64 (``7.0``) and one without as int64 (``7``), and a batch
  without any value as an object column: an LF saw ``7`` or ``7.0`` depending on the batch size;
* numbers beside other values (text, booleans, objects): its numbers are floats in every batch,
  for the same reason (the other values keep their JSON types);
* anything else: a batch without any value gets an object column of NaN, what pandas reads for a
  key written ``null`` on every record of a batch.

An id column all missing in the first batch takes the type its values have in the file
(:func:`id_arrow_types`; it was Arrow's null type, to which the next batch's ids did not cast).

A file whose records all hold the same keys is read exactly as before (but for integers beside
``null`` values or floats, above), but for column names and order: keys are columns as written
(:data:`JSON_AS_WRITTEN`), in the file's order in every batch (pandas ordered a batch's columns
as its first record's keys: ``df.iloc[:, 0]`` depended on the batch size), and a batch of blank
lines is skipped (it had no columns: a ``KeyError``). Lines that are not JSON objects (a file of
arrays or numbers, which pandas reads as columns ``0``, ``1``, ...) keep the first record's
columns and pandas' reading, as before; an object file with a line of another kind is refused
here, naming the line (pandas failed on it with a bare ``TypeError``).

The scan parses each line with pandas' own JSON parser (what ``read_json`` uses, so it accepts
exactly what the batches will), about 1 MiB of lines at a time: memory stays flat (~10 MB, whatever
the file's size). Each block's distinct (keys, value types) tuples are folded into one set of
value types per key before the next block is read: keeping the tuples of the whole file grew with
it where records leave out keys independently (20 such keys: 500 MB and 3 MB/s on a 38 MB file).
Measured on 300 MB files of 200-byte records (two busy shared cores): ~150 MB/s; ``read_json``
reads the same files into batches at ~75 MB/s.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, first_line
from .id_types import pandas_ids

try:   # pandas' JSON parser (read_json's); the module's name changed between releases
    from pandas._libs._ujson import ujson_loads as _loads
except ImportError:  # pragma: no cover
    try:
        from pandas._libs.json import ujson_loads as _loads
    except ImportError:
        from json import loads as _loads

#: ``read_json`` arguments: values keep their JSON types (default inference made "007" the number 7
#: and dated "created_at"), and column names are the keys as written (``convert_axes`` made keys
#: "1", "2" the numbers 1, 2, and "007" the number 7, only where every key of a batch converted)
JSON_AS_WRITTEN = {"dtype": False, "convert_axes": False,
                   **({} if pd.__version__ >= "3" else {"convert_dates": False})}
_HINT = 1 << 20       # bytes of lines parsed at a time
_NUMBERS = frozenset({int, float})


@dataclass(frozen=True)
class JsonLayout:
    """What :func:`scan_json_lines` found: ``columns`` (the union of the keys, in order of first
    appearance), ``rows`` (records; ``None``: not read, the lines are not objects), ``records``
    (every line is an object), ``optional`` (each key some record lacks, or whose integers sit
    beside ``null`` values or floats -> ``"number"``, ``"mixed"`` (numbers beside other values) or
    ``"other"``: how :func:`conform` reads it) and ``types`` (key -> its values' Python types)."""

    columns: list
    rows: int | None
    records: bool = True
    optional: dict = field(default_factory=dict)
    types: dict | None = None     # key -> the Python types of its values (None: lines are not objects)


def first_json_record(path: Path) -> pd.DataFrame | None:
    """A JSON Lines file's first record (its columns), blank lines skipped: read with ``nrows=1``,
    a leading blank line was a table without columns ("no id column 'id' (columns: )"). ``None``:
    the file holds no record (it has no rows)."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                return pd.read_json(io.BytesIO(line), lines=True, **JSON_AS_WRITTEN)
    return None


def _chunks(fh):
    """``(lines before, lines)``: the lines of ``fh`` in blocks of about :data:`_HINT` bytes."""
    before = 0
    while True:
        lines = fh.readlines(_HINT)
        if not lines:
            return
        yield before, lines
        before += len(lines)


def _parse(lines: list, before: int, path) -> list:
    """The records of ``lines`` (blank lines skipped, as ``read_json`` does); a line that is not
    JSON is one :class:`InputError` naming it."""
    try:
        return list(map(_loads, lines))
    except (ValueError, TypeError):   # a blank line or a broken one: line by line
        pass
    out = []
    for i, line in enumerate(lines):
        if line.strip():
            try:
                out.append(_loads(line))
            except (ValueError, TypeError, RecursionError) as exc:
                raise InputError(f"{path}: not a readable JSON Lines file (line {before + i + 1:,}: "
                                 f"{first_line(exc)})") from None
    return out


def _not_an_object(lines: list, before: int, path) -> InputError:
    """The error for the first line of ``lines`` that holds JSON but not an object."""
    for i, line in enumerate(lines):
        if line.strip() and type(value := _loads(line)) is not dict:
            kind = {list: "an array", str: "a string", type(None): "null"}.get(type(value), "a number")
            return InputError(f"{path}: line {before + i + 1:,} holds {kind}, not an object; every line of a "
                              "JSON Lines table must be one record ({...})")
    return InputError(f"{path}: a line is not a JSON object")  # pragma: no cover


def _typed(records: list):
    """``((keys, value types), None)`` per record, for a dict's ``update`` (C loops only)."""
    types = map(tuple, map(map, repeat(type), map(dict.values, records)))
    return zip(zip(map(tuple, records), types), repeat(None))


def _kind(types: set) -> str:
    values = types - {type(None)}
    if values and values <= _NUMBERS:
        return "number"
    return "mixed" if int in values else "other"


def _read_by_batch(types: set) -> bool:
    """Whether pandas reads a key's integers as ``7`` in one batch and ``7.0`` in another: a batch
    holding one of them beside a float or a ``null`` makes them all float64 (a batch without does
    not). Text, booleans, objects and floats read alike in every batch, ``null`` or not."""
    return int in types and (float in types or type(None) in types)


def scan_json_lines(path: Path) -> JsonLayout:
    """One pass over a JSON Lines file: its columns (the union of its records' keys, in order of
    first appearance), its record count and the keys :func:`conform` reads with one type in every
    batch (module docstring): those some record lacks, and those whose integers sit beside floats
    or ``null`` values. Memory stays flat: ~1 MiB of lines at a time, whose distinct key and
    value-type tuples are folded into per-key sets before the next block (never kept for the
    whole file: with optional keys their combinations grow with it)."""
    columns: dict = {}           # every key, in order of first appearance
    types: dict = {}             # key -> the Python types of its values
    common: set | None = None    # the keys every record holds
    rows = 0
    with open(path, "rb") as fh:
        for before, lines in _chunks(fh):
            records = _parse(lines, before, path)
            try:   # dict.keys / dict.values: a TypeError on a line that is not an object
                seen = dict(_typed(records))
            except TypeError:
                if not rows and type(records[0]) is not dict:   # arrays, numbers: pandas' reading
                    return JsonLayout(list(first_json_record(path).columns), None, records=False)
                raise _not_an_object(lines, before, path) from None
            if seen:   # folded with C loops: a block of records with optional keys has many tuples
                keys, value_types = zip(*seen)
                columns.update(dict.fromkeys(chain.from_iterable(keys)))
                common = set(keys[0]) if common is None else common
                common = common.intersection(*keys)
                for c, t in set(zip(chain.from_iterable(keys), chain.from_iterable(value_types))):
                    types.setdefault(c, set()).add(t)
            rows += len(records)
    common = common or set()
    optional = {c: _kind(types[c]) for c in columns if c not in common or _read_by_batch(types[c])}
    return JsonLayout(list(columns), rows, optional=optional, types=types)


_SAMPLE = {str: "a", int: 1, float: 0.5, bool: True}


def id_arrow_types(path: Path, layout: JsonLayout, cols) -> dict:
    """The Arrow types that the id columns ``cols`` have where they hold values, from the types
    of their values over the whole file (recorded by the scan), for a
    first batch whose ids are all missing (Arrow's null type, which no later id casts to):
    :func:`~.id_types.same_id_types`. Columns whose values mix kinds are left out (refused later)."""
    if not layout.records:
        return {}
    types = layout.types or {}
    out = {}
    for c in cols:
        values = types.get(c, set()) - {type(None)}
        if layout.optional.get(c) == "number" or values == _NUMBERS:
            values = {float}    # read as float64 (conform; pandas, beside an integer)
        if len(values) == 1 and (t := next(iter(values))) in _SAMPLE:
            out[c] = pandas_ids(pd.DataFrame({c: [_SAMPLE[t]]}), path).schema.field(c).type
    return out


def _floats(s: pd.Series) -> pd.Series:
    """``s`` with its integers as floats: an optional key's numbers are floats in every batch."""
    if s.dtype.kind in "iu":
        return s.astype("float64")
    if s.dtype == object:
        values = s.tolist()
        if any(type(v) is int for v in values):
            return pd.Series([float(v) if type(v) is int else v for v in values], index=s.index, dtype=object)
    return s


def conform(chunk: pd.DataFrame, layout: JsonLayout, cols: list | None) -> pd.DataFrame:
    """A batch read by ``read_json`` with the columns ``cols`` (None: all of ``layout``'s), each
    an optional key read as the module docstring says; a file whose records all hold the same keys
    is read as before (the batch's columns as pandas gives them, in the file's order)."""
    if not layout.optional:
        if cols is None and layout.records and list(chunk.columns) != layout.columns:
            cols = layout.columns   # keys in another order: pandas takes the batch's first record's
        return chunk[cols] if cols is not None else chunk
    out = {}
    for c in (layout.columns if cols is None else cols):
        if c in chunk.columns:
            s = chunk[c]
        else:   # no record of the batch holds the key: as if written null on each
            s = pd.Series(np.full(len(chunk), np.nan, dtype=object), index=chunk.index, name=c)
        kind = layout.optional.get(c)
        if kind == "number":
            s = s.astype("float64")
        elif kind == "mixed":
            s = _floats(s)
        out[c] = s
    return pd.DataFrame(out, index=chunk.index)
