"""What rows no LF votes on get: the class prior, except where something better is known.

A row without votes carries no evidence about its class, so a label model gives it the class
prior (``class_balance_``). Two cases call for something else (``benchmarks/PROTOCOL.md`` §22),
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


def label_free(counts: np.ndarray) -> np.ndarray | None:
    """Equal probabilities where some class gets no vote, else ``None`` (keep the prior).

    ``counts``: ``(m, K)`` votes per LF and class."""
    per_class = np.asarray(counts).sum(axis=0)
    if per_class.sum() == 0 or np.all(per_class > 0):
        return None
    return np.full(per_class.size, 1.0 / per_class.size)


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
