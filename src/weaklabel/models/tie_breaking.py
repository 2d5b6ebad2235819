"""Hard labels from probabilities: the argmax of each row, with a seeded rule for rows whose
largest probability is shared (``ties="random"`` or ``"abstain"``).

Why a module of its own: every model's ``predict``, the label writers of all three engines
(``weaklabel.fit.labels``), the benchmarks and the auto-LF code break ties, and a partitioned
prediction must break them exactly as one over the whole vote matrix (:func:`tie_rng`'s ``skip``);
one definition keeps those in step. Re-exported by :mod:`weaklabel.models.base`.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

TIES = ("random", "abstain")


def tie_rng(random_state, skip: int = 0) -> np.random.Generator:
    """The seeded generator of random tie-breaks (one uniform draw per tied row, in row order),
    advanced past the ``skip`` draws that the rows before a partition consume: a partition then
    breaks its ties exactly as a prediction over the whole vote matrix does."""
    rng = np.random.default_rng(random_state)
    if skip:
        rng.bit_generator.advance(int(skip))
    return rng


def _tied(proba: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    top = proba.max(axis=1, keepdims=True)
    is_top = proba >= top - tol * np.maximum(1.0, np.abs(top))
    return is_top, is_top.sum(axis=1)


def tied_rows(proba: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """``(n,)`` bool: the rows whose largest probability is shared by two or more classes (the rows
    :func:`break_ties` draws a label for, or leaves unlabelled)."""
    if proba.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    return _tied(proba, tol)[1] > 1


def count_ties(proba: np.ndarray, ties: str, tol: float = 1e-9) -> int:
    """How many random draws :func:`break_ties` makes for ``proba`` (its tied rows, for ``random``)."""
    if ties != "random":
        return 0
    return int(np.count_nonzero(tied_rows(proba, tol)))


def break_ties(proba: np.ndarray, ties: str, random_state: int | None, tol: float = 1e-9,
               skip: int = 0) -> np.ndarray:
    """Argmax of each row; rows whose maximum is shared go to a seeded random top class
    (``ties="random"``) or get ``-1`` (``ties="abstain"``). ``skip``: see :func:`tie_rng`."""
    if ties not in TIES:
        raise InputError(f"ties must be one of {', '.join(TIES)}, got {ties!r}")
    n = proba.shape[0]
    label = proba.argmax(axis=1).astype(np.int64)
    if n == 0:
        return label
    is_top, n_top = _tied(proba, tol)
    tied = np.flatnonzero(n_top > 1)
    if tied.size:
        if ties == "abstain":
            label[tied] = -1
        else:
            rng = tie_rng(random_state, skip)
            pick = np.floor(rng.random(tied.size) * n_top[tied]).astype(np.int64) + 1
            csum = np.cumsum(is_top[tied], axis=1)
            label[tied] = np.argmax(csum >= pick[:, None], axis=1)
    return label
