"""Ready-made labeling functions for the most common rule: "the text mentions one of these words".

``keyword_lf(name, keywords, label)`` builds a vectorized :class:`~weaklabel.lf.LabelingFunction`
that votes ``label`` on every row whose text contains one of ``keywords`` as a whole word or
phrase, and abstains elsewhere (also on missing text). Its votes are exactly those of the
row-wise rule

    re.search(r"\\b(?:kw1|kw2|...)\\b", text, 0 if case else re.IGNORECASE)

(Unicode word boundaries, as Python's ``re``; no boundary is asked for beside a keyword's
character of a script written without spaces, below). ``match="prefix"`` drops the trailing ``\\b``
(``"http"`` also matches "https"), ``match="substring"`` both (anywhere in the text, as
Snorkel's ``"http" in x.text.lower()`` keyword LFs); and it is several times faster than the same rule
written with pandas' ``str.contains``, which runs one regex per row:

* the batch's text is one contiguous Arrow buffer plus row offsets; it is lower-cased once per
  batch and shared by every keyword LF on the same column (through the applier's per-batch
  memo, :func:`weaklabel.lf.batch_memo`);
* a Numba kernel (:mod:`weaklabel.lf._text_kernels`, no GIL) walks each row's bytes once, compares
  the keywords starting with each byte, checks the word boundaries around an occurrence with a
  lookup table and stops at the row's first match.

That byte-level check is exact for ASCII text. Rows holding non-ASCII characters (whose word
boundaries and case folding are Unicode's) are decided by Python's ``re`` on just those rows, as
are all rows of an LF ignoring case with a non-ASCII keyword that can match ASCII text
(``"\u212a"`` matches "k"), so the result never depends on the fast path.

**Scripts without spaces.** Chinese, Japanese (kanji and kana), Thai, Lao, Khmer and Myanmar
text has no spaces between words, and ``\\b`` finds no boundary between two of its characters
(all are word characters to ``re``): with ``match="word"``, ``"東京"`` would never match
"東京都に住む", every vote a silent abstain. So a keyword's first or last character of such a
script asks for no boundary on its side: ``"東京"`` is matched as a substring and hits
"東京都に住む" (``"京都"`` hits "東京都" too: no rule tells them apart without a word segmenter),
``"iPhone手机"`` needs ``\\b`` before the "i" only; case and ``match`` work as for any keyword.
Keywords of other scripts keep ``\\b`` on both sides, next to such text too: ``"iPhone"`` does
not match "我买了iPhone手机" ("了" is a word character; use ``match="substring"`` there).
Korean, written with spaces, keeps ``\\b``. These characters are not ASCII, so the keywords and
rows concerned are always ``re``'s (the kernel sees ASCII keywords on ASCII rows only): the rule
lives in :func:`keyword_pattern`, and both paths agree by construction.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import LFDefinitionError
from .core import ABSTAIN, LabelingFunction, current_batch_memo

__all__ = ["keyword_lf"]

_MAX_LABEL = np.iinfo(np.int16).max   # votes are stored as int16 at most
_WORD = np.zeros(256, dtype=bool)  # ASCII bytes that Python's re counts as \w
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _WORD[_c] = True


MATCH = ("word", "prefix", "substring")


def keyword_lf(name: str, keywords: str | Iterable[str], label: int, *, column: str = "text",
               case: bool = False, match: str = "word") -> LabelingFunction:
    """A vectorized LF voting ``label`` where ``column`` contains one of ``keywords`` (``case=False``:
    ignoring case), abstaining elsewhere. ``match``: ``"word"`` (a whole word or phrase),
    ``"prefix"`` (a word starting with it: ``"http"`` matches "https") or ``"substring"`` (anywhere).
    A keyword starting or ending with a character of a script written without spaces (Chinese,
    Japanese, Thai, ...) needs no word boundary on that side: ``"東京"`` matches "東京都に住む"
    (``\\b`` never holds inside such text; see the module docstring).

    >>> free = keyword_lf("free", ["free", "no cost"], label=1)
    >>> link = keyword_lf("link", ["http"], label=1, match="prefix")
    """
    try:
        words = (keywords,) if isinstance(keywords, str) else tuple(keywords)
    except TypeError:   # None, a number: not a raw "object is not iterable"
        words = ()
    if not words or not all(isinstance(w, str) and w for w in words):
        raise LFDefinitionError(f"keyword_lf {name!r}: keywords must be one or more non-empty strings, "
                                f"got {keywords!r}")
    if isinstance(keywords, (set, frozenset)):
        words = tuple(sorted(words))   # a set's order follows the hash seed: the source hash must not
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label <= _MAX_LABEL:
        raise LFDefinitionError(f"keyword_lf {name!r}: label must be a class id (an int in 0..{_MAX_LABEL}), "
                                f"got {label!r}")
    if not isinstance(column, str) or not column:
        raise LFDefinitionError(f"keyword_lf {name!r}: column must be a column name, got {column!r}")
    if match not in MATCH:
        raise LFDefinitionError(f"keyword_lf {name!r}: match must be one of {', '.join(MATCH)}, got {match!r}")
    if match != "substring":
        _check_edges(name, words, match)
    if not isinstance(case, (bool, np.bool_)):   # case="false" is truthy: silently case-sensitive
        raise LFDefinitionError(f"keyword_lf {name!r}: case must be True or False, got {case!r}")
    resources = {"keywords": words, "label": int(label), "column": column, "case": bool(case)}
    if match != "word":   # the default stays out of the resources: existing LFs keep their source hash
        resources["match"] = match
    return LabelingFunction(name, keyword_votes, vectorized=True, resources=resources)


def _check_edges(name: str, words: tuple[str, ...], match: str) -> None:
    """Refuse a keyword with whitespace at either end (a line read from a file keeps its ``"\\n"``)
    for word and prefix matching: ``\\b`` beside whitespace asks for a letter beyond it, so
    ``"free\\n"`` matches almost nothing and ``" me"`` only after a letter, all silently. The same
    holds beside any other character that is not a word character: ``"c++"``, ``"u.s."``, ``"$5"``,
    ``"50%"`` or an emoji would match only glued to a letter (``"c++x"``), never in ``"C++ is fun"``,
    so with ``\\b`` on that side (both for ``"word"``, the start for ``"prefix"``) they are refused."""
    bad = next((w for w in words if w != w.strip()), None)
    if bad is not None:
        raise LFDefinitionError(f"keyword_lf {name!r}: keyword {bad!r} starts or ends with whitespace, which word or "
                                "prefix matching cannot use; strip the keywords ([w.strip() for w in ...]) or "
                                "pass match=\"substring\"")
    for w in words:
        edges = [("starts", w[0])] + ([("ends", w[-1])] if match == "word" else [])
        for side, c in edges:
            if not _no_space(c) and not _WORD_CHAR.match(c):
                raise LFDefinitionError(
                    f"keyword_lf {name!r}: keyword {w!r} {side} with {c!r}, not a letter, digit or _: match={match!r} "
                    f"puts a word boundary (\\b) there, which beside {c!r} holds only next to a letter, digit or _, "
                    f"so {w!r} would not match text like {_example(w, side)!r}; "
                    + (f"use a keyword without such ends (such as {_trimmed(w, match)!r}) or "
                       if _trimmed(w, match) else "")
                    + "pass match=\"substring\"")


_WORD_CHAR = re.compile(r"\w")


def _trimmed(word: str, match: str) -> str:
    """``word`` without the characters at its ends that a word boundary cannot sit beside."""
    def edge_ok(c):
        return _no_space(c) or _WORD_CHAR.match(c) is not None
    while word and not edge_ok(word[0]):
        word = word[1:]
    while match == "word" and word and not edge_ok(word[-1]):
        word = word[:-1]
    return word


def _example(word: str, side: str) -> str:
    return f"{word} is" if side == "ends" else f"a {word}"


def keyword_pattern(keywords: Iterable[str], case: bool, match: str = "word") -> re.Pattern:
    """The row-wise rule ``keyword_lf`` implements (the reference for tests and non-ASCII rows):
    ``\\b(?:kw1|kw2|...)\\b``, without the ``\\b`` on a keyword's side whose character belongs to
    a script written without spaces (see the module docstring; such keywords get an alternative
    of their own)."""
    groups: dict[tuple[bool, bool], list[str]] = {}   # (\b before, \b after) -> keywords
    for w in keywords:
        side = (match != "substring" and not _no_space(w[0]), match == "word" and not _no_space(w[-1]))
        groups.setdefault(side, []).append(re.escape(w))
    alternatives = [("\\b" if before else "") + f"(?:{'|'.join(ws)})" + ("\\b" if after else "")
                    for (before, after), ws in groups.items()]
    return re.compile("|".join(alternatives), 0 if case else re.IGNORECASE)


# Scripts written without spaces between words: CJK ideographs, kana (with bopomofo, and the
# iteration marks 々〆〇), Thai, Lao, Myanmar, Khmer (Unicode's line-break class SA). ``\b``
# between two of their characters never holds (all are word characters to ``re``).
_NO_SPACE_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x19E0, 0x19FF),
                    (0x3005, 0x3007), (0x3040, 0x30FF), (0x3100, 0x312F), (0x31A0, 0x31FF),
                    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F),
                    (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x323AF))


def _no_space(c: str) -> bool:
    """Whether ``c`` belongs to a script written without spaces between words."""
    o = ord(c)
    return o >= 0x0E00 and any(a <= o <= b for a, b in _NO_SPACE_RANGES)   # ASCII: at once


def keyword_votes(df: pd.DataFrame, *, keywords: tuple[str, ...], label: int, column: str,
                  case: bool, match: str = "word") -> np.ndarray:
    """Votes of a :func:`keyword_lf` on one batch: ``label`` where a keyword matches, else -1.
    Called on one row (a mapping or a pandas Series, as in a unit test), its one vote."""
    if not isinstance(df, pd.DataFrame):
        if not isinstance(df, (Mapping, pd.Series)):
            raise TypeError(f"keyword_lf takes a batch (a pandas DataFrame) or one row (a mapping), "
                            f"got {type(df).__name__}")
        one = pd.DataFrame({column: pd.Series([df[column]], dtype=object)})
        return int(label) if keyword_hits(one, column, keywords, case, match)[0] else ABSTAIN
    hit = keyword_hits(df, column, keywords, case, match)
    return np.where(hit, label, ABSTAIN).astype(np.int16)


def keyword_hits(df: pd.DataFrame, column: str, keywords: tuple[str, ...], case: bool,
                 match: str = "word") -> np.ndarray:
    """Boolean mask of the rows where one of ``keywords`` matches (see the module docstring)."""
    from ._text_kernels import keyword_rows   # Numba: imported when an LF first runs, not on load

    text = _prepared(df, column, case)
    n = text.n
    hit = np.zeros(n, dtype=bool)
    slow = text.non_ascii.copy()
    if case or not any(_may_match_ascii(w) for w in keywords if not w.isascii()):
        # a non-ASCII keyword matched exactly, or holding a character that no ASCII one matches
        # ignoring case ("é"), cannot occur in ASCII rows: those rows need only the ASCII keywords
        # (the others still count on the non-ASCII rows, through re below)
        forms = [w.encode("ascii") if case else w.lower().encode("ascii") for w in keywords if w.isascii()]
        if forms:
            hit = keyword_rows(text.data, text.offsets, slow | text.null, *_tables(forms), _WORD,
                               match != "substring", match == "word")
    else:
        slow[:] = True   # ignoring case, a non-ASCII keyword can match ASCII text ("K" and "\u212a")
    if slow.any():
        rx = keyword_pattern(keywords, case, match)
        rows = np.flatnonzero(slow & ~text.null)
        values = text.array.take(pa.array(rows)).to_pylist()
        hit[rows] = [rx.search(s) is not None for s in values]
    hit &= ~text.null
    return hit


_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _may_match_ascii(word: str) -> bool:
    """Whether ``word`` can match ASCII text ignoring case, as ``re`` does (character by character:
    "\u212a" matches "k", "\u017f" "s", but "é" nothing ASCII)."""
    return all(c.isascii() or _matches_an_ascii_letter(c) for c in word)


@functools.lru_cache(maxsize=4096)
def _matches_an_ascii_letter(c: str) -> bool:
    return re.search(re.escape(c), _ASCII_LETTERS, re.IGNORECASE) is not None


# --------------------------------------------------------------------------- per-batch preparation
def _text_array(df: pd.DataFrame, column: str):
    series = df[column]
    try:
        arr = pa.array(series, from_pandas=True)   # zero-copy for pandas' Arrow-backed strings
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise TypeError(f"column {column!r} is not text ({series.dtype}): {exc}") from None
    return arr


def _identity(arr) -> tuple:
    """Which Arrow memory ``arr`` views. Arrow buffers are immutable and the memo keeps ``arr``
    alive, so an equal identity means the same text (a column replaced or edited in place by
    pandas gets new buffers)."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    return tuple((tuple(b.address if b is not None else 0 for b in c.buffers()), c.offset, len(c), str(c.type))
                 for c in chunks)


