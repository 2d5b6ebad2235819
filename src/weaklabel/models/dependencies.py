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
#: bytes of the dense pair statistics (``s x s x K x 4`` doubles over ``s`` sources) one call of
#: ``error_pair_stats`` may allocate. Above it the pass looks only at sources that can reach
#: ``min_pair_votes`` co-votes, and in groups of sources whose pair statistics fit (the same pairs
#: and statistics, several passes over the rows): memory O(budget), not O(m^2 K)
_PAIR_BUDGET = 128 << 20
#: ... and is skipped, with a warning, when that would take more passes over the rows than this
_MAX_PAIR_PASSES = 400


class DependencyPass:
    """Mixin for a label model with ``_tables()``, ``min_pair_votes``, ``dependency_rows``,
    ``cardinality_`` and ``n_lfs_``; sets ``dependent_pairs_`` and returns per-source weights."""

    def _pair_phi(self, data, sources: np.ndarray, D, base, prior_w):
        """``(a, b, phi, n_ab)``: the pairs of ``sources`` (indices among them, ``a < b`` in
        row-major order) with at least ``min_pair_votes`` co-votes and errors that vary, their error
        correlation and co-votes (one ``error_pair_stats`` pass: dense ``s x s x K x 4``)."""
        stats, co = data.error_pair_stats(D, base, sources, prior_w, max_rows=self.dependency_rows)
        ny, Ea, Eb, JE = (stats[..., i] for i in range(4))
        ny = np.maximum(ny, 1e-12)
        cov = (JE - Ea * Eb / ny).sum(axis=2)
        va = (Ea * (1 - Ea / ny)).sum(axis=2)
        vb = (Eb * (1 - Eb / ny)).sum(axis=2)
        ok = (co >= self.min_pair_votes) & (va > 1e-9) & (vb > 1e-9)
        a, b = np.nonzero(ok)
        phi = cov[a, b] / np.sqrt(va[a, b] * vb[a, b])
        return a, b, phi, co[a, b].astype(float)

    def _pair_plan(self, data, multi: np.ndarray):
        """How the pass visits the pairs of the multi-class sources: ``(groups, note)``.

        ``groups`` is ``None`` when one dense pass over all of them fits in ``_PAIR_BUDGET`` (what the
        pass always did: same arithmetic, same results), else a list of index arrays (among the
        multi-class sources) to visit two at a time, an empty list when no pair can reach
        ``min_pair_votes`` co-votes; ``note``: why the pass was skipped (``None``: it ran)."""
        mm, K = int(multi.sum()), int(self.cardinality_)
        if 32.0 * mm * mm * K <= _PAIR_BUDGET:
            return None, None
        # a pair's co-votes are at most either source's votes: sources with fewer than
        # min_pair_votes votes are in no pair the pass looks at
        votes = data.lf_counts().sum(axis=1)[multi]
        keep = np.flatnonzero(votes >= self.min_pair_votes)
        if keep.size < 2:
            return [], None
        # two groups of `size` sources per pass: (2 size)^2 K 4 doubles within the budget
        size = int(np.sqrt(_PAIR_BUDGET / (32.0 * K)) // 2)
        n_groups = -(-keep.size // max(size, 1))
        passes = 2 * max(1, n_groups * (n_groups - 1) // 2)   # under both reference posteriors
        if size < 1 or passes > _MAX_PAIR_PASSES:
            need = 32.0 * keep.size ** 2 * K / 2 ** 30
            return [], (f"{type(self).__name__} skipped its dependency check (shared errors between sources): "
                        f"{keep.size} LFs with at least min_pair_votes={self.min_pair_votes} votes x {K} classes "
                        f"make {keep.size * (keep.size - 1) // 2} pairs, whose statistics ({need:.1f} GiB) would "
                        f"take {passes} passes over the rows in {_PAIR_BUDGET >> 20} MiB; source weights are all "
                        f"1 (raise min_pair_votes to check fewer pairs, or -p dependencies=false to silence this)")
        return np.array_split(keep, n_groups), None

    def _pair_phi_grouped(self, data, multi: np.ndarray, groups, D, base, prior_w):
        """:meth:`_pair_phi` over all multi-class sources, a pair of groups at a time (each pass
        selects the pairs of two groups; the leave-pair-out posterior still counts every vote of
        the row, so a pair's statistics are those of the single pass)."""
        src_ids = np.flatnonzero(multi)
        mm = src_ids.size
        parts = []
        G = len(groups)
        visits = [(0, 0)] if G == 1 else [(g, h) for g in range(G) for h in range(g + 1, G)]
        for g, h in visits:
            members = np.concatenate([groups[g], groups[h]]) if g != h else groups[g]
            members.sort()
            sel = np.zeros(multi.size, dtype=bool)
            sel[src_ids[members]] = True
            a, b, phi, nab = self._pair_phi(data, sel, D, base, prior_w)
            a, b = members[a], members[b]   # back to indices among the multi-class sources
            if g != h:
                ga = np.isin(a, groups[g])
                gb = np.isin(b, groups[g])
                # cross pairs always; the pairs within g in its first visit, within h in its last
                take = (ga != gb) | (ga & gb & (h == g + 1)) | (~ga & ~gb & (g == G - 2) & (h == G - 1))
                a, b, phi, nab = a[take], b[take], phi[take], nab[take]
            parts.append((a, b, phi, nab))
        a, b, phi, nab = (np.concatenate([p[i] for p in parts]) for i in range(4)) if parts else (
            np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0),) * 2
        order = np.argsort(a.astype(np.int64) * mm + b, kind="stable")   # the single pass's order
        return a[order], b[order], phi[order], nab[order]

    def _pair_excess(self, data, multi: np.ndarray, D, base, prior_w, groups=None):
        """``(a, b, r, n_ab, phi)``: the pairs of multi-class sources (indices among them) with enough
        co-votes, their excess error correlation ``r`` under the tables' leave-pair-out posterior,
        their co-votes and their error correlation ``phi`` itself (see :meth:`_dependency_weights`).
        ``groups``: from :meth:`_pair_plan` (``None``: one dense pass)."""
        if groups is None:
            a, b, phi, nab = self._pair_phi(data, multi, D, base, prior_w)
        elif groups:
            a, b, phi, nab = self._pair_phi_grouped(data, multi, groups, D, base, prior_w)
        else:
            a = b = np.zeros(0, dtype=np.int64)
        if not a.size:
            return a, b, np.zeros(0), np.zeros(0), np.zeros(0)
        mm = int(multi.sum())
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
        groups, self._dependency_note = self._pair_plan(data, multi)
        D, prior_w, base, _ = self._tables()
        a, b, r, nab, phi = self._pair_excess(data, multi, D, base, prior_w, groups)
        mm = int(multi.sum())
        w_compact = np.ones(mm)
        if a.size:
            Dm, pwm, basem = self._majority_tables()
            a2, b2, r2, _, phi2 = self._pair_excess(data, multi, Dm, basem, pwm, groups)
            # the majority-vote pass's values of the same pairs (0 where it has no such pair):
            # looked up by pair key, no dense (mm, mm) arrays
            R2, P2 = _lookup(a2, b2, mm, (r2, phi2), a, b)
            r = np.maximum(r, R2)
            # a source cast twice: its copies can be most of a pair's partners, and the baseline (the
            # partners' median) then hides them (three copies among six sources on 5,000 rows). Only
            # where at least _SAME_ERRORS_OTHERS other sources make the reference posterior, and under
            # both posteriors: with one or two others, two very accurate independent sources "err"
            # together wherever those others do (two 0.99-accurate LFs were rated 0.56 as copies)
            if mm >= 2 + _SAME_ERRORS_OTHERS:
                same = np.minimum(phi, P2) > _SAME_ERRORS
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


def _lookup(a2, b2, n, values, a, b):
    """Each of ``values`` (aligned with the pairs ``(a2, b2)``) at the pairs ``(a, b)``, 0 where
    ``(a, b)`` is not among them (pairs of ``n`` nodes)."""
    key2 = a2.astype(np.int64) * n + b2
    order = np.argsort(key2, kind="stable")
    key2 = key2[order]
    key = a.astype(np.int64) * n + b
    pos = np.minimum(np.searchsorted(key2, key), max(key2.size - 1, 0))
    hit = (key2[pos] == key) if key2.size else np.zeros(key.size, dtype=bool)
    return tuple(np.where(hit, v[order][pos], 0.0) if key2.size else np.zeros(key.size) for v in values)


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes linked by the edges ``(a[i], b[i])``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    return connected_components(g, directed=False)[1]
