"""Checks of the files the bench reads (WRENCH JSON, crowd CSV, raw text tasks).

A mistake in one of them is a one-line :class:`~weaklabel.errors.InputError` naming the file and
the example, line or column at fault, never a traceback or a silently converted value (a label
``1.5`` read as ``1``, a weak label ``"a"``, a missing split).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

#: class ids above this are not class ids (and would overflow int64 arrays)
MAX_CLASS_ID = 2 ** 31 - 1


def short(value, limit: int = 40) -> str:
    """``value`` as JSON-ish text, cut to ``limit`` characters (for messages)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a folder, expected a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None


def read_json(path: Path):
    """A JSON file (UTF-8, an optional BOM); a deep nesting or a syntax error is an InputError."""
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid JSON (not UTF-8 text)") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not valid JSON ({msg})") from None


def class_id(value) -> int | None:
    """``value`` as an integer class id (``-1`` and up), or ``None`` when it is not one: a string,
    a bool, a fraction, NaN, a number below -1 or absurdly large."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        v = int(value)
    elif isinstance(value, (float, np.floating)) and float(value).is_integer():
        v = int(value)
    else:
        return None
    return v if -1 <= v <= MAX_CLASS_ID else None


# --------------------------------------------------------------------------- WRENCH
def wrench_examples(path: Path, raw) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(ids, L, y)`` of a WRENCH split file's parsed JSON: ``L`` the ``(n, m)`` weak labels
    (``-1`` = abstain), ``y`` the gold labels (``-1`` = none; ``null`` or no ``label`` too)."""
    if not isinstance(raw, dict) or not raw:
        raise InputError(f"{path}: expected a JSON object of examples (WRENCH format: "
                         '{"id": {"label": ..., "weak_labels": [...], "data": {...}}, ...})')
    ids = list(raw)
    clean = _clean_examples(raw.values())
    if clean is not None:
        return ids, *clean
    rows: list[list[int]] = []
    y = np.empty(len(ids), dtype=np.int64)
    m = None
    for r, i in enumerate(ids):
        ex = raw[i]
        if not isinstance(ex, dict) or "weak_labels" not in ex:
            raise InputError(f"{path}: example {i!r} has no 'weak_labels' (WRENCH format)")
        w = ex["weak_labels"]
        if not isinstance(w, list):
            raise InputError(f"{path}: example {i!r}: 'weak_labels' must be a list of class ids, got {short(w)}")
        if m is None:
            m = len(w)
        elif len(w) != m:
            raise InputError(f"{path}: example {i!r} has {len(w)} weak labels, the examples before it have {m}")
        row = [class_id(v) for v in w]
        if None in row:
            j = row.index(None)
            raise InputError(f"{path}: example {i!r}: weak label {j} is {short(w[j])}, not a class id "
                             "(an integer 0..K-1, or -1 for abstain)")
        rows.append(row)
        lab = ex.get("label")
        k = -1 if lab is None else class_id(lab)
        if k is None:
            raise InputError(f"{path}: example {i!r}: label {short(lab)} is not a class id (an integer 0..K-1; "
                             "label.json names the classes; -1 or null = no gold label)")
        y[r] = k
    if not m:
        raise InputError(f"{path}: the examples have no weak labels (empty 'weak_labels' lists)")
    return ids, np.asarray(rows, dtype=np.int64).reshape(len(ids), m), y


def _clean_examples(examples) -> tuple[np.ndarray, np.ndarray] | None:
    """``(L, y)`` of :func:`wrench_examples` when every example is well formed with plain integer
    class ids (the usual file), checked by the types seen and numpy's ranges; ``None`` otherwise,
    and :func:`wrench_examples` finds and names the fault one value at a time. A Python call per
    weak label made the checks ten times slower than reading the numbers (200,000 examples of 50
    LFs: 3.6 s, the JSON parse 1.5 s)."""
    try:
        weak = [ex["weak_labels"] for ex in examples]
        labels = [ex.get("label") for ex in examples]
    except (TypeError, KeyError, AttributeError):
        return None
    if set(map(type, weak)) != {list}:
        return None
    lengths = set(map(len, weak))
    if len(lengths) != 1 or 0 in lengths:
        return None
    # type() is not isinstance: a bool (true / false in JSON) is not a class id
    if set(map(type, itertools.chain.from_iterable(weak))) != {int} or not set(map(type, labels)) <= {int, type(None)}:
        return None
    try:
        L = np.array(weak, dtype=np.int64)
        y = np.array([-1 if v is None else v for v in labels], dtype=np.int64)
    except (OverflowError, ValueError):
        return None
    if L.min() < -1 or L.max() > MAX_CLASS_ID or y.min() < -1 or y.max() > MAX_CLASS_ID:
        return None
    return L, y


