"""Checks of the options ``@labeling_function`` and ``@preprocessor`` take (and their classes).

Each turns a value that would otherwise fail later with a raw ``TypeError``, or be silently
misread (``vectorized="no"`` is truthy, ``name=""`` used to become the function's name), into a
one-line :class:`~weaklabel.errors.LFDefinitionError` naming the LF and what to write instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import LFDefinitionError


def checked_name(kind: str, name: Any) -> str:
    """A non-empty name: votes columns, error messages and ``--update`` all key on it."""
    if not isinstance(name, str) or not name:
        raise LFDefinitionError(f"{kind} name must be a non-empty string, got {name!r}")
    if name != name.strip() or not name.isprintable():
        # "spam " and "spam" would be two votes columns, and a newline breaks every one-line message
        raise LFDefinitionError(f"{kind} name {name!r} has whitespace at an end or a control character "
                                f"(a newline, a tab); names are votes columns and appear in messages: "
                                f"use {' '.join(''.join(c if c.isprintable() else ' ' for c in name).split())!r}")
    return name


def checked_resources(owner: str, resources: Any) -> dict:
    """``resources`` as Snorkel means it: a mapping of keyword-argument names to values, passed
    to the function on every call. Anything else (a list, a set) would fail later with a raw
    ``TypeError`` from ``dict()``, so it is refused here with the spelling to use."""
    if resources is None:
        return {}
    if not isinstance(resources, Mapping):
        raise LFDefinitionError(
            f"{owner}: resources must be a dict of keyword arguments for the function, e.g. "
            f"resources={{'words': {{'spam', 'free'}}}} for def f(x, words); got {type(resources).__name__}")
    bad = [k for k in resources if not isinstance(k, str)]
    if bad:
        raise LFDefinitionError(f"{owner}: resources keys are keyword-argument names (str), got {bad[0]!r}")
    return dict(resources)


def checked_vectorized(owner: str, vectorized: Any) -> bool:
    """A real bool: ``vectorized="no"`` is truthy and would silently hand the function a whole
    DataFrame instead of a row."""
    if not isinstance(vectorized, bool):
        raise LFDefinitionError(f"{owner}: vectorized must be True or False, got {vectorized!r}")
    return vectorized


def checked_plain(owner: str, f: Callable) -> None:
    """A function that returns its result: an ``async def`` returns a coroutine and a function with
    ``yield`` a generator, whatever its body says, so every call would be an invalid vote (or
    under ``on_error="abstain"`` a column of silent abstains), with a "coroutine was never awaited"
    warning on stderr."""
    call = getattr(type(f), "__call__", None) if not inspect.isroutine(f) and not isinstance(f, type) else None
    for g in (f, call):
        if g is None:
            continue
        if inspect.iscoroutinefunction(g) or inspect.isasyncgenfunction(g):
            raise LFDefinitionError(f"{owner}: {getattr(f, '__name__', 'it')} is an async def, which returns a "
                                    "coroutine, not its result; use a plain def (asyncio.run(...) inside it if it "
                                    "must await)")
        if inspect.isgeneratorfunction(g):
            raise LFDefinitionError(f"{owner}: {getattr(f, '__name__', 'it')} is a generator function (it has "
                                    "yield), which returns a generator, not its result; return the vote (or "
                                    "the batch's votes, or the row) instead")


def checked_call(owner: str, f: Callable, resources: Mapping[str, Any]) -> None:
    """That ``f(x, **resources)``, the one call the applier makes, fits ``f``'s parameters. A
    resource the function does not take, or a parameter no resource fills, fails that call on
    every row: a row-0 error, and under ``on_error="abstain"`` a column of silent abstains. The
    signature is the callable's own (``follow_wrapped=False``: a decorator that fills an argument
    is not refused). Only Python functions and methods are checked: a builtin, class or other
    callable object may accept more than its signature shows."""
    if not (inspect.isfunction(f) or inspect.ismethod(f)):
        return
    try:
        sig = inspect.signature(f, follow_wrapped=False)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(None, **resources)
    except TypeError as exc:
        call = ", ".join(["x", *(f"{k}=..." for k in resources)])
        raise LFDefinitionError(f"{owner}: the applier calls {getattr(f, '__name__', 'f')}({call}) (the row or batch, "
                                f"then its resources), which does not fit its parameters {sig}: {exc}") from None
