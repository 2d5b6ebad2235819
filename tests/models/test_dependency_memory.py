"""The hybrid's dependency pass: memory bounded by a fixed budget, not m^2 K; same results."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from weaklabel.models.hybrid import HybridDawidSkene
from weaklabel.simulate import simulate_votes

# source_weights_ of the first case computed by the code before the budget (one dense pass)
BEFORE_MIN_WEIGHT = 0.8193186036259004


def test_many_lfs_fit_stays_under_a_gigabyte():
    """1,000 LFs x 20 classes: the dense pair statistics alone would be 0.64 GB (x3 with temporaries),
    above both bounds below (one dense pass, the budget raised past them: peak 1.3 GiB, the fit
    0.9 GiB). 1,000 rather than 1,500 LFs: 20 passes over the rows within the budget, not 42, half
    the time, and the bounds still tell the budget from a dense pass."""
    code = textwrap.dedent("""
        import resource, numpy as np
        from weaklabel.models.hybrid import HybridDawidSkene
        from weaklabel.simulate import simulate_votes
        L = simulate_votes(n=2000, m=1000, K=20, coverage=(0.001, 0.01), seed=0).votes
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        model = HybridDawidSkene(min_pair_votes=1).fit(L)   # every co-voting pair is looked at
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert len(model.dependent_pairs_) > 0
        print(before, peak)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    before, peak = map(int, out.stdout.split()[-2:])
    assert peak < (1 << 20), (before, peak)            # ru_maxrss is in KiB: under 1 GiB in all
    assert peak - before < (400 << 10), (before, peak)  # the fit itself: well under 400 MiB


def _budget(monkeypatch, name, value):
    """Patch a constant of the dependency module the fitted class actually uses (other tests may
    reload modules)."""
    monkeypatch.setitem(HybridDawidSkene._pair_plan.__globals__, name, value)


CASES = [(3000, 12, 3, 50, 0), (2000, 30, 5, 20, 1)]


@pytest.mark.parametrize("n, m, K, mpv, seed", CASES)
def test_grouped_pass_equals_the_single_pass(monkeypatch, n, m, K, mpv, seed):
    """Above the budget the pairs are visited in groups: same pairs, same weights."""
    L = simulate_votes(n=n, m=m, K=K, coverage=(0.3, 0.8), seed=seed).votes
    ref = HybridDawidSkene(min_pair_votes=mpv).fit(L)
    if seed == 0:
        assert ref.source_weights_.min() == BEFORE_MIN_WEIGHT and len(ref.dependent_pairs_) == 6
    for budget in (32 * K * 16, 32 * K * 64, 32 * K * 100):   # groups of 2, 4 and 5 sources
        _budget(monkeypatch, "_PAIR_BUDGET", budget)
        got = HybridDawidSkene(min_pair_votes=mpv).fit(L)
        np.testing.assert_array_equal(got.source_weights_, ref.source_weights_)
        np.testing.assert_array_equal(got.dependent_pairs_, ref.dependent_pairs_)
        np.testing.assert_array_equal(got.predict_proba(L), ref.predict_proba(L))
        assert got.warnings_ == ref.warnings_


def test_too_many_passes_skips_with_a_warning(monkeypatch):
    L = simulate_votes(n=3000, m=12, K=3, coverage=(0.3, 0.8), seed=0).votes
    _budget(monkeypatch, "_PAIR_BUDGET", 32 * 3 * 16)
    _budget(monkeypatch, "_MAX_PAIR_PASSES", 4)
    got = HybridDawidSkene(min_pair_votes=50).fit(L)
    assert np.all(got.source_weights_ == 1.0) and len(got.dependent_pairs_) == 0
    note = [w for w in got.warnings_ if "skipped its dependency check" in w]
    assert len(note) == 1 and "12 LFs" in note[0] and "66 pairs" in note[0]
    # no warning when the pass is off, or fits
    _budget(monkeypatch, "_MAX_PAIR_PASSES", 400)
    assert not [w for w in HybridDawidSkene(min_pair_votes=50).fit(L).warnings_ if "dependency check" in w]


def test_sources_below_min_pair_votes_are_not_visited(monkeypatch):
    """Above the budget, LFs with fewer votes than min_pair_votes cannot be in a pair: none visited."""
    L = simulate_votes(n=2000, m=300, K=4, coverage=(0.001, 0.01), seed=0).votes
    _budget(monkeypatch, "_PAIR_BUDGET", 1024)
    model = HybridDawidSkene()
    calls = []
    monkeypatch.setattr(HybridDawidSkene, "_pair_phi", lambda self, *a: calls.append(1))
    model.fit(L)
    assert not calls and np.all(model.source_weights_ == 1.0)
