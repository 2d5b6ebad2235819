"""Turn a fitted label model's output into ``labels.parquet``.

Rows where every LF abstained carry the model's class prior as probabilities and ``label = -1``
(so a downstream trainer can drop them) unless ``fill_unlabeled="prior"``, which labels them
with the most likely class. Ties follow the model's tie rule (``-1`` for ``abstain``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .models.base import LabelModel, break_ties
from .io import write_labels
from .votes import VoteMatrix


def model_labels(model: LabelModel, vm: VoteMatrix, fill_unlabeled: str = "none", ties: str | None = None):
    """``(proba, label)`` for ``vm`` as written to labels.parquet.

    ``ties`` defaults to the model's own ``ties`` (majority vote) or ``"random"``.
    """
    proba = model.predict_proba(vm)
    ties = ties if ties is not None else getattr(model, "ties", "random")
    label = break_ties(proba, "abstain" if ties == "abstain" else "random", model.random_state)
    if fill_unlabeled != "prior":
        label[vm.votes_per_row() == 0] = -1
    return proba, label


def write_model_labels(model: LabelModel, vm: VoteMatrix, path: str | Path, *, fill_unlabeled: str = "none",
                       force: bool = False, extra_metadata: dict | None = None, ties: str | None = None) -> dict:
    """Predict and write labels.parquet; returns counts for the CLI summary."""
    proba, label = model_labels(model, vm, fill_unlabeled, ties)
    meta = {"model": type(model).__name__, "fill_unlabeled": fill_unlabeled}
    meta.update(extra_metadata or {})
    write_labels(path, proba, label, row_ids=vm.row_ids, classes=vm.classes, metadata=meta, force=force)
    labelled = label >= 0
    return {"labelled": int(labelled.sum()),
            "per_class": np.bincount(label[labelled], minlength=vm.cardinality).tolist()}
