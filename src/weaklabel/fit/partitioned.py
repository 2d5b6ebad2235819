"""Statistics added up part by part: what the streamed and the Dask fits share.

A :class:`PartitionedVoteStats` answers the models' :class:`~weaklabel.models.stats.VoteStats`
questions from per-part results (row blocks re-read from disk, or Dask partitions held by the
workers) that a subclass produces in row order (:meth:`~PartitionedVoteStats.results`); the sums
are made here, once, in that order, so both engines are deterministic and agree with each other.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import InputError
from ..models.stats import VoteStats, concat_samples, flat_table, n_blocks, sample_step, unflat_stats


def em_tables(stats: VoteStats, D, base, prior_w, base0):
    """The kernels' arguments, shape-checked (the kernels index them without bounds checks)."""
    m, K = stats.n_lfs, stats.cardinality
    D = np.asarray(D, dtype=float)
    pw = np.ones(m) if prior_w is None else np.asarray(prior_w, dtype=float)
    b = np.asarray(base, dtype=float)
    b0 = b if base0 is None else np.asarray(base0, dtype=float)
    if D.shape != (m, K, K) or pw.shape != (m,) or b.shape != (K,) or b0.shape != (K,):
        raise ValueError(f"em_stats: tables of shapes {D.shape}, {pw.shape}, {b.shape}, {b0.shape} for "
                         f"{m} LFs and {K} classes")
    return flat_table(D), pw, b, b0


def no_labels(y) -> None:
    """Partitioned statistics have no per-row gold labels (an all ``-1`` array is fine)."""
    if y is not None and np.size(y) and np.max(y) >= 0:  # (no n-row temporary)
        raise InputError("gold labels need the votes in memory: fit without --stream or --engine dask "
                         "to use --dev")


def pair_blocks(size: int, mk: int) -> int:
    """Row blocks of the co-occurrence kernel for a part of ``size`` votes: each block holds an
    (m K)^2 int32 matrix, so at most 64 MB of them."""
    return max(1, min(n_blocks(size), (64 << 20) // max(1, 4 * mk * mk)))


class PartitionedVoteStats(VoteStats):
    """:class:`VoteStats` whose sums are added part by part, in row order.

    Subclasses set ``n_rows``, ``n_lfs``, ``cardinality``, ``lf_names`` and implement
    :meth:`results`, ``lf_counts`` and ``n_uncovered``.
    """

    supports_labels = False
    _pairs: np.ndarray | None = None

    def results(self, what: str, label: str, **args) -> Iterable:
        """Per-part results in row order, one pass (``label`` names it for the progress bar):
        ``"em"`` ``(S, T, loglik)`` for the tables ``Dflat, prior_w, base, base0``; ``"pairs"``
        the co-occurrence counts; ``"shares"`` ``(S, T)``; ``"error_pairs"`` ``(totals, counts)``
        for ``step, D, base, sources, prior_w``; ``"sample"`` the sampled rows for ``step``."""
        raise NotImplementedError

    def em_stats(self, D, base, y=None, prior_w=None, base0=None):
        no_labels(y)
        m, K = self.n_lfs, self.cardinality
        Dflat, pw, b, b0 = em_tables(self, D, base, prior_w, base0)
        S = np.zeros((m * K, K))
        T = np.zeros(K)
        ll = 0.0
        for s, t, l_ in self.results("em", "EM statistics", Dflat=Dflat, prior_w=pw, base=b, base0=b0):
            S += s   # part order: deterministic
            T += t
            ll += l_
        return unflat_stats(S, m, K), T, float(ll)

    def pair_counts(self):
        if self._pairs is None:
            self.check_pairs()
            mk = self.n_lfs * self.cardinality
            out = np.zeros((mk, mk), dtype=np.int64)
            for o in self.results("pairs", "co-occurrence counts"):
                out += o
            self._pairs = out
        return self._pairs

    def share_stats(self, y=None):
        no_labels(y)
        m, K = self.n_lfs, self.cardinality
        S = np.zeros((m, K, K))
        T = np.zeros(K)
        for s, t in self.results("shares", "vote shares"):
            S += s
            T += t
        return S, T

    def error_pair_stats(self, D, base, sources, prior_w=None, max_rows=None):
        total = counts = None
        for st, ct in self.results("error_pairs", "source dependencies", step=sample_step(self.n_rows, max_rows),
                                   D=np.asarray(D, dtype=float), base=np.asarray(base, dtype=float),
                                   sources=np.asarray(sources, dtype=bool),
                                   prior_w=None if prior_w is None else np.asarray(prior_w, dtype=float)):
            total, counts = (st, ct) if total is None else (total + st, counts + ct)
        return total, counts

    def sample_rows(self, max_rows):
        step = sample_step(self.n_rows, max_rows)
        cache = self.__dict__.setdefault("_samples", {})
        if step not in cache:  # diagnostics and criticism ask for the same sample: one pass
            parts = list(self.results("sample", "sampling rows", step=step))
            cache.clear()
            cache[step] = concat_samples(parts, self)
        return cache[step]
