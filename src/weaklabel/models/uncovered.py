"""What rows no LF votes on get: the class prior, except where something better is known.

A row without votes carries no evidence about its class, so a label model gives it the class
prior (``class_balance_``). Three cases call for something else (``benchmarks/PROTOCOL.md`` §22),
applied by :meth:`LabelModel.fit` / :meth:`LabelModel.predict_proba` as ``uncovered_proba_``:

* **Without gold labels, a class no LF votes.** The prior is then estimated from the voted rows and
  puts (almost) nothing on that class, not because it is rare but because no LF looks for it. The
  rows no LF fires on are, if anything, rich in exactly that class (keyword rules for spam leave the
  ham unvoted), and the prior would label every one of them with a class the LFs vote: every row
  in one class when all LFs vote the same class (``simulate_regime("one_class")``). The votes cannot
  say how common an unvoted class is, so those rows get equal probabilities: a tie, which
  ``--ties abstain`` leaves unlabelled and a random tie-break turns into majority vote's guess.
  Chosen over keeping the prior (worse on every tuning group) and over a prior normalised by the
  LFs voting each class; *not* over always giving such rows equal probabilities by the tuning
  criterion, which prefers that (most tuning tasks are LF sets cut to a few rules), but because it
  gives up the largest all-rows gain on whole LF sets (sms +22 points); PROTOCOL §22 says which
  figures were in view when.
* **Without gold labels, two classes, where a model of who abstains disputes the prior** (PROTOCOL
  §28). Both classes are voted, so the prior of the voted rows is kept, and it is a bet: on LF sets the rows no
  rule fires on are not a random part of the data (spam rules leave the ham unvoted). A second
  estimate of their class reads the fitted model's posterior another way: each LF's firing rate on
  each class, ``f_jk``, and ``q_k`` proportional to ``pi_k prod_j (1 - f_jk)`` (the classes the LFs
  rarely leave alone are rare among the rows they leave; :func:`who_abstains`). It is fragile on
  its own (rules fire together far more than independence says, and on two-class subsets it swung
  35 points either way, §23), so it is not used as the answer; but where its most likely class is
  not the prior's, the votes give two conflicting answers and the rows get equal probabilities, a
  random guess, as where a class gets no vote. On the tuning tasks (rows without votes, points over
  a random guess): criterion -8.72 -> -7.11, tasks more than 0.5 below 48 -> 36; it can only give
  up a bet, never make one. Two classes only: with more, the prior's top class is often a near-tie
  that the product over LFs flips by noise, and each such change on the tuning tasks lost points
  (chemprot -0.5).
* **The same, where the votes cannot rule out the other class** (PROTOCOL §30). ``q`` is a
  capture-recapture estimate: a class's share among the rows without votes is identified by how
  often its LFs fire together. With one LF a class, or LFs that barely fire, nothing identifies
  it and the fixed point stays near its start, so started at the prior it "agrees". It is run a
  second time from the mirrored prior; where it stays on the other class, those rows get equal
  probabilities too. On the tuning tasks: criterion -10.4 -> -2.8, tasks more than 0.5 below 36 ->
  27 (two-class tasks; WRENCH sms cut to 3-8 LFs, where 99% of rows have no vote, is most of it).
* **With gold labels, the gold rows that have no vote.** They are a sample of exactly the rows in
  question, so their class counts, with one pseudo-row of what the model would give such a row,
  are the estimate. The prior of all gold rows (what a model fitted with labels uses) misses that
  rows without votes are not a random part of the data. On the tuning half with 100 gold rows, the
  points rows without votes add to all-rows accuracy over a random guess: +16.6 against +15.2 for
  the gold prior and -2.6 for the label-free prior (tasks more than 0.5 below: 9, 32 and 51 of 225).
  Only from :data:`MIN_GOLD_ROWS` such rows: every row without votes gets the same label, so a
  handful of gold rows decides all of them, and where LFs fire regardless of the class (the model's
  prior is then right) using fewer than 5 cost 3.3 points of those rows on average (21 of 40
  simulated tasks with 100 gold rows); on the tuning half the two rules tie (PROTOCOL §22, §24).

A class balance the user fixed (``class_balance=``) is the prior of every row and is kept. Models
that infer something from "no LF voted" (Dawid-Skene with abstains modelled, whose EM estimates
every class's firing rates from the whole likelihood) keep their own answer without gold labels;
moment matching (``mc``) does not: its agreement moments say nothing about how often an LF fires
on a class no LF votes.
"""

from __future__ import annotations

import numpy as np


#: fewer gold rows without votes than this: they are not used, the model's answer stands
MIN_GOLD_ROWS = 5
#: rows (evenly spaced, ``VoteStats.sample_rows``) :func:`who_abstains` reads the posterior on
SAMPLE_ROWS = 100_000


#: with two classes, rows without votes get a tie where the prior leans to a class by less than this
#: many standard errors of an even split over the covered rows it was learned on (PROTOCOL §34)
THIN_PRIOR_Z = 2.0


