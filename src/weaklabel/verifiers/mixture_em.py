"""The EM steps of :class:`~weaklabel.verifiers.mixture.ScoreMixture`: the E-step (each
candidate's P(correct) and log-likelihood under the current parameters) and the closed-form
M-step (class balance, per-question priors and offsets, separations, noise covariance, the
two-valued verifiers' yes-rates).

Apart from the estimator (hyper-parameters, the EM loop, orientation, prediction, state) so that
the algebra of one iteration, stated in :mod:`~weaklabel.verifiers.mixture`'s docstring, reads
in one place. These are functions of the estimator ``mix``: they read its hyper-parameters and
current parameters, and :func:`m_step` writes the new parameters into it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._groups import Groups
from .gaussian import marginal_solve

EPS = 1e-9
LOGIT_CLIP = 30.0


# ------------------------------------------------------------------ E-step
def posterior(mix, X, obs, offsets, logit_prior) -> tuple[np.ndarray, np.ndarray]:
    """``(P(correct), log p(x))`` per row, given row offsets and row prior log-odds."""
    g = mix.gaussian_
    n = X.shape[0]
    llr = np.zeros(n)
    lp0 = np.zeros(n)
    if g.any():
        Og = obs[:, g]
        d = mix.delta_[g]
        U0 = np.where(Og, X[:, g] - offsets[:, g], 0.0)         # residual under c = 0
        if mix.covariance == "diag":
            var = np.diag(mix.cov_)
            W = np.where(Og, d / var, 0.0)
            SU = U0 / var
            logdet = np.where(Og, np.log(var), 0.0).sum(axis=1)
        else:
            A = np.stack([np.broadcast_to(d, U0.shape), U0], axis=2)
            S, logdet = marginal_solve(mix._precision, mix._logdet, A, Og)
            W, SU = S[:, :, 0], S[:, :, 1]                       # Sigma_oo^-1 delta_o, Sigma_oo^-1 u_o
        llr += (W * (U0 - d / 2.0) * mix.feature_weights_[g]).sum(axis=1)
        lp0 += -0.5 * ((U0 * SU).sum(axis=1) + logdet + Og.sum(axis=1) * np.log(2 * np.pi))
    b = ~g
    if b.any():
        Ob, yes = obs[:, b], X[:, b] > 0.5
        p0 = np.clip(mix.p_yes_[b, 0], EPS, 1 - EPS)
        p1 = np.clip(mix.p_yes_[b, 1], EPS, 1 - EPS)
        llr += (np.where(Ob, np.where(yes, np.log(p1 / p0), np.log((1 - p1) / (1 - p0))), 0.0)
                * mix.feature_weights_[b]).sum(axis=1)
        lp0 += np.where(Ob, np.where(yes, np.log(p0), np.log1p(-p0)), 0.0).sum(axis=1)
    a = logit_prior + llr
    r = expit(np.clip(a, -LOGIT_CLIP, LOGIT_CLIP))
    ll = lp0 - np.logaddexp(0.0, logit_prior) + np.logaddexp(0.0, a)
    return r, ll


# ------------------------------------------------------------------ M-step
def question_prior(mix, r, groups: Groups, pi: float) -> np.ndarray:
    """Each question's P(correct), shrunk towards ``pi`` by ``prior_strength`` pseudo-candidates."""
    if mix.prior == "global":
        return np.full(groups.n_groups, pi)
    s = mix.prior_strength
    return (groups.sum(r) + s * pi) / (groups.sizes + s)


def question_offsets(mix, Xg, Og, r, groups: Groups, delta, base) -> np.ndarray:
    """Per-question offsets ``(G, k)`` of the continuous verifiers given the posteriors."""
    resid = np.where(Og, Xg - delta[None, :] * r[:, None], np.nan)
    lam = mix.offset_strength
    return (groups.sum(resid) + lam * base[None, :]) / (groups.count(resid) + lam)


