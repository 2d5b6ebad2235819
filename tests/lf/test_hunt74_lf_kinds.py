"""Functions that cannot vote, refused where they are written: an ``async def`` (returns a
coroutine, and Python warned "coroutine was never awaited" on stderr beside the error) and a
generator function (returns a generator). And a preprocessor returning a new mapping without some
of the row's fields: an LF reading one of them was told the data lacked that column, which it has."""

import functools
import subprocess
import sys

import pandas as pd
import pytest

from weaklabel import ABSTAIN, LabelingFunction, apply_lfs, labeling_function, preprocessor
from weaklabel.errors import LFDefinitionError, LFError


async def _coro(x):
    return 1


async def _agen(x):
    yield 1


def _gen(x):
    yield 1


class _AsyncCall:
    async def __call__(self, x):
        return 1


@pytest.mark.parametrize("fn, what", [
    (_coro, "is an async def"), (_agen, "is an async def"), (_gen, "is a generator function"),
    (functools.partial(_coro), "is an async def"), (_AsyncCall(), "is an async def"),
])
@pytest.mark.parametrize("vectorized", [False, True])
def test_functions_that_return_no_vote_are_refused(fn, what, vectorized):
    with pytest.raises(LFDefinitionError, match=rf"labeling function 'f': .*{what}") as info:
        LabelingFunction("f", fn, vectorized=vectorized)
    assert "\n" not in str(info.value)
    with pytest.raises(LFDefinitionError, match=rf"preprocessor 'p': .*{what}"):
        preprocessor(name="p", vectorized=vectorized)(fn)


def test_an_async_lf_in_a_file_is_one_line_naming_its_line(tmp_path):
    p = tmp_path / "lfs.py"
    p.write_text("from weaklabel import labeling_function\n\n@labeling_function\nasync def a(x):\n    return 1\n")
    data = tmp_path / "d.csv"
    data.write_text("text\nhello\n")
    out = subprocess.run([sys.executable, "-m", "weaklabel", "apply", str(p), str(data), "-o",
                          str(tmp_path / "v.parquet"), "-q"], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "error: lfs.py:3: labeling function 'a': a is an async def, which returns a coroutine, not its result; "
        "use a plain def (asyncio.run(...) inside it if it must await)"]
    assert not (tmp_path / "v.parquet").exists()


def test_plain_callables_are_kept():
    class Call:
        def __call__(self, x):
            return 1
    assert LabelingFunction("c", Call()).name == "c"
    assert LabelingFunction("p", functools.partial(lambda x, k: k, k=1)).name == "p"


@preprocessor
def only_lower(x):
    return {"lower": x.text.lower()}


@labeling_function(pre=[only_lower])
def reads_text(x):
    return 1 if "awesome" in x.text else ABSTAIN


@labeling_function(pre=[only_lower])
def reads_lower(x):
    return 1 if "awesome" in x.lower else ABSTAIN


@labeling_function(pre=[only_lower])
def reads_nothing_there(x):
    return 1 if "awesome" in x.body else ABSTAIN


def test_a_field_a_preprocessor_left_out_is_named_as_such():
    df = pd.DataFrame({"text": ["so AWESOME", "meh"]})
    with pytest.raises(LFError) as info:
        apply_lfs(df, [reads_text], cardinality=2)
    msg = str(info.value)
    assert "does not have" not in msg
    assert msg.startswith("LF 'reads_text' raised DroppedField: preprocessor 'only_lower' returned a new mapping "
                          "without 'text' (its fields: lower)")
    assert "on row 0" in msg
    # the mapping's own fields work, a column the data never had is still a missing column
    assert apply_lfs(df, [reads_lower], cardinality=2).to_dense().tolist() == [[1], [-1]]
    with pytest.raises(LFError, match="needs column 'body'"):
        apply_lfs(df, [reads_nothing_there], cardinality=2)


def test_a_left_out_field_abstains_under_on_error_abstain():
    df = pd.DataFrame({"text": ["so AWESOME", "meh"]})
    res = apply_lfs(df, [reads_text, reads_lower], cardinality=2, on_error="abstain")
    assert res.to_dense().tolist() == [[-1, 1], [-1, -1]]


def test_a_left_out_field_reads_like_a_missing_one_to_getattr_and_get():
    row = only_lower({"text": "Awesome"})
    assert getattr(row, "text", None) is None and row.get("text") is None and not hasattr(row, "text")
    assert row.lower == "awesome" and dict(row) == {"lower": "awesome"}
    import copy
    import pickle
    for other in (copy.copy(row), pickle.loads(pickle.dumps(row))):
        assert dict(other) == {"lower": "awesome"}
        with pytest.raises(KeyError, match="returned a new mapping without 'text'"):
            other["text"]
