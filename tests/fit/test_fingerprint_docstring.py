"""``TableSource.fingerprint``'s docstring said ``apply`` takes it "before reading"; apply now hashes
its input on a background thread beside the LFs (:mod:`weaklabel.apply.input_hash`) and does not
call it. The docstring says so, and apply runs with it out of the way. (Kept under tests/fit: the
votes' ``input`` fingerprint is what ``fit``'s inputs carry.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import weaklabel.io.tables as tables
from weaklabel.apply.api import apply_file
from weaklabel.io import read_metadata

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reviews"


def test_fingerprint_docstring_says_how_apply_hashes_its_input():
    doc = " ".join(tables.TableSource.fingerprint.__doc__.split())
    assert "before reading" not in doc
    assert "background thread" in doc and "InputHash" in doc


def test_apply_does_not_take_the_table_sources_fingerprint(tmp_path, monkeypatch):
    def refuse(self):
        raise AssertionError("apply called TableSource.fingerprint")

    monkeypatch.setattr(tables.TableSource, "fingerprint", refuse)
    shutil.copy(EXAMPLE / "reviews.parquet", tmp_path / "reviews.parquet")
    apply_file(EXAMPLE / "lfs.py", tmp_path / "reviews.parquet", tmp_path / "votes.parquet", jobs=1,
               id_cols="review_id")
    assert read_metadata(tmp_path / "votes.parquet")["input"]["size"] == (tmp_path / "reviews.parquet").stat().st_size
