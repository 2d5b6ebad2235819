"""Labeling functions for the example review-sentiment dataset (reviews.parquet).

A realistic mix: keyword lists passed as resources, a preprocessor shared by several LFs,
negation handling, vectorized regex rules (the fast path) and a ready-made keyword rule. None of them is perfect.

    weaklabel apply examples/reviews/lfs.py examples/reviews/reviews.parquet -o votes.parquet
"""

import re

from weaklabel import ABSTAIN, keyword_lf, labeling_function, preprocessor

CLASSES = ["negative", "positive"]
NEG, POS = 0, 1

POSITIVE_WORDS = {"great", "excellent", "amazing", "solid", "fantastic", "perfect", "sturdy", "awesome",
                  "impressive", "superb", "comfortable", "reliable", "happy", "love", "best"}
NEGATIVE_WORDS = {"terrible", "awful", "cheap", "flimsy", "useless", "poor", "disappointing", "bad", "horrible",
                  "weak", "broken", "garbage", "uncomfortable", "unreliable", "waste", "disappointment"}
NEGATIONS = {"not", "never", "hardly", "no", "don't", "doesn't"}


@preprocessor
def tokens(x):
    """Lower-cased word list, computed once per row and shared by the LFs that use it."""
    text = x.text if isinstance(x.text, str) else ""   # a missing text (None / NaN) has no words
    x.words = re.findall(r"[a-z']+", text.lower())
    return x


def _count(words, vocab):
    """Count opinion words, flipping any that follow a negation within two words."""
    hits, flipped = 0, 0
    for i, w in enumerate(words):
        if w in vocab:
            if any(p in NEGATIONS for p in words[max(0, i - 2):i]):
                flipped += 1
            else:
                hits += 1
    return hits, flipped


@labeling_function(pre=[tokens], resources={"vocab": POSITIVE_WORDS})
def positive_words(x, vocab):
    hits, _ = _count(x.words, vocab)
    return POS if hits >= 2 else ABSTAIN


@labeling_function(pre=[tokens], resources={"vocab": NEGATIVE_WORDS})
def negative_words(x, vocab):
    hits, _ = _count(x.words, vocab)
    return NEG if hits >= 2 else ABSTAIN


@labeling_function(pre=[tokens])
def negated_opinion(x):
    """'not great' reads negative, 'not bad' reads positive."""
    _, flipped_pos = _count(x.words, POSITIVE_WORDS)
    _, flipped_neg = _count(x.words, NEGATIVE_WORDS)
    if flipped_pos > flipped_neg:
        return NEG
    if flipped_neg > flipped_pos:
        return POS
    return ABSTAIN


@labeling_function(pre=[tokens])
def overall_verdict(x):
    """'Overall happy' / 'Overall not happy' settles a mixed review."""
    text = " ".join(x.words)
    if "overall not happy" in text:
        return NEG
    if "overall happy" in text:
        return POS
    return ABSTAIN


@labeling_function()
def recommends(x):
    if not isinstance(x["text"], str):                   # a missing text: abstain
        return ABSTAIN
    text = x["text"].lower()
    if "not recommend" in text:
        return NEG
    if "recommend" in text:
        return POS
    return ABSTAIN


@labeling_function(vectorized=True)
def star_rating(df):
    """'4/5', '2 stars', 'rating: 5': high ratings positive, low negative, 3 abstains."""
    stars = df["text"].str.extract(r"(?:^|\s|rating:\s*)([1-5])(?:/5|\s*stars?)", flags=re.I)[0]
    stars = stars.fillna(df["text"].str.extract(r"rating:\s*([1-5])", flags=re.I)[0])
    value = stars.astype(float)
    return (value >= 4).astype(int).where(value.notna() & (value != 3), ABSTAIN).astype(int).to_numpy()


# a whole-word keyword rule, ready-made: the same votes as
# re.search(r"\b(?:refund|returning|...)\b", text, re.I), several times faster than str.contains
refund_or_return = keyword_lf("refund_or_return", ["refund", "returning", "sent it back", "waste of money",
                                                   "save your money"], NEG)


@labeling_function(vectorized=True)
def broke_quickly(df):
    hit = df["text"].str.contains(r"\b(?:stopped working|broke|fell apart|died) (?:after|within)\b",
                                  case=False, regex=True, na=False)
    return hit.map({True: NEG, False: ABSTAIN}).to_numpy()


@labeling_function(vectorized=True)
def emoticons(df):
    happy = df["text"].str.contains(r"(?::\)|:D|<3)", regex=True, na=False)
    sad = df["text"].str.contains(r"(?::\(|:/)", regex=True, na=False)
    out = happy.map({True: POS, False: ABSTAIN})
    return out.where(~sad, NEG).to_numpy()


@labeling_function(vectorized=True)
def shouting(df):
    """ALL-CAPS reviews skew negative (a weak, noisy rule)."""
    letters = df["text"].fillna("").str.replace(r"[^A-Za-z]", "", regex=True)   # a missing text: no letters
    caps = letters.str.len().gt(20) & letters.str.isupper()
    return caps.map({True: NEG, False: ABSTAIN}).to_numpy()
