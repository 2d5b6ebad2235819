import numpy as np
import pandas as pd
import pytest

from weaklabel import ABSTAIN, LabelingFunction, Row, apply_lfs, labeling_function, preprocessor
from weaklabel.errors import LFDefinitionError


def test_bare_and_called_decorator():
    @labeling_function
    def bare(x):
        return 1

    @labeling_function(name="custom")
    def called(x):
        return 0

    assert isinstance(bare, LabelingFunction) and bare.name == "bare" and not bare.vectorized
    assert called.name == "custom"
    assert bare(Row(text="a")) == 1 and called({"text": "a"}) == 0


def test_row_supports_attribute_and_item_access():
    @labeling_function
    def both(x):
        return 1 if x.text == x["text"] == "hi" else 0

    assert both(Row(text="hi")) == 1
    with pytest.raises(AttributeError):
        Row(text="x").missing  # noqa: B018
    with pytest.raises(KeyError):
        Row(text="x")["missing"]


def test_resources_are_keyword_arguments():
    @labeling_function(resources={"words": {"spam", "free"}, "label": 1})
    def kw(x, words, label):
        return label if any(w in x.text for w in words) else ABSTAIN

    assert kw(Row(text="free money")) == 1
    assert kw(Row(text="hello")) == ABSTAIN


def test_preprocessors_run_in_order_and_are_shared_per_row():
    calls = []

    @preprocessor
    def lower(x):
        calls.append("lower")
        x.text = x.text.lower()

    @preprocessor(resources={"suffix": "!"})
    def shout(x, suffix):
        return {**x, "text": x.text + suffix}

    @labeling_function(pre=[lower, shout])
    def ends(x):
        return 1 if x.text == "hello!" else 0

    @labeling_function(pre=[lower])
    def low(x):
        return 1 if x.text == "hello" else 0

    @labeling_function()
    def raw(x):
        return 1 if x.text == "HELLO" else 0  # the in-place preprocessor must not leak

    vm = apply_lfs(pd.DataFrame({"text": ["HELLO"] * 3}), [ends, low, raw])
    assert vm.to_dense().tolist() == [[1, 1, 1]] * 3
    assert calls.count("lower") == 3  # once per row, shared by `ends` and `low`


def test_vectorized_lfs_receive_the_batch():
    @labeling_function(vectorized=True)
    def long_text(df):
        assert isinstance(df, pd.DataFrame)
        return np.where(df["text"].str.len() > 3, 1, ABSTAIN)

    vm = apply_lfs(pd.DataFrame({"text": ["a", "abcd", "xyzzy"]}), [long_text])
    assert vm.to_dense()[:, 0].tolist() == [-1, 1, 1]


def test_vectorized_preprocessors_must_match():
    @preprocessor
    def rowwise(x):
        return x

    with pytest.raises(LFDefinitionError, match="vectorized"):
        LabelingFunction("v", lambda df: df, pre=[rowwise], vectorized=True)


def test_plain_labeling_function_object_and_bad_definitions():
    lf = LabelingFunction("kw", lambda x, w: 1 if w in x.text else -1, resources={"w": "a"})
    assert lf(Row(text="cat")) == 1
    with pytest.raises(LFDefinitionError):
        LabelingFunction("", lambda x: 1)
    with pytest.raises(LFDefinitionError):
        LabelingFunction("x", "not callable")
    with pytest.raises(LFDefinitionError):
        labeling_function("positional")


def test_source_hash_tracks_code_and_plain_resources():
    def f(x, w):
        return 1

    def g(x, w):
        return 0

    a = LabelingFunction("a", f, resources={"w": ["x", "y"]})
    b = LabelingFunction("a", f, resources={"w": ["x", "y"]})
    c = LabelingFunction("a", f, resources={"w": ["x", "z"]})
    d = LabelingFunction("a", g, resources={"w": ["x", "y"]})
    assert a.source_hash == b.source_hash
    assert a.source_hash != c.source_hash
    assert a.source_hash != d.source_hash
    # sets hash the same whatever their iteration order
    s1 = LabelingFunction("s", len, resources={"w": {"b", "a", "c"}})
    s2 = LabelingFunction("s", len, resources={"w": {"c", "a", "b"}})
    assert s1.source_hash == s2.source_hash


def test_source_hash_tracks_what_the_function_reads():
    """Defaults, closures, same-file helpers and plain constants are part of an LF's hash
    (so ``apply --update`` reruns an LF when any of them changes); unrelated names are not."""
    ns = {"__name__": "fake_lfs"}
    code = (
        "import re\n"
        "WORDS = {'good', 'great'}\n"
        "THRESHOLD = 2\n"
        "UNUSED = [1, 2, 3]\n"
        "RX = re.compile('a+b')\n"
        "def count(text):\n"
        "    return sum(w in WORDS for w in text.split())\n"
        "def f(x):\n"
        "    return 1 if count(x.text) >= THRESHOLD or RX.search(x.text) else -1\n"
    )
    exec(compile(code, "<fake_lfs>", "exec"), ns)  # noqa: S102 - test fixture

    def h():
        return LabelingFunction("f", ns["f"]).source_hash

    base = h()
    ns["UNUSED"].append(4)
    assert h() == base
    ns["THRESHOLD"] = 3
    assert h() != base
    ns["THRESHOLD"] = 2
    assert h() == base
    ns["WORDS"].add("fine")  # read through the helper count()
    assert h() != base
    ns["WORDS"].discard("fine")
    import re

    ns["RX"] = re.compile("a+c")
    assert h() != base

    def make(threshold):
        return LabelingFunction("g", lambda x: 1 if x.score > threshold else -1)

    assert make(1).source_hash == make(1).source_hash != make(2).source_hash
    lfs = [LabelingFunction("t", lambda df, t=t: df.x > t, vectorized=True) for t in (1, 2)]
    assert lfs[0].source_hash != lfs[1].source_hash
