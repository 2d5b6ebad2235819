"""Deprecated: moved to :mod:`weaklabel.lf.loading` (this path works for one more release)."""

from ._moved import moved

__getattr__, __all__ = moved(__name__, "weaklabel.lf.loading")
