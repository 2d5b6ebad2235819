"""CSV id columns: read as text, or with the type pandas infers (:func:`csv_id_dtypes`).

pandas reads a CSV column of digits as numbers, so ids ``007`` and ``7`` both became 7 (and
``+3``, `` 4``, ``1e3``, ``1.50`` were changed as silently). The rule, one for every reader of a
CSV id column (``apply``'s batches, gold files, ``--keep-cols`` data, ``report``'s data: all go
through :meth:`~weaklabel.io.tables.TableSource.id_dtypes`), depends only on the file's text, so
every command reads the same ids: an id column is read as text when reading it with inferred types
would change the text of some value; otherwise it keeps the inferred type, exactly as before (a
CSV of plain integer ids still gives int64 ids, and votes made from it still match). The type is
decided for the whole column, never batch by batch.

pandas also reads the text ``NA``, ``null``, ``N/A``, ``None``, ``nan`` (its default NA markers,
:data:`NA_MARKERS`) as a missing value: a product coded ``NA`` lost its id, and several such rows
became rows "without an id". An id column keeps every text as written; only an empty cell is
missing (what pandas writes for a missing value). :func:`csv_read_options` says how to read a CSV
so: the id columns with only the empty cell as NA, and, for ``apply``'s LFs, the same for every
text column that holds such markers (:func:`csv_scan`): an LF over the text ``"NA"`` sees
``"NA"``. Numeric columns keep the markers as missing values (``1.5, NA, 3`` stays float64).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, first_line

try:   # read_csv's default na_values (pandas documents the list; the set itself is private)
    from pandas._libs.parsers import STR_NA_VALUES as _PANDAS_NA
except ImportError:  # pragma: no cover
    _PANDAS_NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
#: the texts pandas reads as a missing value by default, besides the empty cell
NA_MARKERS = frozenset(_PANDAS_NA) - {""}
_DEFAULT_NA = sorted(_PANDAS_NA)
_AS_WRITTEN = {"keep_default_na": False, "na_values": [""]}   # only an empty cell is missing

_CANONICAL_INT = r"0|-?[1-9][0-9]*"
_BOOL_TEXTS = frozenset({"True", "TRUE", "true", "False", "FALSE", "false"})   # what pandas reads as bools
_ID_SCAN_ROWS = 1 << 18
_SCAN_BYTES = 64 << 20   # about this much of the file's text per chunk when every column is scanned


class _IdScan:
    """What the text of one CSV id column has shown so far (:func:`csv_id_dtypes`)."""

    def __init__(self):
        self.kind: str | None = None   # "int", "float", "bool" or "text"; None: no value yet
        self.nulls = False             # an empty cell (an NA marker such as "NA" is an id's text)
        self.negative = False
        self.above_int64 = False       # an integer above 2**63 - 1 (pandas: uint64)
        self.above_2_53 = False        # an integer that float64 would round

    def add(self, text: pd.Series) -> None:
        present = text[text.notna()]
        self.nulls |= len(present) < len(text)
        if self.kind == "text" or not len(present):
            return
        if present.isin(NA_MARKERS).any():   # "NA", "nan": read as numbers they would be missing
            self.kind = "text"
            return
        is_int = present.str.fullmatch(_CANONICAL_INT).to_numpy(dtype=bool)
        kind = "int" if is_int.all() else None
        if is_int.any():
            ints = present[is_int]
            self.negative |= bool(ints.str.startswith("-").any())
            for t in ints[ints.str.len().to_numpy() > 15].unique():   # the rest fit well within 2**53
                v = int(t)
                self.above_2_53 |= abs(v) > 2 ** 53
                self.above_int64 |= v > 2 ** 63 - 1
                if v < -2 ** 63 or v > 2 ** 64 - 1:
                    kind = "text"   # beyond int64 and uint64: pandas keeps the text anyway
        if kind is None:
            rest = set(present[~is_int].unique())
            if rest <= {"True", "False"} and not is_int.any():
                kind = "bool"
            elif rest <= _BOOL_TEXTS:
                kind = "text"       # "true" would be read as True, written back "True"
            else:
                kind = "float" if all(_canonical_float(t) for t in rest) else "text"
        self.kind = kind if self.kind in (None, kind) else (
            "float" if {self.kind, kind} == {"int", "float"} else "text")

    def dtype(self):
        """The dtype to read the column with (``None``: as pandas infers it; no value was seen)."""
        kind = self.kind
        if kind == "int" and self.nulls:
            kind = "float"     # pandas: integers with empty cells are float64 (7.0 for "7")
        if kind == "float" and self.above_2_53:
            return str         # float64 would round these integers
        if kind == "int":
            if self.above_int64:
                return str if self.negative else "uint64"
            return "int64"
        if kind == "float":
            return "float64"
        if kind == "bool":
            return "boolean" if self.nulls else "bool"
        return None if kind is None else str


def _canonical_float(text: str) -> bool:
    """Whether ``text`` is how its float64 value is written back (``1.5``, ``2.0``, ``1e+20``,
    ``inf``): not ``1.50``, ``1e3``, `` 4.0`` or ``.5``."""
    try:
        return repr(float(text)) == text
    except ValueError:
        return False


def csv_id_dtypes(path: str | Path, sep: str, columns: Sequence[str]) -> dict:
    """How to read the id ``columns`` of a CSV file so that no id changes: ``{column: dtype}``.
    ``str`` for a column where reading with inferred types would change the text of some value
    (``007`` -> 7, ``+3``, `` 4``, ``1e3`` -> 1000.0, ``1.50`` -> 1.5, ``true`` -> True, an
    integer float64 would round, ``NA`` or ``nan`` -> missing; also every column pandas reads as
    text anyway); for the others the type pandas infers (``int64``, ``uint64``, ``float64``,
    ``bool``; a whole number in a float64 column, e.g. integers with empty cells, counts as
    unchanged: ``7`` -> 7.0), so that a file of plain integer ids reads as it always did. A column
    without any value is left out (pandas' inference). One pass over the id columns only, read as
    text (it ends early once every column is text); the result is for the whole column, so every
    batch of it gets the same type. Read them with :func:`csv_read_options` (no NA markers)."""
    return csv_scan(path, sep, columns)[0]


class _MarkerScan:
    """Whether one CSV column (not an id) holds NA markers (``NA``, ``null``) and text besides them
    (:func:`csv_scan`): such a column is text, and its markers are text too."""

    def __init__(self):
        self.markers = False
        self.text = False

    def add(self, s: pd.Series) -> None:
        if (self.markers and self.text) or pd.api.types.is_numeric_dtype(s.dtype):
            return   # numbers (and booleans) with empty cells: neither markers nor text
        present = s[s.notna()]
        is_marker = present.isin(NA_MARKERS).to_numpy(dtype=bool)
        self.markers |= bool(is_marker.any())
        rest = present[~is_marker]
        if not self.text and len(rest):   # booleans with empty cells are Python bools, not texts
            self.text = isinstance(rest.iloc[0], str) and (
                not is_marker.any() or (not _plain_numbers(rest) and _reads_as_text(rest)))


#: a number pandas' CSV parser always reads as a number (int64 or float64), whatever else its
#: column holds besides other such numbers: no space, no thousands separator, at most 18 digits
#: before the point (an integer within int64; beyond, the parser may keep the text)
_PLAIN_NUMBER = r"^[-+]?(?:[0-9]{1,18}(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?$"


def _plain_numbers(values: pd.Series) -> bool:
    """Whether every one of ``values`` (texts) is a :data:`_PLAIN_NUMBER`: then pandas reads them as
    numbers, and :func:`_reads_as_text` need not write and parse them again. A numeric column with
    NA markers (R's ``write.csv``) is such a column in every chunk of the scan: that round trip on
    each chunk made the scan of a 2M-row CSV with three such columns take 6 s instead of 1 s.
    Runs in Arrow (RE2), not a Python loop over the rows."""
    try:
        arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return False
    return bool(pc.all(pc.match_substring_regex(arr, _PLAIN_NUMBER)).as_py())


def _reads_as_text(values: pd.Series) -> bool:
    """Whether pandas reads ``values`` (texts of one column, its NA markers left out) as text rather
    than numbers or booleans: they are read back through the same CSV parser, so that ``1e3``,
    `` 4`` or ``True`` are what pandas makes of them in the file (only columns with markers get here)."""
    unique = pd.Series(pd.unique(values.to_numpy(dtype=object)), dtype=object)
    back = pd.read_csv(io.StringIO(unique.to_csv(index=False, header=False)), header=None, skip_blank_lines=False,
                       **_AS_WRITTEN)[0]
    return not pd.api.types.is_numeric_dtype(back.dtype)


def csv_scan(path: str | Path, sep: str, id_cols: Sequence[str],
             text_cols: Sequence[str] = ()) -> tuple[dict, set]:
    """One pass over a CSV file: the dtypes of ``id_cols`` (:func:`csv_id_dtypes`) and which of
    ``text_cols`` to read as written (:func:`csv_read_options`): those holding NA markers *and*
    text (``"NA"`` among reviews stays ``"NA"``; ``1.5, NA, 3`` is a numeric column with a
    missing value, read as before). Decided on the whole column, as the id types are."""
    ids = list(dict.fromkeys(id_cols))
    others = [c for c in dict.fromkeys(text_cols) if c not in set(ids)]
    if not ids and not others:
        return {}, set()
    id_scans = {c: _IdScan() for c in ids}
    text_scans = {c: _MarkerScan() for c in others}
    try:
        rows = _scan_rows(path) if others else _ID_SCAN_ROWS
        with pd.read_csv(path, sep=sep, usecols=ids + others, dtype=dict.fromkeys(ids, str) or None,
                         chunksize=rows, **_AS_WRITTEN) as reader:
            for chunk in reader:
                for c, scan in (*id_scans.items(), *text_scans.items()):
                    scan.add(chunk[c])
                if (all(s.kind == "text" for s in id_scans.values())
                        and all(s.markers and s.text for s in text_scans.values())):
                    break
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: read failed ({first_line(exc)})") from None
    dtypes = {c: t for c, s in id_scans.items() if (t := s.dtype()) is not None}
    return dtypes, {c for c, s in text_scans.items() if s.markers and s.text}


def _scan_rows(path) -> int:
    """Rows per chunk of a scan of every column: :data:`_ID_SCAN_ROWS`, fewer where rows are long
    (about :data:`_SCAN_BYTES` of text, from the length of the first MiB's lines), so that the scan
    holds no more of the file than ``apply``'s batches do: 262,144 rows of 10 kB documents were
    2.6 GB at once, whatever ``--batch-size``."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    per_row = len(head) / max(1, head.count(b"\n"))
    return int(max(16, min(_ID_SCAN_ROWS, _SCAN_BYTES // max(1.0, per_row))))


def csv_read_options(columns: Sequence[str], as_written) -> dict:
    """``read_csv`` arguments for a file with ``columns``: the columns ``as_written`` (id columns,
    text columns :func:`csv_scan` chose) keep every text, only an empty cell is missing; the others
    keep pandas' default NA markers. ``{}`` (pandas' default reading) when there are none."""
    keep = set(as_written)
    if not keep:
        return {}
    return {"keep_default_na": False, "na_values": {c: [""] if c in keep else _DEFAULT_NA for c in columns}}


def same_kinds(chunks, path) -> Iterator[pd.DataFrame]:
    """The batches of a CSV reader, refused (one :class:`InputError`) where pandas, which infers a
    CSV's column types batch by batch, read a column's values as numbers in one batch and as text
    in another: LFs would see ``7`` in one batch and ``'7'`` in the next, so a row's votes would
    depend on ``--batch-size``. (Integers in one batch and floats in another, a column with empty
    cells, compare equal and pass.)"""
    first: dict = {}   # column -> (kind, first row of that kind)
    start = 0
    for chunk in chunks:
        for c in chunk.columns:
            s = chunk[c]
            present = s[s.notna()]
            if not len(present):
                continue
            text = pd.api.types.is_string_dtype(s.dtype) and isinstance(present.iloc[0], str)
            kind, seen = ("text" if text else "numbers"), first.setdefault(c, ("text" if text else "numbers", start))
            if seen[0] != kind:
                raise InputError(
                    f"{path}: column {c!r} is read as {seen[0]} from row {seen[1]:,} but as {kind} in rows "
                    f"{start:,}..{start + len(chunk) - 1:,} (pandas infers a CSV's types batch by batch, so LFs "
                    f"would see 7 in one batch and '7' in another); convert it to Parquet with one type per column, "
                    f"e.g. pandas.read_csv(path, dtype={{{c!r}: str}}).to_parquet(...)")
        start += len(chunk)
        yield chunk
