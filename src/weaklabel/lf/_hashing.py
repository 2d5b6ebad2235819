"""The text an LF's source hash covers (``apply --update`` reruns an LF when it changes): the
function's source and what decides its votes from its own file, recursively: default arguments,
closure values, helper functions (also behind a decorator such as ``functools.lru_cache``),
classes (their methods' reads and attributes too), other LFs and preprocessors it calls, and
plain-data constants (NumPy numbers and arrays, pandas Series and DataFrames included). An LF made
from ``functools.partial``, a bound method or a callable object, and an object of a class of its
file that it reads, count by their function, bound arguments and attributes
(:mod:`._hashing_objects`). Modules and objects without a plain-data form contribute nothing, so
the hash does not change when, say, numpy is upgraded; code imported from another module is not
followed."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import types
from collections.abc import Callable, Mapping
from typing import Any

from ._hashing_objects import callable_text, class_text, instance_text


def source_text(fn: Callable) -> str:
    """The function's source, or a stable stand-in built from its bytecode when unavailable."""
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        if not isinstance(code, types.CodeType):   # (an object whose __getattr__ answers every name)
            return repr(type(fn))
        return code.co_code.hex() + repr(code.co_consts) + repr(code.co_names)


def stable_repr(value: Any) -> str | None:
    """A deterministic text form of plain data (for hashing resources), ``None`` otherwise.

    Sets are sorted so that the hash does not depend on the interpreter's hash seed; objects
    without a plain-data form (a fitted model) contribute only their type.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        parts = [stable_repr(v) for v in value]
        return None if any(p is None for p in parts) else "[" + ",".join(parts) + "]"
    if isinstance(value, (set, frozenset)):
        parts = [stable_repr(v) for v in value]
        return None if any(p is None for p in parts) else "{" + ",".join(sorted(parts)) + "}"
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            pk, pv = stable_repr(k), stable_repr(v)
            if pk is None or pv is None:
                return None
            items.append(pk + ":" + pv)
        return "{" + ",".join(sorted(items)) + "}"
    pattern = getattr(value, "pattern", None)  # compiled regular expressions
    if isinstance(pattern, str):
        return "re:" + json.dumps(pattern) + ":" + str(getattr(value, "flags", ""))
    if type(value).__module__ == "numpy":   # np.int64(3) thresholds, arrays of numbers
        dtype = getattr(value, "dtype", None)
        if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
            inner = stable_repr(value.item())
            return None if inner is None else f"np.{dtype}:{inner}"
        if dtype is not None and dtype.kind in "biufcSUM" and hasattr(value, "tobytes"):
            digest = hashlib.sha256(value.tobytes()).hexdigest()
            return f"ndarray:{dtype.str}:{value.shape}:{digest}"
        if dtype is not None and dtype.kind == "O" and hasattr(value, "tolist"):   # an array of strings
            inner = stable_repr(value.tolist())
            return None if inner is None else f"ndarray:O:{value.shape}:{inner}"
    if str(type(value).__module__).split(".")[0] == "pandas":
        return _pandas_repr(value)
    return None


def _pandas_repr(value: Any) -> str | None:
    """A pandas Series, Index or DataFrame (a lexicon read with ``pd.read_csv`` at import) by its
    labels, dtypes and values, hashed with pandas' own fixed-key row hash; ``None`` for anything
    else, or values pandas cannot hash (lists in cells)."""
    import pandas as pd

    if not isinstance(value, (pd.Series, pd.Index, pd.DataFrame)):
        return None
    try:
        rows = pd.util.hash_pandas_object(value, index=not isinstance(value, pd.Index)).to_numpy()
    except (TypeError, ValueError):
        return None
    digest = hashlib.sha256(rows.tobytes()).hexdigest()
    if isinstance(value, pd.DataFrame):
        labels = stable_repr([str(c) for c in value.columns]) + ":" + ",".join(map(str, value.dtypes))
    else:
        labels = f"{value.name!s}:{value.dtype}"
    return f"pd.{type(value).__name__}:{labels}:{len(value)}:{digest}"


def code_names(code: types.CodeType) -> set[str]:
    """Global names a code object (and the functions, lambdas and comprehensions in it) may read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


