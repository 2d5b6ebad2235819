"""CSV id columns: read as text, or with the type pandas infers (:func:`csv_id_dtypes`).

pandas reads a CSV column of digits as numbers, so ids ``007`` and ``7`` both became 7 (and
``+3``, `` 4``, ``1e3``, ``1.50`` were changed as silently). The rule, one for every reader of a
CSV id column (``apply``'s batches, gold files, ``--keep-cols`` data, ``report``'s data: all go
through :meth:`~weaklabel.io.tables.TableSource.id_dtypes`), depends only on the file's text, so
every command reads the same ids: an id column is read as text when reading it with inferred types
would change the text of some value; otherwise it keeps the inferred type, exactly as before (a
CSV of plain integer ids still gives int64 ids, and votes made from it still match). The type is
decided for the whole column, never batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from ..errors import InputError, first_line

_CANONICAL_INT = r"0|-?[1-9][0-9]*"
_BOOL_TEXTS = frozenset({"True", "TRUE", "true", "False", "FALSE", "false"})   # what pandas reads as bools
_ID_SCAN_ROWS = 1 << 18


class _IdScan:
    """What the text of one CSV id column has shown so far (:func:`csv_id_dtypes`)."""

    def __init__(self):
        self.kind: str | None = None   # "int", "float", "bool" or "text"; None: no value yet
        self.nulls = False             # an empty cell (or a pandas NA marker such as "NA")
        self.negative = False
        self.above_int64 = False       # an integer above 2**63 - 1 (pandas: uint64)
        self.above_2_53 = False        # an integer that float64 would round

    def add(self, text: pd.Series) -> None:
        present = text[text.notna()]
        self.nulls |= len(present) < len(text)
        if self.kind == "text" or not len(present):
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
    integer float64 would round; also every column pandas reads as text anyway); for the others
    the type pandas infers (``int64``, ``uint64``, ``float64``, ``bool``; a whole number in a
    float64 column, e.g. integers with empty cells, counts as unchanged: ``7`` -> 7.0), so that a
    file of plain integer ids reads as it always did. A column without any value is left out
    (pandas' inference). One pass over the id columns only, read as text (it ends early once every
    column is text); the result is for the whole column, so every batch of it gets the same type."""
    cols = list(dict.fromkeys(columns))
    if not cols:
        return {}
    scans = {c: _IdScan() for c in cols}
    try:
        with pd.read_csv(path, sep=sep, usecols=cols, dtype=dict.fromkeys(cols, str),
                         chunksize=_ID_SCAN_ROWS) as reader:
            for chunk in reader:
                for c in cols:
                    scans[c].add(chunk[c])
                if all(s.kind == "text" for s in scans.values()):
                    break
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: read failed ({first_line(exc)})") from None
    out = {}
    for c, s in scans.items():
        t = s.dtype()
        if t is not None:
            out[c] = t
    return out


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
