"""Answer pooling: candidates that reach the same final answer are right or wrong together.

With exact-match grading (math, multiple choice) correctness is a property of the final answer,
so the evidence of every candidate that gave answer ``a`` speaks for ``a``. Summing it would
treat those candidates as independent draws, but samples that reach the same answer often share
their reasoning and a verifier judges them alike: their evidence is correlated, with an
intra-class correlation ``rho`` (the share of its variance common to the answer). The usual
design-effect correction pools the candidates' log-likelihood ratios ``e_i`` as

    E_a = sum_{i in a} e_i / (1 + (n_a - 1) rho)

(``rho = 0``: independent evidence, a sum; ``rho = 1``: one shared draw, the mean), and every
candidate of ``a`` gets ``P(correct) = sigmoid(logit(pi_q) + E_a)``. Popularity counts (ten
candidates with weak positive evidence outweigh one), but less and less as ``rho`` grows, so the
majority answer wins only when the verifiers do not contradict it.

``rho`` is estimated by one-way ANOVA over the answers of each class (candidates of a labelled
dev question, or answers the model classifies confidently).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit


def answer_stats(values: np.ndarray, answers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(codes, sums, counts)``: per candidate its answer's index (``-1`` = no answer), and per
    answer the sum of ``values`` and the number of candidates."""
    answers = np.asarray(answers, dtype=np.int64)
    has = answers >= 0
    uniq, inv = np.unique(answers[has], return_inverse=True)
    codes = np.full(answers.size, -1, dtype=np.int64)
    codes[has] = inv
    sums = np.bincount(inv, weights=values[has], minlength=uniq.size)
    counts = np.bincount(inv, minlength=uniq.size).astype(float)
    return codes, sums, counts


def pooled_log_odds(evidence: np.ndarray, prior_logit: np.ndarray, answers: np.ndarray, rho: float) -> np.ndarray:
    """Log-odds of correctness per candidate with its answer's pooled evidence (see module
    docstring); candidates without an answer keep their own."""
    codes, sums, counts = answer_stats(evidence, answers)
    pooled = sums / (1.0 + (counts - 1.0) * float(rho))
    if not pooled.size:                       # no candidate has an answer: each keeps its own
        return prior_logit + evidence
    own = codes < 0
    return prior_logit + np.where(own, evidence, pooled[np.maximum(codes, 0)])


def answer_icc(evidence: np.ndarray, answers: np.ndarray, classes: np.ndarray) -> float:
    """Intra-class correlation of ``evidence`` within answers, within each class: one-way ANOVA
    ``(MSB - MSW) / (MSB + (n0 - 1) MSW)`` over the answers whose class (1 correct, 0 wrong, -1
    unknown, constant within an answer) is known, clipped to ``[0, 1]``. NaN with too few
    answers."""
    evidence = np.asarray(evidence, dtype=float)
    ok = (np.asarray(answers) >= 0) & (np.asarray(classes) >= 0) & np.isfinite(evidence)
    if ok.sum() < 10:
        return float("nan")
    e, a, c = evidence[ok], np.asarray(answers)[ok], np.asarray(classes)[ok]
    codes, sums, counts = answer_stats(e, a)
    A, N = counts.size, e.size
    cls_of = np.zeros(A, dtype=np.int64)
    cls_of[codes] = c
    means = sums / counts
    class_mean = np.array([e[c == k].mean() if np.any(c == k) else 0.0 for k in (0, 1)])
    n_classes = len(np.unique(c))
    df_b, df_w = A - n_classes, N - A
    if df_b < 2 or df_w < 2:
        return float("nan")
    ssw = float(((e - means[codes]) ** 2).sum())
    ssb = float((counts * (means - class_mean[cls_of]) ** 2).sum())
    msw, msb = ssw / df_w, ssb / df_b
    n0 = (N - (counts ** 2).sum() / N) / max(A - 1, 1)
    denom = msb + (n0 - 1.0) * msw
    if denom <= 0:
        return 0.0
    return float(np.clip((msb - msw) / denom, 0.0, 1.0))


def evidence_from_proba(p: np.ndarray, prior_logit: np.ndarray) -> np.ndarray:
    """The log-likelihood ratio behind a probability computed with prior log-odds ``prior_logit``."""
    return logit(np.clip(p, 1e-12, 1 - 1e-12)) - prior_logit


def proba_from_log_odds(log_odds: np.ndarray) -> np.ndarray:
    return expit(np.clip(log_odds, -40.0, 40.0))


