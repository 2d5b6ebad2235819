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
    from ..io import write_json_atomic

    write_json_atomic(model.to_dict(), path, force=force)


def load_model(path) -> BaseLabelModel:
    """Read and validate ``model.json``; a wrong or tampered file raises ModelFileError."""
    from pathlib import Path

    from ..errors import InputError, ModelFileError

    from ..errors import check_regular
    from ..jsonsafe import loads_strict

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; expected a model.json written by `weaklabel fit --save-model`")
    check_regular(p, "a model.json file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{p}: not valid JSON (not UTF-8 text)") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    data = loads_strict(text, str(p))
    return BaseLabelModel.from_dict(data, where=str(p))
