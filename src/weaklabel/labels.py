"""Deprecated: moved to :mod:`weaklabel.fit.labels` (this name works for one more release)."""

import warnings

from .fit.labels import *  # noqa: F401,F403
from .fit import labels as _new

warnings.warn("weaklabel.labels is deprecated; use weaklabel.fit.labels", DeprecationWarning, stacklevel=2)


def __getattr__(name: str):
    return getattr(_new, name)
