"""hunt77: a vectorized LF's ``df.body`` on data without ``body`` is a missing column; ``--update``
reuses an LF that loads a model lazily into a module global; the messages for a vote out of range
with no classes, and for a missing column next to a column name with a trailing space."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel import LabelingFunction, apply_file, apply_lfs
from weaklabel.cli import app
from weaklabel.errors import LFError, MissingColumnError
from weaklabel.io import read_metadata

DF = pd.DataFrame({"id": [1, 2, 3], "text": ["a cat", "dog", "an ant"]})


# --------------------------------------------------------------------------- 1: df.body
def _attr_lf():
    return LabelingFunction("uses_body", lambda df: np.where(df.body.str.contains("a"), 1, -1), vectorized=True)


@pytest.mark.parametrize("on_error", ["raise", "abstain"])
def test_vectorized_attribute_access_to_a_missing_column_is_a_missing_column(on_error):
    with pytest.raises(MissingColumnError, match="LF 'uses_body' needs column 'body'") as info:
        apply_lfs(DF, [_attr_lf()], cardinality=2, on_error=on_error)
    assert info.value.lf == "uses_body" and info.value.column == "body"


def test_vectorized_attribute_access_missing_column_cli_exits_1_under_abstain(tmp_path):
    lfs = tmp_path / "lfs.py"
    lfs.write_text(textwrap.dedent('''
        import numpy as np
        from weaklabel import labeling_function

        @labeling_function(vectorized=True)
        def uses_body(df):
            return np.where(df.body.str.contains("a"), 1, -1)
    '''))
    DF.to_parquet(tmp_path / "d.parquet")
    out = tmp_path / "votes.parquet"
    r = CliRunner().invoke(app, ["apply", str(lfs), str(tmp_path / "d.parquet"), "-o", str(out),
                                 "--on-error", "abstain"])
    assert r.exit_code == 1, r.output
    assert "LF 'uses_body' needs column 'body'" in r.stderr and not out.exists()


def test_attribute_access_to_an_existing_column_still_works():
    lf = LabelingFunction("t", lambda df: np.where(df.text.str.contains("a"), 1, -1), vectorized=True)
    assert apply_lfs(DF, [lf], cardinality=2).to_dense()[:, 0].tolist() == [1, -1, 1]


@pytest.mark.parametrize("body", [
    lambda df: np.where(df.text.str.nonexistent_method("a"), 1, -1),   # a method the accessor lacks
    lambda df: df.text.nonexistent_attr,                              # a Series attribute
    lambda df: object().body,                                         # the LF's own object
])
def test_other_attribute_errors_stay_lf_errors(body):
    lf = LabelingFunction("oops", body, vectorized=True)
    with pytest.raises(LFError) as info:
        apply_lfs(DF, [lf], cardinality=2)
    assert not isinstance(info.value, MissingColumnError)
    assert str(info.value).startswith("LF 'oops' raised AttributeError")
    vm = apply_lfs(DF, [lf], cardinality=2, on_error="abstain")   # under abstain: counted, not fatal
    assert vm.to_dense()[:, 0].tolist() == [-1, -1, -1] and vm.metadata["lfs"][0]["errors"] == 3


def test_an_attribute_error_raised_by_a_dataframe_property_is_not_a_missing_column():
    class Frame(pd.DataFrame):
        @property
        def broken(self):
            raise AttributeError("inside the property")

    lf = LabelingFunction("prop", lambda df: Frame(df).broken, vectorized=True)
    with pytest.raises(LFError) as info:
        apply_lfs(DF, [lf], cardinality=2)
    assert not isinstance(info.value, MissingColumnError)


# --------------------------------------------------------------------------- 2: --update, lazy model
LAZY = '''
from weaklabel import ABSTAIN, labeling_function

CLASSES = ["neg", "pos"]
MODEL = None


class Model:
    def predict(self, text):
        return 1 if "a" in text else ABSTAIN


def make():
    return Model()


@labeling_function
def a(x):
    global MODEL
    if MODEL is None:
        MODEL = make()
    return MODEL.predict(x.text)
'''


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_update_reuses_an_lf_that_loads_a_model_into_a_module_global(tmp_path, jobs):
    lfs = tmp_path / "lfs.py"
    lfs.write_text(LAZY)
    data = tmp_path / "d.parquet"
    DF.to_parquet(data)
    out = tmp_path / "votes.parquet"
    runner = CliRunner()
    args = ["apply", str(lfs), str(data), "-o", str(out), "-j", jobs, "--json"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    first = read_metadata(out)["lfs"][0]["hash"]
    for _ in range(2):
        r = runner.invoke(app, args + ["--update"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["ran"] == []
        assert read_metadata(out)["lfs"][0]["hash"] == first


def test_apply_file_records_the_hash_taken_before_the_lfs_ran(tmp_path):
    from weaklabel.lf.loading import load_lfs

    lfs = tmp_path / "lfs.py"
    lfs.write_text(LAZY)
    data = tmp_path / "d.parquet"
    DF.to_parquet(data)
    module = load_lfs(lfs)
    before = module.lfs[0].source_hash
    apply_file(module, data, tmp_path / "votes.parquet", jobs=1)
    assert read_metadata(tmp_path / "votes.parquet")["lfs"][0]["hash"] == before


# --------------------------------------------------------------------------- 3: votes out of range
@pytest.mark.parametrize("vote", [200, -2])
@pytest.mark.parametrize("vectorized", [False, True])
def test_out_of_range_vote_without_classes_names_the_real_range(vote, vectorized):
    f = (lambda df: np.full(len(df), vote)) if vectorized else (lambda x: vote)
    with pytest.raises(LFError) as info:
        apply_lfs(DF, [LabelingFunction("v", f, vectorized=vectorized)])
    msg = str(info.value)
    assert f"returned {vote}" in msg and "votes must be ints in -1..126" in msg
    assert "--cardinality" in msg and "CLASSES" in msg and "class id >= 0" not in msg


def test_out_of_range_vote_with_cardinality_names_its_range():
    with pytest.raises(LFError, match=r"returned 5 \(int\) on row 0; votes must be ints in -1\.\.2 "):
        apply_lfs(DF, [LabelingFunction("v", lambda x: 5)], cardinality=3)


# --------------------------------------------------------------------------- 4: column names quoted
def test_missing_column_message_quotes_the_columns(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("id,text \n1,good\n")
    lf = LabelingFunction("wants_text", lambda x: 1 if "good" in x.text else -1)
    with pytest.raises(MissingColumnError) as info:
        apply_file([lf], data, tmp_path / "votes.parquet", jobs=1, cardinality=2)
    assert "(columns: 'id', 'text ')" in str(info.value)
