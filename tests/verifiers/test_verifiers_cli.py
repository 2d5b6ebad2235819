"""`weaklabel select`, the suite generator, Weaver's layout and `weaklabel bench --suite verifiers`."""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weaklabel.bench.verifiers import generate_suite
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.verifiers import VerifierSelector, from_frame
from weaklabel.verifiers.readers import is_weaver_layout, load_weaver, weaver_to_long

runner = CliRunner()


@pytest.fixture
def scores(tmp_path, suite):
    path = tmp_path / "scores.parquet"
    suite.table.assign(verdict_text="yes").to_parquet(path, index=False)
    return path


# --------------------------------------------------------------------------- generator
def test_generator_is_seeded_and_realistic(suite):
    again = generate_suite("math", 0, quick=True)
    pd.testing.assert_frame_equal(suite.table, again.table)
    assert not generate_suite("math", 1, quick=True).table.equals(suite.table)
    t, spec, q = suite.table, suite.verifiers, suite.questions
    assert t.shape == (150 * 40, 2 + 20 + 2) and t.groupby("question_id").size().eq(40).all()
    assert sorted(spec["role"].value_counts().items()) == [("constant", 1), ("good", 16), ("inverted", 2), ("useless", 1)]
    fmt = dict(zip(spec["verifier"], spec["format"]))
    for v, f in fmt.items():
        x = t[v].dropna()
        if f == "prob":
            assert x.between(0, 1).all()
        elif f == "rating":
            assert set(x.unique()) <= set(range(1, 11))
        elif f == "binary":
            assert set(x.unique()) <= {0.0, 1.0}
    assert {"prob", "logit", "binary"} <= set(fmt.values())
    assert 0.01 < t[list(fmt)].isna().mean().mean() < 0.15                 # missing scores
    assert (spec["group"] >= 0).sum() >= 4                                 # correlated families
    # per-question difficulty: hard questions have a low base rate, some no correct candidate at all
    assert q.loc[q["tier"] == "hard", "base_rate"].mean() < 0.15
    assert q.loc[q["tier"] == "easy", "base_rate"].mean() > 0.7
    assert (q["n_correct"] == 0).sum() >= 5
    # answers: correct candidates share the gold answer
    gold = t[t["correct"] == 1].groupby("question_id")["answer"].nunique()
    assert gold.eq(1).all()
    big = generate_suite("judges", 0)
    assert big.table.shape[0] == 300 * 64 and len(big.verifier_names) == 30
    with pytest.raises(InputError, match="unknown verifier suite"):
        generate_suite("chess")


# --------------------------------------------------------------------------- Weaver's layout
def _to_weaver(table: pd.DataFrame, verifiers: list[str]) -> pd.DataFrame:
    g = table.groupby("question_id", sort=False)
    out = pd.DataFrame({"instruction": [f"question {q}" for q in g.groups],
                        "samples": [[f"sample {i}" for i in range(len(part))] for _, part in g],
                        "extracted_answers": [list(part["answer"]) for _, part in g],
                        "answer_correct": [[bool(x) for x in part["correct"]] for _, part in g]})
    for v in verifiers:
        suffix = "_verdicts" if v.startswith("judge") else "_scores"
        out[v + suffix] = [list(part[v]) for _, part in g]
    return out


