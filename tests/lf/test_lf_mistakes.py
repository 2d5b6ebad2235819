"""User mistakes in writing LFs that used to fail on every row (a row-0 error, or under
``on_error="abstain"`` a column of silent abstains) or to misvote silently: refused where they
are written, with the fix."""

import functools

import numpy as np
import pandas as pd
import pytest

from weaklabel import ABSTAIN, LabelingFunction, apply_lfs, keyword_lf, labeling_function, preprocessor
from weaklabel.errors import LFDefinitionError
from weaklabel.lf import load_lfs


@pytest.mark.parametrize("make, why", [
    (lambda: LabelingFunction("f", lambda x: 1, resources={"words": {"a"}}), "unexpected keyword argument 'words'"),
    (lambda: LabelingFunction("f", lambda x, words: 1), "missing a required argument: 'words'"),
    (lambda: LabelingFunction("f", lambda: 1), "too many positional arguments"),
    (lambda: preprocessor(resources={"n": 1})(lambda x: x), "unexpected keyword argument 'n'"),
])
def test_a_function_the_applier_cannot_call_is_refused_where_it_is_defined(make, why):
    with pytest.raises(LFDefinitionError, match=why) as info:
        make()
    assert "the applier calls <lambda>(x" in str(info.value)


def test_signatures_that_take_the_call_are_kept():
    def fills_words(fn):   # a decorator of the user's that supplies an argument
        @functools.wraps(fn)
        def wrapper(x):
            return fn(x, words={"free"})
        return wrapper

    @labeling_function
    @fills_words
    def kw(x, words):
        return 1 if x.text in words else ABSTAIN

    @labeling_function(resources={"words": {"free"}})
    def rest(x, *args, **kwargs):
        return 1 if x.text in kwargs["words"] else ABSTAIN

    defaults = LabelingFunction("d", lambda x, t=1: t)
    bound = LabelingFunction("m", {"free": 1}.get)   # a builtin method: not checked
    df = pd.DataFrame({"text": ["free", "no"]})
    assert apply_lfs(df, [kw, rest, defaults], cardinality=2).to_dense().tolist() == [[1, 1, 1], [-1, -1, 1]]
    assert bound.name == "m"


def test_an_lfs_file_with_such_a_mistake_names_its_line(tmp_path):
    p = tmp_path / "lfs.py"
    p.write_text("from weaklabel import labeling_function\n\n"
                 "@labeling_function(resources={'vocab': {'a'}})\n"
                 "def spam(x, words):\n    return 1\n")
    with pytest.raises(LFDefinitionError, match=r"lfs\.py:3: labeling function 'spam': the applier calls "
                                                r"spam\(x, vocab=\.\.\.\) .* its parameters \(x, words\)"):
        load_lfs(p)


@pytest.mark.parametrize("keywords", [None, 5, [], [""], ["a", 3]])
def test_keyword_lf_keywords_that_are_not_strings_are_refused(keywords):
    with pytest.raises(LFDefinitionError, match="keywords must be one or more non-empty strings"):
        keyword_lf("k", keywords, 1)


@pytest.mark.parametrize("case", ["false", "no", 0, None])
def test_keyword_lf_case_must_be_a_bool(case):
    # case="false" is truthy: the LF silently matched case-sensitively
    with pytest.raises(LFDefinitionError, match="case must be True or False"):
        keyword_lf("k", ["free"], 1, case=case)
    assert keyword_lf("k", ["free"], 1, case=np.bool_(True)).resources["case"] is True


@pytest.mark.parametrize("word", ["free\n", " me", "free ", "\tfree", "free\u3000"])
@pytest.mark.parametrize("match", ["word", "prefix"])
def test_keyword_lf_refuses_keywords_with_whitespace_ends_for_word_matching(word, match):
    # keywords read from a file keep their "\n": \b beside it asked for a letter, and the LF
    # abstained on nearly every row without a word
    with pytest.raises(LFDefinitionError, match=r"starts or ends with whitespace.*strip the keywords"):
        keyword_lf("k", ["cheap", word], 1, match=match)


def test_keyword_lf_allows_spaces_in_and_around_substrings():
    assert _votes(keyword_lf("k", ["call me"], 1), ["call me now", "callme"]) == [1, -1]
    assert _votes(keyword_lf("k", [" me"], 1, match="substring"), ["call me", "meet"]) == [1, -1]


def _votes(lf, texts):
    return apply_lfs(pd.DataFrame({"text": texts}), [lf], cardinality=2).to_dense()[:, 0].tolist()


@pytest.mark.parametrize("bad", ["spam ", " spam", "spam\n", "sp\tam", "a\x00b"])
def test_an_lf_name_with_whitespace_ends_or_control_characters_is_refused(bad):
    from weaklabel import labeling_function
    from weaklabel.errors import LFDefinitionError

    with pytest.raises(LFDefinitionError, match="whitespace at an end or a control character"):
        labeling_function(name=bad)(lambda x: -1)
    # inner spaces are a name like any other
    assert labeling_function(name="free money")(lambda x: -1).name == "free money"
