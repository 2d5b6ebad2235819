"""Deprecated: moved to :mod:`weaklabel.fit.dask` (this path works for one more release)."""

from ._moved import moved

__getattr__, __all__ = moved(__name__, "weaklabel.fit.dask")
