"""Helpers and fixtures of the adversarial suite (imported by its test modules; not a conftest.py,
whose module name would shadow the main tests' conftest): a small real pipeline (the example
reviews) in a temporary folder, and helpers that run the command line in-process or as a real
subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "reviews"


#: the example applied once per session (see ``work``)
_APPLIED: dict[str, Path] = {}


def _applied_example(tmp_path_factory) -> Path:
    """A folder of lfs.py, reviews.parquet and the votes.parquet ``apply`` wrote from them, made
    once per session: about a hundred tests start from these files, and applying the example
    for each of them cost several seconds in all. The votes' metadata records the input's name,
    size and content hash, not its path, so a copy is the file an apply in the copy would write."""
    if "dir" not in _APPLIED:
        from weaklabel import apply_file

        d = tmp_path_factory.mktemp("adv_example")
        for name in ("lfs.py", "reviews.parquet"):
            shutil.copy(EXAMPLE / name, d / name)
        apply_file(d / "lfs.py", d / "reviews.parquet", d / "votes.parquet", jobs=1)
        _APPLIED["dir"] = d
    return _APPLIED["dir"]


@pytest.fixture
def work(tmp_path, tmp_path_factory, monkeypatch):
    """A folder holding lfs.py, reviews.parquet and votes.parquet (applied once); cwd is set to it."""
    src = _applied_example(tmp_path_factory)
    for name in ("lfs.py", "reviews.parquet", "votes.parquet"):   # in this order: the votes are the newest
        shutil.copy(src / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(*args: str):
    """Run the CLI in-process; returns the click Result (exit_code, stdout, stderr)."""
    from weaklabel.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def run_sub(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """Run ``python -m weaklabel ARGS`` as a real process (signal handlers installed)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "weaklabel", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, **kw)


def one_line_error(result) -> str:
    """The CLI's stderr for a user error: exactly one ``error:`` line and no traceback (the
    first-run "compiling" notice, printed before any work starts, is not part of the error)."""
    err = result.stderr
    assert "Traceback" not in err, err
    lines = [x for x in err.splitlines() if x.strip() and not x.startswith("compiling (first run only)")]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    return lines[0]


def temporaries(folder: Path) -> list[Path]:
    return [p for p in Path(folder).rglob(".*") if p.name.endswith(".tmp")]
