"""The example LF file (the README's starting point for new LFs) abstains on a review without
text instead of raising (row-wise LFs: ``'float' object has no attribute 'lower'``; vectorized
ones on pandas 2: a NaN vote), and votes as before on every other row."""

from pathlib import Path

import numpy as np
import pandas as pd

import weaklabel

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "reviews"


def test_missing_text_abstains_and_other_rows_keep_their_votes():
    lfs = weaklabel.load_lfs(EXAMPLE / "lfs.py")
    df = pd.read_parquet(EXAMPLE / "reviews.parquet")
    full = weaklabel.apply_lfs(df, lfs.lfs, cardinality=2).to_dense()
    holes = df.copy()
    holes["text"] = holes["text"].astype(object)
    missing = [3, 10, 11]
    holes.loc[missing[0], "text"] = None
    holes.loc[missing[1:], "text"] = np.nan
    got = weaklabel.apply_lfs(holes, lfs.lfs, cardinality=2).to_dense()     # on_error="raise"
    assert (got[missing] == -1).all()
    keep = np.setdiff1d(np.arange(len(df)), missing)
    assert np.array_equal(got[keep], full[keep])
    assert (full[missing] != -1).any()      # the rows emptied had votes: the test can fail
