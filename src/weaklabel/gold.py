"""Deprecated: moved to :mod:`weaklabel.votes.gold` (this path works for one more release)."""

from ._moved import moved

__getattr__, __all__ = moved(__name__, "weaklabel.votes.gold")
