"""Shared fixtures of the verifier tests."""

from __future__ import annotations

import pytest

from weaklabel.bench.verifiers import generate_suite


@pytest.fixture(scope="module")
def suite():
    """A generated verifier-score suite (the math preset, quick size): one per test module."""
    return generate_suite("math", 0, quick=True)
