"""Seeded draws keyed on ids, not on row positions.

A draw per row (``rng.random(n)``) depends on where a candidate sits in the file: the same
scores with their rows in another order broke ties for other candidates and set aside other dev
questions. Here each question (and each candidate of a question) gets a uniform 64-bit key from
``(seed, purpose, question id[, candidate id])``: a hash of the ids' text (pandas' SipHash with
its fixed key, the same on every run and machine; a number and its text, ``7`` in a Parquet file
and ``"7"`` read from a CSV file, draw alike), mixed with the seed by splitmix64's finaliser.
The smallest key wins a tie, so every tied candidate has the same chance; ``purpose`` keeps the
draws of the tie-break and of the dev split apart. ``seed=None``: unseeded (a fresh draw).
:func:`in_id_order` puts the rows themselves in an order of their ids, for the fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _mix(x) -> np.ndarray:
    """splitmix64's finaliser on uint64 values (wrapping arithmetic)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def id_hashes(ids) -> np.ndarray:
    """A 64-bit hash of each id's text (hashed once per distinct id)."""
    codes, uniq = pd.factorize(np.asarray(ids), sort=False, use_na_sentinel=False)
    text = np.array([str(u) for u in np.asarray(uniq).tolist()], dtype=object)
    return pd.util.hash_array(text, categorize=False)[codes] if text.size else np.zeros(0, np.uint64)


def _seed_word(seed, purpose: str) -> np.uint64:
    if seed is None:                      # unseeded, as random_state=None is in scikit-learn
        seed = int(np.random.default_rng().integers(2 ** 63))
    tag = pd.util.hash_array(np.array([purpose], dtype=object), categorize=False)[0]
    return _mix(np.uint64(int(seed) % 2 ** 64) ^ tag)[()]


def question_keys(data, seed, purpose: str = "dev") -> np.ndarray:
    """``(G,)`` uint64: a uniform key per question of ``data`` (a ``ScoreData``)."""
    return _mix(id_hashes(data.question_ids) ^ _seed_word(seed, purpose))


def candidate_keys(data, seed, purpose: str = "tie") -> np.ndarray:
    """``(n,)`` uint64: a uniform key per candidate, from its question's and its own id."""
    return _mix(question_keys(data, seed, purpose)[data.codes] ^ _mix(id_hashes(data.candidate_ids)))


def in_id_order(data):
    """``(ordered, rows)``: the candidates of ``data`` (a ``ScoreData``) in an order fixed by their
    ids alone (questions by an unseeded key of their id, a question's candidates by one of
    theirs), question and answer codes numbered in that order, ``positions`` kept (each row's in
    the file); ``rows[i]`` is the row of ``data`` at ``ordered``'s row ``i``. A fit's sums then
    run in one order whatever the file's: on shuffled rows they differed in the last bits, enough
    to decide between two candidates whose evidence was equal."""
    rows = np.lexsort((candidate_keys(data, 0, "order"), question_keys(data, 0, "order")[data.codes]))
    codes, kept = pd.factorize(data.codes[rows], sort=False)
    answers = None
    if data.answers is not None:
        a = data.answers[rows]
        answers = np.full(a.size, -1, dtype=np.int64)
        answers[a >= 0] = pd.factorize(a[a >= 0], sort=False)[0]
    ordered = type(data)(data.question_ids[kept], codes.astype(np.int64), data.candidate_ids[rows], data.scores[rows],
                         list(data.verifiers), answers, None if data.correct is None else data.correct[rows],
                         data.question_col, data.candidate_col, data.file_positions()[rows])
    return ordered, rows
