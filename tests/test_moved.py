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
    "weaklabel.loading": ("weaklabel.lf.loading", "load_lfs"),
    "weaklabel.templates": ("weaklabel.lf.templates", "keyword_lf"),
    "weaklabel.background": ("weaklabel.io.background", "read_ahead"),
    "weaklabel.dask_engine": ("weaklabel.apply.dask_runner", "run_dask"),
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


def test_io_package_keeps_every_public_name_of_the_old_module():
    import weaklabel.io as wio

    old = ["COMMON_METADATA", "CSV_SUFFIXES", "FORMAT_VERSION", "JSONL_SUFFIXES", "LABELS_FORMAT", "LabelsWriter",
           "META_KEY", "PARQUET_SUFFIXES", "STALE_SECONDS", "TableSource", "VOTES_FORMAT", "VotesDataset",
           "VotesWriter", "atomic_output", "check_distinct", "check_output", "clean_stale_temporaries",
           "file_fingerprint", "files_fingerprint", "ids_table", "is_glob", "is_votes_dataset", "labels_metadata",
           "labels_table", "open_parquet", "os_error_text", "output_group", "parquet_files", "part_name",
           "read_metadata", "read_rows", "read_table", "row_group_starts", "same_input", "validate_metadata",
           "votes_layout", "votes_schema", "write_dataset_metadata", "write_error", "write_json_atomic",
           "write_labels"]
    for name in old:
        assert getattr(wio, name) is not None, name


@pytest.mark.parametrize("name", ["read_votes", "write_votes", "votes_metadata"])
def test_votes_matrix_file_functions_moved_to_votes_file(name):
    import weaklabel.io as wio
    import weaklabel.votes.file as vfile

    with pytest.warns(DeprecationWarning, match=r"weaklabel\.votes\.file"):
        assert getattr(wio, name) is getattr(vfile, name)


def test_lf_package_is_light():
    """An lfs.py imports weaklabel.lf; that must not pull in pandas, pyarrow or Numba."""
    import subprocess
    import sys

    code = ("import sys; from weaklabel import labeling_function, preprocessor, ABSTAIN, load_lfs; "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'numba', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
