"""`report --data` pairs the data's rows with votes that have no id column by position, as
`fit --keep-cols` does, and refuses as it does a data file of the recorded size but other bytes:
a re-sorted copy showed each sampled row's votes beside another row's text, exit 0."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from weaklabel.cli import app
from conftest import one_line_error

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reviews"
runner = CliRunner()


def test_a_resorted_data_file_is_refused_and_the_original_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    df = pd.read_parquet(EXAMPLE / "reviews.parquet")
    df.to_csv("data.csv", index=False)
    r = runner.invoke(app, ["apply", str(EXAMPLE / "lfs.py"), "data.csv", "-o", "votes.parquet", "-q"])
    assert r.exit_code == 0, r.output
    original = Path("data.csv").read_bytes()
    df.sample(frac=1, random_state=0).to_csv("data.csv", index=False)
    assert len(Path("data.csv").read_bytes()) == len(original)
    r = runner.invoke(app, ["report", "votes.parquet", "-o", "r.html", "--data", "data.csv", "--text-col", "text"])
    assert "re-sorted or edited" in one_line_error(r)
    assert not Path("r.html").exists()
    Path("data.csv").write_bytes(original)
    r = runner.invoke(app, ["report", "votes.parquet", "-o", "r.html", "--data", "data.csv", "--text-col", "text"])
    assert r.exit_code == 0, r.output
