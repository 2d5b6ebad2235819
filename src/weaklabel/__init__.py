"""weaklabel: programmatic weak supervision from the command line and from Python.

Write labeling functions, apply them to a table, fit a label model that estimates each
source's accuracy without ground truth, and get probabilistic labels.
"""

__version__ = "0.1.0"

from .errors import WeaklabelError, InputError, LFDefinitionError, LFError, MissingColumnError, ModelFileError  # noqa: E402
from .lf import ABSTAIN, LabelingFunction, Preprocessor, Row, labeling_function, preprocessor  # noqa: E402
from .votes import VoteMatrix  # noqa: E402
from .loading import load_lfs  # noqa: E402
from .apply import apply_lfs, apply_file  # noqa: E402
from .analysis import analyze, analyze_totals  # noqa: E402
from .models import LabelModel, MajorityVote, load_model, save_model  # noqa: E402

__all__ = [
    "__version__", "ABSTAIN", "LabelingFunction", "Preprocessor", "Row", "labeling_function", "preprocessor",
    "VoteMatrix", "load_lfs", "apply_lfs", "apply_file", "analyze", "analyze_totals",
    "LabelModel", "MajorityVote", "load_model", "save_model",
    "WeaklabelError", "InputError", "LFDefinitionError", "LFError", "MissingColumnError", "ModelFileError",
]

from .autolf import generate_lfs  # noqa: E402

__all__ += ["generate_lfs"]
