"""Defects found by adversarial tests of the LF-writing API (``keyword_lf``, preprocessors)."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from weaklabel import ABSTAIN, apply_lfs, keyword_lf, labeling_function, preprocessor
from weaklabel.lf import Row, templates


def test_keyword_lf_from_a_set_has_the_same_hash_under_every_hash_seed():
    # a set's order depends on PYTHONHASHSEED: the source hash (what `apply --update` compares)
    # must not, or every run re-applies the LF
    code = ("from weaklabel import keyword_lf; "
            "print(keyword_lf('k', {'alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta'}, 1).source_hash)")
    hashes = set()
    for seed in ("1", "2", "3", "4"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        hashes.add(out.stdout.strip())
    assert len(hashes) == 1


@pytest.mark.parametrize("row", [Row({"text": "I want a refund"}), {"text": "I want a refund"},
                                 pd.Series({"text": "I want a refund"})])
def test_keyword_lf_called_on_one_row_votes_once(row):
    # it used to treat the text as a sequence of one-character rows: an array of abstains
    lf = keyword_lf("refund", ["refund"], 0)
    assert lf(row) == 0
    assert lf({"text": "nothing"}) == ABSTAIN
    assert lf({"text": None}) == ABSTAIN
    assert lf({"text": float("nan")}) == ABSTAIN


def test_keyword_lf_on_something_else_is_a_clear_error():
    lf = keyword_lf("refund", ["refund"], 0)
    with pytest.raises(TypeError, match="DataFrame"):
        lf("I want a refund")


def test_direct_call_does_not_leak_an_in_place_preprocessor_into_the_callers_row():
    @preprocessor
    def lowered(x):
        x.low = x.text.lower()

    @labeling_function(pre=[lowered])
    def says_hi(x):
        return 1 if "hi" in x.low else ABSTAIN

    row = Row({"text": "Hi"})
    assert says_hi(row) == 1
    assert row == {"text": "Hi"}   # as apply_lfs: the preprocessor edits a copy


def test_non_ascii_keyword_leaves_ascii_rows_to_the_fast_path(monkeypatch):
    # "café" cannot match ASCII text ignoring case: ASCII rows need no regex
    searched = []
    real = templates.keyword_pattern

    class Counting:
        def __init__(self, rx):
            self.rx = rx

        def search(self, s):
            searched.append(s)
            return self.rx.search(s)

    monkeypatch.setattr(templates, "keyword_pattern", lambda *a: Counting(real(*a)))
    df = pd.DataFrame({"text": ["a refund please", "CAFÉ au lait", "nothing", "Refunded"]})
    hits = templates.keyword_hits(df, "text", ("café", "refund"), False)
    assert hits.tolist() == [True, True, False, False]
    assert searched == ["CAFÉ au lait"]


@pytest.mark.parametrize("kws", [("\u212a",), ("ſtop",), ("İ",), ("ı",), ("café", "k"), ("日本", "Ǆ")])
@pytest.mark.parametrize("match", ["word", "prefix", "substring"])
def test_non_ascii_keywords_equal_python_re_on_ascii_and_mixed_rows(kws, match):
    texts = ["k", "K", "stop", "STOP", "i", "I", "dž", "DŽ", "cafe", "café", "日本", "x k y", None, ""]
    rx = templates.keyword_pattern(kws, False, match)
    want = [isinstance(s, str) and rx.search(s) is not None for s in texts]
    assert templates.keyword_hits(pd.DataFrame({"text": texts}), "text", kws, False, match).tolist() == want
    votes = apply_lfs(pd.DataFrame({"text": texts}), [keyword_lf("k", kws, 1, match=match)], cardinality=2)
    assert (votes.to_dense()[:, 0] == np.where(want, 1, -1)).all()
