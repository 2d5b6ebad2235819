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
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..errors import LFDefinitionError
from ._created import record_creation
from ._hashing import dependency_text, resources_text, source_text
from ._late_binding import function_module, snapshot
from .options import checked_call, checked_name, checked_plain, checked_resources, checked_vectorized

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
_dict_setattr = object.__setattr__

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


class DroppedField(KeyError, AttributeError):
    """Raised when an LF reads a field that its row had but a preprocessor's new mapping left out
    (not a :class:`MissingField`: the data has that column)."""

    def __init__(self, pre: str, column: str, kept: list):
        super().__init__(column)
        self.column = column
        self.text = (f"preprocessor {pre!r} returned a new mapping without {column!r} (its fields: "
                     f"{', '.join(map(str, kept[:10])) or 'none'}); set fields on the row it gets "
                     f"(x.new = ...) and return it or None, or return {{**x, ...}}")

    def __str__(self) -> str:
        return self.text


class _ReturnedRow(Row):
    """The new mapping a row-wise preprocessor returned, which left out some of its row's fields."""

    __slots__ = ("_pre", "_dropped")

    def __init__(self, row: Mapping, pre: str, dropped: list):
        dict.__init__(self, row)
        _dict_setattr(self, "_pre", pre)
        _dict_setattr(self, "_dropped", frozenset(dropped))

    def __reduce__(self):   # copy and pickle: not through Row.__setattr__, which would make the slots fields
        get = functools.partial(_dict_getattribute, self)
        return (_ReturnedRow, (dict(self), get("_pre"), sorted(get("_dropped"))))

    def _absent(self, name: str) -> Exception:
        if name in _dict_getattribute(self, "_dropped"):
            return DroppedField(_dict_getattribute(self, "_pre"), name, list(self))
        return MissingField(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise self._absent(name)

    def __missing__(self, key: str) -> Any:
        raise self._absent(key)


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
        checked_plain(owner, f)
        checked_call(owner, f, self.resources)
        snapshot(self)

    def __call__(self, x: Any) -> Any:
        if not self.vectorized and isinstance(x, Mapping) and not isinstance(x, Row):
            x = Row(x)   # called on a dict (a unit test), as an LF is: x.text works
        out = self.f(x, **self.resources)
        if self.vectorized:   # any result: a view may be a feature matrix (autolf's)
            return x if out is None else out
        if out is None or out is x:
            return x
        if isinstance(out, Mapping):
            row = out if isinstance(out, Row) else Row(out)
        elif hasattr(out, "to_dict"):  # a pandas Series
            row = Row(out.to_dict())
        else:
            raise TypeError(
                f"preprocessor {self.name!r} returned {type(out).__name__}; return a mapping "
                "(dict or Row) or None after modifying the row in place"
            )
        if isinstance(x, Mapping) and any(k not in row for k in x):
            # a new mapping without some of the row's fields: an LF reading one of them must not be
            # told that the data lacks that column
            return _ReturnedRow(row, self.name, [k for k in x if k not in row])
        return row

    def source_hash_text(self, seen: set[int] | None = None) -> str:
        seen = {id(self)} if seen is None else seen
        return (source_text(self.f) + dependency_text(self.f, seen)
                + resources_text(self.resources, function_module(self.f)))

    def __repr__(self) -> str:
        kind = "vectorized " if self.vectorized else ""
        return f"Preprocessor({self.name!r}, {kind}f={getattr(self.f, '__name__', self.f)!r})"


def preprocessor(_fn: Callable | None = None, *, name: str | None = None,
                 resources: Mapping[str, Any] | None = None, vectorized: bool = False):
    """Decorator that turns a function into a :class:`Preprocessor` (bare or called)."""

    def wrap(fn: Callable) -> Preprocessor:
        # name=None means the function's name; name="" is refused, not silently replaced
        return Preprocessor(_default_name(name, fn, "@preprocessor"), fn, resources=resources, vectorized=vectorized)

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
        checked_plain(owner, f)
        checked_call(owner, f, self.resources)
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
        snapshot(self)   # what it reads as it is made: collect_lfs's check for loop variables read late

    def call_raw(self, x: Any) -> Any:
        """Apply the function (not the preprocessors) with its resources."""
        if self.resources:
            return self.f(x, **self.resources)
        return self.f(x)

    def __call__(self, x: Any) -> Any:
        if not self.vectorized and isinstance(x, Mapping) and not isinstance(x, Row):
            x = Row(x)
        for p in self.pre:
            x = p(_copied(x))
        return self.call_raw(x)

    @property
    def source_hash(self) -> str:
        """SHA-256 (hex, 16 chars) of the LF's source, its preprocessors and plain resources, and
        what the function reads from its file: default arguments, closure values, helper
        functions defined in the same file and plain-data module constants.

        Stored in ``votes.parquet`` so that a changed LF can be detected (and re-applied by
        ``weaklabel apply --update``).
        """
        return hashlib.sha256(self.source_hash_text({id(self)})).hexdigest()[:16]

    def source_hash_text(self, seen: set[int]) -> bytes:
        """What :attr:`source_hash` hashes; ``seen``: the LFs, preprocessors and functions already
        in it (an LF that calls another LF of its file includes that one's text, once)."""
        outer = set(seen)   # the preprocessors' start: a helper the LF also reads counts in both, as before
        out = [self.name.encode(), b"\0vectorized" if self.vectorized else b"\0rowwise",
               source_text(self.f).encode(), b"\0deps\0" + dependency_text(self.f, seen).encode(),
               resources_text(self.resources, function_module(self.f)).encode()]
        for p in self.pre:
            out.append(b"\0pre\0" + p.source_hash_text(outer | {id(p)}).encode())
        return b"".join(out)

    def __repr__(self) -> str:
        kind = ", vectorized=True" if self.vectorized else ""
        pre = f", pre={[p.name for p in self.pre]}" if self.pre else ""
        return f"LabelingFunction({self.name!r}{kind}{pre})"


def _copied(x: Any) -> Any:
    """What a preprocessor gets when an LF is called directly: a copy, as the applier gives it, so
    that an in-place preprocessor does not edit the caller's row (or, vectorized, DataFrame)."""
    if isinstance(x, Mapping):
        return Row(x)
    if type(x).__module__.startswith("pandas") and hasattr(x, "copy"):
        return x.copy(deep=False)
    return x


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


def _default_name(name: Any, fn: Callable, decorator: str = "@labeling_function") -> Any:
    """The decorators' name: the function's own when ``name`` is not given (``None``). Any value
    given, ``""`` included, is kept for the constructor to check rather than replaced. A decorator
    applied to an LF or preprocessor (twice, or one on the other) is refused: the result was named
    ``"LabelingFunction('f')"`` and the inner one made but never collected."""
    if isinstance(fn, (LabelingFunction, Preprocessor)):
        what = "labeling function" if isinstance(fn, LabelingFunction) else "preprocessor"
        raise LFDefinitionError(f"{decorator} applied to {what} {fn.name!r}, which is made already "
                                f"(two decorators on one def?); keep one")
    return getattr(fn, "__name__", repr(fn)) if name is None else name
