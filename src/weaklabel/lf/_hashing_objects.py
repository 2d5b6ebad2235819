"""Source-hash text of the callables and objects that are not plain functions: an LF made from
``functools.partial(f, kw=...)``, from a bound method ``Rule("refund").vote`` or from a callable
object, and the classes and objects of the LF's own file that it reads (a global ``RULE =
Rule(...)``, a resource). Each counts by what decides its votes: the function's source and
reads, the bound arguments, the class's source, its methods' reads and its plain-data attributes,
and the object's attributes. Without it such an LF hashed as its callable's type alone, and
``apply --update`` kept its old votes after the keyword, threshold or method body changed."""

from __future__ import annotations

import functools
import inspect
import types
from typing import Any

from . import _hashing as H

_MAX_ATTRS = 1000   # attributes of one object or class counted (a bound on the work, not a rule)


def _module_of(fn: Any) -> str:
    return str(getattr(fn, "__module__", "") or "")


def callable_text(fn: Any, seen: set[int]) -> str:
    """What decides the votes of a callable that is not a plain function (see the module docstring)."""
    if callable(getattr(type(fn), "source_hash_text", None)):   # another LF or preprocessor: LabelingFunction("b", a)
        if id(fn) in seen:
            return ""
        seen.add(id(fn))
        text = fn.source_hash_text(seen)
        return "lf:" + (text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    if isinstance(fn, functools.partial):
        inner = fn.func
        module = _module_of(inner)
        args = [bound_text(a, module, seen) for a in fn.args]
        kws = [f"{k}={bound_text(v, module, seen)}" for k, v in sorted(fn.keywords.items())]
        return ("partial:" + H.source_text(inner) + H.dependency_text(inner, seen)
                + ";args=" + ",".join(args) + ";kw=" + ",".join(kws))
    if isinstance(fn, types.MethodType):
        func, owner = fn.__func__, fn.__self__
        module = _module_of(func)
        if isinstance(owner, type):   # a classmethod
            return "method:" + H.dependency_text(func, seen) + ";cls=" + class_text(owner, module, seen)
        return "method:" + H.dependency_text(func, seen) + ";self=" + instance_text(owner, module, seen)
    if callable(fn) and not isinstance(fn, type) and isinstance(getattr(type(fn), "__call__", None),
                                                                types.FunctionType):
        return "call:" + instance_text(fn, type(fn).__module__, seen)
    return ""


def _is_user_module(module: str) -> bool:
    return bool(module) and module.split(".")[0] != "weaklabel"


def class_text(cls: type, module: str, seen: set[int]) -> str:
    """A class of ``module``: its source, what its methods read (their globals: a constant they
    use), its plain-data attributes (``t = THRESHOLD``) and those of its bases of the same file."""
    if cls.__module__ != module or not _is_user_module(module) or id(cls) in seen:
        return ""
    seen.add(id(cls))
    try:
        parts = ["class:" + inspect.getsource(cls)]
    except (OSError, TypeError):
        parts = ["class:" + cls.__qualname__]
    for name, value in sorted(vars(cls).items())[:_MAX_ATTRS]:
        if name.startswith("__") and name.endswith("__") and name != "__call__":
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        if isinstance(value, types.FunctionType):
            parts.append(f"{name}:" + H.dependency_text(value, seen))
        elif not isinstance(value, type):
            rep = H.stable_repr(value)
            if rep is not None:
                parts.append(f"{name}={rep}")
    for base in cls.__mro__[1:]:
        if base.__module__ == module:
            parts.append(class_text(base, module, seen))
    return ";".join(parts)


def instance_text(obj: Any, module: str, seen: set[int]) -> str:
    """An object of a class of ``module``: that class (:func:`class_text`) and its attributes."""
    cls = type(obj)
    if cls.__module__ != module or not _is_user_module(module) or id(obj) in seen:
        return ""
    seen.add(id(obj))
    state = dict(getattr(obj, "__dict__", None) or {})
    for klass in cls.__mro__:
        for slot in getattr(klass, "__slots__", ()) or ():
            if isinstance(slot, str) and slot not in state and hasattr(obj, slot):
                state[slot] = getattr(obj, slot)
    attrs = [f"{k}={bound_text(v, module, seen)}" for k, v in sorted(state.items(), key=lambda kv: str(kv[0]))
             if isinstance(k, str)][:_MAX_ATTRS]
    return "object:" + class_text(cls, module, seen) + ";attrs:" + ",".join(attrs)


def bound_text(value: Any, module: str, seen: set[int]) -> str:
    """A value bound into an LF outside its source (a partial's argument, an object's attribute):
    plain data as such, the file's functions and objects by what decides them, else its type."""
    rep = H.stable_repr(value)
    if rep is not None:
        return rep
    if isinstance(value, types.FunctionType) and value.__module__ == module and _is_user_module(module):
        if id(value) in seen:
            return ""
        seen.add(id(value))
        return "def:" + H.source_text(value) + H.dependency_text(value, seen)
    if isinstance(value, (functools.partial, types.MethodType)):
        return callable_text(value, seen)
    if isinstance(value, type):
        return class_text(value, module, seen) or value.__qualname__
    if type(value).__module__ == module and _is_user_module(module):
        return instance_text(value, module, seen)
    return type(value).__qualname__
