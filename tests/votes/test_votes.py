import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from weaklabel import VoteMatrix
from weaklabel.errors import InputError
from weaklabel.io import read_metadata


def _dense(n=200, m=7, K=3, cov=0.3, seed=0):
    rng = np.random.default_rng(seed)
    L = rng.integers(0, K, size=(n, m))
    L[rng.random((n, m)) > cov] = -1
    return L


def test_dense_round_trip_and_csr_layout():
    L = _dense()
    vm = VoteMatrix.from_dense(L, cardinality=3)
    assert vm.shape == (200, 7) and vm.nnz == int((L >= 0).sum())
    assert vm.indptr.dtype == np.int64 and vm.indices.dtype == np.int32 and vm.votes.dtype == np.int8
    np.testing.assert_array_equal(vm.to_dense(), L)
    for i in (0, 17, 199):  # row i's votes in LF order
        cols = vm.indices[vm.indptr[i]:vm.indptr[i + 1]]
        assert cols.tolist() == np.flatnonzero(L[i] >= 0).tolist()


def test_large_cardinality_uses_int16():
    L = np.array([[200, -1], [3, 150]])
    vm = VoteMatrix.from_dense(L, cardinality=300)
    assert vm.votes.dtype == np.int16
    np.testing.assert_array_equal(vm.to_dense(), L)


def test_take_and_select_lfs():
    L = _dense(seed=1)
    vm = VoteMatrix.from_dense(L, cardinality=3, row_ids=pd.DataFrame({"id": np.arange(200) + 1000}))
    rows = np.array([5, 3, 199, 3])
    sub = vm.take(rows)
    np.testing.assert_array_equal(sub.to_dense(), L[rows])
    assert sub.row_ids["id"].tolist() == [1005, 1003, 1199, 1003]
    sel = vm.select_lfs([4, 0, "lf_2"])
    np.testing.assert_array_equal(sel.to_dense(), L[:, [4, 0, 2]])
    assert sel.lf_names == ["lf_4", "lf_0", "lf_2"]
    mask = L[:, 0] >= 0
    np.testing.assert_array_equal(vm.take(mask).to_dense(), L[mask])


@pytest.mark.parametrize("L, msg", [
    (np.array([[0, 3]]), "outside -1..2"),
    (np.array([[0, -2]]), "outside -1..2"),
    (np.array([[0.5, 1]]), "must be integers"),
])
def test_invalid_dense_votes(L, msg):
    with pytest.raises(InputError, match=msg):
        VoteMatrix.from_dense(L, cardinality=3)


def test_parquet_round_trip_with_metadata(tmp_path):
    L = _dense(n=1000, seed=2)
    ids = pd.DataFrame({"doc": [f"d{i}" for i in range(1000)], "part": np.arange(1000) % 3})
    vm = VoteMatrix.from_dense(L, cardinality=3, lf_names=[f"rule_{j}" for j in range(7)], row_ids=ids,
                               classes=["a", "b", "c"])
    path = tmp_path / "votes.parquet"
    vm.to_parquet(path)
    back = VoteMatrix.read_parquet(path)
    assert back.equals(vm) and back.classes == ["a", "b", "c"]
    pd.testing.assert_frame_equal(back.row_ids, ids)
    meta = read_metadata(path)
    assert meta["format"] == "weaklabel.votes" and meta["id_columns"] == ["doc", "part"]
    assert pq.read_schema(path).names == ["doc", "part"] + [f"rule_{j}" for j in range(7)]
    with pytest.raises(InputError, match="already exists"):
        vm.to_parquet(path)


def test_plain_parquet_without_metadata(tmp_path):
    L = _dense(n=50, m=3, K=4, cov=0.9, seed=3)
    df = pd.DataFrame(L, columns=["a", "b", "c"])
    df.insert(0, "id", [f"x{i}" for i in range(50)])
    p = tmp_path / "plain.parquet"
    df.to_parquet(p)
    vm = VoteMatrix.read_parquet(p)
    assert vm.lf_names == ["a", "b", "c"] and vm.cardinality == int(L.max()) + 1
    np.testing.assert_array_equal(vm.to_dense(), L)
    assert vm.row_ids["id"].tolist() == df["id"].tolist()


