"""``weaklabel crowd``: crowd answers in long form (item, worker, label) -> a votes file.

Every answer is a vote in the cell (item, worker), classes are named by the label values (so that
a truth file with the same values, 1-based or with gaps, matches them), and nothing is dropped or
invented without a word: a missing label is no vote (a note), a repeated identical answer counts
once (a note), two different labels from one worker on one item are an error unless
``--duplicates`` picks one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.votes import VoteMatrix
from weaklabel.votes.answers import votes_from_answers
from weaklabel.votes.file import read_votes


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def crowd_answers(n_items: int = 400, n_workers: int = 40, per_item: int = 5, seed: int = 0,
                  labels=(1, 2, 3, 4)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sparse crowd over 4 imbalanced classes written as ``labels`` (1-based by default, as many
    public crowd sets): workers of accuracy 0.55-0.95, errors uniform over the other classes."""
    rng = np.random.default_rng(seed)
    K = len(labels)
    y = rng.choice(K, n_items, p=[0.5, 0.25, 0.15, 0.1][:K] / np.sum([0.5, 0.25, 0.15, 0.1][:K]))
    skill = rng.uniform(0.55, 0.95, n_workers)
    rows = []
    for i in rng.permutation(n_items):
        for w in rng.choice(n_workers, per_item, replace=False):
            ans = y[i] if rng.random() < skill[w] else (y[i] + rng.integers(1, K)) % K
            rows.append((f"t{i:04d}", f"annot_{w}", labels[ans]))
    answers = pd.DataFrame(rows, columns=["task", "worker", "answer"])
    truth = pd.DataFrame({"task": [f"t{i:04d}" for i in range(n_items)], "truth": [labels[k] for k in y]})
    return answers, truth


def _majority(answers: pd.DataFrame, truth: pd.DataFrame) -> float:
    """Majority vote's expected accuracy (ties count 1/k) over the items with truth, by hand."""
    got = []
    for task, g in answers.groupby("task"):
        counts = g["answer"].value_counts()
        top = set(counts.index[counts == counts.max()])
        t = truth.set_index("task").loc[task, "truth"]
        got.append((t in top) / len(top))
    return float(np.mean(got))


