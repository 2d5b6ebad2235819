"""Checks of a moment fit (``mc``, ``triplet``) that need no labels, and the majority-vote state
it falls back to.

Why a module of its own: both moment models run the same rule on the same co-vote counts
(``VoteStats.pair_counts``; one more pass where they cannot settle it), and the state they fall
back to must be one, so that a saved model, ``fit``'s table and ``analyze --model`` all say the
same (PROTOCOL.md §33).
"""

from __future__ import annotations

import numpy as np


#: an LF sharing fewer voted rows than this with the other LFs (rows where it and another LF both
#: vote) tells a moment fit nothing about its accuracy (the count :class:`Triplet` asks of each pair)
MIN_COVOTES = 10

#: the class-0 score of :func:`shared_rows`: per vote, and (times -1.5) as the prior, so rows with one
#: vote sit at -25 (posterior e^-25) and rows with two or more at +25 or above
_SHARED_SCORE = 50.0


def shared_rows(data) -> np.ndarray:
    """``(m,)`` int64: the rows on which each LF votes together with at least one other LF.

    One E-step pass (:meth:`VoteStats.em_stats`, so every engine, streamed and Dask included)
    with tables whose class-0 posterior is 1 on a row with two votes or more and 0 on a row with
    one. Cached on ``data``: the fallback rule and the warning ask for it once."""
    cache = data.__dict__
    if "_shared_rows" not in cache:
        m, K = data.n_lfs, data.cardinality
        D = np.zeros((m, K, K))
        D[:, 0, :] = _SHARED_SCORE
        base = np.zeros(K)
        base[0] = -1.5 * _SHARED_SCORE
        S, _, _ = data.em_stats(D, base)
        cache["_shared_rows"] = np.rint(S[:, 0, :].sum(axis=1)).astype(np.int64)
    return cache["_shared_rows"]


def lonely_lfs(data, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(votes per LF, voting LFs sharing fewer than MIN_COVOTES rows with the others)``.

    The co-vote counts settle most LFs without another pass: an LF's shared rows are at most its
    co-votes (a shared row gives one per other LF voting there) and at least its co-votes over the
    number of other voting LFs. Only where neither bound settles it are the rows counted
    (:func:`shared_rows`): two rows where ten LFs fire give each LF 18 co-votes but two shared rows
    (reviewer 93). Cached on ``data`` (``pairs`` are its co-vote counts): the fallback rule and the
    warning ask for it once."""
    cache = data.__dict__
    if "_lonely_lfs" in cache:
        return cache["_lonely_lfs"]
    m, K = data.n_lfs, data.cardinality
    N = pairs.reshape(m, K, m, K).sum(axis=(1, 3))
    votes = np.diag(N).copy()
    voting = votes > 0
    co = N.sum(axis=1) - votes
    lonely = voting & (co < MIN_COVOTES)
    unsettled = voting & ~lonely & (co < MIN_COVOTES * max(int(voting.sum()) - 1, 1))
    if unsettled.any():
        lonely |= unsettled & (shared_rows(data) < MIN_COVOTES)
    cache["_lonely_lfs"] = votes, lonely
    return votes, lonely


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
    votes, lonely = lonely_lfs(data, pairs)
    voting = votes > 0
    if voting.any() and lonely[voting].all():
        return (f"cannot estimate any LF's accuracy: no LF shares {MIN_COVOTES} or more voted rows with the other "
                f"LFs, so the agreements it fits are (nearly) empty")
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
    votes, lonely = lonely_lfs(data, pairs)
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
