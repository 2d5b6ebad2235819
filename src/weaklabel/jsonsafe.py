"""Strict JSON for files a user hands to weaklabel (model files, Parquet metadata).

Python's ``json`` accepts ``NaN``/``Infinity``, turns ``1e999`` into ``inf`` and recurses once per
nesting level (``RecursionError`` on 100,000 ``[``). :func:`loads_strict` refuses all three with a
one-line :class:`~weaklabel.errors.ModelFileError` naming the file, so a tampered file can neither
smuggle a non-finite number into a model nor crash the reader.
"""

from __future__ import annotations

import json
import math

from .errors import ModelFileError

MAX_DEPTH = 64  # weaklabel's own files nest fewer than 10 levels


def _finite(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"number {text} is out of range")
    return v


def _constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _depth_ok(text: str, limit: int) -> bool:
    """Nesting depth of ``[``/``{`` outside strings at most ``limit`` (checked before parsing)."""
    depth = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def loads_strict(text: str | bytes, where: str, error=ModelFileError, max_depth: int = MAX_DEPTH):
    """Parse JSON that must hold only finite numbers and nest at most ``max_depth`` levels."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise error(f"{where}: not valid JSON (not UTF-8 text)") from None
    if not _depth_ok(text, max_depth):
        raise error(f"{where}: not valid JSON (nested deeper than {max_depth} levels)")
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"{where}: not valid JSON ({msg})") from None
