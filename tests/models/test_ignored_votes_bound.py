"""``diagnostics.ignored_votes`` settles a fit that has not collapsed with an O(m K^2) lower bound
(each row's distance from the first row) before the exact O(m K^3) largest distance between two
rows: the same answer as the exact test on every matrix, near the threshold too."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from weaklabel.models.diagnostics import MIN_ROW_SPREAD, confusion_spread, ignored_votes


def _model(conf):
    return SimpleNamespace(confusion_=conf)


def _exact(conf, counts):
    share = 1.0   # every source modelled, all of the votes
    spread = confusion_spread(conf)
    if share < 0.5 or spread.max() >= MIN_ROW_SPREAD:
        return None
    return round(float(spread.max()), 4)


def test_the_bound_gives_the_exact_answer_on_random_and_near_threshold_matrices():
    rng = np.random.default_rng(0)
    seen = {True: 0, False: 0}
    for trial in range(400):
        m, K = int(rng.integers(1, 5)), int(rng.integers(2, 7))
        base = rng.dirichlet(np.ones(K), size=(m, 1))
        # rows near one another: spreads on both sides of MIN_ROW_SPREAD (0.05)
        noise = rng.dirichlet(np.ones(K), size=(m, K)) - 1.0 / K
        conf = np.clip(base + rng.uniform(0, 0.12) * noise, 1e-9, None)
        conf /= conf.sum(axis=2, keepdims=True)
        counts = np.ones((m, K))
        got = ignored_votes(_model(conf), counts)
        want = _exact(conf, counts)
        assert (got is None) == (want is None), (trial, got, want)
        if got is not None:
            assert got["max_spread"] == want and got["sources"] == m
        seen[got is None] += 1
    assert seen[True] > 50 and seen[False] > 50   # both answers exercised
