"""Shared CLI plumbing: the typer app, error handling, consoles and small formatters."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import NoReturn

import typer
from rich.console import Console

from .._version import __version__
from ..errors import WeaklabelError

app = typer.Typer(
    name="weaklabel",
    help="Programmatic weak supervision: apply labeling functions, analyze them, fit label models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

def _flags_without_type() -> None:
    """Show flags as flags: typer >= 0.20 prints a type column for every option, so that
    ``--force`` read ``--force <bool>`` as if it took a value. Options that are flags (``--force``,
    ``--stream/--no-stream``, ``--help``) get no type; every other option keeps its own."""
    try:
        from typer.core import TyperOption
    except ImportError:  # pragma: no cover - older typer: no type column to fix
        return
    original = getattr(TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "_weaklabel", False):  # pragma: no cover
        return

    def display_type_rich(self, ctx):
        if getattr(self, "is_flag", False):
            return None
        return original(self, ctx)

    display_type_rich._weaklabel = True
    TyperOption.display_type_rich = display_type_rich


_flags_without_type()

#: exit code when the reader of stdout (or stderr) went away (``weaklabel evaluate ... | head -1``):
#: 128 + SIGPIPE, what a shell reports for a tool that a broken pipe killed
BROKEN_PIPE_EXIT = 141


def _silence_stdio() -> None:
    """Point stdout and stderr at /dev/null: their reader is gone, nothing more can be said, and
    Python's flush of them at exit must not print "Exception ignored ... BrokenPipeError"."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:   # pragma: no cover
            pass
    os.close(devnull)


def stdout_closed() -> NoReturn:
    """End the command quietly: the reader of its output went away (``| head -1``). Any output
    being written is removed as on any other interruption (``io.atomic_output``)."""
    _silence_stdio()
    raise SystemExit(BROKEN_PIPE_EXIT)


class _Console(Console):
    """A rich console that ends the command quietly when its pipe breaks (rich's own default
    points stdout at /dev/null, even for a stderr console, and exits with 1, an error code)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        stdout_closed()


# tables and results go to stdout; when it is not a terminal (a pipe, a file, CI logs) use a
# wide fixed width so that tables are not squeezed to 80 columns
out = _Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
err = _Console(stderr=True, soft_wrap=True)  # progress, notes and errors (stderr)


def _compile_note(message: str) -> None:
    err.print(f"[dim]{message}[/]", highlight=False)


def _announce_compiles() -> None:
    """Say so on stderr when Numba compiles (a cold cache: the first run after install)."""
    from ..threads import numba_env_error

    message = numba_env_error()
    if message:   # importing Numba (below) would end in a traceback: the one-line error and exit 1
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(1)
    from .. import _jit

    _jit.on_compile = _compile_note


_announce_compiles()

THREADS_HELP = ("Threads for the label-model kernels (0 = all cores; small inputs always run on one). "
                "Default: WEAKLABEL_NUM_THREADS or all cores.")


def quiet_compiles() -> None:
    """``--quiet``: no compile notice either."""
    from .. import _jit

    _jit.on_compile = None


def use_threads(threads: int | None) -> None:
    """Apply ``--threads`` (also to Dask LocalCluster workers started from here, through the
    environment they inherit)."""
    if threads is None:
        return
    import os

    from ..threads import ENV, set_num_threads

    set_num_threads(threads)
    os.environ[ENV] = str(int(threads))


def _version(value: bool) -> None:
    if value:
        write_stdout(f"weaklabel {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Programmatic weak supervision: apply labeling functions, analyze them, fit label models."""


