import json

import numpy as np
import pytest

from weaklabel import VoteMatrix, analyze, analyze_totals
from conftest import shared

# rows:    LF0 LF1 LF2
TINY = np.array([
    [0, 0, -1],    # overlap, agree
    [0, 1, -1],    # overlap, conflict
    [-1, 1, 1],    # overlap, agree
    [1, -1, -1],   # alone
    [-1, -1, -1],  # uncovered
])
GOLD = np.array([0, 1, 1, 0, 1])


def test_tiny_matrix_by_hand():
    df = analyze(TINY, GOLD)
    assert df.index.tolist() == ["lf_0", "lf_1", "lf_2"]
    assert df["polarity"].tolist() == [[0, 1], [0, 1], [1]]
    np.testing.assert_allclose(df["coverage"], [3 / 5, 3 / 5, 1 / 5])
    np.testing.assert_allclose(df["overlaps"], [2 / 5, 3 / 5, 1 / 5])
    np.testing.assert_allclose(df["conflicts"], [1 / 5, 1 / 5, 0])
    assert df["correct"].tolist() == [1, 3, 1]
    assert df["incorrect"].tolist() == [2, 0, 0]
    np.testing.assert_allclose(df["emp_acc"], [1 / 3, 1.0, 1.0])
    t = analyze_totals(TINY, GOLD)
    assert t["covered"] == pytest.approx(4 / 5)
    assert t["conflicted"] == pytest.approx(1 / 5)
    assert t["mean_votes_per_covered_row"] == pytest.approx(7 / 4)
    # covered gold rows: row0 right, row1 tie (1/2), row2 right, row3 wrong
    assert t["mv_accuracy_covered"] == pytest.approx((1 + 0.5 + 1 + 0) / 4)


def test_unknown_gold_rows_are_ignored():
    y = GOLD.copy()
    y[1] = -1
    df = analyze(TINY, y)
    assert df["correct"].tolist() == [1, 2, 1] and df["incorrect"].tolist() == [1, 0, 0]


def _load_wrench(split):
    path = shared("wrench", "youtube", f"{split}.json")
    data = json.loads(path.read_text())
    L = np.array([v["weak_labels"] for v in data.values()])
    y = np.array([v["label"] for v in data.values()])
    return L, y


def test_definitions_on_youtube():
    L, y = _load_wrench("train")
    df = analyze(L, y)
    n = L.shape[0]
    for j in range(L.shape[1]):
        votes = L[:, j] >= 0
        others = np.delete(L, j, axis=1)
        other_votes = (others >= 0).any(axis=1)
        conflict = votes & ((others >= 0) & (others != L[:, [j]])).any(axis=1)
        assert df["coverage"].iloc[j] == pytest.approx(votes.mean())
        assert df["overlaps"].iloc[j] == pytest.approx((votes & other_votes).sum() / n)
        assert df["conflicts"].iloc[j] == pytest.approx(conflict.sum() / n)
        assert df["correct"].iloc[j] == int((votes & (L[:, j] == y)).sum())
        assert df["polarity"].iloc[j] == sorted(set(L[votes, j].tolist()))
    vm = VoteMatrix.from_dense(L, cardinality=2)
    assert analyze_totals(vm)["covered"] == pytest.approx((L >= 0).any(axis=1).mean())


def test_totals_count_majority_vote_ties_and_name_a_dominant_lf():
    # TINY by hand: 4 covered rows, one 1-1 tie (row 1); LF0 and LF1 cast 3 of the 7 votes each (< 60%)
    t = analyze_totals(TINY)
    assert t["mv_tied"] == pytest.approx(1 / 4) and "dominant_lf" not in t
    # a catch-all LF: it votes on every row and casts most votes; the default will use majority vote
    from typer.testing import CliRunner

    from weaklabel.cli import app
    from weaklabel.models import AutoModel
    from weaklabel.models.tie_hedge import majority_ties
    from weaklabel.simulate import simulate_regime

    vm = simulate_regime("catch_all", 1).votes
    t = analyze_totals(vm)
    tied, _ = majority_ties(vm)
    assert t["mv_tied"] == pytest.approx(tied.sum() / (vm.votes_per_row() > 0).sum()) and t["mv_tied"] > 0.2
    dom = t["dominant_lf"]
    assert dom["name"] == "default_negative" and dom["coverage"] == 1.0 and dom["vote_share"] >= 0.6
    crit = AutoModel().fit(vm).selection_["criticism"]
    assert crit["dominant_source"] == dom["name"] and crit["dominant_share"] == pytest.approx(dom["vote_share"], abs=1e-4)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        vm.to_parquet(Path(d) / "votes.parquet")
        r = CliRunner().invoke(app, ["analyze", str(Path(d) / "votes.parquet")], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "majority-vote ties: " in r.output and "note: LF 'default_negative' casts" in r.output
    assert "fit --dev" in r.output


def test_totals_name_the_classes_no_lf_votes(tmp_path):
    """Keyword rules for one class only: no row with votes can get the other class, and `fit` gives
    the rows without votes equal probabilities (models.uncovered). `analyze` and the report say so."""
    from typer.testing import CliRunner

    from weaklabel import report
    from weaklabel.cli import app
    from weaklabel.models import AutoModel
    from weaklabel.simulate import simulate_regime

    assert "unvoted_classes" not in analyze_totals(TINY)
    vm = simulate_regime("one_class", 1).votes
    t = analyze_totals(vm)
    assert t["unvoted_classes"] == [0]
    empty = vm.votes_per_row() == 0
    assert np.allclose(AutoModel().fit(vm).predict_proba(vm)[empty], 0.5)
    vm.to_parquet(tmp_path / "votes.parquet")
    r = CliRunner().invoke(app, ["analyze", str(tmp_path / "votes.parquet")], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())   # the console wraps long notes
    assert ("note: no LF votes class 0" in text
            and f"rows without votes ({100 * empty.mean():.0f}% of the rows) equal probabilities" in text)
    page = report(tmp_path / "votes.parquet", tmp_path / "r.html").read_text()
    assert "classes no LF votes</td><td><span class=\"warn\">0: no row with votes can get it" in page
