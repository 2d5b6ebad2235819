"""Label models: estimate source accuracies without ground truth, output probabilistic labels.

The abstract estimator contract is :class:`BaseLabelModel` (defined as ``LabelModel`` in
:mod:`weaklabel.models.base`); ``weaklabel.LabelModel`` is the concrete default model
(:mod:`weaklabel.models.default`). ``weaklabel.models.LabelModel`` still names the base class for
this release, with a DeprecationWarning.
"""

from .base import LabelModel as BaseLabelModel, break_ties, registered_models
from .majority import MajorityVote, WeightedMajorityVote
from .dawid_skene import DawidSkene, OneCoinDawidSkene
from .moments import MatrixCompletion, Triplet
from .hybrid import HybridDawidSkene
from .auto import AutoModel
from .default import LabelModel as DefaultLabelModel

__all__ = ["BaseLabelModel", "DefaultLabelModel", "MajorityVote", "WeightedMajorityVote", "DawidSkene", "OneCoinDawidSkene", "MatrixCompletion", "Triplet", "AutoModel", "HybridDawidSkene", "break_ties", "registered_models", "load_model", "save_model",
           "MODELS", "make_model"]

MODELS = {"majority": MajorityVote, "weighted": WeightedMajorityVote, "hybrid": HybridDawidSkene, "ds": DawidSkene, "onecoin": OneCoinDawidSkene, "mc": MatrixCompletion,
          "triplet": Triplet, "auto": AutoModel}
"""CLI names of the available models."""


def __getattr__(name: str):
    if name == "LabelModel":
        import warnings

        warnings.warn("weaklabel.models.LabelModel is the abstract base class, renamed BaseLabelModel; "
                      "weaklabel.LabelModel is now the default model. The old name goes in the next release.",
                      DeprecationWarning, stacklevel=2)
        return BaseLabelModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_model(name: str, **params) -> BaseLabelModel:
    """Build a model from its CLI name (``majority`` ...)."""
    from ..errors import InputError

    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name](**params)


def save_model(model: BaseLabelModel, path, force: bool = False) -> None:
    """Write ``model.json`` (plain JSON, atomically)."""
    from .._persist import write_json_model

    write_json_model(model.to_dict(), path, force=force)


def load_model(path) -> BaseLabelModel:
    """Read and validate ``model.json``; a wrong or tampered file raises ModelFileError."""
    from pathlib import Path

    from .._persist import read_json_model

    data = read_json_model(path, "a model.json written by `weaklabel fit --save-model`", "a model.json file")
    return BaseLabelModel.from_dict(data, where=str(Path(path)))
