"""Id columns must survive apply -> fit/predict unchanged (adversarial findings: data loss)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from weaklabel.apply import apply_file
from weaklabel.errors import InputError
from weaklabel.fit import fit_file
from weaklabel.io import read_metadata
from weaklabel.votes import VoteMatrix
from weaklabel.votes.gold import align_gold
from weaklabel.votes.reader import VotesSource

LFS = """
CLASSES = ["neg", "pos"]

@labeling_function()
def good(x):
    return 1 if "good" in x.text else 0
"""


def _data(tmp_path, ids, name="data.parquet"):
    n = len(ids)
    text = ["good" if i % 3 else "bad" for i in range(n)]
    path = tmp_path / name
    if isinstance(ids, pa.Array):
        pq.write_table(pa.table({"id": ids, "text": text}), path)
    else:
        pd.DataFrame({"row": ids, "text": text, "label": [1 if i % 3 else 0 for i in range(n)]}).to_parquet(path)
    return path


@pytest.mark.parametrize("stream", [False, True])
def test_id_column_named_row_is_kept(tmp_path, write_lfs, stream):
    data = _data(tmp_path, list(range(59, -1, -1)))
    votes = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, votes, id_cols="row", batch_size=7)
    assert read_metadata(votes).get("row_is_id") is True
    assert list(VoteMatrix.read_parquet(votes).row_ids["row"]) == list(range(59, -1, -1))
    assert VotesSource(votes).layout.id_columns == ("row",)
    fit_file(votes, tmp_path / "labels.parquet", "majority", stream=stream)
    labels = pd.read_parquet(tmp_path / "labels.parquet")
    assert list(labels["row"]) == list(range(59, -1, -1))
    # analyze --gold: a gold file with only some rows, matched by the `row` ids
    gold = pd.read_parquet(data).iloc[::2]
    y = align_gold(VoteMatrix.read_parquet(votes), gold, "label")
    assert (y[::2] == gold["label"].to_numpy()).all()


def test_no_ids_still_row_positions(tmp_path, write_lfs):
    data = _data(tmp_path, list(range(59, -1, -1)))
    votes = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, votes)
    meta = read_metadata(votes)
    assert meta["id_columns"] == ["row"] and "row_is_id" not in meta
    assert VoteMatrix.read_parquet(votes).row_ids is None
    assert VotesSource(votes).layout.id_columns == ()


@pytest.mark.parametrize("name", ["label", "prob_0", "prob_7", "confidence", "label_name"])
def test_id_col_with_a_labels_column_name_is_refused(tmp_path, write_lfs, name):
    data = tmp_path / "d.parquet"
    pd.DataFrame({name: ["a", "b"], "text": ["good", "bad"]}).to_parquet(data)
    with pytest.raises(InputError, match=f"--id-col '{name}': labels.parquet writes a column of that name"):
        apply_file(write_lfs(LFS), data, tmp_path / "v.parquet", id_cols=name)


def test_fit_refuses_old_votes_with_a_label_id_column(tmp_path):
    # as an older version wrote them: id column `label`
    vm = VoteMatrix.from_dense([[1], [0]], cardinality=2, lf_names=["lf"])
    vm.row_ids = pd.DataFrame({"label": ["a", "b"]})
    votes = tmp_path / "v.parquet"
    vm.to_parquet(votes)
    for stream in (False, True):
        with pytest.raises(InputError, match="id column 'label' has the name of a column labels.parquet writes"):
            fit_file(votes, tmp_path / "l.parquet", "majority", stream=stream)
    assert not (tmp_path / "l.parquet").exists()


def test_labels_table_refuses_to_overwrite_an_id_column():
    import numpy as np

    from weaklabel.io import labels_table

    with pytest.raises(InputError, match="id column 'prob_1'"):
        labels_table(pa.table({"prob_1": ["a"]}), np.array([[0.5, 0.5]]), np.array([0]))


def test_repeated_id_col_is_refused(tmp_path, write_lfs):
    data = _data(tmp_path, pa.array(["a", "b"]))
    with pytest.raises(InputError, match="--id-col 'id' is given more than once"):
        apply_file(write_lfs(LFS), data, tmp_path / "v.parquet", id_cols=["id", "id"])


@pytest.mark.parametrize("classes", [["pos", "neg", "pos"], ["yes", " yes ", "no"]])
def test_repeated_classes_are_refused(tmp_path, write_lfs, classes):
    data = _data(tmp_path, pa.array(["a", "b"]))
    lfs = write_lfs("@labeling_function()\ndef one(x):\n    return 1\n")
    with pytest.raises(InputError, match="appears more than once; class names must be distinct"):
        apply_file(lfs, data, tmp_path / "v.parquet", classes=classes)


def test_mixed_type_jsonl_ids_are_one_error(tmp_path, write_lfs):
    data = tmp_path / "mixed.jsonl"
    data.write_text(json.dumps({"id": "r0", "text": "good"}) + "\n" + json.dumps({"id": 1, "text": "bad"}) + "\n")
    with pytest.raises(InputError, match=r"mixed.jsonl: id column 'id' mixes value types \(int, str\)"):
        apply_file(write_lfs(LFS), data, tmp_path / "v.parquet", id_cols="id")


@pytest.mark.parametrize("stream", [False, True])
def test_nullable_big_int_ids_keep_their_type(tmp_path, write_lfs, stream):
    n = 500
    ids = pa.array([None if i == 450 else 2**62 + i for i in range(n)], pa.int64())
    data = _data(tmp_path, ids)
    votes = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, votes, id_cols="id", batch_size=50)
    got = pq.read_table(votes).column("id")
    assert got.type == pa.int64() and got.equals(pq.read_table(data).column("id"))
    fit_file(votes, tmp_path / "labels.parquet", "majority", stream=stream)
    got = pq.read_table(tmp_path / "labels.parquet").column("id")
    assert got.type == pa.int64() and got.equals(pq.read_table(data).column("id"))


def test_small_nullable_int_ids_stay_int(tmp_path, write_lfs):
    data = _data(tmp_path, pa.array([1, None, 3, 4], pa.int32()))
    votes = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, votes, id_cols="id", batch_size=2)
    assert pq.read_schema(votes).field("id").type == pa.int32()


def test_decimal_ids_in_batches(tmp_path, write_lfs):
    from decimal import Decimal

    ids = pa.array([Decimal("0.1234567890123456789012345678"), Decimal("1.1")] * 60, pa.decimal128(29, 28))
    data = _data(tmp_path, ids)
    votes = tmp_path / "votes.parquet"
    apply_file(write_lfs(LFS), data, votes, id_cols="id", batch_size=50)
    assert pq.read_table(votes).column("id").equals(pq.read_table(data).column("id"))


@pytest.mark.parametrize("stream", [False, True])
def test_evaluate_reads_a_real_row_id_column_as_ids(tmp_path, write_lfs, stream):
    """A labels file whose `row` column holds the input's ids (not positions) is marked so, and
    `evaluate` matches gold by those ids: without the mark it took ids 59..0 (or 100..159) for
    row positions and scored other rows, or refused a gold table in row order."""
    from weaklabel.evaluation import evaluate

    for ids in (list(range(59, -1, -1)), list(range(100, 160))):
        data = _data(tmp_path, ids)
        votes = tmp_path / "votes.parquet"
        apply_file(write_lfs(LFS), data, votes, id_cols="row", force=True)
        labels = tmp_path / "labels.parquet"
        fit_file(votes, labels, "majority", stream=stream, force=True)
        assert read_metadata(labels).get("row_is_id") is True
        assert evaluate(labels, data)["accuracy"] == 1.0          # the LF is always right here
        # a gold table in the data's order without the `row` column: matched row for row
        no_ids = pd.read_parquet(data).drop(columns=["row"])
        assert evaluate(labels, no_ids)["accuracy"] == 1.0
    # without ids the labels' `row` column is positions, as before
    apply_file(write_lfs(LFS), data, votes, force=True)
    fit_file(votes, labels, "majority", stream=stream, force=True)
    assert "row_is_id" not in read_metadata(labels)
    assert evaluate(labels, pd.read_parquet(data).drop(columns=["row"]))["accuracy"] == 1.0


def test_repeated_64_bit_ids_with_nulls_are_counted_and_named_exactly(tmp_path, write_lfs):
    # int64 ids with a null went through float64: three ids beyond 2^53 were "1 id" named 4.6e+18
    from typer.testing import CliRunner

    from weaklabel.cli import app

    big = [2**62 + 1, None, 2**62 + 3, 2**62 + 5] * 3
    pq.write_table(pa.table({"id": pa.array(big, type=pa.int64()), "text": ["a"] * 12}), tmp_path / "d.parquet")
    r = CliRunner().invoke(app, ["apply", str(write_lfs(LFS)), str(tmp_path / "d.parquet"), "-o",
                                 str(tmp_path / "v.parquet"), "--id-col", "id", "--json"])
    assert r.exit_code == 0, r.output
    dups = json.loads(r.stdout)["duplicate_ids"]
    assert dups["count"] == 3 and dups["first"][:2] == [2**62 + 1, 2**62 + 3]