def dependency_text(fn: Callable, seen: set[int] | None = None) -> str:
    """What else decides an LF's votes besides its own source (see the module docstring)."""
    seen = set() if seen is None else seen
    if not isinstance(fn, types.FunctionType):
        return callable_text(fn, seen)
    seen.add(id(fn))
    parts: list[str] = []
    for k, value in enumerate(fn.__defaults__ or ()):
        parts.append(f"default {k}={value_text(value, fn, seen)}")
    for key, value in sorted((fn.__kwdefaults__ or {}).items()):
        parts.append(f"default {key}={value_text(value, fn, seen)}")
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            parts.append(f"closure {name}={value_text(value, fn, seen)}")
    globs = fn.__globals__
    for name in sorted(code_names(fn.__code__)):
        if name in globs:
            text = value_text(globs[name], fn, seen)
            if text:
                parts.append(f"global {name}={text}")
    return ";".join(parts)


def _unwrapped(value: Any) -> Any:
    """A function behind decorators that keep ``__wrapped__`` (``functools.lru_cache``, ``wraps``)."""
    for _ in range(100):
        if isinstance(value, types.FunctionType) or not isinstance(getattr(value, "__wrapped__", None), Callable):
            break
        value = value.__wrapped__
    return value


def value_text(value: Any, owner: types.FunctionType, seen: set[int]) -> str:
    if isinstance(value, types.ModuleType):
        return ""  # modules are code of their own
    if str(owner.__module__).split(".")[0] == "weaklabel":   # weaklabel's own helpers (keyword_lf's):
        return _library_value_text(value, owner, seen)       # as before, so that their hashes stay put
    if callable(getattr(type(value), "source_hash_text", None)):   # another LF or preprocessor it calls
        if id(value) in seen:
            return ""
        seen.add(id(value))
        text = value.source_hash_text(seen)
        return "lf:" + (text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    if isinstance(value, type):   # a class defined in the same file: its source, methods' reads, attributes
        return class_text(value, owner.__module__, seen)
    value = _unwrapped(value)
    if isinstance(value, types.FunctionType):
        if value.__module__ != owner.__module__ or id(value) in seen:
            return ""
        seen.add(id(value))
        return "def:" + source_text(value) + dependency_text(value, seen)
    rep = stable_repr(value)
    if rep is None and isinstance(value, (list, tuple, set, frozenset, dict)) and id(value) not in seen:
        # plain data around functions or objects of the file: RULES = [("refund", lambda t: ...), ...]
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        texts = [f"{stable_repr(k) or ''}:{value_text(v, owner, seen)}" for k, v in items]
        ordered = sorted(texts) if isinstance(value, (set, frozenset, dict)) else texts
        return type(value).__name__ + "[" + ",".join(ordered) + "]"
    if rep is None and isinstance(value, (functools.partial, types.MethodType)):
        return callable_text(value, seen)
    if rep is None and type(value).__module__ == owner.__module__:   # an object of a class of the file
        return instance_text(value, owner.__module__, seen)
    return rep if rep is not None else ""


def _library_value_text(value: Any, owner: types.FunctionType, seen: set[int]) -> str:
    if isinstance(value, types.FunctionType) and value.__module__ == owner.__module__ and id(value) not in seen:
        seen.add(id(value))
        return "def:" + source_text(value) + dependency_text(value, seen)
    if isinstance(value, type) or type(value).__module__ == "numpy" or callable(getattr(type(value), "source_hash_text", None)):
        return ""
    rep = stable_repr(value)
    return rep if rep is not None else ""


def resources_text(resources: Mapping[str, Any], module: str | None = None) -> str:
    """The resources' plain data (else their type); an object of a class of ``module`` (the
    LF's file) by its class and attributes, as :func:`instance_text`."""
    parts = []
    for key in sorted(resources):
        value = resources[key]
        rep = stable_repr(value)
        if rep is None:
            rep = type(value).__qualname__
            if module is not None and type(value).__module__ == module and module.split(".")[0] != "weaklabel":
                rep += ":" + instance_text(value, module, set())
        parts.append(f"{key}={rep}")
    return ";".join(parts)
