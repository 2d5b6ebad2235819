"""Review of 35acebe (bench datasets checked before any model runs): the WRENCH checks' cost."""

from __future__ import annotations

import json

import numpy as np
import pytest

from weaklabel.bench import validate as V
from weaklabel.errors import InputError


def _raw(n: int = 2000, m: int = 20, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    L = rng.integers(-1, 3, size=(n, m))
    y = rng.integers(-1, 3, size=n)
    return {str(i): {"label": (None if y[i] == -1 and i % 2 else int(y[i])), "weak_labels": L[i].tolist(),
                     "data": {"text": "t"}} for i in range(n)}


def test_a_clean_file_is_not_checked_one_value_at_a_time(monkeypatch, tmp_path):
    """``wrench_examples`` called ``class_id`` (isinstance checks in Python) on every weak label:
    200,000 examples of 50 LFs took 3.6 s to check against 0.3 s to convert (a 10^7-vote WRENCH
    file), the whole load 5.4 s. A well-formed file is now checked by the types it holds and by
    numpy (0.7 s); the per-value path only runs to find and name a fault."""
    raw = json.loads(json.dumps(_raw()))
    calls = []
    real = V.class_id
    monkeypatch.setattr(V, "class_id", lambda v: calls.append(v) or real(v))
    ids, L, y = V.wrench_examples(tmp_path / "train.json", raw)
    assert len(calls) < 100                       # was n * m + n = 42,000
    assert ids == list(raw) and L.shape == (2000, 20) and L.dtype == np.int64 and y.dtype == np.int64
    np.testing.assert_array_equal(L, [ex["weak_labels"] for ex in raw.values()])
    np.testing.assert_array_equal(y, [-1 if ex["label"] is None else ex["label"] for ex in raw.values()])


@pytest.mark.parametrize("edit", [
    lambda ex: ex.update(label=1.0),                          # a whole float: accepted, as 1
    lambda ex: ex.pop("label"),                               # no label: -1
    lambda ex: ex["weak_labels"].__setitem__(0, 2.0),         # a whole float weak label: accepted
    lambda ex: ex.update(label=True),                         # refused (a bool)
    lambda ex: ex["weak_labels"].__setitem__(1, False),       # refused
    lambda ex: ex["weak_labels"].__setitem__(1, -2),          # refused
    lambda ex: ex["weak_labels"].__setitem__(1, 2 ** 70),     # refused (no overflow traceback)
    lambda ex: ex.update(label=2 ** 40),                      # refused (above MAX_CLASS_ID)
    lambda ex: ex["weak_labels"].append(0),                   # refused: another length
    lambda ex: ex.update(weak_labels=(0, 1)),                 # refused: not a list
    lambda ex: ex.pop("weak_labels"),                         # refused
    lambda ex: ex["weak_labels"].__setitem__(0, "1"),         # refused: text
], ids=["float-label", "no-label", "float-weak", "bool-label", "bool-weak", "minus-two", "huge-weak",
        "huge-label", "length", "tuple", "missing", "text"])
def test_the_fast_path_agrees_with_the_checks_value_by_value(monkeypatch, tmp_path, edit):
    """Whatever the file, the result (or the error) is the one the value-by-value checks give."""
    raw = _raw(50, 4, seed=1)
    edit(raw["17"])

    def outcome():
        try:
            return V.wrench_examples(tmp_path / "train.json", raw)
        except InputError as exc:
            return str(exc)

    fast = outcome()
    monkeypatch.setattr(V, "_clean_examples", lambda examples: None)
    slow = outcome()
    if isinstance(slow, str):
        assert fast == slow and "example '17'" in slow
    else:
        assert fast[0] == slow[0]
        np.testing.assert_array_equal(fast[1], slow[1])
        np.testing.assert_array_equal(fast[2], slow[2])


# --------------------------------------------------------------------------- CSV columns
def _crowd(root, label: str, truth: str = "item,truth\n1,0\n2,1\n3,1\n"):
    p = root / "crowd" / "toy"
    p.mkdir(parents=True, exist_ok=True)
    (p / "label.csv").write_text(label)
    (p / "truth.csv").write_text(truth)
    return p


@pytest.mark.parametrize("label, truth, match", [
    # one cell that is not a number makes pandas read the whole column as text: the error named
    # the first cell ("0", line 2, a valid label) instead of the one at fault
    ("item,worker,label\n1,1,0\n1,2,1\n2,1,x\n3,1,1\n", None, r"label\.csv, line 4: label \"x\" is not a class id"),
    ("item,worker,label\n1,1,0\n1,2,1.5\n2,1,y\n", None, r"label\.csv, line 3: label \"1\.5\" is not a class id"),
    ("item,worker,label\n1,1,0\n1,2,1\n2,1,1\n", "item,truth\n1,0\n2,1\n3,spam\n",
     r"truth\.csv, line 4: truth \"spam\" is not a class id"),
    ("item,worker,label\n1,1,0\n1,2,1\n2,1,9\n3,1,z\n", None, r"label\.csv, line 5: label \"z\" is not a class id"),
])
def test_a_bad_csv_cell_is_the_one_named(tmp_path, label, truth, match):
    from weaklabel.bench import datasets as D

    p = _crowd(tmp_path, label, *([truth] if truth else []))
    with pytest.raises(InputError, match=match):
        D.load_crowd(p)


def test_json_text_labels_are_still_refused(tmp_path):
    """In JSON a label "1" is text, not a number: refused as before (only a CSV cell is text
    because of its neighbours)."""
    import pandas as pd

    df = pd.DataFrame({"label": [0, "1", 1]}, dtype=object)
    with pytest.raises(InputError, match=r"record 2: label \"1\" is not a class id"):
        V.json_labels(df, "label", tmp_path / "dev_data.json", ["negative", "positive"])