def check_wrench_range(path: Path, ids: list[str], L: np.ndarray, y: np.ndarray, K: int, why: str) -> None:
    """Weak labels in ``-1..K-1`` and gold labels in ``-1..K-1``; ``why`` says where K comes from."""
    bad = np.argwhere(L >= K)
    if bad.size:
        r, j = (int(x) for x in bad[0])
        raise InputError(f"{path}: example {ids[r]!r}: weak label {j} is {int(L[r, j])}, outside -1..{K - 1} ({why})")
    bad = np.flatnonzero(y >= K)
    if bad.size:
        r = int(bad[0])
        raise InputError(f"{path}: example {ids[r]!r}: label {int(y[r])} is outside -1..{K - 1} ({why})")


def wrench_classes(path: Path, label_map) -> list[str]:
    """The class names of a WRENCH ``label.json``: an object ``{"0": name, ..., "K-1": name}``."""
    if not isinstance(label_map, dict):
        raise InputError(f'{path}: expected an object mapping the class ids to names ({{"0": "ham", "1": "spam"}})')
    want = [str(k) for k in range(len(label_map))]
    if sorted(label_map, key=str) != sorted(want):
        raise InputError(f"{path}: keys must be the class ids 0..{len(label_map) - 1}, got "
                         f"{', '.join(map(repr, list(label_map)[:5]))}")
    if len(label_map) < 2:
        raise InputError(f"{path}: needs at least 2 classes, got {len(label_map)}")
    return [str(label_map[k]) for k in want]