def test_read_rejects_bad_vote_files(tmp_path):
    p = tmp_path / "nulls.parquet"
    pd.DataFrame({"a": pd.array([1, None], dtype="Int8")}).to_parquet(p)
    with pytest.raises(InputError, match="missing value at row 1"):
        VoteMatrix.read_parquet(p)
    p2 = tmp_path / "floats.parquet"
    pd.DataFrame({"a": [0.0, 1.0]}).to_parquet(p2)
    with pytest.raises(InputError, match="has no LF vote columns|must be integers"):
        VoteMatrix.read_parquet(p2, id_cols=[])
    p3 = tmp_path / "labels_like.parquet"
    table = pa.table({"a": pa.array([0, 1], pa.int8())}).replace_schema_metadata(
        {b"weaklabel": json.dumps({"format": "weaklabel.labels"}).encode()})
    pq.write_table(table, p3)
    with pytest.raises(InputError, match="not a votes file"):
        VoteMatrix.read_parquet(p3)


@pytest.mark.parametrize("stats", [True, False])
def test_a_plain_votes_file_refuses_an_integer_id_column_it_would_take_for_an_lf(tmp_path, stats):
    """A Parquet file without weaklabel metadata whose integer id column has another name than the
    ones recognised (``review_no``) became an LF: K = 1500, a nine-minute fit of nonsense, exit 0.
    Both readers (in memory, and streaming with or without row-group statistics) now refuse it in
    one line naming the column; plain files with small votes, or the id under a recognised name,
    still read."""
    from typer.testing import CliRunner

    from weaklabel.cli import app
    from weaklabel.votes.file import read_votes
    from weaklabel.votes.reader import VotesSource as VotesReader

    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    lfs = {f"lf{j}": np.where(rng.random(n) < 0.5, np.where(rng.random(n) < 0.8, y, 1 - y), -1) for j in range(4)}
    bad = tmp_path / "votes.parquet"
    pq.write_table(pa.table({"review_no": np.arange(n) + 1000, **lfs}), bad, write_statistics=stats)
    msg = r"column 'review_no' holds values up to 1,399 and never abstains while every other column's votes stay at or below 1"
    with pytest.raises(InputError, match=msg):
        read_votes(bad)
    with pytest.raises(InputError, match=msg):
        VotesReader(bad)
    r = CliRunner().invoke(app, ["fit", str(bad), "-o", str(tmp_path / "labels.parquet")])
    assert r.exit_code == 1 and "an id column, not an LF's votes?" in r.output
    assert not (tmp_path / "labels.parquet").exists()
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"id": np.arange(n) + 1000, **lfs}), good, write_statistics=stats)
    vm = read_votes(good)
    assert vm.lf_names == list(lfs) and vm.cardinality == 2 and vm.row_ids["id"].iloc[0] == 1000
    assert VotesReader(good).cardinality == 2
    many = tmp_path / "many.parquet"    # a real LF with many classes beside others: not refused
    pq.write_table(pa.table({"a": np.arange(n) % 40, "b": (np.arange(n) + 1) % 40}), many, write_statistics=stats)
    assert read_votes(many).cardinality == 40
    # LFs over 150 classes that never abstain beside keyword LFs, on a file of some size; and an LF
    # beside one that never votes (a reviewer's finds: both were refused)
    wide = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"clf": np.arange(n) % 150, "kw": np.where(np.arange(n) % 7 == 0, 30, -1)}), wide,
                   write_statistics=stats)
    assert read_votes(wide).cardinality == 150 and VotesReader(wide).cardinality == 150
    silent = tmp_path / "silent.parquet"
    pq.write_table(pa.table({"only": np.where(np.arange(n) % 3 == 0, np.arange(n) % 120, -1),
                             "silent": np.full(n, -1)}), silent, write_statistics=stats)
    assert read_votes(silent).cardinality == 118 and VotesReader(silent).cardinality == 118   # 117 + 1


