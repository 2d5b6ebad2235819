"""The vote functions behind generated labeling functions, and the feature views they share.

Every generated LF is a :class:`~weaklabel.lf.LabelingFunction` with ``vectorized=True`` whose
function is one of the module-level rules below and whose ``resources`` hold the rule's
parameters (numbers, strings, lists, numpy arrays). A rule takes a pandas DataFrame batch and
returns an int64 array of votes (``-1`` = abstain). Rules that work in a learned feature space
(clusters, nearest neighbours) get that space from a shared vectorized
:class:`~weaklabel.lf.Preprocessor` (:func:`numeric_view` or :func:`text_view`), computed once per
batch for all the LFs that use it.

The rule names are an allow-list: a saved model file can only refer to functions in
:data:`RULES` and :data:`VIEWS`, so loading one never runs arbitrary code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..lf import ABSTAIN

TOKEN_PATTERN = r"(?u)\b\w+\b"
"""Words are maximal runs of word characters, lower-cased: the same tokens ``\\bword\\b`` finds."""


def numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64; values that are not numbers become NaN (rules abstain on them)."""
    return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)


def keyword_pattern(words: Sequence[str]) -> str:
    """Regular expression matching any of ``words`` as a whole word (case-insensitive use)."""
    return r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"


# --------------------------------------------------------------------------- readable rules
def threshold_rule(df: pd.DataFrame, column: str, op: str, threshold: float, label: int) -> np.ndarray:
    """Vote ``label`` where ``df[column] > threshold`` (``op=">"``) or ``<= threshold`` (``op="<="``)."""
    x = numbers(df, column)
    hit = x > threshold if op == ">" else x <= threshold
    return np.where(hit, label, ABSTAIN).astype(np.int64)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from one row of scores per example. An infinite feature value makes
    scores infinite: the classes at +inf share the probability (the model's limit, as a threshold
    rule votes on inf); a row with an undefined (NaN) score gets NaN, on which rules abstain.
    No floating-point warnings (a generated ``lfs.py`` writes the same function)."""
    top = logits.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        logits = np.where(np.isposinf(top), np.where(logits == top, 0.0, -np.inf), logits - top)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def linear_rule(df: pd.DataFrame, columns: Sequence[str], weights: Sequence[Sequence[float]],
                bias: Sequence[float], labels: Sequence[int], min_confidence: float) -> np.ndarray:
    """A small softmax (logistic) model on a few columns: vote its most probable class when
    that probability is at least ``min_confidence``, abstain otherwise (and on missing values)."""
    x = np.column_stack([numbers(df, c) for c in columns])
    with np.errstate(invalid="ignore"):   # inf * 0, inf - inf (infinite values): NaN, abstain
        p = softmax(x @ np.asarray(weights, dtype=float).T + np.asarray(bias, dtype=float))
    vote = np.asarray(labels, dtype=np.int64)[p.argmax(axis=1)]
    return np.where(p.max(axis=1) >= min_confidence, vote, ABSTAIN).astype(np.int64)


def keyword_rule(df: pd.DataFrame, column: str, words: Sequence[str], label: int) -> np.ndarray:
    """Vote ``label`` where the text contains any of ``words`` as a whole word (any case): what
    :func:`weaklabel.keyword_lf` does, and how a generated ``lfs.py`` writes it."""
    from ..lf.templates import keyword_hits

    hit = keyword_hits(df, column, tuple(words), False)
    return np.where(hit, label, ABSTAIN).astype(np.int64)


def word_count(df: pd.DataFrame, column: str) -> np.ndarray:
    """Number of words (runs of word characters) in each text; NaN for missing texts."""
    return df[column].str.count(r"\w+").to_numpy(dtype=float, na_value=np.nan)


def length_rule(df: pd.DataFrame, column: str, op: str, threshold: float, label: int) -> np.ndarray:
    """Vote ``label`` where the text has more than (``op=">"``) or at most (``"<="``) ``threshold`` words."""
    x = word_count(df, column)
    hit = x > threshold if op == ">" else x <= threshold
    return np.where(hit, label, ABSTAIN).astype(np.int64)


# --------------------------------------------------------------------------- feature views
def numeric_view(df: pd.DataFrame, columns: Sequence[str], center: np.ndarray, scale: np.ndarray,
                 components: np.ndarray | None = None) -> np.ndarray:
    """Standardised columns (missing values at the centre), optionally projected (PCA)."""
    x = np.column_stack([numbers(df, c) for c in columns])
    z = (x - center) / scale
    z[~np.isfinite(z)] = 0.0
    if components is not None:
        z = z @ np.asarray(components).T
    return z


def text_vectors(texts, vocabulary: Sequence[str], idf: np.ndarray):
    """Sparse TF-IDF rows (sub-linear term frequency, L2-normalised) over a fixed vocabulary."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    texts = pd.Series(texts).fillna("").astype(str)
    cv = CountVectorizer(vocabulary=list(vocabulary), token_pattern=TOKEN_PATTERN, lowercase=True,
                         dtype=np.float64)
    counts = cv.transform(texts).tocsr()
    counts.data = 1.0 + np.log(counts.data)
    counts = counts.multiply(np.asarray(idf, dtype=float)[None, :]).tocsr()
    return normalize(counts)


