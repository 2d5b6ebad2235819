"""Deprecated: moved to :mod:`weaklabel.fit.run` (this name works for one more release)."""

import warnings

from .fit.run import *  # noqa: F401,F403
from .fit import run as _new
from .fit.plan import ENGINES, RunPlan, plan_run  # noqa: F401

warnings.warn("weaklabel.fitting is deprecated; use weaklabel.fit.run", DeprecationWarning, stacklevel=2)


def __getattr__(name: str):
    return getattr(_new, name)