@pytest.mark.parametrize("name", ["doc_id", "ID", "Review_ID", "Index"])
def test_a_plain_votes_file_takes_columns_named_like_ids_for_ids(tmp_path, name):
    """An integer column named like an id (``doc_id``, any case) is an id column of a plain votes
    file. Under a name the rule did not know, small values passed every check: on a file of 40
    rows ``doc_id`` (0..39) was an LF, K = 40, and ``fit`` exited 0 with 40 classes."""
    from typer.testing import CliRunner

    from weaklabel.cli import app
    from weaklabel.votes.file import read_votes
    from weaklabel.votes.reader import VotesSource as VotesReader

    rng = np.random.default_rng(1)
    n = 40
    y = rng.integers(0, 2, n)
    lfs = {f"lf{j}": np.where(rng.random(n) < 0.7, np.where(rng.random(n) < 0.85, y, 1 - y), -1) for j in range(3)}
    path = tmp_path / "votes.parquet"
    pq.write_table(pa.table({name: np.arange(n), **lfs}), path)
    vm = read_votes(path)
    assert vm.lf_names == list(lfs) and vm.cardinality == 2 and list(vm.row_ids.columns) == [name]
    src = VotesReader(path)
    assert src.cardinality == 2 and src.id_columns == [name]
    out = tmp_path / "labels.parquet"
    r = CliRunner().invoke(app, ["fit", str(path), "-o", str(out), "--model", "majority"])
    assert r.exit_code == 0, r.output
    labels = pd.read_parquet(out)
    assert list(labels.columns[:3]) == [name, "prob_0", "prob_1"] and labels[name].tolist() == list(range(n))


@pytest.mark.parametrize("stats", [True, False])
def test_a_plain_votes_file_with_a_vote_above_the_class_limit_is_one_error_naming_the_column(tmp_path, stats):
    """A plain votes file with a stray huge vote (2**40) in one LF column: ``fit --stream`` (and a
    default fit, which streams what looks too big) inferred K = 2**40 + 1 and died allocating
    80 TiB (a traceback); the in-memory read said "vote matrix: cardinality ... is above the
    limit" without the file or the column. Every reader now refuses it in one line naming both."""
    from typer.testing import CliRunner

    from weaklabel.cli import app
    from weaklabel.votes.file import read_votes
    from weaklabel.votes.reader import VotesSource

    n = 60
    a = np.where(np.arange(n) % 3 == 0, -1, np.arange(n) % 2)
    b = a.copy()
    b[5] = 2 ** 40
    p = tmp_path / "votes.parquet"
    pq.write_table(pa.table({"id": np.arange(n), "a": a, "b": b}), p, write_statistics=stats)
    msg = r"votes.parquet: LF column 'b' holds the vote 1,099,511,627,776, above the limit of 32,767 classes"
    with pytest.raises(InputError, match=msg):
        read_votes(p)
    with pytest.raises(InputError, match=msg):
        VotesSource(p)
    for extra in ([], ["--stream"], ["--no-stream"]):
        r = CliRunner().invoke(app, ["fit", str(p), "-o", str(tmp_path / "labels.parquet"), *extra])
        assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
        assert "LF column 'b' holds the vote" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "labels.parquet").exists()


@pytest.mark.parametrize("kind", ["float_nan", "bool", "null"])
def test_a_plain_votes_file_refuses_a_float_bool_or_null_column_it_would_take_for_an_id(tmp_path, kind):
    """A plain votes file built in pandas with NaN for abstain has a float64 LF column (a binary LF
    may be True/False; an LF that never ran, all None, has type null). Non-integer columns are
    row ids there, so the LF was silently left out of every fit, analyze and predict (exit 0),
    its values written into labels.parquet as an id column. Each reader now refuses it in one
    line naming the column and the fix; a column named as an id (``id``...) is still an id."""
    from typer.testing import CliRunner

    from weaklabel.cli import app
    from weaklabel.votes.file import read_votes
    from weaklabel.votes.reader import VotesSource

    n = 40
    a = np.where(np.arange(n) % 3 == 0, -1, np.arange(n) % 2)
    col = {"float_nan": pa.array(np.where(a < 0, np.nan, a.astype(float))),
           "bool": pa.array(a == 1), "null": pa.nulls(n)}[kind]
    p = tmp_path / "votes.parquet"
    pq.write_table(pa.table({"doc": [f"d{i}" for i in range(n)], "a": a, "b": col}), p)
    msg = r"votes.parquet: column 'b' has type \w+; a Parquet file without weaklabel metadata takes non-integer"
    with pytest.raises(InputError, match=msg):
        read_votes(p)
    with pytest.raises(InputError, match=msg):
        VotesSource(p)
    for cmd in (["fit", str(p), "-o", str(tmp_path / "labels.parquet")], ["analyze", str(p)]):
        r = CliRunner().invoke(app, cmd)
        assert r.exit_code == 1 and "column 'b' has type" in r.output, r.output
    assert not (tmp_path / "labels.parquet").exists()
    ok = tmp_path / "ok.parquet"   # under an id name it is an id column, as before
    pq.write_table(pa.table({"id": col, "a": a}), ok)
    assert read_votes(ok).lf_names == ["a"]


