"""Which row a vectorized LF's error names: the row at fault when its result shows one, the
batch's rows when it cannot (an exception, a result of the wrong shape or dtype), never the
batch's first row as if that row were to blame; ids as plain values."""

import numpy as np
import pandas as pd
import pytest

from weaklabel import LabelingFunction, apply_lfs
from weaklabel.errors import LFError

DF = pd.DataFrame({"k": np.arange(10, 20, dtype=np.int64), "text": list("abcdefghij")})


def _error(f, jobs=1, id_cols=("k",), batch_size=4) -> LFError:
    """The error of the vectorized LF ``f`` on DF (ids 10..19, batches of 4 rows: 0-3, 4-7, 8-9)."""
    with pytest.raises(LFError) as info:
        apply_lfs(DF, [LabelingFunction("vec", f, vectorized=True)], cardinality=2, jobs=jobs,
                  id_cols=list(id_cols) if id_cols else None, batch_size=batch_size)
    return info.value


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_out_of_range_vote_names_its_row_and_plain_id(jobs):
    e = _error(lambda d: np.where(d.k == 15, 7, -1), jobs=jobs)
    assert "returned 7 (int) [dtype int64] on row 5 (id=15);" in str(e)
    assert e.position == 5 and e.row_id == 15 and type(e.row_id) is int   # not np.int64(15)


def test_a_nan_among_float_votes_names_the_nan_row_not_the_batch_start():
    # np.where(..., np.nan, -1) makes every vote a float; the NaN is the mistake to show
    e = _error(lambda d: np.where(d.k == 15, np.nan, -1), batch_size=10)
    assert "returned nan (float) [dtype float64] on row 5 (id=15);" in str(e)
    assert e.position == 5 and e.row_id == 15


@pytest.mark.parametrize("make", [lambda d: [1.5 if k == 16 else -1 for k in d.k],
                                  lambda d: pd.Series([None if k == 16 else -1 for k in d.k]),
                                  lambda d: np.where(d.k == 16, 3.0, -1.0)])
def test_a_non_integral_missing_or_out_of_range_float_vote_names_its_row(make):
    e = _error(make, batch_size=10)
    assert "on row 6 (id=16);" in str(e) and e.position == 6 and e.row_id == 16


def test_multi_column_ids_are_plain_values():
    e = _error(lambda d: np.where(d.k == 12, 5, -1), id_cols=("k", "text"))
    assert "on row 2 (id=(12, 'c'));" in str(e)
    assert e.row_id == (12, "c") and type(e.row_id[0]) is int


@pytest.mark.parametrize("make, shown", [
    (lambda d: (d.k >= 0).to_numpy(), "returned votes of dtype bool on rows 4-7;"),
    (lambda d: np.full(len(d), -1.0), "returned votes of dtype float64 on rows 4-7;"),
    (lambda d: np.full(len(d), "1"), "returned votes of dtype <U1 on rows 4-7;"),
])
def test_votes_of_a_wrong_dtype_name_the_batch_when_no_row_stands_out(make, shown):
    # every vote is as wrong as the others: the first row is not the one at fault
    e = _error(lambda d: make(d) if d.k.iloc[0] >= 14 else np.full(len(d), -1))
    assert shown in str(e) and e.position == 4 and e.row_id is None


def test_an_exception_names_the_batch_not_its_first_row():
    def boom(d):
        if d.k.iloc[0] >= 14:
            raise ZeroDivisionError("division by zero")
        return np.full(len(d), -1)

    e = _error(boom)
    assert str(e) == "LF 'vec' raised ZeroDivisionError: division by zero (vectorized, batch from row 4) on rows 4-7"
    assert e.position == 4 and e.row_id is None
    # the last batch is shorter
    e = _error(lambda d: 1 / 0 if d.k.iloc[0] >= 18 else np.full(len(d), -1))
    assert str(e).endswith("(vectorized, batch from row 8) on rows 8-9")


@pytest.mark.parametrize("make, shown", [
    (lambda d: np.zeros(len(d) - 1, dtype=int), "returned (3,)-shaped votes for a batch of 4 rows"),
    (lambda d: np.zeros((len(d), 2), dtype=int), "returned (4, 2)-shaped votes for a batch of 4 rows"),
    (lambda d: None, "returned None (NoneType) for a batch of 4 rows"),   # a forgotten return
    (lambda d: 1, "returned 1 (int) for a batch of 4 rows"),
])
def test_a_result_of_the_wrong_shape_names_the_batch(make, shown):
    e = _error(lambda d: make(d) if d.k.iloc[0] >= 14 else np.full(len(d), -1))
    assert shown in str(e) and "on rows 4-7;" in str(e) and "on row 4" not in str(e)


def test_a_batch_of_one_row_says_so():
    e = _error(lambda d: 1 / 0, batch_size=1)
    assert str(e).endswith("on row 0 (a batch of one)")


def test_a_row_wise_numpy_vote_is_shown_as_a_plain_value():
    lf = LabelingFunction("row", lambda x: np.int64(7) if x.k == 13 else -1)
    with pytest.raises(LFError, match=r"LF 'row' returned 7 \(int64\) on row 3 \(id=13\);"):
        apply_lfs(DF, [lf], cardinality=2, id_cols=["k"])
