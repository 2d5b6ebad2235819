"""Labeling functions, preprocessors and the row object they receive.

A labeling function (LF) votes a class id in ``0..K-1`` or abstains with :data:`ABSTAIN`
(``-1``). Two flavours mix freely in one file:

* **row-wise** (default): ``f(x) -> int`` where ``x`` is a :class:`Row` that supports both
  ``x.text`` and ``x["text"]``;
* **vectorized** (``vectorized=True``): ``f(df) -> array`` of votes for a whole batch given as a
  pandas DataFrame. This is the fast path for keyword, regex and threshold rules.

``resources`` are passed to the function as keyword arguments; ``pre`` is a list of
:func:`preprocessor` functions applied to the row (or batch) first, in order.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import inspect
import json
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..errors import LFDefinitionError
from ._created import record_creation
from .options import checked_name, checked_resources, checked_vectorized

ABSTAIN: int = -1
"""The vote of a labeling function that does not label a row."""


class MissingField(KeyError, AttributeError):
    """Raised by :class:`Row` when an LF asks for a column the data does not have."""

    def __init__(self, column: str):
        super().__init__(column)
        self.column = column

    def __str__(self) -> str:  # KeyError quotes its argument; keep it readable
        return f"no column {self.column!r}"


_dict_getattribute = dict.__getattribute__

ROW_WRITES = [0]
"""Writes to any :class:`Row` in this process so far (one counter, no per-row state): the applier
compares it before and after an LF call to tell that the LF changed its row, and then gives the
LFs after it a fresh copy, so that no LF sees another LF's edits (a cheap check, not a copy per call)."""


class Row(dict):
    """One data row: a dict whose keys are column names, also readable as attributes.

    ``x.text`` and ``x["text"]`` are the same value. Asking for a missing column raises
    :class:`MissingField`, which the applier turns into an error naming the LF and column.

    A column always wins over a dict method of the same name: with a column ``values``,
    ``x.values`` is the cell, not ``dict.values`` (otherwise an LF comparing ``x.values`` with a
    string would silently abstain on every row). The methods stay reachable as
    ``dict.values(x)``. Dunder names are never columns.
    """

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        # Checked before the type's attributes so that columns shadow dict methods; this is also
        # faster than falling through to __getattr__ (no internal AttributeError per access).
        if name in self and name[:2] != "__":
            return self[name]
        return _dict_getattribute(self, name)

    def __getattr__(self, name: str) -> Any:
        # only reached for names that are neither columns nor attributes of a dict
        if name.startswith("__"):
            raise AttributeError(name)
        raise MissingField(name)

    def __missing__(self, key: str) -> Any:
        raise MissingField(key)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __repr__(self) -> str:
        return f"Row({dict.__repr__(self)})"


def _counted_write(name: str) -> Callable:
    method = getattr(dict, name)

    def write(self, *args: Any, **kwargs: Any) -> Any:
        ROW_WRITES[0] += 1
        return method(self, *args, **kwargs)

    write.__name__ = write.__qualname__ = name
    return write


# every way to change a Row is counted in ROW_WRITES (see there)
for _name in ("__setitem__", "__delitem__", "__ior__", "update", "pop", "popitem", "setdefault", "clear"):
    setattr(Row, _name, _counted_write(_name))
del _name


def _source_text(fn: Callable) -> str:
    """The function's source, or a stable stand-in built from its bytecode when unavailable."""
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        if code is None:
            return repr(type(fn))
        return code.co_code.hex() + repr(code.co_consts) + repr(code.co_names)


def _stable_repr(value: Any) -> str | None:
    """A deterministic text form of plain data (for hashing resources), ``None`` otherwise.

    Sets are sorted so that the hash does not depend on the interpreter's hash seed; objects
    without a plain-data form (a fitted model, a compiled regex) contribute only their type.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        parts = [_stable_repr(v) for v in value]
        return None if any(p is None for p in parts) else "[" + ",".join(parts) + "]"
    if isinstance(value, (set, frozenset)):
        parts = [_stable_repr(v) for v in value]
        return None if any(p is None for p in parts) else "{" + ",".join(sorted(parts)) + "}"
    if isinstance(value, Mapping):
        items = []
        for k, v in value.items():
            pk, pv = _stable_repr(k), _stable_repr(v)
            if pk is None or pv is None:
                return None
            items.append(pk + ":" + pv)
        return "{" + ",".join(sorted(items)) + "}"
    pattern = getattr(value, "pattern", None)  # compiled regular expressions
    if isinstance(pattern, str):
        return "re:" + json.dumps(pattern) + ":" + str(getattr(value, "flags", ""))
    return None


def _code_names(code: types.CodeType) -> set[str]:
    """Global names a code object (and the functions, lambdas and comprehensions in it) may read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _dependency_text(fn: Callable, seen: set[int] | None = None) -> str:
    """What else decides an LF's votes besides its own source: default arguments, closure values,
    and the module-level names it reads: helper functions defined in the same file (their source,
    recursively) and plain-data constants (word lists, thresholds, compiled regexes).

    Modules, classes and objects without a plain-data form contribute nothing, so the hash does
    not change when, say, numpy is upgraded; helpers imported from another module are not followed.
    """
    if not isinstance(fn, types.FunctionType):
        return ""
    seen = set() if seen is None else seen
    seen.add(id(fn))
    parts: list[str] = []
    for k, value in enumerate(fn.__defaults__ or ()):
        parts.append(f"default {k}={_value_text(value, fn, seen)}")
    for key, value in sorted((fn.__kwdefaults__ or {}).items()):
        parts.append(f"default {key}={_value_text(value, fn, seen)}")
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            parts.append(f"closure {name}={_value_text(value, fn, seen)}")
    globs = fn.__globals__
    for name in sorted(_code_names(fn.__code__)):
        if name in globs:
            text = _value_text(globs[name], fn, seen)
            if text:
                parts.append(f"global {name}={text}")
    return ";".join(parts)


