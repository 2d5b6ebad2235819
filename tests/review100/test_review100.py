"""Review 100: ``weaklabel crowd`` and what reads its votes, at a crowd's sizes.

* Integer labels were sorted through float64: labels above 2**53 that differ (``2**60`` and
  ``2**60 + 1``, 64-bit category ids) became one class, silently (their answers one class's votes).
* The classes were named once per answer in Python (10 million answers: 12 of 21 seconds); they
  are named once per distinct label.
* Votes of many worker columns: ``read_votes`` read 2**18 rows a batch whatever the width (100,000
  items of 10,000 workers: one batch of a billion cells, 12 GB resident), and ``fit``'s memory
  estimate sampled 2**16 rows of every column (6 GB); both are bounded in cells.
* A gold file without the votes' id column: each of its columns was scanned through the whole CSV
  (one pass a column), and every column whose first values were ids read whole and sorted with the
  votes' ids sorted again each time (a million rows and 30 numeric columns: 74 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.votes import answers as answers_mod
from weaklabel.votes.answers import votes_from_answers


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


# --------------------------------------------------------------------------- class names
def test_large_integer_labels_stay_distinct_classes():
    big = 2 ** 60
    answers = pd.DataFrame({"item": ["a", "a", "b", "b", "c", "c"], "worker": ["w1", "w2"] * 3,
                            "label": [big, big + 1, big + 1, big + 1, 7, 7]})
    vm, summary = votes_from_answers(answers)
    assert vm.classes == ["7", str(big), str(big + 1)]
    assert summary.class_answers == [2, 1, 3]
    assert vm.to_dense().tolist() == [[1, 2], [2, 2], [0, 0]]


def test_large_integer_labels_from_a_csv(tmp_path: Path):
    big = 2 ** 60
    (tmp_path / "answers.csv").write_text(f"item,worker,label\na,w1,{big}\na,w2,{big + 1}\nb,w1,7\nb,w2,{big}\n")
    r = run("crowd", tmp_path / "answers.csv", "-o", tmp_path / "votes.parquet", "--json")
    assert r.exit_code == 0, r.output
    votes = pd.read_parquet(tmp_path / "votes.parquet")
    assert votes[["w1", "w2"]].to_numpy().tolist() == [[1, 2], [0, 1]]


def test_classes_are_named_once_per_distinct_label_not_per_answer(monkeypatch):
    calls = []
    real = answers_mod._text
    monkeypatch.setattr(answers_mod, "_text", lambda x: calls.append(x) or real(x))
    rng = np.random.default_rng(0)
    n = 5000
    answers = pd.DataFrame({"item": rng.integers(0, 500, n), "worker": rng.integers(0, 50, n),
                            "label": np.array(["neg", "neu", "pos"], dtype=object)[rng.integers(0, 3, n)]})
    vm, _ = votes_from_answers(answers)
    assert vm.classes == ["neg", "neu", "pos"]
    assert len(calls) <= 10, len(calls)
    calls.clear()
    vm2, _ = votes_from_answers(answers, classes=["pos", "neu", "neg"])
    assert len(calls) <= 10, len(calls)
    assert vm2.classes == ["pos", "neu", "neg"]
    d1, d2 = vm.to_dense(), vm2.to_dense()
    assert ((d1 < 0) == (d2 < 0)).all() and (d2[d1 >= 0] == 2 - d1[d1 >= 0]).all()


@pytest.mark.parametrize("labels, names", [
    ([1, True, 0, False], ["0", "1", "False", "True"]),     # pandas hashes True as 1: kept apart, as before
    ([1, "1", 2, 2], ["1", "2"]),
    ([1, 1.0, 2, 2.0], ["1", "2"]),
    ([0.5, 1.5, 1.0, 0.5], ["0.5", "1", "1.5"]),           # as gold labels read: a truth file of 1.0 matches "1"
    ([3, 1, 10, 3], ["1", "3", "10"]),
])
def test_class_names_of_mixed_label_columns(labels, names):
    answers = pd.DataFrame({"item": range(len(labels)), "worker": ["w"] * len(labels),
                            "label": pd.Series(labels, dtype=object)})
    vm, _ = votes_from_answers(answers)
    assert vm.classes == names


def test_a_label_outside_the_classes_given_names_its_row():
    answers = pd.DataFrame({"item": [1, 2, 3, 4], "worker": ["a"] * 4, "label": ["x", "y", None, "z"]})
    with pytest.raises(Exception, match=r"answers, row 3: label 'z' is not one of the classes given"):
        votes_from_answers(answers, classes=["x", "y"])


# --------------------------------------------------------------------------- wide votes
def _wide_crowd_votes(tmp_path: Path, workers: int = 3000, items: int = 6) -> Path:
    rng = np.random.default_rng(0)
    rows = [(f"i{i}", f"w{w}", int(rng.integers(0, 2))) for i in range(items) for w in range(workers) if (i + w) % 2]
    pd.DataFrame(rows, columns=["item", "worker", "label"]).to_parquet(tmp_path / "answers.parquet", index=False)
    r = run("crowd", tmp_path / "answers.parquet", "-o", tmp_path / "votes.parquet", "-q")
    assert r.exit_code == 0, r.output
    return tmp_path / "votes.parquet"


def test_read_votes_batches_are_bounded_in_cells(tmp_path: Path, monkeypatch):
    from weaklabel.io import TableSource
    from weaklabel.votes.file import read_votes

    path = _wide_crowd_votes(tmp_path)
    asked = []
    for name in ("iter_batches", "iter_batches_with_ids"):
        real = getattr(TableSource, name)

        def spy(self, batch_rows, *a, _real=real, **k):
            asked.append(batch_rows)
            return _real(self, batch_rows, *a, **k)
        monkeypatch.setattr(TableSource, name, spy)
    vm = read_votes(path)
    assert vm.n_lfs == 3000 and vm.n_rows == 6
    assert asked and max(asked) * vm.n_lfs <= 1 << 26, asked
    assert vm.row_ids["item"].tolist() == [f"i{i}" for i in range(6)]
    dense = vm.to_dense()
    assert ((dense >= 0).sum(axis=1) == 1500).all()


def test_memory_estimate_samples_a_bounded_number_of_cells(tmp_path: Path, monkeypatch):
    from weaklabel.votes.reader import VotesSource

    path = _wide_crowd_votes(tmp_path)
    source = VotesSource(path)
    asked = []
    real = VotesSource.blocks

    def spy(self, block_rows=None, *a, **k):
        asked.append(block_rows)
        return real(self, block_rows, *a, **k)
    monkeypatch.setattr(VotesSource, "blocks", spy)
    nnz, how = source.nnz_estimate()
    assert how == "sample" and nnz == 6 * 1500
    assert asked and all(b is not None and b * source.n_lfs <= 1 << 26 for b in asked), asked
    assert run("fit", path, "-o", tmp_path / "labels.parquet", "-m", "majority", "-q").exit_code == 0


# --------------------------------------------------------------------------- gold ids named otherwise
def _votes_with_ids(tmp_path: Path, n: int = 400) -> Path:
    rng = np.random.default_rng(1)
    votes = pd.DataFrame({"id": np.arange(n), "lf_a": rng.integers(-1, 2, n), "lf_b": rng.integers(-1, 2, n)})
    votes.to_parquet(tmp_path / "votes.parquet", index=False)
    return tmp_path / "votes.parquet"


def test_gold_csv_columns_are_scanned_once_not_once_a_column(tmp_path: Path, monkeypatch):
    import weaklabel.io.tables as tables

    n = 400
    votes = _votes_with_ids(tmp_path, n)
    rng = np.random.default_rng(2)
    gold = pd.DataFrame({"label": rng.integers(0, 2, n)})
    for j in range(12):
        gold[f"c{j}"] = rng.integers(0, 5, n)           # counts, years, classes: values among the ids, repeated
    gold.to_csv(tmp_path / "gold.csv", index=False)
    scans = []
    real = tables.csv_scan
    monkeypatch.setattr(tables, "csv_scan", lambda *a, **k: scans.append(a) or real(*a, **k))
    r = run("analyze", votes, "--gold", tmp_path / "gold.csv", "--label-col", "label", "-q")
    assert r.exit_code == 0, r.output
    assert len(scans) <= 2, len(scans)


def test_gold_columns_of_repeated_values_are_not_read_whole(tmp_path: Path, monkeypatch):
    import weaklabel.votes.row_ids as row_ids

    n = 400
    votes = _votes_with_ids(tmp_path, n)
    rng = np.random.default_rng(3)
    gold = pd.DataFrame({"label": rng.integers(0, 2, n), "year": rng.integers(0, 30, n),
                         "count": rng.integers(0, 10, n)})
    gold.to_parquet(tmp_path / "gold.parquet", index=False)
    reads = []
    real = row_ids.read_table
    monkeypatch.setattr(row_ids, "read_table", lambda *a, **k: reads.append(a) or real(*a, **k))
    r = run("analyze", votes, "--gold", tmp_path / "gold.parquet", "--label-col", "label", "-q")
    assert r.exit_code == 0, r.output
    assert reads == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_gold_column_holding_the_ids_shuffled_is_still_refused(tmp_path: Path, fmt: str):
    n = 400
    votes = _votes_with_ids(tmp_path, n)
    rng = np.random.default_rng(4)
    order = rng.permutation(n)
    gold = pd.DataFrame({"count": rng.integers(0, 10, n), "doc": order, "label": rng.integers(0, 2, n)})
    path = tmp_path / f"gold.{fmt}"
    gold.to_csv(path, index=False) if fmt == "csv" else gold.to_parquet(path, index=False)
    r = run("analyze", votes, "--gold", path, "--label-col", "label", "-q")
    assert r.exit_code != 0
    assert "'doc'" in r.output and "another order" in r.output, r.output
    # the same ids row for row: matched by position, as before
    gold.assign(doc=np.arange(n)).to_csv(tmp_path / "inorder.csv", index=False)
    assert run("analyze", votes, "--gold", tmp_path / "inorder.csv", "--label-col", "label", "-q").exit_code == 0


# --------------------------------------------------------------------------- answers given as votes
def test_answers_frame_with_text_workers_is_refused_not_a_traceback():
    from weaklabel.errors import InputError
    from weaklabel.models import MajorityVote

    # crowd-kit's frame (text tasks and workers): "Invalid comparison between dtype=str and int"
    for frame in (pd.DataFrame({"task": ["t1", "t1", "t2", "t2"], "worker": ["a", "b", "a", "b"], "label": [0, 1, 1, 1]}),
                  pd.DataFrame({"question": [1, 1, 2, 2], "annotator": ["a", "b", "a", "b"], "answer": [0, 1, 1, 1]})):
        with pytest.raises(InputError, match="crowdsourcing answers"):
            MajorityVote().fit(frame)


def test_answers_refusal_names_the_item_column_not_the_labels():
    from weaklabel.errors import InputError
    from weaklabel.models import MajorityVote

    frame = pd.DataFrame({"answer": [-1, 1, 1, 1], "worker": [3, 4, 3, 4], "question": [1, 1, 2, 2]})
    with pytest.raises(InputError, match="--item-col question --label-col answer"):
        MajorityVote().fit(frame)


def test_a_human_annotator_beside_two_lfs_is_votes(tmp_path: Path):
    from weaklabel.models import MajorityVote

    rng = np.random.default_rng(5)
    n = 300
    votes = pd.DataFrame({"annotator": rng.integers(0, 2, n),             # labelled every row: no -1
                          "lf_refund": np.where(rng.random(n) < 0.3, 0, -1),
                          "lf_great": np.where(rng.random(n) < 0.3, 1, -1)})
    assert MajorityVote().fit(votes).predict_proba(votes).shape == (n, 2)
    votes.to_parquet(tmp_path / "votes.parquet", index=False)
    r = run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "labels.parquet", "-m", "majority", "-q")
    assert r.exit_code == 0, r.output
    assert len(pd.read_parquet(tmp_path / "labels.parquet")) == n
