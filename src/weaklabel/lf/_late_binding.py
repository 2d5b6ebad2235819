"""Late binding: several LFs made by one ``def`` (or lambda) in a loop that all read the loop's
variable when they *vote*, so that every one of them votes with its last value.

::

    for kw in ["refund", "broken", "late"]:
        @labeling_function(name=kw)
        def f(x):
            return 0 if kw in x.text else ABSTAIN    # reads kw when called: "late", three times

Python looks ``kw`` up when ``f`` runs, not when it is defined, so the three LFs have different
names and identical votes: nothing fails, and the label model sees one rule three times. The same
happens with a closure over a loop variable inside a function, and with a helper function the
loop redefines.

:func:`snapshot` records, when an LF is made, what its function (and the helpers of its own
module that it calls) read from module globals and closure cells; :func:`check_late_binding`
(run by :func:`~weaklabel.lf.loading.collect_lfs`, so for ``lfs.py`` files and ``apply_lfs``
alike) refuses LFs that run the same code and saw different values of such a name as they were
made, since all of them now read one and the same value. LFs the same code makes with their
values bound per LF (a default argument, ``resources``, a factory's closure,
``functools.partial``, a bound method) read nothing that varied and are not concerned.
"""

from __future__ import annotations

import dis
import functools
import types
import weakref
from pathlib import Path
from typing import Any

from ..errors import LFDefinitionError

_SNAPSHOTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SMALL = (str, int, float, bool, bytes, type(None))
_MAX_FUNCTIONS = 200   # helpers followed per LF (a bound on the walk, not a rule)


