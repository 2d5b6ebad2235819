"""Small reads of the votes that the models and the fit engines share: the class names behind a
model's data, the one empty row a fitted model scores for rows without votes, and the per-row
class counts majority vote and the diagnostics read.

Why a module of its own: they depend only on :class:`~weaklabel.votes.VoteMatrix` (not on the
estimator), so the fit engines, the report and the benchmarks use them without the model class.
Re-exported by :mod:`weaklabel.models.base`.
"""

from __future__ import annotations

import numpy as np

from ..votes import VoteMatrix


def class_names_of(data) -> list | None:
    """The class names of the votes behind ``data`` (a VoteMatrix, or the vote statistics of one in
    memory, streamed or on Dask), or None."""
    vm = data if isinstance(data, VoteMatrix) else getattr(data, "vm", None)
    names = vm.classes if vm is not None else getattr(getattr(data, "layout", None), "classes", None)
    return list(names) if names else None


def empty_row(model) -> VoteMatrix:
    """One row on which no LF of ``model`` votes."""
    return VoteMatrix(np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int16),
                      list(model.lf_names_), cardinality=int(model.cardinality_), validate=False)


def class_counts(vm: VoteMatrix) -> np.ndarray:
    """``(n, K)`` float64 array: how many LFs voted each class on each row."""
    from . import _kernels

    return _kernels.class_counts(vm.indptr, vm.indices, vm.votes, vm.cardinality)
