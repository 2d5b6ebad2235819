"""Which of majority vote's ties the default may break: only those its bootstrap refits agree on.

Why. With few sources a large share of the covered rows are ties under majority vote, and the
fitted model breaks each *block* of them (every row where the same LFs conflict) the same way, by
its estimate of which LF is more accurate. That is where the default earns most of its gain on few
LFs (blind imdb and yelp: +2.5 and +3.0 points, nearly all of it on ties), and where it loses:
every LF subset that ended more than 0.5 points below majority vote in ``bench_lf_subsets.py`` lost
on ties (``benchmarks/PROTOCOL.md`` §16). A block broken on an accuracy comparison the votes barely
support is a coin flip for the whole block at once.

What. The model is refitted on :data:`BOOTSTRAPS` bootstrap resamples of the rows (drawn from an
evenly spaced sample of at most :data:`MAX_ROWS` rows, as the label-free check samples rows): Poisson(1)
bootstrap counts keyed by each row's content (:func:`bootstrap_counts`), so that the refits, and the
probabilities, do not depend on the order of the rows. A row tied under
majority vote keeps the model's label only if every refit puts the same class on top; otherwise
it stays a tie (its probabilities are majority vote's: even over the tied classes). Rows that are not
tied, and rows without votes, keep the model's posterior. The refits' scoring tables are kept with
the model (``AutoModel.tie_hedge_``), so new rows are hedged by the same rule.

When. Only for the label-free choice when it is the fitted model (not majority vote) and at most
:data:`MAX_VOTING_SOURCES` sources vote: beyond that, ties are rare and each refit would cost a
full fit. Chosen on the tuning groups of ``benchmarks/PROTOCOL.md`` §19
(ties only vs every row whose label differs from majority vote; all 10 refits vs 8 of 10 agreeing).

Row order. Shuffling the rows of an input of at most :data:`MAX_ROWS` rows leaves the refits, and so
which ties are kept, the same (up to floating-point summation order): a row's bootstrap count is
a function of its vote pattern, of how many rows before it have that pattern, of the refit and of
``random_state`` (:func:`bootstrap_counts`), and rows of one pattern are interchangeable, so the
multiset of (pattern, count) does not depend on the order. The resample used to be
``rng.integers(0, n, n)`` row positions, which gave the same rows other counts when they moved. On
larger inputs the refits see every ``ceil(n / MAX_ROWS)``-th row (``VoteStats.sample_rows``, shared
with the streamed and Dask fits), which does depend on the order: only inputs of at most
:data:`MAX_ROWS` rows are order-invariant.
"""

from __future__ import annotations

import numpy as np

from ..votes import VoteMatrix
from .row_keys import GOLDEN, MASK, MIX1, mix64, mix_int, row_keys
from .stats import posterior

#: bootstrap refits of the model
BOOTSTRAPS = 10
#: the hedge acts with at most this many voting sources (``diagnostics.FEW_SOURCES``, where the
#: tie-breaking warning starts)
MAX_VOTING_SOURCES = 8
#: the refits draw from an evenly spaced sample of at most this many rows: ten fits of a million
#: rows would triple a fit (10^6 rows x 5 LFs: 2.4 s -> 3.5 s with 20,000, 5.3 s with 100,000); on more
#: rows than this the refits overstate the fit's uncertainty, which only leaves more ties undecided
MAX_ROWS = 20_000


def majority_ties(vm: VoteMatrix) -> tuple[np.ndarray, np.ndarray]:
    """``(tied, top)``: covered rows whose most-voted classes are two or more, and an ``(n, K)``
    mask of each row's most-voted classes (unweighted votes, as majority vote counts them)."""
    from .base import class_counts
    from .criticism import _row_max, _row_sum

    counts = class_counts(vm)
    best = _row_max(counts)
    top = counts >= best[:, None]
    return (best > 0) & (_row_sum(top.astype(np.int64)) > 1), top


#: P(N <= k) of N ~ Poisson(1), k = 0..19 (the rest, 1e-19, is below a double's resolution at 1)
_POISSON1_CDF = np.cumsum(np.exp(-1.0) / np.cumprod(np.r_[1.0, np.arange(1.0, 20.0)]))
#: draws of one refit's counts before all rows count once (every count 0 has probability e^-n)
_MAX_DRAWS = 64


