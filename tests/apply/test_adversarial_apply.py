"""Adversarial regressions for `apply`: inputs read as written, `--update` that notices every
edit that decides an LF's votes, and the same votes from the Python API as from the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from weaklabel import LabelingFunction, apply_file, apply_lfs
from weaklabel.lf.loading import load_lfs

LF_FILE = '''
import functools
import numpy as np
from weaklabel import ABSTAIN, labeling_function

CLASSES = ["neg", "pos"]
TH = np.int64({th})
EDGES = np.array([{th}, 9])


@functools.lru_cache(maxsize=None)
def words():
    return frozenset({{"{word}"}})


class Rules:
    @staticmethod
    def hit(text):
        return "{word}" in text


@labeling_function
def base(x):
    return 1 if "{word}" in x.text else ABSTAIN


@labeling_function
def cached(x):
    return 1 if any(w in x.text for w in words()) else ABSTAIN


@labeling_function
def by_class(x):
    return 1 if Rules.hit(x.text) else ABSTAIN


@labeling_function
def calls_lf(x):
    return base(x)


@labeling_function
def np_scalar(x):
    return 1 if x.stars > TH else ABSTAIN


@labeling_function
def np_array(x):
    return 1 if x.stars > EDGES[0] else ABSTAIN


@labeling_function
def recursive(x):
    return 0 if recursive is None else ABSTAIN
'''


def _hashes(path, **values):
    path.write_text(LF_FILE.format(**values))
    return {lf.name: lf.source_hash for lf in load_lfs(path).lfs}


@pytest.mark.parametrize("lf", ["cached", "by_class", "calls_lf", "np_scalar", "np_array"])
def test_update_sees_edits_behind_decorators_classes_lfs_and_numpy(tmp_path, lf):
    """An edit to what an LF reads from its own file (a helper behind ``functools.lru_cache``, a
    helper class, another LF it calls, a NumPy constant) changes its hash, so `--update` reruns it
    instead of copying its stale votes."""
    before = _hashes(tmp_path / "lfs.py", th=3, word="great")
    after = _hashes(tmp_path / "lfs.py", th=4, word="awful")
    assert before[lf] != after[lf]
    assert before["recursive"] == after["recursive"]   # an LF naming itself: no endless recursion


def test_update_reruns_lf_whose_cached_helper_changed(tmp_path):
    data = tmp_path / "d.parquet"
    pd.DataFrame({"text": ["great", "awful", "x"], "stars": [5, 1, 3]}).to_parquet(data)
    lfs, out = tmp_path / "lfs.py", tmp_path / "v.parquet"
    lfs.write_text(LF_FILE.format(th=3, word="great"))
    apply_file(lfs, data, out, jobs=1)
    lfs.write_text(LF_FILE.format(th=3, word="awful"))
    s = apply_file(lfs, data, out, jobs=1, update=True)
    assert "cached" in s.ran and "by_class" in s.ran and "calls_lf" in s.ran
    fresh = tmp_path / "fresh.parquet"
    apply_file(lfs, data, fresh, jobs=1)
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(fresh))


def test_jsonl_text_keeps_its_type(tmp_path):
    """A JSON string stays a string: ids "007" and "7" are two ids (pandas' inference read both as
    the number 7), numbers stay numbers, a column named like a date is not turned into dates."""
    data = tmp_path / "d.jsonl"
    rows = [{"id": "007", "code": "12", "created_at": 1700000000, "text": "great"},
            {"id": "7", "code": "x", "created_at": 1700000001, "text": "great"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    lfs = tmp_path / "lfs.py"
    lfs.write_text("from weaklabel import labeling_function\nCLASSES = ['a', 'b']\n"
                   "@labeling_function\ndef f(x):\n"
                   "    assert x.code == '12' or x.code == 'x', repr(x.code)\n"
                   "    assert type(x.created_at) is int, repr(x.created_at)\n"
                   "    return 1\n")
    out = tmp_path / "v.parquet"
    apply_file(lfs, data, out, id_cols="id", jobs=1)
    assert pd.read_parquet(out)["id"].tolist() == ["007", "7"]


def test_apply_lfs_batches_like_apply_file(tmp_path):
    """A vectorized LF returning ``pd.Series(array)`` (a fresh 0..b-1 index) works in every batch of
    `apply_lfs`, as in `apply_file`, whose batches are indexed from 0."""
    df = pd.DataFrame({"n": np.arange(10)})
    lf = LabelingFunction("even", lambda d: pd.Series(np.where(d["n"] % 2 == 0, 1, -1)), vectorized=True)
    votes = apply_lfs(df, [lf], cardinality=2, batch_size=4)
    assert votes.to_dense().ravel().tolist() == [1, -1] * 5


def test_csv_column_read_as_numbers_then_text_is_refused(tmp_path):
    """pandas infers a CSV's types per batch: a column of ``7`` then ``x`` was 7 (int) in the first
    batch and '7' (text) in the next, so an LF's votes on the same row depended on --batch-size.
    Refused with one error naming the file, the column and the rows, rather than silently."""
    from weaklabel.errors import InputError

    data = tmp_path / "d.csv"
    pd.DataFrame({"code": ["7"] * 150 + ["x"] * 150, "text": ["a"] * 300}).to_csv(data, index=False)
    lfs = tmp_path / "lfs.py"
    lfs.write_text("from weaklabel import labeling_function, ABSTAIN\nCLASSES = ['a', 'b']\n"
                   "@labeling_function\ndef code7(x):\n    return 1 if x.code == '7' else ABSTAIN\n")
    apply_file(lfs, data, tmp_path / "one_batch.parquet", jobs=1, batch_size=1000)   # one batch: one type
    with pytest.raises(InputError, match=r"d\.csv: column 'code' is read as numbers from row 0 but as text in rows 100"):
        apply_file(lfs, data, tmp_path / "v.parquet", jobs=1, batch_size=100)
    assert not (tmp_path / "v.parquet").exists()


def test_update_refuses_out_of_range_votes_in_the_old_output(tmp_path):
    """`--update` copies the unchanged LFs' columns from the existing output: a vote there outside
    the classes (a damaged or edited file) is refused, not laundered into a fresh file whose
    metadata then vouches for it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from weaklabel.errors import InputError

    data = tmp_path / "d.parquet"
    pd.DataFrame({"text": ["great", "awful", "x"], "stars": [5, 1, 3]}).to_parquet(data)
    lfs, out = tmp_path / "lfs.py", tmp_path / "v.parquet"
    lfs.write_text(LF_FILE.format(th=3, word="great"))
    apply_file(lfs, data, out, jobs=1)
    kv = pq.read_metadata(out).metadata
    t = pq.read_table(out)
    col = t.column("np_scalar").to_numpy().copy()
    col[1] = 5
    i = t.schema.get_field_index("np_scalar")
    t = t.set_column(i, t.schema.field(i), pa.array(col, t.schema.field(i).type))
    pq.write_table(t.replace_schema_metadata({k: v for k, v in kv.items() if k != b"ARROW:schema"}), out)
    lfs.write_text(LF_FILE.format(th=3, word="awful"))   # np_scalar unchanged: its column is reused
    with pytest.raises(InputError, match=r"LF 'np_scalar' has vote 5 in row 1, not an int in -1\.\.1"):
        apply_file(lfs, data, out, jobs=1, update=True)
