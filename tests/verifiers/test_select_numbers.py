"""`weaklabel select`: the numbers it prints and writes, against independent computations
(an audit's findings)."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from weaklabel.bench.verifiers import generate_suite
from weaklabel.verifiers import from_frame, select_file
from weaklabel.verifiers.evaluate import evaluate
from weaklabel.verifiers.metrics import answer_support


@pytest.fixture(scope="module")
def small_suite():
    return generate_suite("mcq", seed=0, quick=True, n_questions=60, n_candidates=12).table


def test_evaluation_scores_the_selection_it_writes(small_suite, tmp_path):
    """The label model's Select@1 is the accuracy of the `selected` column written, not of a
    choice re-derived from P(correct) (whose ties among one answer's candidates skipped their own
    evidence, and which saturates at 0 and 1)."""
    t = small_suite.copy()
    path = tmp_path / "s.parquet"
    t.to_parquet(path, index=False)
    # --dev-frac 0: the fit never sees the labels, so relabelling below cannot move the choice
    first = select_file(path, tmp_path / "o1.parquet", answer_col="answer", correct_col="correct", dev_frac=0.0)
    other = first.selector.select(first.data, first.proba)          # what the evaluation used to score
    assert (first.selected != other).any()                          # the case the test is about
    t["correct"] = first.selected.astype(int)                       # exactly the written choices are right
    t.to_parquet(path, index=False)
    res = select_file(path, tmp_path / "o2.parquet", answer_col="answer", correct_col="correct", dev_frac=0.0,
                      force=True)
    np.testing.assert_array_equal(res.selected, first.selected)
    out = pd.read_parquet(tmp_path / "o2.parquet")
    expected = t["correct"][out["selected"].to_numpy()].mean()      # independent: 1.0
    assert expected == 1.0
    assert res.evaluation.score("label model") == expected
    # the Python API scores the same choice without being handed it
    ev = evaluate(res.selector, res.data, res.proba, res.dev_q, seed=0, oracle=False)
    assert ev.score("label model") == expected


def test_headline_numbers_match_an_independent_computation(small_suite, tmp_path):
    """Select@1, pass@1 and pass@k on the evaluation questions (dev questions left out; a question
    without a correct candidate counts as a miss), one row per candidate with the ids in order."""
    t = small_suite.sample(frac=1, random_state=3).reset_index(drop=True)   # questions interleaved
    path = tmp_path / "s.parquet"
    t.to_parquet(path, index=False)
    res = select_file(path, tmp_path / "o.parquet", answer_col="answer", correct_col="correct", dev_frac=0.1)
    out = pd.read_parquet(tmp_path / "o.parquet")
    pd.testing.assert_frame_equal(out[["question_id", "candidate_id"]], t[["question_id", "candidate_id"]])
    df = t.assign(sel=out["selected"].to_numpy(), dev=out["dev"].to_numpy(), p=out["p_correct"].to_numpy())
    g = df.groupby("question_id", sort=False)
    assert (g["sel"].sum() == 1).all() and df["p"].between(0, 1).all()
    assert (df["p"][df["sel"]].to_numpy() == g["p"].max()[df["question_id"][df["sel"]]].to_numpy()).all()
    ev_q = ~g["dev"].first()
    assert res.evaluation.n_eval == ev_q.sum() and res.evaluation.n_dev == (~ev_q).sum() > 0
    chosen = df[df["sel"]].set_index("question_id")["correct"]
    assert res.evaluation.score("label model") == pytest.approx(chosen[ev_q[ev_q].index].mean(), abs=1e-15)
    assert res.evaluation.score("pass@k") == pytest.approx(g["correct"].max()[ev_q].mean(), abs=1e-15)
    assert res.evaluation.score("pass@1") == pytest.approx(g["correct"].first()[ev_q].mean(), abs=1e-15)


def test_from_frame_reads_answers_by_position(small_suite):
    """A frame whose index is not 0..n-1 (shuffled, or filtered) gives each row its own answer:
    the answers were aligned by index label, so a shuffled frame pooled and counted the wrong
    answers silently and a filtered one failed."""
    t = small_suite
    shuffled = t.sample(frac=1, random_state=0)
    for df in (shuffled, shuffled[shuffled["candidate_id"] % 3 != 0]):
        got = from_frame(df, answer_col="answer", correct_col="correct")
        want = from_frame(df.reset_index(drop=True), answer_col="answer", correct_col="correct")
        np.testing.assert_array_equal(got.answers, want.answers)
        # independent: how many candidates of the question share the row's answer
        support = df.groupby(["question_id", "answer"])["candidate_id"].transform("size").to_numpy()
        np.testing.assert_array_equal(answer_support(got.answers), support)


def test_selection_keeps_the_id_types(small_suite, tmp_path):
    t = small_suite.copy()
    t["question_id"] = pd.factorize(t["question_id"])[0].astype("int32")
    t["candidate_id"] = t["candidate_id"].astype("uint16")
    t.to_parquet(tmp_path / "s.parquet", index=False)
    select_file(tmp_path / "s.parquet", tmp_path / "o.parquet")
    schema = pq.read_schema(tmp_path / "o.parquet")
    assert str(schema.field("question_id").type) == "int32"
    assert str(schema.field("candidate_id").type) == "uint16"
    out = pd.read_parquet(tmp_path / "o.parquet")
    np.testing.assert_array_equal(out["question_id"], t["question_id"])


def test_partly_labelled_questions_are_said_to_be_left_out():
    """Questions with some candidates unlabelled are left out of Select@1: a note says how many
    (the header's count of evaluation questions alone hid them)."""
    import numpy as np
    import pandas as pd

    from weaklabel.verifiers import VerifierSelector
    from weaklabel.verifiers.data import from_frame
    from weaklabel.verifiers.evaluate import evaluate

    rng = np.random.default_rng(0)
    q = np.repeat(np.arange(30), 6)
    correct = (rng.random(q.size) < 0.4).astype(float)
    df = pd.DataFrame({"question_id": q, "candidate_id": np.tile(np.arange(6), 30),
                       "a": correct + rng.normal(0, 0.5, q.size), "b": correct + rng.normal(0, 0.7, q.size),
                       "c": rng.normal(0, 1, q.size)})
    df.loc[df.question_id < 4, "correct"] = correct[:24]
    df.loc[df.question_id >= 4, "correct"] = correct[24:]
    df.loc[(df.question_id < 3) & (df.candidate_id == 0), "correct"] = np.nan   # 3 partly labelled
    data = from_frame(df, verifiers=["a", "b", "c"], correct_col="correct")
    sel = VerifierSelector().fit(data)
    ev = evaluate(sel, data, sel.predict_proba(data), np.zeros(data.n_questions, dtype=bool))
    assert ev.n_eval == 27
    assert any("3 questions with some candidates unlabelled" in n for n in ev.notes), ev.notes
