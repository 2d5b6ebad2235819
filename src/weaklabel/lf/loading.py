"""Import a user's ``lfs.py`` and collect its labeling functions.

Rules (also in the README):

* if the module defines ``LFS = [...]``, those LFs, in that order;
* otherwise every :class:`~weaklabel.lf.LabelingFunction` bound at module level, in definition
  order (an LF bound to two names counts once); an LF the file's own code made but did not bind,
  because a second ``def`` of the same name replaced it, a loop rebound its name to the next one,
  or it is kept only in a list or dict not named ``LFS`` or in a class body, is an error rather
  than skipped (one wrapped, ``del``-eted or temporary is not);
* LFs (or preprocessors) of one ``def`` that read a loop variable when they run, not when they
  were made, would all vote with its last value: an error (:mod:`._late_binding`);
* an optional ``CLASSES = ["neg", "pos", ...]`` names the classes and sets the cardinality K.

Every failure (missing file, syntax or import error, no LFs, duplicate names, bad ``CLASSES``)
is an :class:`~weaklabel.errors.LFDefinitionError` with a one-line message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, LFDefinitionError, check_regular
from ._created import recording_lfs
from ._late_binding import check_late_binding
from .core import LabelingFunction


@dataclass
class LFModule:
    """What an ``lfs.py`` file provides."""

    path: Path
    lfs: list[LabelingFunction]
    classes: list[str] | None = None
    module_name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def cardinality(self) -> int | None:
        return len(self.classes) if self.classes is not None else None


def _location_in(path: Path, exc: BaseException) -> str:
    """``lfs.py:LINE`` of the innermost frame inside the user's file, if any."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{path.name}:{exc.lineno}"
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
    return f"{path.name}:{line}" if line else path.name


