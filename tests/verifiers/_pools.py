"""Shared bits of the `select` tests: a small scored pool and the one-line error check."""

from __future__ import annotations

import numpy as np
import pandas as pd


def noisy_pool(n_q: int = 40, k: int = 5, seed: int = 1, salt: int = 99) -> pd.DataFrame:
    """Three noisy verifiers of a 40% correct pool, with final answers ('A' right, B-D wrong);
    ``salt`` keeps the data's random stream apart from the seeded tie-break draws."""
    rng = np.random.default_rng([seed, salt])
    good = rng.random(n_q * k) < 0.4
    return pd.DataFrame({"question_id": np.repeat([f"q{i}" for i in range(n_q)], k),
                         "candidate_id": np.tile(np.arange(k), n_q),
                         "rm_a": good + rng.normal(0, 0.6, n_q * k), "rm_b": good + rng.normal(0, 0.8, n_q * k),
                         "rm_c": good + rng.normal(0, 0.9, n_q * k), "correct": good.astype(int),
                         "answer": np.where(good, "A", rng.choice(["B", "C", "D"], n_q * k))})


def one_line_error(r, message):
    """A CLI run that failed with exit code 1 and one line holding ``message``, no traceback."""
    assert r.exit_code == 1, r.output
    assert message in r.output and "Traceback" not in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1, r.output
