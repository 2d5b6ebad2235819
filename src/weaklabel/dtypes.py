"""The integer type of votes, shared by the in-memory matrix (:mod:`weaklabel.votes`) and the
votes file (:mod:`weaklabel.io`): class ids ``0..K-1`` and ``-1`` for abstain in int8 or int16."""

from __future__ import annotations

import numpy as np

MAX_CARDINALITY = 32767   # votes are int8/int16


def vote_dtype(cardinality: int) -> np.dtype:
    """The narrowest signed integer type that holds ``-1..K-1``."""
    return np.dtype(np.int8) if cardinality <= 127 else np.dtype(np.int16)