def _value_text(value: Any, owner: types.FunctionType, seen: set[int]) -> str:
    if isinstance(value, (types.ModuleType, type, LabelingFunction, Preprocessor)):
        return ""  # LFs and preprocessors have their own hashes; modules and classes are code
    if isinstance(value, types.FunctionType):
        if value.__module__ != owner.__module__ or id(value) in seen:
            return ""
        seen.add(id(value))
        return "def:" + _source_text(value) + _dependency_text(value, seen)
    rep = _stable_repr(value)
    return rep if rep is not None else ""


def _resources_text(resources: Mapping[str, Any]) -> str:
    parts = []
    for key in sorted(resources):
        rep = _stable_repr(resources[key])
        parts.append(f"{key}={rep if rep is not None else type(resources[key]).__qualname__}")
    return ";".join(parts)


_BATCH_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("weaklabel_batch_memo", default=None)


@contextlib.contextmanager
def batch_memo() -> Iterator[dict]:
    """A scratch dict shared by the vectorized LFs run on one batch, dropped afterwards.

    The applier opens one around each batch's vectorized LFs (per thread), so that work several
    LFs need, like :func:`weaklabel.keyword_lf`'s lower-cased text buffer, is done once per
    batch and never outlives it. Outside a batch there is no memo (:func:`current_batch_memo`
    returns ``None``) and such work is simply redone per call.
    """
    memo: dict = {}
    token = _BATCH_MEMO.set(memo)
    try:
        yield memo
    finally:
        _BATCH_MEMO.reset(token)
        memo.clear()


def current_batch_memo() -> dict | None:
    """The memo of the batch being labelled in this thread, or ``None`` (see :func:`batch_memo`)."""
    return _BATCH_MEMO.get()


def _checked_pre(owner: str, pre: Any) -> list:
    """``pre`` as a list of preprocessors (Snorkel's spelling). A single :class:`Preprocessor`
    is taken as a list of one; a plain function is refused with the fix, since it has not been
    declared row-wise or vectorized."""
    if pre is None:
        return []
    if isinstance(pre, Preprocessor):
        return [pre]
    if callable(pre) or isinstance(pre, (str, bytes, Mapping)) or not isinstance(pre, Iterable):
        fn = getattr(pre, "__name__", None)
        hint = (f"decorate {fn} with @preprocessor and pass pre=[{fn}]" if callable(pre) and fn
                else "pass pre=[p1, p2, ...] of @preprocessor functions")
        raise LFDefinitionError(f"{owner}: pre must be a list of @preprocessor functions, got "
                                f"{type(pre).__name__}; {hint}")
    return list(pre)


class Preprocessor:
    """A function that maps a row (or, if ``vectorized``, a batch DataFrame) to a new one.

    Row-wise preprocessors may return a mapping (turned into a :class:`Row`) or ``None`` after
    mutating the row in place. Results are computed once per row and shared by every LF that
    uses the same chain of preprocessors.
    """

    def __init__(self, name: str, f: Callable, resources: Mapping[str, Any] | None = None,
                 vectorized: bool = False):
        owner = f"preprocessor {checked_name('preprocessor', name)!r}"
        if not callable(f):
            raise LFDefinitionError(f"{owner}: {f!r} is not callable")
        self.name = name
        self.f = f
        self.resources = checked_resources(owner, resources)
        self.vectorized = checked_vectorized(owner, vectorized)

    def __call__(self, x: Any) -> Any:
        out = self.f(x, **self.resources)
        if self.vectorized:
            return x if out is None else out
        if out is None:
            return x
        if isinstance(out, Row):
            return out
        if isinstance(out, Mapping):
            return Row(out)
        if hasattr(out, "to_dict"):  # a pandas Series
            return Row(out.to_dict())
        raise TypeError(
            f"preprocessor {self.name!r} returned {type(out).__name__}; return a mapping "
            "(dict or Row) or None after modifying the row in place"
        )

    def source_hash_text(self) -> str:
        return _source_text(self.f) + _dependency_text(self.f) + _resources_text(self.resources)

    def __repr__(self) -> str:
        kind = "vectorized " if self.vectorized else ""
        return f"Preprocessor({self.name!r}, {kind}f={getattr(self.f, '__name__', self.f)!r})"


