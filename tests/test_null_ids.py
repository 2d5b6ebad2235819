"""Null (empty) ids: where rows are matched by id (gold labels for analyze / fit --dev / report,
evaluate, fit --keep-cols), a row without an id is one line naming the file, the id column and
the first such row (it used to read "1 id appears more than once (first: nan)", or to be matched
to another file's empty id); the votes' own data file still matches them by position, and
`apply --update` (which compares ids position by position) keeps working."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS, one_line_error
from weaklabel.cli import app

runner = CliRunner()

LFS = GOOD_BAD_LFS


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)



@pytest.fixture
def d(tmp_path):
    """data.csv with ids 1..6, rows 1 and 3 without one; votes made from it; gold files."""
    (tmp_path / "lfs.py").write_text(LFS)
    (tmp_path / "data.csv").write_text("id,text,label\n1,good day,pos\n,bad day,neg\n3,good good,pos\n"
                                       ",bad bad,neg\n5,meh,neg\n6,good and bad,pos\n")
    (tmp_path / "clean.csv").write_text("id,text,label\n1,good day,pos\n2,bad day,neg\n3,good good,pos\n"
                                        "4,bad bad,neg\n5,meh,neg\n6,good and bad,pos\n")
    (tmp_path / "gold_null.csv").write_text("id,label\n1,pos\n3,pos\n,neg\n")
    r = run("apply", tmp_path / "lfs.py", tmp_path / "data.csv", "-o", tmp_path / "votes.parquet", "--id-col", "id")
    assert r.exit_code == 0, r.output
    r = run("apply", tmp_path / "lfs.py", tmp_path / "clean.csv", "-o", tmp_path / "clean_votes.parquet",
            "--id-col", "id")
    assert r.exit_code == 0, r.output
    return tmp_path


def test_apply_says_rows_have_no_id_not_that_nan_repeats(d):
    r = run("apply", d / "lfs.py", d / "data.csv", "-o", d / "v2.parquet", "--id-col", "id")
    assert r.exit_code == 0, r.output
    assert "nan" not in r.stderr and "more than once" not in r.stderr
    assert "2 rows of" in r.stderr and "have no id" in r.stderr and "first at row 1" in r.stderr
    r = run("apply", d / "lfs.py", d / "data.csv", "-o", d / "v2.parquet", "--id-col", "id", "--force", "--json")
    res = json.loads(r.stdout)
    assert res["duplicate_ids"] is None and res["null_ids"] == {"count": 2, "first_row": 1, "column": "id"}


def test_gold_with_a_null_id_is_one_line(d):
    line = one_line_error(run("analyze", d / "clean_votes.parquet", "--gold", d / "gold_null.csv"))
    assert "gold_null.csv" in line and "'id'" in line and "row 2" in line and "nan" not in line
    line = one_line_error(run("fit", d / "clean_votes.parquet", "-o", d / "l.parquet", "--dev", d / "gold_null.csv"))
    assert "gold_null.csv" in line and "row 2" in line
    assert not (d / "l.parquet").exists()
    line = one_line_error(run("report", d / "clean_votes.parquet", "-o", d / "r.html", "--gold", d / "gold_null.csv"))
    assert "gold_null.csv" in line and "row 2" in line


def test_votes_with_null_ids_against_another_gold_file_is_one_line(d):
    """Votes rows without an id are named (file, column, first row) instead of being matched to
    the gold file's own empty id."""
    line = one_line_error(run("analyze", d / "votes.parquet", "--gold", d / "gold_null.csv"))
    assert "votes.parquet" in line and "'id'" in line and "row 1" in line
    (d / "gold.csv").write_text("id,label\n1,pos\n3,pos\n")
    line = one_line_error(run("analyze", d / "votes.parquet", "--gold", d / "gold.csv"))
    assert "votes.parquet" in line and "row 1" in line
    line = one_line_error(run("fit", d / "votes.parquet", "-o", d / "l.parquet", "--dev", d / "gold.csv"))
    assert "votes.parquet" in line and "row 1" in line
    line = one_line_error(run("report", d / "votes.parquet", "-o", d / "r.html", "--gold", d / "gold.csv"))
    assert "votes.parquet" in line and "row 1" in line


def test_evaluate_names_the_labels_file(d):
    assert run("fit", d / "votes.parquet", "-o", d / "labels.parquet", "-m", "majority", "-q").exit_code == 0
    line = one_line_error(run("evaluate", d / "labels.parquet", "--gold", d / "gold_null.csv"))
    assert "labels.parquet" in line and "'id'" in line and "row 1" in line and "more than once" not in line
    # the data file itself: its ids are the labels' ids row for row, matched by position
    r = run("evaluate", d / "labels.parquet", "--gold", d / "data.csv", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["gold_rows"] == 6


def test_keep_cols_by_id(d):
    r = run("fit", d / "votes.parquet", "-o", d / "l.parquet", "--keep-cols", "text", "--data", d / "data.csv", "-q")
    assert r.exit_code == 0, r.output                 # the votes' own data file: by position
    assert pd.read_parquet(d / "l.parquet")["text"].tolist()[:2] == ["good day", "bad day"]
    (d / "other.csv").write_text("id,text\n6,f\n5,e\n4,d\n3,c\n,b\n1,a\n")
    line = one_line_error(run("fit", d / "clean_votes.parquet", "-o", d / "l2.parquet", "--keep-cols", "text",
                              "--data", d / "other.csv"))
    assert "other.csv" in line and "'id'" in line and "row 4" in line


def test_own_data_file_and_update_tolerate_null_ids(d):
    r = run("analyze", d / "votes.parquet", "--gold", d / "data.csv", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["totals"]["labelled_rows"] == 6
    (d / "lfs.py").write_text(LFS + '\n@labeling_function\ndef day(x):\n    return 1 if "day" in x.text else ABSTAIN\n')
    r = run("apply", d / "lfs.py", d / "data.csv", "-o", d / "votes.parquet", "--id-col", "id", "--update")
    assert r.exit_code == 0, r.output
    assert "reused 2" in r.stderr


def test_duplicate_ids_leave_null_ids_out():
    from weaklabel.votes.row_ids import duplicate_ids, first_null_id, same_ids

    keys = pd.DataFrame({"a": [1.0, None, 2.0, None, 2.0]})
    assert duplicate_ids(keys) == (1, [2.0])
    assert first_null_id(keys) == (1, "a", 2)
    assert same_ids(keys, keys.copy()) and not same_ids(keys, keys.fillna(0))


def test_report_matches_the_votes_own_data_file_with_null_ids_in_every_block(d):
    """`report` aligns gold labels block by block; the votes' own data file (null ids included) was
    matched by position only when the votes fit in one block, and refused otherwise (a reviewer's
    find). Any block size now gives the same page."""
    from weaklabel.htmlreport import report

    pages = []
    for block_rows in (None, 2):
        out = d / f"report{block_rows}.html"
        report(d / "votes.parquet", out, gold=d / "data.csv", block_rows=block_rows, force=True)
        pages.append(out.read_text())
    assert "gold" in pages[0] and pages[0].count("accuracy") == pages[1].count("accuracy")
