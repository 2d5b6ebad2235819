"""``fit --keep-cols`` (and ``--drop-unlabeled``) give the same labels file on every engine: the
in-memory fit, ``--stream`` in several row blocks and the Dask engine in several partitions, on
the example reviews (joined by id) and on votes without ids (joined by position)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS
from weaklabel.cli import app
from weaklabel.io import read_metadata

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reviews"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    d = tmp_path_factory.mktemp("keep")
    shutil.copy(EXAMPLE / "lfs.py", d / "lfs.py")
    shutil.copy(EXAMPLE / "reviews.parquet", d / "reviews.parquet")
    for name, ids in (("votes.parquet", ["--id-col", "review_id"]), ("votes_noid.parquet", [])):
        r = run("apply", d / "lfs.py", d / "reviews.parquet", "-o", d / name, *ids, "-q", "--jobs", "1")
        assert r.exit_code == 0, r.output
    return d


def _same_labels(memory: Path, other: Path, engine: str) -> None:
    a, b = pd.read_parquet(memory), pd.read_parquet(other)
    pd.testing.assert_frame_equal(a, b)
    ma, mb = read_metadata(memory), read_metadata(other)
    mb.pop("parts", None)
    if engine == "dask":
        assert mb.pop("engine") == "dask"
    assert ma == mb


@pytest.mark.parametrize("votes", ["votes.parquet", "votes_noid.parquet"])
@pytest.mark.parametrize("drop", [False, True])
def test_keep_cols_stream_equals_memory(example, votes, drop):
    flags = ["--keep-cols", "text,product", "-m", "ds", "-q", "--force"] + (["--drop-unlabeled"] if drop else [])
    mem, streamed = example / f"mem_{votes}", example / f"stream_{votes}"
    assert run("fit", example / votes, "-o", mem, "--no-stream", *flags).exit_code == 0
    r = run("fit", example / votes, "-o", streamed, "--stream", "--batch-size", "97", *flags)
    assert r.exit_code == 0, r.output
    _same_labels(mem, streamed, "stream")
    lab = pd.read_parquet(streamed)
    data = pd.read_parquet(example / "reviews.parquet")
    assert lab.columns[-2:].tolist() == ["text", "product"]
    if votes == "votes.parquet":  # each row carries the text of its own id
        merged = lab.merge(data[["review_id", "text"]], on="review_id", suffixes=("", "_data"))
        assert len(merged) == len(lab) and (merged["text"] == merged["text_data"]).all()
    else:  # by position
        assert (lab["text"].to_numpy() == data["text"].to_numpy()[lab["row"].to_numpy()]).all()
    assert (lab["label"] >= 0).all() if drop else len(lab) == len(data)


@pytest.mark.parametrize("drop", [False, True])
def test_keep_cols_dask_equals_memory(example, drop):
    pytest.importorskip("distributed")
    flags = ["--keep-cols", "text", "-m", "hybrid", "-q", "--force"] + (["--drop-unlabeled"] if drop else [])
    mem, parts = example / "mem_dask_cmp.parquet", example / "dask_labels"
    assert run("fit", example / "votes.parquet", "-o", mem, *flags).exit_code == 0
    r = run("fit", example / "votes.parquet", "-o", parts, "--engine", "dask", "-j", "2", "--partition-rows", "150",
            *flags)
    assert r.exit_code == 0, r.output
    assert len(list(parts.glob("part.*.parquet"))) == 4
    _same_labels(mem, parts, "dask")
    r = run("fit", example / "votes.parquet", "-o", example / "d2", "--engine", "dask", "--keep-cols", "nope")
    assert r.exit_code == 1 and "no column 'nope'" in r.output and not (example / "d2").exists()


@pytest.mark.parametrize("votes", ["votes.parquet", "votes_noid.parquet"])
@pytest.mark.parametrize("mode", ["--no-stream", "--stream"])
def test_keep_cols_keep_the_data_files_column_types(example, votes, mode):
    """Kept Parquet columns went through pandas: an int64 column with nulls (a parent id, a
    64-bit tweet id) came out as float64 with every value above 2**53 rounded (silently wrong
    ids), an int32 as float64. They now keep the file's Arrow type and values, joined by id (the
    data shuffled) or by position."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = pq.read_table(example / "reviews.parquet")
    n = data.num_rows
    big = pa.array([None if i % 7 == 0 else 2 ** 60 + i for i in range(n)], pa.int64())
    small = pa.array([None if i % 5 == 0 else i for i in range(n)], pa.int32())
    full = data.append_column("big", big).append_column("small", small)
    shuffled = votes == "votes.parquet"    # joined by id: the rows of the data in another order
    order = np.random.default_rng(0).permutation(n) if shuffled else np.arange(n)
    src = example / f"typed_{votes}"
    pq.write_table(full.take(pa.array(order)), src)
    out = example / f"typed_labels_{mode}_{votes}"
    r = run("fit", example / votes, "-o", out, "-m", "majority", "--keep-cols", "big,small", "--data", src, mode,
            "-q", "--force")
    assert r.exit_code == 0, r.output
    lab = pq.read_table(out)
    assert lab.schema.field("big").type == pa.int64() and lab.schema.field("small").type == pa.int32()
    if shuffled:
        want = dict(zip(data["review_id"].to_pylist(), big.to_pylist()))
        assert lab["big"].to_pylist() == [want[i] for i in lab["review_id"].to_pylist()]
    else:
        assert lab["big"].to_pylist() == big.to_pylist() and lab["small"].to_pylist() == small.to_pylist()


def test_a_kept_json_column_of_mixed_types_is_one_line(tmp_path):
    import json

    import numpy as np

    from weaklabel.votes import VoteMatrix

    rows = [{"id": i, "mixed": i if i % 3 else f"s{i}"} for i in range(30)]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    L = np.where(np.arange(30)[:, None] % 2 == 0, 1, 0) * np.ones((1, 3), dtype=int)
    VoteMatrix.from_dense(L, cardinality=2).to_parquet(tmp_path / "v2.parquet")   # rows matched by position
    r = runner.invoke(app, ["fit", str(tmp_path / "v2.parquet"), "-o", str(tmp_path / "l.parquet"),
                            "--keep-cols", "mixed", "--data", str(tmp_path / "d.jsonl")])
    assert r.exit_code == 1, r.output
    line = (r.stderr if hasattr(r, "stderr") else r.output).strip()
    assert "d.jsonl" in line and "'mixed' mixes value types (int, str)" in line and "Traceback" not in line
    assert not (tmp_path / "l.parquet").exists()


def test_kept_csv_text_is_the_text_the_lfs_saw(tmp_path):
    # an LF saw "NA" as text (io/csv_ids.py): the kept column an end model trains on holds it too
    (tmp_path / "d.csv").write_text("id,text\n1,good\n2,NA\n3,bad\n4,null\n5,good NA\n")
    (tmp_path / "lfs.py").write_text(GOOD_BAD_LFS)
    r = runner.invoke(app, ["apply", str(tmp_path / "lfs.py"), str(tmp_path / "d.csv"), "-o",
                            str(tmp_path / "v.parquet"), "--id-col", "id", "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["fit", str(tmp_path / "v.parquet"), "-o", str(tmp_path / "l.parquet"), "--keep-cols",
                            "text", "--data", str(tmp_path / "d.csv"), "-q"])
    assert r.exit_code == 0, r.output
    assert pd.read_parquet(tmp_path / "l.parquet")["text"].tolist() == ["good", "NA", "bad", "null", "good NA"]
