"""A saved selector that pools candidates by final answer, applied to scores without answers:
said, never a silent change of what the selection means (the first test failed before its fix;
the second pins the error an absent answer column already gave)."""

import json

import pytest
from typer.testing import CliRunner

from _pools import noisy_pool, one_line_error
from weaklabel.cli import app
from weaklabel.verifiers import select_file

runner = CliRunner()
SKIPPED = ("the selector {sel} pools candidates by final answer, but no candidate has one (column 'answer' is "
           "empty): nothing was pooled; each candidate is selected on its own evidence")


@pytest.fixture
def pooling(tmp_path):
    df = noisy_pool(120, 5, seed=6)
    df.to_parquet(tmp_path / "fit.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "fit.parquet"), "-o", str(tmp_path / "fit.sel.parquet"),
                            "--answer-col", "answer", "--save-model", str(tmp_path / "sel.json"), "--quiet"])
    assert r.exit_code == 0, r.output
    saved = json.loads((tmp_path / "sel.json").read_text())
    assert saved["answer_icc"] is not None and saved["answer_column"] == "answer"      # it pools
    return df, tmp_path / "sel.json"


def test_saved_pooling_selector_on_empty_answers_says_nothing_was_pooled(tmp_path, pooling):
    """The answer column is there but empty: the selector pooled nothing and the run said
    nothing (its explanation still read "pooled", and the evaluation listed a "no answer
    pooling" line equal to the label model's). A warning now says so, on stderr and in --json."""
    df, sel = pooling
    df.assign(answer=None).to_parquet(tmp_path / "new.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "new.parquet"), "-o", str(tmp_path / "a.parquet"),
                            "--model-file", str(sel), "--answer-col", "answer", "--correct-col", "correct", "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert SKIPPED.format(sel=sel) in got["warnings"]
    assert "warning: the selector" in r.stderr and "nothing was pooled" in r.stderr
    assert "label model, no answer pooling" not in {m["method"] for m in got["evaluation"]["methods"]}
    # the same through the library
    res = select_file(tmp_path / "new.parquet", tmp_path / "b.parquet", model_file=sel, answer_col="answer")
    assert SKIPPED.format(sel=sel) in res.warnings
    # some answers: pooled, and nothing said
    part = df.assign(answer=df["answer"].where(df.index % 2 == 0, None))
    part.to_parquet(tmp_path / "part.parquet", index=False)
    res = select_file(tmp_path / "part.parquet", tmp_path / "c.parquet", model_file=sel, answer_col="answer")
    assert not any("nothing was pooled" in w for w in res.warnings)
    assert res.selector.pools_answers(res.data)


def test_saved_pooling_selector_without_an_answer_column_is_refused(tmp_path, pooling):
    """No answer column at all: a one-line error naming the column it pooled by (unchanged)."""
    df, sel = pooling
    df.drop(columns="answer").to_parquet(tmp_path / "new.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "new.parquet"), "-o", str(tmp_path / "a.parquet"),
                            "--model-file", str(sel)])
    one_line_error(r, "the selector pools candidates by final answer (fitted with --answer-col answer); name the "
                      "answers' column with --answer-col")
    assert not (tmp_path / "a.parquet").exists()
