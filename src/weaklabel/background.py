"""Deprecated: moved to :mod:`weaklabel.io.background` (this path works for one more release)."""

from ._moved import moved

__getattr__, __all__ = moved(__name__, "weaklabel.io.background")
