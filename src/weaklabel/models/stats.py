"""What label models need from the data: sums over rows, nothing row-by-row.

Every model's ``fit`` touches the votes only through a :class:`VoteStats`:

* :meth:`VoteStats.em_stats` - one fused E-step + M-step statistics pass for given scoring
  tables (Dawid–Skene, the hybrid model, majority-vote initialisations, class balances);
* :meth:`VoteStats.pair_counts` - the (m K)^2 co-occurrence matrix (moment matching, triplets);
* :meth:`VoteStats.lf_counts` - votes per LF and class; :meth:`VoteStats.n_uncovered`.

All of them are sums over rows, so they decompose over row blocks: :class:`LocalVoteStats`
computes them on an in-memory :class:`~weaklabel.votes.VoteMatrix` with the Numba kernels, and
a partitioned implementation (Parquet row groups streamed from disk, or Dask partitions on a
cluster) only has to add up the per-partition results. ``model.fit(stats)`` accepts any of them.
"""

from __future__ import annotations

import numpy as np

from ..votes import VoteMatrix


def flat_table(D: np.ndarray) -> np.ndarray:
    """``D[j, k, v]`` (m, K, K) -> the kernels' layout ``[j*K + v, k]`` (K scores contiguous)."""
    m, K, _ = D.shape
    return np.ascontiguousarray(D.transpose(0, 2, 1).reshape(m * K, K))


def unflat_stats(S: np.ndarray, m: int, K: int) -> np.ndarray:
    """The kernels' ``S[j*K + v, k]`` -> ``S[j, k, v]``."""
    return S.reshape(m, K, K).transpose(0, 2, 1)


