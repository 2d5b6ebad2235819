"""Bench CSV errors name the line a reader finds in an editor, also after blank lines, lines of
spaces and quoted cells spanning lines (pandas skips the first two, so ``row + 2`` named a
line above the one at fault)."""

from __future__ import annotations

import pytest

from weaklabel.bench import datasets as D
from weaklabel.bench.validate import csv_line
from weaklabel.errors import InputError

from test_bench_adversarial import crowd


@pytest.mark.parametrize("label, line", [
    ("item,worker,label\n1,1,0\n1,2,-3\n", 3),
    ("item,worker,label\n\n1,1,0\n\n   \n1,2,-3\n", 6),                  # blank and space-only lines
    ("\n\nitem,worker,label\n1,1,0\n1,2,-3\n", 5),                       # blank lines before the header
    ("item,worker,label\r\n1,1,0\r\n\r\n1,2,-3\r\n", 4),                 # Windows line ends
    ('item,worker,label\n"1\n",1,0\n1,2,-3\n', 4),                       # a quoted cell over two lines
])
def test_the_line_named_is_the_line_at_fault(tmp_path, label, line):
    with pytest.raises(InputError, match=rf"label\.csv, line {line}: label -3 is below 0"):
        D.load_crowd(crowd(tmp_path, label=label))


def test_a_missing_value_after_blank_lines(tmp_path):
    with pytest.raises(InputError, match=r"label\.csv, line 5: label is missing"):
        D.load_crowd(crowd(tmp_path, label="item,worker,label\n1,1,0\n\n\n1,2,\n"))


def test_each_row_maps_to_its_line(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n\n1,2\n  \n3,\"4\n5\"\n6,7\n")
    assert [csv_line(p, r) for r in range(3)] == ["line 3", "line 5", "line 7"]
