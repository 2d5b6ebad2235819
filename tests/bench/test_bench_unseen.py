"""``benchmarks/bench_unseen.py``: the loaders of the blind LF sets and the peers on unseen votes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from weaklabel.bench.suites import reference_mv_proba
from weaklabel.simulate import simulate_regime

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_unseen as bench


def test_trec_test_questions_are_read_without_their_fine_label():
    """``raw/trec/test.txt`` writes ``NUM:dist How far ...``; train and valid ``DESC:how did ...``.
    The fine label is not part of the question: rules anchored at its start fire on the test lines."""
    from conftest import shared

    root = shared("raw", "trec").parent.parent
    vm, y = bench.trec_votes(root)
    test = vm.take(np.arange(vm.n_rows - 500, vm.n_rows))      # test.txt is read last
    L = test.to_dense()
    who = vm.lf_names.index("who")
    assert (L[:, who] == bench.HUM).sum() >= 30           # "Who was Galileo ?" and the like
    # and every second-writer set loads with its own LFs
    for name in ("imdb", "yelp"):
        svm, sy = bench.sentiment_votes(root, name, bench.SECOND_IMDB_LFS if name == "imdb" else bench.SECOND_YELP_LFS)
        assert svm.n_lfs >= 12 and svm.n_rows == sy.size and (svm.votes_per_row() > 0).mean() > 0.5


def test_the_peers_table_compares_all_rows_with_the_best_peer_of_each_set():
    rows = [{"set": "a", "without_votes": 3, "all": {"mv": 0.70, "auto": 0.80},
             "peers": {"snorkel": {"all": 0.75}, "flyingsquid": {"status": "n/a"}, "crowdkit": {"all": 0.85},
                       "crowdkit_onecoin": {"status": "T/O"}}},
            {"set": "b", "without_votes": 0, "all": {"mv": 0.60, "auto": 0.66},
             "peers": {"snorkel": {"all": 0.61}, "flyingsquid": {"all": 0.62}, "crowdkit": {"all": 0.50},
                       "crowdkit_onecoin": {"all": 0.60}}}]
    md = bench.peers_table(rows)
    assert "| a | 3 | 0.700 | 0.800 | 0.750 | n/a | 0.850 | T/O | 0.850 | -5.0 |" in md
    assert "| b | 0 | 0.600 | 0.660 | 0.610 | 0.620 | 0.500 | 0.600 | 0.620 | +4.0 |" in md
    assert md[-1].startswith("Mean over the 2 sets: auto 0.730, per-set best peer 0.735 (-0.50 points); "
                             "auto below the set's best peer on 1 of 2 sets (worst -5.0)")


def test_a_peer_is_fitted_on_a_vote_file_in_its_own_process():
    pytest.importorskip("crowdkit")
    sim = simulate_regime("independent", seed=0)
    out = bench.run_peers(sim.votes, sim.y, timeout=300)
    mv = bench.expected_accuracy(reference_mv_proba(sim.votes), sim.y).mean()
    # Dawid-Skene on conditionally independent sources of mixed accuracy: at least majority vote
    assert out["crowdkit"]["all"] >= mv - 0.005, out
    assert 0.0 <= out["crowdkit"]["covered"] <= 1.0
    assert set(out) == {"snorkel", "flyingsquid", "crowdkit", "crowdkit_onecoin"}