def poisson_counts(keys: np.ndarray, seed: int, b: int, draw: int = 0) -> np.ndarray:
    """Poisson(1) counts (int64), one per key, for refit ``b`` under ``seed``: each key mixed with
    them into 53 uniform bits, turned into a count by the inverse CDF. ``draw`` numbers redraws."""
    salt = mix_int(mix_int(int(seed)) + (int(b) + 1) * GOLDEN + draw * MIX1)
    x = mix64(np.asarray(keys, dtype=np.uint64) ^ np.uint64(salt))
    u = (x >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return np.searchsorted(_POISSON1_CDF, u, side="right").astype(np.int64)


def bootstrap_counts(vm: VoteMatrix, random_state, n_boot: int = BOOTSTRAPS) -> np.ndarray:
    """``(n_boot, n)`` Poisson(1) bootstrap counts of ``vm``'s rows (a row's count in a refit's
    resample), from the rows' content (:func:`row_keys`), the refit and ``random_state`` (``None``:
    fresh entropy); none of them depend on the row order. A refit whose counts are all 0 draws
    again (every row once after :data:`_MAX_DRAWS` draws)."""
    seed = (np.random.SeedSequence().entropy if random_state is None else int(random_state)) & MASK
    keys = row_keys(vm)
    out = np.ones((n_boot, vm.n_rows), dtype=np.int64)
    for b in range(n_boot):
        for draw in range(_MAX_DRAWS):
            counts = poisson_counts(keys, seed, b, draw)
            if counts.any():
                out[b] = counts
                break
    return out


def fit_tie_hedge(build, sample: VoteMatrix, random_state, n_boot: int = BOOTSTRAPS) -> dict:
    """Scoring tables of ``n_boot`` refits of ``build()`` on bootstrap resamples of ``sample``'s rows.

    ``build`` returns an unfitted model with ``scoring_tables()`` (``HybridDawidSkene``). Each
    resample takes every row as often as its Poisson(1) count (:func:`bootstrap_counts`; rows in
    their order), so a permutation of ``sample``'s rows leaves the resamples' rows the same up to
    their order. Returned as stacked arrays: ``D`` (B, m, K, K), ``prior_w`` (B, m), ``base`` and
    ``base0`` (B, K)."""
    rows = np.arange(sample.n_rows)
    tables = []
    for counts in bootstrap_counts(sample, random_state, n_boot):
        tables.append(build().fit(sample.take(np.repeat(rows, counts))).scoring_tables())
    return {"D": np.stack([t[0] for t in tables]), "prior_w": np.stack([t[1] for t in tables]),
            "base": np.stack([t[2] for t in tables]), "base0": np.stack([t[3] for t in tables])}


def unstable_ties(vm: VoteMatrix, proba: np.ndarray, hedge: dict, tied: np.ndarray | None = None) -> np.ndarray:
    """Rows tied under majority vote on which some refit's top class differs from ``proba``'s
    (``tied``: :func:`majority_ties`' first result, when the caller has it already)."""
    if tied is None:
        tied, _ = majority_ties(vm)
    out = np.zeros(vm.n_rows, dtype=bool)
    if not tied.any():
        return out
    rows = np.flatnonzero(tied)
    sub = vm.take(rows)
    label = proba[rows].argmax(axis=1)
    agree = np.ones(rows.size, dtype=bool)
    for b in range(hedge["D"].shape[0]):
        q = posterior(sub, hedge["D"][b], hedge["base"][b], hedge["prior_w"][b], hedge["base0"][b])
        agree &= q.argmax(axis=1) == label
    out[rows] = ~agree
    return out


def hedge_ties(vm: VoteMatrix, proba: np.ndarray, hedge: dict | None) -> np.ndarray:
    """``proba`` with the unstable ties (:func:`unstable_ties`) set to majority vote's even split."""
    if hedge is None:
        return proba
    tied, top = majority_ties(vm)
    unstable = unstable_ties(vm, proba, hedge, tied)
    if not unstable.any():
        return proba
    out = np.array(proba, dtype=float, copy=True)
    out[unstable] = top[unstable] / top[unstable].sum(axis=1, keepdims=True)
    return out


def validate(hedge, m: int, K: int) -> dict:
    """A loaded ``tie_hedge_`` as arrays of the right shapes (``ValueError`` otherwise)."""
    if not isinstance(hedge, dict) or set(hedge) != {"D", "prior_w", "base", "base0"}:
        raise ValueError("tie_hedge_ must hold D, prior_w, base and base0")
    out = {k: np.asarray(v, dtype=float) for k, v in hedge.items()}
    B = out["D"].shape[0] if out["D"].ndim == 4 else -1
    if (B < 1 or out["D"].shape != (B, m, K, K) or out["prior_w"].shape != (B, m)
            or out["base"].shape != (B, K) or out["base0"].shape != (B, K)
            or not all(np.isfinite(v).all() for v in out.values())):
        raise ValueError("tie_hedge_ arrays must be finite, (B, m, K, K), (B, m), (B, K) and (B, K)")
    return out
