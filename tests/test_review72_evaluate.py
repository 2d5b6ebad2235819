"""Review of 1252578 (labels files checked before scoring): huge values in the messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from weaklabel.errors import InputError
from weaklabel.metrics import LabelScores

from test_evaluate_hunt import good_columns, raw_labels, run
from conftest import one_line_error


@pytest.fixture
def gold(tmp_path):
    p = tmp_path / "gold.csv"
    pd.DataFrame({"label": [0, 1, 1, 0, 1, 1]}).to_csv(p, index=False)
    return p


@pytest.mark.parametrize("column, value, shown", [
    ("prob_0", 1e300, "column 'prob_0' is 1e+300 at row 2"),
    ("label", 1e20, "column 'label' is 1e+20 at row 2"),
    ("label", -1e18, "column 'label' is -1e+18 at row 2"),
])
def test_a_huge_value_is_named_in_a_short_message(tmp_path, gold, column, value, shown):
    """A whole number was written out digit by digit: a probability 1e300 became a 301-digit
    number in the error line."""
    cols = good_columns()
    arr = np.asarray(cols[column], dtype=np.float64).copy()
    arr[2] = value
    cols[column] = pa.array(arr)
    line = one_line_error(run("evaluate", raw_labels(tmp_path / "l.parquet", cols), "--gold", gold))
    assert shown in line and len(line) < 300


def test_label_scores_error_stays_short_with_many_classes():
    """``LabelScores.add``'s error printed every probability of the row: 5,000 numbers on one line
    with K = 5,000."""
    K = 5000
    proba = np.full((3, K), 1.0 / K)
    proba[1, 0] = np.nan
    acc = LabelScores(K)
    with pytest.raises(InputError, match="row 1") as exc:
        acc.add(np.array([0, 1, 2]), proba, np.array([0, 1, 2]))
    assert len(str(exc.value)) < 400 and "\n" not in str(exc.value) and "prob_0" in str(exc.value)
    with pytest.raises(InputError, match=r"label 7000") as exc:
        acc.add(np.array([0, 1, 2]), np.full((3, K), 1.0 / K), np.array([0, 7000, 2]))
    assert len(str(exc.value)) < 400
