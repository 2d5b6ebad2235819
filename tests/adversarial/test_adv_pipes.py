"""A closed stdout (``weaklabel evaluate ... | head -1``): the command ends quietly with 141 (128 +
SIGPIPE, as a tool killed by the broken pipe), no traceback, no "Exception ignored" message, on real
processes whose stdout's reader is gone before they write."""

from __future__ import annotations

import subprocess
import sys

import pytest

from _adv import temporaries, work  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipes and exit codes: Linux")


def _closed_reader(args, cwd, stderr_too: bool = False) -> tuple[int, str]:
    """Run ``python -m weaklabel ARGS`` with a stdout pipe whose reading end is closed at once (the
    process writes only after its imports): ``(exit code, stderr)``."""
    p = subprocess.Popen([sys.executable, "-m", "weaklabel", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT if stderr_too else subprocess.PIPE)
    p.stdout.close()
    err = "" if stderr_too else p.stderr.read().decode()
    if not stderr_too:
        p.stderr.close()
    return p.wait(timeout=120), err


def _quiet(err: str) -> None:
    for bad in ("Traceback", "Exception ignored", "BrokenPipe", "Broken pipe", "error:"):
        assert bad not in err, err


@pytest.fixture
def labelled(work):  # noqa: F811
    from weaklabel.fit import fit_file

    fit_file(work / "votes.parquet", work / "labels.parquet", "majority")
    return work


@pytest.mark.parametrize("argv", [
    ["evaluate", "labels.parquet", "--gold", "reviews.parquet", "--label-col", "label"],      # rich tables
    ["evaluate", "labels.parquet", "--gold", "reviews.parquet", "--label-col", "label", "--json"],   # buffered
    ["analyze", "votes.parquet"],
    ["fit", "votes.parquet", "-o", "again.parquet", "-m", "majority", "--json"],
    ["--version"],
    ["--help"],                                                                                 # typer's console
    ["evaluate", "--help"],
])
def test_closed_stdout_ends_quietly(labelled, argv):
    code, err = _closed_reader(argv, labelled)
    assert code == 141, err
    _quiet(err)
    assert not temporaries(labelled)


def test_closed_stdout_and_stderr_end_quietly(labelled):
    """``2>&1 | head -1``: the stderr console meets the broken pipe too."""
    code, _ = _closed_reader(["fit", "votes.parquet", "-o", "again.parquet", "-m", "majority"], labelled,
                             stderr_too=True)
    assert code == 141
    assert not temporaries(labelled)


def test_an_error_with_stdout_unread_keeps_its_message_and_code(labelled):
    """A user error that prints nothing on stdout is still exit 1 with its one line."""
    code, err = _closed_reader(["evaluate", "missing.parquet", "--gold", "reviews.parquet"], labelled)
    assert code == 1 and "error:" in err and "Traceback" not in err
