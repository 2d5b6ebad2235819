"""The one definition of an estimator's hyper-parameters: the named arguments of its ``__init__``
(scikit-learn's convention), shared by the label models and the verifier steps."""

from __future__ import annotations

import inspect


def init_param_names(cls) -> list[str]:
    """Names of ``cls.__init__``'s parameters other than ``self``, ``*args`` and ``**kwargs``."""
    sig = inspect.signature(cls.__init__)
    return [p.name for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
