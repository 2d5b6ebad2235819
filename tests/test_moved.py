"""Module paths that moved in the layout-by-concern change (issue 15) still import, with a
DeprecationWarning, and hand out the same objects as their new homes."""

from __future__ import annotations

import importlib
import sys

import pytest

MOVED = {
    "weaklabel.gold": ("weaklabel.votes.gold", "align_gold"),
    "weaklabel.analysis": ("weaklabel.votes.analysis", "analyze"),
    "weaklabel.fitting": ("weaklabel.fit.run", "fit_file"),
    "weaklabel.labels": ("weaklabel.fit.labels", "write_model_labels"),
    "weaklabel.keep": ("weaklabel.fit.keep", "kept_columns"),
    "weaklabel.dask_fit": ("weaklabel.fit.dask", "DaskVoteStats"),
    "weaklabel.streaming": ("weaklabel.fit.streaming", "StreamingVoteStats"),
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_module_path_warns_and_forwards(old):
    new, name = MOVED[old]
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        mod = importlib.import_module(old)
    assert getattr(mod, name) is getattr(importlib.import_module(new), name)
    assert name in mod.__all__


def test_package_root_keeps_its_names_without_deprecation_warnings(recwarn):
    import weaklabel

    for name in weaklabel.__all__:
        assert getattr(weaklabel, name) is not None
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "weaklabel" in str(w.message)
                and "LabelModel" not in str(w.message)]
