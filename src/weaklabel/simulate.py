"""Simulated vote matrices drawn from a known label model, for tests and benchmarks.

:func:`simulate_votes` draws ``y`` from a class balance and every LF's votes independently
given ``y`` (the assumption all weaklabel models make), so that recovered parameters can be
compared with the truth. Generation is vectorised and works in row blocks, so 10^7 rows x 100
LFs fit in a few GiB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .votes import VoteMatrix, concat_csr, dense_to_csr


@dataclass
class Simulation:
    votes: VoteMatrix
    y: np.ndarray
    class_balance: np.ndarray
    accuracies: np.ndarray      # P(vote == y | votes), per LF
    coverage: np.ndarray        # P(votes), per LF
    confusion: np.ndarray       # (m, K, K) P(vote = v | y = k, votes)


def simulate_votes(n: int, m: int, K: int = 2, *, coverage=(0.1, 0.5), accuracy=(0.55, 0.9),
                   class_balance=None, confusion: str = "onecoin", seed: int = 0,
                   block: int = 250_000) -> Simulation:
    """Draw ``n`` rows of ``m`` conditionally independent LFs.

    Parameters
    ----------
    coverage, accuracy:
        ``(low, high)`` ranges each LF's coverage and accuracy are drawn from uniformly (or
        arrays of length ``m``).
    class_balance:
        P(y); uniform by default.
    confusion:
        ``"onecoin"``: errors spread evenly over the other classes; ``"random"``: each error row
        is a random distribution over the other classes (a full Dawid–Skene model).
    """
    rng = np.random.default_rng(seed)
    cb = np.full(K, 1.0 / K) if class_balance is None else np.asarray(class_balance, dtype=float)
    cb = cb / cb.sum()

    def draw(spec):
        if isinstance(spec, tuple) and len(spec) == 2:
            return rng.uniform(spec[0], spec[1], size=m)
        arr = np.asarray(spec, dtype=float)
        return np.full(m, float(arr)) if arr.ndim == 0 else arr

    cov = draw(coverage)
    acc = draw(accuracy)
    conf = np.zeros((m, K, K))
    for j in range(m):
        for k in range(K):
            if confusion == "onecoin":
                err = np.full(K, (1 - acc[j]) / (K - 1))
            else:
                err = rng.dirichlet(np.ones(K)) if K > 2 else np.ones(K)
                err[k] = 0
                err = err / err.sum() * (1 - acc[j])
            err[k] = acc[j]
            conf[j, k] = err
    cum = np.cumsum(conf, axis=2)
    y_all = rng.choice(K, size=n, p=cb)
    parts = []
    for start in range(0, n, block):
        y = y_all[start:start + block]
        b = y.size
        u = rng.random((b, m), dtype=np.float32)
        fire = rng.random((b, m), dtype=np.float32) < cov[None, :].astype(np.float32)
        # vote = first class whose cumulative probability exceeds u, per (row, LF)
        c = cum[np.arange(m)[None, :], y[:, None]]          # (b, m, K)
        votes = (u[:, :, None] > c[:, :, :-1]).sum(axis=2).astype(np.int8)
        votes[~fire] = -1
        parts.append(dense_to_csr(votes, K))
    indptr, indices, v = concat_csr(parts, K)
    vm = VoteMatrix(indptr, indices, v, [f"lf_{j}" for j in range(m)], cardinality=K, validate=False)
    return Simulation(votes=vm, y=y_all, class_balance=cb, accuracies=acc, coverage=cov, confusion=conf)
