"""Labeling functions: how a user writes them and how weaklabel finds them.

* :mod:`.core`: ``@labeling_function``, ``@preprocessor``, :class:`LabelingFunction`, :class:`Row`
  (a dict with attribute access), source hashes (what ``apply --update`` compares), the per-batch
  memo shared by vectorized LFs;
* :mod:`.options`: checks of the decorators' ``name``, ``resources`` and ``vectorized``;
* :mod:`.loading`: import an ``lfs.py`` and collect its LFs (definition order or ``LFS``) and
  ``CLASSES``;
* :mod:`.templates`: ready-made LFs (``keyword_lf``) and their Numba kernel
  (:mod:`._text_kernels`).

Importing this package costs no more than the standard library: an ``lfs.py`` that does
``from weaklabel import labeling_function`` must start fast. ``keyword_lf`` (numpy, pandas,
pyarrow) is imported on first use.
"""

from __future__ import annotations

from .core import (ABSTAIN, LabelingFunction, MissingField, Preprocessor, Row, batch_memo, current_batch_memo,
                   labeling_function, preprocessor)
from .loading import LFModule, collect_lfs, import_lf_file, load_lfs

__all__ = ["ABSTAIN", "LabelingFunction", "MissingField", "Preprocessor", "Row", "batch_memo", "current_batch_memo",
           "labeling_function", "preprocessor", "LFModule", "collect_lfs", "import_lf_file", "load_lfs",
           "keyword_lf"]


def __getattr__(name: str):
    if name == "keyword_lf":
        from .templates import keyword_lf

        return keyword_lf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
