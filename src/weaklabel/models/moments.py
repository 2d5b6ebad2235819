"""Label models fitted from agreement statistics: one pass over the data, then work in (m K)^2.

:class:`MatrixCompletion` (Snorkel/MeTaL-style moment matching) and :class:`Triplet`
(FlyingSquid-style closed form) both start from the co-occurrence matrix of one-hot votes
``O[j*K + v, l*K + w]`` (rows on which LF ``j`` voted ``v`` and LF ``l`` voted ``w``), built by
one parallel Numba pass (:func:`weaklabel.models._kernels.pair_counts`, which sums the
majority-vote initialisation in the same pass). Fitting then costs nothing in the number of
rows. Both predict through the shared factorised scorer.
"""

from __future__ import annotations

import numpy as np

from ._factorized import FactorizedModel
from .stats import MAX_MK, as_stats  # noqa: F401  (MAX_MK re-exported)
from .base import Interval, Options, check_class_balance, gold_class_balance, register
from .dawid_skene import ABSTAIN_MODES
from .moment_checks import (MIN_COVOTES, UNIDENTIFIED_WARN_SHARE, degenerate_fit, fall_back,  # noqa: F401
                            fallback_note, majority_state, unidentified_note)


def agreement_stats(L) -> np.ndarray:
    """``(m K, m K)`` int64 co-occurrence counts of one-hot votes (one pass over the rows)."""
    return as_stats(L).pair_counts()


def onecoin_confusion(O4: np.ndarray, min_overlap: int = 10, identified: list | None = None) -> np.ndarray:
    """``(m, K, K)`` one-coin confusion matrices from the agreement statistics, in closed form.

    ``O4[j, v, l, w]`` are co-vote counts. See :class:`Triplet` for the identity used. LFs that
    only ever vote one class agree or disagree with the others by construction, which says
    nothing about their accuracy: they are left out of the triplets and get a neutral prior
    accuracy (their votes then count like a weighted majority vote).
    """
    K = O4.shape[1]
    multipolar = (O4.sum(axis=(2, 3)) > 0).sum(axis=1) > 1
    N = O4.sum(axis=(1, 3)) * np.outer(multipolar, multipolar)
    agree = np.einsum("jvlv->jl", O4) / np.maximum(N, 1)
    M = (K * agree - 1.0) / (K - 1)
    c = Triplet._centred_accuracy(M, N, min_overlap)
    if identified is not None:  # the caller wants to know which accuracies are estimates
        identified.append(~np.isnan(c))
    acc = np.where(np.isnan(c), 1.0 / K + 0.5 * (1 - 1.0 / K), (1 + (K - 1) * c) / K)
    acc = np.clip(acc, 1e-3, 1 - 1e-3)
    conf = np.repeat(((1 - acc) / (K - 1))[:, None, None], K, axis=1).repeat(K, axis=2)
    idx = np.arange(K)
    conf[:, idx, idx] = acc[:, None]
    return conf


def balance_from_vote_rates(data, conf: np.ndarray) -> np.ndarray:
    """Class balance that best explains each LF's vote distribution given its confusion matrix.

    Each LF's votes are distributed as ``conf_j^T P``; weighted non-negative least squares over
    the LFs (weights: their vote counts). First moments pin the balance down far better than the
    pairwise terms of moment matching do.
    """
    from scipy.optimize import nnls

    m, K = data.n_lfs, data.cardinality
    votes = data.lf_counts().astype(float)
    w = votes.sum(axis=1)
    rates = votes / np.maximum(w, 1)[:, None]
    A = (conf.transpose(0, 2, 1) * np.sqrt(w)[:, None, None]).reshape(m * K, K)
    b = (rates * np.sqrt(w)[:, None]).reshape(m * K)
    P, _ = nnls(A, b)
    P = np.clip(P, 1e-3, None)
    return P / P.sum()


