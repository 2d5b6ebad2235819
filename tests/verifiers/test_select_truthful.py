"""`weaklabel select` says what it did: questions it could not see, pooling it did not do, scores
and selector files it cannot use (each test failed before its fix)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from _pools import noisy_pool, one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError, ModelFileError
from weaklabel.verifiers import VerifierSelector, select_file

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "verifiers" / "weaver_scores.csv"


def _pool(n_q=40, k=5, seed=3) -> pd.DataFrame:
    return noisy_pool(n_q, k, seed, salt=77)


# --------------------------------------------------------------------------- 1. Weaver lists: questions without samples
def _weaver_lists(empty=()) -> pd.DataFrame:
    """The example's Weaver-style table in Weaver's list layout; the questions at ``empty`` have
    no samples (every list empty)."""
    df = pd.read_csv(EXAMPLE)
    vers = [c for c in df.columns if c.endswith(("_score", "_verdict"))]
    g = df.groupby("problem_idx", sort=False)
    out = pd.DataFrame({"samples": [[f"s{i}" for i in p["sample_idx"]] for _, p in g],
                        "extracted_answers": [[str(a) for a in p["extracted_answer"]] for _, p in g],
                        "answer_correct": [[bool(x) for x in p["answer_correct"]] for _, p in g]})
    for v in vers:
        out[v + "s"] = [list(p[v]) for _, p in g]
    for i in empty:
        for c in out.columns:
            out.at[i, c] = []
    return out


def test_weaver_questions_without_samples_are_said(tmp_path):
    """A question whose lists were empty disappeared from the selection, the counts and Select@1
    without a word. selection.parquet has one row per candidate (one selected per question), so it
    cannot hold a question with no candidate: a warning (stderr and --json) says how many and the
    first one's row."""
    wv = _weaver_lists(empty=(3, 7, 40))
    wv.to_parquet(tmp_path / "wv.parquet", index=False)
    out = tmp_path / "sel.parquet"
    r = runner.invoke(app, ["select", str(tmp_path / "wv.parquet"), "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    said = [w for w in got["warnings"] if "no samples" in w]
    assert said == [f"{tmp_path / 'wv.parquet'}: 3 questions of Weaver's list layout have no samples (empty lists; "
                    "first: row 3): no candidate to select, so they are not in the selection (nor in its counts "
                    "and figures)"], got["warnings"]
    assert "warning:" in r.stderr and "3 questions of Weaver's list layout have no samples" in r.stderr
    assert got["questions"] == len(wv) - 3
    sel = pd.read_parquet(out)
    assert not {3, 7, 40} & set(sel["question_id"]) and sel["question_id"].nunique() == len(wv) - 3
    assert sel.groupby("question_id")["selected"].sum().eq(1).all()   # the documented contract holds
    # one: said in the singular; none: nothing said
    _weaver_lists(empty=(5,)).to_parquet(tmp_path / "one.parquet", index=False)
    res = select_file(tmp_path / "one.parquet", tmp_path / "one_sel.parquet")
    assert [w for w in res.warnings if "no samples" in w] == [
        f"{tmp_path / 'one.parquet'}: 1 question of Weaver's list layout has no samples (empty lists; row 5): no "
        "candidate to select, so it is not in the selection (nor in its counts and figures)"]
    _weaver_lists().to_parquet(tmp_path / "full.parquet", index=False)
    assert not select_file(tmp_path / "full.parquet", tmp_path / "full_sel.parquet").warnings


def test_weaver_lists_without_any_sample_are_an_error_and_load_weaver_warns(tmp_path):
    from weaklabel.verifiers.readers import load_weaver

    wv = _weaver_lists(empty=range(60))
    wv.to_parquet(tmp_path / "none.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "none.parquet"), "-o", str(tmp_path / "s.parquet")])
    one_line_error(r, "no question has a sample (every list of Weaver's layout is empty): nothing to select")
    _weaver_lists(empty=(2, 9)).to_parquet(tmp_path / "two.parquet", index=False)
    with pytest.warns(UserWarning, match=r"2 questions of Weaver's list layout have no samples .*first: row 2"):
        long = load_weaver(tmp_path / "two.parquet")
    assert long["question_id"].nunique() == 58


# --------------------------------------------------------------------------- 2. forced pooling without answers
def test_forced_pooling_without_any_answer_reports_no_pooling(tmp_path):
    """`--pool-answers yes` with an answer column that is empty everywhere reported "pooled
    (forced)" with a within-answer correlation of 0.5 (a default for "too few answers") although
    nothing was pooled, and saved a selector that then demanded --answer-col."""
    df = _pool().assign(answer=None)
    df.to_parquet(tmp_path / "s.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "a.parquet"), "--answer-col",
                            "answer", "--pool-answers", "yes", "--correct-col", "correct", "--json",
                            "--save-model", str(tmp_path / "sel.json")])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    pooling = got["explanation"]["answer_pooling"]
    assert pooling["pooled"] is False and pooling["within_answer_correlation"] is None and pooling["source"] is None
    assert pooling["test"]["decision"] == "not pooled: no candidate has a final answer"
    assert got["answer_icc"] is None
    assert "--pool-answers yes: no candidate has a final answer (column 'answer' is empty): nothing was pooled" \
        in got["warnings"]
    assert "label model, no answer pooling" not in {m["method"] for m in got["evaluation"]["methods"]}
    saved = json.loads((tmp_path / "sel.json").read_text())
    assert saved["answer_icc"] is None and saved["answer_column"] is None
    # the text summary says it too, and the saved selector applies without an answer column
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "b.parquet"), "--answer-col",
                            "answer", "--pool-answers", "yes"])
    assert r.exit_code == 0, r.output
    assert "answers not pooled (not pooled: no candidate has a final answer)" in r.stdout
    assert "answers pooled" not in r.stdout and "nothing was pooled" in r.stderr
    applied = select_file(tmp_path / "s.parquet", tmp_path / "c.parquet", model_file=tmp_path / "sel.json")
    assert applied.selected.sum() == 40
    # some answers: forced pooling pools them (unchanged)
    part = _pool().assign(answer=lambda d: d["answer"].where(d.index % 2 == 0, None))
    part.to_parquet(tmp_path / "p.parquet", index=False)
    res = select_file(tmp_path / "p.parquet", tmp_path / "d.parquet", answer_col="answer",
                      selector=VerifierSelector(pool_answers=True))
    assert res.selector.explain()["answer_pooling"]["test"]["decision"] == "pooled (forced)"
    assert res.selector.answer_icc_ is not None and not any("nothing was pooled" in w for w in res.warnings)


