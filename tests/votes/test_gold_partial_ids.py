"""A gold table with some but not all of the rows' id columns (votes ids ``doc, sent``, gold ``doc``
only) was matched by position when the row counts agreed, exit 0, without a word: a gold file
in another order was scored against the wrong rows (``analyze --gold``, ``fit --dev``,
``evaluate``). It is now a one-line error naming the id columns present and missing. And the
row-count errors said "the votes have N" also when the rows were a labels file's (``evaluate``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.evaluation import evaluate
from weaklabel.votes.gold import align_gold

from conftest import one_line_error

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def multi(tmp_path):
    """Votes with id columns doc, sent = (a,0),(a,1),(b,0),(b,1); a gold file with only doc, in
    another order (b,b,a,a), as many rows as the votes."""
    L = np.array([[0, 1], [1, 1], [0, 0], [1, 0]])
    ids = pd.DataFrame({"doc": ["a", "a", "b", "b"], "sent": [0, 1, 0, 1]})
    vm = VoteMatrix.from_dense(L, cardinality=2, row_ids=ids)
    votes = tmp_path / "vmulti.parquet"
    vm.to_parquet(votes)
    gold = tmp_path / "gmulti.csv"
    pd.DataFrame({"doc": ["b", "b", "a", "a"], "label": [1, 0, 0, 1]}).to_csv(gold, index=False)
    return vm, votes, gold


def _says_partial(line: str, rows_file: str) -> None:
    assert f"has {rows_file}'s id column doc but not sent" in line, line
    assert "add sent" in line and "drop doc" in line and "by position" in line, line


def test_analyze_refuses_gold_with_some_id_columns(multi, tmp_path):
    vm, votes, gold = multi
    _says_partial(one_line_error(run("analyze", votes, "--gold", gold)), str(votes))
    short = tmp_path / "gshort.csv"      # other row count: the same reason, not "has 3 rows but ..."
    pd.read_csv(gold).head(3).to_csv(short, index=False)
    _says_partial(one_line_error(run("analyze", votes, "--gold", short)), str(votes))


def test_fit_dev_refuses_gold_with_some_id_columns(multi, tmp_path):
    vm, votes, gold = multi
    out = tmp_path / "labels.parquet"
    _says_partial(one_line_error(run("fit", votes, "-o", out, "-m", "majority", "--dev", gold)), str(votes))
    assert not out.exists()


def test_evaluate_refuses_gold_with_some_id_columns(multi, tmp_path):
    vm, votes, gold = multi
    labels = tmp_path / "labels.parquet"
    assert run("fit", votes, "-o", labels, "-m", "majority").exit_code == 0
    _says_partial(one_line_error(run("evaluate", labels, "--gold", gold)), str(labels))
    with pytest.raises(InputError, match=r"has .*labels\.parquet's id column doc but not sent"):
        evaluate(labels, gold)


def test_align_gold_partial_ids_in_a_dataframe(multi):
    vm, votes, gold = multi
    frame = pd.read_csv(gold)
    with pytest.raises(InputError, match=r"^gold: has the votes' id column doc but not sent: .* add sent .* drop doc"):
        align_gold(vm, frame, "label")


def test_all_or_none_of_the_id_columns_still_match(multi):
    """All the id columns, in another order: matched by id; none of them: by position, with a note."""
    vm, votes, gold = multi
    full = pd.DataFrame({"doc": ["b", "b", "a", "a"], "sent": [0, 1, 0, 1], "label": [1, 0, 0, 1]})
    assert align_gold(vm, full, "label").tolist() == [0, 1, 1, 0]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert align_gold(vm, full[["label"]], "label").tolist() == [1, 0, 0, 1]
    assert any("none of the votes' id columns ['doc', 'sent']" in str(x.message) for x in w)


def test_row_count_errors_name_the_rows_file(tmp_path):
    """evaluate matches gold against a labels file: its row-count errors name that file, not
    "the votes"; the default (votes) wording is unchanged."""
    rng = np.random.default_rng(0)
    vm = VoteMatrix.from_dense(rng.integers(-1, 2, (50, 3)), cardinality=2)
    votes = tmp_path / "v.parquet"
    vm.to_parquet(votes)
    labels = tmp_path / "labels.parquet"
    assert run("fit", votes, "-o", labels, "-m", "majority").exit_code == 0
    pd.DataFrame({"label": np.zeros(10, int)}).to_parquet(tmp_path / "short.parquet")
    with pytest.raises(InputError, match=rf"has 10 rows but {labels}\S* has 50;") as e:
        evaluate(labels, tmp_path / "short.parquet")
    assert "the votes" not in str(e.value)
    ided = VoteMatrix.from_dense(rng.integers(-1, 2, (50, 3)), cardinality=2,
                                 row_ids=pd.DataFrame({"id": np.arange(50)}))
    short = pd.DataFrame({"label": np.zeros(10, int)})
    with pytest.raises(InputError, match=r"has none of l\.parquet's id columns \['id'\] .* and 10 rows against "
                                         r"l\.parquet's 50"):
        align_gold(ided, short, "label", rows_where="l.parquet")
    with pytest.raises(InputError, match=r"has 10 rows but the votes have 50;"):
        align_gold(vm, short, "label")


def test_report_refuses_gold_with_some_id_columns(multi, tmp_path):
    """`report --gold` decides id or position itself: the same check, before any block is read."""
    vm, votes, gold = multi
    out = tmp_path / "report.html"
    line = one_line_error(run("report", votes, "--gold", gold, "-o", out))
    assert "id column doc but not sent" in line and "add sent" in line, line
    assert not out.exists()
