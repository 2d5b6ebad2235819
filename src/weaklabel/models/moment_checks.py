"""Checks of a moment fit (``mc``, ``triplet``) that need no labels, and the majority-vote state
it falls back to.

Why a module of its own: both moment models run the same rule on the same co-vote counts
(``VoteStats.pair_counts``), and the state they fall back to must be one, so that a saved model,
``fit``'s table and ``analyze --model`` all say the same (PROTOCOL.md §33).
"""

from __future__ import annotations

import numpy as np


#: an LF with fewer co-votes than this (rows it shares with another LF, counted once for each other
#: LF voting there) tells a moment fit nothing about its accuracy (the count :class:`Triplet` asks of
#: each pair). A sum over the other LFs, so a few rows where many LFs fire can pass it; counting the
#: shared rows themselves would take another pass over the rows (tests/review92 records the case)
MIN_COVOTES = 10


def degenerate_fit(model, data, pairs: np.ndarray) -> str | None:
    """Why a moment fit cannot be trusted, or ``None``: no LF has ``MIN_COVOTES`` co-votes with the
    others, so nothing identifies any accuracy. ``pairs``: the ``(m K, m K)`` co-vote counts.

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
        return (f"cannot estimate any LF's accuracy: no LF has {MIN_COVOTES} or more co-votes with the other LFs "
                f"(rows where it and another LF both vote), so the agreements it fits are empty")
    return None


#: warn when the LFs below ``MIN_COVOTES`` cast at least this share of the votes (a few rare workers
#: in a large crowd are not worth a warning; a third of the votes is)
UNIDENTIFIED_WARN_SHARE = 0.10


def unidentified_note(name: str, data, pairs: np.ndarray) -> str | None:
    """A warning naming the voting LFs with fewer than ``MIN_COVOTES`` co-votes with the others, when they cast at least ``UNIDENTIFIED_WARN_SHARE`` of the votes; else ``None``.

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
            f"has fewer than {MIN_COVOTES} co-votes with the other LFs, so their accuracies follow their vote "
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


def fall_back(model, data, P, why: str, fixed, gold) -> None:
    """Replace ``model``'s fit by :func:`majority_state`: set in closed form (no iterations), and no
    accuracy an estimate (``identified_`` false: `fit`'s LF table, ``analyze --model`` show n/a)."""
    conf, prop = majority_state(data)
    model._set_state(np.asarray(P, dtype=float), conf, prop, np.zeros(data.n_lfs, dtype=bool))
    model.identified_, model.n_iter_, model.converged_ = np.zeros(data.n_lfs, dtype=bool), 0, True
    model._fallback_note = fallback_note(type(model).__name__, why, fixed, gold)


def fallback_note(name: str, why: str, fixed, gold) -> str:
    """The warning of a moment fit replaced by majority vote (``diagnostics.fit_warnings`` prints it)."""
    balance = "the given" if fixed is not None else "the gold rows'" if gold is not None else "equal"
    return (f"{name} {why}: it falls back to majority vote (every LF equally accurate, {balance} class balance), "
            f"and its accuracies are not estimates (try --model auto)")
