"""A selector that pools candidates by final answer, applied to candidates without answers: every
report of the run (the text summary, ``--json``, the selection's metadata) and the Python API say
that nothing was pooled (each test failed before its fix).

- the text summary read ``answers pooled (...)`` from the saved selector (``answer_icc_``) while the
  warning said nothing was pooled;
- ``--json`` and the selection's metadata carried only the selector's fitted ``answer_icc`` and
  ``explanation`` ("pooled": true): nothing said whether this run pooled;
- ``VerifierSelector.predict_proba`` / ``select`` skipped the pooling silently: without an
  answers' column (the CLI refuses that) and with an empty one (the CLI warns)."""

import json
import warnings

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from _pools import noisy_pool
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.verifiers import VerifierSelector, from_frame, select_file

runner = CliRunner()
VERIFIERS = ["rm_a", "rm_b", "rm_c"]


@pytest.fixture(scope="module")
def pooling(tmp_path_factory):
    """A pool with final answers and the pooling selector fitted on it (saved)."""
    tmp = tmp_path_factory.mktemp("pooling")
    df = noisy_pool(120, 5, seed=6)
    df.to_parquet(tmp / "fit.parquet", index=False)
    res = select_file(tmp / "fit.parquet", tmp / "fit.sel.parquet", answer_col="answer", save_model=tmp / "sel.json")
    assert res.selector.answer_icc_ is not None and res.selector.pools_answers(res.data)      # it pools
    return df, tmp / "sel.json"


def _flat(text: str) -> str:
    return " ".join(text.split())          # the console wraps long lines


def _meta(path) -> dict:
    return json.loads(pq.read_table(path).schema.metadata[b"weaklabel"])


# --------------------------------------------------------------------------- 1. the text summary
def test_text_summary_says_nothing_was_pooled_on_empty_answers(tmp_path, pooling):
    df, sel = pooling
    df.assign(answer=None).to_parquet(tmp_path / "empty.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "empty.parquet"), "-o", str(tmp_path / "a.parquet"),
                            "--model-file", str(sel), "--answer-col", "answer"])
    assert r.exit_code == 0, r.output
    out = _flat(r.stdout)
    assert "answers pooled" not in out
    assert "answers not pooled (not pooled: no candidate has a final answer" in out
    assert "nothing was pooled" in r.stderr
    # some answers: pooled, and said so (unchanged)
    df.assign(answer=df["answer"].where(df.index % 2 == 0, None)).to_parquet(tmp_path / "part.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "part.parquet"), "-o", str(tmp_path / "b.parquet"),
                            "--model-file", str(sel), "--answer-col", "answer"])
    assert r.exit_code == 0, r.output
    assert "answers pooled (within-answer correlation" in _flat(r.stdout)
    assert "nothing was pooled" not in r.stderr


# --------------------------------------------------------------------------- 3. --json and the selection agree
def test_json_and_selection_say_whether_this_run_pooled(tmp_path, pooling):
    """The selector's own fitted state still reads "pooled" (it does pool where there are
    answers); ``answers_pooled`` says what this run did, in ``--json`` and the selection."""
    df, sel = pooling
    df.assign(answer=None).to_parquet(tmp_path / "empty.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "empty.parquet"), "-o", str(tmp_path / "a.parquet"),
                            "--model-file", str(sel), "--answer-col", "answer", "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["answers_pooled"] is False
    assert _meta(tmp_path / "a.parquet")["answers_pooled"] is False
    written = pq.read_table(tmp_path / "a.parquet").to_pandas()
    np.testing.assert_array_equal(written["p_correct"], written["p_candidate"])      # indeed nothing pooled
    # with answers: pooled, said the same way
    df.to_parquet(tmp_path / "with.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "with.parquet"), "-o", str(tmp_path / "b.parquet"),
                            "--model-file", str(sel), "--answer-col", "answer", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["answers_pooled"] is True
    assert _meta(tmp_path / "b.parquet")["answers_pooled"] is True
    # a fresh fit without answers: nothing pooled
    res = select_file(tmp_path / "empty.parquet", tmp_path / "c.parquet")
    assert res.to_dict()["answers_pooled"] is False and res.pooled is False


def test_cli_warns_once_not_twice(tmp_path, pooling):
    """The run's own warning, not also the Python API's (a second, differently worded line)."""
    df, sel = pooling
    df.assign(answer=None).to_parquet(tmp_path / "empty.parquet", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = select_file(tmp_path / "empty.parquet", tmp_path / "a.parquet", model_file=sel, answer_col="answer")
    assert sum("nothing was pooled" in w for w in res.warnings) == 1


# --------------------------------------------------------------------------- 2. the Python API
def test_api_refuses_a_pooling_selector_on_data_without_answers(pooling):
    """No answers' column: an error, as the CLI gives (``--answer-col``); ``pool_answers=False``
    selects on each candidate's own evidence, as asked."""
    df, path = pooling
    sel = VerifierSelector.load(path)
    data = from_frame(df.drop(columns="answer"), verifiers=VERIFIERS)
    msg = r"the selector pools candidates by final answer \(fitted with answer column 'answer'\).*answer_col"
    for call in (sel.predict_proba, sel.select, sel.predict_log_odds):
        with pytest.raises(InputError, match=msg):
            call(data)
    own = sel.predict_proba(data, pool_answers=False)
    assert own.shape == (data.n_rows,) and sel.select(data, pool_answers=False).sum() == data.n_questions


def test_api_warns_when_a_pooling_selector_finds_no_answer(pooling):
    """An answers' column that is empty everywhere: a warning (the CLI's, in the API's words), and
    the candidates' own evidence, the same as ``pool_answers=False``."""
    df, path = pooling
    sel = VerifierSelector.load(path)
    data = from_frame(df.assign(answer=None), verifiers=VERIFIERS, answer_col="answer")
    msg = (r"the selector pools candidates by final answer, but no candidate has one \(every answer is missing\): "
           r"nothing was pooled; each candidate is selected on its own evidence")
    with pytest.warns(UserWarning, match=msg) as rec:
        p = sel.predict_proba(data)
    assert rec[0].filename == __file__                 # points at the caller, not at weaklabel
    np.testing.assert_array_equal(p, sel.predict_proba(data, pool_answers=False))
    with pytest.warns(UserWarning, match=msg):
        chosen = sel.select(data)
    np.testing.assert_array_equal(chosen, sel.select(data, pool_answers=False))
    # some answers, or pool_answers=False: pooled / not, and nothing said
    part = from_frame(df.assign(answer=df["answer"].where(df.index % 2 == 0, None)), verifiers=VERIFIERS,
                      answer_col="answer")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not np.array_equal(sel.predict_proba(part), sel.predict_proba(part, pool_answers=False))
        sel.select(part)
        sel.select(data, pool_answers=False)


def test_api_says_nothing_for_a_selector_that_does_not_pool(pooling):
    df, _ = pooling
    data = from_frame(df, verifiers=VERIFIERS, answer_col="answer", correct_col="correct")
    sel = VerifierSelector(pool_answers=False).fit(data)
    bare = from_frame(df.drop(columns="answer"), verifiers=VERIFIERS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sel.predict_proba(bare)
        sel.select(from_frame(df.assign(answer=None), verifiers=VERIFIERS, answer_col="answer"))
    # an in-memory fit that pools behaves as a loaded one
    pooled = VerifierSelector().fit(data)
    assert pooled.answer_icc_ is not None
    with pytest.raises(InputError, match="pools candidates by final answer"):
        pooled.predict_proba(bare)
