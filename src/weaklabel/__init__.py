"""weaklabel: programmatic weak supervision from the command line and from Python.

Write labeling functions, apply them to a table, fit a label model that estimates each
source's accuracy without ground truth, and get probabilistic labels.

Names are imported lazily (PEP 562) so that ``from weaklabel import labeling_function`` in an
``lfs.py`` and the CLI's start-up do not pay for pandas, pyarrow or Numba until they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__

_EXPORTS = {
    "ABSTAIN": "lf", "LabelingFunction": "lf", "Preprocessor": "lf", "Row": "lf",
    "labeling_function": "lf", "preprocessor": "lf", "keyword_lf": "lf.templates",
    "WeaklabelError": "errors", "InputError": "errors", "LFDefinitionError": "errors", "LFError": "errors",
    "MissingColumnError": "errors", "ModelFileError": "errors",
    "VoteMatrix": "votes",
    "load_lfs": "lf.loading",
    "apply_lfs": "apply", "apply_file": "apply",
    "analyze": "votes.analysis", "analyze_totals": "votes.analysis",
    "evaluate": "evaluation", "report": "htmlreport",
    "LabelModel": "models.default", "BaseLabelModel": "models", "MajorityVote": "models", "WeightedMajorityVote": "models",
    "DawidSkene": "models", "OneCoinDawidSkene": "models", "MatrixCompletion": "models", "Triplet": "models", "AutoModel": "models", "HybridDawidSkene": "models",
    "make_model": "models", "load_model": "models", "save_model": "models",
    "generate_lfs": "autolf",
    "VerifierSelector": "verifiers", "ScoreMixture": "verifiers", "select_file": "verifiers",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'weaklabel' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .votes.analysis import analyze, analyze_totals
    from .apply import apply_file, apply_lfs
    from .autolf import generate_lfs
    from .evaluation import evaluate
    from .htmlreport import report
    from .errors import (InputError, LFDefinitionError, LFError, MissingColumnError, ModelFileError,
                         WeaklabelError)
    from .lf import ABSTAIN, LabelingFunction, Preprocessor, Row, labeling_function, preprocessor
    from .lf.loading import load_lfs
    from .lf.templates import keyword_lf
    from .models import (AutoModel, BaseLabelModel, DawidSkene, HybridDawidSkene, MajorityVote, MatrixCompletion,
                         OneCoinDawidSkene, Triplet, WeightedMajorityVote, load_model, make_model, save_model)
    from .models.default import LabelModel
    from .verifiers import ScoreMixture, VerifierSelector, select_file
    from .votes import VoteMatrix
