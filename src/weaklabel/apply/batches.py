"""The frame an input batch reaches the LFs as: every column the file lists, in its order, indexed
``0..b-1`` (:func:`lf_frame`), whatever pandas index the file was saved with.

``df.set_index("doc").to_parquet()`` lists ``doc`` among the file's columns, but pyarrow's
``to_pandas`` makes it the index again: the LFs lost ``x.doc`` ("needs column 'doc', which the
file does not have") and ``--id-col doc`` failed with a ``KeyError`` traceback, on both engines.
A saved index without a name (``__index_level_0__`` of a filtered frame, Dask's
``__null_dask_index__``) is pandas' bookkeeping, not data: it stays out of the LFs' columns, as
before, unless it is asked for as an id column.

Also here, what ``apply`` adds to an error about its input where a reader of the same file with
pandas, Spark or Dask would have found what the LFs ask for: a hive partition key, a saved pandas
index kept as a range, a DataFrame's index (``apply_lfs``), a whole-table JSON document
(``df.to_json(path)``) or a JSON Lines file with a byte-order mark.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

#: the names pandas and Dask give a saved index without a name
UNNAMED_INDEX = re.compile(r"__index_level_\d+__|__null_dask_index__")


def lf_frame(df: pd.DataFrame, columns: Sequence[str] | None, id_cols: Sequence[str] | None = None) -> pd.DataFrame:
    """``df`` (a batch read through pandas) with the saved index levels that ``columns`` (the
    file's columns) lists put back as columns, in the file's column order, and a ``0..b-1`` index.
    An unnamed saved index is dropped unless ``id_cols`` asks for it."""
    index = df.index
    if isinstance(index, pd.RangeIndex) and index.name is None:
        return df.reset_index(drop=True)
    listed = set(columns or ())
    asked = set(id_cols or ())
    back = {}
    for i, name in enumerate(index.names):
        col = name if name is not None else f"__index_level_{i}__"
        if col in listed and col not in df.columns and (not UNNAMED_INDEX.fullmatch(str(col)) or col in asked):
            back[col] = index.get_level_values(i).array
    out = df.reset_index(drop=True)
    if not back:
        return out
    for col, values in back.items():
        out[col] = values
    order = [c for c in (columns or ()) if c in out.columns]
    order += [c for c in out.columns if c not in set(order)]
    return out[order] if order != list(out.columns) else out


def lf_columns(columns: Sequence[str], id_cols: Sequence[str] | None) -> list[str]:
    """The columns of a batch :func:`lf_frame` makes of a file with ``columns``, for messages."""
    asked = set(id_cols or ())
    return [c for c in columns if not UNNAMED_INDEX.fullmatch(str(c)) or c in asked]


def source_name(src) -> str:
    """The input as errors name it: a file's or folder's name, a glob's whole pattern (its last
    part alone, ``*.parquet``, names nothing)."""
    from ..io import is_glob

    return str(src.path) if src.format == "parquet-dir" and is_glob(src.path) else src.path.name


_PARTITION_DIR = re.compile(r"([^=]+)=[^=]*")


def partition_keys(files: Sequence, columns: Sequence[str]) -> list[str]:
    """The hive partition keys in the folders of ``files`` (``year`` of Spark's
    ``partitionBy("year")``, ``.../year=2024/part-*.parquet``) that are not columns of the files:
    values written in folder names only, which ``apply`` does not read."""
    keys: dict[str, None] = {}
    for f in files:
        for part in Path(f).parent.parts:
            m = _PARTITION_DIR.fullmatch(part)
            if m and m.group(1) not in columns:
                keys[m.group(1)] = None
    return list(keys)


def range_index_names(schema) -> list[str]:
    """The names of a saved pandas index that the file keeps as a range (``start``, ``stop``,
    ``step`` in its pandas metadata), not as a column: ``df.set_index("num").to_parquet()`` of
    ``num = 0, 1, 2...``; ``pd.read_parquet`` makes it the index again, ``apply`` has no such column."""
    import json

    raw = (getattr(schema, "metadata", None) or {}).get(b"pandas")
    try:
        index = json.loads(raw)["index_columns"] if raw else []
    except (ValueError, KeyError, TypeError):
        return []
    return [str(c["name"]) for c in index if isinstance(c, dict) and c.get("kind") == "range" and c.get("name")]


#: ``x.name`` in an LF written for pandas' ``df.apply(f, axis=1)`` (Snorkel's ``PandasLFApplier``)
NAME_HINT = ("; x.name is the row's index label in pandas' df.apply(f, axis=1) (Snorkel's PandasLFApplier), "
             "but a row here holds only its columns: read the id's column by its name (x.<column>)")


def column_hints(src) -> dict[str, str]:
    """What to add to an error about a missing column of the Parquet input ``src`` that a reader
    of the same file with pandas, Spark or Dask would have: a hive partition key or a saved pandas
    index kept as a range (``{}`` for other inputs)."""
    name = {} if "name" in src.columns else {"name": NAME_HINT}
    if src.format not in ("parquet", "parquet-dir"):
        return name
    hints = name | {c: (f"; {c!r} is the file's saved pandas index, which it keeps as a range (start, stop, step), not "
                 "as a column: save the data with df.reset_index().to_parquet(...) or to_parquet(..., index=True)")
             for c in range_index_names(src.schema) if c not in src.columns}
    if src.format == "parquet-dir":
        for c in partition_keys(src.files, src.columns):
            hints[c] = (f"; {c!r} is a partition folder name ({c}=...), which apply does not read: only the "
                        "Parquet files' columns reach the LFs (Spark's partitionBy leaves the column out of the "
                        "files); write the data without partitionBy, or with a copy of the column under another name")
    return hints


def index_hint(index_names: Sequence[str], column: str) -> str:
    """What to add to ``apply_lfs``'s error about a missing ``column`` that is a level of the
    DataFrame's index (``pd.read_parquet`` of a file saved with ``set_index("doc")``), else ``""``."""
    if column not in index_names:
        return NAME_HINT if column == "name" else ""
    return (f"; {column!r} is the DataFrame's index, not one of its columns: pass data.reset_index() "
            "(apply_file reads a saved index of that name as a column)")


