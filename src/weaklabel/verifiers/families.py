"""Verifier families: groups of verifiers that share their errors, found from the scores alone.

Judges built on one base model, or reward models trained on the same data, agree with each other
beyond what their accuracy explains. A conditionally independent label model reads that
agreement as accuracy: three weak copies look like three strong, independent witnesses and
outvote everyone else. :class:`FamilyDetector` finds such families and says how much each
member should count.

Within a question (scores centred per question, so that difficulty offsets shared by all
verifiers do not count as agreement), the correlation of verifiers ``v`` and ``w`` under a
conditionally independent model is one factor, ``C_vw = l_v l_w``: both track correctness,
with loadings ``l_v``. Each loading is estimated robustly from triplets (FlyingSquid-style:
``l_v^2 = C_vw C_vu / C_wu``, the median over pairs ``w, u`` outside ``v``'s family), so that a
family's inflated correlations do not raise its own loadings. The **residual (partial)
correlation** given the latent correctness is

    R_vw = (C_vw - l_v l_w) / sqrt((1 - l_v^2) (1 - l_w^2)),

near zero for independent verifiers and the share of noise a family has in common for its
members. Verifiers are clustered by average linkage on ``R`` and cut at ``threshold``; the
detection is repeated once with the first families' pairs left out of the loadings.

Each member of a family of size ``s`` with mean residual correlation ``rho`` gets the weight
``1 / (1 + (s - 1) rho)``: the design effect of ``s`` correlated draws (``s`` copies with
``rho = 1`` count once in total; independent verifiers count once each). The label model
multiplies each verifier's log-likelihood ratio by its weight.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ._base import VerifierEstimator
from ._groups import Groups
from .filtering import within_question_correlation


def one_factor_loadings(C: np.ndarray, usable: np.ndarray, min_corr: float = 0.05) -> np.ndarray:
    """Loadings ``l`` of the one-factor model ``C_vw = l_v l_w`` from the median triplet
    estimate over the pairs ``w, u`` (``w != u``) with ``usable[v, w] & usable[v, u] &
    usable[w, u]`` and ``|C_wu| >= min_corr``. Signs from the leading eigenvector of ``C``."""
    m = C.shape[0]
    absl = np.zeros(m)
    for v in range(m):
        w_ok = usable[v].copy()
        w_ok[v] = False
        idx = np.flatnonzero(w_ok)
        if idx.size < 2:
            continue
        num = np.abs(np.outer(C[v, idx], C[v, idx]))
        den = np.abs(C[np.ix_(idx, idx)])
        ok = usable[np.ix_(idx, idx)] & (den >= min_corr) & ~np.eye(idx.size, dtype=bool)
        if not ok.any():
            continue
        est = num[ok] / den[ok]
        absl[v] = np.sqrt(min(float(np.median(est)), 0.98))
    _, vecs = np.linalg.eigh(np.where(np.isfinite(C), C, 0.0))
    sign = np.sign(vecs[:, -1])
    if sign.sum() < 0:
        sign = -sign
    return absl * np.where(sign == 0, 1.0, sign)


def residual_correlation(C: np.ndarray, loadings: np.ndarray) -> np.ndarray:
    """Partial correlations given the factor (see module docstring); 1 on the diagonal."""
    u = np.sqrt(np.clip(1.0 - loadings ** 2, 1e-3, None))
    R = (C - np.outer(loadings, loadings)) / np.outer(u, u)
    R = np.clip(R, -1.0, 1.0)
    np.fill_diagonal(R, 1.0)
    return R


def _cluster(R: np.ndarray, active: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters of the active verifiers with mean residual correlation above
    ``threshold``: a family id per verifier (``-1``: alone or inactive)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    m = R.shape[0]
    labels = np.full(m, -1)
    idx = np.flatnonzero(active)
    if idx.size < 2:
        return labels
    D = 1.0 - R[np.ix_(idx, idx)]
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    Z = linkage(squareform(np.clip(D, 0.0, 2.0), checks=False), method="average")
    cl = fcluster(Z, t=1.0 - threshold, criterion="distance")
    fam = 0
    for c in np.unique(cl):
        members = idx[cl == c]
        if members.size >= 2:
            labels[members] = fam
            fam += 1
    return labels


class FamilyDetector(VerifierEstimator):
    """Find verifier families from within-question correlations (see module docstring).

    Parameters
    ----------
    threshold:
        Smallest mean residual correlation of a family (average linkage cut).
    min_pairs:
        Pairs of verifiers that scored fewer common candidates are not compared.
    min_corr:
        Triplet estimates divide by ``|C_wu|``; pairs correlated less than this are left out.

    Learned: ``loadings_`` (m,), ``residual_corr_`` (m, m), ``labels_`` (m,) family id per
    verifier (``-1`` = none), ``families_`` (list of member index lists), ``family_corr_`` (mean
    residual correlation per family), ``weights_`` (m,) each verifier's design-effect weight.
    """

    def __init__(self, threshold: float = 0.2, min_pairs: int = 30, min_corr: float = 0.05):
        self.threshold = threshold
        self.min_pairs = min_pairs
        self.min_corr = min_corr



    def _check(self) -> None:
        if not 0 < float(self.threshold) < 1:
            raise InputError(f"family threshold must be in (0, 1), got {self.threshold!r}")
        if int(self.min_pairs) < 3 or not 0 < float(self.min_corr) < 1:
            raise InputError("min_pairs must be >= 3 and min_corr in (0, 1)")

    def fit(self, U: np.ndarray, groups: Groups, active=None) -> "FamilyDetector":
        """``U``: normalised scores ``(n, m)`` (NaN = missing); ``active``: verifiers that may
        join a family (default all; dropped verifiers stay alone)."""
        self._check()
        U = np.asarray(U, dtype=float)
        m = U.shape[1]
        active = np.ones(m, dtype=bool) if active is None else np.asarray(active, dtype=bool)
        C, pairs = within_question_correlation(U, groups)
        usable = (pairs >= int(self.min_pairs)) & active[:, None] & active[None, :]
        labels = np.full(m, -1)
        for _ in range(2):
            same = (labels[:, None] == labels[None, :]) & (labels[:, None] >= 0)
            load = one_factor_loadings(C, usable & ~same, float(self.min_corr))
            R = residual_correlation(C, load)
            R = np.where(usable, R, 0.0)
            np.fill_diagonal(R, 1.0)
            new = _cluster(R, active, float(self.threshold))
            if np.array_equal(new, labels):
                break
            labels = new
        self.loadings_ = load
        self.residual_corr_ = R
        self.labels_ = labels
        self.families_ = [np.flatnonzero(labels == f).tolist() for f in range(int(labels.max()) + 1)]
        self.family_corr_ = []
        w = np.ones(m)
        for members in self.families_:
            sub = R[np.ix_(members, members)]
            s = len(members)
            rho = float(np.clip((sub.sum() - s) / (s * (s - 1)), 0.0, 1.0))
            self.family_corr_.append(rho)
            w[members] = 1.0 / (1.0 + (s - 1) * rho)
        self.weights_ = w
        return self

    def to_dict(self) -> dict:
        return {"params": self.json_params(), "labels": self.labels_.tolist(), "weights": self.weights_.tolist(),
                "family_corr": list(self.family_corr_), "loadings": self.loadings_.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "FamilyDetector":
        self = cls(**d["params"])
        self._check()
        self.labels_ = np.asarray(d["labels"], dtype=np.int64)
        self.weights_ = np.asarray(d["weights"], dtype=float)
        self.loadings_ = np.asarray(d["loadings"], dtype=float)
        self.family_corr_ = [float(x) for x in d["family_corr"]]
        m = self.labels_.size
        if self.weights_.shape != (m,) or self.loadings_.shape != (m,) or np.any(self.weights_ <= 0):
            raise ValueError("family state: per-verifier arrays differ in length or weights are not positive")
        self.families_ = [np.flatnonzero(self.labels_ == f).tolist() for f in range(int(self.labels_.max()) + 1)]
        if len(self.family_corr_) != len(self.families_):
            raise ValueError("family state: one correlation per family expected")
        self.residual_corr_ = None
        return self
