"""Which rows a generated keyword rule votes on, exactly as the written rule will.

Keyword candidates are found with a bag of words (``CountVectorizer``: ``str.lower`` and runs of
word characters), but the rule written out is :func:`weaklabel.keyword_lf` (``re``'s whole-word
match ignoring case). The two agree on ASCII text and part ways elsewhere: ``"İstanbul".lower()``
is ``"i̇stanbul"``, whose tokens are ``i`` and ``stanbul``, while ``re`` matches ``istanbul`` in it
and never ``i``; ``re`` matches ``σ`` with ``ς`` and ``k`` with the Kelvin sign, which ``lower()``
keeps apart; and a keyword of a script written without spaces may be matched inside a longer run
of its characters. Scored on the bag of words, a rule's coverage and accuracy (the gate, the
selection, the summary and the comments of ``lfs.py``) were those of another rule: ``'i' in text``
reported 17% coverage and voted on no row.

So the votes of every candidate are the rule's own: the bag of words where it is exact (ASCII
keywords on ASCII rows), the distinct tokens of the other rows matched with ``re`` as
``keyword_lf`` matches them, and the rule itself for keywords ``re`` does not match as whole
tokens (probed: a keyword matching inside its own repetition).
"""

from __future__ import annotations

import functools
import re
import string

import numpy as np
import pandas as pd

from .rules import TOKEN_PATTERN, keyword_rule

_ASCII_WORD = string.ascii_letters + string.digits + "_"


@functools.lru_cache(maxsize=65536)
def _matches_ascii(c: str) -> bool:
    """Whether the non-ASCII character ``c`` matches an ASCII word character ignoring case (``re``)."""
    return re.search(re.escape(c), _ASCII_WORD, re.IGNORECASE) is not None


def _whole_token(word: str, column: str) -> bool:
    """Whether ``keyword_lf`` matches ``word`` only as a whole run of word characters (as ``\\b``
    on both sides does): not inside ``word + word``. Only keywords starting or ending with a
    non-ASCII character are probed (ASCII keywords always have their boundaries)."""
    if word[0].isascii() and word[-1].isascii():
        return True
    probe = pd.DataFrame({column: [word + word]})
    return bool(keyword_rule(probe, column, [word], 0)[0] < 0)


class _Tokens:
    """The distinct tokens (case kept) of the rows holding non-ASCII text, to match keywords on."""

    def __init__(self, texts: pd.Series):
        from sklearn.feature_extraction.text import CountVectorizer

        values = texts.to_numpy(dtype=object)
        self.rows = np.flatnonzero([not t.isascii() for t in values])
        self.B = None
        if self.rows.size:
            cv = CountVectorizer(lowercase=False, token_pattern=TOKEN_PATTERN, binary=True)
            try:
                self.B = cv.fit_transform(values[self.rows]).tocsc()
            except ValueError:   # no word in those rows
                return
            tokens = [str(t) for t in cv.get_feature_names_out()]
            self.ascii: dict[str, list[int]] = {}
            self.other: dict[int, list[tuple[int, str]]] = {}
            for i, t in enumerate(tokens):
                if t.isascii():
                    self.ascii.setdefault(t.lower(), []).append(i)
                else:
                    self.other.setdefault(len(t), []).append((i, t))

    def hits(self, word: str) -> np.ndarray | None:
        """Rows (of ``self.rows``) with a token ``re`` matches to ``word`` ignoring case."""
        if self.B is None:
            return None
        rx = re.compile(re.escape(word), re.IGNORECASE)
        cols = list(self.ascii.get(word, ())) if word.isascii() else []
        cols += [i for i, t in self.other.get(len(word), ()) if rx.fullmatch(t)]   # one char for one
        if not cols:
            return np.zeros(self.rows.size, dtype=bool)
        return np.asarray(self.B[:, cols].sum(axis=1)).ravel() > 0


def exact_hits(frame: pd.DataFrame, column: str, texts: pd.Series, words: list[str], cv,
               B=None) -> dict[str, np.ndarray]:
    """Per word, the rows of ``frame`` (``texts``: its column as text, ``""`` where missing) where
    ``keyword_rule`` votes. ``cv``: the fitted bag of words whose vocabulary holds ``words``; ``B``
    its matrix of all the rows when the caller has it (else the ASCII rows are transformed here:
    each row is tokenised once)."""
    tokens = _Tokens(texts)
    vocab = cv.vocabulary_
    ascii_rows = None
    if B is None:
        ascii_rows = np.setdiff1d(np.arange(len(texts)), tokens.rows)
        B = cv.transform(texts.iloc[ascii_rows]).tocsc() if ascii_rows.size else None
    out = {}
    for w in words:
        # a non-ASCII keyword each of whose characters matches an ASCII one ("ſ" matches "s")
        ascii_too = not w.isascii() and all(c.isascii() or _matches_ascii(c) for c in w)
        if ascii_too or not _whole_token(w, column):
            out[w] = keyword_rule(frame, column, [w], 0) >= 0      # the rule itself
            continue
        hit = np.zeros(len(texts), dtype=bool)
        if w.isascii() and B is not None:   # a non-ASCII keyword: no ASCII row holds it
            col = B[:, vocab[w]].toarray().ravel() > 0
            if ascii_rows is None:
                hit[:] = col
            else:
                hit[ascii_rows] = col
        sub = tokens.hits(w)
        hit[tokens.rows] = False if sub is None else sub
        out[w] = hit
    return out
