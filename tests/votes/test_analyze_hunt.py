"""`weaklabel analyze` under adversarial inputs: a model that could not estimate some LF, gold
files that label nothing or only part of the votes, a labels file given as gold, votes without
rows. Each used to give a number that was not what it claimed, or a misleading error."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import VoteMatrix
from weaklabel.cli import app

from conftest import one_line_error

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def votes_and_gold(tmp_path, n=300, seed=5):
    """Three LFs voting often and a fourth voting on 5% of the rows (too few overlaps for the
    triplet method with min_overlap=50), string ids, gold for every row."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)

    def lf(acc, cov):
        v = np.where(rng.random(n) < acc, y, 1 - y)
        return np.where(rng.random(n) < cov, v, -1)

    L = np.stack([lf(.8, .7), lf(.75, .7), lf(.7, .6), lf(.9, .05)], axis=1)
    ids = pd.DataFrame({"id": [f"r{i:04d}" for i in range(n)]})
    votes = tmp_path / "votes.parquet"
    VoteMatrix.from_dense(L, cardinality=2, lf_names=["a", "b", "c", "rare"], row_ids=ids).to_parquet(votes)
    gold = tmp_path / "gold.parquet"
    pd.DataFrame({"id": ids["id"], "label": y}).to_parquet(gold)
    return votes, gold, L, y


def test_analyze_shows_no_estimate_for_an_lf_the_model_could_not_estimate(tmp_path):
    """`fit -m triplet` shows `n/a` for an LF it cannot estimate (too few overlaps: it gets a
    neutral prior of 0.75); `analyze --model` showed that 0.750 as its estimated accuracy beside a
    gold accuracy of 0.94 (on the example reviews, 5 of the 10 LFs). --json keeps the figure, as
    `fit --json` does, and says it is no estimate (`est_identified: false`)."""
    votes, gold, L, y = votes_and_gold(tmp_path)
    model = tmp_path / "model.json"
    r = run("fit", votes, "-o", tmp_path / "labels.parquet", "-m", "triplet", "-p", "min_overlap=50",
            "--save-model", model, "-q")
    assert r.exit_code == 0, r.output
    r = run("analyze", votes, "--gold", gold, "--model", model, "--json")
    assert r.exit_code == 0, r.output
    recs = {rec["lf"]: rec for rec in json.loads(r.stdout)["lfs"]}
    assert recs["rare"]["est_identified"] is False and recs["rare"]["est_acc"] == pytest.approx(0.75)
    assert all(recs[k]["est_identified"] is True for k in ("a", "b", "c"))
    r = run("analyze", votes, "--gold", gold, "--model", model)
    assert r.exit_code == 0, r.output
    rare = next(line for line in r.stdout.splitlines() if "rare" in line)
    assert rare.rstrip(" │").endswith("n/a") and "0.750" not in rare


@pytest.mark.parametrize("labels", [["", "", ""], [-1, -1, -1]])
def test_analyze_refuses_a_gold_file_that_labels_no_row(tmp_path, labels):
    """A gold column of empty cells (or -1) gave exit 0 and every gold figure empty ("gold rows:
    0"), where `evaluate` and `fit --dev` stop: `-q`'s exit code said the gold was matched."""
    votes, _, L, y = votes_and_gold(tmp_path)
    gold = tmp_path / "empty_gold.csv"
    pd.DataFrame({"id": ["r0000", "r0001", "r0002"], "label": labels}).to_csv(gold, index=False)
    line = one_line_error(run("analyze", votes, "--gold", gold, "-q"))
    assert "empty_gold.csv: no row of the votes gets a gold label from column 'label'" in line


def test_analyze_says_when_the_gold_is_a_labels_file(tmp_path):
    """`analyze --gold labels.parquet` scored each LF against the label model's own labels and
    called the agreement its accuracy without a word (exit 0): now a note says what the figures are."""
    votes, gold, L, y = votes_and_gold(tmp_path)
    labels = tmp_path / "labels.parquet"
    assert run("fit", votes, "-o", labels, "-q").exit_code == 0
    r = run("analyze", votes, "--gold", labels)
    assert r.exit_code == 0, r.output
    assert "is a labels file written by `weaklabel fit`" in r.stderr and "not accuracy against gold" in r.stderr
    r = run("analyze", votes, "--gold", gold)
    assert r.exit_code == 0 and "labels file" not in r.stderr


def test_analyze_says_how_many_gold_rows_match_no_vote_row(tmp_path):
    """Gold rows whose ids are not in the votes (typos, another data set) were dropped without a
    word: "gold rows: 3" of 300 read as if the gold file had 3 rows. Now a note on stderr and
    `gold_rows_unmatched` in --json (as evaluate's), and the figures are over the matched rows."""
    votes, _, L, y = votes_and_gold(tmp_path)
    gold = tmp_path / "gold.csv"
    ids = ["r0000", "r0001", "r0002", "x1", "x2", "x3", "x4"]
    pd.DataFrame({"id": ids, "label": [y[0], y[1], y[2], 0, 1, 0, ""]}).to_csv(gold, index=False)
    r = run("analyze", votes, "--gold", gold, "--json")
    assert r.exit_code == 0, r.output
    totals = json.loads(r.stdout)["totals"]
    assert totals["labelled_rows"] == 3 and totals["gold_rows_unmatched"] == 3   # "x4" has no label
    assert "3 gold rows of" in r.stderr and "match no row of" in r.stderr
    r = run("analyze", votes, "--gold", gold, "-q")
    assert r.exit_code == 0 and r.output == ""
    full = tmp_path / "full.parquet"
    pd.DataFrame({"id": [f"r{i:04d}" for i in range(len(y))], "label": y}).to_parquet(full)
    r = run("analyze", votes, "--gold", full, "--json")
    assert json.loads(r.stdout)["totals"]["gold_rows_unmatched"] == 0 and "match no row" not in r.stderr


