"""Row attribute access for columns named like dict methods, and the decorator's argument checks."""

import pandas as pd
import pytest

from weaklabel import ABSTAIN, Row, apply_lfs, labeling_function, preprocessor
from weaklabel.errors import LFDefinitionError

DICT_NAMED = ["values", "items", "keys", "get", "copy"]


@pytest.mark.parametrize("column", DICT_NAMED)
def test_rowwise_lf_reads_a_column_named_like_a_dict_method(column):
    df = pd.DataFrame({column: ["spam", "ham", "spam"]})
    lf = labeling_function(name=f"is_spam_{column}")(
        lambda x: 1 if getattr(x, column) == "spam" else ABSTAIN)
    assert apply_lfs(df, [lf], cardinality=2).to_dense()[:, 0].tolist() == [1, -1, 1]


def test_attribute_and_item_access_agree_for_every_dict_named_column():
    row = Row({name: f"cell-{name}" for name in DICT_NAMED})
    for name in DICT_NAMED:
        assert getattr(row, name) == row[name] == f"cell-{name}"
    assert dict.keys(row) == set(DICT_NAMED)   # the dict methods stay reachable on the type


def test_dict_methods_still_work_without_such_columns():
    row = Row(text="hi")
    assert row.get("text") == "hi" and list(row.keys()) == ["text"] and row.copy() == {"text": "hi"}


def test_preprocessor_output_columns_win_over_dict_methods_too():
    @preprocessor
    def add_items(x):
        x.items = 3

    @labeling_function(pre=[add_items])
    def many_items(x):
        return 1 if x.items > 2 else ABSTAIN

    assert apply_lfs(pd.DataFrame({"text": ["a"]}), [many_items], cardinality=2).to_dense().tolist() == [[1]]


def test_resources_must_be_a_dict_of_keyword_arguments():
    with pytest.raises(LFDefinitionError, match=r"labeling function 'kw': resources must be a dict of keyword "
                                                r"arguments.*got list"):
        @labeling_function(resources=["spam", "free"])
        def kw(x, words):
            return ABSTAIN


def test_pre_must_be_a_list_of_preprocessors():
    def lower(x):
        return x

    with pytest.raises(LFDefinitionError, match=r"labeling function 'f': pre must be a list of @preprocessor "
                                                r"functions, got function; decorate lower with @preprocessor "
                                                r"and pass pre=\[lower\]"):
        @labeling_function(pre=lower)
        def f(x):
            return ABSTAIN


def test_a_single_preprocessor_is_taken_as_a_list_of_one():
    @preprocessor
    def shout(x):
        x.text = x.text.upper()

    @labeling_function(pre=shout)
    def loud(x):
        return 1 if x.text == "HI" else ABSTAIN

    assert [p.name for p in loud.pre] == ["shout"] and loud({"text": "hi"}) == 1


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_vectorized_must_be_a_bool(value):
    with pytest.raises(LFDefinitionError, match=rf"labeling function 'f': vectorized must be True or False, "
                                                rf"got {value!r}"):
        @labeling_function(vectorized=value)
        def f(x):
            return ABSTAIN


def test_empty_name_is_refused_not_replaced():
    with pytest.raises(LFDefinitionError, match="labeling function name must be a non-empty string, got ''"):
        @labeling_function(name="")
        def f(x):
            return ABSTAIN
    with pytest.raises(LFDefinitionError, match="preprocessor name must be a non-empty string, got ''"):
        @preprocessor(name="")
        def p(x):
            return x