def text_view(df: pd.DataFrame, column: str, vocabulary: Sequence[str], idf: np.ndarray,
              components: np.ndarray) -> np.ndarray:
    """Latent semantic coordinates: TF-IDF projected on ``components`` (rules slice and normalise)."""
    return np.asarray(text_vectors(df[column], vocabulary, idf) @ np.asarray(components).T)


def view_space(z: np.ndarray, dims: int | None, normalize: bool) -> np.ndarray:
    """The leading ``dims`` coordinates of a view (all if ``None``), L2-normalised if asked."""
    z = np.asarray(z, dtype=float)
    if dims is not None:
        z = z[:, :dims]
    if normalize:
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        z = np.divide(z, norm, out=np.zeros_like(z), where=norm > 0)
    return z


# --------------------------------------------------------------------------- rules on views
def centroid_rule(z: np.ndarray, centroids: np.ndarray, cluster_labels: np.ndarray,
                  radius: np.ndarray, dims: int | None = None, normalize: bool = False) -> np.ndarray:
    """Assign each row to its nearest centroid (in the view's leading ``dims`` coordinates); vote
    that cluster's class (``-1`` for clusters without a confident class), abstain when the row is
    farther than the cluster's radius."""
    z = view_space(z, dims, normalize)
    d2 = (np.square(z).sum(axis=1)[:, None] - 2.0 * z @ centroids.T
          + np.square(centroids).sum(axis=1)[None, :])
    g = d2.argmin(axis=1)
    # the distance to that centre directly, as the radius was measured: the expansion above
    # loses ~1e-8 to rounding, which put rows on the centre of a cluster of identical rows
    # (radius 0) outside it
    dist = np.sqrt(np.square(z - np.asarray(centroids)[g]).sum(axis=1))
    vote = np.asarray(cluster_labels, dtype=np.int64)[g]
    return np.where(dist <= np.asarray(radius)[g], vote, ABSTAIN).astype(np.int64)


def knn_rule(z: np.ndarray, points: np.ndarray, point_labels: np.ndarray, k: int, min_agree: int,
             cardinality: int, radius: float, dims: int | None = None, normalize: bool = False) -> np.ndarray:
    """Vote the class shared by at least ``min_agree`` of the ``k`` nearest labelled points (in the
    view's leading ``dims`` coordinates; abstain otherwise, on ties, and when the nearest labelled
    point is farther than ``radius``)."""
    z = view_space(z, dims, normalize)
    points = np.asarray(points, dtype=float)
    n = z.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    d2 = (np.square(z).sum(axis=1)[:, None] - 2.0 * z @ points.T
          + np.square(points).sum(axis=1)[None, :])
    return _knn_votes(d2, np.asarray(point_labels, dtype=np.int64), int(k), int(min_agree),
                      int(cardinality), float(radius))


def _knn_votes(d2: np.ndarray, point_labels: np.ndarray, k: int, min_agree: int, cardinality: int,
               radius: float) -> np.ndarray:
    n, p = d2.shape
    k = min(k, p)
    # stable order (distance, then point index) so that equal distances break the same way everywhere
    order = np.lexsort((np.broadcast_to(np.arange(p), d2.shape), d2), axis=1)[:, :k]
    near = point_labels[order]
    counts = np.zeros((n, cardinality), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), k), near.ravel()), 1)
    top = counts.max(axis=1)
    winner = counts.argmax(axis=1)
    unique_top = (counts == top[:, None]).sum(axis=1) == 1
    nearest = np.sqrt(np.maximum(d2[np.arange(n), order[:, 0]], 0.0))
    ok = (top >= min_agree) & unique_top & (nearest <= radius)
    return np.where(ok, winner, ABSTAIN).astype(np.int64)


RULES = {f.__name__: f for f in (threshold_rule, linear_rule, keyword_rule, length_rule, centroid_rule,
                                   knn_rule)}
"""Rule functions a saved model file may name."""

VIEWS = {f.__name__: f for f in (numeric_view, text_view)}
"""View (preprocessor) functions a saved model file may name."""

READABLE = ("threshold_rule", "linear_rule", "keyword_rule", "length_rule")
"""Rules that :func:`weaklabel.autolf.export.to_python` writes as plain code."""