def test_weaver_layout_loads_into_the_long_table(tmp_path, suite):
    small = suite.table[suite.table["question_id"].isin(["q0000", "q0001", "q0002"])]
    wv = _to_weaver(small, ["rm_00", "rm_01", "judge_01"])
    path = tmp_path / "weaver.parquet"
    wv.to_parquet(path, index=False)
    long = load_weaver(path)
    assert list(long.columns) == ["question_id", "candidate_id", "rm_00_scores", "rm_01_scores",
                                  "judge_01_verdicts", "answer", "correct"]
    assert len(long) == 120 and long["question_id"].nunique() == 3
    np.testing.assert_allclose(long["rm_00_scores"], small["rm_00"], equal_nan=True)
    np.testing.assert_array_equal(long["correct"], small["correct"])
    assert (long["answer"] == small["answer"].to_numpy()).all()
    data = from_frame(long, answer_col="answer", correct_col="correct")
    assert data.verifiers == ["rm_00_scores", "rm_01_scores", "judge_01_verdicts"]
    # JSON Lines, as the hub's exports come
    jl = tmp_path / "weaver.jsonl"
    wv.to_json(jl, orient="records", lines=True)
    assert load_weaver(jl).shape == long.shape
    # ragged lists and other layouts are one-line errors
    bad = wv.copy()
    bad.at[1, "rm_01_scores"] = bad.at[1, "rm_01_scores"][:-1]
    with pytest.raises(InputError, match="row 1: column 'rm_01_scores' has 39 entries but 'samples' has 40"):
        weaver_to_long(bad)
    assert not is_weaver_layout(small)
    small.to_parquet(tmp_path / "long.parquet")
    with pytest.raises(InputError, match="not in Weaver's layout"):
        load_weaver(tmp_path / "long.parquet")


def test_select_reads_weaver_layout_directly(tmp_path, suite):
    wv = _to_weaver(suite.table, ["rm_00", "rm_01", "rm_03", "rm_07", "judge_01", "judge_06"])
    path = tmp_path / "weaver.parquet"
    wv.to_parquet(path, index=False)
    r = runner.invoke(app, ["select", str(path), "-o", str(tmp_path / "sel.parquet"), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["questions"] == 150 and s["verifiers"] == 6
    methods = {m["method"]: m["select_at_1"] for m in s["evaluation"]["methods"]}
    assert methods["label model"] > methods["majority answer"]


# --------------------------------------------------------------------------- weaklabel select
def test_select_writes_probabilities_and_one_selection_per_question(tmp_path, scores, suite):
    out = tmp_path / "sel.parquet"
    r = runner.invoke(app, ["select", str(scores), "-o", str(out), "--verifiers", "rm_*,judge_*",
                            "--correct-col", "correct", "--answer-col", "answer"])
    assert r.exit_code == 0, r.output
    assert "Select@1" in r.stdout and "oracle-weighted" in r.stdout and "flipped: below chance" in r.stdout
    df = pd.read_parquet(out)
    assert list(df.columns) == ["question_id", "candidate_id", "p_correct", "p_candidate", "rank", "selected", "dev"]
    # candidates with the same final answer share p_correct (answer pooling), not p_candidate
    one = df.merge(suite.table[["question_id", "candidate_id", "answer"]]).groupby(["question_id", "answer"])
    assert one["p_correct"].nunique().max() == 1 and one["p_candidate"].nunique().max() > 1
    assert df.groupby("question_id")["selected"].sum().eq(1).all()
    assert (df.loc[df["selected"], "rank"] == 1).all() and df["rank"].between(1, 40).all()
    assert df["p_correct"].between(0, 1).all() and df.groupby("question_id")["dev"].nunique().eq(1).all()
    assert df.drop_duplicates("question_id")["dev"].sum() == 8             # 5% of 150 questions
    meta = json.loads(pq.read_metadata(out).metadata[b"weaklabel"])
    assert meta["format"] == "weaklabel.selection" and len(meta["kept"]) == 18
    ev = {m["method"]: m["select_at_1"] for m in meta["evaluation"]["methods"]}
    assert ev["label model"] > ev["mean score"] and ev["label model"] > ev["majority answer"]
    # the selection equals the library's
    data = from_frame(suite.table, verifiers="rm_*,judge_*", answer_col="answer", correct_col="correct")
    assert df["p_correct"].notna().all() and len(df) == data.n_rows


def test_select_save_and_apply_a_selector(tmp_path, suite):
    t = suite.table
    first = t["question_id"] < "q0100"
    t[first].to_parquet(tmp_path / "old.parquet", index=False)
    t[~first].drop(columns=["correct"]).to_csv(tmp_path / "new.csv", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "old.parquet"), "-o", str(tmp_path / "a.parquet"),
                            "--save-model", str(tmp_path / "sel.json"), "--quiet"])
    assert r.exit_code == 0, r.output and r.stdout == ""
    r = runner.invoke(app, ["select", str(tmp_path / "new.csv"), "-o", str(tmp_path / "b.parquet"),
                            "--model-file", str(tmp_path / "sel.json"), "--json"])
    assert r.exit_code == 0, r.output
    assert "evaluation" not in json.loads(r.stdout)                       # no labels, no metrics
    new = pd.read_parquet(tmp_path / "b.parquet")
    sel = VerifierSelector.load(tmp_path / "sel.json")
    data = from_frame(pd.read_csv(tmp_path / "new.csv"))
    np.testing.assert_allclose(new["p_correct"], sel.predict_proba(data).astype(np.float32))
    assert new["selected"].sum() == 50


