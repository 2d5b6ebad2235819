"""Old module paths kept for one release after the layout-by-concern move (issue 15).

A shim module calls :func:`moved` at import: it warns once (``DeprecationWarning``) and forwards
every attribute, private ones included, to the module's new home.
"""

from __future__ import annotations

import importlib
import warnings


def moved(old: str, new: str):
    """Warn that ``old`` is deprecated in favour of ``new`` and return a module ``__getattr__``."""
    warnings.warn(f"{old} is deprecated and will be removed in the next release: import from {new}",
                  DeprecationWarning, stacklevel=3)
    target = importlib.import_module(new)

    def __getattr__(name: str):
        return getattr(target, name)

    return __getattr__, list(getattr(target, "__all__", [n for n in vars(target) if not n.startswith("_")]))
