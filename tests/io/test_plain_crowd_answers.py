"""A plain votes file (no weaklabel metadata, a crowd answer matrix saved with pandas, -1 = abstain)
with a worker who answers one high class on every item is real data, not an id column.

``check_plain_vote_maxima`` refuses an integer column it takes for unrecognised row ids: it never
abstains, its largest value is at least 100 and half the rows, and four times every other column's
largest vote. A crowd worker answering class 150 on each of 300 items beside workers who answered
0..29 has that range, and the file was refused ("an id column, not an LF's votes?", exit 1) though
its values repeat, as ids never do. The column is now refused only when it also holds its values
as ids do (a different one on every row, or counting up row by row); the id columns the rule was
made for are still refused, from the statistics, from a pass and from a folder of part files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.votes.file import read_votes
from weaklabel.votes.reader import VotesSource

N = 300
HIGH = 150


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def crowd(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Five workers answering classes 0..29 on about half the items each (-1 = no answer)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 30, n)
    cols = {}
    for j in range(5):
        answer = np.where(rng.random(n) < 0.75, y, rng.integers(0, 30, n))
        cols[f"w{j}"] = np.where(rng.random(n) < 0.5, answer, -1)
    return pd.DataFrame(cols)


def save(df: pd.DataFrame, path: Path, stats: bool) -> Path:
    """As pandas saves it (``df.to_parquet``), with or without row-group statistics."""
    pq.write_table(pa.Table.from_pandas(df), path, write_statistics=stats)
    return path


@pytest.mark.parametrize("stats", [True, False], ids=["stats", "no-stats"])
def test_a_worker_answering_one_high_class_on_every_item_is_read_as_votes(tmp_path, stats):
    df = crowd().assign(steady=HIGH)
    p = save(df, tmp_path / "crowd.parquet", stats)
    vm = read_votes(p)
    assert vm.cardinality == HIGH + 1 and vm.lf_names == [f"w{j}" for j in range(5)] + ["steady"]
    np.testing.assert_array_equal(vm.to_dense(), df.to_numpy())
    assert VotesSource(p).cardinality == HIGH + 1


@pytest.mark.parametrize("extra", [[], ["--stream"], ["--no-stream"]], ids=["default", "stream", "memory"])
def test_fit_on_a_crowd_file_with_a_one_class_worker_writes_labels(tmp_path, extra):
    p = save(crowd().assign(steady=HIGH), tmp_path / "crowd.parquet", True)
    out = tmp_path / "labels.parquet"
    args = ["fit", p, "-o", out, *extra] + (["-m", "majority"] if extra else [])
    r = run(*args)
    assert r.exit_code == 0, r.output
    labels = pd.read_parquet(out)
    assert len(labels) == N and f"prob_{HIGH}" in labels.columns


def test_the_brief_example_a_worker_answering_class_7_of_8_everywhere_fits(tmp_path):
    """The shape of the report: class 7 of 8 on every row it answers, other workers 0..7."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({f"w{j}": np.where(rng.random(N) < 0.5, rng.integers(0, 8, N), -1) for j in range(4)})
    df["seven"] = 7
    p = save(df, tmp_path / "crowd.parquet", True)
    r = run("fit", p, "-o", tmp_path / "labels.parquet", "-m", "majority")
    assert r.exit_code == 0, r.output
    assert read_votes(p).cardinality == 8


@pytest.mark.parametrize("stats", [True, False], ids=["stats", "no-stats"])
def test_a_worker_answering_a_few_high_classes_on_every_item_is_read_as_votes(tmp_path, stats):
    """Answers that repeat (ten high classes over 300 items, in no counting order)."""
    rng = np.random.default_rng(1)
    df = crowd().assign(few=rng.integers(HIGH - 9, HIGH + 1, N))
    p = save(df, tmp_path / "crowd.parquet", stats)
    assert read_votes(p).cardinality == HIGH + 1
    assert VotesSource(p).cardinality == HIGH + 1


def test_a_one_class_worker_in_a_folder_of_part_files_is_read_as_votes(tmp_path):
    folder = tmp_path / "crowd"
    folder.mkdir()
    df = crowd().assign(steady=HIGH)
    for k in range(3):
        df.iloc[k * 100:(k + 1) * 100].to_parquet(folder / f"part-{k}.parquet", index=False)
    assert read_votes(folder).cardinality == HIGH + 1
    assert VotesSource(folder).cardinality == HIGH + 1
    r = run("fit", folder, "-o", tmp_path / "labels.parquet", "-m", "majority", "--stream")
    assert r.exit_code == 0, r.output


# --------------------------------------------------------------------------- ids are still refused
ID_COLUMNS = {
    # all different, shuffled (a review number column under a name the rule does not know)
    "shuffled": lambda: np.random.default_rng(2).permutation(N) + 1000,
    # counting up, repeating: two frames of 150 rows concatenated without ignore_index, then reset
    "counting": lambda: np.concatenate([np.arange(200, 200 + N // 2)] * 2),
    # sorted, two rows per value: sentences grouped by the document they come from (reviewer 93)
    "sorted": lambda: 1000 + np.arange(N) // 2,
}


@pytest.mark.parametrize("stats", [True, False], ids=["stats", "no-stats"])
@pytest.mark.parametrize("kind", sorted(ID_COLUMNS))
def test_id_like_columns_are_still_refused(tmp_path, kind, stats):
    p = save(crowd().assign(review=ID_COLUMNS[kind]()), tmp_path / "votes.parquet", stats)
    with pytest.raises(InputError, match=r"column 'review' holds values up to .* and never abstains"):
        read_votes(p)
    with pytest.raises(InputError, match="an id column, not an LF's votes"):
        VotesSource(p)
    out = tmp_path / "labels.parquet"
    line = one_line_error(run("fit", p, "-o", out))
    assert "votes.parquet" in line and "'review'" in line and "an id column" in line
    assert not out.exists()


def test_an_id_column_split_over_part_files_is_still_refused(tmp_path):
    folder = tmp_path / "votes"
    folder.mkdir()
    df = crowd().assign(review=np.arange(N) + 5000)
    for k in range(3):
        df.iloc[k * 100:(k + 1) * 100].to_parquet(folder / f"part-{k}.parquet", index=False)
    for read in (read_votes, VotesSource):
        with pytest.raises(InputError, match=r"column 'review' holds values up to 5,299 and never abstains"):
            read(folder)
    out = tmp_path / "labels.parquet"
    assert "'review'" in one_line_error(run("fit", folder, "-o", out, "--stream"))
    assert not out.exists()
