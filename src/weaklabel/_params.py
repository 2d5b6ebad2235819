"""The one definition of an estimator's hyper-parameters: the named arguments of its ``__init__``
(scikit-learn's convention), shared by the label models and the verifier steps."""

from __future__ import annotations

import inspect


def init_param_names(cls) -> list[str]:
    """Names of ``cls.__init__``'s parameters other than ``self``, ``*args`` and ``**kwargs``."""
    sig = inspect.signature(cls.__init__)
    return [p.name for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def set_params(est, params: dict):
    """scikit-learn's ``set_params`` for ``est``: plain names first, then ``name__sub`` passed on to
    the estimator held in parameter ``name`` (so ``estimator=..., estimator__x=...`` works); an
    unknown name or a ``name__sub`` whose ``name`` holds no estimator is a ValueError. Returns ``est``."""
    valid = set(init_param_names(type(est)))
    nested: dict[str, dict] = {}
    for key, value in params.items():
        head, _, sub = key.partition("__")
        if head not in valid:
            raise ValueError(f"invalid parameter {key!r} for {type(est).__name__} "
                             f"(parameters: {', '.join(sorted(valid))})")
        if sub:
            nested.setdefault(head, {})[sub] = value
        else:
            setattr(est, key, value)
    for head, sub in nested.items():
        inner = getattr(est, head)
        if not hasattr(inner, "set_params"):
            raise ValueError(f"invalid parameter {head}__{next(iter(sub))!r} for {type(est).__name__}: "
                             f"{head} is {inner!r}, not an estimator")
        inner.set_params(**sub)
    return est
