"""Review 99: crowdsourcing data (item, worker, label answers and their truth files) on first use.

* A long table of answers given where votes are expected (``weaklabel fit answers.parquet``, or a
  DataFrame handed to a label model) was read as votes: one row per answer, the worker ids an LF
  (or ids), K = the largest worker id + 1, exit 0. It is refused, pointing to ``weaklabel crowd``
  (``io.plain_ids.answers_table_error``).
* A truth file whose item column is named otherwise than the votes' id column (``item`` against
  crowd-kit's ``task``) was matched by position with a note; ``weaklabel crowd`` writes the items in
  the order of their first answer, so every label was scored against another item's votes
  (accuracy 0.55 for 0.90, exit 0; ``fit --dev`` fitted the shuffled labels). Refused when that
  column holds the votes' ids in another order (``votes.row_ids.column_holding_ids``).
* Answers given as booleans make classes named ``False``/``True``; a truth file of booleans was
  refused ("labels are booleans; use class ids").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.models import MajorityVote


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def crowd(n_items: int = 200, n_workers: int = 30, per_item: int = 5, seed: int = 0):
    """Binary answers (item, worker, label), sorted by worker as many public sets are, and the truth."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_items)
    skill = rng.uniform(0.6, 0.95, n_workers)
    rows = []
    for i in range(n_items):
        for w in rng.choice(n_workers, per_item, replace=False):
            rows.append((i, int(w) + 100, int(y[i] if rng.random() < skill[w] else 1 - y[i])))
    answers = pd.DataFrame(rows, columns=["item", "worker", "label"]).sort_values(["worker", "item"], kind="stable")
    return answers.reset_index(drop=True), pd.DataFrame({"item": np.arange(n_items), "truth": y})


def majority_accuracy(answers: pd.DataFrame, truth: pd.DataFrame, item: str = "item") -> float:
    c = answers.groupby([item, "label"]).size().unstack(fill_value=0)
    assert not (c[0] == c[1]).any()
    mv = (c[1] > c[0]).astype(int)
    return float((mv.loc[truth["item"]].to_numpy() == truth["truth"].to_numpy()).mean())


@pytest.mark.parametrize("layout", ["ints", "text_worker", "worker_id", "annotator"])
def test_answers_table_given_as_votes_is_refused(tmp_path: Path, layout: str):
    answers, _ = crowd()
    if layout == "text_worker":
        answers = answers.assign(worker="W" + answers["worker"].astype(str))
    elif layout == "worker_id":     # worker_id an id column by name, question an integer (an LF by type)
        answers = answers.rename(columns={"item": "question", "worker": "worker_id", "label": "answer"})
    elif layout == "annotator":
        answers = answers.rename(columns={"item": "task_id", "worker": "annotator", "label": "answer"})
    answers.to_parquet(tmp_path / "answers.parquet", index=False)
    out = tmp_path / "labels.parquet"
    for args in (["fit", tmp_path / "answers.parquet", "-o", out], ["analyze", tmp_path / "answers.parquet"]):
        line = one_line_error(run(*args))
        assert "crowdsourcing answers" in line and "weaklabel crowd" in line, line
    assert not out.exists()


def test_refused_answers_convert_with_the_command_the_error_names(tmp_path: Path):
    answers, truth = crowd()
    answers = answers.rename(columns={"item": "task_id", "worker": "annotator", "label": "answer"})
    answers.to_parquet(tmp_path / "answers.parquet", index=False)
    line = one_line_error(run("fit", tmp_path / "answers.parquet", "-o", tmp_path / "l.parquet"))
    command = line.split("`")[1].split()
    assert command[:2] == ["weaklabel", "crowd"]
    r = run(*command[1:3], *[tmp_path / "votes.parquet" if a == "votes.parquet" else a for a in command[3:]])
    assert r.exit_code == 0, r.output
    assert run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "l.parquet", "-m", "majority", "-q").exit_code == 0
    truth.rename(columns={"item": "task_id"}).to_csv(tmp_path / "truth.csv", index=False)
    import json
    r = run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "truth.csv", "--label-col", "truth", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)["accuracy"]
    assert got == pytest.approx(majority_accuracy(answers.rename(columns={"task_id": "item", "answer": "label"}),
                                                  truth))


