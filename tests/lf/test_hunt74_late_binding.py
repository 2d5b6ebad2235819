"""LFs made in a loop that read the loop variable when they vote (Python's late binding): every one
of them used to vote with the variable's last value, under its own name, silently. Now refused
where they are collected (``lfs.py`` and ``apply_lfs``), naming the LFs, the variable and the fix;
LFs whose loop values are bound per LF are not concerned."""

import textwrap

import pandas as pd
import pytest

from weaklabel import apply_lfs
from weaklabel.errors import LFDefinitionError
from weaklabel.lf import load_lfs

HEAD = ("import functools, random\n"
        "from weaklabel import ABSTAIN, LabelingFunction, keyword_lf, labeling_function, preprocessor\n")


def _write(tmp_path, body):
    p = tmp_path / "lfs.py"
    p.write_text(HEAD + textwrap.dedent(body))
    return p


LATE = {
    "module loop": """
        LFS = []
        for kw in ["awesome", "useless", "solid"]:
            @labeling_function(name="kw_" + kw)
            def f(x):
                return 1 if kw in x.text else ABSTAIN
            LFS.append(f)
        """,
    "globals() loop": """
        for kw in ["awesome", "useless"]:
            @labeling_function(name="kw_" + kw)
            def f(x):
                return 1 if kw in x.text else ABSTAIN
            globals()["lf_" + kw] = f
        """,
    "closure in a function": """
        def make():
            out = []
            for kw in ["awesome", "useless"]:
                out.append(LabelingFunction("kw_" + kw, lambda x: 1 if kw in x.text else ABSTAIN))
            return out
        LFS = make()
        """,
    "label bound, keyword not": """
        LFS = []
        for kw, label in [("awesome", 1), ("useless", 0)]:
            @labeling_function(name=kw)
            def f(x, label=label):
                return label if kw in x.text else ABSTAIN
            LFS.append(f)
        """,
    "helper redefined in the loop": """
        LFS = []
        for kw in ["awesome", "useless"]:
            def has(t):
                return kw in t
            LFS.append(LabelingFunction(kw, lambda x: 1 if has(x.text) else ABSTAIN))
        """,
    "one function, resources for the label only": """
        def vote(x, label):
            return label if kw in x.text else ABSTAIN
        LFS = []
        for kw, label in [("awesome", 1), ("useless", 0)]:
            LFS.append(LabelingFunction(kw, vote, resources={"label": label}))
        """,
}


@pytest.mark.parametrize("body", LATE.values(), ids=LATE.keys())
def test_loop_variables_read_late_are_refused(tmp_path, body):
    with pytest.raises(LFDefinitionError, match=r"lfs\.py: labeling functions '.+' and '.+' run the same code "
                                                r"\(lfs\.py:\d+\) and look \w+ up when they vote") as info:
        load_lfs(_write(tmp_path, body))
    msg = str(info.value)
    assert "\n" not in msg and "default argument" in msg
    assert "'awesome'" in msg or "a function" in msg


def test_the_message_names_the_values(tmp_path):
    with pytest.raises(LFDefinitionError) as info:
        load_lfs(_write(tmp_path, LATE["module loop"]))
    assert ("it was 'awesome', 'useless', 'solid' as they were made, and all of them now read 'solid'"
            in str(info.value))
    assert "def f(x, kw=kw)" in str(info.value)


BOUND = {
    "default argument": """
        LFS = []
        for kw in ["awesome", "useless"]:
            @labeling_function(name=kw)
            def f(x, kw=kw):
                return 1 if kw in x.text else ABSTAIN
            LFS.append(f)
        """,
    "resources": """
        LFS = []
        for kw in ["awesome", "useless"]:
            @labeling_function(name=kw, resources={"kw": kw})
            def f(x, kw):
                return 1 if kw in x.text else ABSTAIN
            LFS.append(f)
        """,
    "factory": """
        def make(kw):
            return LabelingFunction(kw, lambda x: 1 if kw in x.text else ABSTAIN)
        LFS = [make(kw) for kw in ["awesome", "useless"]]
        """,
    "partial": """
        def has(x, kw):
            return 1 if kw in x.text else ABSTAIN
        LFS = [LabelingFunction(kw, functools.partial(has, kw=kw)) for kw in ["awesome", "useless"]]
        """,
    "bound method": """
        class Rule:
            def __init__(self, kw):
                self.kw = kw
            def vote(self, x):
                return 1 if self.kw in x.text else ABSTAIN
        LFS = [LabelingFunction(kw, Rule(kw).vote) for kw in ["awesome", "useless"]]
        """,
    "keyword_lf": """
        LFS = [keyword_lf(kw, [kw], 1) for kw in ["awesome", "useless"]]
        """,
    "same code, nothing varies": """
        LFS = [LabelingFunction(f"noise{i}", lambda x: random.choice([0, 1, ABSTAIN])) for i in range(3)]
        """,
    "a constant rebound to an equal value": """
        LFS = []
        for kw in ["awesome", "useless"]:
            THRESHOLD = int("3")
            @labeling_function(name=kw, resources={"kw": kw})
            def f(x, kw):
                return 1 if x.text.count(kw) >= THRESHOLD else ABSTAIN
            LFS.append(f)
        """,
}


@pytest.mark.parametrize("body", BOUND.values(), ids=BOUND.keys())
def test_loop_values_bound_per_lf_are_fine(tmp_path, body):
    lfs = load_lfs(_write(tmp_path, body)).lfs
    assert len(lfs) >= 2


def test_bound_loop_lfs_vote_differently(tmp_path):
    lfs = load_lfs(_write(tmp_path, BOUND["default argument"])).lfs
    df = pd.DataFrame({"text": ["awesome", "useless", "meh"]})
    assert apply_lfs(df, lfs, cardinality=2).to_dense().tolist() == [[1, -1], [-1, 1], [-1, -1]]


def test_apply_lfs_refuses_them_too():
    from weaklabel import LabelingFunction

    lfs = []
    for kw in ["awesome", "useless"]:   # a closure cell shared by the lambdas: read when they vote
        lfs.append(LabelingFunction(kw, lambda x: 1 if kw in x.text else -1))
    df = pd.DataFrame({"text": ["awesome", "useless"]})
    with pytest.raises(LFDefinitionError, match=r"apply_lfs: labeling functions 'awesome' and 'useless' run the "
                                                r"same code .* look kw up when they vote"):
        apply_lfs(df, lfs, cardinality=2)


def test_preprocessors_made_in_a_loop_are_checked_too(tmp_path):
    body = """
        LFS = []
        for col in ["title", "body"]:
            @preprocessor(name="low_" + col)
            def low(x):
                x.low = x[col].lower()
            @labeling_function(name="free_" + col, pre=[low], resources={"col": col})
            def f(x, col):
                return 1 if "free" in x.low else ABSTAIN
            LFS.append(f)
        """
    with pytest.raises(LFDefinitionError, match=r"lfs\.py: preprocessors 'low_title' and 'low_body' run the same code "
                                                r"\(lfs\.py:\d+\) and look col up when they run, not when they were "
                                                r"made: it was 'title', 'body' .* bind it per preprocessor"):
        load_lfs(_write(tmp_path, body))
    fixed = body.replace("def low(x):", "def low(x, col=col):")
    df = pd.DataFrame({"title": ["FREE stuff", "hi"], "body": ["no", "free!"]})
    assert apply_lfs(df, load_lfs(_write(tmp_path, fixed)).lfs, cardinality=2).to_dense().tolist() == [[1, -1], [-1, 1]]
