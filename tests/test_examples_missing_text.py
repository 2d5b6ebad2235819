"""The example LF file (the README's starting point for new LFs) abstains on a review without
text instead of raising (row-wise LFs: ``'float' object has no attribute 'lower'``; vectorized
ones on pandas 2: a NaN vote; ``shouting`` on ``pd.NA`` text, as ``df.convert_dtypes()`` or a
nullable-dtype read gives), and votes as before on every other row."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import weaklabel

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "reviews"


@pytest.mark.parametrize("dtype, holes", [(object, (None, np.nan)), ("string", (pd.NA,)),
                                          ("string[pyarrow]", (pd.NA,))])
def test_missing_text_abstains_and_other_rows_keep_their_votes(dtype, holes):
    lfs = weaklabel.load_lfs(EXAMPLE / "lfs.py")
    df = pd.read_parquet(EXAMPLE / "reviews.parquet")
    full = weaklabel.apply_lfs(df, lfs.lfs, cardinality=2).to_dense()
    emptied = df.copy()
    emptied["text"] = emptied["text"].astype(dtype)
    missing = [3, 10, 11]
    for i, r in enumerate(missing):
        emptied.loc[r, "text"] = holes[i % len(holes)]
    got = weaklabel.apply_lfs(emptied, lfs.lfs, cardinality=2).to_dense()     # on_error="raise"
    assert (got[missing] == -1).all()
    keep = np.setdiff1d(np.arange(len(df)), missing)
    assert np.array_equal(got[keep], full[keep])
    assert (full[missing] != -1).any()      # the rows emptied had votes: the test can fail
