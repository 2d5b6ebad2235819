"""pandas frames of input tables: a saved pandas index asked for by name kept as a column
(:func:`index_columns_back`), numbers written as text (:func:`numbers_as_text`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def index_columns_back(df: pd.DataFrame, asked: Sequence) -> pd.DataFrame:
    """``df`` (a batch of a Parquet file read through pandas) with the columns of ``asked`` that
    pandas put in its index put back as columns. ``df.set_index("id").to_parquet()`` saves the
    index as a column ``id`` that the file's schema lists, but reading it back through pandas makes
    it the index again: a gold file saved so had no ``id`` column once read, and was matched with
    the votes by position (wrong figures, exit 0), or failed with a ``KeyError``."""
    names = [n for n in df.index.names if n is not None]
    back = [n for n in names if n in asked and n not in df.columns]
    if not back:
        return df
    return df.reset_index(level=back if len(back) < df.index.nlevels else None)


def numbers_as_text(df: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Text columns (besides ``exclude``) whose values are all numbers written as text
    (``"0.83"``): a CSV reader parses them as numbers, a Parquet or JSON Lines file keeps them as
    text, so a command that takes numeric columns by default leaves them out; the caller says so."""
    out, skip = [], set(exclude)
    for c in df.columns:
        s = df[c]
        if c in skip or not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
            continue
        s = s[s.notna()]
        if s.size and not isinstance(s.iloc[0], (list, tuple, dict, np.ndarray)):
            try:   # the first values first: a column of prose is ruled out without a pass over it
                if pd.to_numeric(s.iloc[:100], errors="coerce").isna().any():
                    continue
                conv = pd.to_numeric(s, errors="coerce")
            except (TypeError, ValueError):
                continue
            if not conv.isna().any():
                out.append(str(c))
    return out
