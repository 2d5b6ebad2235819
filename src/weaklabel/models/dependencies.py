"""The dependency pass of :class:`~weaklabel.models.hybrid.HybridDawidSkene`: which multi-class
sources share errors beyond the rest, and how much each source's votes should then weigh.

Why a module of its own: it is the one part of the default model that looks at *pairs* of
sources (the error-pair statistics of ``VoteStats.error_pair_stats``) rather than at rows, and
it has two reference posteriors (the fitted model's and a one-coin majority vote's; see the
hybrid module docstring, "Dependencies" and "Copies").
"""

from __future__ import annotations

import numpy as np

_MV_ACCURACY = 0.7   # the one-coin accuracy of the majority-vote reference posterior of the dependency pass
_COPY_SHARE = 0.55   # excess error correlation from which a pair of sources counts as copies of one source
#: error correlation (not in excess of anything) from which a pair counts as copies whatever its partners
#: share: two sources that err on the same rows this consistently are one source cast twice
_SAME_ERRORS = 0.95
#: ... judged only with at least this many other multi-class sources beside the pair
_SAME_ERRORS_OTHERS = 3


class DependencyPass:
    """Mixin for a label model with ``_tables()``, ``min_pair_votes``, ``dependency_rows``,
    ``cardinality_`` and ``n_lfs_``; sets ``dependent_pairs_`` and returns per-source weights."""

    def _pair_excess(self, data, multi: np.ndarray, D, base, prior_w):
        """``(a, b, r, n_ab, phi)``: the pairs of multi-class sources (indices among them) with enough
        co-votes, their excess error correlation ``r`` under the tables' leave-pair-out posterior,
        their co-votes and their error correlation ``phi`` itself (see :meth:`_dependency_weights`)."""
        stats, co = data.error_pair_stats(D, base, multi, prior_w, max_rows=self.dependency_rows)
        ny, Ea, Eb, JE = (stats[..., i] for i in range(4))
        ny = np.maximum(ny, 1e-12)
        cov = (JE - Ea * Eb / ny).sum(axis=2)
        va = (Ea * (1 - Ea / ny)).sum(axis=2)
        vb = (Eb * (1 - Eb / ny)).sum(axis=2)
        ok = (co >= self.min_pair_votes) & (va > 1e-9) & (vb > 1e-9)
        a, b = np.nonzero(ok)
        if not a.size:
            return a, b, np.zeros(0), np.zeros(0), np.zeros(0)
        mm = int(multi.sum())
        phi = cov[a, b] / np.sqrt(va[a, b] * vb[a, b])
        nab = co[a, b].astype(float)
        med = np.zeros(mm)
        src = np.concatenate([a, b])
        val = np.concatenate([phi, phi])
        for j in np.unique(src):
            med[j] = np.median(val[src == j])
        r = np.maximum(0.0, phi - np.maximum(0.0, 0.5 * (med[a] + med[b])) - 2.0 / np.sqrt(nab))
        return a, b, r, nab, phi

    def _majority_tables(self):
        """One-coin tables (accuracy ``_MV_ACCURACY`` for every source, uniform prior): the
        majority-vote reference posterior of the dependency pass."""
        K, m = int(self.cardinality_), int(self.n_lfs_)
        D = np.full((m, K, K), np.log((1 - _MV_ACCURACY) / (K - 1)))
        D[:, np.arange(K), np.arange(K)] = np.log(_MV_ACCURACY)
        return D, np.zeros(m), np.full(K, -np.log(K))

    def _dependency_weights(self, data, multi: np.ndarray) -> np.ndarray:
        """``1 / (1 + load)`` per multi-class source from excess pairwise error correlation.

        ``phi_ab``: the pooled within-class correlation of the two sources' error indicators,
        classes weighted by the leave-pair-out posterior. Part of it is shared by every pair (the
        posterior's own mistakes, item difficulty): each source's median ``phi`` over its partners
        is that baseline, and only ``phi_ab - max(0, mean of the two medians) - 2 / sqrt(n_ab)``
        (beyond two standard errors) counts, scaled by the share of each source's votes the pair
        covers. On independent simulated sources the most accurate ones can pick up a small load
        (their agreement when the posterior is wrong looks like joint error): weights down to about
        0.84, accuracies off by up to 0.05, a few tenths of a point of label accuracy, against +6 points on a simulated clique of three copiers and the
        zencrowd clique.

        The excess is measured under the fitted posterior and under a majority-vote posterior,
        and each pair keeps the larger; groups of pairs above ``_COPY_SHARE`` are copies of one
        source and weigh at most 1 together (module docstring, "Copies").
        """
        D, prior_w, base, _ = self._tables()
        a, b, r, nab, phi = self._pair_excess(data, multi, D, base, prior_w)
        mm = int(multi.sum())
        w_compact = np.ones(mm)
        if a.size:
            Dm, pwm, basem = self._majority_tables()
            a2, b2, r2, _, phi2 = self._pair_excess(data, multi, Dm, basem, pwm)
            R2, P2 = np.zeros((mm, mm)), np.zeros((mm, mm))
            R2[a2, b2], P2[a2, b2] = r2, phi2
            r = np.maximum(r, R2[a, b])
            # a source cast twice: its copies can be most of a pair's partners, and the baseline (the
            # partners' median) then hides them (three copies among six sources on 5,000 rows). Only
            # where at least _SAME_ERRORS_OTHERS other sources make the reference posterior, and under
            # both posteriors: with one or two others, two very accurate independent sources "err"
            # together wherever those others do (two 0.99-accurate LFs were rated 0.56 as copies)
            if mm >= 2 + _SAME_ERRORS_OTHERS:
                same = np.minimum(phi, P2[a, b]) > _SAME_ERRORS
                r = np.where(same, np.maximum(r, 1.0), r)
            votes = data.lf_counts().sum(axis=1)[multi].astype(float)
            load = (np.bincount(a, r * np.minimum(1.0, nab / np.maximum(votes[a], 1)), mm)
                    + np.bincount(b, r * np.minimum(1.0, nab / np.maximum(votes[b], 1)), mm))
            w_compact = 1.0 / (1.0 + load)
            copies = r > _COPY_SHARE
            if copies.any():
                group = _components(mm, a[copies], b[copies])
                w_compact = np.minimum(w_compact, 1.0 / np.bincount(group)[group])
            src_ids = np.flatnonzero(multi)
            linked = r > 0.05   # clearly shared errors: what model criticism leaves out together
            self.dependent_pairs_ = np.stack([src_ids[a[linked]], src_ids[b[linked]]], axis=1).astype(np.int64)
        w = np.ones(multi.size)
        w[multi] = w_compact
        return w


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes linked by the edges ``(a[i], b[i])``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    return connected_components(g, directed=False)[1]
