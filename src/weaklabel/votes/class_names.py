"""How class names are compared: a name and the same name typed another way are one class.

Gold labels arrive from CSV cells, spreadsheets and other tools: a label ``"pos "`` with a trailing
space, or ``"café"`` written with a combining accent (Unicode NFD, as macOS file names and some
editors produce) beside ``"café"`` in NFC. Compared as raw strings they are not the class they
look like. Every place that matches a class name (``--classes`` and ``CLASSES`` at ``apply``, gold
labels) compares :func:`class_key`, and names that share a key cannot be two classes.
"""

from __future__ import annotations

import unicodedata


def class_key(name: str) -> str:
    """``name`` stripped of surrounding whitespace, in Unicode NFC."""
    return unicodedata.normalize("NFC", str(name)).strip()