def test_votes_with_an_lf_named_like_a_worker_are_still_votes(tmp_path: Path):
    rng = np.random.default_rng(1)
    n = 300
    votes = pd.DataFrame({"doc_id": np.arange(n) + 1000,
                          "kw_refund": rng.choice([-1, 0], n), "kw_great": rng.choice([-1, 1], n),
                          "annotator": rng.choice([-1, 0, 1], n)})   # a human annotator as one more source
    votes.to_parquet(tmp_path / "votes.parquet", index=False)
    r = run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "l.parquet", "-m", "majority", "-q")
    assert r.exit_code == 0, r.output
    assert len(pd.read_parquet(tmp_path / "l.parquet")) == n
    assert MajorityVote().fit(votes.set_index("doc_id")).predict_proba(votes.set_index("doc_id")).shape == (n, 2)


def test_answers_frame_given_to_a_model_is_refused():
    answers, _ = crowd()
    for frame in (answers, answers.set_index("item"),
                  answers.rename(columns={"item": "question", "label": "answer"})):
        with pytest.raises(InputError, match="crowdsourcing answers"):
            MajorityVote().fit(frame)
    wide = answers.pivot(index="item", columns="worker", values="label").fillna(-1).astype(int)
    assert MajorityVote().fit(wide).predict_proba(wide).shape == (200, 2)


def test_truth_with_the_item_column_named_otherwise_is_not_matched_by_position(tmp_path: Path):
    answers, truth = crowd()
    answers.rename(columns={"item": "task"}).to_csv(tmp_path / "answers.csv", index=False)   # crowd-kit's name
    truth.to_csv(tmp_path / "truth.csv", index=False)                                           # ... and the truth's
    assert run("crowd", tmp_path / "answers.csv", "-o", tmp_path / "votes.parquet", "-q").exit_code == 0
    assert run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "l.parquet", "-m", "majority", "-q").exit_code == 0
    gold = ["--gold", tmp_path / "truth.csv", "--label-col", "truth"]
    for args in (["evaluate", tmp_path / "l.parquet", *gold], ["analyze", tmp_path / "votes.parquet", *gold],
                 ["fit", tmp_path / "votes.parquet", "-o", tmp_path / "dev.parquet", "--dev", *gold[1:2],
                  "--label-col", "truth"]):
        line = one_line_error(run(*args))
        assert "'item'" in line and "'task'" in line and "another order" in line, line
    assert not (tmp_path / "dev.parquet").exists()
    # named as in the votes, the same truth scores majority vote's accuracy
    truth.rename(columns={"item": "task"}).to_csv(tmp_path / "truth_task.csv", index=False)
    import json
    r = run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "truth_task.csv", "--label-col", "truth", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["accuracy"] == pytest.approx(majority_accuracy(answers, truth))


def test_truth_in_the_votes_order_under_another_name_is_still_matched_by_position(tmp_path: Path):
    answers, truth = crowd()
    answers = answers.sort_values("item", kind="stable")       # items in truth order: position is right
    answers.rename(columns={"item": "task"}).to_csv(tmp_path / "answers.csv", index=False)
    truth.to_csv(tmp_path / "truth.csv", index=False)
    assert run("crowd", tmp_path / "answers.csv", "-o", tmp_path / "votes.parquet", "-q").exit_code == 0
    assert run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "l.parquet", "-m", "majority", "-q").exit_code == 0
    import json
    r = run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "truth.csv", "--label-col", "truth", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["accuracy"] == pytest.approx(majority_accuracy(answers, truth))


def test_boolean_truth_for_boolean_answers(tmp_path: Path):
    answers, truth = crowd()
    answers.assign(label=answers["label"].astype(bool)).to_json(tmp_path / "answers.jsonl", orient="records",
                                                                 lines=True)
    truth.assign(truth=truth["truth"].astype(bool)).to_csv(tmp_path / "truth.csv", index=False)
    assert run("crowd", tmp_path / "answers.jsonl", "-o", tmp_path / "votes.parquet", "-q").exit_code == 0
    assert run("fit", tmp_path / "votes.parquet", "-o", tmp_path / "l.parquet", "-m", "majority", "-q").exit_code == 0
    import json
    r = run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "truth.csv", "--label-col", "truth", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["accuracy"] == pytest.approx(majority_accuracy(answers, truth))
    labels = pd.read_parquet(tmp_path / "l.parquet")
    assert set(labels["label_name"]) == {"False", "True"}
