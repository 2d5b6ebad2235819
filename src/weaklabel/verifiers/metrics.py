"""Selection metrics: which candidate each method picks, and how often it is correct.

* **Select@1**: accuracy of the candidate a method selects per question.
* **Pass@1**: accuracy of the first candidate (the generator's own first sample).
* **Pass@k**: share of questions with at least one correct candidate (an oracle selector).
* **AUC within questions**: P(a correct candidate outscores an incorrect one of the same
  question), ties counted half: how well a score ranks, the quantity selection needs.

Ties in a score are broken at random with a seed, never by row order (which would favour the
first sample): keyed on the question and candidate ids (:mod:`~weaklabel.verifiers.draws`), so the
same rows in another order break their ties alike.
"""

from __future__ import annotations

import numpy as np

from ._groups import Groups


def top_candidates(score: np.ndarray, groups: Groups, seed: int = 0, secondary=None, tie=None) -> np.ndarray:
    """Row index of the highest-scoring candidate of each question (NaN scores rank last; ties
    broken by ``secondary`` if given: one array or a sequence of arrays tried in turn, higher
    first; then at random: the smallest of ``tie``, one key per row, or without it a seeded draw
    per row position). Give ``tie=``:func:`~weaklabel.verifiers.draws.candidate_keys` ``(data,
    seed)`` for draws keyed on the candidates' ids: the same rows in another order then break
    their ties alike."""
    score = np.asarray(score, dtype=float)
    if tie is None:
        tie = np.random.default_rng(seed).random(score.size)
    elif np.shape(tie) != score.shape:
        raise ValueError(f"tie must have one key per candidate ({score.size}), got shape {np.shape(tie)}")
    key = np.where(np.isnan(score), -np.inf, score)
    if secondary is None:
        secondary = []
    elif isinstance(secondary, np.ndarray) and secondary.ndim == 1:
        secondary = [secondary]
    keys = [-np.nan_to_num(np.asarray(s, dtype=float), nan=-np.inf) for s in secondary]
    order = np.lexsort((tie, *reversed(keys), -key, groups.codes))
    return order[groups.starts]


def first_candidates(groups: Groups, position: np.ndarray | None = None) -> np.ndarray:
    """Row index of each question's first candidate in input order (``position``: each row's
    position in the input, when the rows are in another order)."""
    if position is None:
        return groups.order[groups.starts]
    return np.lexsort((position, groups.codes))[groups.starts]


def pass_at_k(correct: np.ndarray, groups: Groups) -> np.ndarray:
    """Per question: whether any candidate is correct."""
    return groups.max(np.asarray(correct, dtype=float)) > 0


def answer_support(answers: np.ndarray) -> np.ndarray:
    """For each candidate, how many candidates of its question gave the same final answer
    (answer codes are unique per question; ``-1`` = no answer, support 0)."""
    answers = np.asarray(answers, dtype=np.int64)
    has = answers >= 0
    counts = np.bincount(answers[has], minlength=int(answers.max()) + 1 if has.any() else 0)
    return np.where(has, counts[np.where(has, answers, 0)] if counts.size else 0, 0).astype(float)


def within_question_auc(score: np.ndarray, correct: np.ndarray, groups: Groups) -> float:
    """Pooled within-question AUC of ``score`` (candidates with a NaN score or unknown label are
    left out; questions without both classes contribute no pairs). NaN if there are no pairs."""
    score = np.asarray(score, dtype=float)
    correct = np.asarray(correct)
    ok = ~np.isnan(score) & (correct >= 0)
    if not ok.any():
        return float("nan")
    sub = groups.take(np.flatnonzero(ok))
    s, c = score[ok], correct[ok].astype(float)
    mid = sub.midrank(s)                                   # within-question mid-rank CDF
    n_q = np.bincount(sub.codes, minlength=sub.n_groups).astype(float)
    pos = np.bincount(sub.codes, weights=c, minlength=sub.n_groups)
    neg = n_q - pos
    # Mann-Whitney per question: sum of positives' ranks minus the minimum possible
    rank = mid * n_q[sub.codes] + 0.5                      # 1-based mid-ranks
    rsum = np.bincount(sub.codes, weights=rank * c, minlength=sub.n_groups)
    u = rsum - pos * (pos + 1) / 2.0
    pairs = pos * neg
    total = pairs.sum()
    return float(u[pairs > 0].sum() / total) if total > 0 else float("nan")
