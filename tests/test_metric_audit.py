"""Numbers of `evaluate` and `LabelModel.score` checked against independent computations
(scikit-learn, numpy) on inputs the other tests do not reach."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix, evaluate
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.metrics import score_labels

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _trailing_drop(tmp_path):
    """Votes without ids whose last two rows get no label (a tie, no vote): `fit --drop-unlabeled`
    keeps rows 0..2, so its `row` positions are 0..n-1 although rows were dropped."""
    L = np.array([[0, 0, -1], [1, 1, 0], [0, -1, 0], [1, 0, -1], [-1, -1, -1]])
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2).to_parquet(votes)
    labels = tmp_path / "labels.parquet"
    assert run("fit", votes, "-o", labels, "-m", "majority", "--ties", "abstain", "--drop-unlabeled",
               "-q").exit_code == 0
    lab = pd.read_parquet(labels)
    assert lab["row"].tolist() == [0, 1, 2]
    return labels, lab


def test_evaluate_scores_a_drop_unlabeled_file_that_dropped_only_trailing_rows(tmp_path):
    """Its positions 0..2 equal arange(3), which was taken for "nothing dropped": the 5-row gold
    table was then refused ("has 5 rows but the votes have 3") instead of being scored."""
    from sklearn.metrics import accuracy_score

    labels, lab = _trailing_drop(tmp_path)
    gold = np.array([0, 0, 0, 1, 1])
    pd.DataFrame({"label": gold}).to_csv(tmp_path / "gold.csv", index=False)
    res = json.loads(run("evaluate", labels, "--gold", tmp_path / "gold.csv", "--json").stdout)
    y = gold[lab["row"].to_numpy()]
    assert res["gold_rows"] == 3 and res["labelled_gold_rows"] == 3 and res["coverage"] == 1.0
    assert res["accuracy"] == pytest.approx(accuracy_score(y, lab["label"]))
    assert res["gold_rows_unmatched"] == 2 and res["labels_rows_dropped"] == 2


def test_evaluate_refuses_a_positional_gold_table_of_another_length_after_drop_unlabeled(tmp_path):
    """The positions of a --drop-unlabeled file index the votes' rows: a gold table with more
    rows than the votes had is another table, not scored silently by position."""
    labels, _ = _trailing_drop(tmp_path)
    pd.DataFrame({"label": [0, 0, 0, 1, 1, 0, 1]}).to_csv(tmp_path / "gold.csv", index=False)
    with pytest.raises(InputError, match="has 7 rows but .* written for 5 rows"):
        evaluate(labels, tmp_path / "gold.csv")


def test_score_f1_macro_is_scikit_learns_and_evaluates():
    """`f1_macro` averaged over the gold classes only, so a class predicted but never in gold
    was left out: 0.733 where scikit-learn (and Snorkel, and evaluate's macro_f1) give 0.489."""
    from sklearn.metrics import f1_score

    from weaklabel.metrics import confusion_matrix, scores_from_confusion

    y = np.array([0, 0, 1, 1, 0, 1, -1])
    pred = np.array([0, 2, 1, 1, 0, 0, 2])
    got = score_labels(y, pred, np.eye(3)[pred], ["f1_macro"])["f1_macro"]
    k = y >= 0
    assert got == pytest.approx(f1_score(y[k], pred[k], average="macro", zero_division=0))
    assert got == pytest.approx(scores_from_confusion(confusion_matrix(y[k], pred[k], 3))["macro_f1"])
    # binary, one class in gold
    y2, pred2 = np.array([1, 1, 1, 1]), np.array([1, 0, 1, 1])
    assert score_labels(y2, pred2, None, ["f1_macro"])["f1_macro"] == pytest.approx(
        f1_score(y2, pred2, average="macro", zero_division=0))