@pytest.mark.parametrize("args, message", [
    (["--question-col", "qid"], "no column 'qid' (--question-col)"),
    (["--verifiers", "llm_*"], "no verifier column matches 'llm_*'"),
    (["--verifiers", "rm_00,verdict_text"], "verifier column 'verdict_text' is not numeric (row 0: 'yes')"),
    (["--label-model", "gpt"], "unknown label model 'gpt'"),
    (["--label-model", "ds", "--binarise", "none"], "works on votes"),
    (["--dev-frac", "1.5", "--correct-col", "correct"], "--dev-frac must be in [0, 1)"),
    (["--format", "xml"], "--format must be one of"),
])
def test_select_user_errors_are_one_line(tmp_path, scores, args, message):
    r = runner.invoke(app, ["select", str(scores), "-o", str(tmp_path / "x.parquet"), *args])
    assert r.exit_code == 1, r.output
    assert message in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.parquet").exists()


def test_select_duplicate_pairs_and_existing_output(tmp_path, suite):
    t = suite.table.copy()
    t.loc[5, "candidate_id"] = 4
    t.to_csv(tmp_path / "dup.csv", index=False)
    r = runner.invoke(app, ["select", str(tmp_path / "dup.csv"), "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 1 and "row 5: duplicate (question_id, candidate_id) pair ('q0000', '4')" in r.output  # CSV ids are text
    (tmp_path / "o.parquet").write_text("keep me")
    r = runner.invoke(app, ["select", str(tmp_path / "dup.csv"), "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 1 and "already exists" in r.output
    assert (tmp_path / "o.parquet").read_text() == "keep me"


# --------------------------------------------------------------------------- weaklabel bench
def test_bench_verifiers_suite(tmp_path):
    out = tmp_path / "b"
    r = runner.invoke(app, ["bench", "--suite", "verifiers", "--quick", "--tasks", "mcq", "--models", "mixture,ds",
                            "--out", str(out), "--no-plots"])
    assert r.exit_code == 0, r.output
    assert "Select@1" in r.stdout and "oracle-weig" in r.stdout
    df = pd.read_csv(out / "results.csv")
    got = dict(zip(df["model"], df["select_at_1"]))
    assert set(got) == {"pass@1", "majority answer", "mean score", "best single verifier", "mixture", "ds",
                        "oracle-weighted", "oracle-weighted, no answer pooling", "pass@k"}
    assert all(0 <= v <= got["pass@k"] for v in got.values())
    assert got["mixture"] > got["majority answer"] and got["mixture"] > got["pass@1"]
    report = (out / "report.md").read_text()
    assert "## verifiers" in report and "| mcq |" in report and "without answer pooling" in report
    assert report.count("## verifiers") == 1
    data = json.loads((out / "results.json").read_text())
    assert {row["model"] for row in data["summary"]["verifiers"]} == set(got)
    assert any(row.get("planted_auc") is not None for row in data["lfs"])
