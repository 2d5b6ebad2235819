"""Turn a fitted label model's output into ``labels.parquet``.

Rows where every LF abstained carry the model's class prior as probabilities and ``label = -1``
(so a downstream trainer can drop them) unless ``fill_unlabeled="prior"``, which labels them
with the most likely class. Ties follow the model's tie rule (``-1`` for ``abstain``).

Partitioned prediction (streamed row blocks, Dask partitions) calls :func:`block_labels` per
block with the random draws consumed by the blocks before it, so that random tie-breaks (and
hence every label) are those of one prediction over the whole vote matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .models.base import LabelModel, break_ties, count_ties
from .io import write_labels
from .votes import VoteMatrix


def tie_rule(model: LabelModel, ties: str | None) -> str:
    """``"random"`` or ``"abstain"``: the hard-label tie rule for ``ties`` (default: the model's own)."""
    ties = ties if ties is not None else getattr(model, "ties", "random")
    return "abstain" if ties == "abstain" else "random"


def block_labels(model: LabelModel, vm: VoteMatrix, fill_unlabeled: str = "none", ties: str | None = None,
                 skip: tuple[int, int] = (0, 0)):
    """``(proba, label, draws)`` for a block of rows.

    ``skip`` = random draws made by the rows before the block (``(in predict_proba, in the tie
    rule)``, the sums of the earlier blocks' ``draws``); ``draws`` = this block's.
    """
    rule = tie_rule(model, ties)
    proba = model.predict_proba(vm, tie_skip=skip[0])
    label = break_ties(proba, rule, model.random_state, skip=skip[1])
    if fill_unlabeled != "prior":
        label[vm.votes_per_row() == 0] = -1
    return proba, label, (model.proba_draws(vm), count_ties(proba, rule))


def block_draws(model: LabelModel, vm: VoteMatrix, ties: str | None = None) -> tuple[int, int]:
    """The ``draws`` of :func:`block_labels` without labelling (they do not depend on the skips)."""
    return model.proba_draws(vm), count_ties(model.predict_proba(vm), tie_rule(model, ties))


def model_labels(model: LabelModel, vm: VoteMatrix, fill_unlabeled: str = "none", ties: str | None = None):
    """``(proba, label)`` for ``vm`` as written to labels.parquet.

    ``ties`` defaults to the model's own ``ties`` (majority vote) or ``"random"``.
    """
    proba = model.predict_proba(vm)
    label = break_ties(proba, tie_rule(model, ties), model.random_state)
    if fill_unlabeled != "prior":
        label[vm.votes_per_row() == 0] = -1
    return proba, label


def write_model_labels(model: LabelModel, vm: VoteMatrix, path: str | Path, *, fill_unlabeled: str = "none",
                       force: bool = False, extra_metadata: dict | None = None, ties: str | None = None,
                       extra_cols=None, drop_unlabeled: bool = False) -> dict:
    """Predict and write labels.parquet; returns counts for the CLI summary.

    ``extra_cols``: a pyarrow Table of columns to carry (one row per row of ``vm``, e.g. the
    text, see :mod:`weaklabel.keep`); ``drop_unlabeled``: write only rows with ``label >= 0``
    (Snorkel's ``filter_unlabeled_dataframe``)."""
    proba, label = model_labels(model, vm, fill_unlabeled, ties)
    meta = {"model": type(model).__name__, "fill_unlabeled": fill_unlabeled}
    if drop_unlabeled:
        meta["dropped_unlabeled"] = int(np.count_nonzero(label < 0))
    meta.update(extra_metadata or {})
    write_labels(path, proba, label, row_ids=vm.row_ids, classes=vm.classes, metadata=meta, force=force,
                 extra_cols=extra_cols, keep=label >= 0 if drop_unlabeled else None)
    labelled = label >= 0
    return {"labelled": int(labelled.sum()),
            "per_class": np.bincount(label[labelled], minlength=vm.cardinality).tolist()}
