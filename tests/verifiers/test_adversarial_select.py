"""`weaklabel select`: defects found by an adversarial run (each test failed before its fix)."""

import numpy as np
import pandas as pd
import pytest

from weaklabel.errors import InputError
from weaklabel.verifiers import select_file


def _small(n_q=16, k=5, seed=0) -> pd.DataFrame:
    """test_select_inputs' small suite with 16 questions of 5 candidates and a `correct` column."""
    from test_select_inputs import _small as small

    return small(n_q, k, seed, with_correct=True)


def test_a_saved_selector_applies_without_the_column_of_a_verifier_it_dropped(tmp_path):
    """`select --model-file` refused scores without the column of a verifier the fit had dropped
    (it carries no weight; `VerifierSelector.predict_proba` accepts its absence), so a constant or
    crashed verifier had to be run again to apply the selector."""
    df = _small().assign(rm_const=0.5)
    df.to_parquet(tmp_path / "fit.parquet", index=False)
    fitted = select_file(tmp_path / "fit.parquet", tmp_path / "a.parquet", save_model=tmp_path / "sel.json")
    assert "rm_const" not in fitted.selector.kept_
    df.drop(columns="rm_const").to_parquet(tmp_path / "new.parquet", index=False)
    applied = select_file(tmp_path / "new.parquet", tmp_path / "b.parquet", model_file=tmp_path / "sel.json")
    np.testing.assert_allclose(applied.proba, fitted.proba)
    np.testing.assert_array_equal(applied.selected, fitted.selected)
    df.drop(columns="rm_a").to_parquet(tmp_path / "less.parquet", index=False)   # a kept one is still required
    with pytest.raises(InputError, match="no column for verifier 'rm_a'"):
        select_file(tmp_path / "less.parquet", tmp_path / "c.parquet", model_file=tmp_path / "sel.json")


def test_an_answer_column_without_any_answer_is_not_a_traceback(tmp_path):
    """`--answer-col` naming a column that is empty everywhere crashed with an IndexError in the
    oracle's answer pooling (no answer to pool); candidates without an answer keep their own evidence."""
    df = _small().assign(answer=None)
    df.to_parquet(tmp_path / "s.parquet", index=False)
    res = select_file(tmp_path / "s.parquet", tmp_path / "sel.parquet", answer_col="answer", correct_col="correct")
    plain = select_file(tmp_path / "s.parquet", tmp_path / "plain.parquet", correct_col="correct")
    assert res.evaluation.score("oracle-weighted") == plain.evaluation.score("oracle-weighted")
    np.testing.assert_array_equal(res.selected, plain.selected)


def test_a_single_verifier_is_not_dropped_for_agreeing_with_nothing(tmp_path):
    """`--verifiers rm_a` (one reward model) failed: the lone verifier was dropped as 'agrees with
    nothing' (there is no other verifier to agree with), and so was everything. It is kept, and the
    selection is its best-scored candidate per question."""
    df = _small()
    df.to_parquet(tmp_path / "s.parquet", index=False)
    res = select_file(tmp_path / "s.parquet", tmp_path / "sel.parquet", verifiers="rm_a")
    assert res.selector.kept_ == ["rm_a"]
    best = df.groupby("question_id", sort=False)["rm_a"].idxmax().to_numpy()
    np.testing.assert_array_equal(np.flatnonzero(res.selected), np.sort(best))


@pytest.mark.parametrize("label", [2, 0.5])
def test_fit_refuses_dev_labels_other_than_1_0_and_unknown(label):
    """`VerifierSelector().fit(data, y)` with a label of 2 read it as 'correct' and 0.5 as 'wrong'
    (the mixture; a vote model refused 2 from deep inside): y holds 1, 0 or -1 (unknown)."""
    from weaklabel.verifiers import VerifierSelector, from_frame

    data = from_frame(_small(), correct_col="correct")
    y = np.full(data.n_rows, -1.0)
    y[:10] = data.correct[:10]
    VerifierSelector().fit(data, y)
    y[3] = label
    with pytest.raises(InputError, match=rf"y: row 3 has label {float(label)}; labels are 1, 0 or -1"):
        VerifierSelector().fit(data, y)


