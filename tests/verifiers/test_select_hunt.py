"""`weaklabel select`: defects found by a second adversarial run (each test failed before its fix)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from _pools import noisy_pool, one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError, ModelFileError
from weaklabel.verifiers import Normaliser, VerifierSelector, from_frame, select_file

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "verifiers" / "weaver_scores.csv"


def _pool(n_q=40, k=5, seed=1) -> pd.DataFrame:
    return noisy_pool(n_q, k, seed, salt=99)


# --------------------------------------------------------------------------- scores near the float limits
@pytest.mark.parametrize("factor", [1e300, 1e-200])
def test_raw_scores_near_the_float_limits_keep_their_verifier(tmp_path, factor):
    """`--normalise none` with a reward model scoring ~1e300 (or ~1e-200): its within-question
    correlations squared to inf (or 0) and it was dropped as 'agrees with nothing'."""
    df = _pool()
    df.to_parquet(tmp_path / "a.parquet", index=False)
    df.assign(rm_c=df["rm_c"] * factor).to_parquet(tmp_path / "b.parquet", index=False)
    kw = dict(selector=VerifierSelector(normalise="none", label_model="ds"))
    a = select_file(tmp_path / "a.parquet", tmp_path / "a.out.parquet", **kw)
    kw = dict(selector=VerifierSelector(normalise="none", label_model="ds"))
    b = select_file(tmp_path / "b.parquet", tmp_path / "b.out.parquet", **kw)
    assert b.selector.kept_ == a.selector.kept_ == ["rm_a", "rm_b", "rm_c"]
    np.testing.assert_allclose(b.selector.stats_["agreement"], a.selector.stats_["agreement"])


@pytest.mark.parametrize("method", ["minmax", "winsorize"])
@pytest.mark.parametrize("scope", ["global", "question"])
def test_minmax_of_scores_spanning_the_float_range(method, scope):
    """min-max of scores from -1.7e308 to 1.7e308: `max - min` overflowed and every score came out
    NaN (global) or 0 (per question)."""
    from weaklabel.verifiers._groups import Groups

    x = np.random.default_rng(0).normal(size=(20, 1))
    x[0], x[1], x[5] = 4.25, -4.25, np.nan
    g = Groups(np.repeat(np.arange(4), 5))
    small = Normaliser(method, scope).fit_transform(x, g)
    with np.errstate(all="raise"):
        big = Normaliser(method, scope).fit_transform(x * 4e307, g)
    np.testing.assert_allclose(big, small, atol=1e-12)


def test_mixture_on_raw_scores_too_large_is_a_one_line_error(tmp_path):
    """The mixture on raw scores of 1e300 fitted NaN and infinite parameters (RuntimeWarnings,
    'Infinity' in the selector file) and a selection without a word."""
    df = _pool()
    df.assign(rm_c=df["rm_c"] * 1e300).to_parquet(tmp_path / "s.parquet", index=False)
    out = tmp_path / "sel.parquet"
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(out), "--normalise", "none",
                            "--save-model", str(tmp_path / "sel.json")])
    one_line_error(r, "verifier column 'rm_c' row 0: score -7.26e+299 is too large for the mixture on raw scores")
    assert not out.exists() and not (tmp_path / "sel.json").exists()
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(out), "-q"])   # quantiles: fine
    assert r.exit_code == 0, r.output


# --------------------------------------------------------------------------- CSV and Parquet alike
def test_na_like_answers_and_labels_read_alike_from_csv_and_parquet(tmp_path):
    """A CSV reader reads the answers "None" and "NA" (and an empty cell) as missing; the same table
    in Parquet pooled every "None" as one answer and counted "" as one: 8 of 60 selections and
    the majority baseline (0.33 vs 0.56) differed. Correctness written as text "1.0"/"0.0" was an
    error in Parquet and read in CSV."""
    df = _pool(n_q=60, k=6, seed=3)
    rng = np.random.default_rng(7)
    df.loc[df["question_id"].isin([f"q{i}" for i in range(0, 60, 2)]) & (df["correct"] == 1), "answer"] = "None"
    df.loc[(df["correct"] == 0) & (rng.random(len(df)) < 0.3), "answer"] = ""
    df.loc[(df["correct"] == 0) & (rng.random(len(df)) < 0.1), "answer"] = "NA"
    df["correct"] = df["correct"].astype(float).astype(str)
    df.loc[5, "correct"] = ""
    df.to_csv(tmp_path / "s.csv", index=False)
    df.to_parquet(tmp_path / "s.parquet", index=False)
    kw = dict(answer_col="answer", correct_col="correct")
    a = select_file(tmp_path / "s.csv", tmp_path / "a.parquet", **kw)
    b = select_file(tmp_path / "s.parquet", tmp_path / "b.parquet", **kw)
    np.testing.assert_array_equal(a.data.correct, b.data.correct)
    assert b.data.correct[5] == -1
    np.testing.assert_array_equal(a.data.answers, b.data.answers)
    np.testing.assert_array_equal(a.selected, b.selected)
    pd.testing.assert_frame_equal(a.evaluation.methods, b.evaluation.methods)


# --------------------------------------------------------------------------- columns in two roles
def test_the_answer_column_cannot_be_the_correctness_column(tmp_path):
    """`--answer-col answer_correct` on a Weaver-style table (its correctness column, found by
    name) pooled the candidates by their labels: the label model scored pass@k, 0.877, silently."""
    r = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(tmp_path / "a.parquet"), "--answer-col",
                            "answer_correct"])
    one_line_error(r, "--answer-col 'answer_correct' is the --correct-col column")
    df = _pool()
    df.to_parquet(tmp_path / "s.parquet", index=False)
    with pytest.raises(InputError, match="--answer-col 'correct' holds only 0/1 .* named like a correctness label"):
        select_file(tmp_path / "s.parquet", tmp_path / "b.parquet", answer_col="correct")
    with pytest.raises(InputError, match="--candidate-col 'question_id' is the --question-col column"):
        select_file(tmp_path / "s.parquet", tmp_path / "b.parquet", candidate_col="question_id")
    with pytest.raises(InputError, match="--verifiers names 'correct', which is the question, candidate, answer or "
                                         "correctness column"):   # was "no verifier column matches 'correct'"
        select_file(tmp_path / "s.parquet", tmp_path / "b.parquet", correct_col="correct", verifiers="rm_*,correct")
    assert not (tmp_path / "b.parquet").exists()


# --------------------------------------------------------------------------- labels that label nothing
def test_an_empty_correctness_column_still_writes_the_selection(tmp_path):
    """A Weaver-style table of new, unlabelled questions (its `answer_correct` column empty) failed
    after the whole fit: 'no fully labelled question is left for evaluation', nothing written."""
    df = pd.read_csv(EXAMPLE)
    df["answer_correct"] = None
    df.to_parquet(tmp_path / "s.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "a.parquet"), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert "evaluation" not in out
    assert out["warnings"] == ["correctness column 'answer_correct' holds no labels: the selection is not evaluated"]
    assert pd.read_parquet(tmp_path / "a.parquet")["selected"].sum() == 60


def test_the_best_single_verifier_ranks_something(tmp_path):
    """A constant (or empty) verifier's 'choice' is a seeded draw; when the draw beat the real
    verifiers on the dev questions it was reported as the best single verifier."""
    from weaklabel.verifiers.evaluate import dev_labels, evaluate, split_dev

    df = _pool(seed=2).assign(rm_const=1.0, rm_empty=np.nan)
    data = from_frame(df, verifiers="rm_*", correct_col="correct")
    dev_q = split_dev(data, 0.2, 0)
    on_dev = dev_q[data.codes]
    for v in ("rm_a", "rm_b", "rm_c"):            # the real verifiers pick a wrong candidate on every dev question
        j = data.verifiers.index(v)
        data.scores[on_dev, j] = np.where(data.correct[on_dev] == 1, -5.0, data.scores[on_dev, j])
    sel = VerifierSelector().fit(data, dev_labels(data, dev_q))
    ev = evaluate(sel, data, sel.predict_proba(data), dev_q, oracle=False)
    assert ev.best_single in ("rm_a", "rm_b", "rm_c"), ev.methods
    nothing = data.take(np.arange(data.n_rows))
    nothing.scores[np.ix_(on_dev, [0, 1, 2])] = 1.0   # no verifier ranks a dev question's candidates
    ev = evaluate(sel, nothing, sel.predict_proba(nothing), dev_q, oracle=False)
    assert ev.best_single is None and not ev.methods["method"].str.startswith("best single").any()
    assert "best single verifier: no verifier ranks the candidates of a dev question" in ev.notes


# --------------------------------------------------------------------------- Weaver's list layout
def test_weaver_list_messages_name_the_files_row_and_entry():
    """A verifier's cell that is not a list said "has -1 entries"; an infinite score named the row
    of the long table (48), not the file's row and list entry."""
    from weaklabel.verifiers.readers import weaver_to_long

    wv = pd.DataFrame({"samples": [["a", "b"], ["c", "d"], ["e", "f"]],
                       "rm_scores": [[0.1, 0.2], None, [0.5, 0.6]]})
    with pytest.raises(InputError, match=r"w.parquet: row 1: column 'rm_scores' is not a list \(None\)"):
        weaver_to_long(wv, where="w.parquet")
    wv.at[1, "rm_scores"] = [0.3, 0.4]
    wv.at[2, "rm_scores"] = [0.5, float("inf")]
    with pytest.raises(InputError, match=r"column 'rm_scores' row 2 entry 1: score inf is not finite"):
        weaver_to_long(wv, where="w.parquet")


