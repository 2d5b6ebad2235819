"""The verifier-aggregation pipeline as one estimator: normalise, binarise, filter, fit a label
model, and select the best candidate of every question.

:class:`VerifierSelector` follows the scikit-learn pattern of the label models:
hyper-parameters in ``__init__``, ``fit(data, y=None)`` (``y``: 1/0 for candidates of labelled
dev questions, -1 elsewhere), ``predict_proba(data)`` (P(correct) per candidate), ``select(data)``
(one flag per candidate, one selected candidate per question). Its fitted state (normaliser,
thresholds, kept/flipped verifiers, the label model with its accuracies) converts to plain JSON
with ``to_dict()`` / ``from_dict()`` and applies unchanged to new questions.

Label models: ``mixture`` (default, on the continuous scores) or any vote model of
:data:`weaklabel.models.MODELS` on the binary votes (:mod:`~weaklabel.verifiers.votepath`); the
label-model step (fit, inverted verifiers, P(correct) per candidate) is in
:mod:`~weaklabel.verifiers.labelmodel`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit

from ..errors import InputError
from . import filtering, labelmodel, votepath
from ._base import VerifierEstimator
from .answers import proba_from_log_odds
from .binarise import Binariser
from .data import ScoreData, check_score_data, labels_array
from .draws import candidate_keys
from .metrics import top_candidates
from .mixture import ScoreMixture
from .normalise import Normaliser, check_raw_scale
from .params import FAMILIES, INVERTED, POOL_CENTRES, binarise_method, check_params
from .pooling import (ANSWER_TEST_ALPHA, MIN_DEV_ANSWERS, check_answers_to_pool, fit_answer_pooling,
                      pooled_answer_log_odds)
from .state import FORMAT, load_selector, selector_from_dict, selector_to_dict
from .votepath import question_recalibrate

__all__ = ["ANSWER_TEST_ALPHA", "FAMILIES", "FORMAT", "INVERTED", "MIN_DEV_ANSWERS", "POOL_CENTRES",
           "VerifierSelector", "label_model_names", "question_recalibrate"]


def label_model_names() -> list[str]:
    return ["mixture"] + votepath.vote_model_names()


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
    ``family_weights_`` (m,: what each verifier counts), ``vote_columns_`` (vote models: the kept
    verifiers behind each column of the vote matrix; None for the mixture), ``answer_test_`` (the pooling test and decision); :meth:`explain`
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
        ``1 / (1 + (s - 1) rho)`` in the mixture; a vote model sees each family as one column,
        its members' majority vote (:mod:`~weaklabel.verifiers.votepath`); ``none``: every
        verifier counts as independent.
    family_threshold:
        Smallest residual correlation of a family (chosen on the tuning pools of
        ``benchmarks/VERIFIERS_PROTOCOL.md``).
    pool_centre:
        How much of its question's mean evidence a candidate's evidence is taken relative to
        before answer pooling (:func:`~weaklabel.verifiers.pooling.centre_weight`): ``auto``
        (default; all of it when most candidates are estimated correct, else the question's
        estimated share of correct candidates), ``prior`` (always that share), ``question`` (all
        of it) or ``none``. Chosen on the tuning pools (``benchmarks/VERIFIERS_PROTOCOL.md``).
    random_state:
        Seed for tie-breaking and seeded models.
    """

    def __init__(self, normalise: str = "quantile", normalise_scope: str = "global", binarise: str = "auto",
                 binarise_scope: str = "question", threshold: float = 0.5, class_balance: float | None = None,
                 label_model: str = "mixture", model_params: dict | None = None, rate_band=(0.02, 0.98),
                 min_agreement: float = 0.05, inverted: str = "flip", question_prior: bool = True,
                 pool_answers="auto", answer_icc: float | None = None, families: str = "detect",
                 family_threshold: float = 0.2, pool_centre: str = "auto", random_state: int = 0):
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
        return binarise_method(self)

    def _check(self) -> None:
        check_params(self, label_model_names())

    # ------------------------------------------------------------------ pieces
    def _normaliser(self) -> Normaliser:
        normal = self.label_model == "mixture" and self._binarise_method() == "none"
        return Normaliser(self.normalise, self.normalise_scope,
                          output="normal" if normal and self.normalise == "quantile" else "uniform")

    def _flip(self, U: np.ndarray, flipped: np.ndarray) -> np.ndarray:
        return self.normaliser_.flip(U, flipped)

    def _votes(self, U, groups, fit: bool):
        if self.binariser_ is None:
            return U
        if fit:
            self.binariser_.fit(U, groups, binary=self.normaliser_.binary_)
        return self.binariser_.transform(U, groups)

    # ------------------------------------------------------------------ fit
    def fit(self, data: ScoreData, y=None) -> "VerifierSelector":
        """Fit on the candidates of ``data``; ``y`` (optional, one per candidate) holds 1/0 for
        the candidates of labelled (dev) questions and -1 elsewhere."""
        self._check()
        check_score_data(data)
        groups = data.groups
        X = data.scores
        n, m = X.shape
        if groups.n_groups and groups.sizes.max() < 2:
            raise InputError(f"every question has a single candidate ({n:,} question{'s' if n != 1 else ''}, "
                             f"one candidate each; question column {data.question_col!r}): verifiers are compared "
                             "among a question's candidates, so there is nothing to fit or to select between; "
                             "check the question id column")
        if y is not None:
            y = labels_array(y, n)
            bad = np.flatnonzero((y >= 0) & ~np.isin(y, (0, 1)))   # 2 or 0.5 is not a label; -1/NaN unknown
            if bad.size:
                raise InputError(f"y: row {int(bad[0])} has label {y[bad[0]].tolist()!r}; labels are 1, 0 "
                                 "or -1 (unknown)")
            y = np.where(y >= 0, y, -1).astype(np.int64)
            if not (y >= 0).any():
                y = None
        self.verifiers_ = list(data.verifiers)
        self.normaliser_ = self._normaliser().fit(X, groups)
        U = self.normaliser_.transform(X, groups)
        binary = self.normaliser_.binary_
        if self.label_model == "mixture" and self._binarise_method() == "none":
            check_raw_scale(U, binary, self.verifiers_, data.positions)

        # class balance: given, from the dev labels, or estimated by a quick continuous fit
        if self.class_balance is not None:
            cb, cb_source = float(self.class_balance), "given"
        elif y is not None:
            cb, cb_source = float(np.clip(y[y >= 0].mean(), 0.01, 0.99)), "dev labels"
        else:
            cb, cb_source = None, "estimated"

        lo, hi = (float(x) for x in self.rate_band)
        rate, share, agree, status = filtering.screen(X, U, groups, binary, (lo, hi), self.min_agreement)
        keep = status == "kept"

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

        # first fit; verifiers estimated below chance are flipped, dropped or kept (labelmodel.py)
        model, auc, acc, flipped = labelmodel.fit_label_model(self, U, V, groups, y, cb, keep, status)
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
        if self._pool_setting() and data.answers is not None:   # the pooling test, the within-answer correlation
            self.answer_icc_, self.answer_icc_source_, self.answer_test_ = fit_answer_pooling(
                *self.candidate_proba(data), data, y, self.pool_answers, self.answer_icc)
        return self

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise InputError("VerifierSelector is not fitted yet; call fit() first")

    def _normalised(self, data: ScoreData) -> np.ndarray:
        """Every verifier's normalised score, flipped where the fit flipped it. Raw scores for the
        mixture are checked as at fit (:func:`~weaklabel.verifiers.normalise.check_raw_scale`) on the
        verifiers it reads: a saved selector applied to scores of 1e300 gave P(correct) 0 or 1."""
        self._check_fitted()
        U = self.normaliser_.transform(self.score_columns(data), data.groups)
        if isinstance(self.model_, ScoreMixture) and self.binariser_ is None:
            check_raw_scale(U, self.normaliser_.binary_ | ~self.keep_mask_, self.verifiers_, data.positions)
        return self._flip(U, self.flipped_)

    def score_columns(self, data: ScoreData) -> np.ndarray:
        """The raw scores of every verifier fitted on, in fit order. A verifier the fit dropped
        carries no weight, so new scores need not have its column (it is read as missing): a
        verifier dropped for crashing or for saying nothing need not be run again. A kept
        verifier's column must be there (a clear error names it)."""
        check_score_data(data)
        have = set(data.verifiers)
        data.columns([v for v, k in zip(self.verifiers_, self.keep_mask_) if k])   # raises on a kept one missing
        X = np.full((data.n_rows, len(self.verifiers_)), np.nan)
        present = [j for j, v in enumerate(self.verifiers_) if v in have]
        if present:
            X[:, present] = data.columns([self.verifiers_[j] for j in present])
        return X

    def transform(self, data: ScoreData) -> np.ndarray:
        """What the label model sees: normalised (flipped) scores or votes of the kept verifiers."""
        U = self._normalised(data)
        V = U if self.binariser_ is None else self.binariser_.transform(U, data.groups)
        return V[:, self.keep_mask_]

    def candidate_proba(self, data: ScoreData) -> tuple[np.ndarray, np.ndarray]:
        """P(correct) of each candidate on its own, and the prior log-odds of its question
        (:func:`~weaklabel.verifiers.labelmodel.candidate_proba`)."""
        return labelmodel.candidate_proba(self, data)

    def _pool_setting(self) -> bool:
        """Whether answers are pooled: ``pool_answers``, or with ``"auto"`` whether the fitted
        label model gives likelihood ratios per class (see the class docstring)."""
        if self.pool_answers != "auto":
            return bool(self.pool_answers)
        return votepath.gives_likelihood_ratios(self.model_)

    def pools_answers(self, data: ScoreData, pool_answers: bool | None = None) -> bool:
        """Whether :meth:`predict_proba` pools the evidence of ``data``'s candidates by final
        answer (``pool_answers`` overrides the fitted decision); not when no candidate has one."""
        pool = self._pool_setting() if pool_answers is None else pool_answers
        return bool(pool) and data.answers is not None and bool((data.answers >= 0).any()) \
            and getattr(self, "answer_icc_", None) is not None

    def predict_log_odds(self, data: ScoreData, pool_answers: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(log-odds, own log-odds)`` of correctness per candidate: with answer pooling the
        first is its answer's (see :mod:`~weaklabel.verifiers.answers`), the second its own. A
        selector that pools needs answers: an error without them, a warning when all are missing
        (:func:`~weaklabel.verifiers.pooling.check_answers_to_pool`); ``pool_answers=False``: none."""
        check_answers_to_pool(self, data, pool_answers)
        p, prior_logit = self.candidate_proba(data)
        own = logit(np.clip(p, 1e-12, 1 - 1e-12))
        if not self.pools_answers(data, pool_answers):
            return own, own
        return pooled_answer_log_odds(p, prior_logit, data, self.answer_icc_, self.pool_centre,
                                      self.class_balance_), own

    def predict_proba(self, data: ScoreData, pool_answers: bool | None = None) -> np.ndarray:
        """P(correct) for every candidate of ``data`` (questions seen in fit or new ones); with
        final answers (and ``pool_answers``), its answer's probability. A selector that pools
        refuses data without answers and warns when every answer is missing (:meth:`predict_log_odds`)."""
        self._check_fitted()
        return proba_from_log_odds(self.predict_log_odds(data, pool_answers)[0])

    def mean_normalised_score(self, data: ScoreData) -> np.ndarray:
        """Per candidate, the mean of the kept verifiers' normalised (flipped) scores, before any
        binarising: the continuous evidence a vote model's posterior leaves out."""
        U = self._normalised(data)[:, self.keep_mask_]
        seen = ~np.isnan(U)
        return np.where(seen.any(axis=1), np.nansum(U, axis=1) / np.maximum(seen.sum(axis=1), 1), np.nan)

    def select(self, data: ScoreData, proba: np.ndarray | None = None, pool_answers: bool | None = None) -> np.ndarray:
        """One ``True`` per question: the candidate with the highest P(correct); among equals
        (candidates of one answer) the one with the best own evidence, then the highest mean
        normalised score (a vote model's posterior ties whenever two candidates got the same
        votes; majority vote's ties often); remaining ties broken at random (seeded, keyed on the
        ids, not the row order: :mod:`~weaklabel.verifiers.draws`)."""
        if proba is not None:
            if np.shape(proba) != (data.n_rows,):
                raise InputError(f"proba must have one entry per candidate ({data.n_rows}), got shape "
                                 f"{np.shape(proba)}")
            score, keys = logit(np.clip(np.asarray(proba, dtype=float), 1e-15, 1 - 1e-15)), []
        else:
            score, own = self.predict_log_odds(data, pool_answers)
            keys = [own]
        keys.append(self.mean_normalised_score(data))
        sel = np.zeros(data.n_rows, dtype=bool)
        sel[top_candidates(score, data.groups, secondary=keys, tie=candidate_keys(data, self.random_state))] = True
        return sel

    # ------------------------------------------------------------------ report
    def verifier_table(self):
        """One row per verifier: format, share missing, yes-rate, agreement, status, family,
        weight and the label model's estimated AUC and accuracy
        (:func:`~weaklabel.verifiers.explain.verifier_table`)."""
        from .explain import verifier_table

        self._check_fitted()
        return verifier_table(self)

    def effective_weights(self) -> np.ndarray:
        """What each verifier counts per unit of its normalised score (mixture; NaN for the vote
        models and dropped verifiers; :func:`~weaklabel.verifiers.explain.effective_weights`)."""
        from .explain import effective_weights

        self._check_fitted()
        return effective_weights(self)

    def explain(self) -> dict:
        """Families found, weights, every verifier's status and the answer-pooling decision, as
        plain JSON data (:func:`~weaklabel.verifiers.explain.explain`)."""
        from .explain import explain

        self._check_fitted()
        return explain(self)

    # ------------------------------------------------------------------ state
    def to_dict(self) -> dict:
        """The fitted state as plain JSON data (:mod:`~weaklabel.verifiers.state`)."""
        self._check_fitted()
        return selector_to_dict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "selector") -> "VerifierSelector":
        return selector_from_dict(cls, d, where)

    def save(self, path, force: bool = False) -> None:
        """Write the fitted state as JSON, atomically."""
        from ..io import check_json_name, write_json_atomic

        check_json_name(path, "the selector")
        write_json_atomic(self.to_dict(), path, force=force)

    @classmethod
    def load(cls, path) -> "VerifierSelector":
        return load_selector(cls, path)
