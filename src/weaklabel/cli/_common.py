"""Shared CLI plumbing: the typer app, error handling, consoles and small formatters."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator

import typer
from rich.console import Console

from .. import __version__
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

# tables and results go to stdout; when it is not a terminal (a pipe, a file, CI logs) use a
# wide fixed width so that tables are not squeezed to 80 columns
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)  # progress, notes and errors (stderr)


def _version(value: bool) -> None:
    if value:
        print(f"weaklabel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Programmatic weak supervision: apply labeling functions, analyze them, fit label models."""


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user mistake into one line on stderr and exit code 1 (no traceback)."""
    try:
        yield
    except WeaklabelError as exc:
        from rich.markup import escape

        message = " ".join(str(exc).split("\n"))  # escaped: "weaklabel[dask]" is not a style tag
        err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        raise typer.Exit(130) from None


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=_json_default) + "\n")


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


def fmt_frac(x: float) -> str:
    return "-" if x != x else f"{x:.3f}"


def main() -> None:
    """Console-script entry point."""
    app()


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