@register
class MatrixCompletion(FactorizedModel):
    """Moment matching on LF agreement statistics (Snorkel / MeTaL style), torch-free.

    Fits ``mu[j*K + v, k] = P(LF j votes v | y = k)`` so that for every pair of different LFs
    the model's co-vote rates ``mu diag(P) mu^T`` match the observed ones, with the marginals
    ``mu P = P(LF j votes v)`` as a second term and a small pull towards the majority-vote
    initialisation. Solved with scipy's L-BFGS-B (bounded in [0, 1]); the label permutation is
    fixed afterwards with an assignment solver (no k! search).

    Parameters
    ----------
    abstain:
        How predictions use abstains: ``"auto"`` (modelled for single-class LFs), ``"ignore"``
        or ``"model"`` (see :class:`~weaklabel.models.DawidSkene`).
    class_balance:
        Fixed class balance; otherwise estimated from majority vote and refined once from the
        fitted model's posteriors.
    l2:
        Strength of the pull towards the initialisation (relative to the data terms).
    max_iter:
        L-BFGS-B iterations.
    """

    _parameter_constraints = {
        "abstain": [Options(*ABSTAIN_MODES)],
        "class_balance": [None, "probabilities"],
        "l2": [Interval("real", 0, None)],
        "max_iter": [Interval("int", 1, None)],
        "random_state": [None, "random_state"],
    }

    def __init__(self, abstain: str = "auto", class_balance=None, l2: float = 1e-3, max_iter: int = 500,
                 random_state: int | None = 0):
        self.abstain = abstain
        self.class_balance = class_balance
        self.l2 = l2
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, data, y: np.ndarray | None) -> None:
        from scipy.optimize import linear_sum_assignment, minimize

        K, m, n = data.cardinality, data.n_lfs, data.n_rows
        fixed = check_class_balance(self.class_balance, K)
        pairs = data.pair_counts()   # the rules below compare the int counts: (10 / 77) * 77 < 10
        O = pairs / n
        mk = m * K
        lf_of = np.repeat(np.arange(m), K)
        mask = (lf_of[:, None] != lf_of[None, :]).astype(float)
        marg = np.diag(O).copy()
        # initialisation from majority-vote soft labels (fixes the permutation in practice)
        S, T = data.majority_stats(y)
        mu0 = (S / np.maximum(T, 1e-9)[None, :, None]).transpose(0, 2, 1).reshape(mk, K)
        mu0 = np.clip(mu0, 1e-4, 1 - 1e-4)
        gold = gold_class_balance(y, K)
        if fixed is not None or gold is not None:
            P = fixed if fixed is not None else gold
        else:
            # the pairwise terms barely identify the class balance (a per-class trade-off between
            # P and the accuracies fits them as well), so it is estimated first, from the LFs'
            # vote rates under closed-form one-coin accuracies, and held fixed
            P = balance_from_vote_rates(data, onecoin_confusion(O.reshape(m, K, m, K) * n))
        scale = max(float(np.sum((O * mask) ** 2) + np.sum(marg ** 2)), 1e-300)  # data terms O(1)

        def objective(flat, Pc):
            mu = flat.reshape(mk, K)
            R = mask * (mu @ (Pc[:, None] * mu.T) - O)
            r = mu @ Pc - marg
            d = mu - mu0
            f = (np.sum(R * R) + np.sum(r * r)) / scale + self.l2 * np.sum(d * d)
            g = (4.0 * (R @ mu) * Pc[None, :] + 2.0 * r[:, None] * Pc[None, :]) / scale + 2.0 * self.l2 * d
            return f, g.ravel()

        if mk == 0:  # no LFs: nothing to optimise (the model predicts the class balance)
            mu, it_total, converged = mu0.reshape(0, K), 0, True
        else:
            res = minimize(objective, mu0.ravel(), args=(P,), jac=True, method="L-BFGS-B",
                           bounds=[(1e-6, 1.0)] * (mk * K),
                           options={"maxiter": self.max_iter, "ftol": 1e-14, "gtol": 1e-10})
            mu = res.x.reshape(mk, K)
            it_total, converged = int(res.nit), bool(res.success)
        # symmetry: latent column k is the class the LFs vote most under it
        votes_under = mu.reshape(m, K, K).sum(axis=0)  # [v, k]: total P(vote v | latent k)
        rows, cols = linear_sum_assignment(-votes_under * P[None, :])
        perm = np.empty(K, dtype=int)
        perm[rows] = cols  # class v is latent column perm[v]
        mu = mu[:, perm]
        if fixed is None and gold is None:
            P = P[perm]
        # else the balance belongs to the classes as the user (or the gold rows) gave it: a fit that
        # put a large class in another latent column is re-aligned by its votes, not by the prior
        self._install(data, mu, P)
        self.mu_ = mu
        self.n_iter_ = it_total
        self.converged_ = converged
        self.log_likelihood_ = float("nan")
        self._fallback_note = None   # why the fit fell back to majority vote, for the warnings
        self.__dict__.pop("identified_", None)   # a fallback's only
        why = degenerate_fit(self, data, pairs)
        self._unidentified_note = None if why else unidentified_note("MatrixCompletion", data, pairs)
        if why:
            fall_back(self, data, P if fixed is not None or gold is not None else np.full(K, 1.0 / K), why, fixed, gold)
            self.mu_ = (self.confusion_.transpose(0, 2, 1) * self.propensity_[:, None, :]).reshape(m * K, K)   # same

    def _install(self, data, mu: np.ndarray, P: np.ndarray) -> None:
        m, K = data.n_lfs, data.cardinality
        mu3 = mu.reshape(m, K, K)            # [j, v, k]
        prop = np.clip(mu3.sum(axis=1), 1e-6, 1 - 1e-6)   # P(votes | k)
        conf = mu3.transpose(0, 2, 1) / np.maximum(mu3.sum(axis=1), 1e-12)[:, :, None]  # [j, k, v]
        pol = data.lf_counts() > 0
        unipolar = pol.sum(axis=1) == 1
        if self.abstain == "auto":
            modelled = unipolar
        else:
            modelled = np.full(m, self.abstain == "model")
        # votes an LF never casts get no probability mass
        conf = np.where(pol[:, None, :], conf, 0.0) + 1e-9
        conf /= conf.sum(axis=2, keepdims=True)
        self._set_state(P, conf, prop, modelled)

    _learned = FactorizedModel._learned + ("mu_", "identified_")   # identified_: after a fallback only

    def _uncovered_from_prior(self) -> bool:
        # the agreement moments say nothing about how often an LF fires on a class no LF votes, so
        # with such a class the modelled abstains are a placeholder, not evidence: rows without
        # votes went to a voted class on every one_class and few_multiclass seed (5-50 points below
        # a random guess on them); the rule of models.uncovered applies as for the prior
        return True

    def _validate_learned(self) -> None:
        super()._validate_learned()
        mu = np.asarray(self.mu_, dtype=float)
        if mu.shape != (int(self.n_lfs_) * int(self.cardinality_), int(self.cardinality_)):
            raise ValueError("mu_ must be (n_lfs * K, K)")
        self.mu_ = mu
        if hasattr(self, "identified_"):   # a fallback's (fall_back)
            self.identified_ = np.asarray(self.identified_, dtype=bool).reshape(int(self.n_lfs_))


