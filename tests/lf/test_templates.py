"""keyword_lf: the same votes as the row-wise regex it stands for, on every kind of text."""

import re

import numpy as np
import pandas as pd
import pytest

from weaklabel import ABSTAIN, LFDefinitionError, apply_lfs, keyword_lf, labeling_function
from weaklabel.lf import batch_memo
from weaklabel.lf.templates import keyword_hits, keyword_pattern

PIECES = ["free", "Free", "FREE", "freedom", "carefree", "free-for-all", "_free", "free_", "free9",
          "call me", "call  me", "callme", "Call Me", "a-a", "a-a-a", "aa", "aaa", "aaaa", "naïve", "café",
          "ﬁne", "KELVIN", "\u212a", "ſtop", "stop", "İstanbul", "c++", "++", " ", ",", ".", "\n", "\t",
          "x", "1", "ß", "ss", "日本", "é", "", "won", "winner", "won't"]


def texts(rng, n):
    out = []
    for _ in range(n):
        k = int(rng.integers(0, 6))
        seps = rng.choice([" ", "", ",", "-", "\n", "."], size=k)
        words = rng.choice(PIECES, size=k)
        out.append("".join(w + s for w, s in zip(words, seps)))
    return out


KEYWORD_SETS = [("free",), ("call me", "winner"), ("a-a",), ("aa",), ("c++",), ("++",), ("café",),
                ("k",), ("stop", "won"), ("s",), ("ss",), ("i",), ("fine",), (" me",), ("FREE", "x")]


@pytest.mark.parametrize("match", ["word", "prefix", "substring"])
@pytest.mark.parametrize("case", [False, True])
@pytest.mark.parametrize("storage", ["str", "object"])
def test_keyword_hits_equal_python_re_on_random_text(case, storage, match):
    rng = np.random.default_rng(0 if case else 1)
    values = texts(rng, 3000)
    values[5] = None
    values[17] = None
    col = pd.Series(values, dtype=storage)
    total = 0
    for offset in (0, 7):                  # also a sliced batch, whose Arrow array has an offset
        df = pd.DataFrame({"text": col}).iloc[offset:].reset_index(drop=True)
        for kws in KEYWORD_SETS:
            rx = keyword_pattern(kws, case, match)
            want = np.array([isinstance(s, str) and rx.search(s) is not None for s in df["text"].tolist()])
            got = keyword_hits(df, "text", kws, case, match)
            bad = np.flatnonzero(got != want)
            assert bad.size == 0, (kws, case, match, [df["text"][i] for i in bad[:5]])
            total += want.sum()
    assert total > 3_000   # the rules do fire


def test_keyword_lf_matches_its_rowwise_rule_through_apply():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"text": texts(rng, 5000), "id": np.arange(5000)})
    fast = [keyword_lf("free", ["free", "call me"], 1), keyword_lf("kelvin", "KELVIN", 0, case=True),
            keyword_lf("aa", ["aa", "café"], 2)]

    def rowwise(name, kws, label, case=False):
        rx = keyword_pattern(kws, case)
        return labeling_function(name=name)(lambda x: label if rx.search(x.text) else ABSTAIN)

    slow = [rowwise("free", ["free", "call me"], 1), rowwise("kelvin", ["KELVIN"], 0, True),
            rowwise("aa", ["aa", "café"], 2)]
    a = apply_lfs(df, fast, cardinality=3, batch_size=700).to_dense()
    b = apply_lfs(df, slow, cardinality=3, batch_size=700).to_dense()
    np.testing.assert_array_equal(a, b)
    assert (a[:, 0] == 1).sum() > 100 and (a[:, 1] == 0).sum() > 10 and (a[:, 2] == 2).sum() > 100


def test_keyword_lf_is_a_plain_vectorized_lf_with_a_stable_hash():
    lf = keyword_lf("refund", ["refund", "money back"], label=1)
    assert lf.vectorized and lf.name == "refund"
    assert lf.source_hash == keyword_lf("refund", ["refund", "money back"], label=1).source_hash
    assert lf.source_hash != keyword_lf("refund", ["refund"], label=1).source_hash
    assert lf.source_hash != keyword_lf("refund", ["refund", "money back"], label=0).source_hash
    votes = lf(pd.DataFrame({"text": ["I want a Refund!", "refunded", None, "money  back", "money back."]}))
    assert votes.tolist() == [1, -1, -1, -1, 1]


@pytest.mark.parametrize("kwargs", [dict(keywords=[], label=1), dict(keywords=[""], label=1),
                                    dict(keywords=["x"], label=-1), dict(keywords=["x"], label=True),
                                    dict(keywords=["x"], label="spam"), dict(keywords=[3], label=1),
                                    dict(keywords=["x"], label=70_000)])
def test_keyword_lf_rejects_bad_definitions(kwargs):
    with pytest.raises(LFDefinitionError, match="keyword_lf 'k'"):
        keyword_lf("k", **kwargs)


