"""`weaklabel select`: inputs read as the user meant them, options never silently ignored, outputs
written together (the adversarial run's findings)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from _pools import one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.verifiers import read_scores, select_file
from weaklabel.verifiers.readers import weaver_to_long

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "verifiers" / "weaver_scores.csv"


@pytest.fixture
def scores(tmp_path, suite):
    path = tmp_path / "scores.parquet"
    suite.table.to_parquet(path, index=False)
    return path


def _weaver_lists(correct=str) -> pd.DataFrame:
    """The example's Weaver-style table in Weaver's list layout, ``answer_correct`` as ``correct(x)``."""
    df = pd.read_csv(EXAMPLE)
    vers = [c for c in df.columns if c.endswith(("_score", "_verdict"))]
    g = df.groupby("problem_idx", sort=False)
    out = pd.DataFrame({"samples": [[f"s{i}" for i in p["sample_idx"]] for _, p in g],
                        "answer_correct": [[correct(x) for x in p["answer_correct"]] for _, p in g]})
    for v in vers:
        out[v + "s"] = [list(p[v]) for _, p in g]
    return out


# --------------------------------------------------------------------------- 1. Weaver's list layout
def test_weaver_lists_parse_correctness_text_and_refuse_text_scores(tmp_path):
    wv = _weaver_lists(str)                                  # "False"/"True", as text exports hold them
    long = weaver_to_long(wv)
    truth = pd.read_csv(EXAMPLE)["answer_correct"].astype(float).to_numpy()
    np.testing.assert_array_equal(long["correct"], truth)    # bool("False") counted them all correct
    mixed = pd.DataFrame({"samples": [["a", "b", "c", "d", "e", "f"]],
                          "answer_correct": [["false", " TRUE ", "0", 1, None, np.nan]],
                          "rm_scores": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]})
    np.testing.assert_array_equal(weaver_to_long(mixed)["correct"], [0, 1, 0, 1, np.nan, np.nan])
    bad = wv.copy()
    bad.at[2, "answer_correct"] = bad.at[2, "answer_correct"][:3] + ["maybe"] + bad.at[2, "answer_correct"][4:]
    with pytest.raises(InputError, match=r"w.parquet: column 'answer_correct' row 2 entry 3: 'maybe' is not 0/1"):
        weaver_to_long(bad, where="w.parquet")
    text = wv.copy()
    text["armo_scores"] = [[str(x) for x in v] for v in text["armo_scores"]]
    text.at[1, "armo_scores"] = ["high"] + text.at[1, "armo_scores"][1:]
    with pytest.raises(InputError, match=r"column 'armo_scores' row 1 entry 0: 'high' is not a number"):
        weaver_to_long(text)
    # the command: no longer 1.000 everywhere
    wv.to_parquet(tmp_path / "wv.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "wv.parquet"), "-o", str(tmp_path / "o.parquet"), "--json"])
    assert r.exit_code == 0, r.output
    got = {m["method"]: m["select_at_1"] for m in json.loads(r.stdout)["evaluation"]["methods"]}
    assert got["pass@1"] < 0.6 and got["pass@k"] < 1


# --------------------------------------------------------------------------- 2. correctness as a verifier
def test_select_never_takes_correctness_columns_as_verifiers(tmp_path):
    r = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(tmp_path / "a.parquet"), "--question-col",
                            "problem_idx", "--candidate-col", "sample_idx", "--json"])
    assert r.exit_code == 0, r.output
    names = {v["verifier"] for v in json.loads(r.stdout)["verifier_table"]}
    assert "answer_correct" not in names and "extracted_answer" not in names and "armo_score" in names


def test_select_warns_about_a_label_like_verifier(tmp_path, suite):
    t = suite.table.assign(label=suite.table["correct"], gold_correctness=suite.table["correct"])
    t.to_parquet(tmp_path / "s.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "a.parquet"), "--json"])
    assert r.exit_code == 0, r.output
    warnings = json.loads(r.stdout)["warnings"]
    assert len(warnings) == 2 and "'label'" in warnings[0] and "--correct-col label" in warnings[0]
    assert "--correct-col gold_correctness" in warnings[1] and "--verifiers" in warnings[1]
    assert "warning: verifier column 'label'" in r.stderr
    # named exactly in --verifiers: the user said it is a verifier
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "b.parquet"), "--json",
                            "--verifiers", "rm_*,judge_*,label"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["warnings"] == []


# --------------------------------------------------------------------------- 3./4. saved selectors, ignored options
@pytest.fixture(scope="module")
def saved(tmp_path_factory, suite):
    """A selector fitted and saved by `select --save-model` on the module's suite (the same table
    as ``scores``). Fitted once per module (a ~2 s fit): the tests only read the saved file, and
    write their own outputs in their own tmp_path."""
    d = tmp_path_factory.mktemp("saved_selector")
    scores = d / "scores.parquet"
    suite.table.to_parquet(scores, index=False)
    r = runner.invoke(app, ["select", str(scores), "-o", str(d / "fit.parquet"), "--answer-col", "answer",
                            "--save-model", str(d / "sel.json"), "--quiet"])
    assert r.exit_code == 0, r.output
    assert json.loads((d / "sel.json").read_text())["answer_column"] == "answer"
    return d / "sel.json"


def test_saved_pooling_selector_needs_the_answer_column(tmp_path, scores, saved):
    r = runner.invoke(app, ["select", str(scores), "-o", str(tmp_path / "x.parquet"), "--model-file", str(saved)])
    one_line_error(r, "pools candidates by final answer (fitted with --answer-col answer)")
    assert not (tmp_path / "x.parquet").exists()
    r = runner.invoke(app, ["select", str(scores), "-o", str(tmp_path / "x.parquet"), "--model-file", str(saved),
                            "--answer-col", "answer", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["explanation"]["answer_pooling"]["pooled"]


@pytest.mark.parametrize("args, message", [
    (["--label-model", "ds"], "--label-model: "),
    (["--normalise", "minmax"], "--normalise: "),
    (["--pool-answers", "no"], "--pool-answers: "),
    (["--family-threshold", "0.3"], "--family-threshold: "),
    (["-p", "max_iter=5"], "--param: "),
    (["--dev-frac", "0.1"], "--dev-frac: a saved selector"),
])
def test_saved_selector_refuses_other_fit_settings(tmp_path, scores, saved, args, message):
    r = runner.invoke(app, ["select", str(scores), "-o", str(tmp_path / "x.parquet"), "--model-file", str(saved),
                            "--answer-col", "answer", *args])
    one_line_error(r, message)
    assert "saved with" in r.output or "--dev-frac" in message
    assert not (tmp_path / "x.parquet").exists()


def test_saved_selector_accepts_its_own_settings(tmp_path, scores, saved):
    r = runner.invoke(app, ["select", str(scores), "-o", str(tmp_path / "x.parquet"), "--model-file", str(saved),
                            "--answer-col", "answer", "--label-model", "mixture", "--normalise", "quantile",
                            "--binarise", "none", "--threshold", "0.5", "--quiet"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("args, message", [
    (["--dev-frac", "0.1"], "--dev-frac sets aside labelled dev questions: it needs a correctness column"),
    (["--threshold", "0.3"], "--threshold is the cut of --binarise fixed; this fit binarises with none"),
    (["--threshold", "0.3", "-m", "ds"], "this fit binarises with quantile"),
    (["--pool-answers", "yes"], "--pool-answers yes pools candidates by final answer: it needs the answers' column"),
    (["--binarise-scope", "questions"], "--binarise-scope must be question or global, got 'questions'"),
    (["--binarise-scope", "global"], "--binarise-scope sets where --binarise quantile takes its quantiles"),
    (["--binarise-scope", "global", "-m", "ds", "--binarise", "fixed"], "this fit binarises with fixed"),
    (["--families", "none", "--family-threshold", "0.3"], "--family-threshold is for --families detect"),
    (["--seed", "-1"], "--seed must be an integer from 0 to 4294967295, got -1"),
])
def test_select_refuses_options_it_would_ignore(tmp_path, scores, args, message):
    r = runner.invoke(app, ["select", str(scores), "-o", str(tmp_path / "x.parquet"), *args])
    one_line_error(r, message)
    assert not (tmp_path / "x.parquet").exists()


def test_select_checks_the_seed_before_reading(tmp_path):
    with pytest.raises(InputError, match="--seed must be"):
        select_file(tmp_path / "missing.parquet", tmp_path / "x.parquet", seed=-1)


# --------------------------------------------------------------------------- 5. both outputs or neither
def test_select_writes_the_selection_and_the_selector_together(tmp_path, scores, monkeypatch):
    import weaklabel.io as wio

    def full_disk(obj, path, force=False):
        with wio.atomic_output(path, force):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(wio, "write_json_atomic", full_disk)
    r = runner.invoke(app, ["select", str(scores), "-o", str(tmp_path / "sel.parquet"),
                            "--save-model", str(tmp_path / "sel.json")])
    one_line_error(r, "nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.parquet"]     # no selection, no temporaries


# --------------------------------------------------------------------------- 7. a Weaver-style table's own names
def test_weaver_style_table_messages_and_options_use_the_files_names(tmp_path):
    r = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(tmp_path / "a.parquet"), "--correct-col",
                            "answer_correct", "--answer-col", "extracted_answer", "--json"])
    assert r.exit_code == 0, r.output
    assert "evaluation" in json.loads(r.stdout)
    t = read_scores(EXAMPLE, correct_col="answer_correct")
    assert t.correct_col == "correct" and t.names["correct"] == "answer_correct"
    r = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(tmp_path / "b.parquet"), "--correct-col", "truth"])
    one_line_error(r, "no column 'truth' (--correct-col); columns: problem_idx, sample_idx, extracted_answer, "
                      "answer_correct, armo_score")
    df = pd.read_csv(EXAMPLE)
    df["answer_correct"] = df["answer_correct"].astype(object)
    df.loc[7, "answer_correct"] = "sure"
    df.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match=r"bad.csv: column 'answer_correct' row 7: 'sure' is not 0/1"):
        select_file(tmp_path / "bad.csv", tmp_path / "c.parquet", verifiers="armo_score,skywork_score")
    df.loc[7, "answer_correct"] = True
    df.loc[3, "sample_idx"] = 2
    df.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match=r"row 3: duplicate \(problem_idx, sample_idx\) pair \('0', '2'\)"):
        select_file(tmp_path / "bad.csv", tmp_path / "c.parquet", verifiers="armo_score,skywork_score")
    # the user's own id columns are used, and a missing one named
    r = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(tmp_path / "d.parquet"), "--question-col", "qid"])
    one_line_error(r, "no column 'qid' (--question-col)")


# --------------------------------------------------------------------------- 8. CSV ids are text
def test_csv_ids_are_read_as_text(tmp_path):
    rng = np.random.default_rng(0)
    q = np.repeat(["01", "1", "001", "2"], 10)
    c = np.tile([f"{i:02d}" for i in range(10)], 4)
    t = pd.DataFrame({"question_id": q, "candidate_id": c, "a": rng.random(40), "b": rng.random(40),
                      "c": rng.random(40)})
    t.to_csv(tmp_path / "ids.csv", index=False)
    res = select_file(tmp_path / "ids.csv", tmp_path / "sel.parquet")
    assert res.data.n_questions == 4
    out = pd.read_parquet(tmp_path / "sel.parquet")
    assert list(out["question_id"].unique()) == ["01", "1", "001", "2"] and out["candidate_id"].iloc[5] == "05"


def test_an_unseeded_selector_is_accepted(scores, tmp_path):
    """`random_state=None` (scikit-learn's "unseeded") is a valid selector setting; only a seed that
    numpy would refuse is an error."""
    from weaklabel.verifiers import VerifierSelector

    res = select_file(scores, tmp_path / "s.parquet", selector=VerifierSelector(random_state=None),
                      correct_col="correct", answer_col="answer")
    assert res.selected.sum() == res.data.n_questions
    with pytest.raises(InputError, match="random_state must be"):
        select_file(scores, tmp_path / "t.parquet", selector=VerifierSelector(random_state=-3))


# --------------------------------------------------------------------------- 9. ids, text scores, one candidate
DATA_SEED = 0x5E1EC7   # the data's own stream: never a tie-break seed (see _small)


def _small(n_q=12, k=4, seed=0, with_correct=False) -> pd.DataFrame:
    """``n_q`` questions of ``k`` candidates, 40% correct, three noisy reward models (and the
    ``correct`` column with ``with_correct``). The data come from their own stream
    (``default_rng([DATA_SEED, seed])``): drawn from ``default_rng(seed)``, correctness was
    ``u < 0.4`` for the very uniforms ``u`` a seed-``seed`` tie-break draws (lowest first), so
    every random tie-break favoured a correct candidate (a draw among five picked one 92% of the
    time instead of 40%)."""
    rng = np.random.default_rng([DATA_SEED, seed])
    good = rng.random(n_q * k) < 0.4
    df = pd.DataFrame({"question_id": np.repeat([f"q{i}" for i in range(n_q)], k),
                       "candidate_id": np.tile(np.arange(k), n_q),
                       "rm_a": good + rng.normal(0, 0.6, n_q * k), "rm_b": good + rng.normal(0, 0.8, n_q * k),
                       "rm_c": good + rng.normal(0, 0.9, n_q * k)})
    return df.assign(correct=good.astype(int)) if with_correct else df


def test_the_small_suites_correctness_is_not_the_tie_break_draw():
    """A seeded draw among tied candidates picks a correct one at about the base rate (40%), not
    at the 92% it did when the data and the tie-break shared seed 0's stream."""
    from weaklabel.verifiers import from_frame
    from weaklabel.verifiers.metrics import top_candidates

    data = from_frame(_small(n_q=200, k=5, with_correct=True), correct_col="correct")
    for seed in (0, 1):
        top = top_candidates(np.zeros(data.n_rows), data.groups, seed)
        assert 0.3 < data.correct[top].mean() < 0.6


def test_ids_of_mixed_types_are_one_line_errors_before_the_fit(tmp_path):
    """JSON Lines ids that are numbers on some lines and text on others: `0` and `"0"` would be
    two questions, and the mix failed with a traceback from Arrow only when writing, after the fit."""
    df = _small().astype({"question_id": object})
    df.loc[df.index % 2 == 0, "question_id"] = 7
    df.to_json(tmp_path / "mixed.jsonl", orient="records", lines=True)
    out = tmp_path / "sel.parquet"
    r = runner.invoke(app, ["select", str(tmp_path / "mixed.jsonl"), "-o", str(out)])
    one_line_error(r, "id column 'question_id' mixes value types (int, str)")
    assert not out.exists()
    lists = _small().astype({"candidate_id": object})
    lists["candidate_id"] = [[i] for i in range(len(lists))]
    lists.to_json(tmp_path / "lists.jsonl", orient="records", lines=True)
    with pytest.raises(InputError, match=r"lists.jsonl: column 'candidate_id' row 0: an id must be a number or text"):
        select_file(tmp_path / "lists.jsonl", out)


def test_a_verifier_stored_as_text_is_not_dropped_silently(tmp_path):
    """A Parquet file whose scores are text ("0.83") lost that verifier without a word, while the
    same data as CSV used it."""
    df = _small()
    df["rm_c"] = df["rm_c"].map(repr)
    df.to_parquet(tmp_path / "text.parquet", index=False)
    res = select_file(tmp_path / "text.parquet", tmp_path / "sel.parquet")
    assert "rm_c" not in res.selector.verifiers_
    assert any("'rm_c' holds numbers stored as text" in w for w in res.warnings), res.warnings
    named = select_file(tmp_path / "text.parquet", tmp_path / "sel2.parquet", verifiers="rm_*")
    assert "rm_c" in named.selector.verifiers_ and not any("stored as text" in w for w in named.warnings)
    r = runner.invoke(app, ["select", str(tmp_path / "text.parquet"), "-o", str(tmp_path / "s3.parquet"), "--json"])
    assert r.exit_code == 0, r.output
    assert any("'rm_c'" in w for w in json.loads(r.stdout)["warnings"])


def test_one_candidate_per_question_says_so(tmp_path):
    """Every question with one candidate (say, --question-col naming a per-row column) blamed the
    verifiers: 'every verifier was dropped'."""
    df = _small()
    df.iloc[::4].to_parquet(tmp_path / "one.parquet", index=False)
    with pytest.raises(InputError, match="every question has a single candidate"):
        select_file(tmp_path / "one.parquet", tmp_path / "sel.parquet")
    df.head(1).to_parquet(tmp_path / "row.parquet", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "row.parquet"), "-o", str(tmp_path / "sel.parquet")])
    one_line_error(r, "every question has a single candidate (1 question, one candidate each")


