"""A label model to and from its model file (``model.json``): the registry of loadable model
classes, ``to_dict`` / ``from_dict`` with every field checked, ``save`` / ``load`` (class or
instance, Snorkel's spelling), and the shape and range checks of the learned state after loading.

Why a module of its own: a model file is read from disk and may be tampered with; everything that
decides what a file may hold (the format name, the learned fields every model may carry, the
bounds on what the loader allocates) is in one place. The values are encoded by
:mod:`weaklabel.models.serialize`, the file is written and read by :mod:`weaklabel._persist`.
:class:`ModelFile` is a mixin of :class:`weaklabel.models.base.LabelModel`; ``register`` and
``registered_models`` are re-exported by :mod:`weaklabel.models.base`.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import numpy as np

from .._version import __version__
from ..errors import InputError, ModelFileError
from .constraints import check_indexed_params as _check_indexed_params
from .serialize import _jsonable
from .serialize import from_jsonable as _from_jsonable

if TYPE_CHECKING:
    from .base import LabelModel

MAX_CARDINALITY = 32767   # votes are stored as int16
MAX_LFS = 1_000_000       # bounds what a tampered model file can make the loader allocate
MODEL_FORMAT = "weaklabel.model"

_REGISTRY: dict[str, type["LabelModel"]] = {}
#: learned fields every model may carry (serialised with the model's own ``_learned``)
_BASE_LEARNED = ("cardinality_", "n_lfs_", "lf_names_", "class_names_", "warnings_", "uncovered_proba_")


def register(cls: type["LabelModel"]) -> type["LabelModel"]:
    """Class decorator: make a model loadable by name from a model file."""
    _REGISTRY[cls.__name__] = cls
    return cls


def registered_models() -> dict[str, type["LabelModel"]]:
    return dict(_REGISTRY)


class _class_or_instance:
    """A method that gets both the class and the instance (``None`` when called on the class):
    ``Model.load(path)`` and Snorkel's ``model.load(path)``."""

    def __init__(self, func):
        self.func = func
        self.__doc__ = func.__doc__
        sig = inspect.signature(func)   # what callers pass: without the class and the instance
        self.signature = sig.replace(parameters=list(sig.parameters.values())[2:])

    def __get__(self, obj, cls=None):
        import functools

        bound = functools.wraps(self.func)(functools.partial(self.func, cls, obj))
        bound.__signature__ = self.signature   # else help() follows __wrapped__: (cls, self, path)
        return bound


