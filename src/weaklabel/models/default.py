"""``weaklabel.LabelModel``: the default label model under the name a Snorkel user looks for.

``LabelModel(cardinality=2).fit(L_train=L)`` is how Snorkel's tutorials start; in weaklabel the
name is the model ``weaklabel fit`` uses by default (:class:`~weaklabel.models.AutoModel`: the
robust hybrid model without gold labels, cross-validated selection with them), so that code
ported from Snorkel runs and gets weaklabel's default. The abstract estimator contract every
model shares is :class:`weaklabel.BaseLabelModel` (``weaklabel.models.base.LabelModel``).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .auto import AutoModel
from .base import register


@register
class LabelModel(AutoModel):
    """The default label model (an :class:`AutoModel`), with Snorkel's spellings.

    Parameters
    ----------
    cardinality:
        Number of classes K, or ``None`` to take it from the votes. Given, it is checked against
        the votes (a :class:`~weaklabel.votes.VoteMatrix` must have this K; a dense array may
        use fewer classes than K, never more).
    candidates, cv, margin, min_labels, random_state:
        As :class:`AutoModel`.

    ``fit(L)`` and ``fit(L_train=L)`` are the same call; ``y`` gives gold labels for some rows
    (``-1`` elsewhere). ``predict`` and ``score`` also take Snorkel's ``tie_break_policy``
    (``"abstain"``; ``"random"`` or ``"true-random"``: a seeded random top class) for ``ties``;
    without either, ties go to a seeded random class (Snorkel's default abstains).
    """

    def __init__(self, cardinality: int | None = None, candidates=None, cv: int = 5, margin: float = 0.02,
                 min_labels: int = 20, random_state: int | None = 0):
        self.cardinality = cardinality
        super().__init__(candidates=candidates, cv=cv, margin=margin, min_labels=min_labels,
                         random_state=random_state)

    def fit(self, L=None, y=None, *, L_train=None) -> "LabelModel":
        if L is not None and L_train is not None:
            raise InputError("pass the votes once: fit(L) or fit(L_train=L)")
        L = L_train if L is None else L
        if L is None:
            raise InputError("fit() needs the votes: fit(L) or fit(L_train=L)")
        K = self.cardinality
        if K is not None:
            if isinstance(K, (bool, np.bool_)) or not isinstance(K, (int, np.integer)) or K < 2:
                raise InputError(f"cardinality must be an int >= 2, got {K!r}")
            K = int(K)   # np.int64(2) from a numpy computation is an int here
            from ..votes import VoteMatrix
            from .stats import VoteStats

            if isinstance(L, VoteStats):
                if L.cardinality != K:
                    raise InputError(f"LabelModel(cardinality={K}) but the votes have {L.cardinality} classes")
            elif isinstance(L, VoteMatrix):
                if L.cardinality != K:
                    raise InputError(f"LabelModel(cardinality={K}) but the votes have {L.cardinality} classes")
            else:
                L = VoteMatrix.coerce(L, cardinality=K)   # a vote >= K is an error naming it
        return super().fit(L, y)

    def predict(self, L, ties: str = "random", *, tie_break_policy: str | None = None):
        return super().predict(L, ties=_ties(ties, tie_break_policy))

    def score(self, L, y, ties: str = "random", metrics=None, *, tie_break_policy: str | None = None):
        return super().score(L, y, ties=_ties(ties, tie_break_policy), metrics=metrics)


_SNORKEL_TIES = {"abstain": "abstain", "random": "random", "true-random": "random"}


def _ties(ties: str, tie_break_policy: str | None) -> str:
    """``ties`` from Snorkel's ``tie_break_policy`` when given (its unseeded ``"true-random"`` is
    seeded here, like every draw weaklabel makes)."""
    if tie_break_policy is None:
        return ties
    if ties != "random":
        raise InputError(f"pass ties={ties!r} or tie_break_policy={tie_break_policy!r}, not both")
    if tie_break_policy not in _SNORKEL_TIES:
        raise InputError(f"tie_break_policy must be one of {', '.join(_SNORKEL_TIES)}, got {tie_break_policy!r}")
    return _SNORKEL_TIES[tie_break_policy]