def test_a_verifier_without_scores_prints_no_numpy_warnings(tmp_path):
    """An all-NaN verifier column is reported as 'dropped: no scores'; numpy's 'Degrees of freedom
    <= 0' / 'Mean of empty slice' warnings leaked to the terminal from the mixture's start."""
    import warnings

    df = _small()
    df["correct"] = (df["rm_a"] > 0.5).astype(int)
    df["rm_b"] = np.nan
    df.to_parquet(tmp_path / "nan.parquet", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = select_file(tmp_path / "nan.parquet", tmp_path / "sel.parquet", correct_col="correct")
    assert res.selector.verifier_table().set_index("verifier").loc["rm_b", "status"] == "dropped: no scores"
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]


def test_a_saved_selector_reads_its_verifiers_by_name(tmp_path):
    """Applying a saved selector to a file whose score column is stored as text said the column
    did not exist; now it is read (the same selection as from numbers), and a missing one is named."""
    df = _small()
    df.to_parquet(tmp_path / "num.parquet", index=False)
    fitted = select_file(tmp_path / "num.parquet", tmp_path / "a.parquet", save_model=tmp_path / "sel.json")
    text = df.assign(rm_a=df["rm_a"].map(repr))
    text.to_parquet(tmp_path / "text.parquet", index=False)
    applied = select_file(tmp_path / "text.parquet", tmp_path / "b.parquet", model_file=tmp_path / "sel.json")
    np.testing.assert_allclose(applied.proba, fitted.proba)
    assert not applied.warnings
    df.drop(columns="rm_b").to_parquet(tmp_path / "less.parquet", index=False)
    with pytest.raises(InputError, match=r"less.parquet: no column for verifier 'rm_b', which the selector"):
        select_file(tmp_path / "less.parquet", tmp_path / "c.parquet", model_file=tmp_path / "sel.json")


