"""Hostile inputs to `analyze`, `evaluate` and `report`: regressions of defects found by adversarial testing."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from weaklabel import VoteMatrix
from weaklabel.cli import app
from weaklabel.fit.labels import write_model_labels
from weaklabel.models import MajorityVote

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_evaluate_prints_class_names_literally(tmp_path):
    """Class names are data: `[/]` is not rich markup (a MarkupError traceback before) and an
    escape sequence does not reach the terminal raw."""
    rng = np.random.default_rng(0)
    classes = ["[/]", "[bold]x\x1b[31mred"]
    vm = VoteMatrix.from_dense(rng.integers(-1, 2, (40, 3)), cardinality=2, classes=classes)
    write_model_labels(MajorityVote().fit(vm), vm, tmp_path / "labels.parquet")
    pd.DataFrame({"label": rng.integers(0, 2, 40)}).to_parquet(tmp_path / "gold.parquet")
    res = run("evaluate", tmp_path / "labels.parquet", "--gold", tmp_path / "gold.parquet")
    assert res.exit_code == 0, res.output
    assert "[/]" in res.output and "[bold]x\\x1b[31mred" in res.output
    assert "\x1b" not in res.output


def _two_class_votes(tmp_path, classes, name):
    rng = np.random.default_rng(1)
    vm = VoteMatrix.from_dense(rng.integers(-1, 2, (60, 4)), cardinality=2, lf_names=list("abcd"), classes=classes)
    vm.to_parquet(tmp_path / name)
    return vm


def test_report_refuses_labels_of_other_classes(tmp_path):
    """Labels whose classes are the votes' in another order: their prob_k is another class (the
    page scored and showed them as the votes' class k, exit 0)."""
    _two_class_votes(tmp_path, ["no", "yes"], "votes.parquet")
    other = _two_class_votes(tmp_path, ["yes", "no"], "other.parquet")
    write_model_labels(MajorityVote().fit(other), other, tmp_path / "labels.parquet")
    res = run("report", tmp_path / "votes.parquet", "--labels", tmp_path / "labels.parquet", "-o",
              tmp_path / "r.html")
    assert res.exit_code == 1 and "classes yes, no" in res.output
    assert not (tmp_path / "r.html").exists()


def test_analyze_refuses_model_of_other_classes_or_lfs(tmp_path):
    """`analyze --model`: a model of other classes (K or order) or of none of the votes' LFs put
    its figures (or only n/a) beside the gold accuracies, exit 0."""
    from weaklabel.models import HybridDawidSkene, save_model

    _two_class_votes(tmp_path, ["no", "yes"], "votes.parquet")
    pd.DataFrame({"label": np.random.default_rng(2).integers(0, 2, 60)}).to_parquet(tmp_path / "gold.parquet")
    swapped = _two_class_votes(tmp_path, ["yes", "no"], "swapped.parquet")
    save_model(HybridDawidSkene().fit(swapped), tmp_path / "swapped.json")
    rng = np.random.default_rng(3)
    three = VoteMatrix.from_dense(rng.integers(-1, 3, (60, 4)), cardinality=3, lf_names=list("abcd"))
    save_model(HybridDawidSkene().fit(three), tmp_path / "three.json")
    renamed = VoteMatrix.from_dense(swapped.to_dense(), cardinality=2, lf_names=list("wxyz"), classes=["no", "yes"])
    save_model(HybridDawidSkene().fit(renamed), tmp_path / "renamed.json")
    for model, says in (("swapped.json", "yes, no"), ("three.json", "3 classes"), ("renamed.json", "none of")):
        res = run("analyze", tmp_path / "votes.parquet", "--gold", tmp_path / "gold.parquet", "--model",
                  tmp_path / model)
        assert res.exit_code == 1 and says in res.output, (model, res.output)
    save_model(HybridDawidSkene().fit(VoteMatrix.read_parquet(tmp_path / "votes.parquet")), tmp_path / "own.json")
    res = run("analyze", tmp_path / "votes.parquet", "--gold", tmp_path / "gold.parquet", "--model",
              tmp_path / "own.json")
    assert res.exit_code == 0, res.output


def test_report_never_writes_into_an_input_folder(votes_dataset):
    """`-o votes_dir/part.0.parquet --force` replaced a part file of the votes dataset with the page."""
    _, _, folder = votes_dataset
    part = folder / "part.0.parquet"
    before = part.read_bytes()
    for target in (part, folder / "report.html"):
        res = run("report", folder, "-o", target, "--force")
        assert res.exit_code == 1 and "inside" in res.output, res.output
    assert part.read_bytes() == before
    assert not (folder / "report.html").exists()


def test_evaluate_refuses_a_gold_row_column_that_is_not_positions(tmp_path):
    """Labels of votes without ids carry `row` (positions); a gold table numbering its rows from 1 in
    its own `row` column was matched by it, every label scored against the next row's gold (exit 0),
    where `analyze` matches the same gold by position."""
    from weaklabel import evaluate
    from weaklabel.errors import InputError
    import pytest

    vm = _two_class_votes(tmp_path, ["no", "yes"], "votes.parquet")
    write_model_labels(MajorityVote().fit(vm), vm, tmp_path / "labels.parquet")
    y = np.random.default_rng(4).integers(0, 2, vm.n_rows)
    for start in (0, 1):
        pd.DataFrame({"row": np.arange(vm.n_rows) + start, "label": y}).to_parquet(tmp_path / f"g{start}.parquet")
    assert evaluate(tmp_path / "labels.parquet", tmp_path / "g0.parquet")["gold_rows"] == vm.n_rows
    with pytest.raises(InputError, match="not the rows' positions"):
        evaluate(tmp_path / "labels.parquet", tmp_path / "g1.parquet")


def test_fit_never_writes_into_an_input_folder(tmp_path):
    # `fit votes_dask -o votes_dask/part.00000.parquet --force` replaced a part file of the votes
    from weaklabel.votes import VoteMatrix

    folder = tmp_path / "votes_dir"
    folder.mkdir()
    VoteMatrix.from_dense(np.array([[0, 1], [1, 1], [0, -1]]), cardinality=2).to_parquet(folder / "part.0.parquet")
    before = (folder / "part.0.parquet").read_bytes()
    r = CliRunner().invoke(app, ["fit", str(folder), "-o", str(folder / "part.0.parquet"), "--force"])
    assert r.exit_code == 1 and "inside" in r.stderr and "input folder" in r.stderr, r.output
    assert (folder / "part.0.parquet").read_bytes() == before


def test_report_output_must_be_named_html(tmp_path):
    from weaklabel.votes import VoteMatrix

    VoteMatrix.from_dense(np.array([[0, 1], [1, 1]]), cardinality=2).to_parquet(tmp_path / "v.parquet")
    r = CliRunner().invoke(app, ["report", str(tmp_path / "v.parquet"), "-o", str(tmp_path / "r.parquet")])
    assert r.exit_code == 1 and "as HTML, not .parquet: name it r.html" in r.stderr, r.output
    assert not (tmp_path / "r.parquet").exists()
