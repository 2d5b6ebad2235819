"""Leftovers of the votes readers (helper 87):

1. a plain votes file (no weaklabel metadata) whose one id column is named ``row`` keeps its values
   as ids on every command (they were replaced by positions 0, 1, 2... without a word, while ``ROW``
   or ``row`` beside another id column kept them);
2. a pandas categorical of integers is an LF's votes (pandas writes the values, not the codes); a
   dictionary-encoded integer column handed to the layout is refused in one line, never an id column;
3. ``fit --keep-cols`` matched by position refuses a data file that is not the one ``apply`` read
   (re-sorted, same size), and notes a file of another name;
4. a bad vote in a part file of a plain votes folder names the part file and the row within it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS, one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.io import TableSource, read_metadata, votes_layout

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def labels_of(path: Path) -> pd.DataFrame:
    """labels.parquet, or the part files of a Dask output folder, in row order."""
    if path.is_dir():
        return pd.concat([pd.read_parquet(f) for f in sorted(path.glob("part*.parquet"))], ignore_index=True)
    return pd.read_parquet(path)


def _votes(n=80, m=3, seed=87):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    fire = rng.random((n, m)) < 0.7
    right = rng.random((n, m)) < 0.8
    return np.where(fire, np.where(right, y[:, None], 1 - y[:, None]), -1).astype(np.int8), y


# ------------------------------------------------------------------ 1. a plain ``row`` id column
@pytest.fixture
def row_votes(tmp_path):
    L, y = _votes()
    ids = np.random.default_rng(1).permutation(len(L)) + 1000     # not positions, not in order
    frame = pd.DataFrame(L, columns=["a", "b", "c"])
    frame.insert(0, "row", ids)
    frame.to_parquet(tmp_path / "row.parquet", index=False)
    frame.rename(columns={"row": "ROW"}).to_parquet(tmp_path / "upper.parquet", index=False)
    return tmp_path, L, y, ids


@pytest.mark.parametrize("engine", [[], ["--stream"], ["--engine", "dask", "-j", "1", "--partition-rows", "30"]],
                         ids=["memory", "stream", "dask"])
def test_a_plain_row_column_keeps_its_ids_on_every_engine(row_votes, engine):
    if "dask" in engine:
        pytest.importorskip("dask.dataframe")   # the optional extra (CI runs without it)
    d, L, _, ids = row_votes
    out = d / "labels_row"
    r = run("fit", d / "row.parquet", "-o", out, "-m", "majority", "-q", *engine)
    assert r.exit_code == 0, r.output
    lab = labels_of(out)
    assert lab["row"].tolist() == ids.tolist()          # before: 0, 1, 2, ...
    meta = read_metadata(out)
    assert meta["id_columns"] == ["row"] and meta.get("row_is_id") is True
    r = run("fit", d / "upper.parquet", "-o", d / "labels_upper", "-m", "majority", "-q", *engine)
    assert r.exit_code == 0, r.output
    upper = labels_of(d / "labels_upper")
    assert upper["ROW"].tolist() == ids.tolist()
    np.testing.assert_array_equal(upper["label"].to_numpy(), lab["label"].to_numpy())


def test_a_plain_row_column_matches_gold_by_id_in_analyze_and_report(row_votes):
    d, L, y, ids = row_votes
    order = np.argsort(-ids)                            # the gold file in another row order
    pd.DataFrame({"row": ids[order], "label": y[order]}).to_parquet(d / "gold.parquet", index=False)
    r = run("analyze", d / "row.parquet", "--gold", d / "gold.parquet", "--json")
    assert r.exit_code == 0, r.output
    got = {s["lf"]: (s["correct"], s["incorrect"]) for s in json.loads(r.stdout)["lfs"]}
    for j, name in enumerate("abc"):
        fired = L[:, j] >= 0
        assert got[name] == (int((fired & (L[:, j] == y)).sum()), int((fired & (L[:, j] != y)).sum()))
    r = run("report", d / "row.parquet", "-o", d / "report.html", "--gold", d / "gold.parquet", "-q")
    assert r.exit_code == 0, r.output


def test_the_row_position_column_of_weaklabel_votes_stays_positions(tmp_path):
    from weaklabel import VoteMatrix

    L, _ = _votes(n=20)
    VoteMatrix.from_dense(L, cardinality=2).to_parquet(tmp_path / "v.parquet")   # metadata: row = positions
    src = TableSource(tmp_path / "v.parquet")
    assert votes_layout(src)[1] == []


# ------------------------------------------------------------------ 2. a categorical LF column
def test_a_pandas_categorical_of_ints_is_an_lf_with_its_values(tmp_path):
    L, _ = _votes(n=60)
    plain = pd.DataFrame(L, columns=["a", "b", "c"])
    plain.insert(0, "doc", [f"d{i}" for i in range(len(L))])
    cat = plain.copy()
    cat["a"] = pd.Categorical(cat["a"].astype(int))     # categories -1, 0, 1: codes 0, 1, 2
    plain.to_parquet(tmp_path / "plain.parquet", index=False)
    cat.to_parquet(tmp_path / "cat.parquet", index=False)
    # what pandas writes: the values as int64, the categorical only in the stored Arrow schema
    assert pq.ParquetFile(tmp_path / "cat.parquet").schema.column(1).physical_type == "INT64"
    lfs, ids, *_ = votes_layout(TableSource(tmp_path / "cat.parquet"))
    assert lfs == ["a", "b", "c"] and ids == ["doc"]
    for mode in ([], ["--stream"]):
        for name in ("plain", "cat"):
            r = run("fit", tmp_path / f"{name}.parquet", "-o", tmp_path / f"l_{name}.parquet", "-q", "--force", *mode)
            assert r.exit_code == 0, r.output
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "l_plain.parquet"),
                                      pd.read_parquet(tmp_path / "l_cat.parquet"))


def test_a_dictionary_encoded_integer_column_is_refused_not_an_id(tmp_path):
    L, _ = _votes(n=20)
    pd.DataFrame(L, columns=["a", "b", "c"]).to_parquet(tmp_path / "v.parquet", index=False)
    src = TableSource(tmp_path / "v.parquet")
    # a reader that restores the dictionary type (``read_dictionary``, another pyarrow)
    src.schema = src.schema.set(0, pa.field("a", pa.dictionary(pa.int8(), pa.int64())))
    with pytest.raises(InputError) as exc:
        votes_layout(src)
    msg = str(exc.value)
    assert "\n" not in msg and "'a'" in msg and "v.parquet" in msg and "categorical" in msg


# ------------------------------------------------------------------ 3. --keep-cols by position
@pytest.fixture
def applied(tmp_path):
    texts = [f"good item {i}" if i % 3 == 0 else f"bad item {i}" if i % 3 == 1 else f"so-so {i}" for i in range(30)]
    data = pd.DataFrame({"id": np.arange(30), "text": texts})
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "lfs.py").write_text(GOOD_BAD_LFS)
    r = run("apply", tmp_path / "lfs.py", tmp_path / "data.csv", "-o", tmp_path / "v.parquet", "-q", "--jobs", "1")
    assert r.exit_code == 0, r.output
    r = run("apply", tmp_path / "lfs.py", tmp_path / "data.csv", "-o", tmp_path / "vid.parquet", "--id-col", "id",
            "-q", "--jobs", "1")
    assert r.exit_code == 0, r.output
    return tmp_path, data


@pytest.mark.parametrize("engine", [[], ["--stream"]], ids=["memory", "stream"])
def test_keep_cols_by_position_refuses_a_resorted_data_file(applied, engine):
    d, data = applied
    r = run("fit", d / "v.parquet", "-o", d / "ok.parquet", "--keep-cols", "text", "-q", *engine)   # unchanged
    assert r.exit_code == 0, r.output
    assert pd.read_parquet(d / "ok.parquet")["text"].tolist() == data["text"].tolist()
    before = (d / "data.csv").stat().st_size
    data.sort_values("text").to_csv(d / "data.csv", index=False)          # same rows, same size, other order
    assert (d / "data.csv").stat().st_size == before
    r = run("fit", d / "v.parquet", "-o", d / "l.parquet", "--keep-cols", "text", *engine)
    line = one_line_error(r)
    assert "data.csv" in line and "the size of" in line and "--id-col" in line
    assert not (d / "l.parquet").exists()
    r = run("fit", d / "v.parquet", "-o", d / "l.parquet", "--keep-cols", "text", "--data", d / "data.csv", *engine)
    assert "the size of" in one_line_error(r)
    # matched by id: the order does not matter
    r = run("fit", d / "vid.parquet", "-o", d / "lid.parquet", "--keep-cols", "text", "-q", *engine)
    assert r.exit_code == 0, r.output
    lab = pd.read_parquet(d / "lid.parquet")
    assert lab["text"].tolist() == [data["text"][i] for i in lab["id"]]


def test_keep_cols_by_position_from_another_file_is_a_note(applied):
    d, data = applied
    data.assign(extra=1).to_csv(d / "more.csv", index=False)   # the same rows, a column added: allowed, said
    r = run("fit", d / "v.parquet", "-o", d / "l.parquet", "--keep-cols", "text,extra", "--data", d / "more.csv")
    assert r.exit_code == 0, r.output
    assert "note:" in r.stderr and "more.csv" in r.stderr and "by position" in r.stderr
    assert pd.read_parquet(d / "l.parquet")["text"].tolist() == data["text"].tolist()
    data.assign(extra=1).to_csv(d / "data.csv", index=False)   # the votes' own data file, edited
    r = run("fit", d / "v.parquet", "-o", d / "l2.parquet", "--keep-cols", "text")
    assert "data.csv" in (line := one_line_error(r)) and "has changed since" in line


# ------------------------------------------------------------------ 4. bad votes in a part file
@pytest.fixture
def bad_folder(tmp_path):
    rng = np.random.default_rng(4)
    folder = tmp_path / "votes"
    folder.mkdir()
    for k in range(3):
        part = pd.DataFrame({"doc_id": np.arange(k * 100, (k + 1) * 100),
                             "a": rng.integers(-1, 2, 100), "b": rng.integers(-1, 2, 100)}).astype({"a": "int8",
                                                                                                  "b": "int8"})
        if k == 1:
            part.loc[5, "b"] = -2
        part.to_parquet(folder / f"part-{k}.parquet", index=False)
    return folder


@pytest.mark.parametrize("cmd", [["analyze"], ["fit", "-o", "{out}"], ["fit", "-o", "{out}", "--stream"],
                                 ["fit", "-o", "{out}", "--engine", "dask", "-j", "1"],
                                 ["report", "-o", "{out}.html"]],
                         ids=["analyze", "fit", "stream", "dask", "report"])
def test_a_bad_vote_in_a_part_file_names_the_file_and_its_row(bad_folder, cmd):
    if "dask" in cmd:
        pytest.importorskip("dask.dataframe")   # the optional extra (CI runs without it)
    out = bad_folder.parent / "out"
    args = [cmd[0], bad_folder] + [a.format(out=out) for a in cmd[1:]]
    line = one_line_error(run(*args))
    assert "part-1.parquet: row 5 of the file, votes row 105, LF" in line and "'b'" in line and "-2" in line
    assert "rows from" not in line
    assert not out.exists()


def test_a_missing_vote_in_a_part_file_names_the_file_and_its_row(bad_folder):
    part = pd.read_parquet(bad_folder / "part-2.parquet")
    part["a"] = part["a"].astype("Int8")
    part.loc[7, "a"] = pd.NA
    part.to_parquet(bad_folder / "part-2.parquet", index=False)
    part = pd.read_parquet(bad_folder / "part-1.parquet")
    part.loc[5, "b"] = 0
    part.to_parquet(bad_folder / "part-1.parquet", index=False)
    for args in (["analyze", bad_folder], ["fit", bad_folder, "-o", bad_folder.parent / "o", "--stream"]):
        line = one_line_error(run(*args))
        assert "part-2.parquet" in line and "row 7 of the file, votes row 207" in line and "'a'" in line
