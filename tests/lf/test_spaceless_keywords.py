"""keyword_lf on text of scripts written without spaces (Chinese, Japanese, Thai): ``\\b`` never
holds between two of their characters, so a whole-word keyword of such a script never matched
(every vote a silent abstain). Such a keyword's side asks for no boundary now; Latin keywords and
text keep exactly the old rule."""

import numpy as np
import pandas as pd
import pytest

from weaklabel import apply_lfs, keyword_lf
from weaklabel.lf.templates import keyword_hits, keyword_pattern


def _votes(lf, texts):
    return apply_lfs(pd.DataFrame({"text": texts}), [lf], cardinality=2).to_dense()[:, 0].tolist()


def test_a_cjk_keyword_matches_inside_cjk_text():
    texts = ["東京都に住む", "大阪に住む", "我住在东京", None, "東京", "I live in Tokyo"]
    assert _votes(keyword_lf("tokyo", ["東京"], 1), texts) == [1, -1, -1, -1, 1, -1]   # 东 is not 東
    assert _votes(keyword_lf("ramen", ["ラーメン"], 1), ["ラーメンが好き", "うどんが好き"]) == [1, -1]
    assert _votes(keyword_lf("thai", ["ภาษา"], 1), ["ฉันพูดภาษาไทย", "ฉันพูดไทย"]) == [1, -1]
    assert _votes(keyword_lf("tokyo", ["東京"], 1, match="prefix"), texts) == [1, -1, -1, -1, 1, -1]


def test_a_keyword_of_such_a_script_matches_as_a_substring():
    rng = np.random.default_rng(5)
    pieces = ["東京", "都", "に", "住む", "京都", "大阪", "タワー", "ภาษา", "ไทย", " ", "。", "free", "x"]
    texts = ["".join(rng.choice(pieces, size=int(rng.integers(0, 6)))) for _ in range(500)]
    for kws in (["東京"], ["京都", "タワー"], ["ภาษา"]):
        word = _votes(keyword_lf("k", kws, 1), texts)
        assert word == _votes(keyword_lf("k", kws, 1, match="substring"), texts)
        assert sum(v == 1 for v in word) > 50


def test_mixed_latin_and_cjk_keywords_and_text():
    texts = ["東京都", "free stuff", "freedom", "carefree 東京", "tokyo東京タワー", "xtokyo東京", "free東京"]
    # each keyword keeps the rule of its own ends: "free" a whole Latin word, "東京" anywhere
    assert _votes(keyword_lf("k", ["東京", "free"], 1), texts) == [1, 1, -1, 1, 1, 1, 1]
    # "tokyo東京": a boundary before the "t" only
    assert _votes(keyword_lf("k", ["tokyo東京"], 1), texts) == [-1, -1, -1, -1, 1, -1, -1]
    # a Latin keyword keeps \b beside CJK text too (documented: "了" is a word character)
    assert _votes(keyword_lf("k", ["iPhone"], 1), ["我买了iPhone手机", "iPhone 手机"]) == [-1, 1]
    assert _votes(keyword_lf("k", ["iPhone"], 1, match="substring"), ["我买了iPhone手机"]) == [1]


def test_case_insensitive_mixed_keywords():
    texts = ["TOKYO東京タワー", "Tokyo東京", "tokyo東京", "東京"]
    assert _votes(keyword_lf("k", ["tokyo東京"], 1), texts) == [1, 1, 1, -1]
    assert _votes(keyword_lf("k", ["tokyo東京"], 1, case=True), texts) == [-1, -1, 1, -1]
    assert _votes(keyword_lf("k", ["東京", "FREE"], 1, case=True), ["東京", "free", "FREE"]) == [1, -1, 1]


def test_korean_keeps_word_boundaries():
    # written with spaces between words: \b means something there
    assert _votes(keyword_lf("k", ["서울"], 1), ["서울 에서", "서울에서"]) == [1, -1]


def test_latin_keywords_keep_their_documented_regex():
    assert keyword_pattern(["a.b", "c"], False).pattern == r"\b(?:a\.b|c)\b"
    assert keyword_pattern(["東京", "c"], False).pattern == r"(?:東京)|\b(?:c)\b"
    assert keyword_pattern(["東京x"], False, "prefix").pattern == r"(?:東京x)"
    assert keyword_pattern(["x東京"], False).pattern == r"\b(?:x東京)"


@pytest.mark.parametrize("match", ["word", "prefix", "substring"])
@pytest.mark.parametrize("case", [False, True])
def test_fast_path_and_re_agree_on_mixed_text(match, case):
    """The kernel sees ASCII rows and ASCII keywords only; rows with these scripts go to ``re``:
    every row's hit equals the documented regex, ASCII rows included."""
    rng = np.random.default_rng(11 + case)
    pieces = ["東京", "都", "free", "Free", "FREE", "freedom", "に", "ภาษา", "iPhone", "手机", " ", "-", "", "k"]
    texts = ["".join(rng.choice(pieces, size=int(rng.integers(0, 6)))) for _ in range(2000)] + [None]
    df = pd.DataFrame({"text": texts})
    for kws in [("東京",), ("free", "東京"), ("free",), ("FREE", "ภาษา"), ("iPhone手机",), ("手机", "k")]:
        rx = keyword_pattern(kws, case, match)
        want = np.array([isinstance(s, str) and rx.search(s) is not None for s in texts])
        np.testing.assert_array_equal(keyword_hits(df, "text", kws, case, match), want)
        got = apply_lfs(df, [keyword_lf("k", kws, 1, case=case, match=match)], cardinality=2, batch_size=300)
        np.testing.assert_array_equal(got.to_dense()[:, 0], np.where(want, 1, -1))