def test_keyword_lf_reads_categorical_and_all_missing_columns():
    lf = keyword_lf("k", ["spam"], 1)
    cat = pd.DataFrame({"text": pd.Categorical(["spam here", "ham", None, "SPAM", "ham"])})
    assert lf(cat).tolist() == [1, -1, -1, 1, -1]
    assert lf(pd.DataFrame({"text": pd.Series([None, None], dtype=object)})).tolist() == [-1, -1]
    assert lf(pd.DataFrame({"text": pd.Series([], dtype=str)})).tolist() == []


def test_keyword_lf_on_a_non_text_column_is_a_clear_lf_error():
    from weaklabel import LFError
    df = pd.DataFrame({"text": [1, 2, 3]})
    with pytest.raises(LFError, match="nums.*not text"):
        apply_lfs(df, [keyword_lf("nums", ["1"], 1)], cardinality=2)


def test_keyword_lf_missing_column_names_the_lf_and_column():
    from weaklabel import MissingColumnError
    with pytest.raises(MissingColumnError, match="body"):
        apply_lfs(pd.DataFrame({"text": ["a"]}), [keyword_lf("k", ["a"], 1, column="body")], cardinality=2)


def test_keyword_pattern_is_the_documented_regex():
    assert keyword_pattern(["a.b", "c"], False).pattern == r"\b(?:a\.b|c)\b"
    assert keyword_pattern(["a.b", "c"], False, "prefix").pattern == r"\b(?:a\.b|c)"
    assert keyword_pattern(["a.b", "c"], False, "substring").pattern == r"(?:a\.b|c)"


def test_keyword_lf_match_modes_on_snorkel_style_rules():
    """The YouTube-spam port: ``"http"`` as a substring also catches "https" links, as a whole
    word it does not; each mode equals its regex through apply."""
    df = pd.DataFrame({"text": ["see https://x.io", "http://a.b now", "my channel", "HTTPS!", "xhttp", None]})
    got = {m: apply_lfs(df, [keyword_lf("link", ["http"], 1, match=m)], cardinality=2).to_dense()[:, 0]
           for m in ("word", "prefix", "substring")}
    np.testing.assert_array_equal(got["word"], [-1, 1, -1, -1, -1, -1])
    np.testing.assert_array_equal(got["prefix"], [1, 1, -1, 1, -1, -1])
    np.testing.assert_array_equal(got["substring"], [1, 1, -1, 1, 1, -1])
    with pytest.raises(LFDefinitionError, match="match must be one of"):
        keyword_lf("x", ["a"], 1, match="regex")
    # the default keeps the resources (and so the source hash) of LFs written before match existed
    assert "match" not in keyword_lf("x", ["a"], 1).resources
    assert keyword_pattern(["a"], False).flags & re.IGNORECASE


def test_keyword_lf_sees_a_column_edited_or_replaced_in_place():
    lf = keyword_lf("k", ["free"], 1)
    df = pd.DataFrame({"text": ["nothing", "free stuff"]})
    assert lf(df).tolist() == [-1, 1]
    df.loc[0, "text"] = "free"
    assert lf(df).tolist() == [1, 1]
    df["text"] = ["x", "y"]
    assert lf(df).tolist() == [-1, -1]
    with batch_memo():          # inside the applier's per-batch memo too
        assert lf(df).tolist() == [-1, -1]
        df["text"] = ["free", "y"]
        assert lf(df).tolist() == [1, -1]


def test_keyword_lfs_on_one_batch_prepare_its_text_once(monkeypatch):
    import weaklabel.lf.templates as T
    made = []
    real = T._Prepared

    def counting(*args):
        made.append(args[2])
        return real(*args)

    monkeypatch.setattr(T, "_Prepared", counting)
    df = pd.DataFrame({"text": ["free", "call me now", "FREE"] * 10})
    lfs = [keyword_lf("a", ["free"], 1), keyword_lf("b", ["call me"], 0), keyword_lf("c", ["now"], 1),
           keyword_lf("d", ["FREE"], 1, case=True)]
    votes = apply_lfs(df, lfs, cardinality=2).to_dense()
    assert votes[:3].tolist() == [[1, -1, -1, -1], [-1, 0, 1, -1], [1, -1, -1, 1]]
    assert sorted(made) == [False, True]        # once per case mode, not once per LF
    made.clear()
    lfs[0](df), lfs[1](df)                      # outside the applier: nothing is kept
    assert made == [False, False]


def test_keyword_lf_on_a_csv_batch_whose_text_is_all_empty(tmp_path):
    from weaklabel import apply_file
    (tmp_path / "lfs.py").write_text("from weaklabel import keyword_lf\nk = keyword_lf('k', ['free'], 1)\n")
    (tmp_path / "d.csv").write_text("id,text\n1,free\n2,free x\n3,no\n4,\n5,\n6,\n7,free\n")
    s = apply_file(tmp_path / "lfs.py", tmp_path / "d.csv", tmp_path / "v.parquet", cardinality=2, batch_size=3,
                   jobs=1)
    assert s.rows == 7
    assert pd.read_parquet(tmp_path / "v.parquet")["k"].tolist() == [1, 1, -1, -1, -1, -1, 1]
