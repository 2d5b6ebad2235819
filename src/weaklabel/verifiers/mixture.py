"""The continuous label model: a two-class mixture over raw (normalised) verifier scores.

Binarising a reward model's score throws information away. :class:`ScoreMixture` models the
scores themselves. Given whether a candidate is correct (``c = 1``) or not:

* the **continuous** verifiers (Gaussian block) score ``x = b_q + delta * c + e`` with
  ``e ~ N(0, Sigma)``. ``delta_v`` is verifier ``v``'s separation (negative for an inverted
  verifier, zero for a useless one) and ``b_qv`` an offset per question (``question_effects``):
  a reward model that scores every answer to a hard question low shifts ``b_qv``, not the
  evidence about which candidate is right. With ``covariance="diag"`` (default) the verifiers
  are conditionally independent given ``c`` (naive Bayes, the assumption of the vote-based label
  models); with ``covariance="full"`` ``Sigma`` also captures errors verifiers share (a family of
  reward models fooled by the same wrong answers): near-duplicate verifiers then count once
  instead of once per copy. Scores are best given as normal scores (``quantile`` normalisation
  with ``output="normal"``);
* a **two-valued** verifier (a yes/no judge, scores 0/1; Bernoulli emission) says "yes" with
  probability ``p_v1`` on correct and ``p_v0`` on incorrect candidates, independently of the
  others given ``c``;
* each **question** has its own prior ``pi_q = P(c = 1)`` (``prior="question"``), shrunk towards
  the global class balance by ``prior_strength`` pseudo-candidates: easy questions have mostly
  correct candidates, hard ones few, and a single global prior is wrong for both.

A candidate's log-odds of being correct is ``logit(pi_q) + w' (x - b_q - delta / 2) +
sum_judges LLR_v`` with ``w = Sigma^-1 delta`` restricted to the verifiers that scored it
(missing scores are marginalised: each pattern of missing verifiers gets its own weights).
Within a question the model therefore ranks candidates by a weighted sum of scores, the weights
learned without labels. Fitted by EM with closed-form M-steps (``Sigma`` from the available
pairs of residuals, projected to be positive definite), vectorised numpy over the dense
``(n, m)`` score matrix; rows with a known label (``y`` = 0/1) keep it (semi-supervised).
Prediction on new questions estimates only their own parameters (``pi_q``, ``b_q``) with the
verifier parameters fixed. The E-step and M-step are in :mod:`~weaklabel.verifiers.mixture_em`.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit, logit, ndtr

from ..errors import InputError
from ._base import VerifierEstimator
from ._groups import Groups
from .mixture_em import EPS as _EPS
from .mixture_em import m_step, posterior, question_offsets, question_prior


class ScoreMixture(VerifierEstimator):
    """Two-class mixture of verifier scores with per-question priors, fitted by EM.

    Parameters
    ----------
    covariance:
        ``diag`` (default): the continuous verifiers are conditionally independent given
        correctness (naive Bayes); ``full``: their errors may be correlated.
    prior:
        ``question`` (default): one class prior per question, shrunk towards the global one;
        ``global``: one prior for all.
    prior_strength:
        Pseudo-candidates pulling each question's prior towards the global class balance.
    question_effects:
        Per-question offsets of the continuous verifiers' scores (see module docstring).
    offset_strength:
        Pseudo-candidates pulling a question's offset towards the verifier's mean offset.
    class_balance:
        Fix the global share of correct candidates (default: estimated).
    var_floor:
        Smallest variance (and eigenvalue), as a share of each verifier's total variance.
    shrinkage:
        ``full``: weight of the diagonal in ``Sigma`` (stabilises it with few candidates).
    smoothing:
        Pseudo-counts for the two-valued verifiers' yes-rates.
    max_iter, tol:
        EM stops when the mean log-likelihood per candidate changes by less than ``tol``.

    Learned: ``gaussian_`` (m,) which verifiers are continuous; ``delta_``, ``offset_``,
    ``sigma_`` (m,) their separation, mean offset and noise; ``cov_`` (k, k) the noise covariance
    of the k continuous verifiers; ``p_yes_`` (m, 2) the two-valued verifiers' P(yes | incorrect),
    P(yes | correct); ``class_balance_``; ``auc_`` (m,) each verifier's estimated within-question
    AUC on its own (P(a correct candidate outscores an incorrect one), ties counted half; for a
    yes/no verifier its balanced accuracy); ``accuracies_`` (m,) P(the verifier's own best
    yes/no call is right) at the global class balance; ``weights_`` (m,) each verifier's weight in
    the ranking when every verifier scores (``Sigma^-1 delta`` per unit of normal score; for a
    yes/no verifier the log-likelihood ratio of "yes" over "no"); ``feature_weights_`` (m,) the
    multipliers given to ``fit`` and ``effective_weights_`` = ``weights_ * feature_weights_``
    (what each verifier counts in the posterior); ``question_prior_`` and
    ``question_offset_`` for the fitted questions; ``n_iter_``, ``converged_``,
    ``log_likelihood_``.
    """

    def __init__(self, covariance: str = "diag", prior: str = "question", prior_strength: float = 4.0,
                 question_effects: bool = True, offset_strength: float = 1.0, class_balance: float | None = None,
                 var_floor: float = 1e-3, shrinkage: float = 0.05, smoothing: float = 1.0, max_iter: int = 300,
                 tol: float = 1e-7):
        self.covariance = covariance
        self.prior = prior
        self.prior_strength = prior_strength
        self.question_effects = question_effects
        self.offset_strength = offset_strength
        self.class_balance = class_balance
        self.var_floor = var_floor
        self.shrinkage = shrinkage
        self.smoothing = smoothing
        self.max_iter = max_iter
        self.tol = tol

    # ------------------------------------------------------------------ checks
    def _check(self):
        from .params import real

        if self.covariance not in ("full", "diag"):
            raise InputError(f"covariance must be 'full' or 'diag', got {self.covariance!r}")
        if self.prior not in ("question", "global"):
            raise InputError(f"prior must be 'question' or 'global', got {self.prior!r}")
        if not isinstance(self.question_effects, (bool, np.bool_)):
            raise InputError(f"question_effects must be true or false, got {self.question_effects!r}")
        for name in ("prior_strength", "offset_strength", "smoothing"):
            if real(name, getattr(self, name)) < 0:
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 < real("var_floor", self.var_floor) < 1 or not 0 <= real("shrinkage", self.shrinkage) <= 1:
            raise InputError("var_floor must be in (0, 1) and shrinkage in [0, 1]")
        if self.class_balance is not None and not 0 < real("class_balance", self.class_balance) < 1:
            raise InputError(f"class_balance must be in (0, 1), got {self.class_balance!r}")
        if real("max_iter", self.max_iter, integer=True) < 1 or real("tol", self.tol) <= 0:
            raise InputError(f"max_iter must be >= 1 and tol > 0, got {self.max_iter!r} and {self.tol!r}")

    @staticmethod
    def _is_binary(X: np.ndarray) -> np.ndarray:
        obs = ~np.isnan(X)
        return np.array([np.isin(X[obs[:, v], v], (0.0, 1.0)).all() for v in range(X.shape[1])], dtype=bool)

    # ------------------------------------------------------------------ EM steps (mixture_em.py)
    def _set_cov(self, cov: np.ndarray) -> None:
        self.cov_ = cov
        self._precision = np.linalg.inv(cov)
        self._logdet = float(np.linalg.slogdet(cov)[1])

    # ------------------------------------------------------------------ fit
    def _init_posterior(self, X, obs, groups: Groups) -> np.ndarray:
        """Start from the mean standardised score (verifiers better than chance on the whole: the
        usual weak-supervision assumption), centred within questions with question effects."""
        Z = np.where(obs, X, np.nan)
        if self.question_effects:
            Z = Z - groups.broadcast(groups.mean(Z))
        with warnings.catch_warnings():        # a verifier without scores: NaN, ignored below
            warnings.simplefilter("ignore", RuntimeWarning)
            sd = np.nanstd(Z, axis=0)
            Z = (Z - np.nanmean(Z, axis=0)) / np.where(sd > 0, sd, 1.0)
        fw = self.feature_weights_                 # a family counts once in the start too
        cnt = (obs * fw).sum(axis=1)
        s = np.where(cnt > 0, np.nansum(np.where(obs, Z, 0.0) * fw, axis=1) / np.where(cnt > 0, cnt, 1.0), 0.0)
        sd_s = s.std() if s.std() > 0 else 1.0
        return expit(2.0 * (s - np.median(s)) / sd_s)

    def fit(self, X, groups: Groups, y=None, feature_weights=None) -> "ScoreMixture":
        """Fit on scores ``X`` (n, m; NaN = missing) of candidates grouped by ``groups``;
        ``y`` (optional) holds 1/0 for candidates with a known label and -1 elsewhere;
        ``feature_weights`` (optional, (m,) positive) multiply each verifier's log-likelihood
        ratio in the posterior (a family of correlated verifiers counted once, see
        :mod:`~weaklabel.verifiers.families`; default 1 each)."""
        self._check()
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[0] != groups.n_rows:
            raise InputError(f"scores must be (rows, verifiers) with one row per candidate, got {X.shape}")
        n, m = X.shape
        fw = np.ones(m) if feature_weights is None else np.asarray(feature_weights, dtype=float)
        if fw.shape != (m,) or np.any(~np.isfinite(fw)) or np.any(fw <= 0):
            raise InputError(f"feature_weights must be {m} positive numbers, got shape {fw.shape}")
        self.feature_weights_ = fw
        obs = ~np.isnan(X)
        known = None
        if y is not None:
            y = np.asarray(y)
            if y.shape != (n,):
                raise InputError(f"y must have one entry per candidate ({n}), got shape {y.shape}")
            known = y >= 0
            if not known.any():
                known = None
        self.n_features_ = m
        self.gaussian_ = ~self._is_binary(X)
        g = self.gaussian_
        with warnings.catch_warnings():        # a verifier without scores (NaN): variance 1 below
            warnings.simplefilter("ignore", RuntimeWarning)
            tv = np.nanvar(np.where(obs, X, np.nan), axis=0) if n > 1 else np.ones(m)
        self._total_var = np.where(np.isfinite(tv) & (tv > 0), tv, 1.0)
        self.delta_ = np.zeros(m)
        self.sigma_ = np.ones(m)
        self.offset_ = np.zeros(m)
        self._set_cov(np.eye(int(g.sum())))
        self.p_yes_ = np.full((m, 2), 0.5)
        fixed_pi = None if self.class_balance is None else float(self.class_balance)
        r = self._init_posterior(X, obs, groups)
        if known is not None:
            r = np.where(known, y.clip(0, 1), r)

        def step(r):
            pi, qprior, q_off = m_step(self, X, obs, r, groups, fixed_pi)
            lp = groups.broadcast(logit(np.clip(qprior, 1e-6, 1 - 1e-6)))
            r, ll_rows = posterior(self, X, obs, groups.broadcast(q_off), lp)
            if known is not None:
                r = np.where(known, y.clip(0, 1), r)
            return r, float(ll_rows.mean())

        ll_prev, converged, it = -np.inf, False, 0
        for it in range(1, self.max_iter + 1):
            r, ll = step(r)
            if abs(ll - ll_prev) < self.tol * max(1.0, abs(ll)):
                converged = True
                break
            ll_prev = ll
        # orientation: class 1 is the one the verifiers score higher on the whole
        if known is None and self._orientation() < 0:
            r = 1.0 - r
            for _ in range(5):
                r, ll = step(r)
        pi, qprior, q_off = m_step(self, X, obs, r, groups, fixed_pi)
        self.class_balance_ = float(pi)
        self.question_prior_ = qprior
        self.question_offset_ = q_off
        self.n_iter_ = int(it)
        self.converged_ = bool(converged)
        self.log_likelihood_ = float(ll)
        self._summaries()
        return self

    def _orientation(self) -> float:
        g = self.gaussian_
        score = np.zeros(self.n_features_)
        score[g] = self.delta_[g] / np.maximum(self.sigma_[g], _EPS)
        p = np.clip(self.p_yes_[~g], 1e-6, 1 - 1e-6)
        score[~g] = logit(p[:, 1]) - logit(p[:, 0])
        return float(np.sum(np.tanh(score)))

    def _summaries(self) -> None:
        g = self.gaussian_
        pi = self.class_balance_
        m = self.n_features_
        auc = np.full(m, 0.5)
        acc = np.full(m, max(pi, 1 - pi))
        weights = np.zeros(m)
        d = self.delta_[g] / np.maximum(self.sigma_[g], _EPS)
        auc[g] = ndtr(d / np.sqrt(2.0))
        safe = np.where(np.abs(d) > 1e-6, d, 1.0)
        u = np.where(np.abs(d) > 1e-6, d / 2.0 - logit(pi) / safe, 0.0)   # where the posteriors cross
        acc_pos = pi * (1 - ndtr(u - d)) + (1 - pi) * ndtr(u)             # yes above the crossing
        acc_neg = pi * ndtr(u - d) + (1 - pi) * (1 - ndtr(u))             # inverted: yes below it
        acc[g] = np.maximum(np.where(d >= 0, acc_pos, acc_neg), max(pi, 1 - pi))
        if g.any():
            weights[g] = np.linalg.solve(self.cov_, self.delta_[g]) * self.sigma_[g]
        p = np.clip(self.p_yes_[~g], 1e-6, 1 - 1e-6)
        auc[~g] = 0.5 + 0.5 * (p[:, 1] - p[:, 0])
        acc[~g] = pi * p[:, 1] + (1 - pi) * (1 - p[:, 0])
        weights[~g] = np.log(p[:, 1] / p[:, 0]) - np.log((1 - p[:, 1]) / (1 - p[:, 0]))
        self.auc_, self.accuracies_, self.weights_ = auc, acc, weights
        self.effective_weights_ = weights * self.feature_weights_

    # ------------------------------------------------------------------ predict
    def _check_fitted(self):
        if not hasattr(self, "delta_"):
            raise InputError("ScoreMixture is not fitted yet; call fit() first")

    def predict_proba(self, X, groups: Groups, n_iter: int = 50, return_prior: bool = False):
        """P(correct) per candidate. The verifier parameters stay fixed; each question's prior
        and offsets are estimated from its own candidates (a few EM steps). With
        ``return_prior`` also the questions' priors ``(G,)``."""
        self._check_fitted()
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_ or X.shape[0] != groups.n_rows:
            raise InputError(f"the mixture was fitted on {self.n_features_} verifiers, got shape {X.shape}")
        obs = ~np.isnan(X)
        g = self.gaussian_
        pi = self.class_balance_
        qprior = np.full(groups.n_groups, pi)
        q_off = np.broadcast_to(self.offset_, (groups.n_groups, self.n_features_)).copy()
        r = None
        for _ in range(n_iter):
            lp = groups.broadcast(logit(np.clip(qprior, 1e-6, 1 - 1e-6)))
            r, _ = posterior(self, X, obs, groups.broadcast(q_off), lp)
            new_prior = question_prior(self, r, groups, pi)
            if self.question_effects and g.any():
                q_off[:, g] = question_offsets(self, X[:, g], obs[:, g], r, groups, self.delta_[g], self.offset_[g])
            done = np.max(np.abs(new_prior - qprior)) < 1e-6
            qprior = new_prior
            if done:
                break
        lp = groups.broadcast(logit(np.clip(qprior, 1e-6, 1 - 1e-6)))
        r, _ = posterior(self, X, obs, groups.broadcast(q_off), lp)
        return (r, qprior) if return_prior else r

    # ------------------------------------------------------------------ state

    def to_dict(self) -> dict:
        self._check_fitted()
        return {"params": self.json_params(), "gaussian": self.gaussian_.tolist(), "delta": self.delta_.tolist(),
                "offset": self.offset_.tolist(), "cov": self.cov_.tolist(), "p_yes": self.p_yes_.tolist(),
                "feature_weights": self.feature_weights_.tolist(),
                "class_balance": self.class_balance_, "n_iter": self.n_iter_, "converged": self.converged_,
                "log_likelihood": self.log_likelihood_}

    @classmethod
    def from_dict(cls, d: dict) -> "ScoreMixture":
        self = cls(**d["params"])
        self._check()
        self.gaussian_ = np.asarray(d["gaussian"], dtype=bool)
        m, k = self.gaussian_.size, int(self.gaussian_.sum())
        self.n_features_ = m
        self.delta_ = np.asarray(d["delta"], dtype=float)
        self.offset_ = np.asarray(d["offset"], dtype=float)
        cov = np.asarray(d["cov"], dtype=float).reshape(k, k)
        self.p_yes_ = np.asarray(d["p_yes"], dtype=float)
        self.feature_weights_ = np.asarray(d.get("feature_weights", np.ones(m)), dtype=float)
        self.class_balance_ = float(d["class_balance"])
        if self.delta_.shape != (m,) or self.offset_.shape != (m,) or self.p_yes_.shape != (m, 2) or \
                self.feature_weights_.shape != (m,) or np.any(self.feature_weights_ <= 0):
            raise ValueError("mixture state: per-verifier arrays have inconsistent shapes")
        if not np.isfinite(np.concatenate([self.delta_, self.offset_, self.feature_weights_])).all():
            raise ValueError("mixture state: delta, offset and feature_weights must be finite numbers")
        if k and (not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() <= 0):
            raise ValueError("mixture state: the covariance must be symmetric positive definite")
        self._set_cov(cov)
        if np.any((self.p_yes_ < 0) | (self.p_yes_ > 1)) or not 0 < self.class_balance_ < 1:
            raise ValueError("mixture state: p_yes and class_balance must be probabilities")
        self.sigma_ = np.ones(m)
        self.sigma_[self.gaussian_] = np.sqrt(np.diag(self.cov_))
        self.n_iter_ = int(d.get("n_iter", 0))
        self.converged_ = bool(d.get("converged", True))
        self.log_likelihood_ = float(d.get("log_likelihood", float("nan")))
        self._summaries()
        return self
