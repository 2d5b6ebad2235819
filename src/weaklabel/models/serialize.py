"""Label models as plain JSON (model files): learned arrays, non-finite floats and nested
estimators encoded as tagged objects, and decoded with every field checked. Used by
``LabelModel.to_dict`` / ``from_dict``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InputError, ModelFileError


def _jsonable(value: Any) -> Any:
    from .base import LabelModel

    if isinstance(value, LabelModel):
        # nested estimators (a parameter or a fitted sub-model): their own plain description
        if hasattr(value, "class_balance_"):
            return {"__model__": value.to_dict()}
        return {"__estimator__": type(value).__name__, "params": _jsonable(value.get_params(deep=False))}
    if not isinstance(value, np.ndarray) and hasattr(value, "__array__") and hasattr(value, "to_numpy"):
        value = np.asarray(value)   # a pandas Series parameter (in the votes' order: check_indexed_params)
    if isinstance(value, np.ndarray):
        value = _loadable(value)
        if value.dtype == object:
            return [_jsonable(v) for v in value.tolist()]
        return {"__array__": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    return value


_ALLOWED_DTYPES = {"float64", "float32", "int64", "int32", "int16", "int8", "bool"}


def _loadable(arr: np.ndarray) -> np.ndarray:
    """``arr`` in a dtype :func:`from_jsonable` reads back (a parameter of the user's may be float16
    or uint8: written as such, the file was refused by the loader), with the same numbers."""
    if str(arr.dtype) in _ALLOWED_DTYPES or arr.dtype == object:
        return arr
    if arr.dtype.kind == "f":
        return arr.astype(np.float64)
    if arr.dtype.kind in "iu" and (arr.size == 0 or int(arr.max()) <= np.iinfo(np.int64).max):
        return arr.astype(np.int64)
    if arr.dtype.kind == "u":
        return arr.astype(np.float64)   # above int64: as the float every model reads it as
    return arr.astype(object)


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON, as a model file holds it (parameters, learned arrays, nested estimators)."""
    return _jsonable(value)


def from_jsonable(value: Any, where: str) -> Any:
    """The inverse of :func:`jsonable`, validating every field (errors are ``ModelFileError``s naming
    ``where``): a model file never makes the loader run code or allocate without bound."""
    from .base import LabelModel, registered_models

    if isinstance(value, dict):
        if "__model__" in value:
            return LabelModel.from_dict(value["__model__"], where=f"{where} (nested model)")
        if "__estimator__" in value:
            cls = registered_models().get(value["__estimator__"])
            params = value.get("params")
            if cls is None or not isinstance(params, dict) or set(params) - set(cls._param_names()):
                raise ModelFileError(f"{where}: invalid nested estimator {value.get('__estimator__')!r}")
            try:
                est = cls(**from_jsonable(params, where))
                est._validate_params()
                return est
            except (TypeError, ValueError, InputError) as exc:
                raise ModelFileError(f"{where}: bad nested estimator parameters: {exc}") from None
        if "__array__" in value:
            dtype = value.get("dtype")
            if dtype not in _ALLOWED_DTYPES:
                raise ModelFileError(f"{where}: unsupported array dtype {dtype!r}")
            shape = value.get("shape")
            if (not isinstance(shape, list) or len(shape) > 8
                    or not all(type(d) is int and 0 <= d < 2 ** 40 for d in shape)):
                raise ModelFileError(f"{where}: malformed array shape {shape!r}")
            try:
                arr = np.asarray(value["__array__"], dtype=dtype)
            except (TypeError, ValueError, OverflowError):
                raise ModelFileError(f"{where}: malformed array") from None
            if arr.size == 0 and math.prod(shape) == 0:
                arr = arr.reshape(shape)  # an empty array's list ([]) does not keep its shape
            if list(arr.shape) != shape:
                raise ModelFileError(f"{where}: array shape does not match its stated shape")
            if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                raise ModelFileError(f"{where}: array holds NaN or infinite values")
            return arr
        if "__float__" in value:
            if value["__float__"] not in ("nan", "inf", "-inf"):
                raise ModelFileError(f"{where}: malformed float")
            return float(value["__float__"])
        return {k: from_jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v, where) for v in value]
    return value
