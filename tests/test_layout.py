"""The layout rules of issue 15, checked on the source: modules of at most ~400 lines, no import
cycle between modules (imports at module level), no private name imported from another package.
Checked for the data side (apply/, io/, votes/, lf/, _dask.py) and the fit side (fit/, _persist.py);
the other packages join as they move."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "weaklabel"
CHECKED = ("apply", "io", "votes", "lf", "_dask.py", "fit", "_persist.py", "models")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        rel = p.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["weaklabel", *parts])] = p
    return out


def _checked(path: Path) -> bool:
    rel = path.relative_to(SRC)
    return rel.parts[0] in CHECKED


def _imports(name: str, path: Path, top_level_only: bool):
    """``(module imported, names)`` of every ``from X import ...`` (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("weaklabel"):
                yield mod, [a.name for a in node.names]


def test_modules_are_small():
    big = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py") if _checked(p)
           and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, big


def test_no_import_cycles_between_packages():
    """Module-level imports, folded to the top-level package or module (``weaklabel.io``,
    ``weaklabel.apply``, ...): no cycle through the data side's packages."""
    graph: dict[str, set[str]] = {}
    for name, path in _modules().items():
        top = ".".join(name.split(".")[:2])
        for mod, _ in _imports(name, path, top_level_only=True):
            other = ".".join(mod.split(".")[:2])
            if other != top and other != "weaklabel":
                graph.setdefault(top, set()).add(other)
    checked = {"weaklabel." + c.removesuffix(".py") for c in CHECKED}

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for d in graph.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    cycles = sorted(c for c in checked if c in reach(c))
    assert not cycles, {c: sorted(graph.get(c, ())) for c in cycles}


def test_no_private_names_imported_across_packages():
    bad = []
    for name, path in _modules().items():
        if not _checked(path):
            continue
        own = name.split(".")[1]
        for mod, names in _imports(name, path, top_level_only=False):
            parts = mod.split(".")
            other = parts[1] if len(parts) > 1 else ""
            if other == own or other in ("_version", "_signals", "_jit", "_moved", "_dask", "_params", "_persist"):
                continue  # the package itself; the shared private infrastructure modules
            privates = [n for n in names if n.startswith("_")] + [p for p in parts[2:] if p.startswith("_")]
            if privates:
                bad.append(f"{path.relative_to(SRC)}: from {mod} import {', '.join(names)}")
    assert not bad, bad