def import_lf_file(path: str | Path) -> object:
    """Import ``path`` as a fresh module; its folder goes on ``sys.path`` for sibling imports."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; expected a Python file with labeling functions")
    check_regular(p, "a Python file with labeling functions")
    resolved = p.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
    module_name = f"weaklabel_lfs_{resolved.stem}_{digest}"
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise LFDefinitionError(f"{p}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with recording_lfs() as created:
            spec.loader.exec_module(module)
        # (LF, line, made by top-level code, site) of the LFs this file's code made, for load_lfs's check
        module.__dict__.setdefault("__weaklabel_created__",
                                   [(lf, line, top, site) for lf, globs, line, top, site in created
                                    if globs is module.__dict__])
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise LFDefinitionError(f"{_location_in(p, exc)}: SyntaxError: {exc.msg}") from None
    except LFDefinitionError as exc:
        sys.modules.pop(module_name, None)
        raise LFDefinitionError(f"{_location_in(p, exc)}: {exc}") from None
    except (SystemExit, KeyboardInterrupt) as exc:
        sys.modules.pop(module_name, None)
        from .._signals import real_interrupt

        if isinstance(exc, KeyboardInterrupt) and real_interrupt():
            raise
        what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else "KeyboardInterrupt"
        raise LFDefinitionError(f"{_location_in(p, exc)}: {what} while importing; an lfs.py must not exit") from None
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported, not raised
        sys.modules.pop(module_name, None)
        msg = str(exc).splitlines()[0] if str(exc) else ""
        raise LFDefinitionError(
            f"{_location_in(p, exc)}: error while importing: {type(exc).__name__}: {msg}") from None
    return module


def _check_classes(p: Path, classes: object) -> list[str]:
    if not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes):
        raise LFDefinitionError(f"{p.name}: CLASSES must be a list of class-name strings, got {classes!r}")
    if len(classes) < 2:
        raise LFDefinitionError(f"{p.name}: CLASSES must name at least 2 classes, got {list(classes)!r}")
    if len(set(classes)) != len(classes):
        raise LFDefinitionError(f"{p.name}: CLASSES has repeated names: {list(classes)!r}")
    bad = next((c for c in classes if not c or c[-1] in "\r\n"), None)
    if bad is not None:
        # CLASSES = open("classes.txt").readlines() keeps each "\n", which then labels the outputs
        # (label_name, reports). (Other odd characters are kept, and shown escaped: a gold column's
        # labels may have them, and autolf writes CLASSES from those.)
        raise LFDefinitionError(f"{p.name}: CLASSES has the name {bad!r}, empty or ending in a line break (a line "
                                f"read from a file keeps its newline); use [c.strip() for c in ...]")
    return list(classes)


def collect_lfs(lfs: object, where: str) -> list[LabelingFunction]:
    """Validate a sequence of LFs: all LabelingFunction objects, non-empty, unique names."""
    if not isinstance(lfs, (list, tuple)):
        raise LFDefinitionError(f"{where}: LFS must be a list of labeling functions, got {type(lfs).__name__}")
    out = []
    for i, lf in enumerate(lfs):
        if not isinstance(lf, LabelingFunction):
            raise LFDefinitionError(
                f"{where}: LFS[{i}] is {lf!r}, not a labeling function (decorate it with @labeling_function)")
        out.append(lf)
    if not out:
        raise LFDefinitionError(
            f"{where}: defines no labeling functions (decorate functions with @labeling_function "
            "or set LFS = [...])")
    seen: dict[str, tuple[int, str]] = {}
    for i, lf in enumerate(out):
        key = unicodedata.normalize("NFC", lf.name)   # "café" typed two ways: two columns that read the same
        if key in seen:
            j, first = seen[key]
            same = "" if first == lf.name else f" ({first!r} and {lf.name!r} are the same text in two Unicode forms)"
            raise LFDefinitionError(
                f"{where}: duplicate labeling function name {lf.name!r} (positions {j} and {i}){same}; "
                "names become column names and must be unique")
        seen[key] = (i, lf.name)
    check_late_binding(out, where)
    return out


def _in_containers(namespace: dict) -> dict[int, str]:
    """The LFs held in the module's lists, tuples, sets and dicts (one level deep) and in the class
    bodies of its own classes (``class Rules:`` with ``@labeling_function`` methods): id -> where."""
    out: dict[int, str] = {}
    for value in namespace.values():
        if isinstance(value, type) and value.__module__ == namespace.get("__name__"):
            items = [getattr(v, "__func__", v) for v in vars(value).values()]   # (a @staticmethod's LF)
            where = f"in class {value.__name__}"
        else:
            items = (value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple, set))
                     else ())
            where = "in a list or dict"
        for x in items:
            if isinstance(x, LabelingFunction):
                out.setdefault(id(x), where)
    return out


def _check_none_skipped(p: Path, created, bound: list[LabelingFunction], namespace: dict) -> None:
    """Without ``LFS``, the LFs are those bound to module-level names. Two kinds of LF the file
    made would then be skipped without a word, so they are an error: one a later top-level
    definition of the same name replaced (two ``def f``), and one kept only in a module-level list
    or dict (Snorkel's ``lfs = [...]``) or class body. So is one a loop made whose name now holds
    the loop's last LF (``for kw in kws: lf = keyword_lf(kw, ...)``). An unbound LF that is none of
    these (wrapped by a decorator of the user's, ``del``-eted to switch it off, a temporary one made
    in a function) is fine."""
    bound_ids = {id(lf) for lf in bound}
    top_made = {id(lf) for lf, _, top, _ in created if top}
    by_name = {lf.name: lf for lf in bound}
    # where top-level code (directly, or through a function of the file) made a bound LF: code that
    # made others there too ran more than once (a loop), and its name holds only the last one
    bound_sites = {site: lf for lf, _, _, site in created if site[1] is not None and id(lf) in bound_ids}
    listed = None
    for lf, line, top, site in created:
        if id(lf) in bound_ids:
            continue
        other = by_name.get(lf.name)
        if top and other is not None and id(other) in top_made:
            why = "a later definition of the same name replaced it"
        elif site in bound_sites:
            why = (f"the same code ran again, in a loop, and bound the name to LF {bound_sites[site].name!r} "
                   "in its place")
        else:
            listed = _in_containers(namespace) if listed is None else listed
            if id(lf) not in listed:
                continue
            why = f"it is kept only {listed[id(lf)]}"
        raise LFDefinitionError(
            f"{p.name}:{line}: labeling function {lf.name!r} is not bound to a module-level name ({why}), "
            "so it would be skipped; give each LF its own name, or list them all in LFS = [...]")


def load_lfs(path: str | Path) -> LFModule:
    """Import ``lfs.py`` and return its LFs and optional class names."""
    p = Path(path)
    module = import_lf_file(p)
    namespace = vars(module)
    if "LFS" in namespace:
        lfs = collect_lfs(namespace["LFS"], p.name)
    else:
        found: list[LabelingFunction] = []
        ids: set[int] = set()
        for value in namespace.values():
            if isinstance(value, LabelingFunction) and id(value) not in ids:
                ids.add(id(value))
                found.append(value)
        _check_none_skipped(p, namespace.get("__weaklabel_created__", ()), found, namespace)
        lfs = collect_lfs(found, p.name)
    classes = _check_classes(p, namespace["CLASSES"]) if "CLASSES" in namespace else None
    return LFModule(path=p, lfs=lfs, classes=classes, module_name=module.__name__)
