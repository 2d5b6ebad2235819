"""`weaklabel evaluate` under adversarial inputs: labels files with values `fit` never writes, a
labels file given as the gold table, many classes. Each case used to give a silently wrong number
or a traceback; it is now one line naming the file, the column and the row, exit 1."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weaklabel import evaluate
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.io import encode_metadata, labels_metadata

from conftest import one_line_error

runner = CliRunner()

GOLD = [0, 1, 1, 0, 1, 1]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def raw_labels(path, columns: dict, K: int = 2, classes=None, id_columns=()):
    """A labels.parquet with exactly these columns (no normalising, no type conversion), as a
    file edited by hand or by another tool would be."""
    table = pa.table(columns).replace_schema_metadata(
        encode_metadata(labels_metadata(K, classes, list(id_columns), len(next(iter(columns.values()))))))
    pq.write_table(table, path)
    return path


def good_columns():
    P = np.array([[.9, .1], [.2, .8], [.7, .3], [.6, .4], [.5, .5], [.3, .7]], dtype=np.float32)
    return {"prob_0": P[:, 0], "prob_1": P[:, 1], "label": np.array([0, 1, 0, 0, 0, 1], dtype=np.int8),
            "confidence": P.max(axis=1)}


@pytest.fixture
def gold(tmp_path):
    p = tmp_path / "gold.csv"
    pd.DataFrame({"label": GOLD}).to_csv(p, index=False)
    return p


def test_a_clean_hand_written_labels_file_scores_as_scikit_learn(tmp_path, gold):
    """The checks let a valid file through, and its scores are scikit-learn's / by hand."""
    from sklearn.metrics import accuracy_score, f1_score

    cols = good_columns()
    res = evaluate(raw_labels(tmp_path / "l.parquet", cols), gold)
    y, pred = np.array(GOLD), cols["label"].astype(int)
    P = np.stack([cols["prob_0"], cols["prob_1"]], 1).astype(float)
    assert res["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert res["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert res["brier"] == pytest.approx(((P - np.eye(2)[y]) ** 2).sum(1).mean())


@pytest.mark.parametrize("bad, message", [
    (np.nan, "column 'prob_0' is empty (null) or NaN at row 2"),
    (np.inf, "column 'prob_0' is inf at row 2"),
    (1.5, "column 'prob_0' is 1.5 at row 2"),
    (-0.25, "column 'prob_0' is -0.25 at row 2"),
])
def test_evaluate_refuses_probabilities_that_are_not_probabilities(tmp_path, gold, bad, message):
    """A NaN probability made the Brier score and ECE null (exit 0, a RuntimeWarning), an infinity
    made them inf, 1.5 / -0.5 gave a Brier score above its maximum of 2."""
    cols = good_columns()
    cols["prob_0"] = cols["prob_0"].copy()
    cols["prob_0"][2] = bad
    path = raw_labels(tmp_path / "l.parquet", cols)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate(path, gold)
    line = one_line_error(run("evaluate", path, "--gold", gold, "--json"))
    assert "l.parquet" in line and message in line


def test_evaluate_refuses_a_row_of_probabilities_not_summing_to_one(tmp_path, gold):
    cols = good_columns()
    cols["prob_1"] = cols["prob_1"].copy()
    cols["prob_1"][3] = 0.9          # 0.6 + 0.9
    path = raw_labels(tmp_path / "l.parquet", cols)
    line = one_line_error(run("evaluate", path, "--gold", gold))
    assert "row 3's probabilities prob_0..prob_1 sum to 1.5, not 1" in line


@pytest.mark.parametrize("label, message", [
    (pa.array([0, 1, 5, 0, 0, 1], pa.int8()), "column 'label' is 5 at row 2; labels are class ids 0..1"),
    (pa.array([0, 1, -3, 0, 0, 1], pa.int8()), "column 'label' is -3 at row 2"),
    (pa.array([0, 1, None, 0, 0, 1], pa.int8()), "column 'label' is empty (null) or NaN at row 2"),
    (pa.array([0, 1, 0.5, 0, 0, 1], pa.float64()), "column 'label' is 0.5 at row 2"),
])
def test_evaluate_refuses_hard_labels_outside_the_classes(tmp_path, gold, label, message):
    """A label 5 of 2 classes was left out of the confusion matrix but counted in the Brier score
    (coverage 5/6, Brier summed over 6 rows and divided by 5); a null label was read as
    -9223372036854775808 (no label) with a RuntimeWarning; 0.5 was read as class 0."""
    cols = good_columns()
    cols["label"] = label
    path = raw_labels(tmp_path / "l.parquet", cols)
    line = one_line_error(run("evaluate", path, "--gold", gold))
    assert message in line and "l.parquet" in line


@pytest.mark.parametrize("column", ["prob_0", "label"])
def test_evaluate_names_a_text_column_instead_of_a_traceback(tmp_path, gold, column):
    """Text where a number belongs ended in a ValueError traceback from pandas."""
    cols = good_columns()
    cols[column] = pa.array(["x"] * 6)
    path = raw_labels(tmp_path / "l.parquet", cols)
    line = one_line_error(run("evaluate", path, "--gold", gold))
    assert f"column {column!r} holds" in line and "not numbers" in line


def test_evaluate_refuses_a_labels_file_as_the_gold_table(tmp_path):
    """`evaluate labels.parquet --gold labels.parquet` (the default --label-col is `label`) scored
    the labels against themselves: accuracy 1.000, exit 0. Another labels file's `label` column is
    a model's output too: scored (two models' agreement is a use), with a note saying so. A gold
    column `fit --keep-cols` carried into the labels file is fine."""
    ids = pa.array([f"d{i}" for i in range(6)])
    cols = {"doc": ids, **good_columns(), "gold": pa.array(GOLD, pa.int64())}
    path = raw_labels(tmp_path / "labels.parquet", cols, id_columns=["doc"])
    for label_col in ("label", "label_name"):
        line = one_line_error(run("evaluate", path, "--gold", path, "--label-col", label_col))
        assert "labels.parquet: is the labels file being scored" in line and repr(label_col) in line
    with pytest.raises(InputError, match="is the labels file being scored"):
        evaluate(path, path)
    res = evaluate(path, path, "gold")          # a kept gold column: scored as usual
    assert res["accuracy"] == pytest.approx(np.mean(np.array([0, 1, 0, 0, 0, 1]) == np.array(GOLD)))
    other = raw_labels(tmp_path / "other.parquet", cols, id_columns=["doc"])
    r = run("evaluate", path, "--gold", other, "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["accuracy"] == 1.0 and any("is a labels file written by `weaklabel fit`" in n for n in res["notes"])
    assert "agreement with that model, not accuracy" in r.stderr


def test_evaluate_does_not_draw_a_confusion_matrix_too_wide_to_read(tmp_path):
    """With 400 classes on 160 columns every count of the confusion matrix was squeezed to
    nothing (a grid of empty cells, exit 0); it is left to --json with a line saying so. A
    matrix that fits is drawn with its counts."""
    rng = np.random.default_rng(0)
    for K, drawn in ((400, False), (4, True)):
        n = 800
        P = rng.dirichlet(np.ones(K), n).astype(np.float32)
        P /= P.sum(axis=1, keepdims=True)
        cols = {f"prob_{k}": P[:, k] for k in range(K)}
        cols["label"] = P.argmax(axis=1).astype(np.int16)
        path = raw_labels(tmp_path / f"l{K}.parquet", cols, K=K)
        pd.DataFrame({"label": rng.integers(0, K, n)}).to_csv(tmp_path / f"g{K}.csv", index=False)
        r = run("evaluate", path, "--gold", tmp_path / f"g{K}.csv")
        assert r.exit_code == 0, r.output
        assert ("too wide to show" in r.stdout) == (not drawn)
        assert ("gold \\ label" in r.stdout) == drawn
        r = run("evaluate", path, "--gold", tmp_path / f"g{K}.csv", "--json")
        cm = json.loads(r.stdout)["confusion_matrix"]
        assert len(cm) == K and sum(map(sum, cm)) == n


def test_evaluate_per_class_table_counts_all_gold_rows_of_a_class(tmp_path, gold):
    """The per-class column headed "gold rows" showed the rows scored (gold rows that got a
    label): the example's 273 negative gold rows read 244, and with no row labelled every class
    read 0 gold rows. Both counts are shown now, each under its own name."""
    cols = good_columns()
    cols["label"] = np.array([0, -1, -1, 0, -1, 1], dtype=np.int8)   # gold 0, 1, 1, 0, 1, 1
    path = raw_labels(tmp_path / "l.parquet", cols)
    r = run("evaluate", path, "--gold", gold)
    assert r.exit_code == 0, r.output
    rows = {}
    for line in r.stdout.splitlines():   # the per-class table's rows (before the confusion matrix's)
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 6:
            rows.setdefault(cells[0], cells[1:])
    header = next(line for line in r.stdout.splitlines() if "precision" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == ["class", "precision", "recall", "F1", "gold rows", "scored"]
    assert rows["0"][3:] == ["2", "2"] and rows["1"][3:] == ["4", "1"]


def test_label_scores_refuse_what_they_would_score_silently_wrong():
    """LabelScores (evaluate's, report's and bench's accumulator) scored a label above K - 1 in the
    Brier score but not in the confusion matrix, and a NaN probability into a NaN Brier score and
    ECE; a reader that did not check (report's) gave those numbers. Both stop it now."""
    from weaklabel.metrics import LabelScores

    y = np.array([0, 1, 1, -1])
    P = np.array([[.9, .1], [.2, .8], [.4, .6], [np.nan, np.nan]])   # unknown gold: not scored
    s = LabelScores(2)
    s.add(y, P, np.array([0, 1, 1, 0]))
    assert s.result()["brier"] == pytest.approx(np.mean([.02, .08, .32]))
    for bad_P, bad_label in ((P, np.array([0, 5, 1, 0])),
                             (np.where(np.arange(4)[:, None] == 1, np.nan, P), np.array([0, 1, 1, 0])),
                             (np.where(np.arange(4)[:, None] == 1, 1.5, P), np.array([0, 1, 1, 0]))):
        with pytest.raises(InputError, match="row 1 of the block"):
            LabelScores(2).add(y, bad_P, bad_label)
