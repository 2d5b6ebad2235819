"""What ``apply --update`` compares: an LF's source hash must change when what decides its votes
changes. LFs built from ``functools.partial``, a bound method or a callable object, and LFs reading
a class of their own file, used to hash only the callable's type or the class's text, so that a
changed keyword, threshold or method body kept the old votes (silently) on ``--update``."""

import textwrap

import pytest

from weaklabel.lf import load_lfs

HEAD = "import functools\nfrom weaklabel import ABSTAIN, LabelingFunction, labeling_function\n"


def _hashes(path, body):
    path.write_text(HEAD + body)
    return {lf.name: lf.source_hash for lf in load_lfs(path).lfs}


PARTIAL = textwrap.dedent("""
    def has(x, kw, label):
        return label if kw in x.text else ABSTAIN
    awesome = LabelingFunction("awesome", functools.partial(has, kw="awesome", label=1))
    """)
RULE = textwrap.dedent("""
    POS = 1
    class Rule:
        def __init__(self, kw, label):
            self.kw, self.label = kw, label
        def vote(self, x):
            return self.label if self.kw in x.text else ABSTAIN
        def __call__(self, x):
            return self.vote(x)
    method = LabelingFunction("method", Rule("awesome", 1).vote)
    instance = LabelingFunction("instance", Rule("awesome", 1))
    """)
CLASS_READ = textwrap.dedent("""
    THRESH = 2
    POS = 1
    class Cfg:
        t = THRESH
        @staticmethod
        def vote(n):
            return POS if n >= Cfg.t else ABSTAIN
    @labeling_function
    def bangs(x):
        return Cfg.vote(x.text.count("!"))
    """)
GLOBAL_INSTANCE = textwrap.dedent("""
    class Rule:
        def __init__(self, kw):
            self.kw = kw
    RULE = Rule("awesome")
    @labeling_function
    def a(x):
        return 1 if RULE.kw in x.text else ABSTAIN
    @labeling_function(resources={"rule": RULE})
    def b(x, rule):
        return 1 if rule.kw in x.text else ABSTAIN
    """)


@pytest.mark.parametrize("body, old, new, changed", [
    (PARTIAL, 'kw="awesome"', 'kw="useless"', {"awesome"}),
    (PARTIAL, "label if kw", "1 - label if kw", {"awesome"}),
    (RULE, 'Rule("awesome", 1)', 'Rule("useless", 0)', {"method", "instance"}),
    (RULE, "return self.label if", "return 1 - self.label if", {"method", "instance"}),
    (CLASS_READ, "THRESH = 2", "THRESH = 3", {"bangs"}),
    (CLASS_READ, "POS = 1", "POS = 0", {"bangs"}),
    (GLOBAL_INSTANCE, 'Rule("awesome")', 'Rule("useless")', {"a", "b"}),
], ids=["partial keyword", "partial function", "instance state", "method body", "class attribute from a constant",
        "constant read by a method", "instance of the file's class"])
def test_a_change_that_changes_the_votes_changes_the_hash(tmp_path, body, old, new, changed):
    p = tmp_path / "lfs.py"
    before = _hashes(p, body)
    assert old in body
    after = _hashes(p, body.replace(old, new))
    assert {k for k in before if before[k] != after[k]} == changed


@pytest.mark.parametrize("body", [PARTIAL, RULE, CLASS_READ, GLOBAL_INSTANCE])
def test_the_hashes_are_stable(tmp_path, body):
    p = tmp_path / "lfs.py"
    assert _hashes(p, body) == _hashes(p, body)


def test_an_unrelated_edit_keeps_the_hash(tmp_path):
    p = tmp_path / "lfs.py"
    body = RULE + "\nOTHER = 1\n"
    before = _hashes(p, body)
    assert _hashes(p, body.replace("OTHER = 1", "OTHER = 2")) == before


def test_odd_callables_hash_without_failing(tmp_path):
    body = textwrap.dedent("""
        import dataclasses
        class Dyn:   # answers every attribute, __code__ included: the hash used to fail with AttributeError
            def __getattr__(self, name):
                return 42
            def __call__(self, x):
                return ABSTAIN
        class Loop:
            def __init__(self):
                self.me = self
            def __call__(self, x):
                return ABSTAIN
        class Slots:
            __slots__ = ("kw", "unset")
            def __init__(self, kw):
                self.kw = kw
            def vote(self, x):
                return 1 if self.kw in x.text else ABSTAIN
        @dataclasses.dataclass(frozen=True)
        class DC:
            kw: str
            def __call__(self, x):
                return 1 if self.kw in x.text else ABSTAIN
        d = LabelingFunction("d", Dyn())
        loop = LabelingFunction("loop", Loop())
        slots = LabelingFunction("slots", Slots("awesome").vote)
        dc = LabelingFunction("dc", DC("awesome"))
        builtin = LabelingFunction("builtin", functools.partial(max, 1))
        """)
    p = tmp_path / "lfs.py"
    first = _hashes(p, body)
    assert first == _hashes(p, body) and len(set(first.values())) == 5
    changed = _hashes(p, body.replace('Slots("awesome")', 'Slots("useless")').replace('DC("awesome")', 'DC("x")'))
    assert {k for k in first if first[k] != changed[k]} == {"slots", "dc"}