# --------------------------------------------------------------------------- CSV (crowd, raw text)
def read_csv(path: Path, expected: str, **kw) -> pd.DataFrame:
    """A CSV file; an empty, binary or malformed one is an InputError naming it."""
    try:
        return pd.read_csv(path, **kw)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a folder, expected a file") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file (expected a CSV file with columns {expected})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file (not UTF-8)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        msg = str(exc).strip().splitlines()
        raise InputError(f"{path}: not a readable CSV file ({msg[0] if msg else type(exc).__name__})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None


def read_text_csv(path: Path, expected: str, **kw) -> pd.DataFrame:
    """:func:`read_csv`, as Latin-1 text when the file is not UTF-8 (the raw text tasks' files)."""
    if "encoding" not in kw:
        try:
            read_bytes(path).decode("utf-8")
        except UnicodeDecodeError:
            kw["encoding"] = "latin-1"
    return read_csv(path, expected, **kw)


def trec_lines(classes, path: Path) -> tuple[list[str], list[str]]:
    """The labels and questions of a TREC file (``LABEL:fine question`` a line)."""
    raw = read_bytes(path).decode("latin-1").splitlines()
    labels, texts = [], []
    for n, ln in enumerate(raw, 1):
        ln = ln.strip()
        if not ln:
            continue
        lab, _, text = ln.partition(":")
        if lab not in classes:
            raise InputError(f"{path}, line {n}: unknown TREC label {lab!r} (expected LABEL:fine text, LABEL one of "
                             f"{', '.join(classes)})")
        labels.append(lab)
        texts.append(text.strip())
    if not labels:
        raise InputError(f"{path}: no questions")
    return labels, texts


def need_columns(df: pd.DataFrame, cols, path: Path, expected: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise InputError(f"{path}: no column {c!r} (expected {expected})")


def no_missing(df: pd.DataFrame, col: str, path: Path) -> None:
    miss = np.flatnonzero(df[col].isna().to_numpy())
    if miss.size:
        raise InputError(f"{path}, {csv_line(path, int(miss[0]))}: {col} is missing")


def csv_line(path: Path, r: int) -> str:
    """``"line N"``: where data row ``r`` (0-based, as pandas read it) of CSV file ``path`` starts.

    Not ``r + 2``: pandas skips blank and whitespace-only lines, and a quoted cell can span
    lines, so after either the row index names another line than the one at fault. Only called
    on an error, so the file is read again here (as the csv module splits it: the same records).
    Lines end as pandas ends them, at ``\\n``, ``\\r\\n`` or ``\\r`` (``str.splitlines`` also breaks at
    a form feed, ``\\x85`` (cp1252's "..." read as Latin-1) and ``\\u2028``: a quoted cell holding one
    moved every later line down); a line is blank, as for pandas, when it holds only spaces and
    tabs (a line ``""`` or of a no-break space is a row); a UTF-8 BOM is not part of the first line."""
    import csv
    import io

    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    last = [""]                        # the physical line the reader took last

    def lines():
        for line in io.StringIO(text, newline=""):   # universal newlines only, kept as written
            last[0] = line
            yield line

    reader = csv.reader(lines())
    seen, end = -1, 0                  # records read (the header is record -1); last line read
    try:
        for _record in reader:
            start, end = end + 1, reader.line_num
            if start == end and not last[0].strip(" \t\r\n"):
                continue               # a blank line (spaces and tabs at most): pandas skips it
            if seen == r:
                return f"line {start}"
            seen += 1
    except csv.Error:
        pass
    return f"row {r + 1}"              # the file no longer splits as pandas read it: its row


def _line(path: Path):
    return lambda r: csv_line(path, r)


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", re.ASCII)


def _number_text(x):
    """A CSV cell's text as the number it spells (``"3"``, ``"1.0"``; not Python's ``"1_0"``),
    else unchanged."""
    if not isinstance(x, str) or not _NUMBER.fullmatch(x):
        return x
    t = x.strip()
    return int(t) if t.lstrip("+-").isdigit() else float(t)


def int_column(df: pd.DataFrame, col: str, path: Path, low: int = 0, high: int | None = None,
               what: str = "a class id", where=None, text: bool = False) -> np.ndarray:
    """Column ``col`` as int64 class ids in ``low..high``; the first other value is an InputError
    naming where it is (``where(row)``: its line in a CSV file). ``text``: a CSV file's column,
    whose cells pandas reads as text when one of them is not a number: a cell spelling an
    integer is one there (else the error named the column's first cell, a valid ``"0"``, not the
    cell at fault); in JSON a ``"1"`` is text and refused."""
    where = where or _line(path)
    s = df[col]
    if s.dtype.kind in "iu":
        v = s.to_numpy(dtype=np.int64)
    else:
        vals = [class_id(_number_text(x) if text else x) for x in s.tolist()]
        bad = next((r for r, x in enumerate(vals) if x is None), None)
        if bad is not None:
            raise InputError(f"{path}, {where(bad)}: {col} {short(s.iloc[bad])} is not {what} (an integer)")
        v = np.asarray(vals, dtype=np.int64)
    out = (v < low) | ((v > high) if high is not None else False)
    if out.any():
        r = int(np.flatnonzero(out)[0])
        limit = f"below {low}" if v[r] < low else f"outside {low}..{high}"
        raise InputError(f"{path}, {where(r)}: {col} {int(v[r])} is {limit}")
    return v


def json_labels(df: pd.DataFrame, col: str, path: Path, classes: list[str]) -> np.ndarray:
    """Text-task labels in a JSON list of records: class ids ``0..len(classes)-1``."""
    return int_column(df, col, path, 0, len(classes) - 1, where=lambda r: f"record {r + 1}")


def json_records(path: Path, raw, cols) -> pd.DataFrame:
    """A JSON list of objects (or an object of columns) with ``cols`` as a DataFrame."""
    try:
        df = pd.DataFrame(raw)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: expected a list of objects with {', '.join(cols)} ({exc})") from None
    if isinstance(raw, dict) and not all(isinstance(v, list) for v in raw.values()):
        raise InputError(f"{path}: expected a list of objects with {', '.join(cols)}")
    for c in cols:
        if c not in df.columns:
            raise InputError(f"{path}: no field {c!r} (expected a list of objects with {', '.join(cols)})")
    return df
