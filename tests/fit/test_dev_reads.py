"""``fit --dev`` reads its gold file once, and only the columns it matches on.

A JSON Lines gold file was scanned (for its columns, the union of the records' keys) by
``load_dev``, scanned again by the read of ``align_gold`` and then read: three passes; a JSON
Lines table of labelled dev votes was scanned three times and read twice. Now the file is opened
once (one scan, one read), and a gold file's other columns (its text) are not read into memory.
The labels are those the whole-table reading gave."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import weaklabel.io.tables as tables
import weaklabel.votes.gold as gold
from weaklabel.fit import fit_file
from weaklabel.io import read_table
from weaklabel.votes import VoteMatrix
from weaklabel.votes.file import write_votes

N = 40


@pytest.fixture
def votes(tmp_path):
    rng = np.random.default_rng(3)
    L = rng.integers(-1, 2, size=(N, 3))
    vm = VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "c"],
                               row_ids=pd.DataFrame({"id": np.arange(100, 100 + N)}))
    write_votes(vm, tmp_path / "votes.parquet")
    return VoteMatrix.read_parquet(tmp_path / "votes.parquet"), tmp_path / "votes.parquet"


def _gold_records(n: int = 25) -> list[dict]:
    """Gold rows for some of the votes' ids (in another order), with a text column, an optional
    key and a missing label."""
    out = []
    for k, i in enumerate(range(100 + N - 1, 100 + N - 1 - n, -1)):
        rec = {"text": f"row {i} " * 5, "id": i, "label": [0, 1, None][k % 3]}
        if k % 4 == 1:
            rec["note"] = "checked"
        out.append(rec)
    return out


def _write_jsonl(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" + ("\n" if i == 3 else "") for i, r in enumerate(records)))


@pytest.fixture
def passes(monkeypatch):
    """Count the JSON Lines scans (``scan_json_lines``) and reads (``pandas.read_json``) per file."""
    seen = {"scan": 0, "read": 0}
    scan, read_json = tables.scan_json_lines, pd.read_json

    def counted_scan(path):
        seen["scan"] += 1
        return scan(path)

    def counted_read(path, *args, **kwargs):
        seen["read"] += 1
        return read_json(path, *args, **kwargs)

    monkeypatch.setattr(tables, "scan_json_lines", counted_scan)
    monkeypatch.setattr(pd, "read_json", counted_read)
    return seen


def test_a_json_lines_gold_file_is_scanned_once_and_read_once(votes, tmp_path, passes):
    vm, _ = votes
    path = tmp_path / "gold.jsonl"
    _write_jsonl(path, _gold_records())
    fit_vm, y, n = gold.load_dev(vm, path, "label")
    assert passes == {"scan": 1, "read": 1}          # was 2 scans and a read
    # the labels of the whole-table reading, matched by id
    want = gold.align_gold(vm, read_table(path, id_cols=["id"]), "label", where=str(path))
    assert fit_vm is vm and n == N and y.tolist() == want.tolist()
    by_id = {r["id"]: r["label"] for r in _gold_records()}
    assert y.tolist() == [by_id.get(i) if by_id.get(i) is not None else -1 for i in range(100, 100 + N)]


def test_a_json_lines_table_of_labelled_dev_votes_is_scanned_once_and_read_once(votes, tmp_path, passes):
    vm, _ = votes
    rows = [{"a": j % 2, "b": -1, "c": (j + 1) % 2, "label": j % 2, **({"x": "y"} if j == 2 else {})}
            for j in range(7)]
    path = tmp_path / "dev.jsonl"
    _write_jsonl(path, rows)
    both, y, n = gold.load_dev(vm, path, "label")
    assert passes == {"scan": 1, "read": 1}          # was 3 scans and 2 reads
    assert n == N and both.n_rows == N + 7
    assert y.tolist() == [-1] * N + [j % 2 for j in range(7)]
    assert both.take(np.arange(N, N + 7)).to_dense().tolist() == [[r["a"], r["b"], r["c"]] for r in rows]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_gold_file_is_read_for_its_id_and_label_columns_only(votes, tmp_path, monkeypatch, fmt):
    """Its other columns (a text, notes) were read into memory with the labels; the labels and
    every message are the same."""
    vm, _ = votes
    path = tmp_path / f"gold.{fmt}"
    frame = pd.DataFrame(_gold_records())
    if fmt == "jsonl":
        _write_jsonl(path, _gold_records())
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    whole = gold.align_gold(vm, read_table(path, id_cols=["id"]), "label", where=str(path))
    asked = []
    real = gold.read_table

    def spy(src, columns=None, **kwargs):
        asked.append(columns)
        return real(src, columns, **kwargs)

    monkeypatch.setattr(gold, "read_table", spy)
    assert gold.align_gold(vm, path, "label").tolist() == whole.tolist()
    assert gold.load_dev(vm, path, "label")[1].tolist() == whole.tolist()
    assert asked == [["id", "label"]] * 2             # was None: every column
    # by position (no id column): the label column alone; the messages name the file's columns
    no_ids = tmp_path / f"noid.{fmt}"
    frame = frame.drop(columns=["id"])
    if fmt == "jsonl":
        _write_jsonl(no_ids, frame.to_dict("records"))
    elif fmt == "csv":
        frame.to_csv(no_ids, index=False)
    else:
        frame.to_parquet(no_ids, index=False)
    with pytest.raises(gold.InputError, match=r"has none of the votes' id columns \['id'\] \(its columns: "
                                              r"text, label(, note)?\) and 25 rows against the votes' 40"):
        gold.align_gold(vm, no_ids, "label")
    with pytest.raises(gold.InputError, match=r"no label column 'gold' \(columns: text, label"):
        gold.align_gold(vm, no_ids, "gold")
    assert asked[2:] == [["label"]]


def test_fit_with_a_json_lines_dev_file_gives_the_labels_of_the_same_gold_as_parquet(votes, tmp_path, passes):
    _, votes_path = votes
    as_jsonl, as_parquet = tmp_path / "gold.jsonl", tmp_path / "gold.parquet"
    _write_jsonl(as_jsonl, _gold_records())
    pd.read_json(as_jsonl, lines=True).to_parquet(as_parquet, index=False)
    passes.update(scan=0, read=0)
    a = fit_file(votes_path, tmp_path / "a.parquet", "ds", dev=as_jsonl, seed=1)
    assert passes == {"scan": 1, "read": 1}
    b = fit_file(votes_path, tmp_path / "b.parquet", "ds", dev=as_parquet, seed=1)
    assert (a.dev_rows, a.dev_accuracy) == (b.dev_rows, b.dev_accuracy) and a.dev_rows == 17
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet"))
