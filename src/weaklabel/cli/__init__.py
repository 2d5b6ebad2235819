"""The ``weaklabel`` command line: thin wrappers that parse, call the library and print.

Each command lives in its own module and registers itself on :data:`app`.
"""

from __future__ import annotations

from ._common import app, main
from . import apply_cmd, analyze_cmd, fit_cmd  # noqa: F401  (register commands)
from . import autolf_cmd, bench_cmd  # noqa: F401
from . import select_cmd  # noqa: F401
from . import evaluate_cmd, report_cmd  # noqa: F401
from . import crowd_cmd  # noqa: F401

__all__ = ["app", "main"]
