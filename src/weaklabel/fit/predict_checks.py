"""What ``predict`` checks of a saved model against the votes it labels: the votes' LF columns,
the tie rule, the class names (:func:`~weaklabel.fit.run.predict_file` calls them)."""

from __future__ import annotations

from pathlib import Path

from ..models.alignment import check_class_names
from .plan import check_labels_options


def votes_lfs(votes) -> tuple[list[str], bool]:
    """``(LF columns, plain?)`` of a votes file (or folder): its LF column names, and whether it
    is a Parquet votes file without weaklabel metadata (from its schema and footer only)."""
    from ..io import TableSource, votes_layout

    lfs, _, K, _, _ = votes_layout(TableSource(Path(votes)))
    return lfs, K is None


def with_ties(lm, ties: str | None):
    """``ties`` checked (``uniform`` only for majority vote, as ``fit`` checks it) and, for a
    majority-vote model, set on a copy of it: there the ``ties`` parameter decides the tied rows'
    probabilities (``random`` one-hot at random, ``uniform``/``abstain`` split evenly), not only
    their hard label, so a model saved with ``random`` and predicted with ``abstain`` kept its
    random one-hot rows labelled (84 rows unlabelled where ``fit -m majority --ties abstain`` left
    121). Set like this, ``predict`` labels as ``fit`` with the same ``--ties`` does. ``None``:
    the model's own."""
    from ..models.majority import MajorityVote

    majority = isinstance(lm, MajorityVote)
    check_labels_options("none", ties, "majority" if majority else None)
    if majority and ties is not None and ties != lm.ties:
        import copy

        lm = copy.copy(lm)   # not the caller's model
        lm.ties = ties
    return lm


def model_class_names(lm, classes, where):
    """The class names to label ``classes`` (the votes') with: the model's own, once
    :func:`~weaklabel.models.alignment.check_class_names` found the two the same classes in the same
    order (names compared as at fit: ``"pos "`` or an NFD accent is the model's ``"pos"``)."""
    check_class_names(lm, classes, where)
    fitted = getattr(lm, "class_names_", None)
    return list(fitted) if fitted and classes else classes
