"""LFs an ``lfs.py`` writes in a class body (``class Rules:`` grouping ``@labeling_function``
functions) were skipped without a word: only module-level names are collected. Now an error
naming the class, as LFs kept only in a list are."""

import re
import textwrap

import pytest

from weaklabel.errors import LFDefinitionError
from weaklabel.lf import load_lfs

HEAD = "from weaklabel import ABSTAIN, LabelingFunction, labeling_function\n"


def _load(tmp_path, body):
    p = tmp_path / "lfs.py"
    p.write_text(HEAD + textwrap.dedent(body))
    return load_lfs(p)


def test_lfs_kept_only_in_a_class_body_are_an_error(tmp_path):
    body = """
        @labeling_function
        def top(x):
            return 1 if "awesome" in x.text else ABSTAIN

        class Rules:
            @labeling_function
            def useless(x):
                return 0 if "useless" in x.text else ABSTAIN
        """
    with pytest.raises(LFDefinitionError, match=r"lfs\.py:8: labeling function 'useless' is not bound to a "
                                                r"module-level name \(it is kept only in class Rules\)"):
        _load(tmp_path, body)


@pytest.mark.parametrize("body, names", [
    ("""
        class Rules:
            @labeling_function
            def useless(x):
                return 0 if "useless" in x.text else ABSTAIN
        useless = Rules.useless
        """, ["useless"]),
    ("""
        class Rules:
            @labeling_function
            def useless(x):
                return 0 if "useless" in x.text else ABSTAIN
        LFS = [Rules.useless]
        """, ["useless"]),
    ("""
        class Rules:
            @labeling_function
            @staticmethod
            def useless(x):
                return 0 if "useless" in x.text else ABSTAIN
        LFS = [Rules.useless]
        """, ["useless"]),
])
def test_class_lfs_bound_or_listed_are_collected(tmp_path, body, names):
    assert [lf.name for lf in _load(tmp_path, body).lfs] == names


@pytest.mark.parametrize("body, line, name, kept", [
    ("""
        for kw in ["awesome", "useless", "solid"]:
            @labeling_function(name="kw_" + kw)
            def f(x, kw=kw):
                return 1 if kw in x.text else ABSTAIN
        """, 4, "kw_awesome", "kw_solid"),
    ("""
        from weaklabel import keyword_lf
        for kw in ["awesome", "useless"]:
            lf = keyword_lf(kw, [kw], 1)
        """, 5, "awesome", "useless"),
    ("""
        def make(kw):
            return LabelingFunction(kw, lambda x: 1 if kw in x.text else ABSTAIN)
        for kw in ["awesome", "useless"]:
            lf = make(kw)
        """, 4, "awesome", "useless"),
])
def test_lfs_a_top_level_loop_rebinds_one_name_to_are_an_error(tmp_path, body, line, name, kept):
    # only the loop's last LF was collected, silently
    with pytest.raises(LFDefinitionError, match=rf"lfs\.py:{line}: labeling function '{name}' is not bound to a "
                                                rf"module-level name \(the same code ran again, in a loop, and bound "
                                                rf"the name to LF '{kept}' in its place\)"):
        _load(tmp_path, body)


@pytest.mark.parametrize("body, names", [
    ("""
        LFS = []
        for kw in ["awesome", "useless"]:
            @labeling_function(name=kw)
            def f(x, kw=kw):
                return 1 if kw in x.text else ABSTAIN
            LFS.append(f)
        """, ["awesome", "useless"]),
    ("""
        for kw in ["awesome", "useless"]:
            @labeling_function(name=kw)
            def f(x, kw=kw):
                return 1 if kw in x.text else ABSTAIN
            globals()["lf_" + kw] = f
        """, ["awesome", "useless"]),
    ("""
        for kw in ["awesome"]:
            @labeling_function(name=kw)
            def f(x, kw=kw):
                return 1 if kw in x.text else ABSTAIN
        """, ["awesome"]),
    ("""
        @labeling_function
        def a(x):
            return 1
        @labeling_function
        def b(x):
            return 0
        del b
        """, ["a"]),
    ("""
        def negate(lf):   # a decorator of the user's wrapping an LF
            return LabelingFunction("not_" + lf.name, lambda x: 0 if lf(x) == 1 else ABSTAIN)
        @negate
        @labeling_function
        def a(x):
            return 1
        """, ["not_a"]),
    ("""
        def make(kw):
            LabelingFunction("tmp_" + kw, lambda x: ABSTAIN)   # a temporary one
            return LabelingFunction(kw, lambda x: 1 if kw in x.text else ABSTAIN)
        a = make("a")
        b = make("b")
        """, ["a", "b"]),
])
def test_loops_that_keep_every_lf_and_deleted_lfs_are_fine(tmp_path, body, names):
    assert sorted(lf.name for lf in _load(tmp_path, body).lfs) == names


@pytest.mark.parametrize("classes, bad", [
    ('open(__file__.replace("lfs.py", "classes.txt")).readlines()', "'negative\\n'"),
    ('["neg", ""]', "''"),
    ('"neg\\r\\npos\\r\\n".splitlines(keepends=True)', "'neg\\r\\n'"),
])
def test_class_names_read_with_their_newline_are_refused(tmp_path, classes, bad):
    # the names went into the outputs ("positive\n" in label_name and the reports), silently
    (tmp_path / "classes.txt").write_text("negative\npositive\n")
    body = f"""
        CLASSES = {classes}
        @labeling_function
        def a(x):
            return 1
        """
    with pytest.raises(LFDefinitionError, match=r"lfs\.py: CLASSES has the name " + re.escape(bad) +
                                                r", empty or ending in a line break .*c\.strip\(\)"):
        _load(tmp_path, body)


def test_class_names_with_inner_or_edge_spaces_are_kept(tmp_path):
    body = """
        CLASSES = ["very negative", " positive", "a\\tb"]
        @labeling_function
        def a(x):
            return 1
        """
    assert _load(tmp_path, body).classes == ["very negative", " positive", "a\tb"]


def test_an_lf_decorated_twice_is_named_as_such(tmp_path):
    body = """
        @labeling_function
        @labeling_function
        def a(x):
            return 1
        """
    # the outer LF was named "LabelingFunction('a')", a votes column of that name
    with pytest.raises(LFDefinitionError, match=r"lfs\.py:\d: @labeling_function applied to labeling function 'a', "
                                                r"which is made already \(two decorators on one def\?\); keep one"):
        _load(tmp_path, body)


def test_names_that_differ_only_in_unicode_form_are_duplicates(tmp_path):
    # "café" composed and decomposed: two votes columns that look the same everywhere they are shown
    body = """
        @labeling_function(name="caf\\u00e9")
        def a(x):
            return 1
        @labeling_function(name="cafe\\u0301")
        def b(x):
            return 0
        """
    with pytest.raises(LFDefinitionError, match=r"duplicate labeling function name .* \(positions 0 and 1\) "
                                                r"\(.* are the same text in two Unicode forms\)"):
        _load(tmp_path, body)