def check_json_document(src) -> None:
    """Refuse a ``.json`` input that is one JSON document of a whole table rather than JSON Lines:
    ``df.to_json(path)`` (an object of columns, pandas' default), ``orient="index"`` (an object of
    rows) or ``orient="records"`` (an array of records) on one line. Read as JSON Lines, it was one
    row whose every cell is a dict (or as many columns as records): the LFs ran on that one row
    and the votes had one row, or failed asking for a column."""
    if src.format != "jsonl" or src.n_rows not in (1, None):
        return
    from ..errors import InputError
    from ..io.json_lines import first_json_record

    first = first_json_record(src.path)
    if first is None or len(first) != 1 or not len(first.columns):
        return
    cells = first.iloc[0].tolist()
    outer = [str(c) for c in first.columns]
    keys = {tuple(map(str, v)) for v in cells if isinstance(v, dict)}
    table = (all(isinstance(v, dict) and v for v in cells) and len(keys) == 1 and (
        all(k.isdigit() for k in outer) or all(k.isdigit() for k in next(iter(keys)))
        or (len(cells) >= 2 and len(next(iter(keys))) >= 2)))
    split = set(outer) in ({"columns", "data"}, {"columns", "index", "data"}, {"schema", "data"})
    if table or split:
        raise InputError(f"{src.path}: is one JSON document holding the whole table (as pandas' df.to_json(path) "
                         "writes), not JSON Lines (one record per line): write it with "
                         "df.to_json(path, orient='records', lines=True)")


def bom_hint(path) -> str:
    """What to add to an error reading the JSON Lines file ``path`` that starts with a UTF-8
    byte-order mark (some Windows tools write one), else ``""``."""
    try:
        with open(path, "rb") as fh:
            bom = fh.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return ""
    return ("; the file starts with a UTF-8 byte-order mark (BOM), which the JSON Lines reader does not accept: "
            "save it as UTF-8 without a BOM") if bom else ""


def glob_hint(pattern) -> str:
    """What to add to an error reading the glob ``pattern`` when it matches files whose names start
    with ``_`` or ``.`` (Spark's ``_SUCCESS``, ``.crc`` checksums), which a folder input skips."""
    import glob

    from ..io import is_glob

    if not is_glob(pattern):
        return ""
    odd = sorted(m for m in glob.glob(str(pattern), recursive=True)
                 if Path(m).is_file() and Path(m).name.startswith(("_", ".")))
    if not odd:
        return ""
    return (f"; a glob reads every file it matches (here {odd[0]} too), a folder skips names starting with _ or .: "
            "pass the folder, or a pattern such as 'part-*.parquet'")