class _Prepared:
    """One batch's text column as contiguous bytes (lower-cased unless ``case``) and offsets."""

    __slots__ = ("source", "array", "n", "data", "offsets", "null", "non_ascii")

    def __init__(self, arr, column: str, case: bool):
        self.source = arr   # keeps the viewed buffers alive while memoised
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_dictionary(arr.type):   # a pandas categorical of strings
            arr = arr.cast(arr.type.value_type)
        if pa.types.is_string_view(arr.type):
            arr = arr.cast(pa.large_string())
        if arr.null_count == len(arr):
            # all missing: pandas may have read such a batch (an empty CSV column) as float NaN
            arr = pa.nulls(len(arr), pa.string())
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            raise TypeError(f"column {column!r} is not text ({arr.type})")
        self.array = arr
        self.n = len(arr)
        odt = np.int64 if pa.types.is_large_string(arr.type) else np.int32
        offsets = np.frombuffer(arr.buffers()[1], dtype=odt)[arr.offset:arr.offset + self.n + 1]
        lo, hi = int(offsets[0]), int(offsets[-1])
        buf = arr.buffers()[2]
        raw = b"" if buf is None else memoryview(buf)[lo:hi].tobytes()
        # bytes.lower() folds ASCII only, so offsets stay valid
        self.data = np.frombuffer(raw if case else raw.lower(), dtype=np.uint8)
        self.offsets = offsets.astype(np.int64) - lo
        self.null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        ascii_ = pc.string_is_ascii(arr).fill_null(True)
        self.non_ascii = ~np.asarray(ascii_.to_numpy(zero_copy_only=False), dtype=bool)


