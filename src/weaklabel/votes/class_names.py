"""How class names are compared: a name and the same name typed another way are one class.

Gold labels arrive from CSV cells, spreadsheets and other tools: a label ``"pos "`` with a trailing
space, or ``"café"`` written with a combining accent (Unicode NFD, as macOS file names and some
editors produce) beside ``"café"`` in NFC. Compared as raw strings they are not the class they
look like. Every place that matches a class name (``--classes`` and ``CLASSES`` at ``apply``, gold
labels) compares :func:`class_key`, and names that share a key cannot be two classes.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from ..errors import InputError


def class_key(name: str) -> str:
    """``name`` stripped of surrounding whitespace, in Unicode NFC."""
    return unicodedata.normalize("NFC", str(name)).strip()


def same_class_names(a, b) -> bool:
    """Whether two lists name the same classes in the same order (by :func:`class_key`)."""
    return [class_key(c) for c in a] == [class_key(c) for c in b]


def same_classes(dev_vm, classes, where, votes_where: str = "the votes"):
    """``dev_vm`` (labelled dev votes read from ``where``) if its class names are ``classes`` (by
    :func:`class_key`, in the same order), else an InputError naming both lists: its votes are
    class ids in its own class order, and in another order (``CLASSES`` reordered between two
    ``apply`` runs) each dev vote meant the other class; ``fit --dev`` learned the LFs as
    adversarial and flipped the labels (493 of 600 rows, exit 0)."""
    if dev_vm.classes and classes and not same_class_names(dev_vm.classes, classes):
        raise InputError(f"{where}: its votes are for classes {', '.join(map(str, dev_vm.classes))} but {votes_where} "
                         f"has classes {', '.join(map(str, classes))} (in this order); apply the same LFs with the "
                         "same classes to both")
    return dev_vm


def number_text(x: float) -> str:
    """A number as a class name: integral values as integers (``1.0`` -> ``"1"``), others as Python
    writes them (``0.5``). ``weaklabel crowd`` names classes so, and gold labels are read so."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def fraction_names(present, values, classes) -> object | None:
    """Numeric gold labels that are not all integers (``0.5``, ``1``, ``1.5``) as the class names they
    are, when every one is a class name, else ``None`` (they are then not class ids either)."""
    import pandas as pd

    if not classes or not all(map(lambda v: v == v and abs(v) != float("inf"), values)):
        return None
    texts = [number_text(v) for v in values]
    return pd.Series(texts, index=present.index, dtype=object) if set(texts) <= set(classes) else None


def as_ints(texts: list[str]) -> np.ndarray | None:
    """The texts as integers, or None when one is not an integer."""
    try:
        return np.array([int(t) for t in texts], dtype=np.int64)
    except ValueError:
        return None