class ModelFile:
    """Mixin: a fitted label model as plain JSON and back (see the module docstring)."""

    # ---------------------------------------------------------------- serialisation
    def to_dict(self) -> dict:
        """Plain-JSON description: class, hyper-parameters, learned state, diagnostics."""
        self._check_fitted()
        self._validate_params()   # one set after fit would make a file that from_dict refuses
        _check_indexed_params(self, getattr(self, "lf_names_", None), getattr(self, "class_names_", None))
        learned = {}
        for name in _BASE_LEARNED + tuple(self._learned):
            if hasattr(self, name):
                learned[name] = _jsonable(getattr(self, name))
        return {
            "format": MODEL_FORMAT,
            "format_version": 1,
            "weaklabel_version": __version__,
            "model": type(self).__name__,
            "params": _jsonable(self.get_params(deep=False)),
            "learned": learned,
        }

    def save(self, path, force: bool = True) -> None:
        """Write the fitted model to ``path`` as a ``model.json`` (plain JSON, atomically, as
        :func:`weaklabel.save_model`; the name must end in ``.json``). Snorkel's spelling, and like
        Snorkel's ``save`` it replaces an existing file; ``force=False`` refuses to."""
        from .._persist import write_json_model

        write_json_model(self.to_dict(), path, force=force)

    @_class_or_instance
    def load(cls, self, path) -> "LabelModel":
        """Read a ``model.json`` (:meth:`save`, ``weaklabel fit --save-model``), validating every field.

        ``Model.load(path)`` returns a new fitted model (a ``Model`` or a subclass of it: another
        model's file is a ModelFileError). ``model.load(path)``, Snorkel's spelling, loads the file
        into ``model``, which must be of the file's class, and returns it."""
        from pathlib import Path

        from .._persist import read_json_model

        data = read_json_model(path, "a model.json written by save() or `weaklabel fit --save-model`",
                               "a model.json file")
        model = cls.from_dict(data, where=str(Path(path)))
        if self is None:
            return model
        if type(model) is not type(self):
            raise ModelFileError(f"{Path(path)}: holds a {type(model).__name__}, not a {type(self).__name__} "
                                 f"(weaklabel.load_model(path) reads any model file)")
        self.__dict__.clear()
        self.__dict__.update(model.__dict__)
        return self

    @classmethod
    def from_dict(cls, data: dict, where: str = "model") -> "LabelModel":
        """Rebuild a fitted model from :meth:`to_dict` output, validating every field.

        Anything wrong with ``data`` (a missing or mistyped field, a value out of range, arrays of
        the wrong shape, NaN) is a :class:`ModelFileError` naming ``where``; never another error."""
        try:
            return cls._from_dict(data, where)
        except ModelFileError:
            raise
        except (InputError, TypeError, ValueError, AttributeError, IndexError, KeyError, OverflowError,
                RecursionError, MemoryError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else ""
            raise ModelFileError(f"{where}: malformed model file ({type(exc).__name__}: {msg[:200]})") from None

    @classmethod
    def _from_dict(cls, data: dict, where: str) -> "LabelModel":
        from .base import LabelModel   # the base class loads any registered model

        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"{where}: not a weaklabel model file")
        name = data.get("model")
        model_cls = _REGISTRY.get(name)
        if model_cls is None:
            raise ModelFileError(f"{where}: unknown model class {name!r}")
        if cls is not LabelModel and not issubclass(model_cls, cls):
            raise ModelFileError(f"{where}: holds a {name}, not a {cls.__name__}")
        params = data.get("params")
        learned = data.get("learned")
        if not isinstance(params, dict) or not isinstance(learned, dict):
            raise ModelFileError(f"{where}: 'params' and 'learned' must be objects")
        allowed = set(model_cls._param_names())
        unknown = set(params) - allowed
        if unknown:
            raise ModelFileError(f"{where}: unknown parameter(s) {sorted(unknown)} for {name}")
        try:
            model = model_cls(**_from_jsonable(params, f"{where}.params"))
            model._validate_params()
        except (TypeError, ValueError, InputError) as exc:
            raise ModelFileError(f"{where}: bad parameters for {name}: {exc}") from None
        allowed_learned = set(_BASE_LEARNED) | set(model_cls._learned)
        for key, value in learned.items():
            if key not in allowed_learned:
                raise ModelFileError(f"{where}: unknown learned field {key!r} for {name}")
            setattr(model, key, _from_jsonable(value, f"{where}.learned.{key}"))
        missing = [k for k in ("cardinality_", "n_lfs_", "class_balance_") if not hasattr(model, k)]
        if missing:
            raise ModelFileError(f"{where}: missing learned field {missing[0]!r}")
        try:
            model._validate_learned()
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise ModelFileError(f"{where}: inconsistent learned state: {exc}") from None
        return model

    def _validate_learned(self) -> None:
        """Check shapes and ranges of the learned state after loading (subclasses extend)."""
        K, m = int(self.cardinality_), int(self.n_lfs_)
        if type(self.cardinality_) is not int or type(self.n_lfs_) is not int:
            raise ValueError("cardinality_ and n_lfs_ must be integers")
        if not 2 <= K <= MAX_CARDINALITY or not 0 <= m <= MAX_LFS:
            raise ValueError(f"cardinality must be in 2..{MAX_CARDINALITY} and n_lfs in 0..{MAX_LFS}")
        cb = np.asarray(self.class_balance_, dtype=float)
        if cb.shape != (K,) or not np.all(np.isfinite(cb)) or np.any(cb < 0) or not np.isclose(cb.sum(), 1.0, atol=1e-6):
            raise ValueError("class_balance_ must be K non-negative numbers summing to 1")
        self.class_balance_ = cb
        if hasattr(self, "uncovered_proba_"):
            from .uncovered import validate

            self.uncovered_proba_ = validate(self.uncovered_proba_, K)
        warns = getattr(self, "warnings_", [])
        if not isinstance(warns, list) or not all(isinstance(w, str) for w in warns):
            raise ValueError("warnings_ must be a list of strings")
        self.warnings_ = list(warns)
        names = getattr(self, "lf_names_", None)
        if names is not None and (len(names) != m or not all(isinstance(s, str) for s in names)):
            raise ValueError("lf_names_ must be n_lfs strings")
        classes = getattr(self, "class_names_", None)
        if classes is not None and (not isinstance(classes, list) or len(classes) != K
                                    or not all(isinstance(c, str) for c in classes)):
            raise ValueError("class_names_ must be a list of K strings")
