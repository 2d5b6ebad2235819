"""Gaussian algebra for :class:`~weaklabel.verifiers.mixture.ScoreMixture` with a full
covariance: the likelihood of a row's observed verifiers when some are missing, for many
missing patterns at once."""

from __future__ import annotations

import numpy as np


def marginal_solve(precision: np.ndarray, logdet_cov: float, A: np.ndarray, obs: np.ndarray):
    """For each row ``i``: ``Sigma_oo^-1 a_o`` (observed entries; zeros elsewhere) and
    ``log det Sigma_oo``, where ``o`` are the row's observed verifiers and ``Sigma`` the full
    covariance (given by its inverse ``precision`` and ``log det Sigma``).

    ``A`` is ``(n, k)`` or ``(n, k, r)`` (``r`` right-hand sides per row). Uses the Schur
    complement ``Sigma_oo^-1 = L_oo - L_om L_mm^-1 L_mo`` (``L`` the precision): rows with
    ``c`` missing verifiers need one ``c x c`` solve each, batched over the rows with the same
    ``c``, so the cost is ``O(n k^2)`` however many distinct missing patterns there are."""
    squeeze = A.ndim == 2
    A3 = A[:, :, None] if squeeze else A
    n, k, r = A3.shape
    At = np.where(obs[:, :, None], A3, 0.0)
    B = np.einsum("jl,ilr->ijr", precision, At)            # L a~ (a~ = a with zeros where missing)
    out = B.copy()
    logdet = np.full(n, float(logdet_cov))
    n_miss = k - obs.sum(axis=1)
    for c in np.unique(n_miss):
        if c == 0:
            continue
        rows = np.flatnonzero(n_miss == c)
        # missing positions of each row, in increasing order
        M = np.argsort(obs[rows], axis=1, kind="stable")[:, :c]          # (n_c, c)
        Lmm = precision[M[:, :, None], M[:, None, :]]                  # (n_c, c, c)
        Bm = np.take_along_axis(B[rows], M[:, :, None], axis=1)         # (n_c, c, r)
        Z = np.linalg.solve(Lmm, Bm)                                    # (n_c, c, r)
        Lkm = precision[:, M].transpose(1, 0, 2)                        # (n_c, k, c)
        out[rows] -= np.einsum("ikc,icr->ikr", Lkm, Z)
        logdet[rows] += np.linalg.slogdet(Lmm)[1]
    out = np.where(obs[:, :, None], out, 0.0)
    return (out[:, :, 0] if squeeze else out), logdet
