"""Vectorised per-question (group) operations on candidate rows.

Candidates of one question need not be adjacent in the input table: :class:`Groups` keeps a
stable sort of the rows by question so that every reduction is one ``np.*.reduceat`` over
contiguous runs (no Python loop over questions). Values are ``(n,)`` or ``(n, m)`` arrays in the
original row order; results come back in that order (or one row per question for reductions).
Missing values are NaN and are ignored by every reduction.
"""

from __future__ import annotations

import numpy as np


class Groups:
    """Rows ``0..n-1`` partitioned into ``n_groups`` questions by integer codes ``0..G-1``."""

    __slots__ = ("codes", "n_groups", "order", "starts", "sizes")

    def __init__(self, codes):
        codes = np.asarray(codes, dtype=np.int64)
        if codes.ndim != 1:
            raise ValueError("group codes must be 1-d")
        self.codes = codes
        self.n_groups = int(codes.max()) + 1 if codes.size else 0
        self.order = np.argsort(codes, kind="stable")
        self.sizes = np.bincount(codes, minlength=self.n_groups).astype(np.int64)
        self.starts = np.zeros(self.n_groups, dtype=np.int64)
        np.cumsum(self.sizes[:-1], out=self.starts[1:])
        if np.any(self.sizes == 0):
            raise ValueError("every group code 0..G-1 must have at least one row")

    @property
    def n_rows(self) -> int:
        return int(self.codes.size)

    def take(self, rows) -> "Groups":
        """Groups of a subset of rows, with the group codes renumbered ``0..G'-1`` in order."""
        sub = self.codes[np.asarray(rows)]
        _, new = np.unique(sub, return_inverse=True)
        return Groups(new)

    # ------------------------------------------------------------------ reductions
    def _sorted(self, x: np.ndarray) -> np.ndarray:
        return x[self.order]

    def count(self, x: np.ndarray) -> np.ndarray:
        """Non-missing values per group: ``(G,)`` or ``(G, m)``."""
        return np.add.reduceat(~np.isnan(self._sorted(x)), self.starts, axis=0).astype(np.int64)

    def sum(self, x: np.ndarray) -> np.ndarray:
        xs = self._sorted(x)
        return np.add.reduceat(np.where(np.isnan(xs), 0.0, xs), self.starts, axis=0)

    def mean(self, x: np.ndarray) -> np.ndarray:
        """Mean of the non-missing values per group (NaN where a group has none)."""
        c = self.count(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, self.sum(x) / np.maximum(c, 1), np.nan)

    def min(self, x: np.ndarray) -> np.ndarray:
        xs = self._sorted(x)
        out = np.minimum.reduceat(np.where(np.isnan(xs), np.inf, xs), self.starts, axis=0)
        return np.where(np.isinf(out) & (out > 0), np.nan, out)

    def max(self, x: np.ndarray) -> np.ndarray:
        xs = self._sorted(x)
        out = np.maximum.reduceat(np.where(np.isnan(xs), -np.inf, xs), self.starts, axis=0)
        return np.where(np.isinf(out) & (out < 0), np.nan, out)

    def broadcast(self, per_group: np.ndarray) -> np.ndarray:
        """A per-group array repeated onto the rows (original row order)."""
        return per_group[self.codes]

    # ------------------------------------------------------------------ ranks and quantiles
    def _column_order(self, col: np.ndarray) -> np.ndarray:
        """Row positions sorted by (group, missing last, value)."""
        return np.lexsort((np.where(np.isnan(col), 0.0, col), np.isnan(col), self.codes))

    def midrank(self, x: np.ndarray) -> np.ndarray:
        """Within-group mid-rank CDF of each value: ``(#smaller + (#equal) / 2) / #valid``, in
        ``(0, 1)``; NaN stays NaN. The within-question empirical CDF with ties split evenly."""
        x = np.asarray(x, dtype=float)
        cols = x.reshape(x.shape[0], -1)
        out = np.full(cols.shape, np.nan)
        for v in range(cols.shape[1]):
            col = cols[:, v]
            order = self._column_order(col)
            sc, sv = self.codes[order], col[order]
            valid = ~np.isnan(sv)
            n_valid = np.bincount(sc[valid], minlength=self.n_groups)
            # runs of equal (group, value) among the valid, sorted entries
            new_run = np.ones(sv.size, dtype=bool)
            new_run[1:] = (sc[1:] != sc[:-1]) | (sv[1:] != sv[:-1])
            run_id = np.cumsum(new_run) - 1
            run_start = np.flatnonzero(new_run)
            run_len = np.diff(np.append(run_start, sv.size))
            pos_in_group = np.arange(sv.size) - self.starts[sc]
            first = pos_in_group[run_start][run_id]          # rank of the run's first element
            mid = (first + 0.5 * run_len[run_id]) / np.maximum(n_valid[sc], 1)
            res = np.where(valid, mid, np.nan)
            out[order, v] = res
        return out.reshape(x.shape)

    def quantile(self, x: np.ndarray, q) -> np.ndarray:
        """Per-group quantile(s) with linear interpolation (numpy's default method).

        ``q`` is a scalar or a ``(G,)`` array (one level per group). Returns ``(G,)`` for 1-d ``x``
        or ``(G, m)``; NaN for a group without values.
        """
        x = np.asarray(x, dtype=float)
        cols = x.reshape(x.shape[0], -1)
        qq = np.broadcast_to(np.asarray(q, dtype=float), (self.n_groups,))
        out = np.full((self.n_groups, cols.shape[1]), np.nan)
        for v in range(cols.shape[1]):
            col = cols[:, v]
            order = self._column_order(col)
            sv = col[order]
            n_valid = np.bincount(self.codes[~np.isnan(col)], minlength=self.n_groups)
            ok = n_valid > 0
            pos = qq * np.maximum(n_valid - 1, 0)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, np.maximum(n_valid - 1, 0))
            frac = pos - lo
            a = sv[np.where(ok, self.starts + lo, 0)]
            b = sv[np.where(ok, self.starts + hi, 0)]
            out[:, v] = np.where(ok, a + frac * (b - a), np.nan)
        return out.reshape((self.n_groups,) + x.shape[1:])