# --------------------------------------------------------------------------- 3. raw scale at apply time
def test_a_saved_raw_scale_selector_checks_new_scores(tmp_path):
    """`--normalise none` refuses scores above 1e100 for the mixture at fit; a saved selector
    applied to new scores of 1e300 gave P(correct) of exactly 0 or 1 to a whole question (the
    mixture's sums overflowed). The same one-line message, naming the column and the row."""
    df = _pool().drop(columns="answer")
    df.to_parquet(tmp_path / "fit.parquet", index=False)
    fitted = select_file(tmp_path / "fit.parquet", tmp_path / "a.parquet", selector=VerifierSelector(normalise="none"),
                         save_model=tmp_path / "sel.json")
    big = df.copy()
    big.loc[17, "rm_b"] = 1e300
    big.to_parquet(tmp_path / "big.parquet", index=False)
    with pytest.raises(InputError) as at_fit:
        select_file(tmp_path / "big.parquet", tmp_path / "x.parquet", selector=VerifierSelector(normalise="none"))
    message = "verifier column 'rm_b' row 17: score 1e+300 is too large for the mixture on raw scores"
    assert message in str(at_fit.value)
    with pytest.raises(InputError) as at_apply:
        select_file(tmp_path / "big.parquet", tmp_path / "b.parquet", model_file=tmp_path / "sel.json")
    assert str(at_apply.value) == str(at_fit.value)
    r = runner.invoke(app, ["select", str(tmp_path / "big.parquet"), "-o", str(tmp_path / "b.parquet"),
                            "--model-file", str(tmp_path / "sel.json")])
    one_line_error(r, message)
    assert not (tmp_path / "b.parquet").exists()
    back = VerifierSelector.load(tmp_path / "sel.json")      # the Python API checks too
    from weaklabel.verifiers import from_frame

    with pytest.raises(InputError, match="row 17: score 1e\\+300 is too large"):
        back.predict_proba(from_frame(big))
    # scores within the limit apply as before
    ok = df.assign(rm_b=df["rm_b"] * 1e90)
    ok.to_parquet(tmp_path / "ok.parquet", index=False)
    res = select_file(tmp_path / "ok.parquet", tmp_path / "c.parquet", model_file=tmp_path / "sel.json")
    assert np.isfinite(res.proba).all()
    same = select_file(tmp_path / "fit.parquet", tmp_path / "d.parquet", model_file=tmp_path / "sel.json")
    np.testing.assert_allclose(same.proba, fitted.proba)


def test_raw_scale_check_at_apply_skips_a_dropped_verifier(tmp_path):
    """A verifier the fit dropped is not read by the mixture: its scores are not refused."""
    df = _pool().drop(columns="answer").assign(rm_const=0.5)
    df.to_parquet(tmp_path / "fit.parquet", index=False)
    select_file(tmp_path / "fit.parquet", tmp_path / "a.parquet", selector=VerifierSelector(normalise="none"),
                save_model=tmp_path / "sel.json")
    assert "rm_const" not in VerifierSelector.load(tmp_path / "sel.json").kept_
    df.assign(rm_const=np.where(df.index == 4, 1e300, 0.5)).to_parquet(tmp_path / "new.parquet", index=False)
    res = select_file(tmp_path / "new.parquet", tmp_path / "b.parquet", model_file=tmp_path / "sel.json")
    assert np.isfinite(res.proba).all()


