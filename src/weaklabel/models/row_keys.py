"""Keys of a vote matrix's rows from their content alone, so that row order does not matter.

Why. Two label-free steps of ``AutoModel`` split or resample the rows: the held-out-source check
cross-fits over two folds of rows (:mod:`weaklabel.models.criticism`) and the tie hedge refits on
bootstrap resamples (:mod:`weaklabel.models.tie_hedge`). Both used to take rows by position (row
parity; ``rng.integers(0, n, n)``), so shuffling a file's rows moved some probabilities and could
flip the choice between the fitted model and majority vote (helper 96: ``spammer_team`` seed 0 in
4 of 4 shuffles). Keyed by content, a permutation of the rows permutes the keys and the folds and
resamples stay the same sets of rows.

How. A row's *pattern* is a 64-bit hash of its set of (LF, vote) pairs, whatever their stored
order (splitmix64's finaliser on each pair, summed modulo 2^64, mixed with the number of votes);
its *occurrence* is how many rows before it have the same pattern. Rows of one pattern are
interchangeable, so numbering them in row order is as good as any order. Two different patterns
share a hash with probability about 2^-64 per pair. Plain numpy (uint64 arithmetic wraps).
"""

from __future__ import annotations

import numpy as np

from ..votes import VoteMatrix

#: splitmix64's constants (Steele, Lea and Flood 2014): the golden-ratio increment and the
#: finaliser's multipliers
GOLDEN = 0x9E3779B97F4A7C15
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
MASK = (1 << 64) - 1


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on a uint64 array (wrapping arithmetic)."""
    x = np.asarray(x, dtype=np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(MIX1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(MIX2)
    return x ^ (x >> np.uint64(31))


def mix_int(x: int) -> int:
    """:func:`mix64` of one Python int (taken modulo 2^64)."""
    return int(mix64(np.array([x & MASK], dtype=np.uint64))[0])


def row_patterns(vm: VoteMatrix) -> tuple[np.ndarray, np.ndarray]:
    """``(pattern, occurrence)``: per row, the uint64 hash of its votes (module docstring; rows
    without votes share one) and its number among the rows of that pattern (0 for the first, in
    row order, int64)."""
    n = vm.n_rows
    cell = vm.indices.astype(np.uint64) * np.uint64(vm.cardinality) + vm.votes.astype(np.uint64)
    per_vote = mix64((cell + np.uint64(1)) * np.uint64(GOLDEN))
    # sum of the votes' hashes per row, modulo 2^64 (order-free; an empty row sums to 0)
    run = np.zeros(per_vote.size + 1, dtype=np.uint64)
    np.cumsum(per_vote, out=run[1:])
    pattern = mix64(run[vm.indptr[1:]] - run[vm.indptr[:-1]] + np.diff(vm.indptr).astype(np.uint64))
    order = np.argsort(pattern, kind="stable")
    ps = pattern[order]
    first = np.ones(n, dtype=bool)
    first[1:] = ps[1:] != ps[:-1]
    pos = np.arange(n, dtype=np.int64)
    occurrence = np.empty(n, dtype=np.int64)
    occurrence[order] = pos - np.maximum.accumulate(np.where(first, pos, 0))
    return pattern, occurrence


def row_keys(vm: VoteMatrix) -> np.ndarray:
    """One uint64 per row from its content alone (pattern and occurrence, mixed): a permutation of
    the rows permutes the keys."""
    pattern, occurrence = row_patterns(vm)
    return mix64(pattern + occurrence.astype(np.uint64) * np.uint64(GOLDEN))


def row_folds(vm: VoteMatrix, folds: int) -> np.ndarray:
    """A fold ``0..folds-1`` per row from its content: the rows of one pattern go round the folds in
    turn from a fold set by the pattern's hash, so every pattern is split as evenly as it can be
    (as row parity split neighbours) and a permutation of the rows permutes the folds."""
    pattern, occurrence = row_patterns(vm)
    return ((pattern % np.uint64(folds)).astype(np.int64) + occurrence) % folds
