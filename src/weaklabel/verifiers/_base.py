"""scikit-learn's estimator contract for the verifier steps, without importing scikit-learn.

Every step (:class:`~weaklabel.verifiers.normalise.Normaliser`,
:class:`~weaklabel.verifiers.binarise.Binariser`,
:class:`~weaklabel.verifiers.families.FamilyDetector`,
:class:`~weaklabel.verifiers.mixture.ScoreMixture`,
:class:`~weaklabel.verifiers.selector.VerifierSelector`) keeps its hyper-parameters as
``__init__`` arguments stored unchanged under the same names, so ``get_params(deep=True)``,
``set_params(**params)`` (with ``step__param`` for nested estimators) and
``sklearn.base.clone`` work as for any scikit-learn estimator; learned state ends in ``_``.
``json_params`` is the same dictionary as plain JSON values (for model files). Like the label
models' base class, this avoids importing scikit-learn (a second of CLI start-up).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np


def plain(value):
    """A parameter value as plain JSON data (tuples -> lists, numpy scalars/arrays -> Python)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


class VerifierEstimator:
    """Mixin: ``get_params`` / ``set_params`` / ``json_params`` / ``repr`` from ``__init__``."""

    @classmethod
    def _param_names(cls) -> list[str]:
        from .._params import init_param_names

        return init_param_names(cls)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update({f"{name}__{k}": v for k, v in value.get_params(deep=True).items()})
            out[name] = value
        return out

    def set_params(self, **params: Any):
        from .._params import set_params

        return set_params(self, params)

    def json_params(self) -> dict:
        return {k: plain(v) for k, v in self.get_params(deep=False).items()}

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = []
        for name in self._param_names():
            value = getattr(self, name)
            try:
                same = bool(value == defaults.get(name))
            except (ValueError, TypeError):
                same = False
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"