def _edited_copies(votes_dataset, tmp_path):
    """The weaklabel votes file of ``votes_dataset`` edited after it was written, metadata kept:
    one vote changed, and the last 100 rows removed."""
    _vm, file, _folder = votes_dataset
    pf = pq.ParquetFile(file)
    table, kv = pf.read(), pf.metadata.metadata
    col = table.column("lf0").to_numpy().copy()
    i = int(np.flatnonzero(col == -1)[0])
    col[i] = 0   # one more vote for class 0
    changed = table.set_column(table.schema.get_field_index("lf0"), table.schema.field("lf0"),
                               pa.array(col, table.schema.field("lf0").type))
    pq.write_table(changed.replace_schema_metadata(kv), tmp_path / "changed.parquet")
    pq.write_table(table.slice(0, table.num_rows - 100).replace_schema_metadata(kv), tmp_path / "cut.parquet")
    return {"changed.parquet": "the vote counts in its metadata do not match its votes",
            "cut.parquet": f"its metadata says {table.num_rows:,} rows but it has {table.num_rows - 100:,}"}


def test_edited_votes_file_is_refused_in_memory_as_when_streamed(votes_dataset, tmp_path):
    """`fit --stream` refused a votes file whose metadata counts no longer match its votes; the
    in-memory read (`fit`, `analyze`) accepted it. Both refuse it now, with the same one line, and
    so does a removal of rows (not seen by --stream either)."""
    from typer.testing import CliRunner

    from weaklabel.cli import app

    vm, file, _folder = votes_dataset
    assert VoteMatrix.read_parquet(file).nnz == vm.nnz           # the unedited file reads
    for name, message in _edited_copies(votes_dataset, tmp_path).items():
        path = tmp_path / name
        with pytest.raises(InputError, match=message):
            VoteMatrix.read_parquet(path)
        for argv in (["fit", path, "-o", tmp_path / "l.parquet", "-m", "majority"],
                     ["fit", path, "-o", tmp_path / "l.parquet", "-m", "majority", "--stream"],
                     ["analyze", path]):
            r = CliRunner().invoke(app, [str(a) for a in argv])
            lines = [x for x in r.output.splitlines() if x.strip()]
            assert r.exit_code == 1 and len(lines) == 1 and message in lines[0] and name in lines[0], r.output
            assert "was the file changed after `weaklabel apply` wrote it?" in lines[0]
        assert not (tmp_path / "l.parquet").exists()


def test_a_subset_written_with_the_original_metadata_reads_back(votes_dataset, tmp_path):
    """`vm.take(rows).to_parquet(p, metadata=vm.metadata)` carried the original row and vote
    counts into the new file, which reading then refused as edited: they are the subset's now."""
    vm = VoteMatrix.read_parquet(votes_dataset[1])
    part = vm.take(np.arange(500))
    part.to_parquet(tmp_path / "part.parquet", metadata=vm.metadata)
    back = VoteMatrix.read_parquet(tmp_path / "part.parquet")
    assert back.n_rows == 500 and back.metadata["rows"] == 500
    assert [d["class_votes"] for d in back.metadata["lfs"]] == part.lf_class_counts().tolist()
    # so are its LFs: select_lfs dropped and reordered some (the metadata named the dropped ones)
    names = vm.lf_names[::-1][:2]
    vm.select_lfs(names).to_parquet(tmp_path / "some.parquet", metadata=vm.metadata)
    back = VoteMatrix.read_parquet(tmp_path / "some.parquet")
    assert back.lf_names == names and [d["name"] for d in back.metadata["lfs"]] == names
    assert [d["class_votes"] for d in back.metadata["lfs"]] == vm.select_lfs(names).lf_class_counts().tolist()