LEXICON = textwrap.dedent("""
    import numpy as np
    import pandas as pd
    LEX = pd.DataFrame({"word": ["awesome", "solid"], "label": [1, 1]})
    WORDS = pd.Series(["awesome", "solid"])
    TAGS = np.array(["awesome", "solid"], dtype=object)
    @labeling_function
    def lex(x):
        return 1 if x.text in set(LEX["word"]) else ABSTAIN
    @labeling_function(resources={"words": WORDS})
    def series(x, words):
        return 1 if x.text in set(words) else ABSTAIN
    @labeling_function(resources={"tags": TAGS})
    def tags(x, tags):
        return 1 if x.text in set(tags) else ABSTAIN
    """)


@pytest.mark.parametrize("old, new, changed", [
    ('"label": [1, 1]', '"label": [1, 0]', {"lex"}),
    ('"word": ["awesome", "solid"]', '"word": ["awesome", "sturdy"]', {"lex"}),
    ('WORDS = pd.Series(["awesome", "solid"])', 'WORDS = pd.Series(["awesome", "sturdy"])', {"series"}),
    ('dtype=object', 'dtype=object)[:1].copy(', {"tags"}),
])
def test_pandas_and_object_array_constants_count_by_their_values(tmp_path, old, new, changed):
    # a lexicon read with pd.read_csv at import counted as its type alone: an edited lexicon kept the old votes
    p = tmp_path / "lfs.py"
    before = _hashes(p, LEXICON)
    assert _hashes(p, LEXICON) == before
    after = _hashes(p, LEXICON.replace(old, new))
    assert {k for k in before if before[k] != after[k]} == changed


RULE_TABLE = textwrap.dedent("""
    def shouts(t):
        return t.isupper()
    RULES = [("refund", 0, lambda t: "refund" in t), ("caps", 1, shouts)]
    CHECKS = {"caps": shouts}
    @labeling_function
    def table(x):
        return next((label for _, label, test in RULES if test(x.text)), ABSTAIN)
    @labeling_function
    def by_name(x):
        return 1 if CHECKS["caps"](x.text) else ABSTAIN
    """)


@pytest.mark.parametrize("old, new, changed", [
    ('lambda t: "refund" in t', 'lambda t: "return" in t', {"table"}),
    ("return t.isupper()", "return t.istitle()", {"table", "by_name"}),
    ('("caps", 1, shouts)', '("caps", 0, shouts)', {"table"}),
])
def test_lists_and_dicts_holding_functions_count_by_them(tmp_path, old, new, changed):
    # a list or dict with a function in it had no plain-data form and counted as nothing
    p = tmp_path / "lfs.py"
    before = _hashes(p, RULE_TABLE)
    assert _hashes(p, RULE_TABLE) == before
    after = _hashes(p, RULE_TABLE.replace(old, new))
    assert {k for k in before if before[k] != after[k]} == changed


def test_the_new_forms_do_not_depend_on_the_hash_seed(tmp_path):
    import os
    import subprocess
    import sys

    p = tmp_path / "lfs.py"
    p.write_text(HEAD + textwrap.dedent("""
        import re
        import pandas as pd
        class Rule:
            def __init__(self, kws):
                self.kws = set(kws)
                self.meta = {"b": {1, 2}, "a": None}
            def vote(self, x):
                return 1 if any(k in x.text for k in self.kws) else ABSTAIN
        def has(x, kws):
            return 1 if any(k in x.text for k in kws) else ABSTAIN
        TABLE = {"s": {("a", 1), ("b", 2)}, "f": {has}}
        LEX = pd.DataFrame({"w": ["x", "y"]})
        a = LabelingFunction("a", Rule({"awesome", "solid", "great"}).vote)
        b = LabelingFunction("b", functools.partial(has, kws=frozenset({"p", "q", "r"})))
        @labeling_function(resources={"r": Rule({"u", "v"})})
        def c(x, r):
            return 1 if TABLE["s"] and set(LEX.w) else ABSTAIN
        """))
    code = f"from weaklabel.lf import load_lfs; print([lf.source_hash for lf in load_lfs({str(p)!r}).lfs])"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1


def test_an_lf_made_from_another_lf_counts_by_it(tmp_path):
    body = textwrap.dedent("""
        @labeling_function
        def a(x):
            return 1 if "awesome" in x.text else ABSTAIN
        b = LabelingFunction("b", a)   # a's rule under another name: b's hash was its type's alone
        """)
    p = tmp_path / "lfs.py"
    before = _hashes(p, body)
    after = _hashes(p, body.replace('"awesome"', '"useless"'))
    assert {k for k in before if before[k] != after[k]} == {"a", "b"}
