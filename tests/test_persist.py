"""Saved model files (label models, generated LFs) are checked and read one way
(:mod:`weaklabel._persist`): one-line errors for a missing file, a folder, a FIFO, bad JSON."""

from __future__ import annotations

import os

import pytest

from weaklabel.autolf import load_generated
from weaklabel.errors import InputError, ModelFileError
from weaklabel.models import load_model


@pytest.mark.parametrize("load", [load_model, load_generated])
def test_missing_folder_and_fifo_are_one_line_errors(load, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "nope")
    with pytest.raises(InputError, match="is a directory; expected a"):
        load(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file|is not a"):
        load(fifo)


def test_model_json_must_be_strict_utf8_json(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_bytes(b"\xff\xfe{")
    with pytest.raises(ModelFileError, match="not UTF-8"):
        load_model(bad)
    bad.write_text('{"a": NaN}')
    with pytest.raises((ModelFileError, InputError)):
        load_model(bad)