def n_blocks(nnz: int) -> int:
    """Row blocks for the parallel kernels, from the number of votes: one per 100,000 votes, so one
    (serial) below 200,000 votes, up to 16 for large matrices. Independent of the thread count, so
    results are too. Whether a call uses threads at all is the kernel's own threshold
    (:mod:`weaklabel.models._kernels`, measured in ``benchmarks/bench_threads.py``)."""
    return int(max(1, min(16, nnz // 100_000)))


#: below this many votes, counts that numpy does in a few milliseconds skip their Numba kernel (its
#: first compile costs half a second; above it, numpy's int64 temporaries cost memory)
SMALL_NNZ = 4_000_000

MAX_MK = 4096  # (m K)^2 co-occurrence statistics beyond this would need gigabytes


class VoteStats:
    """Row-sum statistics of a vote matrix (see the module docstring)."""

    n_rows: int
    n_lfs: int
    cardinality: int
    lf_names: list[str]
    #: whether ``y`` (gold labels aligned with the rows) can be passed to :meth:`em_stats`
    supports_labels: bool = False

    def em_stats(self, D: np.ndarray, base: np.ndarray, y: np.ndarray | None = None,
                 prior_w: np.ndarray | None = None, base0: np.ndarray | None = None):
        """``(S (m, K, K) [j, k, v], T (K,), loglik)`` for the scoring tables ``D``/``base``.

        Row ``i``'s class scores are ``w_i base + sum of D[j, :, v]`` over its votes (``w_i`` =
        mean of ``prior_w`` over the LFs voting on it, 1 by default) or ``base0`` (default
        ``base``) if it has none; its posterior is their softmax (one-hot for ``y[i] >= 0``).
        ``S[j, k, v]`` sums the posterior of class ``k`` over the rows where LF ``j`` voted
        ``v``; ``T`` sums the posteriors; ``loglik`` sums the log normalisers.
        """
        raise NotImplementedError

    def share_stats(self, y: np.ndarray | None = None):
        """``(S (m, K, K), T (K,))`` with each row's vote shares as its posterior (uniform on rows
        without votes, one-hot on labelled rows): the soft majority-vote initialisation."""
        raise NotImplementedError

    def pair_counts(self) -> np.ndarray:
        """``(m K, m K)`` int64: rows on which LF j voted v and LF l voted w (diagonal: counts)."""
        raise NotImplementedError

    def error_pair_stats(self, D: np.ndarray, base: np.ndarray, sources: np.ndarray,
                         prior_w: np.ndarray | None = None, max_rows: int | None = None):
        """Leave-pair-out error statistics of the pairs of ``sources`` (bool mask) that vote on
        the same rows, under the scoring tables: ``(stats (s, s, K, 4), counts (s, s))`` over the
        selected sources in order (see :func:`weaklabel.models._kernels.error_pair_stats`).

        The pass costs ``sum_i nnz_i^2``; with ``max_rows`` it runs on an evenly spaced subset of
        about that many rows (every ``ceil(n / max_rows)``-th row: deterministic)."""
        raise NotImplementedError

    def lf_counts(self) -> np.ndarray:
        """``(m, K)`` int64 votes per LF and class."""
        raise NotImplementedError

    def sample_rows(self, max_rows: int) -> VoteMatrix:
        """An evenly spaced, deterministic subset of at most about ``max_rows`` rows (every
        ``ceil(n / max_rows)``-th row) as an in-memory :class:`VoteMatrix`: what label-free model
        criticism (``weaklabel.models.criticism``) looks at row by row."""
        raise NotImplementedError

    def n_uncovered(self) -> int:
        """Rows on which no LF voted."""
        raise NotImplementedError

    # shared helpers built on the primitives
    def check_pairs(self) -> None:
        mk = self.n_lfs * self.cardinality
        if mk > MAX_MK:
            from ..errors import InputError

            raise InputError(f"{self.n_lfs} LFs x {self.cardinality} classes = {mk} one-hot columns; moment-based "
                             f"models need at most {MAX_MK} (use --model hybrid, ds or onecoin)")

    def majority_stats(self, y: np.ndarray | None = None):
        """``(S, T)`` with majority-vote soft labels as the posterior (ties split evenly, rows
        without votes uniform, rows with a gold label fixed to it): the usual initialisation."""
        m, K = self.n_lfs, self.cardinality
        D = np.zeros((m, K, K))
        # e^-1000 is 0.0: the softmax is exactly an even split of the top classes, as the in-memory
        # co-occurrence pass computes it (e^-30 left K e^-30 on the others: 1e-11 apart at 120 classes)
        D[:, np.arange(K), np.arange(K)] = 1000.0
        S, T, _ = self.em_stats(D, np.zeros(K), y)
        return S, T


class LocalVoteStats(VoteStats):
    """Statistics of an in-memory :class:`VoteMatrix` (Numba kernels; cached where reused)."""

    supports_labels = True

    def __init__(self, vm: VoteMatrix):
        self.vm = vm
        self.n_rows, self.n_lfs, self.cardinality = vm.n_rows, vm.n_lfs, vm.cardinality
        self.lf_names = list(vm.lf_names)
        self._lf_counts = None
        self._pairs = None
        self._majority = None

    def em_stats(self, D, base, y=None, prior_w=None, base0=None):
        from . import _kernels

        vm, m, K = self.vm, self.n_lfs, self.cardinality
        if y is None:   # one array of "no label" per matrix, not one per EM step
            if getattr(self, "_unlabelled", None) is None:
                self._unlabelled = -np.ones(vm.n_rows, dtype=np.int64)
            y = self._unlabelled
        yy = y
        pw = np.ones(m) if prior_w is None else np.asarray(prior_w, dtype=float)
        b0 = base if base0 is None else base0
        S, T, ll = _kernels.em_pass(vm.indptr, vm.indices, vm.votes, flat_table(D), pw,
                                    np.asarray(base, dtype=float), np.asarray(b0, dtype=float), yy,
                                    n_blocks(vm.nnz))
        return unflat_stats(S, m, K), T, ll

    def pair_counts(self):
        if self._pairs is None:
            from . import _kernels

            self.check_pairs()
            vm, mk = self.vm, self.n_lfs * self.cardinality
            # each block keeps its own int32 counters; fewer blocks when the matrix is large
            blocks = max(1, min(n_blocks(vm.nnz), (64 << 20) // max(1, 4 * (mk + self.cardinality) ** 2)))
            self._pairs, S, T = _kernels.pair_counts(vm.indptr, vm.indices, vm.votes, vm.n_lfs, vm.cardinality,
                                                     blocks)
            self._majority = unflat_stats(S, self.n_lfs, self.cardinality), T
        return self._pairs

    def majority_stats(self, y=None):
        # the co-occurrence pass computes the label-free statistics too: no second pass
        if y is None and self._majority is not None:
            S, T = self._majority
            return S.copy(), T.copy()
        return super().majority_stats(y)

    def share_stats(self, y=None):
        return share_block(self.vm, y)

    def error_pair_stats(self, D, base, sources, prior_w=None, max_rows=None):
        return error_pair_block(self.vm, 0, sample_step(self.n_rows, max_rows), D, base, sources, prior_w)

    def lf_counts(self):
        if self._lf_counts is None:
            if self._pairs is not None:  # the co-occurrence diagonal holds them already
                self._lf_counts = np.diag(self._pairs).reshape(self.n_lfs, self.cardinality).copy()
            elif self.vm.nnz <= SMALL_NNZ:   # numpy: no kernel to compile on a first small fit
                self._lf_counts = self.vm.lf_class_counts()
            else:
                from . import _kernels

                self._lf_counts = _kernels.lf_class_counts(self.vm.indices, self.vm.votes, self.n_lfs,
                                                           self.cardinality)
        return self._lf_counts

    def n_uncovered(self):
        return int(np.count_nonzero(self.vm.votes_per_row() == 0))

    def sample_rows(self, max_rows):
        return sample_block(self.vm, 0, sample_step(self.n_rows, max_rows))


def share_block(vm: VoteMatrix, y: np.ndarray | None = None):
    """:meth:`VoteStats.share_stats` of one in-memory block of rows (the statistics add up over blocks)."""
    from . import _kernels

    m, K = vm.n_lfs, vm.cardinality
    yy = y if y is not None else -np.ones(vm.n_rows, dtype=np.int64)
    S, T = _kernels.share_stats(vm.indptr, vm.indices, vm.votes, K, m, yy)
    return unflat_stats(S, m, K), T


def sample_step(n_rows: int, max_rows: int | None) -> int:
    """Every how many rows :meth:`VoteStats.error_pair_stats` looks at (1: all of them)."""
    return 1 if max_rows is None or n_rows <= max_rows else -(-n_rows // max(1, int(max_rows)))


def sample_block(vm: VoteMatrix, offset: int, step: int) -> VoteMatrix:
    """The rows of one block (its first row is row ``offset`` of the whole matrix) whose
    whole-matrix index is a multiple of ``step``; consecutive blocks' samples concatenate to the
    whole matrix's (:meth:`VoteStats.sample_rows`)."""
    if step <= 1:
        return vm
    return vm.take(np.arange((-offset) % step, vm.n_rows, step))


def concat_samples(parts: list[VoteMatrix], like) -> VoteMatrix:
    """Concatenate per-block samples (row ids dropped: criticism needs votes only)."""
    from ..votes import concat_csr

    indptr, indices, votes = concat_csr([(p.indptr, p.indices, p.votes) for p in parts], like.cardinality)
    return VoteMatrix(indptr, indices, votes, list(like.lf_names), cardinality=like.cardinality, validate=False)


def error_pair_block(vm: VoteMatrix, offset: int, step: int, D, base, sources, prior_w=None):
    """:meth:`VoteStats.error_pair_stats` of the rows of one block (its first row is row
    ``offset`` of the whole matrix) whose whole-matrix index is a multiple of ``step``; the
    results of consecutive blocks add up to the whole matrix's."""
    from . import _kernels

    m = vm.n_lfs
    if step > 1:
        vm = vm.take(np.arange((-offset) % step, vm.n_rows, step))
    sources = np.asarray(sources, dtype=bool)
    compact = np.full(m, -1, dtype=np.int64)
    compact[sources] = np.arange(int(sources.sum()))
    pw = np.ones(m) if prior_w is None else np.asarray(prior_w, dtype=float)
    s = int(sources.sum())
    # one accumulator of s^2 K 4 doubles per block: keep them under ~64 MiB in all
    blocks = max(1, min(n_blocks(vm.nnz), (64 << 20) // max(1, 32 * s * s * vm.cardinality)))
    b = np.asarray(base, dtype=float)
    return _kernels.error_pair_stats(vm.indptr, vm.indices, vm.votes, flat_table(np.asarray(D, dtype=float)), pw,
                                     b, b, compact, s, blocks)


def as_stats(data) -> VoteStats:
    """A :class:`VoteStats` for a VoteStats, a VoteMatrix or a dense vote array."""
    if isinstance(data, VoteStats):
        return data
    from .inputs import coerce_votes

    return LocalVoteStats(coerce_votes(data))


def posterior(vm: VoteMatrix, D: np.ndarray, base: np.ndarray, prior_w: np.ndarray | None = None,
              base0: np.ndarray | None = None) -> np.ndarray:
    """``(n, K)`` posteriors of every row of ``vm`` for the scoring tables (prediction)."""
    from . import _kernels

    pw = np.ones(vm.n_lfs) if prior_w is None else np.asarray(prior_w, dtype=float)
    return _kernels.posterior(vm.indptr, vm.indices, vm.votes, flat_table(D), pw, np.asarray(base, dtype=float),
                              np.asarray(base if base0 is None else base0, dtype=float),
                              max(1, min(n_blocks(vm.nnz), vm.n_rows)))
