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



#: an LF sharing fewer voted rows than this with all other LFs together tells a moment fit nothing
#: about its accuracy (the same count :class:`Triplet` asks of each pair)
MIN_COVOTES = 10


def degenerate_fit(model, data, pairs: np.ndarray) -> str | None:
    """Why a moment fit cannot be trusted, or ``None``: no LF shares ``MIN_COVOTES`` voted rows with
    the others, so nothing identifies any accuracy. ``pairs``: the ``(m K, m K)`` co-vote counts.

    Fits that put most accuracies at 0 or 1, or nearly every covered row in one class, are only
    warned about (``diagnostics.fit_warnings``), not replaced: precise rules are truly right ~100%
    of the time (a `few_sources` tuning seed: boundary accuracies, 5.8 points above majority vote),
    and where one class truly dominates (`catch_all`) collapsed-looking fits were 4-8 points above
    it (PROTOCOL.md §33).

    Why. Keyword LFs that almost never fire together (frozen sentiment rules on tweets or news,
    PROTOCOL.md §31) leave the agreement statistics empty; the fit then follows the LFs' vote rates
    alone, and on 8 such sets it ended 0.3-19 points below majority vote, twice with no warning."""
    m, K = data.n_lfs, data.cardinality
    N = pairs.reshape(m, K, m, K).sum(axis=(1, 3))
    votes = np.diag(N).copy()
    voting = votes > 0
    if not voting.any():
        return None
    if not np.any(voting & (N.sum(axis=1) - votes >= MIN_COVOTES)):
        return (f"cannot estimate any LF's accuracy: no LF shares {MIN_COVOTES} or more voted rows with the "
                f"other LFs, so the agreements it fits are empty")
    return None


#: warn when the LFs below ``MIN_COVOTES`` cast at least this share of the votes (a few rare workers
#: in a large crowd are not worth a warning; a third of the votes is)
UNIDENTIFIED_WARN_SHARE = 0.10


def unidentified_note(name: str, data, pairs: np.ndarray) -> str | None:
    """A warning naming the voting LFs that share fewer than ``MIN_COVOTES`` voted rows with the
    others, when they cast at least ``UNIDENTIFIED_WARN_SHARE`` of the votes; else ``None``.

    Why. Where some LFs overlap and most do not, the fit is not replaced (:func:`degenerate_fit`),
    but the lonely LFs' accuracies then follow their vote rates only: on the VADER movie snippets
    with the second writer's imdb LFs (11 of 14 LFs, 38% of the votes) `mc` ended 22 points below
    majority vote with nothing said (PROTOCOL.md §33)."""
    m, K = data.n_lfs, data.cardinality
    N = pairs.reshape(m, K, m, K).sum(axis=(1, 3))
    votes = np.diag(N).copy()
    lonely = (votes > 0) & (N.sum(axis=1) - votes < MIN_COVOTES)
    share = float(votes[lonely].sum() / max(votes.sum(), 1))
    if not lonely.any() or share < UNIDENTIFIED_WARN_SHARE:
        return None
    idx = np.flatnonzero(lonely)
    names = ", ".join(str(data.lf_names[j]) for j in idx[:5]) + (f" and {idx.size - 5} more" if idx.size > 5 else "")
    return (f"{name} cannot check the accuracy of {idx.size} LF(s) casting {share:.0%} of the votes ({names}): each "
            f"shares fewer than {MIN_COVOTES} voted rows with the other LFs, so their accuracies follow their vote "
            f"rates, not agreements (compare with --model majority or auto)")


def majority_state(data) -> tuple[np.ndarray, np.ndarray]:
    """``(confusion, propensity)`` of a one-coin state with one neutral accuracy for every LF: with
    abstains ignored, its labels are majority vote's (ties stay ties)."""
    m, K = data.n_lfs, data.cardinality
    acc = 1.0 / K + 0.5 * (1 - 1.0 / K)
    conf = np.full((m, K, K), (1 - acc) / max(K - 1, 1))
    conf[:, np.arange(K), np.arange(K)] = acc
    rate = np.clip(data.lf_counts().sum(axis=1) / max(data.n_rows, 1), 1e-6, 1 - 1e-6)
    return conf, np.repeat(rate[:, None], K, axis=1)


def fallback_note(name: str, why: str, fixed, gold) -> str:
    """The warning of a moment fit replaced by majority vote (``diagnostics.fit_warnings`` prints it)."""
    balance = "the given" if fixed is not None else "the gold rows'" if gold is not None else "equal"
    return (f"{name} {why}: it falls back to majority vote (every LF equally accurate, {balance} class balance), "
            f"and its accuracies are not estimates (try --model auto)")


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
        O = data.pair_counts() / n
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
        why = degenerate_fit(self, data, O * n)
        self._unidentified_note = None if why else unidentified_note("MatrixCompletion", data, O * n)
        if why:
            self._fall_back_to_majority(data, P if fixed is not None or gold is not None else np.full(K, 1.0 / K))
            self._fallback_note = fallback_note("MatrixCompletion", why, fixed, gold)

    def _fall_back_to_majority(self, data, P: np.ndarray) -> None:
        conf, prop = majority_state(data)
        self._set_state(np.asarray(P, dtype=float), conf, prop, np.zeros(data.n_lfs, dtype=bool))
        m, K = data.n_lfs, data.cardinality
        self.mu_ = (conf.transpose(0, 2, 1) * prop[:, None, :]).reshape(m * K, K)   # the same state

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

    _learned = FactorizedModel._learned + ("mu_",)

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
        if why:
            conf, prop = majority_state(data)
            self._set_state(P if fixed is not None or gold is not None else np.full(K, 1.0 / K), conf, prop,
                            np.zeros(m, dtype=bool))
            self._fallback_note = fallback_note("Triplet", why, fixed, gold)
        self.n_iter_ = 0
        self.converged_ = True
        self.log_likelihood_ = float("nan")

    def _validate_learned(self) -> None:
        super()._validate_learned()
        ident = np.asarray(getattr(self, "identified_", np.ones(int(self.n_lfs_), dtype=bool)), dtype=bool)
        if ident.shape != (int(self.n_lfs_),):
            raise ValueError("identified_ must have one entry per LF")
        self.identified_ = ident