@functools.lru_cache(maxsize=4096)
def _global_loads(code: types.CodeType) -> tuple[str, ...]:
    """Names ``code`` (and the functions, lambdas and comprehensions in it) loads as globals: not
    attribute names such as the ``text`` of ``x.text``, which ``co_names`` also holds."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(_global_loads(const))
    return tuple(sorted(n for n in names if isinstance(n, str)))


def _function_of(f: Any) -> types.FunctionType | None:
    """The Python function whose code an LF's callable runs (through ``partial``, bound methods,
    decorators keeping ``__wrapped__`` and callable objects), or ``None``."""
    for _ in range(20):
        if isinstance(f, types.FunctionType):
            return f
        if isinstance(f, functools.partial):
            f = f.func
        elif isinstance(f, types.MethodType):
            f = f.__func__
        elif callable(getattr(f, "__wrapped__", None)):
            f = f.__wrapped__
        elif callable(f) and not isinstance(f, type) and isinstance(getattr(type(f), "__call__", None),
                                                                     types.FunctionType):
            f = type(f).__call__
        else:
            return None
    return None


def function_module(f: Any) -> str | None:
    """The module of the function an LF's callable runs (its file's, for an ``lfs.py``)."""
    fn = _function_of(f)
    return None if fn is None else str(getattr(fn, "__module__", "") or "") or None


def _ours(fn: types.FunctionType) -> bool:
    mod = str(getattr(fn, "__module__", "") or "")
    return mod == "weaklabel" or mod.startswith("weaklabel.")


def _value_key(value: Any) -> tuple:
    """What tells two values apart: small plain values by equality, anything else by identity."""
    if isinstance(value, _SMALL) and not (isinstance(value, (str, bytes)) and len(value) > 10_000):
        return ("=", type(value).__name__, value)
    return ("id", id(value))


def _shown(value: Any) -> str:
    if isinstance(value, _SMALL):
        text = repr(value[:50] if isinstance(value, (str, bytes)) else value)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a {type(value).__name__}"


_UNBOUND = (("unbound",), "unbound")


def _reads(fn: types.FunctionType) -> dict[tuple, tuple[tuple, str]]:
    """``{("global", name) | ("cell", id(cell), name): (value key, shown)}`` for what ``fn`` and the
    helper functions of its module that it reads look up when called."""
    out: dict[tuple, tuple[tuple, str]] = {}
    todo, seen = [fn], {id(fn)}
    while todo and len(seen) <= _MAX_FUNCTIONS:
        g = todo.pop()
        values = []
        for name, cell in zip(g.__code__.co_freevars, g.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:   # an empty cell
                out[("cell", id(cell), name)] = _UNBOUND
                continue
            out[("cell", id(cell), name)] = (_value_key(value), _shown(value))
            values.append(value)
        if g.__globals__ is fn.__globals__:
            for name in _global_loads(g.__code__):
                if name not in g.__globals__:
                    out[("global", name)] = _UNBOUND
                    continue
                value = g.__globals__[name]
                out[("global", name)] = (_value_key(value), _shown(value))
                values.append(value)
        for value in values:   # helpers of the same module it calls
            h = _function_of(value) if callable(value) and not isinstance(value, type) else None
            if h is not None and id(h) not in seen and h.__globals__ is fn.__globals__ and not _ours(h):
                seen.add(id(h))
                todo.append(h)
    return out


def snapshot(lf: Any) -> None:
    """Record, as ``lf`` is made, what its function reads from globals and closure cells."""
    fn = _function_of(lf.f)
    if fn is None or _ours(fn):
        return
    try:
        _SNAPSHOTS[lf] = (fn.__code__, id(fn.__globals__), fn, _reads(fn))
    except Exception:   # noqa: BLE001 - a check, never a reason for an LF not to be made
        return


def _current(fn: types.FunctionType, key: tuple) -> str:
    if key[0] == "global":
        return _shown(fn.__globals__[key[1]]) if key[1] in fn.__globals__ else "unbound"
    return "that variable's last value"


def _names(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    if len(quoted) > 4:
        return ", ".join(quoted[:3]) + f" and {len(quoted) - 3} more"
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def check_late_binding(lfs: list, where: str) -> None:
    """Refuse LFs of one code that read a global or closure variable whose value differed as they
    were made (see the module docstring): they all vote with its current value. Likewise their
    preprocessors (one ``@preprocessor`` per column, made in a loop)."""
    _check(lfs, where, "labeling functions", "vote")
    pres = list({id(p): p for lf in lfs for p in getattr(lf, "pre", ())}.values())
    _check(pres, where, "preprocessors", "run")


def _check(lfs: list, where: str, kind: str, verb: str) -> None:
    groups: dict[tuple, list] = {}
    for lf in lfs:
        snap = _SNAPSHOTS.get(lf)
        if snap is not None:
            groups.setdefault((id(snap[0]), snap[1]), []).append((lf, snap))
    for members in groups.values():
        if len(members) < 2:
            continue
        reads = [snap[3] for _, snap in members]
        common = set(reads[0]).intersection(*reads[1:])
        varied = [key for key in common if len({r[key][0] for r in reads}) > 1]
        # the most telling first: a variable whose values can be shown ('refund', 'broken')
        for key in sorted(varied, key=lambda k: (any(r[k][0][0] != "=" for r in reads), repr(k))):
            made = [r[key] for r in reads]
            fn = members[0][1][2]
            code = fn.__code__
            var = key[-1] if key[0] == "global" else key[2]
            shown = list(dict.fromkeys(m[1] for m in made))
            was = (", ".join(shown[:3]) + (", ..." if len(shown) > 3 else "") if len(shown) > 1
                   else f"another {shown[0].removeprefix('a ')} for each")
            raise LFDefinitionError(
                f"{where}: {kind} {_names([lf.name for lf, _ in members])} run the same code "
                f"({Path(code.co_filename).name}:{code.co_firstlineno}) and look {var} up when they {verb}, "
                f"not when they were made: it was {was} as they were made, and all of them now read "
                f"{_current(fn, key)} (a loop variable?), so they would {verb} alike; bind it per "
                f"{'LF' if verb == 'vote' else 'preprocessor'}, as a default argument "
                f"(def f(x, {var}={var})) or in resources={{{var!r}: {var}}}")
