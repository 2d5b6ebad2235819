"""Deprecated: moved to :mod:`weaklabel.fit.keep` (this name works for one more release)."""

import warnings

from .fit.keep import *  # noqa: F401,F403
from .fit import keep as _new

warnings.warn("weaklabel.keep is deprecated; use weaklabel.fit.keep", DeprecationWarning, stacklevel=2)


def __getattr__(name: str):
    return getattr(_new, name)
