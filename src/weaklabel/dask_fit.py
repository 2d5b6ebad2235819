"""Deprecated: moved to :mod:`weaklabel.fit.dask` (this name works for one more release)."""

import warnings

from .fit.dask import *  # noqa: F401,F403
from .fit import dask as _new

warnings.warn("weaklabel.dask_fit is deprecated; use weaklabel.fit.dask", DeprecationWarning, stacklevel=2)


def __getattr__(name: str):
    return getattr(_new, name)