def answer_icc_mixture(evidence: np.ndarray, answers: np.ndarray, p_start: np.ndarray,
                       n_iter: int = 200) -> float:
    """Within-answer correlation of ``evidence`` without labels, not biased by classifying the
    answers first (answers classified by a threshold look more alike within a class than they
    are, and the correlation comes out too low).

    The answers' mean evidence ``m_a`` is a two-class mixture, ``m_a ~ N(mu_c, tau_c^2 +
    s_w^2 / n_a)`` for the answer's class ``c`` (right or wrong, latent), with ``s_w^2`` the
    within-answer variance (one-way ANOVA, known) and ``tau_c^2`` the between-answer variance
    within a class, fitted by EM from ``p_start`` (the answers' starting P(correct), e.g. the
    model's pooled probability). The correlation is ``tau^2 / (tau^2 + s_w^2)`` with ``tau^2``
    the classes' pooled between-answer variance. NaN with fewer than 10 answers of two or more
    candidates."""
    evidence = np.asarray(evidence, dtype=float)
    ok = (np.asarray(answers) >= 0) & np.isfinite(evidence)
    e, a = evidence[ok], np.asarray(answers)[ok]
    codes, sums, counts = answer_stats(e, a)
    A, N = counts.size, e.size
    if A < 10 or N - A < 10 or (counts >= 2).sum() < 10:
        return float("nan")
    means = sums / counts
    msw = float(((e - means[codes]) ** 2).sum()) / (N - A)
    if msw <= 0:
        return 1.0
    _, psum, _ = answer_stats(np.asarray(p_start, dtype=float)[ok], a)
    r1 = np.clip(psum / counts, 1e-3, 1 - 1e-3)
    noise = msw / counts
    tau = np.full(2, max(float(np.var(means)) - float(noise.mean()), 1e-3 * msw))
    mu = np.zeros(2)
    for _ in range(n_iter):
        R = np.stack([1 - r1, r1], axis=1)                               # (A, 2)
        pi = R.mean(axis=0)
        var = tau[None, :] + noise[:, None]
        wgt = R / var
        mu = (wgt * means[:, None]).sum(axis=0) / np.maximum(wgt.sum(axis=0), 1e-12)
        dev = (means[:, None] - mu[None, :]) ** 2 - noise[:, None]
        tau_new = np.maximum((R * dev).sum(axis=0) / np.maximum(R.sum(axis=0), 1e-12), 1e-6 * msw)
        var = tau_new[None, :] + noise[:, None]
        logp = np.log(np.maximum(pi, 1e-12))[None, :] - 0.5 * (np.log(var) + (means[:, None] - mu[None, :]) ** 2 / var)
        r_new = expit(np.clip(logp[:, 1] - logp[:, 0], -40, 40))
        done = np.max(np.abs(tau_new - tau)) < 1e-6 * msw and np.max(np.abs(r_new - r1)) < 1e-6
        tau, r1 = tau_new, np.clip(r_new, 1e-6, 1 - 1e-6)
        if done:
            break
    w = np.array([(1 - r1).sum(), r1.sum()])
    t2 = float((w * tau).sum() / w.sum())
    return float(np.clip(t2 / (t2 + msw), 0.0, 1.0))


def answer_f_test(evidence: np.ndarray, answers: np.ndarray, questions: np.ndarray) -> tuple[float, float]:
    """``(F, p-value)`` of one-way ANOVA of ``evidence`` on the answers nested within questions:
    do candidates with the same final answer get more alike evidence than candidates of other
    answers to the same question? Question means are removed first, so the test does not depend
    on how many correct answers a question has (one shared correct answer, a few recurring wrong
    ones is the usual case). ``(nan, nan)`` when no question has two answers."""
    from scipy.stats import f as f_dist

    evidence = np.asarray(evidence, dtype=float)
    answers = np.asarray(answers)
    ok = (answers >= 0) & np.isfinite(evidence)
    e, a, q = evidence[ok], answers[ok], np.asarray(questions)[ok]
    _, qinv = np.unique(q, return_inverse=True)
    qmean = np.bincount(qinv, weights=e) / np.bincount(qinv)
    codes, sums, counts = answer_stats(e, a)
    A, N, Q = counts.size, e.size, qmean.size
    df_b, df_w = A - Q, N - A
    if df_b < 1 or df_w < 1:
        return float("nan"), float("nan")
    q_of_answer = np.zeros(A, dtype=np.int64)
    q_of_answer[codes] = qinv
    means = sums / counts
    ssb = float((counts * (means - qmean[q_of_answer]) ** 2).sum())
    ssw = float(((e - means[codes]) ** 2).sum())
    if ssw <= 0:
        return float("inf"), 0.0
    F = (ssb / df_b) / (ssw / df_w)
    return float(F), float(f_dist.sf(F, df_b, df_w))