def covariance(mix, E, Og, r, delta, total_var) -> np.ndarray:
    """Residual covariance from the available pairs, plus the posterior-uncertainty term."""
    Of = Og.astype(float)
    v = r * (1 - r)
    N = Of.T @ Of
    C = E.T @ E + np.outer(delta, delta) * (Of.T @ (Of * v[:, None]))
    S = C / np.maximum(N, 1.0)
    floor = mix.var_floor * total_var
    if mix.covariance == "diag":
        return np.diag(np.maximum(np.diag(S), floor))
    S = 0.5 * (S + S.T)
    d = np.maximum(np.diag(S), floor)
    S = (1 - mix.shrinkage) * S + mix.shrinkage * np.diag(d)
    scale = np.sqrt(d)
    Rm = S / np.outer(scale, scale)                              # correlation form
    w, V = np.linalg.eigh(Rm)
    w = np.maximum(w, mix.var_floor)
    Rm = (V * w) @ V.T
    return Rm * np.outer(scale, scale)


def m_step(mix, X, obs, r, groups: Groups, fixed_pi: float | None):
    """New parameters written into ``mix`` from the posteriors ``r``; returns the class balance,
    the questions' priors ``(G,)`` and offsets ``(G, m)``."""
    g = mix.gaussian_
    m = X.shape[1]
    pi = float(np.clip(r.mean(), 1e-4, 1 - 1e-4)) if fixed_pi is None else fixed_pi
    qprior = question_prior(mix, r, groups, pi)
    q_off = np.zeros((groups.n_groups, m))
    if g.any():
        Xg, Og = X[:, g], obs[:, g]
        R = np.where(Og, r[:, None], 0.0)
        if mix.question_effects:
            cnt = np.maximum(groups.count(np.where(Og, Xg, np.nan)), 1)
            xq = groups.sum(np.where(Og, Xg, np.nan)) / cnt            # question means
            rq = groups.sum(np.where(Og, R, np.nan)) / cnt
            xc = np.where(Og, Xg - groups.broadcast(xq), 0.0)
            rc = np.where(Og, R - groups.broadcast(rq), 0.0)
            delta = (rc * xc).sum(axis=0) / np.maximum((rc * rc + R * (1 - R)).sum(axis=0), EPS)
            base = np.nanmean(np.where(Og, Xg - delta * R, np.nan), axis=0)
            off = question_offsets(mix, Xg, Og, r, groups, delta, base)
            mu_row = groups.broadcast(off)
        else:
            w1 = R.sum(axis=0)
            w0 = Og.sum(axis=0) - w1
            m1 = (R * np.where(Og, Xg, 0.0)).sum(axis=0) / np.maximum(w1, EPS)
            m0 = ((Og - R) * np.where(Og, Xg, 0.0)).sum(axis=0) / np.maximum(w0, EPS)
            delta, base = m1 - m0, m0
            off = np.broadcast_to(base, (groups.n_groups, base.size))
            mu_row = base[None, :]
        E = np.where(Og, Xg - mu_row - delta * R, 0.0)
        mix._set_cov(covariance(mix, E, Og, r, delta, mix._total_var[g]))
        mix.delta_[g], mix.offset_[g] = delta, base
        mix.sigma_[g] = np.sqrt(np.diag(mix.cov_))
        q_off[:, g] = off
    b = ~g
    if b.any():
        Ob = obs[:, b]
        R = np.where(Ob, r[:, None], 0.0)
        yes = Ob & (np.nan_to_num(X[:, b]) > 0.5)
        a = mix.smoothing
        mix.p_yes_[b, 1] = ((R * yes).sum(axis=0) + a * 0.5) / (R.sum(axis=0) + a)
        mix.p_yes_[b, 0] = (((Ob - R) * yes).sum(axis=0) + a * 0.5) / ((Ob - R).sum(axis=0) + a)
    return pi, qprior, q_off