# --------------------------------------------------------------------------- 4. damaged settings in a selector file
@pytest.fixture(scope="module")
def saved_files(tmp_path_factory):
    """A saved mixture selector and a saved vote-model (ds) selector."""
    tmp = tmp_path_factory.mktemp("saved")
    _pool().to_parquet(tmp / "s.parquet", index=False)
    select_file(tmp / "s.parquet", tmp / "m.parquet", answer_col="answer", save_model=tmp / "mixture.json")
    select_file(tmp / "s.parquet", tmp / "d.parquet", answer_col="answer", save_model=tmp / "ds.json",
                selector=VerifierSelector(label_model="ds"))
    return tmp


@pytest.mark.parametrize("which, key, value, message", [
    ("mixture", "normalise", "zz", "normalisation must be one of minmax, quantile, winsorize, none, got 'zz'"),
    ("mixture", "normalise_scope", "row", "normalisation scope must be one of global, question, got 'row'"),
    ("mixture", "label_model", "zz", "unknown label model 'zz'"),
    ("mixture", "binarise", "zz", "binarise must be auto, quantile, fixed or none, got 'zz'"),
    ("mixture", "pool_centre", "zz", "pool_centre must be one of"),
    ("mixture", "inverted", "zz", "inverted must be one of flip, drop, keep"),
    ("mixture", "families", 3, "families must be one of detect, none"),
    ("mixture", "pool_answers", "yes", "pool_answers must be 'auto', True or False"),
    ("mixture", "random_state", -1, "random_state must be None or an integer"),
    ("mixture", "model_params", {"max_iter": "many"}, "max_iter"),
    ("ds", "model_params", {"max_iter": "many"}, "DawidSkene: parameter 'max_iter' must be an integer"),
    ("ds", "model_params", {"tol": -1}, "DawidSkene: parameter 'tol'"),
    # valid values that do not match the saved steps: applied with one, reported with the other
    ("mixture", "normalise", "minmax", "params.normalise/normalise_scope are 'minmax'/'global' but the saved "
                                       "normaliser is 'quantile'/'global'"),
    ("mixture", "normalise_scope", "question", "but the saved normaliser is 'quantile'/'global'"),
    ("mixture", "binarise", "quantile", "params.binarise/binarise_scope resolve to ('quantile', 'question') but the "
                                        "saved binariser is 'none'"),
    ("ds", "binarise_scope", "global", "resolve to ('quantile', 'global') but the saved binariser is "
                                       "('quantile', 'question')"),
    ("ds", "label_model", "mixture", "params.label_model is 'mixture' but the saved model is of kind 'votes'"),
    ("ds", "label_model", "hybrid", "params.label_model is 'hybrid' but the saved model is a DawidSkene"),
])
def test_a_selector_file_with_damaged_settings_is_refused(tmp_path, saved_files, which, key, value, message):
    """A selector file whose `params.normalise` was "zz" loaded (and `--normalise zz` was then
    accepted as matching it); every setting is now checked against what a fit accepts, and against
    the saved steps, with the model-file error."""
    d = json.loads((saved_files / f"{which}.json").read_text())
    d["params"][key] = value
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match="invalid selector state") as err:
        VerifierSelector.load(tmp_path / "bad.json")
    assert message in str(err.value) and str(err.value).startswith(f"{tmp_path / 'bad.json'}: "), str(err.value)
    r = runner.invoke(app, ["select", str(saved_files / "s.parquet"), "-o", str(tmp_path / "x.parquet"),
                            "--answer-col", "answer", "--model-file", str(tmp_path / "bad.json")])
    one_line_error(r, message)
    assert not (tmp_path / "x.parquet").exists()


def test_undamaged_selector_files_still_load(saved_files):
    for which in ("mixture", "ds"):
        sel = VerifierSelector.load(saved_files / f"{which}.json")
        assert sel.label_model == which and sel.normalise == "quantile"


def test_question_ids_written_na_are_ids_in_a_csv_as_in_parquet(tmp_path):
    # "NA", "null": real ids (every command keeps CSV ids as written; only an empty cell is missing)
    df = _pool()
    df["question_id"] = df["question_id"].replace({"q0": "NA", "q1": "null"})
    out = {}
    for fmt in ("csv", "parquet"):
        path = tmp_path / f"s.{fmt}"
        df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path, index=False)
        r = runner.invoke(app, ["select", str(path), "-o", str(tmp_path / f"sel_{fmt}.parquet"), "--answer-col",
                                "answer", "--correct-col", "correct", "-q"])
        assert r.exit_code == 0, r.output
        out[fmt] = pd.read_parquet(tmp_path / f"sel_{fmt}.parquet")
    for sel in out.values():
        assert {"NA", "null"} <= set(sel["question_id"]) and sel.groupby("question_id")["selected"].sum().eq(1).all()
    assert out["csv"]["selected"].tolist() == out["parquet"]["selected"].tolist()
