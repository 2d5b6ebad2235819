"""``benchmarks/bench_lf_subsets.py``: real LF sets cut to a few LFs (here on simulated votes).

What the benchmark's figures rest on: the subset of LFs is a seeded draw, the scored rows are the
gold rows the subset covers, the majority-vote baseline is the tie-averaged one, and with gold
labels the 100 gold rows are never among the rows scored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from weaklabel.bench.suites import reference_mv_proba
from weaklabel.simulate import simulate_regime

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_lf_subsets as bench


@pytest.fixture(scope="module")
def lfset():
    # the first 1,000 of the regime's 3,000 rows: what these tests check (which LFs and rows a draw
    # takes, the baseline it is scored against, where the gold rows go) does not depend on the
    # size, and the benchmark's model fits (five of them per draw, two more per dev draw) take
    # about half the time on a third of the rows
    sim = simulate_regime("independent", seed=0)
    rows = np.arange(1000)
    votes = sim.votes.take(rows)
    return bench.LFSet("independent/0", "tuning", votes, votes, sim.y[rows])


def test_a_subset_is_a_seeded_draw_scored_on_the_rows_it_covers(lfset):
    r = bench.run(lfset, 3, seed=4, min_rows=30, dev_draws=0)
    again = bench.run(lfset, 3, seed=4, min_rows=30, dev_draws=0)
    other = bench.run(lfset, 3, seed=5, min_rows=30, dev_draws=0)
    assert r["lfs"] == again["lfs"] and r["models"] == again["models"]
    assert len(r["lfs"]) == 3 and r["lfs"] != other["lfs"]
    cols = [lfset.fit.lf_names.index(n) for n in r["lfs"]]
    sub = lfset.test.select_lfs(cols)
    rows = np.flatnonzero(sub.votes_per_row() > 0)
    assert r["rows"] == rows.size < lfset.test.n_rows
    t = sub.take(rows)
    assert r["mv"] == pytest.approx(bench.covered_points(reference_mv_proba(t), lfset.y[rows]))
    assert set(r["models"]) == set(bench.MODELS_SHOWN) and r["auto_choice"] in ("hybrid", "majority")
    assert r["dev"] == []


def test_too_few_covered_rows_skip_the_draw(lfset):
    assert bench.run(lfset, 3, seed=4, min_rows=lfset.test.n_rows + 1, dev_draws=0) is None


def test_gold_rows_are_never_scored(lfset):
    _fv, fy, tv, ty = lfset.dev_task(0)
    gold = np.flatnonzero(fy >= 0)
    assert gold.size == 100 and np.array_equal(fy[gold], lfset.y[gold])
    assert tv.n_rows == lfset.fit.n_rows - 100 and ty.size == tv.n_rows
    scored_ids = np.setdiff1d(np.arange(lfset.fit.n_rows), gold)
    assert tv.equals(lfset.fit.take(scored_ids))
    r = bench.run(lfset, 5, seed=0, min_rows=30, dev_draws=2)
    assert [d["draw"] for d in r["dev"]] == [0, 1]
    assert all(np.isfinite([d["over_mv"], d["free_over_mv"]]).all() for d in r["dev"])


def test_the_summary_counts_tasks_below_majority_vote():
    rows = [{"group": "tuning", "size": 3, "models": {m: v for m in bench.MODELS_SHOWN}, "dev": [],
             **{f"{m}_choice": "hybrid" for m in bench.MODELS_SHOWN if m.startswith("auto")}}
            for v in (-2.0, -0.4, 1.0)]
    s = bench.summarise(rows, [3])["tuning, 3 LFs"]
    assert s["tasks"] == 3 and s["auto"]["below_0.5"] == 1
    assert s["auto"]["mean"] == pytest.approx(-1.4 / 3) and s["auto"]["worst"] == -2.0


def test_a_crowd_is_cut_to_workers_drawn_from_its_most_active():
    sim = simulate_regime("sparse_crowd", seed=0)
    crowd = bench.LFSet("sparse_crowd/0", "tuning crowds", sim.votes, sim.votes, sim.y, crowd=True)
    per_worker = np.bincount(sim.votes.indices, minlength=sim.votes.n_lfs)
    pool = crowd.candidates(5)
    assert pool.size == 10 and per_worker[pool].min() >= np.sort(per_worker)[-10]
    r = bench.run(crowd, 5, seed=1, min_rows=30, dev_draws=0)
    assert set(r["lfs"]) <= {sim.votes.lf_names[j] for j in pool} and len(r["lfs"]) == 5
    # an LF set draws from all its LFs
    assert bench.LFSet("x", "tuning", sim.votes, sim.votes, sim.y).candidates(5).size == sim.votes.n_lfs


def test_a_crowd_subset_is_the_items_its_workers_answered_and_its_gold_comes_from_them():
    sim = simulate_regime("sparse_crowd", seed=0)
    crowd = bench.LFSet("sparse_crowd/0", "tuning crowds", sim.votes, sim.votes, sim.y, crowd=True)
    lfs = crowd.candidates(5)[:5].tolist()
    team = crowd.restricted(lfs)
    answered = np.flatnonzero(sim.votes.select_lfs(lfs).votes_per_row() > 0)
    assert team.fit.n_rows == answered.size and np.array_equal(team.y, sim.y[answered])
    _, fy, tv, ty = team.dev_task(0)
    gold = np.flatnonzero(fy >= 0)
    assert gold.size == min(100, answered.size // 2) and tv.n_rows == answered.size - gold.size
    r = bench.run(crowd, 5, seed=0, min_rows=30, dev_draws=1)
    drawn = [sim.votes.lf_names.index(n) for n in r["lfs"]]
    assert r["rows"] == int(((sim.votes.select_lfs(drawn).votes_per_row() > 0) & (sim.y >= 0)).sum())
    assert [d["draw"] for d in r["dev"]] == [0]


def test_the_temp_team_of_one_good_worker_and_two_spammers_keeps_majority_vote():
    """crowd_temp cut to 3 of its 6 most active workers, draw 2 (PROTOCOL.md §17): hybrid's fit
    ignores every worker's vote and ended 30.8 points below majority vote; the default now says so
    and keeps majority vote."""
    from conftest import shared

    from weaklabel.bench.datasets import list_crowd

    root = shared("crowd", "temp").parents[1]
    lfset = next(s for s in bench.tasks(root) if s.tag == "crowd_temp") if "temp" in list_crowd(root) else None
    assert lfset is not None
    r = bench.run(lfset, 3, seed=2, min_rows=30, dev_draws=0)
    assert r["models"]["hybrid"] < -20
    assert r["auto_choice"] == "majority" and r["models"]["auto"] == pytest.approx(0.0, abs=1e-9)
