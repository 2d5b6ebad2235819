"""`VOTES` may be a quoted glob of plain Parquet files, as the README says (fit, analyze, report,
predict, in memory, streamed and on Dask): the pattern was opened as a file name, an error on
every command. A glob of files weaklabel wrote is one line: their metadata holds file by file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from conftest import one_line_error

runner = CliRunner()


@pytest.fixture
def parts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    frames = []
    for i in range(3):
        df = pd.DataFrame({"doc_id": np.arange(i * 40, (i + 1) * 40), "a": rng.integers(-1, 2, 40),
                           "b": rng.integers(-1, 2, 40), "c": rng.integers(-1, 2, 40)})
        df.to_parquet(tmp_path / f"part{i}.parquet", index=False)
        frames.append(df)
    pd.concat(frames, ignore_index=True).to_parquet(tmp_path / "whole.parquet", index=False)
    return tmp_path


@pytest.mark.parametrize("extra", [[], ["--stream"]])
def test_fit_on_a_glob_equals_fit_on_the_whole_file(parts, extra):
    r = runner.invoke(app, ["fit", "part*.parquet", "-o", "g.parquet", "--force", *extra])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["fit", "whole.parquet", "-o", "w.parquet", "--force", *extra])
    assert r.exit_code == 0, r.output
    g, w = pd.read_parquet(parts / "g.parquet"), pd.read_parquet(parts / "w.parquet")
    assert len(g) == 120 and g["doc_id"].tolist() == list(range(120))
    pd.testing.assert_frame_equal(g, w)


def test_analyze_report_and_predict_read_a_glob(parts):
    assert runner.invoke(app, ["analyze", "part*.parquet", "--json"]).exit_code == 0
    r = runner.invoke(app, ["report", "part*.parquet", "-o", "r.html", "--force"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["fit", "whole.parquet", "-o", "w.parquet", "--save-model", "m.json",
                               "--force"]).exit_code == 0
    r = runner.invoke(app, ["predict", "m.json", "part*.parquet", "-o", "p.parquet", "--force"])
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_parquet(parts / "p.parquet"), pd.read_parquet(parts / "w.parquet"))


def test_a_glob_of_files_weaklabel_wrote_is_one_line(parts):
    from weaklabel.votes import VoteMatrix

    for i in range(2):
        vm = VoteMatrix.read_parquet(parts / f"part{i}.parquet")
        vm.to_parquet(parts / f"wl{i}.parquet")
    r = runner.invoke(app, ["fit", "wl*.parquet", "-o", "x.parquet", "--force"])
    assert r.exit_code == 1
    assert "a file weaklabel wrote" in one_line_error(r) and "not a glob" in one_line_error(r)
    assert not (parts / "x.parquet").exists()
