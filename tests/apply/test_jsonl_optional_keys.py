"""JSON Lines records with optional keys: the columns are the union of the records' keys, and an LF
sees the same value for a row whatever ``--batch-size`` is. The columns were the first record's:
a key it lacked was no column (``--id-col``, ``--keep-cols``: "no column"), and a batch in which no
record held a key lacked that column (the LF failed with ``--batch-size 1`` and worked with 1000),
while a numeric key was int64 in a batch where every record held it (``5``) and float64 in one
where some record did not (``5.0``)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS
from weaklabel import apply_file
from weaklabel.cli import app

LFS = '''
import numpy as np
from weaklabel import ABSTAIN, labeling_function
CLASSES = ["neg", "pos"]

@labeling_function
def tagged(x):                       # "tag": text, absent from the first record
    return 1 if isinstance(x.tag, str) and x.tag == "pos" else ABSTAIN

@labeling_function
def five_stars(x):                   # "stars": numbers (5, 2.5), absent from some records
    if x.stars != x.stars:
        return ABSTAIN
    return 1 if repr(x.stars) == "5.0" else 0     # int 5 and float 5.0 read differently

@labeling_function
def uid_lf(x):                       # "uid": the id column, absent from the first record
    return 0 if isinstance(x.uid, str) and x.uid.endswith("3") else ABSTAIN

@labeling_function
def flagged(x):                      # "flag": booleans, absent from some records
    return 1 if x.flag is True else (0 if x.flag is False else ABSTAIN)

@labeling_function
def mixed(x):                        # "mix": numbers beside text
    if x.mix != x.mix:
        return ABSTAIN
    return 1 if type(x.mix).__name__ == "float" else (0 if isinstance(x.mix, str) else ABSTAIN)

@labeling_function(vectorized=True)
def log_stars(d):                    # vectorized: the column must be numeric in every batch
    s = np.log1p(d["stars"].to_numpy(dtype=float, na_value=np.nan))
    return np.where(np.isnan(s), -1, (s > 1.5).astype(int))
'''

ROWS = [
    {"text": "first, without most keys"},
    {"uid": "u1", "text": "b", "tag": "pos", "stars": 5, "flag": True, "mix": 1},
    {"uid": "u2", "text": "c", "stars": 2.5},
    {"uid": "u3", "text": "d", "tag": "neg", "stars": 5, "mix": "x"},
    {"uid": "u4", "text": "e", "flag": False},
    {"uid": "u5", "text": "f", "stars": 1, "mix": 2},
    {"uid": "u6", "text": "g", "tag": None, "stars": None},
]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (tmp_path / "lfs.py").write_text(LFS)
    return p


def test_a_key_absent_from_the_first_record_is_an_id_column_and_read_by_lfs(tmp_path, data):
    votes = tmp_path / "v.parquet"
    r = run("apply", tmp_path / "lfs.py", data, "-o", votes, "--id-col", "uid", "--jobs", "1", "--json")
    assert r.exit_code == 0, r.output            # was: "no id column 'uid' (columns: text)"
    t = pq.read_table(votes)
    assert t.column("uid").to_pylist() == [None, "u1", "u2", "u3", "u4", "u5", "u6"]
    assert t.column("uid_lf").to_pylist() == [-1, -1, -1, 0, -1, -1, -1]
    assert t.column("tagged").to_pylist() == [-1, 1, -1, -1, -1, -1, -1]


@pytest.mark.parametrize("id_col", [None, "uid"])
def test_votes_do_not_depend_on_the_batch_size(tmp_path, data, id_col):
    tables = {}
    for b in (1, 2, 1000):
        out = tmp_path / f"v{b}.parquet"
        apply_file(tmp_path / "lfs.py", data, out, jobs=1, batch_size=b, id_cols=id_col)
        tables[b] = pq.read_table(out)
    t = tables[1000]
    for b in (1, 2):
        assert tables[b].schema == t.schema, b
        assert tables[b].to_pylist() == t.to_pylist(), b
    assert t.column("five_stars").to_pylist() == [-1, 1, 0, 1, -1, 0, -1]   # 5 is 5.0 in every batch
    assert t.column("flagged").to_pylist() == [-1, 1, -1, -1, 0, -1, -1]
    assert t.column("mixed").to_pylist() == [-1, 1, -1, 0, -1, 1, -1]        # 1 and 2 are floats beside "x"
    assert t.column("log_stars").to_pylist() == [-1, 1, 0, 1, -1, 0, -1]


def _votes_by_batch_size(tmp_path, data, lf_def: str, id_col: str) -> dict:
    """The votes tables of one row-wise LF (``lf_def``: its ``def``) over ``data`` at batch sizes
    1, 2 and 1000, ``id_col`` carried."""
    lfs = tmp_path / "lfs.py"
    lfs.write_text("from weaklabel import ABSTAIN, labeling_function\nCLASSES = ['neg', 'pos']\n\n"
                   "@labeling_function\n" + lf_def)
    got = {}
    for b in (1, 2, 1000):
        out = tmp_path / f"v{b}.parquet"
        apply_file(lfs, data, out, jobs=1, batch_size=b, id_cols=id_col)
        got[b] = pq.read_table(out)
    return got


def test_a_numeric_optional_key_has_one_type_in_every_batch(tmp_path):
    """Integers with a missing one are floats in every batch (as pandas reads a batch with a gap):
    the LF sees 3.0 for the row holding 3 whatever the batch size, and an id column of them is one
    Arrow type."""
    data = tmp_path / "n.jsonl"
    rows = [{"n": 3, "text": "a"}, {"n": 4, "text": "b"}, {"text": "c"}, {"n": 6, "text": "d"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = _votes_by_batch_size(tmp_path, data, "def is_float(x):\n    return 1 if type(x.n) is float else 0\n", "n")
    assert all(t.column("is_float").to_pylist() == [1, 1, 1, 1] for t in got.values())
    assert all(t.equals(got[1000]) for t in got.values())
    assert got[1].column("n").to_pylist() == [3.0, 4.0, None, 6.0]


def test_keep_cols_takes_a_key_absent_from_the_first_record(tmp_path, data):
    import numpy as np

    from weaklabel.votes import VoteMatrix

    votes = tmp_path / "v.parquet"      # rows matched by position
    VoteMatrix.from_dense(np.zeros((len(ROWS), 2), dtype=int), cardinality=2).to_parquet(votes)
    out = tmp_path / "labels.parquet"
    r = run("fit", votes, "-o", out, "-m", "majority", "--keep-cols", "tag,stars", "--data", data, "-q")
    assert r.exit_code == 0, r.output          # was: "no column 'tag' to keep (columns: text)"
    lab = pq.read_table(out)
    assert lab.column("tag").to_pylist() == [None, "pos", None, "neg", None, None, None]
    assert lab.column("stars").to_pylist() == [None, 5.0, 2.5, 5.0, None, 1.0, None]


def test_update_reruns_votes_made_before_optional_keys_were_read_whole(tmp_path):
    # votes recorded without the reading marker (an older weaklabel read the first record's keys
    # only, with types batch by batch): the same bytes now give the LFs other values
    from weaklabel.io import META_KEY

    data = tmp_path / "d.jsonl"
    data.write_text('{"id": 1, "text": "good"}\n{"id": 2, "text": "bad", "score": 3}\n')
    (tmp_path / "lfs.py").write_text(GOOD_BAD_LFS)
    out = tmp_path / "v.parquet"
    apply_file(tmp_path / "lfs.py", data, out, id_cols=["id"])
    pf = pq.ParquetFile(out)
    footer = dict(pf.metadata.metadata)
    meta = json.loads(footer[META_KEY])
    assert meta["input"]["json_optional_keys"] == ["score"]
    del meta["input"]["json_optional_keys"]
    footer[META_KEY] = json.dumps(meta).encode()
    table = pf.read()
    pf.close()
    pq.write_table(table.replace_schema_metadata(footer), out)
    s = apply_file(tmp_path / "lfs.py", data, out, id_cols=["id"], update=True, force=True)
    assert s.ran == ["good", "bad"] and "another reading of" in s.note and "'score'" in s.note


def test_integers_beside_nulls_give_the_same_votes_and_ids_for_every_batch_size(tmp_path):
    """Every record holds "id" and "n", some as null: pandas read a batch's integers as int64
    without a null and float64 with one, so the LF saw 5 or 5.0 and the votes' id column was
    int64 (``--batch-size 1``, first id null) or double, by batch size."""
    data = tmp_path / "d.jsonl"
    rows = [{"id": None, "n": 5}, {"id": 7, "n": None}, {"id": 8, "n": 5}, {"id": 9, "n": 6}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = _votes_by_batch_size(tmp_path, data, "def five(x):\n    return 1 if repr(x.n) == '5.0' else 0\n", "id")
    assert all(t.equals(got[1000]) for t in got.values()), {b: t.schema.field("id").type for b, t in got.items()}
    assert got[1].column("five").to_pylist() == [1, 0, 1, 0]
    assert got[1].column("id").to_pylist() == [None, 7.0, 8.0, 9.0]
