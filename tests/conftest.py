"""Shared fixtures: paths to the example and to the shared benchmark data (skipped when absent)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reviews"
SHARED_DATA = Path(os.environ.get("WEAKLABEL_DATA", ROOT.parent / "shared" / "data"))


def shared(*parts: str) -> Path:
    """Path inside the shared data folder; skip the test when it is not there."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not available: {p} (set WEAKLABEL_DATA)")
    return p


@pytest.fixture
def write_lfs(tmp_path):
    """Write an lfs.py with the given body (dedented) and return its path."""

    def _write(body: str, name: str = "lfs.py") -> Path:
        p = tmp_path / name
        p.write_text("from weaklabel import labeling_function, preprocessor, ABSTAIN\n"
                     + textwrap.dedent(body))
        return p

    return _write
