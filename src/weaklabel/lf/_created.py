"""Which labeling functions a block of code creates, and where (for the loader's check that an
``lfs.py`` skips none of the LFs it makes: :func:`weaklabel.lf.loading.load_lfs`)."""

from __future__ import annotations

import contextlib
import contextvars
import sys
from collections.abc import Iterator

_CREATED: contextvars.ContextVar[list | None] = contextvars.ContextVar("weaklabel_created_lfs", default=None)


@contextlib.contextmanager
def recording_lfs() -> Iterator[list]:
    """Collect ``(lf, globals, line, top, site)`` for every :class:`LabelingFunction` created inside
    the block: ``globals`` and ``line`` are those of the nearest calling frame outside weaklabel (the
    code that asked for the LF, e.g. an ``lfs.py`` calling ``keyword_lf``), ``top`` whether that
    frame is a module's own top-level code (not a function of it), ``site`` that line and the line
    of the top-level code running it (the same two for the LFs a loop makes, one per pass). The
    loader uses it to find LFs an ``lfs.py`` made but would silently skip (redefined, rebound by a
    loop, or kept only in a list)."""
    found: list = []
    token = _CREATED.set(found)
    try:
        yield found
    finally:
        _CREATED.reset(token)


def record_creation(lf) -> None:
    found = _CREATED.get()
    if found is None:
        return
    frame = sys._getframe(2)
    while frame is not None:
        mod = frame.f_globals.get("__name__", "")
        if mod != "weaklabel" and not str(mod).startswith("weaklabel."):
            found.append((lf, frame.f_globals, frame.f_lineno, frame.f_code.co_name == "<module>",
                          (frame.f_lineno, _top_line(frame))))
            return
        frame = frame.f_back


def _top_line(frame) -> int | None:
    """The line of the module's own top-level code that is running ``frame`` (itself, or a call of
    a function of the same file: ``for kw in kws: lf = make(kw)``), if any."""
    globs = frame.f_globals
    while frame is not None and frame.f_globals is globs:
        if frame.f_code.co_name == "<module>":
            return frame.f_lineno
        frame = frame.f_back
    return None