def test_analyze_of_votes_without_rows_says_so_before_reading_the_gold(tmp_path):
    """With --gold, votes of 0 rows failed with "none of its ids matches a row of the votes
    (votes ids e.g. none)"; without it, "vote matrix has no rows" named no file."""
    votes = tmp_path / "empty_votes.parquet"
    VoteMatrix.from_dense(np.zeros((0, 2), dtype=int), cardinality=2,
                          row_ids=pd.DataFrame({"id": pd.Series([], dtype=str)})).to_parquet(votes)
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"id": ["a"], "label": [1]}).to_csv(gold, index=False)
    for extra in ([], ["--gold", gold]):
        line = one_line_error(run("analyze", votes, *extra))
        assert "empty_votes.parquet: has no rows" in line


def _brute_force(L, y, K):
    """analyze's figures by loops over rows and LFs."""
    n, m = L.shape
    per_lf = []
    for j in range(m):
        v = L[:, j] >= 0
        others = [[k for k in range(m) if k != j and L[i, k] >= 0] for i in range(n)]
        overlap = np.array([v[i] and bool(others[i]) for i in range(n)])
        conflict = np.array([v[i] and any(L[i, k] != L[i, j] for k in others[i]) for i in range(n)])
        known = v & (y >= 0)
        per_lf.append((v.mean(), overlap.mean(), conflict.mean(), int((known & (L[:, j] == y)).sum()),
                       int((known & (L[:, j] != y)).sum())))
    hits, ties, tied_rows, covered = [], 0, 0, 0
    for i in range(n):
        row = L[i][L[i] >= 0]
        if not row.size:
            continue
        covered += 1
        c = np.bincount(row, minlength=K)
        top = c == c.max()
        tied_rows += top.sum() > 1
        if y[i] >= 0:
            ties += top.sum() > 1
            hits.append(top[y[i]] / top.sum())
    return per_lf, (np.mean(hits) if hits else np.nan), ties, (tied_rows / covered if covered else 0.0)


@pytest.mark.parametrize("dense_cells", [0, 1 << 40])
def test_analyze_figures_by_brute_force_with_many_or_few_classes(monkeypatch, dense_cells):
    """The per-(row, class) counts, taken densely (few classes) or only where a vote is (many),
    give the same figures as loops over the rows."""
    import weaklabel.votes.analysis as analysis

    monkeypatch.setattr(analysis, "DENSE_CELLS", dense_cells, raising=False)
    rng = np.random.default_rng(7)
    for trial in range(40):
        K = int(rng.choice([2, 3, 7, 50, 3000]))
        n, m = int(rng.integers(1, 60)), int(rng.integers(1, 6))
        L = rng.integers(-1, min(K, 4) if trial % 2 else K, size=(n, m))   # small K votes: many ties
        L[rng.random((n, m)) < 0.4] = -1
        y = rng.integers(-1, K, size=n)
        vm = VoteMatrix.from_dense(L, cardinality=K)
        df, t = analysis.analyze(vm, y), analysis.analyze_totals(vm, y)
        per_lf, mv, ties, tied = _brute_force(L, y, K)
        got = df[["coverage", "overlaps", "conflicts", "correct", "incorrect"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, np.array(per_lf, dtype=float))
        assert t["mv_ties"] == ties and t["mv_tied"] == pytest.approx(tied)
        assert (np.isnan(mv) and np.isnan(t["mv_accuracy_covered"])) or t["mv_accuracy_covered"] == pytest.approx(mv)


def test_analyze_memory_follows_the_votes_not_rows_times_classes():
    """analyze counted votes per (row, class) in a dense n x K array: 100,000 rows of 5 LFs and
    2,000 classes took 15 s and 2 GB (a million rows: 20 GB, on a 2-core machine an out-of-memory
    kill). Now only the pairs with a vote are counted."""
    import tracemalloc

    from weaklabel import analyze, analyze_totals

    rng = np.random.default_rng(0)
    n, m, K = 20_000, 5, 2_000                  # dense: 4e7 cells, 320 MB of counts
    L = rng.integers(-1, K, size=(n, m))
    vm = VoteMatrix.from_dense(L, cardinality=K)
    y = rng.integers(-1, K, size=n)
    tracemalloc.start()
    try:
        analyze(vm, y)
        t = analyze_totals(vm, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40e6, peak
    assert t["rows"] == n and 0 <= t["mv_accuracy_covered"] <= 1