def _prepared(df: pd.DataFrame, column: str, case: bool) -> _Prepared:
    """The batch's prepared text: shared through the batch memo when the applier runs the LFs
    (every keyword LF on the column lowers and scans the same bytes), built afresh otherwise."""
    arr = _text_array(df, column)
    memo = current_batch_memo()
    if memo is None:
        return _Prepared(arr, column, case)
    key = ("weaklabel.keyword_lf", _identity(arr), case)
    got = memo.get(key)
    if got is None:
        got = memo[key] = _Prepared(arr, column, case)
    return got


# --------------------------------------------------------------------------- matching
def _tables(forms: list[bytes]):
    """The kernel's keyword tables: bytes back to back, and the keywords by first byte."""
    words = np.frombuffer(b"".join(forms), dtype=np.uint8)
    word_ptr = np.zeros(len(forms) + 1, dtype=np.int64)
    word_ptr[1:] = np.cumsum([len(f) for f in forms])
    firsts = np.array([f[0] for f in forms], dtype=np.int64)
    order = np.argsort(firsts, kind="stable")
    first_ptr = np.zeros(257, dtype=np.int64)
    first_ptr[1:] = np.cumsum(np.bincount(firsts, minlength=256))
    return words, word_ptr, first_ptr, order.astype(np.int64)
