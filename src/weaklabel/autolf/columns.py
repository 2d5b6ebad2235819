"""Which columns of a table the numeric rules read by default, and which they leave out.

Left out of the default features (each with a note; ``--features`` / ``feature_names`` still
take any of them by name):

* **row ids** (:func:`id_like`): a rule on an id splits the rows by their order in the file;
* **numbers stored as text** (a Parquet file keeps them as text; a CSV reader parses them);
* **the label under another name** (:func:`label_leaks`): a column holding one value per class
  on the labelled rows (a copy or a coding of the label: ``label_id`` next to ``label``), or
  given on the labelled rows only (filled in with the labels: an annotator, a label date). Rules
  on it are perfect on the labelled rows and vote on no other row, or vote the answer where the
  column happens to be filled in.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: fewer rows than this: a column of consecutive whole numbers is not taken for row numbers (:func:`id_like`)
MIN_ROWS_NUMBERED = 50

ID_WORDS = frozenset({"id", "ids", "idx", "index", "key", "uuid", "guid", "pk", "rowid"})
"""Last words of a column name that mark a row id (``review_id``, ``reviewId``, ``ID``, ``idx``)."""

_UNNAMED = re.compile(r"Unnamed: \d+(_level_\d+)?|level_\d+|")
"""Names pandas gives a saved index: a CSV column without a header (``df.to_csv(path)`` then
``read_csv``), ``reset_index()`` of a MultiIndex; or no name at all."""


def id_like(s: pd.Series, name: object) -> bool:
    """Whether a numeric column is a row id rather than a feature: whole numbers, none missing,
    all distinct, and named like an id (last word in :data:`ID_WORDS`, or the name pandas gives a
    saved index: ``Unnamed: 0``) or numbering the rows (consecutive from 0 or 1). A rule on an id
    only splits the rows by their order in the file: spurious. (A saved index of a filtered or
    shuffled table is not consecutive: it was a default feature, and a table sorted by class gave
    ``Unnamed: 0 > 356 -> malignant``, perfect on the labelled rows.)"""
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype) or len(s) < 2:
        return False
    if s.isna().any():
        return False
    v = s.to_numpy(dtype=float)
    if not (np.isfinite(v).all() and (v == np.round(v)).all()) or pd.Series(v).duplicated().any():
        return False
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", str(name))
    named = (bool(words) and words[-1].lower() in ID_WORDS) or bool(_UNNAMED.fullmatch(str(name).strip()))
    # numbering the rows: only on enough rows that an ordinary feature (a rank among a few labelled
    # rows) is unlikely to be a permutation of 1..n by chance
    return named or (len(v) >= MIN_ROWS_NUMBERED and v.min() in (0.0, 1.0) and v.max() - v.min() == len(v) - 1)


def default_features(frame: pd.DataFrame, exclude=()) -> tuple[list[str], list[str], list[str]]:
    """The default numeric feature columns of ``frame`` (all numeric, non-boolean columns but
    ``exclude``), and what was left out that a user may want: ``(features, ids, text_numbers)``
    with ``ids`` the :func:`id_like` columns and ``text_numbers`` the columns of numbers stored
    as text (a Parquet file keeps them as text; a CSV reader parses them). Name either in
    ``--features`` / ``feature_names`` to use it."""
    from ..io import numbers_as_text

    skip = set(exclude)
    numeric = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    ids = [c for c in numeric if id_like(frame[c], c)]
    feats = [c for c in numeric if c not in ids]
    return feats, ids, numbers_as_text(frame, exclude=list(skip))


def _show(cols) -> str:
    return ", ".join(repr(str(c)) for c in cols)


def left_out_notes(ids, text_numbers, option: str = "--features") -> list[str]:
    """One note per kind of column :func:`default_features` left out, naming them."""
    notes = []
    if ids:
        notes.append(f"left out of the default features: {_show(ids)} (whole numbers, all distinct: a row id; "
                     f"rules on it are spurious); name {'it' if len(ids) == 1 else 'them'} in {option} to use "
                     f"{'it' if len(ids) == 1 else 'them'}")
    if text_numbers:
        notes.append(f"left out of the default features: {_show(text_numbers)} (numbers stored as text); name "
                     f"{'it' if len(text_numbers) == 1 else 'them'} in {option} to read "
                     f"{'it' if len(text_numbers) == 1 else 'them'} as numbers")
    return notes


LABEL_COPY = "one value per class on the labelled rows: the label under another name"
LABELLED_ONLY = "given on the labelled rows only"


def label_leaks(labeled: pd.DataFrame, y: np.ndarray, unlabeled: pd.DataFrame | None,
                cols) -> dict[str, str]:
    """The columns of ``cols`` that give the label away, with why (:data:`LABEL_COPY`,
    :data:`LABELLED_ONLY`): on the labelled rows (``labeled``, classes ``y``) every value given,
    the same value within a class and different values for different classes (``label_id``
    beside ``label``, ``is_spam`` beside ``spam``/``ham``); or a value on some labelled rows and
    none on the unlabelled ones (``unlabeled``; filled in when the row was labelled). Needs 2
    labelled rows of some class, so that one value per class is not one value per row."""
    y = np.asarray(y)
    out: dict[str, str] = {}
    if y.size == 0 or np.bincount(y).max() < 2:
        return out
    for c in cols:
        x = pd.to_numeric(labeled[c], errors="coerce").to_numpy(dtype=float)
        if unlabeled is not None and len(unlabeled) and c in unlabeled.columns and not np.isnan(x).all() \
                and pd.to_numeric(unlabeled[c], errors="coerce").isna().all():
            out[c] = LABELLED_ONLY
            continue
        if np.isnan(x).any():
            continue
        per_class = pd.Series(x).groupby(y).agg(["min", "max"])
        if (per_class["min"] == per_class["max"]).all() and not per_class["min"].duplicated().any():
            out[c] = LABEL_COPY
    return out


def leak_notes(leaks: dict[str, str], label: str, option: str = "--features", chosen: bool = False) -> list[str]:
    """One note per kind of :func:`label_leaks` column: left out of the default features, or
    (``chosen``: named by the user, kept) a warning."""
    notes = []
    for why in (LABEL_COPY, LABELLED_ONLY):
        cols = [c for c, w in leaks.items() if w == why]
        if not cols:
            continue
        it = "it" if len(cols) == 1 else "them"
        effect = ("rules on it are perfect on the labelled rows and vote the answer wherever it is filled in"
                  if why == LABEL_COPY else "rules on it never vote on the unlabelled rows")
        effect = effect.replace(" it ", f" {it} ") if len(cols) > 1 else effect
        if chosen:
            notes.append(f"{option} {_show(cols)}: {why} ({label}); {effect}")
        else:
            notes.append(f"left out of the default features: {_show(cols)} ({why}, {label}; {effect}); "
                         f"name {it} in {option} to use {it}")
    return notes