def test_a_csv_and_a_parquet_file_of_the_same_answers_select_alike(tmp_path):
    """A CSV's answer column was parsed as numbers: the answers "010", "10.0" and "10" became one
    answer (pooled together, one majority), while the same table in Parquet kept three; the two
    files gave different selections and figures. Answers are read as text, as the ids are."""
    df = _small(n_q=30, k=6)
    rng = np.random.default_rng(1)
    df["answer"] = np.where(df["correct"] == 1, "10", np.where(rng.random(len(df)) < 0.5, "010", "10.0"))
    df.to_csv(tmp_path / "s.csv", index=False)
    df.to_parquet(tmp_path / "s.parquet", index=False)
    kw = dict(answer_col="answer", correct_col="correct", force=True)
    a = select_file(tmp_path / "s.csv", tmp_path / "a.parquet", **kw)
    b = select_file(tmp_path / "s.parquet", tmp_path / "b.parquet", **kw)
    np.testing.assert_array_equal(a.data.answers, b.data.answers)
    np.testing.assert_array_equal(a.selected, b.selected)
    pd.testing.assert_frame_equal(a.evaluation.methods, b.evaluation.methods)


def test_no_majority_answer_baseline_without_answers(tmp_path):
    """`select` reported a 'majority answer' Select@1 when no candidate had a final answer (an
    empty answer column, or none at all): a seeded draw among each question's candidates, shown as
    a baseline. It is null in --json, n/a in the table, and a note says why, once."""
    import json

    from typer.testing import CliRunner

    from weaklabel.cli import app

    df = _small(n_q=40)
    df.assign(answer=None).to_parquet(tmp_path / "empty.parquet", index=False)
    df.to_parquet(tmp_path / "none.parquet", index=False)
    for name, args, why in (("empty", ["--answer-col", "answer"], "no candidate of an evaluation question has a "
                                                                "final answer"),
                            ("none", [], "needs the candidates' final answers (--answer-col)")):
        r = CliRunner().invoke(app, ["select", str(tmp_path / f"{name}.parquet"), "-o", str(tmp_path / f"{name}.o"
                                     ".parquet"), "--correct-col", "correct", "--json", *args])
        assert r.exit_code == 0, r.output
        ev = json.loads(r.stdout)["evaluation"]
        got = {m["method"]: m["select_at_1"] for m in ev["methods"]}
        assert got["majority answer"] is None and got["pass@1"] is not None, got
        assert "oracle-weighted, no answer pooling" not in got
        assert [n for n in ev["notes"] if "majority answer" in n] == [f"majority answer: {why}" + (
            " (the answer column is empty there); not computed" if name == "empty" else "")]
        r = CliRunner().invoke(app, ["select", str(tmp_path / f"{name}.parquet"), "-o", str(tmp_path / "t.parquet"),
                                     "--correct-col", "correct", "--force", *args])
        assert r.exit_code == 0, r.output
        line = next(x for x in r.stdout.splitlines() if "majority answer" in x and "note" not in x)
        assert "n/a" in line and r.stdout.count(why) == 1, r.stdout
    # some questions answered: the baseline is computed, and the draws in the others are said
    part = df.assign(answer=np.where(df["question_id"].isin(["q0", "q1", "q2"]), None, df["correct"].astype(str)))
    part.to_parquet(tmp_path / "part.parquet", index=False)
    res = select_file(tmp_path / "part.parquet", tmp_path / "p.parquet", answer_col="answer", correct_col="correct",
                      dev_frac=0.0)
    assert np.isfinite(res.evaluation.score("majority answer"))
    assert any("3 evaluation questions without any final answer count a seeded draw" in n
               for n in res.evaluation.notes), res.evaluation.notes
