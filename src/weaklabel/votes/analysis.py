"""Per-LF statistics of a vote matrix (the numbers a practitioner checks before fitting).

Definitions (fractions are over all ``n`` rows):

* **polarity**: the sorted set of classes the LF ever votes;
* **coverage**: fraction of rows on which the LF votes;
* **overlaps**: fraction of rows on which the LF votes and at least one other LF votes;
* **conflicts**: fraction of rows on which the LF votes and another LF votes a different class;
* with gold labels ``y`` (``-1`` = unknown): **correct** / **incorrect** counts of the LF's votes
  on rows with a known label and **emp_acc** = correct / (correct + incorrect).

Totals: rows, fraction of rows with at least one vote, with a conflict, mean votes per covered
row, and with gold the majority-vote accuracy on covered labelled rows (a k-way tie scores 1/k
when the truth is among the tied classes: the expected accuracy of majority vote breaking ties at
random, as ``fit -m majority`` does) and the number of such tied rows. Without gold too: the share
of covered rows majority vote ties on (``mv_tied``), and the LF casting most of the votes when it
casts at least ``criticism.DOMINANT_SHARE`` of them (``dominant_lf``): the default then uses majority
vote outright, a first-hour fact worth seeing before fitting; and the classes no LF votes
(``unvoted_classes``): no row with votes can get them, and rows without votes get equal
probabilities (``weaklabel.models.uncovered``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .matrix import VoteMatrix, check_labels


#: the per-(row, class) vote counts are taken densely (``np.bincount`` over ``n * K`` cells) up to
#: this many cells, or 8 per stored vote: beyond that (many classes) only the (row, class) pairs
#: that have a vote are counted, so memory and time follow the votes, not ``n * K`` (100,000 rows
#: of 5 LFs and 2,000 classes took 15 s and 2 GB, a million rows would have needed 20 GB)
DENSE_CELLS = 1 << 22


def _per_vote_stats(vm: VoteMatrix):
    """``(row, per_row, pairs, overlap, conflict)``: each vote's row, the votes per row, the
    (row, class) pairs that have a vote as ``(keys = row * K + class, ascending; their counts)``,
    and per vote whether another LF votes its row (``overlap``) and votes another class there
    (``conflict``)."""
    n, K = vm.n_rows, vm.cardinality
    row = vm.row_of_vote()
    per_row = vm.votes_per_row()
    key = row * K + vm.votes.astype(np.int64)
    if n * K <= max(DENSE_CELLS, 8 * key.size):
        same = np.bincount(key, minlength=n * K)
        same_label = same[key]
        keys = np.flatnonzero(same)
        counts = same[keys]
    else:
        keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        same_label = counts[inverse]
    overlap = per_row[row] > 1
    conflict = same_label < per_row[row]
    return row, per_row, (keys, counts), overlap, conflict


def _check_gold(vm: VoteMatrix, y) -> np.ndarray:
    return check_labels(y, vm.n_rows, vm.cardinality)


def analyze(votes, y=None) -> pd.DataFrame:
    """One row per LF: polarity, coverage, overlaps, conflicts (+ correct, incorrect, emp_acc with ``y``)."""
    vm = VoteMatrix.coerce(votes)
    n, m = vm.shape
    if n == 0:
        raise InputError("vote matrix has no rows")
    row, per_row, _, overlap, conflict = _per_vote_stats(vm)
    lf = vm.indices
    votes_per_lf = np.bincount(lf, minlength=m)
    pol = np.zeros((m, vm.cardinality), dtype=bool)
    pol[lf, vm.votes] = True
    data = {
        "polarity": [np.flatnonzero(pol[j]).tolist() for j in range(m)],
        "votes": votes_per_lf,
        "coverage": votes_per_lf / n,
        "overlaps": np.bincount(lf, weights=overlap, minlength=m) / n,
        "conflicts": np.bincount(lf, weights=conflict, minlength=m) / n,
    }
    if y is not None:
        gold = _check_gold(vm, y)
        y_vote = gold[row]
        known = y_vote >= 0
        right = known & (vm.votes == y_vote)
        wrong = known & (vm.votes != y_vote)
        correct = np.bincount(lf, weights=right, minlength=m).astype(np.int64)
        incorrect = np.bincount(lf, weights=wrong, minlength=m).astype(np.int64)
        denom = correct + incorrect
        data["correct"] = correct
        data["incorrect"] = incorrect
        with np.errstate(invalid="ignore", divide="ignore"):
            data["emp_acc"] = np.where(denom > 0, correct / np.maximum(denom, 1), np.nan)
    from ..htmlreport.notebook import LFSummary  # a DataFrame with a compact notebook view

    df = LFSummary(data, index=pd.Index(vm.lf_names, name="lf"))
    return df


def analyze_totals(votes, y=None) -> dict:
    """Matrix-level figures: coverage, conflict rate, votes per covered row (+ MV accuracy)."""
    vm = VoteMatrix.coerce(votes)
    n = vm.n_rows
    if n == 0:
        raise InputError("vote matrix has no rows")
    row, per_row, (keys, counts), _, conflict = _per_vote_stats(vm)
    covered = per_row > 0
    row_conflict = np.zeros(n, dtype=bool)
    row_conflict[row[conflict]] = True
    out = {
        "rows": int(n),
        "lfs": int(vm.n_lfs),
        "cardinality": int(vm.cardinality),
        "covered": float(covered.mean()),
        "conflicted": float(row_conflict.mean()),
        "mean_votes_per_covered_row": float(per_row[covered].mean()) if covered.any() else 0.0,
    }
    # per row: the largest class count (top) and how many classes reach it (n_top), from the
    # (row, class) pairs with a vote (keys ascending: each row's pairs are one run)
    K = vm.cardinality
    key_row = keys // K
    top = np.zeros(n, dtype=np.int64)
    if keys.size:
        starts = np.flatnonzero(np.r_[True, key_row[1:] != key_row[:-1]])
        top[key_row[starts]] = np.maximum.reduceat(counts, starts)
    n_top = np.bincount(key_row, weights=counts == top[key_row], minlength=n).astype(np.int64)
    out["mv_tied"] = float((n_top[covered] > 1).mean()) if covered.any() else 0.0
    dominant = dominant_lf(np.bincount(vm.indices, minlength=vm.n_lfs), vm.lf_names, n)
    if dominant is not None:
        out["dominant_lf"] = dominant
    unvoted = unvoted_classes(np.bincount(vm.votes.astype(np.int64), minlength=vm.cardinality))
    if unvoted:
        out["unvoted_classes"] = unvoted
    if y is not None:
        gold = _check_gold(vm, y)
        ok = covered & (gold >= 0)
        hit = np.zeros(n)
        idx = np.flatnonzero(ok)
        # is the gold class among the row's top classes: its (row, class) pair has the top count
        want = idx * K + gold[idx]
        pos = np.minimum(np.searchsorted(keys, want), max(keys.size - 1, 0))
        gold_top = (keys[pos] == want) & (counts[pos] == top[idx]) if keys.size else np.zeros(idx.size, bool)
        hit[idx] = gold_top / n_top[idx]
        out["labelled_rows"] = int((gold >= 0).sum())
        out["mv_ties"] = int(np.count_nonzero(n_top[idx] > 1))
        out["mv_accuracy_covered"] = float(hit[idx].mean()) if idx.size else float("nan")
    return out


def unvoted_classes(votes_per_class) -> list[int]:
    """The classes no LF votes, when some LF votes at all (``votes_per_class``: each class's vote count)."""
    per_class = np.asarray(votes_per_class)
    return np.flatnonzero(per_class == 0).tolist() if per_class.sum() > 0 else []


def dominant_lf(votes_per_lf, lf_names, n_rows: int) -> dict | None:
    """``{"name", "vote_share", "coverage"}`` of the LF casting the most votes (``votes_per_lf``: each
    LF's vote count), when it casts at least ``DOMINANT_SHARE`` of them: the default label model then
    uses majority vote outright (``weaklabel.models.auto``)."""
    from ..models.criticism import DOMINANT_SHARE, dominant_source

    per_lf = np.asarray(votes_per_lf, dtype=np.int64)
    j, share = dominant_source(per_lf[:, None])
    if share < DOMINANT_SHARE:
        return None
    return {"name": lf_names[j], "vote_share": share, "coverage": float(per_lf[j] / max(n_rows, 1))}