# --------------------------------------------------------------------------- the Python API
def test_python_api_misuse_is_a_clear_error():
    """From Python: a DataFrame given to fit (AttributeError 'groups'), labels as text (numpy's
    UFuncTypeError; 'True'/'False' now read as a correctness column's), a proba of another length
    (lexsort's 'all keys need to be the same shape'), `question_prior="no"` (truthy: the opposite),
    and a frame whose columns are numbers (a verifier left out, naming it a KeyError)."""
    df = _pool()
    data = from_frame(df, verifiers="rm_*", correct_col="correct")
    with pytest.raises(InputError, match="VerifierSelector takes ScoreData, got a DataFrame: convert"):
        VerifierSelector().fit(df)
    sel = VerifierSelector().fit(data)
    with pytest.raises(InputError, match="takes ScoreData"):
        sel.predict_proba(df)
    y = np.where(np.arange(data.n_rows) < 40, data.correct, -1)
    as_text = np.where(y == 1, "True", np.where(y == 0, " false", None)).astype(object)
    np.testing.assert_array_equal(VerifierSelector().fit(data, as_text).predict_proba(data),
                                  VerifierSelector().fit(data, y).predict_proba(data))
    as_text[3] = "maybe"
    with pytest.raises(InputError, match="y: row 3 has label 'maybe'; labels are 1, 0 or -1"):
        VerifierSelector().fit(data, as_text)
    with pytest.raises(InputError, match=r"proba must have one entry per candidate \(200\), got shape \(3,\)"):
        sel.select(data, proba=np.ones(3))
    with pytest.raises(InputError, match="question_prior must be True or False, got 'no'"):
        VerifierSelector(label_model="ds", question_prior="no").fit(data)
    numbered = df.rename(columns={"rm_a": 0})
    assert from_frame(numbered).verifiers == ["0", "rm_b", "rm_c"]
    np.testing.assert_array_equal(from_frame(numbered, verifiers="0").scores[:, 0], df["rm_a"])


# --------------------------------------------------------------------------- saved selectors
@pytest.mark.parametrize("path, value, message", [
    (["answer_test"], 5, "answer_test must be an object or null"),               # was an AttributeError
    (["stats", "status"], ["kept"], "statistics do not match the verifier list"),  # a traceback after the write
    (["class_balance"], float("nan"), "class_balance must be in"),
    (["normaliser", "knots", 0, 0, 3], float("nan"), "quantile knots must be finite"),
    (["model", "state", "delta", 0], float("inf"), "delta, offset and feature_weights must be finite"),
])
def test_a_damaged_selector_file_is_refused(tmp_path, path, value, message):
    df = _pool()
    df.to_parquet(tmp_path / "s.parquet", index=False)
    select_file(tmp_path / "s.parquet", tmp_path / "a.parquet", save_model=tmp_path / "sel.json")
    d = json.loads((tmp_path / "sel.json").read_text())
    node = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match=message):
        VerifierSelector.load(tmp_path / "bad.json")
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "b.parquet"), "--model-file",
                            str(tmp_path / "bad.json")])
    one_line_error(r, message)
    assert not (tmp_path / "b.parquet").exists()
