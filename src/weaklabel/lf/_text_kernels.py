"""Numba kernel behind :func:`weaklabel.lf.templates.keyword_lf`: keyword search by word, prefix or substring.

One pass over a batch's text bytes (Arrow layout: one buffer, row offsets). For each row, every
position whose byte starts some keyword is compared with the keywords starting with that byte;
the row is a hit at its first keyword occurrence with a word boundary where asked (before it for
``match="prefix"``, on both sides for ``"word"``, none for ``"substring"``), as Python's ``re``
defines ``\\b`` for ASCII text. Every position is tried, so overlapping occurrences
(``"aa"`` in ``"aaa"``) are not missed. Rows flagged in ``skip`` are left to the caller.

The reference is ``re.search(r"\\b(?:kw1|kw2|...)\\b", text)`` (without the trailing ``\\b`` for
prefixes, without both for substrings): ``tests/test_templates.py`` compares them on random text.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit_announced


@njit_announced(nogil=True)
def keyword_rows(data, offsets, skip, words, word_ptr, first_ptr, first_idx, is_word, check_before, check_after):
    """``hit[i]``: row ``i`` (``data[offsets[i]:offsets[i+1]]``) holds a keyword as a whole word.

    ``words`` holds the keywords' bytes back to back (keyword ``k`` is
    ``words[word_ptr[k]:word_ptr[k+1]]``); ``first_idx[first_ptr[b]:first_ptr[b+1]]`` lists the
    keywords whose first byte is ``b``; ``is_word[b]`` says whether byte ``b`` is a word
    character. ``check_before`` / ``check_after``: whether an occurrence needs a word boundary
    before / after it. Runs without the GIL, so threads can share a batch's LFs."""
    n = offsets.shape[0] - 1
    hit = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        if skip[i]:
            continue
        lo = offsets[i]
        hi = offsets[i + 1]
        found = False
        for p in range(lo, hi):
            b = data[p]
            for t in range(first_ptr[b], first_ptr[b + 1]):
                k = first_idx[t]
                w0 = word_ptr[k]
                wl = word_ptr[k + 1] - w0
                if p + wl > hi:
                    continue
                same = True
                for q in range(1, wl):
                    if data[p + q] != words[w0 + q]:
                        same = False
                        break
                if not same:
                    continue
                # \b before: (previous byte is a word byte) != (first byte is); likewise after
                if check_before:
                    before = is_word[data[p - 1]] if p > lo else False
                    if before == is_word[words[w0]]:
                        continue
                if check_after:
                    after = is_word[data[p + wl]] if p + wl < hi else False
                    if after == is_word[words[w0 + wl - 1]]:
                        continue
                found = True
                break
            if found:
                break
        hit[i] = found
    return hit
