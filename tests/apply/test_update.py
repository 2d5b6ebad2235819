"""apply --update: rerun exactly the changed and new LFs, reuse the rest, drop removed ones."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix, apply_file
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.io import read_metadata

HEADER = '''
import numpy as np
from pathlib import Path
from weaklabel import ABSTAIN, labeling_function

CLASSES = ["neg", "pos"]
LOG = Path(__file__).with_name("calls.log")
POSITIVE = {"good", "great"}


def _called(name):
    with open(LOG, "a") as fh:   # every call of a row-wise LF leaves a line: proves what ran
        fh.write(name + "\\n")


def has_positive(text):
    return any(w in POSITIVE for w in text.split())
'''

LF_A = '''
@labeling_function
def a_positive(x):
    _called("a_positive")
    return 1 if has_positive(x.text) else ABSTAIN
'''
LF_B = '''
@labeling_function
def b_bad(x):
    _called("b_bad")
    return 0 if "bad" in x.text else ABSTAIN
'''
LF_C = '''
@labeling_function(vectorized=True)
def c_long(df):
    return np.where(df["text"].str.len() > 20, 1, ABSTAIN)
'''
LF_D = '''
@labeling_function
def d_score(x):
    _called("d_score")
    return 1 if x.score > 0.5 else (0 if x.score < -0.5 else ABSTAIN)
'''


def _data(tmp_path, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array(["good", "great", "bad", "meh", "fine", "awful", "ok"])
    df = pd.DataFrame({"id": np.arange(n) + 100,
                       "text": [" ".join(rng.choice(words, size=rng.integers(1, 8))) for _ in range(n)],
                       "score": rng.normal(size=n)})
    p = tmp_path / "data.parquet"
    df.to_parquet(p, row_group_size=700)
    return p


def _write(tmp_path, *parts):
    p = tmp_path / "lfs.py"
    p.write_text(HEADER + "".join(parts))
    return p


def _calls(tmp_path):
    log = tmp_path / "calls.log"
    if not log.exists():
        return {}
    names = log.read_text().split()
    log.unlink()
    return {n: names.count(n) for n in set(names)}


def test_update_reruns_exactly_the_changed_and_new_lfs(tmp_path):
    data = _data(tmp_path)
    out = tmp_path / "votes.parquet"
    lfs = _write(tmp_path, LF_A, LF_B, LF_C)
    first = apply_file(lfs, data, out, jobs=1, batch_size=1000, id_cols=["id"], update=True)
    assert first.ran == ["a_positive", "b_bad", "c_long"] and first.reused == []  # no output yet: all run
    assert _calls(tmp_path) == {"a_positive": 3000, "b_bad": 3000}

    # b changes, d is new, c is removed, a is untouched
    lfs = _write(tmp_path, LF_A, LF_B.replace('"bad" in', '"awful" in'), LF_D)
    s = apply_file(lfs, data, out, jobs=1, batch_size=1000, id_cols=["id"], update=True)
    assert s.ran == ["b_bad", "d_score"] and s.reused == ["a_positive"] and s.dropped == ["c_long"]
    assert _calls(tmp_path) == {"b_bad": 3000, "d_score": 3000}  # a_positive never ran
    fresh = tmp_path / "fresh.parquet"
    full = apply_file(lfs, data, fresh, jobs=1, batch_size=1000, id_cols=["id"])
    _calls(tmp_path)
    np.testing.assert_array_equal(s.vote_counts, full.vote_counts)
    assert s.errors == full.errors
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(fresh))
    a, b = read_metadata(out), read_metadata(fresh)
    assert a["lfs"] == b["lfs"] and a["input"] == b["input"] and a["cardinality"] == b["cardinality"]
    assert a["update"] == {"ran": ["b_bad", "d_score"], "reused": ["a_positive"], "dropped": ["c_long"]}
    assert VoteMatrix.read_parquet(out).equals(VoteMatrix.read_parquet(fresh))


def test_update_with_nothing_changed_does_not_rewrite(tmp_path):
    data = _data(tmp_path)
    out = tmp_path / "votes.parquet"
    lfs = _write(tmp_path, LF_A, LF_C)
    before = apply_file(lfs, data, out, jobs=1)
    _calls(tmp_path)
    stamp = os.stat(out).st_mtime_ns
    s = apply_file(lfs, data, out, jobs=1, update=True)
    assert s.ran == [] and s.reused == ["a_positive", "c_long"] and s.dropped == []
    assert os.stat(out).st_mtime_ns == stamp and _calls(tmp_path) == {}
    np.testing.assert_array_equal(s.vote_counts, before.vote_counts)
    # reordering the LFs rewrites the file (copying only) so columns follow lfs.py
    lfs = _write(tmp_path, LF_C, LF_A)
    s = apply_file(lfs, data, out, jobs=1, update=True)
    assert s.ran == [] and s.reused == ["c_long", "a_positive"] and _calls(tmp_path) == {}
    assert list(pd.read_parquet(out).columns) == ["row", "c_long", "a_positive"]


def test_helper_and_constant_changes_rerun_the_lfs_that_use_them(tmp_path):
    data = _data(tmp_path)
    out = tmp_path / "votes.parquet"
    apply_file(_write(tmp_path, LF_A, LF_B, LF_D), data, out, jobs=1)
    _calls(tmp_path)
    lfs = tmp_path / "lfs.py"
    lfs.write_text(lfs.read_text().replace('POSITIVE = {"good", "great"}', 'POSITIVE = {"good", "great", "fine"}'))
    s = apply_file(lfs, data, out, jobs=1, update=True)
    assert s.ran == ["a_positive"]  # reads POSITIVE through has_positive()
    lfs.write_text(lfs.read_text().replace("return any(w in POSITIVE", "return all(w in POSITIVE"))
    s = apply_file(lfs, data, out, jobs=1, update=True)
    assert s.ran == ["a_positive"]


def test_update_refuses_other_data_ids_or_classes(tmp_path):
    data = _data(tmp_path)
    out = tmp_path / "votes.parquet"
    lfs = _write(tmp_path, LF_A, LF_B)
    apply_file(lfs, data, out, jobs=1, id_cols=["id"])
    original = out.read_bytes()
    (tmp_path / "other").mkdir()
    other = _data(tmp_path / "other", seed=1)
    with pytest.raises(InputError, match="the input data differs from the one votes.parquet was made from"):
        apply_file(lfs, other, out, jobs=1, id_cols=["id"], update=True)
    with pytest.raises(InputError, match=r"has id columns \['id'\] but this run uses \['row'\]"):
        apply_file(lfs, data, out, jobs=1, update=True)
    renamed = tmp_path / "renamed.py"
    renamed.write_text(lfs.read_text().replace('CLASSES = ["neg", "pos"]', 'CLASSES = ["bad", "good"]'))
    with pytest.raises(InputError, match=r"the classes changed from \['neg', 'pos'\] to \['bad', 'good'\]"):
        apply_file(renamed, data, out, jobs=1, id_cols=["id"], update=True)
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"lf": [1, 0]}).to_parquet(plain)
    with pytest.raises(InputError, match="has no weaklabel votes metadata"):
        apply_file(lfs, data, plain, jobs=1, update=True)
    assert out.read_bytes() == original  # a refused update changes nothing


def test_update_via_cli_reports_what_ran(tmp_path):
    data = _data(tmp_path)
    out = tmp_path / "votes.parquet"
    runner = CliRunner()
    lfs = _write(tmp_path, LF_A, LF_B)
    r = runner.invoke(app, ["apply", str(lfs), str(data), "-o", str(out), "-j", "1", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["apply", str(lfs), str(data), "-o", str(out), "-j", "1"])
    assert r.exit_code == 1 and "already exists; pass --force" in r.output
    lfs = _write(tmp_path, LF_A, LF_B.replace("0 if", "0 if len(x.text) > 3 and"), LF_C)
    r = runner.invoke(app, ["apply", str(lfs), str(data), "-o", str(out), "-j", "2", "--update", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["update"] is True
    assert (summary["ran"], summary["reused"], summary["dropped"]) == (["b_bad", "c_long"], ["a_positive"], [])
    assert [d["status"] for d in summary["lfs"]] == ["reused", "ran", "ran"]
    r = runner.invoke(app, ["apply", str(lfs), str(data), "-o", str(out), "--update"])
    assert r.exit_code == 0, r.output
    assert "reused" in r.stdout and "--update: ran 0 LFs, reused 3, dropped 0" in r.output
    assert "is up to date; nothing was rewritten" in r.output


def test_update_says_which_row_column_is_positions_and_which_ids(tmp_path):
    """A data column named ``row`` used as the id column (``--id-col row``) against votes whose
    ``row`` column holds positions (no ``--id-col``, or a file written before ``row_is_id``) was
    refused with "has id columns ['row'] but this run uses ['row']"; the message now says which is
    which, both ways, and nothing is written."""
    df = pd.read_parquet(_data(tmp_path)).rename(columns={"id": "row"})
    data = tmp_path / "with_row.parquet"
    df.to_parquet(data)
    lfs = _write(tmp_path, LF_A, LF_B)
    out = tmp_path / "votes.parquet"
    apply_file(lfs, data, out, jobs=1)                      # 'row' = positions
    before = out.read_bytes()
    with pytest.raises(InputError, match=r"the 'row' column of votes.parquet holds row positions, not a real id "
                                         r"column named 'row'.*run without --update"):
        apply_file(lfs, data, out, jobs=1, id_cols=["row"], update=True)
    ids = tmp_path / "ids.parquet"
    apply_file(lfs, data, ids, jobs=1, id_cols=["row"])     # 'row' = the data's ids (100, 101, ...)
    with pytest.raises(InputError, match=r"holds a real id column named 'row', and this run has no --id-col"):
        apply_file(lfs, data, ids, jobs=1, update=True)
    assert out.read_bytes() == before
    apply_file(lfs, data, ids, jobs=1, id_cols=["row"], update=True)   # the matching run still updates
