"""The verifier-aggregation pipeline as one estimator: normalise, binarise, filter, fit a label
model, and select the best candidate of every question.

:class:`VerifierSelector` follows the scikit-learn pattern of the label models:
hyper-parameters in ``__init__``, ``fit(data, y=None)`` (``y``: 1/0 for candidates of labelled
dev questions, -1 elsewhere), ``predict_proba(data)`` (P(correct) per candidate), ``select(data)``
(one flag per candidate, one selected candidate per question). Its fitted state (normaliser,
thresholds, kept/flipped verifiers, the label model with its accuracies) converts to plain JSON
with ``to_dict()`` / ``from_dict()`` and applies unchanged to new questions.

Label models: ``mixture`` (default; :class:`~weaklabel.verifiers.mixture.ScoreMixture` on the
continuous scores, or on the votes when binarising) or any vote-based model of
:data:`weaklabel.models.MODELS` (``ds``, ``hybrid``, ``mc``, ``triplet``, ``onecoin``,
``weighted``, ``majority``, ``auto``) on a binary vote matrix (class 1 = correct, a missing score =
abstain). Vote models learn one global class balance; their P(correct) is then recalibrated per
question (the ranking within a question does not change).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.special import expit, logit

from .._version import __version__
from ..errors import InputError, ModelFileError
from . import filtering
from ._base import VerifierEstimator, plain
from .answers import (
    answer_f_test,
    answer_icc,
    answer_icc_mixture,
    evidence_from_proba,
    pooled_log_odds,
    proba_from_log_odds,
)
from .binarise import Binariser
from .data import ScoreData
from .families import FamilyDetector
from .metrics import top_candidates
from .mixture import ScoreMixture
from .normalise import Normaliser

FORMAT = "weaklabel.verifier_selector"
INVERTED = ("flip", "drop", "keep")
ANSWER_TEST_ALPHA = 0.01
FAMILIES = ("detect", "none")
MIN_DEV_ANSWERS = 30         # fewer labelled answers: the unlabelled estimate is steadier


def label_model_names() -> list[str]:
    from ..models import MODELS

    return ["mixture"] + list(MODELS)


class VerifierSelector(VerifierEstimator):
    """Aggregate verifier scores into P(correct) per candidate and select one per question.

    Parameters
    ----------
    normalise:
        ``quantile`` (default), ``minmax``, ``winsorize`` or ``none``
        (:class:`~weaklabel.verifiers.normalise.Normaliser`).
    normalise_scope:
        ``global`` (default) or ``question``.
    binarise:
        ``auto`` (default: ``none`` for the mixture, ``quantile`` for vote models), ``quantile``,
        ``fixed`` or ``none`` (:class:`~weaklabel.verifiers.binarise.Binariser`).
    binarise_scope:
        ``question`` (default) or ``global`` (class-balance quantile thresholds).
    threshold:
        ``fixed`` binarisation: vote 1 at or above this normalised score.
    class_balance:
        Share of correct candidates, for the quantile thresholds and the label model's prior;
        default: from the dev labels, else estimated by the continuous mixture.
    label_model:
        ``mixture`` (default) or a vote-based model name (see module docstring).
    model_params:
        Extra hyper-parameters for the label model (a dict).
    rate_band:
        Verifiers whose yes-rate (or most common score's share) falls outside are dropped as
        near-constant.
    min_agreement:
        Verifiers whose largest within-question correlation with another verifier is below this
        are dropped as agreeing with nothing.
    inverted:
        What to do with a verifier the first fit estimates below chance (AUC < 0.5):
        ``flip`` (default: negate its scores and refit), ``drop`` or ``keep``.
    question_prior:
        Vote models: recalibrate P(correct) with a per-question prior (default True).

    Learned: ``verifiers_``, ``kept_`` and ``flipped_`` (the verifiers fitted on, kept and
    reversed), ``normaliser_``, ``binariser_`` (None when scores stay continuous), ``model_`` (the
    label model), ``class_balance_`` (its share of correct candidates), ``threshold_balance_`` and
    ``class_balance_source_`` (the share used for quantile thresholds and where it came from),
    ``answer_icc_`` (within-answer correlation for pooling), ``stats_`` (per-verifier filter
    statistics and estimated AUC/accuracy, see :meth:`verifier_table`), ``families_`` (the
    fitted :class:`~weaklabel.verifiers.families.FamilyDetector`, None with ``families="none"``),
    ``family_weights_`` (m,), ``answer_test_`` (the pooling test and decision); :meth:`explain`
    gathers them as JSON.
    pool_answers:
        When the candidates' final answers are known, pool the evidence of the candidates with
        the same answer (:mod:`~weaklabel.verifiers.answers`). ``"auto"`` (default): for label
        models whose probabilities are likelihood ratios per class (``mixture``, ``ds``,
        ``hybrid``, ``mc``, and ``auto`` when it picks one of them), not for one-coin and voting
        models (``onecoin``, ``triplet``, ``weighted``, ``majority``), whose evidence is biased
        when questions' base rates differ and would be multiplied by the answer's popularity.
        ``True`` / ``False``: always / never.
    answer_icc:
        Correlation of the evidence within an answer for pooling (default: estimated).
    families:
        ``detect`` (default): find families of verifiers that share their errors among the kept
        ones (:class:`~weaklabel.verifiers.families.FamilyDetector`) and let each member count
        ``1 / (1 + (s - 1) rho)`` in the mixture (the vote models only report them); ``none``:
        every verifier counts as independent.
    family_threshold:
        Smallest residual correlation of a family (chosen on the tuning pools of
        ``benchmarks/VERIFIERS_PROTOCOL.md``).
    pool_centre:
        ``none`` (default): a candidate's evidence is pooled as it is (relative to its question's
        prior); ``question``: relative to its question's mean, so that an answer's popularity
        counts only with better-than-average evidence and a bias shared by the question's
        candidates is not multiplied by each answer's size. ``question`` won on the tuning pools
        (+0.5 points) and fixed near-ceiling pools with many candidates, but cost 1-2 points on
        the bench suites (``benchmarks/VERIFIERS_PROTOCOL.md``): not the default.
    random_state:
        Seed for tie-breaking and seeded models.
    """

    def __init__(self, normalise: str = "quantile", normalise_scope: str = "global", binarise: str = "auto",
                 binarise_scope: str = "question", threshold: float = 0.5, class_balance: float | None = None,
                 label_model: str = "mixture", model_params: dict | None = None, rate_band=(0.02, 0.98),
                 min_agreement: float = 0.05, inverted: str = "flip", question_prior: bool = True,
                 pool_answers="auto", answer_icc: float | None = None, families: str = "detect",
                 family_threshold: float = 0.2, pool_centre: str = "none", random_state: int = 0):
        self.normalise = normalise
        self.normalise_scope = normalise_scope
        self.binarise = binarise
        self.binarise_scope = binarise_scope
        self.threshold = threshold
        self.class_balance = class_balance
        self.label_model = label_model
        self.model_params = model_params
        self.rate_band = rate_band
        self.min_agreement = min_agreement
        self.inverted = inverted
        self.question_prior = question_prior
        self.pool_answers = pool_answers
        self.answer_icc = answer_icc
        self.families = families
        self.family_threshold = family_threshold
        self.pool_centre = pool_centre
        self.random_state = random_state

    # ------------------------------------------------------------------ parameters

    def _binarise_method(self) -> str:
        if self.binarise == "auto":
            return "none" if self.label_model == "mixture" else "quantile"
        return self.binarise

    def _check(self) -> None:
        if self.label_model not in label_model_names():
            raise InputError(f"unknown label model {self.label_model!r}; choose one of {', '.join(label_model_names())}")
        if self.binarise not in ("auto", "quantile", "fixed", "none"):
            raise InputError(f"binarise must be auto, quantile, fixed or none, got {self.binarise!r}")
        if self.label_model != "mixture" and self._binarise_method() == "none":
            raise InputError(f"label model {self.label_model!r} works on votes: binarise with quantile or fixed")
        if self.inverted not in INVERTED:
            raise InputError(f"inverted must be one of {', '.join(INVERTED)}, got {self.inverted!r}")
        lo, hi = (float(x) for x in self.rate_band)
        if not 0 <= lo < hi <= 1:
            raise InputError(f"rate_band must satisfy 0 <= low < high <= 1, got {self.rate_band!r}")
        if not 0 <= self.min_agreement < 1:
            raise InputError(f"min_agreement must be in [0, 1), got {self.min_agreement!r}")
        if self.class_balance is not None and not 0 < float(self.class_balance) < 1:
            raise InputError(f"class_balance must be in (0, 1), got {self.class_balance!r}")
        if self.model_params is not None and not isinstance(self.model_params, dict):
            raise InputError("model_params must be a dict")
        if self.pool_answers not in ("auto", True, False):
            raise InputError(f"pool_answers must be 'auto', True or False, got {self.pool_answers!r}")
        if self.answer_icc is not None and not 0 <= float(self.answer_icc) <= 1:
            raise InputError(f"answer_icc must be in [0, 1], got {self.answer_icc!r}")
        if self.pool_centre not in ("none", "question"):
            raise InputError(f"pool_centre must be 'none' or 'question', got {self.pool_centre!r}")
        if self.families not in FAMILIES:
            raise InputError(f"families must be one of {', '.join(FAMILIES)}, got {self.families!r}")
        if not 0 < float(self.family_threshold) < 1:
            raise InputError(f"family_threshold must be in (0, 1), got {self.family_threshold!r}")

    # ------------------------------------------------------------------ pieces
    def _normaliser(self) -> Normaliser:
        normal = self.label_model == "mixture" and self._binarise_method() == "none"
        return Normaliser(self.normalise, self.normalise_scope,
                          output="normal" if normal and self.normalise == "quantile" else "uniform")

    def _flip(self, U: np.ndarray, flipped: np.ndarray) -> np.ndarray:
        """Reverse the flipped verifiers' normalised scores: ``1 - x`` on a ``[0, 1]`` scale (and for
        yes/no verifiers), ``-x`` for normal scores or raw ones."""
        if not flipped.any():
            return U
        U = U.copy()
        bounded = self.normaliser_.method != "none" and self.normaliser_.output == "uniform"
        for v in np.flatnonzero(flipped):
            U[:, v] = 1.0 - U[:, v] if (self.normaliser_.binary_[v] or bounded) else -U[:, v]
        return U

    def _votes(self, U, groups, fit: bool):
        if self.binariser_ is None:
            return U
        if fit:
            self.binariser_.fit(U, groups, binary=self.normaliser_.binary_)
        return self.binariser_.transform(U, groups)

    def _make_vote_model(self, cb: float | None):
        from ..models import MODELS, make_model

        cls = MODELS[self.label_model]
        params = dict(self.model_params or {})
        names = cls._param_names()
        if "random_state" in names:
            params.setdefault("random_state", self.random_state)
        if self.class_balance is not None and "class_balance" in names:
            params.setdefault("class_balance", [1.0 - float(self.class_balance), float(self.class_balance)])
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise InputError(f"label model {self.label_model!r} has no parameter {unknown[0]!r} "
                             f"(parameters: {', '.join(names)})")
        return make_model(self.label_model, **params)

    def _make_mixture(self, cb: float | None) -> ScoreMixture:
        params = dict(self.model_params or {})
        if self.class_balance is not None:
            params.setdefault("class_balance", float(self.class_balance))
        try:
            return ScoreMixture(**params)
        except TypeError as exc:
            raise InputError(f"label model 'mixture': {exc}") from None

    def _detect_families(self, U, groups, keep) -> None:
        """Families among the kept verifiers (``families="detect"``) and their weights."""
        from .families import FamilyDetector

        m = U.shape[1]
        if self.families == "none":
            self.families_ = None
            self.family_weights_ = np.ones(m)
            return
        self.families_ = FamilyDetector(threshold=self.family_threshold).fit(U, groups, active=keep)
        self.family_weights_ = self.families_.weights_.copy()

    def _fit_model(self, V, groups, y, cb, keep=None):
        if self.label_model == "mixture":
            Xm = V if V.dtype.kind == "f" else np.where(V < 0, np.nan, V).astype(float)
            fw = None if keep is None else self.family_weights_[keep]
            return self._make_mixture(cb).fit(Xm, groups, y, feature_weights=fw)
        from ..votes import VoteMatrix

        vm = VoteMatrix.from_dense(V.astype(np.int8), cardinality=2)
        yy = None if y is None else np.asarray(y, dtype=np.int64)
        return self._make_vote_model(cb).fit(vm, yy)

    def _model_quality(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Estimated (AUC, accuracy) per kept verifier under the fitted label model."""
        k = len(self.kept_)
        if isinstance(model, ScoreMixture):
            return np.asarray(model.auc_), np.asarray(model.accuracies_)
        acc = getattr(model, "accuracies_", None)
        acc = np.full(k, np.nan) if acc is None else np.asarray(acc, dtype=float)
        conf = getattr(model, "confusion_", None)
        auc = np.full(k, np.nan)
        if conf is not None:
            conf = np.asarray(conf, dtype=float)
            auc = 0.5 * (conf[:, 1, 1] + conf[:, 0, 0])
            single = getattr(model, "single_class_", None)
            if single is not None and np.any(single):   # hybrid: single-class sources have no confusion
                auc[np.asarray(single, dtype=bool)] = np.nan
        if self.label_model == "triplet" or self.label_model == "onecoin":
            auc = acc.copy()          # one-coin: TPR = TNR = accuracy, so AUC = accuracy
        return auc, acc

    # ------------------------------------------------------------------ fit
    def fit(self, data: ScoreData, y=None) -> "VerifierSelector":
        """Fit on the candidates of ``data``; ``y`` (optional, one per candidate) holds 1/0 for
        the candidates of labelled (dev) questions and -1 elsewhere."""
        self._check()
        groups = data.groups
        X = data.scores
        n, m = X.shape
        if y is not None:
            y = np.asarray(y)
            if y.shape != (n,):
                raise InputError(f"y must have one entry per candidate ({n}), got shape {y.shape}")
            y = np.where(y >= 0, y, -1).astype(np.int64)
            if not (y >= 0).any():
                y = None
        self.verifiers_ = list(data.verifiers)
        self.normaliser_ = self._normaliser().fit(X, groups)
        U = self.normaliser_.transform(X, groups)
        binary = self.normaliser_.binary_

        # class balance: given, from the dev labels, or estimated by a quick continuous fit
        if self.class_balance is not None:
            cb, cb_source = float(self.class_balance), "given"
        elif y is not None:
            cb, cb_source = float(np.clip(y[y >= 0].mean(), 0.01, 0.99)), "dev labels"
        else:
            cb, cb_source = None, "estimated"

        # near-constant verifiers
        lo, hi = (float(x) for x in self.rate_band)
        rate = np.full(m, np.nan)
        rate[binary] = filtering.positive_rate(np.where(np.isnan(U[:, binary]), -1, U[:, binary]).astype(np.int8))
        share = filtering.mode_share(X)
        n_obs = (~np.isnan(X)).sum(axis=0)
        constant = (share > hi) | (binary & ((rate < lo) | (rate > hi))) | (n_obs < 2)
        # agreement with the other (non-constant) verifiers, within questions
        agree = filtering.agreement(U, groups, candidates=~constant)
        no_agreement = ~constant & (agree < self.min_agreement)
        status = np.array(["kept"] * m, dtype=object)
        status[constant] = "dropped: near-constant"
        status[no_agreement] = "dropped: agrees with nothing"
        keep = ~constant & ~no_agreement
        if not keep.any():
            raise InputError("every verifier was dropped (near-constant or agreeing with nothing); "
                             "check the scores or relax --min-agreement / the rate band")

        method = self._binarise_method()
        if cb is None and method == "quantile":
            # the thresholds need the share of correct candidates: one continuous fit on the kept
            # verifiers estimates it
            N = Normaliser("quantile", "global", output="normal").fit_transform(X[:, keep], groups)
            cb = float(np.clip(ScoreMixture(covariance="diag", max_iter=100).fit(N, groups).class_balance_,
                               0.01, 0.99))
        self.threshold_balance_ = cb if method == "quantile" else None
        self.class_balance_source_ = cb_source
        self.binariser_ = None if method == "none" else Binariser(
            method, threshold=self.threshold, scope=self.binarise_scope, class_balance=cb)
        V = self._votes(U, groups, fit=True)
        if self.binariser_ is not None:
            cont = keep & ~binary
            rate[~binary] = filtering.positive_rate(V[:, ~binary])
            bad = cont & ((rate < lo) | (rate > hi))
            status[bad] = "dropped: near-constant"
            keep &= ~bad
            if not keep.any():
                raise InputError("every verifier was dropped as near-constant after binarisation")

        # first fit; verifiers estimated below chance are flipped, dropped or kept
        flipped = np.zeros(m, dtype=bool)
        self.kept_ = [self.verifiers_[v] for v in np.flatnonzero(keep)]
        self._detect_families(U, groups, keep)
        model = self._fit_model(V[:, keep], groups, y, cb, keep)
        auc, acc = self._model_quality(model)
        below = np.zeros(m, dtype=bool)
        below[np.flatnonzero(keep)] = np.nan_to_num(auc, nan=0.5) < 0.5
        if below.any() and self.inverted != "keep":
            if self.inverted == "flip":
                flipped = below
                status[below] = "flipped: below chance"
                U = self._flip(U, flipped)
                V = self._votes(U, groups, fit=True)
            else:
                status[below] = "dropped: below chance"
                keep &= ~below
            if not keep.any():
                raise InputError("every verifier was dropped (the label model puts all of them below chance); "
                                 "try --inverted flip or keep")
            self.kept_ = [self.verifiers_[v] for v in np.flatnonzero(keep)]
            self._detect_families(U, groups, keep)
            model = self._fit_model(V[:, keep], groups, y, cb, keep)
            auc, acc = self._model_quality(model)
        elif below.any():
            status[below] = "kept: below chance"
        self.flipped_ = flipped
        self.keep_mask_ = keep
        self.model_ = model
        cbm = model.class_balance_
        self.class_balance_ = float(cbm if isinstance(model, ScoreMixture) else np.asarray(cbm)[1])
        est_auc = np.full(m, np.nan)
        est_acc = np.full(m, np.nan)
        est_auc[keep], est_acc[keep] = auc, acc
        est_auc[flipped] = 1.0 - est_auc[flipped]      # AUCs refer to the scores as given
        self.stats_ = {"positive_rate": rate, "mode_share": share, "agreement": agree, "status": status,
                       "est_auc": est_auc, "est_accuracy": est_acc, "binary": binary.copy()}
        self.answer_icc_, self.answer_icc_source_, self.answer_test_ = None, None, None
        if self._pool_setting() and data.answers is not None:
            self._fit_answer_icc(data, y)
        return self

    def _fit_answer_icc(self, data: ScoreData, y) -> None:
        """Answer pooling: the test (do the candidates' evidence cluster by final answer within
        questions? :func:`~weaklabel.verifiers.answers.answer_f_test`) and the within-answer
        correlation of the evidence: given, from the dev labels, or from the unlabelled
        two-class mixture of the answers' mean evidence
        (:func:`~weaklabel.verifiers.answers.answer_icc_mixture`). The dev labels are used when
        they cover at least ``MIN_DEV_ANSWERS`` distinct answers."""
        p, prior_logit = self._candidate_proba(data)
        ev = evidence_from_proba(p, prior_logit)
        F, pval = answer_f_test(ev, data.answers, data.codes)
        self.answer_test_ = {"statistic": "F (evidence on answers nested in questions)", "F": F, "p_value": pval,
                             "alpha": ANSWER_TEST_ALPHA}
        if self.pool_answers == "auto" and not (np.isfinite(pval) and pval < ANSWER_TEST_ALPHA):
            self.answer_test_["decision"] = "not pooled: the evidence does not cluster by answer"
            return
        self.answer_test_["decision"] = "pooled" if self.pool_answers == "auto" else "pooled (forced)"
        if self.answer_icc is not None:
            self.answer_icc_, self.answer_icc_source_ = float(self.answer_icc), "given"
            return
        icc, source = float("nan"), ""
        dev_answers = 0 if y is None else np.unique(data.answers[(y >= 0) & (data.answers >= 0)]).size
        if dev_answers >= MIN_DEV_ANSWERS:
            icc, source = answer_icc(ev, data.answers, np.where(y >= 0, y, -1)), "dev labels"
        if not np.isfinite(icc):
            p1 = proba_from_log_odds(pooled_log_odds(ev, prior_logit, data.answers, 1.0))
            icc, source = answer_icc_mixture(ev, data.answers, p1), "estimated (answer mixture)"
        if not np.isfinite(icc):
            icc, source = 0.5, "default (too few answers to estimate)"
        self.answer_icc_, self.answer_icc_source_ = float(icc), source

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise InputError("VerifierSelector is not fitted yet; call fit() first")

    def _align(self, data: ScoreData) -> np.ndarray:
        """The fitted verifiers' columns of ``data``, in the fitted order."""
        missing = [v for v in self.verifiers_ if v not in data.verifiers]
        if missing:
            raise InputError(f"the scores have no column for verifier {missing[0]!r}, which the selector was fitted with")
        idx = [data.verifiers.index(v) for v in self.verifiers_]
        return data.scores[:, idx]

    def transform(self, data: ScoreData) -> np.ndarray:
        """What the label model sees: normalised (flipped) scores or votes of the kept verifiers."""
        self._check_fitted()
        X = self._align(data)
        U = self._flip(self.normaliser_.transform(X, data.groups), self.flipped_)
        V = U if self.binariser_ is None else self.binariser_.transform(U, data.groups)
        return V[:, self.keep_mask_]

    def _candidate_proba(self, data: ScoreData) -> tuple[np.ndarray, np.ndarray]:
        """P(correct) of each candidate on its own, and the prior log-odds of its question."""
        V = self.transform(data)
        groups = data.groups
        if isinstance(self.model_, ScoreMixture):
            Xm = V if V.dtype.kind == "f" else np.where(V < 0, np.nan, V).astype(float)
            p, qprior = self.model_.predict_proba(Xm, groups, return_prior=True)
        else:
            from ..votes import VoteMatrix

            vm = VoteMatrix.from_dense(V.astype(np.int8), cardinality=2)
            p = np.clip(np.asarray(self.model_.predict_proba(vm), dtype=float)[:, 1], 1e-9, 1 - 1e-9)
            cb = float(self.model_.class_balance_[1])
            if self.question_prior:
                p, qprior = question_recalibrate(p, groups, cb, return_prior=True)
            else:
                qprior = np.full(groups.n_groups, cb)
        return p, groups.broadcast(logit(np.clip(qprior, 1e-6, 1 - 1e-6)))

    def _pool_setting(self) -> bool:
        """Whether answers are pooled: ``pool_answers``, or with ``"auto"`` whether the fitted
        label model gives likelihood ratios per class (see the class docstring)."""
        if self.pool_answers != "auto":
            return bool(self.pool_answers)
        from ..models import AutoModel, DawidSkene, HybridDawidSkene, MatrixCompletion, OneCoinDawidSkene

        model = self.model_.model_ if isinstance(self.model_, AutoModel) else self.model_
        if isinstance(model, OneCoinDawidSkene):
            return False
        return isinstance(model, (ScoreMixture, DawidSkene, HybridDawidSkene, MatrixCompletion))

    def _pooling(self, data: ScoreData, pool_answers: bool | None) -> bool:
        pool = self._pool_setting() if pool_answers is None else pool_answers
        return bool(pool) and data.answers is not None and getattr(self, "answer_icc_", None) is not None

    def predict_log_odds(self, data: ScoreData, pool_answers: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(log-odds, own log-odds)`` of correctness per candidate: with answer pooling the
        first is its answer's (see :mod:`~weaklabel.verifiers.answers`), the second its own."""
        p, prior_logit = self._candidate_proba(data)
        own = logit(np.clip(p, 1e-12, 1 - 1e-12))
        if not self._pooling(data, pool_answers):
            return own, own
        ev = evidence_from_proba(p, prior_logit)
        if self.pool_centre == "question":
            # a bias shared by a question's candidates (its offset or prior estimated off) would
            # be multiplied by each answer's effective count: popular answers would gain or lose
            # by it. Centred, an answer's popularity counts only with better-than-average evidence.
            mean_ev = data.groups.mean(ev)
            ev = ev - data.groups.broadcast(mean_ev)
            prior_logit = prior_logit + data.groups.broadcast(mean_ev)
        return pooled_log_odds(ev, prior_logit, data.answers, self.answer_icc_), own

    def predict_proba(self, data: ScoreData, pool_answers: bool | None = None) -> np.ndarray:
        """P(correct) for every candidate of ``data`` (questions seen in fit or new ones); with
        final answers (and ``pool_answers``), its answer's probability."""
        self._check_fitted()
        return proba_from_log_odds(self.predict_log_odds(data, pool_answers)[0])

    def select(self, data: ScoreData, proba: np.ndarray | None = None, pool_answers: bool | None = None) -> np.ndarray:
        """One ``True`` per question: the candidate with the highest P(correct), among equals
        (candidates of one answer) the one with the best own evidence; remaining ties broken at
        random (seeded)."""
        if proba is not None:
            score, second = logit(np.clip(np.asarray(proba, dtype=float), 1e-15, 1 - 1e-15)), None
        else:
            score, second = self.predict_log_odds(data, pool_answers)
        sel = np.zeros(data.n_rows, dtype=bool)
        sel[top_candidates(score, data.groups, self.random_state, secondary=second)] = True
        return sel

    # ------------------------------------------------------------------ report
    def verifier_table(self):
        """One row per verifier: format, share missing, yes-rate, agreement, status and the label
        model's estimated AUC and accuracy."""
        import pandas as pd

        self._check_fitted()
        s = self.stats_
        return pd.DataFrame({"verifier": self.verifiers_,
                             "format": np.where(s["binary"], "yes/no", "score"),
                             "positive_rate": s["positive_rate"], "agreement": s["agreement"],
                             "status": s["status"], "est_auc": s["est_auc"], "est_accuracy": s["est_accuracy"],
                             "family": self._family_labels(), "weight": self.effective_weights()})

    def _family_labels(self) -> np.ndarray:
        fam = getattr(self, "families_", None)
        return np.full(len(self.verifiers_), -1) if fam is None else np.asarray(fam.labels_)

    def effective_weights(self) -> np.ndarray:
        """What each verifier counts in a candidate's log-odds when every verifier scores it, per
        unit of its normalised score (mixture: ``Sigma^-1 delta`` times its family weight; NaN
        for the vote models and for dropped verifiers)."""
        self._check_fitted()
        w = np.full(len(self.verifiers_), np.nan)
        if isinstance(self.model_, ScoreMixture):
            w[self.keep_mask_] = self.model_.effective_weights_
            w[self.flipped_] = -w[self.flipped_]          # for the scores as given
        return w

    def explain(self) -> dict:
        """Why the selector combines the verifiers as it does, as plain JSON data: the families
        found (members, residual correlation, weight of each member), every verifier's status
        and effective weight, and the answer-pooling decision with its test statistic."""
        self._check_fitted()
        fam = getattr(self, "families_", None)
        families = []
        if fam is not None:
            for members, rho in zip(fam.families_, fam.family_corr_):
                families.append({"members": [self.verifiers_[i] for i in members],
                                 "residual_correlation": round(float(rho), 4),
                                 "member_weight": round(float(self.family_weights_[members[0]]), 4)})
        w = self.effective_weights()
        verifiers = [{"verifier": v, "status": str(st), "family": int(f),
                      "family_weight": round(float(fw), 4),
                      "weight": None if not np.isfinite(x) else round(float(x), 4)}
                     for v, st, f, fw, x in zip(self.verifiers_, self.stats_["status"], self._family_labels(),
                                                self.family_weights_, w)]
        test = getattr(self, "answer_test_", None)
        pooling = {"pooled": self.answer_icc_ is not None, "within_answer_correlation": self.answer_icc_,
                   "source": self.answer_icc_source_,
                   "test": None if test is None else {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                                                     for k, v in test.items()}}
        return {"families": families, "family_detection": "none" if fam is None else
                f"residual within-question correlation above {float(self.family_threshold):g} (average linkage)",
                "family_weights_applied": fam is not None and isinstance(self.model_, ScoreMixture),
                "verifiers": verifiers, "answer_pooling": pooling}

    # ------------------------------------------------------------------ state
    def to_dict(self) -> dict:
        self._check_fitted()
        if isinstance(self.model_, ScoreMixture):
            model = {"kind": "mixture", "state": self.model_.to_dict()}
        else:
            model = {"kind": "votes", "state": self.model_.to_dict()}
        s = self.stats_
        clean = lambda a: [None if (isinstance(x, float) and not np.isfinite(x)) else x for x in np.asarray(a).tolist()]  # noqa: E731
        return {
            "format": FORMAT, "format_version": 1, "weaklabel_version": __version__,
            "params": self.json_params(),
            "verifiers": list(self.verifiers_), "kept": list(self.kept_),
            "flipped": self.flipped_.tolist(), "keep_mask": self.keep_mask_.tolist(),
            "class_balance": self.class_balance_, "class_balance_source": self.class_balance_source_,
            "threshold_balance": self.threshold_balance_,
            "answer_icc": self.answer_icc_, "answer_icc_source": self.answer_icc_source_,
            "answer_test": None if self.answer_test_ is None else
            {k: (None if isinstance(v, float) and not np.isfinite(v) else plain(v)) for k, v in self.answer_test_.items()},
            "families": None if self.families_ is None else self.families_.to_dict(),
            "family_weights": self.family_weights_.tolist(),
            "normaliser": self.normaliser_.to_dict(),
            "binariser": None if self.binariser_ is None else self.binariser_.to_dict(),
            "model": model,
            "stats": {"positive_rate": clean(s["positive_rate"]), "mode_share": clean(s["mode_share"]),
                      "agreement": clean(s["agreement"]), "status": list(s["status"]),
                      "est_auc": clean(s["est_auc"]), "est_accuracy": clean(s["est_accuracy"]),
                      "binary": s["binary"].tolist()},
        }

    @classmethod
    def from_dict(cls, d: dict, where: str = "selector") -> "VerifierSelector":
        from ..models.base import LabelModel

        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ModelFileError(f"{where}: not a weaklabel verifier selector file")
        try:
            self = cls(**d["params"])
            self._check()
            self.verifiers_ = [str(v) for v in d["verifiers"]]
            m = len(self.verifiers_)
            self.kept_ = [str(v) for v in d["kept"]]
            self.flipped_ = np.asarray(d["flipped"], dtype=bool)
            self.keep_mask_ = np.asarray(d["keep_mask"], dtype=bool)
            if self.flipped_.shape != (m,) or self.keep_mask_.shape != (m,) or \
                    [self.verifiers_[v] for v in np.flatnonzero(self.keep_mask_)] != self.kept_:
                raise ValueError("kept/flipped verifiers do not match the verifier list")
            self.class_balance_ = float(d["class_balance"])
            self.class_balance_source_ = str(d.get("class_balance_source", "given"))
            tb = d.get("threshold_balance")
            self.threshold_balance_ = None if tb is None else float(tb)
            icc = d.get("answer_icc")
            self.answer_icc_ = None if icc is None else float(icc)
            self.answer_icc_source_ = d.get("answer_icc_source")
            self.answer_test_ = d.get("answer_test")
            fam = d.get("families")
            self.families_ = None if fam is None else FamilyDetector.from_dict(fam)
            self.family_weights_ = np.asarray(d.get("family_weights", [1.0] * m), dtype=float)
            if self.family_weights_.shape != (m,) or (self.families_ is not None and self.families_.labels_.size != m):
                raise ValueError("family weights do not match the verifier list")
            if self.answer_icc_ is not None and not 0 <= self.answer_icc_ <= 1:
                raise ValueError("answer_icc must be in [0, 1]")
            self.normaliser_ = Normaliser.from_dict(d["normaliser"])
            if self.normaliser_.n_features_ != m:
                raise ValueError("the normaliser has a different number of verifiers")
            self.binariser_ = None if d["binariser"] is None else Binariser.from_dict(d["binariser"])
            kind, state = d["model"]["kind"], d["model"]["state"]
            if kind == "mixture":
                self.model_ = ScoreMixture.from_dict(state)
                k = self.model_.n_features_
            elif kind == "votes":
                self.model_ = LabelModel.from_dict(state, where=f"{where} (label model)")
                k = int(self.model_.n_lfs_)
            else:
                raise ValueError(f"unknown model kind {kind!r}")
            if k != len(self.kept_):
                raise ValueError("the label model was fitted on a different number of verifiers")
            st = d["stats"]
            arr = lambda key: np.array([np.nan if x is None else x for x in st[key]], dtype=float)  # noqa: E731
            self.stats_ = {"positive_rate": arr("positive_rate"), "mode_share": arr("mode_share"),
                           "agreement": arr("agreement"), "status": np.array(st["status"], dtype=object),
                           "est_auc": arr("est_auc"), "est_accuracy": arr("est_accuracy"),
                           "binary": np.asarray(st["binary"], dtype=bool)}
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelFileError(f"{where}: invalid selector state ({type(exc).__name__}: {exc})") from None
        return self

    def save(self, path, force: bool = False) -> None:
        """Write the fitted state as JSON, atomically."""
        from ..io import write_json_atomic

        write_json_atomic(self.to_dict(), path, force=force)

    @classmethod
    def load(cls, path) -> "VerifierSelector":
        p = Path(path)
        if not p.exists():
            raise InputError(f"{p}: no such file")
        try:
            data = json.loads(p.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelFileError(f"{p}: not valid JSON ({exc})") from None
        return cls.from_dict(data, where=str(p))


def question_recalibrate(p: np.ndarray, groups, class_balance: float, strength: float = 4.0,
                         n_iter: int = 50, return_prior: bool = False):
    """Re-express probabilities computed with one global prior under per-question priors.

    ``logit p' = logit p - logit(class_balance) + logit(pi_q)`` with ``pi_q`` the question's
    share of correct candidates, estimated by EM (``pi_q`` = the mean of its ``p'``, shrunk towards
    the global balance by ``strength`` pseudo-candidates). Rankings within a question are kept.
    With ``return_prior`` also the questions' priors ``(G,)``."""
    cb = float(np.clip(class_balance, 1e-6, 1 - 1e-6))
    ev = logit(np.clip(p, 1e-12, 1 - 1e-12)) - logit(cb)
    pi_q = np.full(groups.n_groups, cb)
    for _ in range(n_iter):
        q = expit(ev + groups.broadcast(logit(np.clip(pi_q, 1e-6, 1 - 1e-6))))
        new = (groups.sum(q) + strength * cb) / (groups.sizes + strength)
        done = np.max(np.abs(new - pi_q)) < 1e-7
        pi_q = new
        if done:
            break
    out = expit(ev + groups.broadcast(logit(np.clip(pi_q, 1e-6, 1 - 1e-6))))
    return (out, pi_q) if return_prior else out
