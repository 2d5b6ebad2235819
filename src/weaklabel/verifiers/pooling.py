"""Answer pooling as the selector uses it: whether to pool (a test), how correlated the evidence
within an answer is (an estimate), and how a question's shared bias is kept out of the pooled
evidence (the centring rule); and what a selector that pools does with candidates without answers
(:func:`check_answers_to_pool`). The arithmetic of pooling is in :mod:`~weaklabel.verifiers.answers`."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from ..errors import InputError
from .answers import (
    answer_f_test,
    answer_icc,
    answer_icc_mixture,
    evidence_from_proba,
    pooled_log_odds,
    proba_from_log_odds,
)

ANSWER_TEST_ALPHA = 0.01
MIN_DEV_ANSWERS = 30         # fewer labelled answers: the unlabelled estimate is steadier


def fit_answer_pooling(p: np.ndarray, prior_logit: np.ndarray, data, y, pool_answers, given_icc):
    """``(icc, source, test)``: the pooling test (do the candidates' evidence cluster by final
    answer within questions? :func:`~weaklabel.verifiers.answers.answer_f_test`, alpha
    ``ANSWER_TEST_ALPHA``) and the within-answer correlation of the evidence: ``given_icc``, from
    the dev labels ``y`` (when they cover at least ``MIN_DEV_ANSWERS`` distinct answers), or from
    the unlabelled two-class mixture of the answers' mean evidence
    (:func:`~weaklabel.verifiers.answers.answer_icc_mixture`). ``icc`` is None when not pooled,
    also with ``pool_answers=True`` when no candidate has a final answer (nothing to pool).
    ``p``/``prior_logit``: each candidate's own P(correct) and its question's prior log-odds."""
    ev = evidence_from_proba(p, prior_logit)
    F, pval = answer_f_test(ev, data.answers, data.codes)
    test = {"statistic": "F (evidence on answers nested in questions)", "F": F, "p_value": pval,
            "alpha": ANSWER_TEST_ALPHA}
    if not (data.answers >= 0).any():
        # nothing to pool, forced or not: "pooled (forced)" with a default correlation of 0.5 was
        # reported (and saved) for a pooling that changed nothing
        test["decision"] = "not pooled: no candidate has a final answer"
        return None, None, test
    if pool_answers == "auto" and not (np.isfinite(pval) and pval < ANSWER_TEST_ALPHA):
        test["decision"] = "not pooled: the evidence does not cluster by answer"
        return None, None, test
    test["decision"] = "pooled" if pool_answers == "auto" else "pooled (forced)"
    if given_icc is not None:
        return float(given_icc), "given", test
    icc, source = float("nan"), ""
    dev_answers = 0 if y is None else np.unique(data.answers[(y >= 0) & (data.answers >= 0)]).size
    if dev_answers >= MIN_DEV_ANSWERS:
        icc, source = answer_icc(ev, data.answers, np.where(y >= 0, y, -1)), "dev labels"
    if not np.isfinite(icc):
        p1 = proba_from_log_odds(pooled_log_odds(ev, prior_logit, data.answers, 1.0))
        icc, source = answer_icc_mixture(ev, data.answers, p1), "estimated (answer mixture)"
    if not np.isfinite(icc):
        icc, source = 0.5, "default (too few answers to estimate)"
    return float(icc), source, test


def check_answers_to_pool(sel, data, pool_answers=None) -> None:
    """A selector that pools candidates by final answer (``sel``, fitted), asked to score ``data``
    (``pool_answers``: as :meth:`~weaklabel.verifiers.selector.VerifierSelector.predict_proba`'s;
    ``False`` asks for no pooling) that has no answers: an :class:`~weaklabel.errors.InputError`
    without an answers' column (as ``weaklabel select`` refuses one without ``--answer-col``), a
    ``UserWarning`` when every answer is missing (as the CLI warns): the candidates are then scored on
    their own evidence, which was done silently."""
    pool = sel._pool_setting() if pool_answers is None else pool_answers
    if not pool or getattr(sel, "answer_icc_", None) is None:
        return
    col = getattr(sel, "answer_column_", None)
    if data.answers is None:
        raise InputError("the selector pools candidates by final answer" + (f" (fitted with answer column {col!r})"
                         if col else "") + ", but the data has no answers: read them with from_frame(..., "
                         "answer_col=...), or pass pool_answers=False to score each candidate on its own evidence")
    if not (data.answers >= 0).any():
        warnings.warn("the selector pools candidates by final answer, but no candidate has one (every answer is "
                      "missing): nothing was pooled; each candidate is selected on its own evidence (pass "
                      "pool_answers=False to ask for that)", UserWarning, stacklevel=_caller_level())


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside this package: the user's call, however deep."""
    here, frame, level = os.path.dirname(__file__), sys._getframe(1), 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1
    return level


def centre_weight(rule: str, prior_logit: np.ndarray, class_balance: float) -> np.ndarray | None:
    """Per candidate, the share of its question's mean evidence taken out before pooling (None:
    nothing). ``none``; ``question``: all of it; ``prior``: the question's estimated share of
    correct candidates ``pi_q``; ``auto`` (the default, chosen on the tuning pools of
    ``benchmarks/VERIFIERS_PROTOCOL.md``): all of it when the estimated share of correct
    candidates over all questions (``class_balance``) is above one half, else ``pi_q``.

    Why: the label model's per-question offsets and priors absorb part of what a question's
    candidates share, so its mean evidence is biased by an amount that grows with the share of
    correct candidates; pooling multiplies that bias by each answer's effective count. Where most
    candidates are right (near-ceiling pools, many candidates), the bias sank the popular correct
    answer below the plain mean score; full centring fixes it there but, where most candidates
    are wrong, lets a popular wrong answer gain (the bench suites lost 1-2 points). Taking out
    ``pi_q`` of it removes the bias in proportion to how much of the question is correct."""
    from scipy.special import expit

    if rule == "none":
        return None
    if rule == "question":
        return np.ones(prior_logit.size)
    if rule == "prior":
        return expit(prior_logit)
    if rule == "auto":
        return np.ones(prior_logit.size) if class_balance > 0.5 else expit(prior_logit)
    raise ValueError(f"unknown pool_centre {rule!r}")


def pooled_answer_log_odds(p: np.ndarray, prior_logit: np.ndarray, data, icc: float, rule: str,
                           class_balance: float) -> np.ndarray:
    """Each candidate's log-odds of correctness with its answer's pooled evidence.

    A bias shared by a question's candidates (its offset or prior estimated off) would be
    multiplied by each answer's effective count: popular answers would gain or lose by it.
    Centred (``rule``, :func:`centre_weight`), an answer's popularity counts only with
    better-than-average evidence."""
    ev = evidence_from_proba(p, prior_logit)
    lam = centre_weight(rule, prior_logit, class_balance)
    if lam is not None:
        shift = lam * data.groups.broadcast(data.groups.mean(ev))
        ev = ev - shift
        prior_logit = prior_logit + shift
    return pooled_log_odds(ev, prior_logit, data.answers, icc)
