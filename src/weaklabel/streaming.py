"""Deprecated: the votes reader moved to :mod:`weaklabel.votes.reader`, the streaming statistics
and label writer to :mod:`weaklabel.fit.streaming` (this path works for one more release)."""

import importlib
import warnings

warnings.warn(f"{__name__} is deprecated and will be removed in the next release: import from "
              "weaklabel.votes.reader (the reader) or weaklabel.fit.streaming (StreamingVoteStats, "
              "write_labels_stream)", DeprecationWarning, stacklevel=2)
_HOMES = [importlib.import_module("weaklabel.fit.streaming"), importlib.import_module("weaklabel.votes.reader")]
__all__ = sorted({n for m in _HOMES for n in vars(m) if not n.startswith("_")})


def __getattr__(name: str):
    for home in _HOMES:
        if hasattr(home, name):
            return getattr(home, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