def printable(text: object) -> str:
    """``text`` with every non-printable character (ANSI escapes, newlines, carriage returns,
    other control and format characters) written as a visible escape (``\\x1b``): a string read
    from a data file never acts on the terminal."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in s)


def safe(text: object) -> str:
    """:func:`printable` and escaped for rich markup: use for every string that comes from data
    (LF names, class names, ids, column names, paths) in a table cell or a printed line, so that
    ``[bold]`` in an LF name is shown, not interpreted (nor a ``MarkupError``)."""
    from rich.markup import escape

    return escape(printable(text))


@contextlib.contextmanager
def user_errors(quiet: bool = False) -> Iterator[None]:
    """Turn a user mistake into one line on stderr and exit code 1 (no traceback); Ctrl-C,
    SIGTERM and SIGHUP into one line and exit code 128 + the signal (130, 143, 129). Notes on how a
    gold column was read go to stderr unless ``quiet``."""
    from .._signals import caused_by_interrupt, exit_code

    try:
        # imported inside: it pulls in pandas (most of a second), and a SIGTERM arriving meanwhile
        # must end as one line and 143, not typer's bare 130
        from ..threads import check_env
        from ..votes.gold import gold_notes

        check_env()
        # how a gold column was read (digits as class names, -1 as "no label") is a note on stderr
        # for every command that reads one (``analyze --gold``, ``fit --dev``, ...), before any
        # error it explains; ``evaluate`` and ``report`` also collect them for --json
        with gold_notes(None if quiet else lambda n: err.print(f"[yellow]note:[/] {safe(n)}", highlight=False)):
            yield
    except WeaklabelError as exc:
        message = " ".join(str(exc).split("\n"))  # escaped: "weaklabel[dask]" is not a style tag
        err.print(f"[bold red]error:[/] {safe(message)}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt as exc:
        err.print("interrupted" if exit_code(exc) == 130 else f"terminated ({exc})", highlight=False)
        raise typer.Exit(exit_code(exc)) from None
    except SystemError as exc:  # a Numba kernel interrupted by Ctrl-C
        cause = caused_by_interrupt(exc)
        if cause is None:
            raise
        err.print("interrupted" if exit_code(cause) == 130 else f"terminated ({cause})", highlight=False)
        raise typer.Exit(exit_code(cause)) from None


def print_json(obj) -> None:
    """``--json`` output: strict JSON (a NaN or infinite float, e.g. an empty calibration bin of
    ``evaluate``, is ``null``: Python's ``NaN`` is not JSON, and ``jq`` or a browser refuses it)."""
    write_stdout(json.dumps(_finite(obj), indent=2, default=_json_default, allow_nan=False) + "\n")


def write_stdout(text: str) -> None:
    """Write ``text`` to stdout now (flushed, so that a closed pipe shows here and ends the command
    quietly: :func:`stdout_closed`)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_closed()


def _finite(obj):
    """``obj`` with every non-finite float (Python's or numpy's) replaced by ``None``."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _finite(obj.tolist())
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(float(obj)) else None
    return obj


def _json_default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def parse_classes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [c.strip() for c in text.split(",")]
    if any(not c for c in names):
        raise WeaklabelError(f"--classes must be comma-separated names, got {text!r}")
    return names


def n_rows(n: int, noun: str = "rows") -> str:
    """``1 row`` / ``2,000 rows``: counts in messages read as English for one row too."""
    return f"{n:,} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def fmt_frac(x: float) -> str:
    return "-" if x != x else f"{x:.3f}"


#: LF tables (``fit``, ``analyze``) of more rows than this show :data:`LF_TABLE_SHOWN` of them (a crowd
#: of 800 workers printed 800 rows before its summary); ``--all-lfs`` shows every one, ``--json`` has all
LF_TABLE_MAX = 100
LF_TABLE_SHOWN = 40


def lf_rows_shown(coverage, show_all: bool, noun: str = "LFs") -> tuple[list[int], str | None]:
    """Positions of the LFs a table shows (every one up to :data:`LF_TABLE_MAX`, or with
    ``show_all``; else the :data:`LF_TABLE_SHOWN` that vote on the most rows, in their own order)
    and the line that says which, or ``None``."""
    import numpy as np

    cov = np.asarray(coverage, dtype=float)
    n = cov.size
    if show_all or n <= LF_TABLE_MAX:
        return list(range(n)), None
    top = np.sort(np.argsort(-np.nan_to_num(cov, nan=-1.0), kind="stable")[:LF_TABLE_SHOWN])
    return top.tolist(), (f"showing the {LF_TABLE_SHOWN} of {n:,} {noun} that vote on the most rows (in their order); "
                          "--all-lfs shows every one, --json gives every one")


#: the estimated-accuracy cell of an LF that casts no vote (``fit``, ``analyze``): a model's figure
#: there is its prior, not an estimate (a warning names such LFs; ``--json`` keeps the figure)
NO_VOTES = "n/a (no votes)"


def main() -> None:
    """Console-script entry point: signal handlers (clean exit on SIGTERM/SIGHUP), then the app.
    A closed stdout (``weaklabel evaluate ... | head -1``) ends the command quietly with
    :data:`BROKEN_PIPE_EXIT`, as a tool killed by SIGPIPE would."""
    from .._signals import install_handlers

    install_handlers()
    stdout_was = _fd_identity(1)
    try:
        app()
    except SystemExit as exc:
        if _broken_pipe_at_exit(exc.code, stdout_was):
            raise SystemExit(BROKEN_PIPE_EXIT) from None
        raise


def _fd_identity(fd: int) -> tuple | None:
    import os

    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _broken_pipe_at_exit(code, stdout_was: tuple | None) -> bool:
    """Whether the app ended because (or after) stdout's reader went away: output still in Python's
    buffer fails to flush here, or a console this module does not own (typer's help and usage
    errors) met the broken pipe, for which rich points stdout at /dev/null and exits with 1."""
    import errno
    import os

    try:
        sys.stdout.flush()
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _silence_stdio()
        return True
    except ValueError:   # pragma: no cover - stdout closed by the process itself
        return False
    if code != 1 or stdout_was is None:
        return False
    now = _fd_identity(1)
    try:
        null = os.stat(os.devnull)
    except OSError:   # pragma: no cover
        return False
    if now != stdout_was and now == (null.st_dev, null.st_ino):
        _silence_stdio()
        return True
    return False


def parse_params(items: list[str] | None) -> dict:
    """``--param NAME=VALUE`` options as a dict (values parsed as JSON when they are JSON)."""
    from ..errors import InputError

    params = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"--param expects NAME=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        params[key.strip()] = value
    return params