@register
class Triplet(FactorizedModel):
    """FlyingSquid-style closed-form accuracies from pairwise agreements, for any K.

    Under the one-coin model (LF ``j`` right with probability ``a_j``, errors spread evenly,
    conditionally independent given y) the agreement rate of two LFs on rows both vote on
    satisfies ``(K P(agree) - 1) / (K - 1) = c_j c_l`` with ``c_j = (K a_j - 1) / (K - 1)``,
    whatever the class balance. Each LF's ``|c_j|`` is the median over triplets ``(j, l, o)`` of
    ``sqrt(|M_jl M_jo / M_lo|)``; signs follow the assumption that LFs are better than chance on
    the whole. ``multiclass="ovr"`` instead fits one binary model per class (one-vs-rest) and
    combines the class scores. Class balance from the LFs' vote rates (or given).

    Parameters
    ----------
    multiclass:
        ``"onecoin"`` (default) or ``"ovr"``; identical when K = 2.
    min_overlap:
        Pairs of LFs that co-vote on fewer rows are not used.
    class_balance:
        Fixed class balance.
    """

    _parameter_constraints = {
        "multiclass": [Options("onecoin", "ovr")],
        "min_overlap": [Interval("int", 1, None)],
        "class_balance": [None, "probabilities"],
        "random_state": [None, "random_state"],
    }

    _learned = FactorizedModel._learned + ("identified_",)

    def __init__(self, multiclass: str = "onecoin", min_overlap: int = 10, class_balance=None,
                 random_state: int | None = 0):
        self.multiclass = multiclass
        self.min_overlap = min_overlap
        self.class_balance = class_balance
        self.random_state = random_state

    @staticmethod
    def _centred_accuracy(M: np.ndarray, N: np.ndarray, min_overlap: int) -> np.ndarray:
        """Median-over-triplets ``c_j`` from the pairwise ``M`` (m x m) and co-vote counts ``N``."""
        m = M.shape[0]
        ok = (N >= min_overlap) & ~np.eye(m, dtype=bool)
        c = np.full(m, np.nan)
        absM = np.abs(M)
        for j in range(m):
            nb = np.flatnonzero(ok[j])
            if nb.size < 2:
                continue
            sub_ok = ok[np.ix_(nb, nb)] & (absM[np.ix_(nb, nb)] > 1e-3)
            a, b = np.nonzero(np.triu(sub_ok, 1))
            if a.size == 0:
                continue
            est = absM[j, nb[a]] * absM[j, nb[b]] / absM[nb[a], nb[b]]
            c[j] = np.sqrt(np.median(est))
        # signs: agree with the co-vote-weighted majority of the other LFs
        filled = np.where(np.isnan(c), 0.0, np.clip(c, 0, 1))
        sign = np.sign((np.where(ok, M * N, 0.0) @ filled))
        sign[sign == 0] = 1.0
        c = np.where(np.isnan(c), np.nan, np.clip(c, 0.0, 0.999) * sign)
        return c

    def _fit(self, data, y: np.ndarray | None) -> None:
        K, m = data.cardinality, data.n_lfs
        fixed = check_class_balance(self.class_balance, K)
        O4 = data.pair_counts().reshape(m, K, m, K).astype(float)   # [j, v, l, w]
        N = O4.sum(axis=(1, 3))
        prop = np.clip(data.lf_counts().sum(axis=1) / data.n_rows, 1e-6, 1 - 1e-6)
        prop = np.repeat(prop[:, None], K, axis=1)
        found: list = []
        if self.multiclass == "onecoin" or K == 2:
            conf = onecoin_confusion(O4, self.min_overlap, found)
        else:
            conf = np.zeros((m, K, K))
            for cls in range(K):
                # binary view: +1 = votes cls, -1 = votes another class
                pos = O4[:, cls, :, cls]
                both_other = O4.sum(axis=(1, 3)) - O4[:, cls, :, :].sum(axis=2) - O4[:, :, :, cls].sum(axis=1) + pos
                agree = (pos + both_other) / np.maximum(N, 1)
                c = self._centred_accuracy(2 * agree - 1, N, self.min_overlap)
                found.append(~np.isnan(c))
                a = np.clip(np.where(np.isnan(c), 0.75, (1 + c) / 2), 1e-3, 1 - 1e-3)
                # P(vote cls | y = cls) = a, P(vote cls | y != cls) = 1 - a (spread below)
                conf[:, cls, cls] += a
                for other in range(K):
                    if other != cls:
                        conf[:, other, cls] += (1 - a) / (K - 1)
            conf = np.clip(conf, 1e-6, None)
            conf /= conf.sum(axis=2, keepdims=True)
        gold = gold_class_balance(y, K)
        P = fixed if fixed is not None else gold if gold is not None else balance_from_vote_rates(data, conf)
        self._set_state(P, conf, prop, np.zeros(m, dtype=bool))
        # an LF is identified when its accuracy came out of the triplets (for every class, ovr)
        self.identified_ = np.logical_and.reduce(found) if found else np.ones(m, dtype=bool)
        self._fallback_note = None   # why the fit fell back to majority vote, for the warnings
        why = degenerate_fit(self, data, O4.reshape(m * K, m * K))
        self.n_iter_, self.converged_, self.log_likelihood_ = 0, True, float("nan")
        if why:   # identified_ all false then: also the LFs the triplets found (min_overlap below 10)
            fall_back(self, data, P if fixed is not None or gold is not None else np.full(K, 1.0 / K), why, fixed, gold)

    def _validate_learned(self) -> None:
        super()._validate_learned()
        ident = np.asarray(getattr(self, "identified_", np.ones(int(self.n_lfs_), dtype=bool)), dtype=bool)
        if ident.shape != (int(self.n_lfs_),):
            raise ValueError("identified_ must have one entry per LF")
        self.identified_ = ident
