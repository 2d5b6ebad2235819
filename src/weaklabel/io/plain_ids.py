"""Notes on the id columns of a Parquet votes file without weaklabel metadata that look like an
LF's votes (:func:`vote_like_id_notes`).

Such a file takes its id columns by name (``id``, ``index``, ``item``, ``row``, or ending in
``_id``) or type (not integer): :func:`~.votes_file.votes_layout`. An LF named ``doc_id``, or one
whose votes were written as class names (``"pos"``, ``"neg"``), is then read as ids and left out
of every figure without a word (``analyze`` showed one LF fewer, exit 0). The rule stays (ids
named so are ids); the note says which column was read as ids and why it looks like votes.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from .votes_file import _ID_NAME_RULE, _is_id_name, pandas_index_columns

#: a text column read as ids is noted when its values repeat and it has at most this many of them
#: (class names, not ids)
FEW_VALUES = 100


def vote_like_id_notes(where, schema: pa.Schema, ids: Sequence[str], ranges: dict | None = None,
                       frame: pd.DataFrame | None = None, n_rows: int | None = None) -> list[str]:
    """Notes on the id columns ``ids`` of a plain votes file (``schema``) that look like votes:

    * an integer column taken for ids by its name that holds ``-1`` (the abstain code) and no
      value below it (``ranges``: ``{column: (min, max)}``, e.g. from row-group statistics; or
      taken from ``frame``, the ids as read), over more rows (``n_rows``, or ``frame``'s) than
      ``-1..max`` has values: they repeat, as an LF's votes do (ids ``-1, 0, 1, ...``, all
      different, are ids);
    * a text (or dictionary) column taken for ids by its type, whose values repeat and are few
      (at most :data:`FEW_VALUES`): an LF's votes written as class names, or a column such as
      ``split`` (``frame`` only: it needs the values); either way the values cannot identify rows;
      not when the file's other id columns need it to (``item``, ``worker``: a row per answer).
    """
    if n_rows is None and frame is not None:
        n_rows = len(frame)
    notes: list = []                  # texts, and (column,) for a column of few repeated values
    few: dict = {}
    index = set(pandas_index_columns(schema))
    for name in ids:
        if name not in schema.names or name in index:
            continue
        t = schema.field(name).type
        if pa.types.is_integer(t) and _is_id_name(name):
            lo_hi = (ranges or {}).get(name)
            if lo_hi is None and frame is not None and name in frame.columns and frame[name].notna().any():
                col = frame[name]
                lo_hi = (int(col.min()), int(col.max()))
            if lo_hi is not None and lo_hi[0] == -1 and (n_rows is None or lo_hi[1] + 2 < n_rows):
                other = (name[:-3] if name.lower().endswith("_id") else name) + "_lf"
                notes.append(f"{where}: column {name!r} is read as row ids (a Parquet file without weaklabel "
                             f"metadata takes a column for ids by its name: {_ID_NAME_RULE}), but it holds -1, the "
                             f"abstain code, and values up to {lo_hi[1]:,}, like an LF's votes; if it is an LF, "
                             f"rename it (e.g. df.rename(columns={{{name!r}: {other!r}}}) in pandas)")
        elif frame is not None and name in frame.columns and _texts(t):
            values = frame[name].dropna()
            if len(pd.unique(values.iloc[:10 * FEW_VALUES])) > FEW_VALUES:   # ids: no pass over them all
                continue
            uniq = pd.unique(values)
            if len(uniq) < len(values) and len(uniq) <= FEW_VALUES:
                few[name] = uniq
                notes.append((name,))         # its note, once the other id columns are known
    # a column of few repeated values that the other id columns (other than such columns) need to tell rows
    # apart is a part of the rows' ids (``item``, ``worker``: a row per answer), not votes
    others = [c for c in ids if c not in few and frame is not None and c in frame.columns]
    if few and others and not _unique(frame[others]):
        few = {}
    return [n if isinstance(n, str) else _class_names_note(where, n[0], few[n[0]]) for n in notes
            if isinstance(n, str) or n[0] in few]


def _class_names_note(where, name, uniq) -> str:
    shown = ", ".join(repr(str(v)) for v in sorted(map(str, uniq))[:3]) + (", ..." if len(uniq) > 3 else "")
    return (f"{where}: column {name!r} is read as row ids (a Parquet file without weaklabel metadata "
            f"takes non-integer columns for ids), but its values repeat ({len(uniq):,} distinct: "
            f"{shown}), like an LF's votes written as class names; if it is an LF, write its votes "
            f"as class ids 0..K-1 with -1 for abstain (an integer column)")


def _unique(ids: pd.DataFrame) -> bool:
    """Whether the rows of ``ids`` all differ: the other id columns identify the rows without the
    column noted (else it is a part of the rows' ids). An index's check: sorted ids cost no hashing."""
    if ids.shape[1] == 1:
        return bool(pd.Index(ids.iloc[:, 0]).is_unique)
    return not bool(ids.duplicated().any())


def _texts(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


#: names of gold-label columns (compared stripped, in any case)
GOLD_NAMES = frozenset({"label", "labels", "y", "y_true", "gold", "gold_label", "true_label", "target", "truth"})


def gold_like_lf_notes(where, lf_names: Sequence[str]) -> list[str]:
    """Notes on a plain votes file's LF columns named like gold labels (``label``, ``y``, ``gold``,
    ...): ``df["label"] = Y`` saved beside Snorkel's ``L`` is an integer column, so an LF, and the
    label model fitted its gold labels as one more source (analyze showed it as an LF, exit 0)."""
    return [f"{where}: column {name!r} is read as an LF's votes (a Parquet file without weaklabel metadata takes its "
            "integer columns for LFs), but it is named like gold labels; if it holds them, drop it from the votes "
            "(an LF that is the truth makes every figure and fit wrong) and give it as --gold (analyze) or --dev (fit)"
            for name in lf_names if str(name).strip().lower() in GOLD_NAMES]
