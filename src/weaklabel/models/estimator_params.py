"""Hyper-parameters the scikit-learn way, for every label model: ``get_params`` / ``set_params``
(nested ``name__sub``), the one check against ``_parameter_constraints``, the estimator tags and
the fitted check scikit-learn asks for, ``n_features_in_`` and the ``repr``.

Why a module of its own: it is the part of the estimator contract that has nothing to do with
votes (``sklearn.base.clone``, grid searches and ``repr`` use only it), and like the rest of the
base class it imports scikit-learn only where scikit-learn itself calls (a second of CLI start-up).
:class:`EstimatorParams` is a mixin of :class:`weaklabel.models.base.LabelModel`.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .constraints import accepts as _accepts
from .constraints import describe as _describe
from .constraints import shown as _shown

if TYPE_CHECKING:
    from .base import LabelModel


class EstimatorParams:
    """Mixin: the hyper-parameters of a label model (``__init__``'s named arguments, checked against
    the class's ``_parameter_constraints``; see :class:`weaklabel.models.base.LabelModel`)."""

    def _validate_params(self) -> None:
        """Check every hyper-parameter against ``_parameter_constraints`` (see the class docstring)."""
        for name in self._param_names():
            constraints = self._parameter_constraints.get(name)
            if constraints is None:
                continue
            value = getattr(self, name)
            if not any(_accepts(c, value) for c in constraints):
                allowed = " or ".join(_describe(c) for c in constraints)
                raise InputError(f"{type(self).__name__}: parameter {name!r} must be {allowed}, got {_shown(value)}")

    # ---------------------------------------------------------------- parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        from .._params import init_param_names

        return init_param_names(cls)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The ``__init__`` parameters by name; with ``deep`` (scikit-learn's default) also those of a
        parameter that is itself an estimator, as ``name__sub`` (``estimator__smoothing``): the keys
        :meth:`set_params` and scikit-learn's grid searches take. Model files and ``repr`` use
        ``deep=False``."""
        out: dict[str, Any] = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params(deep=True).items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> "LabelModel":
        """Set hyper-parameters; ``name__sub`` sets ``sub`` of the estimator in parameter ``name``
        (``WeightedMajorityVote(estimator=...)``), as scikit-learn's grid searches do."""
        from .._params import set_params

        return set_params(self, params)

    def __sklearn_tags__(self):
        """scikit-learn's estimator tags (scikit-learn >= 1.6 asks for them in ``check_is_fitted``,
        ``GridSearchCV``, ``cross_val_score``): BaseEstimator's defaults, ``y`` optional. Only
        scikit-learn calls this, so it is imported here, never at weaklabel's import."""
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False), transformer_tags=None,
                    classifier_tags=None, regressor_tags=None)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "class_balance_")

    @property
    def n_features_in_(self) -> int:
        """scikit-learn's number of input columns: the number of LFs (``n_lfs_``), once fitted."""
        n = self.__dict__.get("n_lfs_")
        if n is None:
            raise AttributeError(f"{type(self).__name__} is not fitted yet: no n_features_in_")
        return int(n)

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items() if defaults.get(k) is not v
                 and not (isinstance(v, (int, float, str, type(None))) and defaults.get(k) == v)]
        return f"{type(self).__name__}({', '.join(shown)})"

    def _repr_html_(self) -> str:
        from ..htmlreport.notebook import model_html

        return model_html(self)
