"""Checks of the options ``@labeling_function`` and ``@preprocessor`` take (and their classes).

Each turns a value that would otherwise fail later with a raw ``TypeError``, or be silently
misread (``vectorized="no"`` is truthy, ``name=""`` used to become the function's name), into a
one-line :class:`~weaklabel.errors.LFDefinitionError` naming the LF and what to write instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import LFDefinitionError


def checked_name(kind: str, name: Any) -> str:
    """A non-empty name: votes columns, error messages and ``--update`` all key on it."""
    if not isinstance(name, str) or not name:
        raise LFDefinitionError(f"{kind} name must be a non-empty string, got {name!r}")
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
