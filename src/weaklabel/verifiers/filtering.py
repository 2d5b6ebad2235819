"""Step 3: find verifiers that cannot help, before and after the label model sees them.

* **near-constant**: a yes/no verifier (or a binarised one) whose share of "yes" votes lies
  outside ``rate_band``, or any verifier whose most common score covers more than the band's
  upper end of its scores (a reward model that returns 1.0 for almost everything);
* **agrees with nothing**: within each question a useful verifier's scores co-vary with other
  verifiers' (they all track correctness); a verifier whose largest absolute within-question
  correlation with any other verifier is below ``min_agreement`` is noise;
* **below chance**: after a first fit, a verifier whose estimated AUC is below 0.5 is inverted;
  the selector reports it and flips, drops or keeps it.

Correlations are computed on scores centred within each question (so two verifiers that both
score hard questions low do not count as agreeing) from the pairs of candidates both scored.
"""

from __future__ import annotations

import numpy as np

from ._groups import Groups


def positive_rate(votes: np.ndarray) -> np.ndarray:
    """Share of 1 votes among the non-missing votes (-1) of each column; NaN for an empty one."""
    obs = votes >= 0
    n = obs.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (votes == 1).sum(axis=0) / np.maximum(n, 1), np.nan)


def mode_share(X: np.ndarray) -> np.ndarray:
    """Share of each column's non-missing values taken by its most common value (1 if empty)."""
    out = np.ones(X.shape[1])
    for v in range(X.shape[1]):
        col = X[:, v]
        col = col[~np.isnan(col)]
        if col.size:
            _, counts = np.unique(col, return_counts=True)
            out[v] = counts.max() / col.size
    return out


def within_question_correlation(X: np.ndarray, groups: Groups) -> tuple[np.ndarray, np.ndarray]:
    """``(corr, pairs)``: ``(m, m)`` correlations of the within-question-centred scores over the
    candidates both verifiers scored, and the number of such candidates."""
    obs = ~np.isnan(X)
    # a column of raw scores near 1e300 (or 1e-300) scaled to at most 1 first (a correlation does not
    # change): squared, they overflowed to inf (or to 0) and the verifier was dropped as agreeing with nothing
    scale = np.abs(np.where(obs, X, 0.0)).max(axis=0, initial=0.0)
    X = X / np.where((scale > 1e100) | ((scale > 0) & (scale < 1e-100)), scale, 1.0)
    Z = np.where(obs, X - groups.broadcast(groups.mean(X)), 0.0)
    O = obs.astype(float)
    cross = Z.T @ Z
    sq = (Z * Z).T @ O                       # sq[v, w]: sum of z_v^2 over rows where w is observed too
    pairs = O.T @ O
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cross / np.sqrt(sq * sq.T)
    corr = np.where(np.isfinite(corr), corr, 0.0)
    np.fill_diagonal(corr, 1.0)
    return corr, pairs


def agreement(X: np.ndarray, groups: Groups, candidates=None, min_pairs: int = 10) -> np.ndarray:
    """Each verifier's largest absolute within-question correlation with another verifier among
    ``candidates`` (a boolean mask; default all), over at least ``min_pairs`` shared candidates."""
    m = X.shape[1]
    corr, pairs = within_question_correlation(X, groups)
    ok = (pairs >= min_pairs) & ~np.eye(m, dtype=bool)
    if candidates is not None:
        ok &= np.asarray(candidates, dtype=bool)[None, :]
    a = np.where(ok, np.abs(corr), 0.0)
    return a.max(axis=1) if m > 1 else np.zeros(m)


def screen(X: np.ndarray, U: np.ndarray, groups: Groups, binary: np.ndarray, rate_band, min_agreement: float):
    """The selector's first filter: ``(rate, share, agree, status)`` per verifier. Near-constant
    verifiers (most common score's share above the band's top, a yes/no verifier's yes-rate
    outside ``rate_band``, fewer than two scores) are dropped, then those whose largest
    within-question correlation with a non-constant verifier is below ``min_agreement`` (unless
    it is the only non-constant one).
    ``status``: ``kept``, ``dropped: no scores``, ``dropped: near-constant`` or ``dropped: agrees
    with nothing``; raises
    when nothing is kept. ``X``: raw scores; ``U``: normalised."""
    from ..errors import InputError

    lo, hi = rate_band
    m = X.shape[1]
    rate = np.full(m, np.nan)
    rate[binary] = positive_rate(np.where(np.isnan(U[:, binary]), -1, U[:, binary]).astype(np.int8))
    share = mode_share(X)
    n_obs = (~np.isnan(X)).sum(axis=0)
    constant = (share > hi) | (binary & ((rate < lo) | (rate > hi))) | (n_obs < 2)
    agree = agreement(U, groups, candidates=~constant)
    # a lone verifier has nothing to agree with: kept (its own ranking), not dropped
    no_agreement = ~constant & (agree < min_agreement) & ((~constant).sum() > 1)
    status = np.array(["kept"] * m, dtype=object)
    status[constant] = "dropped: near-constant"
    status[n_obs == 0] = "dropped: no scores"     # an empty column is not a verifier that always says one thing
    status[no_agreement] = "dropped: agrees with nothing"
    if not (status == "kept").any():
        raise InputError("every verifier was dropped (no scores, near-constant or agreeing with nothing); "
                         "check the scores or relax --min-agreement / the rate band")
    return rate, share, agree, status
