"""JSON Lines tables: the columns are the union of the records' keys, and every batch has every
column, with one type per column whatever the batch size.

A JSON Lines record may leave keys out (optional fields). pandas reads such a file batch by batch,
and a batch's columns are the keys of its own records; the columns of a file were taken from its
first record. A key absent from that record was no column (``--id-col``, ``--keep-cols``), and a
batch in which no record held some key lacked that column, so an LF reading it worked or failed
with ``--batch-size``. :func:`scan_json_lines` reads the file once, before any batch, for the
union of its records' keys in order of first appearance (as pandas orders a batch's columns), and
:func:`conform` gives every batch every column, a missing key read as a ``null`` is. A key that
some record lacks (an *optional* key) also gets values of one type in every batch, decided on the
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

A file whose records all hold the same keys is read exactly as before, but for column names:
keys are columns as written (:data:`JSON_AS_WRITTEN`), and a batch of blank lines is skipped (it
had no columns: a ``KeyError``). Lines that are not JSON objects (a file of arrays or numbers,
which pandas reads as columns ``0``, ``1``, ...) keep the first record's columns and pandas'
reading, as before; an object file with a line of another kind is refused here, naming the line
(pandas failed on it with a bare ``TypeError``).

The scan parses each line with pandas' own JSON parser (what ``read_json`` uses, so it accepts
exactly what the batches will), about 1 MiB of lines at a time: memory stays flat (~10 MB, whatever
the file's size). It records only each record's key tuple while every record has the first one's
keys, and the value types too from the first record with other keys on (the records before it are
parsed again: usually none). Measured on 300 MB files of 200-byte records (two busy shared cores):
150-200 MB/s with the same keys on every record, ~150 MB/s with optional keys; ``read_json``
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
    (every line is an object), ``optional`` (each key some record lacks -> ``"number"``,
    ``"mixed"`` (numbers beside other values) or ``"other"``: how :func:`conform` reads it) and
    ``types`` (recorded when records differ in their keys)."""

    columns: list
    rows: int | None
    records: bool = True
    optional: dict = field(default_factory=dict)
    types: dict | None = None     # key -> the Python types of its values (None: not recorded)


def first_json_record(path: Path) -> pd.DataFrame | None:
    """A JSON Lines file's first record (its columns), blank lines skipped: read with ``nrows=1``,
    a leading blank line was a table without columns ("no id column 'id' (columns: )"). ``None``:
    the file holds no record (it has no rows)."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                return pd.read_json(io.BytesIO(line), lines=True, **JSON_AS_WRITTEN)
    return None


def _chunks(fh, end: int | None = None):
    """``(lines before, lines)``: the lines of ``fh`` in blocks of about :data:`_HINT` bytes,
    up to byte ``end`` (a block boundary of an earlier pass)."""
    before = 0
    while end is None or fh.tell() < end:
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


def _typed_records(path, end: int | None = None) -> dict:
    """:func:`_typed` of the records before byte ``end`` (a block boundary; None: all), read again."""
    seen: dict = {}
    with open(path, "rb") as fh:
        for before, lines in _chunks(fh, end):
            seen.update(_typed(_parse(lines, before, path)))
    return seen


def _value_types(typed) -> dict:
    """key -> the set of its values' Python types, over ``(keys, types)`` tuples."""
    out: dict = {}
    for k, t in typed:
        for c, ty in zip(k, t):
            out.setdefault(c, set()).add(ty)
    return out


def _kind(types: set) -> str:
    values = types - {type(None)}
    if values and values <= _NUMBERS:
        return "number"
    return "mixed" if int in values else "other"


def scan_json_lines(path: Path) -> JsonLayout:
    """One pass over a JSON Lines file: its columns (the union of its records' keys, in order of
    first appearance), its record count and its optional keys with how to read them (module
    docstring). Memory stays flat: ~1 MiB of lines at a time, and one entry per distinct key
    tuple (or key and value-type tuple once records differ in their keys)."""
    keys: dict = {}              # each key tuple, in order of first appearance
    typed: dict | None = None    # (keys, value types) tuples, once some record has other keys
    rows = start = 0
    with open(path, "rb") as fh:
        for before, lines in _chunks(fh):
            records = _parse(lines, before, path)
            try:   # dict.keys / dict.values: a TypeError on a line that is not an object
                if typed is None:
                    keys.update(zip(map(tuple, map(dict.keys, records)), repeat(None)))
                    if len(keys) > 1:
                        typed = _typed_records(path, start)
                        typed.update(_typed(records))
                else:
                    typed.update(_typed(records))
            except TypeError:
                if not rows and type(records[0]) is not dict:   # arrays, numbers: pandas' reading
                    return JsonLayout(list(first_json_record(path).columns), None, records=False)
                raise _not_an_object(lines, before, path) from None
            rows += len(records)
            start = fh.tell()
    if typed is None:
        return JsonLayout(list(next(iter(keys), ())), rows)
    columns = list(dict.fromkeys(chain.from_iterable(k for k, _ in typed)))
    common = set.intersection(*(set(k) for k, _ in typed))
    types = _value_types(typed)
    return JsonLayout(columns, rows, optional={c: _kind(types[c]) for c in columns if c not in common}, types=types)


_SAMPLE = {str: "a", int: 1, float: 0.5, bool: True}


def id_arrow_types(path: Path, layout: JsonLayout, cols) -> dict:
    """The Arrow types that the id columns ``cols`` have where they hold values, from the types
    of their values over the whole file (read again when the scan did not record them), for a
    first batch whose ids are all missing (Arrow's null type, which no later id casts to):
    :func:`~.id_types.same_id_types`. Columns whose values mix kinds are left out (refused later)."""
    if not layout.records:
        return {}
    types = layout.types if layout.types is not None else _value_types(_typed_records(path))
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
    is read as before (the batch's columns as pandas gives them)."""
    if not layout.optional:
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