def test_answers_become_one_vote_per_cell_with_the_label_values_as_class_names(tmp_path: Path):
    answers, truth = crowd_answers()
    answers.to_csv(tmp_path / "answers.csv", index=False)
    r = run("crowd", tmp_path / "answers.csv", "-o", tmp_path / "votes.parquet", "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert (summary["answers"], summary["votes"], summary["items"], summary["workers"]) == (2000, 2000, 400, 40)
    assert summary["classes"] == ["1", "2", "3", "4"]
    assert summary["columns"] == {"item": "task", "worker": "worker", "label": "answer"}
    vm = read_votes(tmp_path / "votes.parquet")
    assert vm.classes == ["1", "2", "3", "4"] and list(vm.row_ids.columns) == ["task"]
    L = pd.DataFrame(vm.to_dense(), columns=vm.lf_names, index=vm.row_ids["task"])
    for task, worker, label in answers.itertuples(index=False):   # every answer, in its cell, as its class
        assert L.loc[task, worker] == label - 1
    assert (L >= 0).to_numpy().sum() == len(answers)                # and nothing else
    assert list(L.index[:3]) == list(dict.fromkeys(answers["task"]))[:3]   # items in order of first answer


def test_a_truth_file_with_the_same_values_scores_the_labels_fit_writes(tmp_path: Path):
    """The whole path of a crowd user: answers -> votes -> fit -> evaluate against 1-based truth.
    Majority vote's accuracy is checked against a hand count, and the default gains over it on a
    crowd of workers of mixed skill."""
    answers, truth = crowd_answers(n_items=600, per_item=5, seed=1)
    answers.to_csv(tmp_path / "answers.csv", index=False)
    truth.to_csv(tmp_path / "truth.csv", index=False)
    assert run("crowd", tmp_path / "answers.csv", "-o", tmp_path / "votes.parquet").exit_code == 0
    scores = {}
    for model in ("majority", "auto"):
        r = run("fit", tmp_path / "votes.parquet", "-o", tmp_path / f"{model}.parquet", "-m", model, "-q")
        assert r.exit_code == 0, r.output
        r = run("evaluate", tmp_path / f"{model}.parquet", "--gold", tmp_path / "truth.csv", "--label-col", "truth",
                "--json")
        assert r.exit_code == 0, r.output
        res = json.loads(r.stdout)
        assert res["gold_rows"] == 600 and res["classes"] == ["1", "2", "3", "4"]
        scores[model] = res["accuracy"]
    # the truth's 1-based values met the classes by name: a shifted mapping would score near 0.2
    assert abs(scores["majority"] - _majority(answers, truth)) < 0.02 and scores["majority"] > 0.9
    assert scores["auto"] > scores["majority"] + 0.005   # 0.952 against 0.940 on this draw


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_every_table_format_gives_the_same_votes(tmp_path: Path, fmt: str):
    answers, _ = crowd_answers(n_items=50, n_workers=8, per_item=3)
    path = tmp_path / f"answers.{fmt}"
    {"csv": lambda: answers.to_csv(path, index=False), "tsv": lambda: answers.to_csv(path, index=False, sep="\t"),
     "jsonl": lambda: answers.to_json(path, orient="records", lines=True),
     "parquet": lambda: answers.to_parquet(path)}[fmt]()
    assert run("crowd", path, "-o", tmp_path / "v.parquet", "-q").exit_code == 0
    got = read_votes(tmp_path / "v.parquet")
    want = VoteMatrix.from_answers(answers)
    np.testing.assert_array_equal(got.to_dense(), want.to_dense())
    assert got.lf_names == want.lf_names and got.classes == want.classes == ["1", "2", "3", "4"]


def test_labels_with_gaps_text_labels_and_a_given_class_order():
    df = pd.DataFrame({"item": [1, 1, 2, 2, 3], "rater": ["a", "b", "a", "b", "a"], "label": [1, 5, 2, 5, 1]})
    vm = VoteMatrix.from_answers(df)
    assert vm.classes == ["1", "2", "5"] and vm.to_dense().tolist() == [[0, 2], [1, 2], [0, -1]]
    df["label"] = ["pos", "neg", "neu", "neg", "pos"]
    assert VoteMatrix.from_answers(df).classes == ["neg", "neu", "pos"]      # text: sorted as text
    vm = VoteMatrix.from_answers(df, classes=["neg", "neu", "pos", "mixed"])  # a class nobody answered kept
    assert vm.cardinality == 4 and vm.to_dense().tolist() == [[2, 0], [1, 0], [2, -1]]
    with pytest.raises(InputError, match=r"row 0: label 'pos' is not one of the classes given \(neg, neu\)"):
        VoteMatrix.from_answers(df, classes=["neg", "neu"])
    df["label"] = [-1, 1, 1, -1, 1]                                           # -1/+1 is two classes, not abstains
    assert VoteMatrix.from_answers(df).classes == ["-1", "1"]


def test_a_missing_label_is_no_vote_and_a_repeated_answer_counts_once(tmp_path: Path):
    df = pd.DataFrame({"item": ["x", "x", "x", "y", "y", "z"], "worker": ["a", "b", "a", "a", "b", "a"],
                       "label": ["p", "n", "p", "n", None, None]})
    vm, s = votes_from_answers(df)
    assert vm.to_dense().tolist() == [[1, 0], [0, -1], [-1, -1]]              # z: a row without votes
    assert (s.empty_labels, s.repeated_answers, s.votes) == (2, 1, 3)
    df.to_csv(tmp_path / "a.csv", index=False)
    r = run("crowd", tmp_path / "a.csv", "-o", tmp_path / "v.parquet")
    assert r.exit_code == 0, r.output
    assert "2 answers without a label are no vote" in r.stderr
    assert "1 repeated answers (same worker, item and label) counted once" in r.stderr
    assert "1 items have no labelled answer" in r.stderr


def test_two_different_labels_from_one_worker_on_one_item_keep_the_last_or_are_an_error(tmp_path: Path):
    """Real crowd sets have them (zencrowd_all: 247 pairs): the last answer is kept by default, with
    a note; --duplicates first keeps the first, --duplicates error names both and stops."""
    df = pd.DataFrame({"item": ["x", "y", "x", "y"], "worker": ["a", "a", "a", "b"], "label": ["p", "n", "n", "n"]})
    df.to_csv(tmp_path / "a.csv", index=False)
    r = run("crowd", tmp_path / "a.csv", "-o", tmp_path / "default.parquet")
    assert r.exit_code == 0, r.output
    assert "1 items answered twice by one worker with different labels: the last kept" in r.stderr
    assert read_votes(tmp_path / "default.parquet").to_dense()[0, 0] == 0   # "n", the later answer
    r = run("crowd", tmp_path / "a.csv", "-o", tmp_path / "v.parquet", "--duplicates", "error")
    msg = one_line_error(r)
    assert "worker 'a' answers item 'x' twice with different labels ('p' at" in msg and "line 2" in msg \
        and "line 4" in msg and "--duplicates" in msg
    assert not (tmp_path / "v.parquet").exists()
    for keep, want in (("first", 1), ("last", 0)):   # classes n, p: "p" was first in the file, "n" last
        r = run("crowd", tmp_path / "a.csv", "-o", tmp_path / f"{keep}.parquet", "--duplicates", keep, "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["resolved_duplicates"] == 1
        assert read_votes(tmp_path / f"{keep}.parquet").to_dense()[0, 0] == want


def test_answers_that_cannot_be_placed_or_read_are_one_line_errors(tmp_path: Path):
    p = tmp_path / "a.csv"
    pd.DataFrame({"item": ["x", "y", "z"], "worker": ["a", None, "b"], "label": [1, 0, 1]}).to_csv(p, index=False)
    assert "line 3: the answer has no worker ('worker' is empty)" in one_line_error(run("crowd", p, "-o",
                                                                                         tmp_path / "v.parquet"))
    pd.DataFrame({"item": ["x", "y"], "task": ["a", "b"], "worker": ["a", "b"], "label": [1, 0]}).to_csv(p, index=False)
    msg = one_line_error(run("crowd", p, "-o", tmp_path / "v.parquet"))
    assert "2 columns could be the item (item, task); name one with --item-col" in msg
    pd.DataFrame({"doc": ["x"], "who": ["a"], "label": [1]}).to_csv(p, index=False)
    assert "no column named like the item" in one_line_error(run("crowd", p, "-o", tmp_path / "v.parquet"))
    msg = one_line_error(run("crowd", p, "-o", tmp_path / "v.parquet", "--item-col", "doc", "--worker-col", "who"))
    assert "the answers hold only the class '1'" in msg and "--classes" in msg
    assert not (tmp_path / "v.parquet").exists()
    assert "no worker column 'annotator'" in one_line_error(run("crowd", p, "-o", tmp_path / "v.parquet",
                                                                "--item-col", "doc", "--worker-col", "annotator"))


def test_ids_that_print_alike_are_refused():
    df = pd.DataFrame({"item": [7, "7"], "worker": ["a", "b"], "label": [0, 1]})
    with pytest.raises(InputError, match="item ids 7 and '7' are different values that read as the same text"):
        votes_from_answers(df)


def test_the_answers_are_never_overwritten_and_a_worker_cannot_take_the_items_column(tmp_path: Path):
    p = tmp_path / "a.parquet"
    pd.DataFrame({"task": ["x", "x", "y"], "worker": ["a", "b", "a"], "label": [0, 1, 1]}).to_parquet(p)
    before = p.read_bytes()
    assert "refusing to overwrite an input" in one_line_error(run("crowd", p, "-o", p, "--force"))
    assert p.read_bytes() == before
    assert "not .csv: name the output v.parquet" in one_line_error(run("crowd", p, "-o", tmp_path / "v.csv"))
    pd.DataFrame({"task": ["x", "x"], "worker": ["task", "b"], "label": [0, 1]}).to_parquet(p)
    assert "a worker is named 'task', like the item column" in one_line_error(run("crowd", p, "-o",
                                                                                   tmp_path / "v.parquet"))


def test_the_readmes_crowd_commands_run_as_shown_on_the_shipped_example(tmp_path: Path, monkeypatch):
    """The three commands of README's `weaklabel crowd` section, verbatim, from the repository's
    root files, and the accuracies it quotes (the default 0.917, majority vote 0.897)."""
    import re
    import shlex
    import shutil

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `weaklabel crowd ANSWERS"):]
    block = section[section.index("```\n") + 4:]
    commands = [shlex.split(c) for c in block[:block.index("```")].strip().splitlines()]
    assert [c[:2] for c in commands] == [["weaklabel", "crowd"], ["weaklabel", "fit"], ["weaklabel", "evaluate"]]
    shutil.copytree(root / "examples" / "crowd", tmp_path / "examples" / "crowd")
    monkeypatch.chdir(tmp_path)
    for c in commands:
        r = run(*c[1:])
        assert r.exit_code == 0, r.output
    assert re.search(r"^accuracy: 0\.917 ", r.stdout, re.M), r.stdout
    assert "The default scores 0.917 against the truth there, majority vote 0.897" in section
    assert run("fit", "crowd_votes.parquet", "-o", "mv.parquet", "-m", "majority", "-q").exit_code == 0
    r = run("evaluate", "mv.parquet", "--gold", "examples/crowd/truth.csv", "--label-col", "truth")
    assert re.search(r"^accuracy: 0\.897 ", r.stdout, re.M), r.stdout


def test_a_large_crowds_lf_tables_show_the_busiest_workers_and_say_so(tmp_path: Path):
    """150 workers: `fit` and `analyze` show the 40 that vote on the most rows, in their order, and
    a line saying so (the table of every worker came before the summary lines); --all-lfs shows
    all 150, --json has all 150."""
    answers, _ = crowd_answers(n_items=300, n_workers=150, per_item=5, seed=3)
    answers.to_parquet(tmp_path / "a.parquet")
    assert run("crowd", tmp_path / "a.parquet", "-o", tmp_path / "v.parquet", "-q").exit_code == 0
    counts = answers["worker"].value_counts()
    vm = read_votes(tmp_path / "v.parquet")
    for cmd in (("fit", tmp_path / "v.parquet", "-o", tmp_path / "l.parquet", "--force"),
                ("analyze", tmp_path / "v.parquet")):
        r = run(*cmd)
        assert r.exit_code == 0, r.output
        shown = [line.split("│")[1].strip() for line in r.stdout.splitlines() if line.startswith("│ annot_")]
        assert len(shown) == 40 and set(shown) <= set(counts.index[counts >= counts.iloc[39]])
        assert shown == [w for w in vm.lf_names if w in set(shown)]   # in the file's order
        assert "showing the 40 of 150 LFs that vote on the most rows" in r.stdout
        r = run(*cmd, "--all-lfs")
        assert sum(line.startswith("│ annot_") for line in r.stdout.splitlines()) == 150
        assert "showing the" not in r.stdout
    r = run("analyze", tmp_path / "v.parquet", "--json")
    assert len(json.loads(r.stdout)["lfs"]) == 150


def test_a_csv_given_as_votes_says_how_to_make_votes_of_it(tmp_path: Path, monkeypatch):
    """Votes are Parquet: crowd answers in a CSV point to `weaklabel crowd` (and that command works
    as written), a CSV vote matrix to the pandas line that converts it."""
    monkeypatch.chdir(tmp_path)
    answers, _ = crowd_answers(n_items=40, n_workers=6, per_item=3)
    answers.rename(columns={"answer": "label"}).to_csv(tmp_path / "answers.csv", index=False)
    msg = one_line_error(run("fit", tmp_path / "answers.csv", "-o", tmp_path / "l.parquet"))
    command = msg[msg.index("`weaklabel crowd") + 1:msg.rindex("`")]
    assert run(*command.split()[1:]).exit_code == 0 and (tmp_path / "votes.parquet").exists()
    pd.DataFrame({"lf_a": [0, 1, -1], "lf_b": [1, 1, 0]}).to_csv(tmp_path / "wide.csv", index=False)
    msg = one_line_error(run("analyze", tmp_path / "wide.csv"))
    assert "votes must be a Parquet file (got csv); a vote matrix (one column per LF, -1 = abstain) converts with" in msg
    assert f"pd.read_csv('{tmp_path / 'wide.csv'}').to_parquet('votes.parquet', index=False)" in msg


def test_a_wide_answer_matrix_keyed_by_task_reads_task_as_its_id(tmp_path: Path):
    """A crowd's answers pivoted by hand (crowd-kit's `task` as the row key, a column per worker,
    -1 = no answer), saved without weaklabel metadata: `task` is the row id, not an LF of as many
    classes as tasks (with fewer than 100 tasks nothing else refused it)."""
    answers, _ = crowd_answers(n_items=60, n_workers=5, per_item=3, labels=(0, 1, 2, 3))
    wide = answers.pivot(index="task", columns="worker", values="answer").fillna(-1).astype(int).reset_index()
    wide["task"] = np.arange(len(wide))          # integer task ids 0..59
    wide.to_parquet(tmp_path / "wide.parquet", index=False)
    vm = read_votes(tmp_path / "wide.parquet")
    assert list(vm.row_ids.columns) == ["task"] and vm.n_lfs == 5 and vm.cardinality == 4


def test_fractional_labels_and_a_truth_file_of_the_same_values_match(tmp_path: Path):
    """Ratings 0.5 / 1.0 / 1.5: the classes are named 0.5, 1 and 1.5 (as gold labels are read), and
    a truth file of the same values is scored against them ("label 0.5 is not a class id" before)."""
    answers = pd.DataFrame({"item": list("aabbcc"), "worker": list("xyxyxy"), "label": [0.5, 0.5, 1.5, 1.5, 1.0, 1.0]})
    answers.to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"item": list("abc"), "truth": [0.5, 1.5, 1.0]}).to_csv(tmp_path / "t.csv", index=False)
    assert run("crowd", tmp_path / "a.csv", "-o", tmp_path / "v.parquet", "-q").exit_code == 0
    assert read_votes(tmp_path / "v.parquet").classes == ["0.5", "1", "1.5"]
    assert run("fit", tmp_path / "v.parquet", "-o", tmp_path / "l.parquet", "-m", "majority", "-q").exit_code == 0
    r = run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "t.csv", "--label-col", "truth", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["accuracy"] == 1.0
    pd.DataFrame({"item": list("abc"), "truth": [0.5, 2.5, 1.0]}).to_csv(tmp_path / "t.csv", index=False)
    assert "label 2.5 at row 1 is not a class id" in one_line_error(
        run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "t.csv", "--label-col", "truth"))


def test_a_truth_repeated_on_every_answer_row_is_refused_with_advice_that_applies(tmp_path: Path):
    """Snow et al.'s files carry the truth on every answer row: matched by id its ids repeat. The
    error said to re-run `weaklabel apply` or pass an --id-col, which `evaluate` does not have."""
    answers, truth = crowd_answers(n_items=30, n_workers=6, per_item=3)
    answers.to_csv(tmp_path / "a.csv", index=False)
    answers.merge(truth, on="task").to_csv(tmp_path / "truth.csv", index=False)   # a truth per answer row
    assert run("crowd", tmp_path / "a.csv", "-o", tmp_path / "v.parquet", "-q").exit_code == 0
    assert run("fit", tmp_path / "v.parquet", "-o", tmp_path / "l.parquet", "-q").exit_code == 0
    msg = one_line_error(run("evaluate", tmp_path / "l.parquet", "--gold", tmp_path / "truth.csv",
                             "--label-col", "truth"))
    assert "appear more than once" in msg and "a gold table needs one row per id" in msg and "--id-col" not in msg