def preprocessor(_fn: Callable | None = None, *, name: str | None = None,
                 resources: Mapping[str, Any] | None = None, vectorized: bool = False):
    """Decorator that turns a function into a :class:`Preprocessor` (bare or called)."""

    def wrap(fn: Callable) -> Preprocessor:
        # name=None means the function's name; name="" is refused, not silently replaced
        return Preprocessor(_default_name(name, fn), fn, resources=resources, vectorized=vectorized)

    if _fn is not None:
        if not callable(_fn):
            raise LFDefinitionError("@preprocessor takes keyword arguments only: "
                                    "@preprocessor(name=..., resources=..., vectorized=...)")
        return wrap(_fn)
    return wrap


class LabelingFunction:
    """A named voting rule: ``LabelingFunction(name, f, resources=None, pre=None, vectorized=False)``.

    Calling the object on one row (row-wise) or one DataFrame batch (vectorized) applies the
    preprocessors and the function; it does not validate the vote (the applier does, so that
    errors can name the row).
    """

    def __init__(self, name: str, f: Callable, resources: Mapping[str, Any] | None = None,
                 pre: Iterable[Preprocessor] | None = None, vectorized: bool = False):
        owner = f"labeling function {checked_name('labeling function', name)!r}"
        if not callable(f):
            raise LFDefinitionError(f"{owner}: {f!r} is not callable")
        self.name = name
        self.f = f
        self.resources = checked_resources(owner, resources)
        self.vectorized = checked_vectorized(owner, vectorized)
        pre_list = _checked_pre(owner, pre)
        for p in pre_list:
            if not isinstance(p, Preprocessor):
                raise LFDefinitionError(
                    f"labeling function {name!r}: pre must hold @preprocessor functions, got {p!r}")
            if p.vectorized != self.vectorized:
                want = "vectorized" if self.vectorized else "row-wise"
                raise LFDefinitionError(
                    f"labeling function {name!r} is {want} but preprocessor {p.name!r} is not; "
                    "use preprocessor(vectorized=...) to match")
        self.pre = pre_list
        record_creation(self)

    def call_raw(self, x: Any) -> Any:
        """Apply the function (not the preprocessors) with its resources."""
        if self.resources:
            return self.f(x, **self.resources)
        return self.f(x)

    def __call__(self, x: Any) -> Any:
        if not self.vectorized and isinstance(x, Mapping) and not isinstance(x, Row):
            x = Row(x)
        for p in self.pre:
            x = p(x)
        return self.call_raw(x)

    @property
    def source_hash(self) -> str:
        """SHA-256 (hex, 16 chars) of the LF's source, its preprocessors and plain resources, and
        what the function reads from its file: default arguments, closure values, helper
        functions defined in the same file and plain-data module constants.

        Stored in ``votes.parquet`` so that a changed LF can be detected (and re-applied by
        ``weaklabel apply --update``).
        """
        h = hashlib.sha256()
        h.update(self.name.encode())
        h.update(b"\0vectorized" if self.vectorized else b"\0rowwise")
        h.update(_source_text(self.f).encode())
        h.update(b"\0deps\0" + _dependency_text(self.f).encode())
        h.update(_resources_text(self.resources).encode())
        for p in self.pre:
            h.update(b"\0pre\0" + p.source_hash_text().encode())
        return h.hexdigest()[:16]

    def __repr__(self) -> str:
        kind = ", vectorized=True" if self.vectorized else ""
        pre = f", pre={[p.name for p in self.pre]}" if self.pre else ""
        return f"LabelingFunction({self.name!r}{kind}{pre})"


def labeling_function(_fn: Callable | None = None, *, name: str | None = None,
                      resources: Mapping[str, Any] | None = None,
                      pre: Iterable[Preprocessor] | None = None, vectorized: bool = False):
    """Decorator: ``@labeling_function`` or ``@labeling_function(name=..., resources=..., pre=..., vectorized=...)``."""

    def wrap(fn: Callable) -> LabelingFunction:
        return LabelingFunction(_default_name(name, fn), fn, resources=resources, pre=pre,
                                vectorized=vectorized)

    if _fn is not None:
        if not callable(_fn):
            raise LFDefinitionError("@labeling_function takes keyword arguments only: "
                                    "@labeling_function(name=..., resources=..., pre=..., vectorized=...)")
        return wrap(_fn)
    return wrap


def _default_name(name: Any, fn: Callable) -> Any:
    """The decorators' name: the function's own when ``name`` is not given (``None``). Any value
    given, ``""`` included, is kept for the constructor to check rather than replaced."""
    return getattr(fn, "__name__", repr(fn)) if name is None else name
