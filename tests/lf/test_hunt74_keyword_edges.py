"""keyword_lf with a keyword that starts or ends with a character that is not a word character
(``"c++"``, ``"u.s."``, ``"$5"``, an emoji): a word boundary beside it holds only next to a letter,
so with ``match="word"`` (both ends) or ``"prefix"`` (the start) such a keyword never matched in
ordinary text, and the LF abstained on every row without a word. Now refused with the fix."""

import re

import pandas as pd
import pytest

from weaklabel import apply_lfs, keyword_lf
from weaklabel.errors import LFDefinitionError

TEXTS = ["I love C++ and Rust", "moved to the U.S. last year", "price: $5 only", "50% off today",
         "great \U0001F600 day", "rated -1 by all"]


def _votes(lf, texts=TEXTS):
    return apply_lfs(pd.DataFrame({"text": texts}), [lf], cardinality=2).to_dense()[:, 0].tolist()


@pytest.mark.parametrize("word, match, side", [
    ("c++", "word", "ends with '+'"), ("u.s.", "word", "ends with '.'"), ("$5", "word", "starts with '$'"),
    ("$5", "prefix", "starts with '$'"), ("50%", "word", "ends with '%'"), ("\U0001F600", "word", "starts with"),
    ("-1", "word", "starts with '-'"), ("!!!", "prefix", "starts with '!'"),
])
def test_keywords_a_word_boundary_cannot_sit_beside_are_refused(word, match, side):
    pattern = r"keyword_lf 'k': keyword .* " + re.escape(side) + r'.*match="substring"'
    with pytest.raises(LFDefinitionError, match=pattern) as info:
        keyword_lf("k", ["cheap", word], 1, match=match)
    assert "\n" not in str(info.value)


def test_the_message_suggests_the_trimmed_keyword():
    with pytest.raises(LFDefinitionError, match=r"such as 'u\.s'\)"):
        keyword_lf("k", ["u.s."], 1)


@pytest.mark.parametrize("word, match, votes", [
    ("c++", "substring", [1, -1, -1, -1, -1, -1]),
    ("u.s", "word", [-1, 1, -1, -1, -1, -1]),
    ("50%", "prefix", [-1, -1, -1, 1, -1, -1]),        # prefix: no boundary after the keyword
    ("$5", "substring", [-1, -1, 1, -1, -1, -1]),
    ("\U0001F600", "substring", [-1, -1, -1, -1, 1, -1]),
    ("don't", "word", [-1, -1, -1, -1, -1, -1]),        # punctuation inside a keyword is fine
])
def test_the_fixes_match(word, match, votes):
    assert _votes(keyword_lf("k", [word], 1, match=match)) == votes
