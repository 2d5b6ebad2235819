"""Saved model files, one way: the checks before reading one, reading a JSON one, writing one.

Used by the label models (``model.json``, JSON) and the generated LFs (``.npz``, arrays + a JSON
header). The verifier selector (:mod:`weaklabel.verifiers.selector`) still has its own copy of
the JSON reading. Files are data, never code: JSON is parsed strictly (:mod:`weaklabel.jsonsafe`)
and ``.npz`` files are loaded without pickle by their owners.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError, ModelFileError, check_regular


def model_path(path, what: str, kind: str = "a model file") -> Path:
    """``path`` as a readable regular file, or a one-line error (missing, a directory, a FIFO...).
    ``what``: what was expected, for the directory message; ``kind``: for :func:`check_regular`."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; expected {what}")
    check_regular(p, kind)
    return p


def read_json_model(path, what: str, kind: str = "a model file"):
    """The strictly parsed JSON of a model file (finite numbers only, bounded nesting)."""
    from .jsonsafe import loads_strict

    p = model_path(path, what, kind)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{p}: not valid JSON (not UTF-8 text)") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return loads_strict(text, str(p))


def write_json_model(obj: dict, path, force: bool = False) -> None:
    """Write a JSON model file atomically (refused if it exists, unless ``force``)."""
    from .io import check_json_name, write_json_atomic

    check_json_name(path, "the model")
    write_json_atomic(obj, path, force=force)