def prior_lean_z(prior: np.ndarray, covered_rows: int) -> float:
    """How many standard errors of an even split (``sqrt(1/4n)`` over ``n`` covered rows) the
    two-class ``prior`` leans to its larger class."""
    return float(abs(float(prior[1]) - 0.5) / np.sqrt(0.25 / max(int(covered_rows), 1)))


def label_free(counts: np.ndarray) -> np.ndarray | None:
    """Equal probabilities where some class gets no vote, else ``None`` (keep the prior).

    ``counts``: ``(m, K)`` votes per LF and class."""
    per_class = np.asarray(counts).sum(axis=0)
    if per_class.sum() == 0 or np.all(per_class > 0):
        return None
    return np.full(per_class.size, 1.0 / per_class.size)


def who_abstains(vm, P: np.ndarray, prior: np.ndarray, max_iter: int = 5000) -> np.ndarray:
    """The class mix of the rows without votes under a model in which each LF fires on a row of
    class ``k`` at its own rate ``f_jk``, independently: ``q_k`` proportional to
    ``pi_k prod_j (1 - f_jk)``.

    ``vm``: the rows (a :class:`VoteMatrix`, rows without votes included); ``P``: the fitted
    model's posterior on them (the rows without votes' are not read); ``prior``: the starting
    point for ``q``. ``f_jk`` is LF ``j``'s posterior vote mass on class ``k`` over ``n pi_k``,
    ``pi`` the posterior mass of the voted rows plus the rows without votes at ``q``: a fixed point,
    iterated from ``prior`` until ``q`` moves by less than 1e-10. Where most rows have no vote, ``q``
    feeds back into ``pi`` and the iteration crawls (thousands of steps, each ``O(m K)``); stopping
    it after 100 or 200 steps gave another answer on some tasks, and the converged one did better
    on the tuning tasks (PROTOCOL §28).
    """
    return fixed_points(vm, P, [prior], max_iter)[0]


def fixed_points(vm, P: np.ndarray, starts, max_iter: int = 5000) -> list[np.ndarray]:
    """:func:`who_abstains` from each of ``starts``, the firing counts taken once (PROTOCOL §30
    runs it from the prior and from the mirrored prior)."""
    P = np.asarray(P, dtype=float)
    n, K = P.shape
    voted = vm.votes_per_row() > 0
    row = vm.row_of_vote()
    F = np.stack([np.bincount(vm.indices, weights=P[row, k], minlength=vm.n_lfs) for k in range(K)], axis=1)
    C = P[voted].sum(axis=0)
    n_empty = n - int(voted.sum())
    return [_fixed_point(F, C, n, n_empty, start, max_iter) for start in starts]


def _fixed_point(F: np.ndarray, C: np.ndarray, n: int, n_empty: int, start, max_iter: int) -> np.ndarray:
    """``q`` iterated from ``start`` until it moves by less than 1e-10 (:func:`who_abstains`)."""
    q = np.asarray(start, dtype=float).copy()
    for _ in range(max_iter):
        pi = (C + n_empty * q) / max(n, 1)
        f = np.clip(F / np.maximum(n * pi, 1e-300), 0.0, 1.0 - 1e-9)
        log_q = np.log(np.maximum(pi, 1e-300)) + np.log1p(-f).sum(axis=0)
        new = np.exp(log_q - log_q.max())
        new /= new.sum()
        done = np.abs(new - q).max() < 1e-10
        q = new
        if done:
            break
    return q


def disputed(prior: np.ndarray, q: np.ndarray) -> bool:
    """Whether the prior's most likely class and ``q``'s differ (each a single class)."""
    prior, q = np.asarray(prior, dtype=float), np.asarray(q, dtype=float)
    top_p, top_q = np.isclose(prior, prior.max()), np.isclose(q, q.max())
    return top_p.sum() == 1 and top_q.sum() == 1 and int(np.argmax(prior)) != int(np.argmax(q))


def from_gold(y_without_votes: np.ndarray, model_proba: np.ndarray) -> np.ndarray | None:
    """The class counts of the gold rows without votes plus one pseudo-row of ``model_proba``
    (what the model gives such a row), normalised; ``None`` without such rows."""
    y_without_votes = np.asarray(y_without_votes, dtype=np.int64)
    if y_without_votes.size == 0:
        return None
    p = np.asarray(model_proba, dtype=float)
    counts = np.bincount(y_without_votes, minlength=p.size).astype(float)
    return (counts + p) / (y_without_votes.size + 1.0)


def validate(value, K: int) -> np.ndarray:
    """A saved ``uncovered_proba_``: K non-negative numbers summing to 1."""
    u = np.asarray(value, dtype=float)
    if u.shape != (K,) or not np.all(np.isfinite(u)) or np.any(u < 0) or not np.isclose(u.sum(), 1.0, atol=1e-6):
        raise ValueError("uncovered_proba_ must be K non-negative numbers summing to 1")
    return u