def test_a_verifier_named_with_glob_characters_can_be_named(tmp_path):
    """--verifiers 'rm[v2]' (the column's own name) matched nothing: it was read as a glob only."""
    df = _small().rename(columns={"rm_b": "rm[v2]"})
    df.to_parquet(tmp_path / "s.parquet", index=False)
    res = select_file(tmp_path / "s.parquet", tmp_path / "sel.parquet", verifiers="rm_a,rm[v2]")
    assert res.selector.verifiers_ == ["rm_a", "rm[v2]"]


def test_the_answer_column_cannot_be_an_id_column(tmp_path):
    """`--answer-col question_id` was accepted: every candidate of a question had one answer and
    their evidence was pooled into one (a silently wrong selection)."""
    df = _small()
    df["answer"] = df["candidate_id"].astype(str)
    df.to_parquet(tmp_path / "s.parquet", index=False)
    out = tmp_path / "sel.parquet"
    for col, opt in (("question_id", "--question-col"), ("candidate_id", "--candidate-col")):
        with pytest.raises(InputError, match=f"--answer-col '{col}' is the {opt} column"):
            select_file(tmp_path / "s.parquet", out, answer_col=col)
        r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(out), "--answer-col", col])
        one_line_error(r, f"--answer-col '{col}' is the {opt} column")
        assert not out.exists()
    # the Weaver-style example: its question column by the file's name or the reader's
    for col in ("problem_idx", "question_id"):
        r = runner.invoke(app, ["select", str(EXAMPLE), "-o", str(out), "--answer-col", col])
        one_line_error(r, "--answer-col 'problem_idx' is the --question-col column")


def test_an_unknown_mixture_parameter_is_named(tmp_path):
    """`select -p foo=bar` (the default mixture) printed Python's raw "ScoreMixture.__init__() got
    an unexpected keyword argument 'foo'"."""
    from weaklabel.verifiers import VerifierSelector, from_frame

    _small().to_parquet(tmp_path / "s.parquet", index=False)
    out = tmp_path / "sel.parquet"
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(out), "-p", "foo=bar"])
    one_line_error(r, "label model 'mixture' has no parameter 'foo' (parameters: covariance,")
    assert "__init__" not in r.output and not out.exists()
    with pytest.raises(InputError, match="label model 'mixture' has no parameter 'foo'"):
        VerifierSelector(model_params={"foo": 1}).fit(from_frame(_small()))
    r = runner.invoke(app, ["select", str(tmp_path / "s.parquet"), "-o", str(out), "-p", "max_iter=20", "-q"])
    assert r.exit_code == 0, r.output
