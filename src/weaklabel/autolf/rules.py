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
    """Number of words (runs of word characters) in each text; NaN for missing texts. Read as
    text first: a CSV batch whose texts are all empty is read as float NaN, where ``.str``
    raised (and ``weaklabel apply`` stopped) while the keyword rules abstained."""
    return df[column].astype("string").str.count(r"\w+").to_numpy(dtype=float, na_value=np.nan)


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
BLOCK_ELEMENTS = 1 << 21
"""Cells of one block of squared distances (rows x points, ~16 MB of float64): distances are
computed a block of rows at a time, so memory stays bounded however many rows and labelled
points there are (a full rows x points matrix of 25,000 labelled rows was 5 GB, and its sort more)."""


def row_step(n_points: int) -> int:
    """Rows per block of squared distances to ``n_points`` points (:data:`BLOCK_ELEMENTS` cells)."""
    return max(1, BLOCK_ELEMENTS // max(int(n_points), 1))


def squared_norms(x: np.ndarray) -> np.ndarray:
    return np.square(x).sum(axis=1)


def squared_distances(z: np.ndarray, sq_z: np.ndarray, points: np.ndarray, sq_points: np.ndarray) -> np.ndarray:
    """``|z_i|^2 - 2 z_i . p_j + |p_j|^2`` for a block of rows ``z`` (``sq_z``, ``sq_points``:
    the squared norms, :func:`squared_norms`), evaluated in that order, as the rules always have."""
    d2 = (2.0 * z) @ points.T
    np.subtract(sq_z[:, None], d2, out=d2)
    d2 += sq_points[None, :]
    return d2


def centroid_rule(z: np.ndarray, centroids: np.ndarray, cluster_labels: np.ndarray,
                  radius: np.ndarray, dims: int | None = None, normalize: bool = False) -> np.ndarray:
    """Assign each row to its nearest centroid (in the view's leading ``dims`` coordinates); vote
    that cluster's class (``-1`` for clusters without a confident class), abstain when the row is
    farther than the cluster's radius."""
    z = view_space(z, dims, normalize)
    centroids = np.asarray(centroids, dtype=float)
    sq_z, sq_c = squared_norms(z), squared_norms(centroids)
    g = np.empty(z.shape[0], dtype=np.intp)
    step = row_step(centroids.shape[0])
    for s in range(0, z.shape[0], step):    # blocks of rows: bounded memory with many clusters
        g[s:s + step] = squared_distances(z[s:s + step], sq_z[s:s + step], centroids, sq_c).argmin(axis=1)
    # the distance to that centre directly, as the radius was measured: the expansion above
    # loses ~1e-8 to rounding, which put rows on the centre of a cluster of identical rows
    # (radius 0) outside it
    dist = np.sqrt(np.square(z - centroids[g]).sum(axis=1))
    vote = np.asarray(cluster_labels, dtype=np.int64)[g]
    return np.where(dist <= np.asarray(radius)[g], vote, ABSTAIN).astype(np.int64)


def nearest_order(d2: np.ndarray, k: int) -> np.ndarray:
    """The columns of each row's ``k`` smallest entries, nearest first, equal distances by column:
    ``np.lexsort((columns, d2), axis=1)[:, :k]`` without sorting whole rows (a partition finds
    each row's k-th smallest distance, and only the entries up to it are sorted)."""
    n, p = d2.shape
    k = min(int(k), p)
    if k <= 0 or n == 0:
        return np.zeros((n, max(k, 0)), dtype=np.intp)
    nan_rows = np.isnan(d2).any(axis=1)
    if k == p or nan_rows.all():
        return _lexsort_order(d2, k)
    kth = np.partition(d2, k - 1, axis=1)[:, k - 1]
    rows, cols = np.nonzero(d2 <= kth[:, None])     # k or more per row (NaN rows: redone below)
    o = np.lexsort((cols, d2[rows, cols], rows))
    rows, cols = rows[o], cols[o]
    first = np.searchsorted(rows, np.arange(n))
    pos = np.arange(rows.size) - first[rows]
    out = np.zeros((n, k), dtype=np.intp)
    take = (pos < k) & ~nan_rows[rows]
    out[rows[take], pos[take]] = cols[take]
    if nan_rows.any():      # NaN sorts after every number, which a partition does not promise
        out[nan_rows] = _lexsort_order(d2[nan_rows], k)
    return out


def _lexsort_order(d2: np.ndarray, k: int) -> np.ndarray:
    n, p = d2.shape
    return np.lexsort((np.broadcast_to(np.arange(p), d2.shape), d2), axis=1)[:, :k]


def knn_neighbours(z: np.ndarray, points: np.ndarray, k: int, leave_one_out: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` nearest points of each row of ``z`` (:func:`nearest_order`), computed a block
    of rows at a time: ``(order (n, k), d2 to the first of them (n,), smallest d2 (n,))``. With
    ``leave_one_out`` the rows are the points themselves and a row is not its own neighbour."""
    points = np.ascontiguousarray(points, dtype=float)   # as a model file holds them
    n, p = z.shape[0], points.shape[0]
    k = min(int(k), p - 1 if leave_one_out else p)
    order = np.zeros((n, max(k, 0)), dtype=np.intp)
    first = np.full(n, np.inf)
    smallest = np.full(n, np.inf)
    if n == 0 or p == 0:
        return order, first, smallest
    sq_z, sq_p = squared_norms(z), squared_norms(points)
    step = row_step(p)
    for s in range(0, n, step):
        d2 = squared_distances(z[s:s + step], sq_z[s:s + step], points, sq_p)
        m = d2.shape[0]
        if leave_one_out:
            d2[np.arange(m), np.arange(s, s + m)] = np.inf
        smallest[s:s + m] = d2.min(axis=1)
        if k > 0:
            o = nearest_order(d2, k)
            order[s:s + m] = o
            first[s:s + m] = d2[np.arange(m), o[:, 0]]
    return order, first, smallest


def knn_votes(near_labels: np.ndarray, first_d2: np.ndarray, min_agree: int, cardinality: int,
              radius: float) -> np.ndarray:
    """Votes from the labels of each row's nearest points (nearest first) and the squared
    distance to the nearest: the class at least ``min_agree`` of them share, if no other class
    has as many and the nearest is within ``radius``; else abstain."""
    n, k = near_labels.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if k == 0:
        return np.full(n, ABSTAIN, dtype=np.int64)
    if near_labels.min() < 0 or near_labels.max() >= cardinality:
        raise ValueError(f"nearest-neighbour rule: point labels must be class ids 0..{cardinality - 1}")
    cells = (np.repeat(np.arange(n), k) * cardinality + near_labels.ravel()).astype(np.int64)
    counts = np.bincount(cells, minlength=n * cardinality).reshape(n, cardinality)
    top = counts.max(axis=1)
    winner = counts.argmax(axis=1)
    unique_top = (counts == top[:, None]).sum(axis=1) == 1
    nearest = np.sqrt(np.maximum(first_d2, 0.0))
    ok = (top >= min_agree) & unique_top & (nearest <= radius)
    return np.where(ok, winner, ABSTAIN).astype(np.int64)


def knn_rule(z: np.ndarray, points: np.ndarray, point_labels: np.ndarray, k: int, min_agree: int,
             cardinality: int, radius: float, dims: int | None = None, normalize: bool = False) -> np.ndarray:
    """Vote the class shared by at least ``min_agree`` of the ``k`` nearest labelled points (in the
    view's leading ``dims`` coordinates; abstain otherwise, on ties, and when the nearest labelled
    point is farther than ``radius``). Equal distances go to the earlier point. Rows are taken a
    block at a time (:data:`BLOCK_ELEMENTS`), so a batch of any size against any number of
    labelled points needs bounded memory."""
    z = view_space(z, dims, normalize)
    order, first, _ = knn_neighbours(z, points, int(k))
    labels = np.asarray(point_labels, dtype=np.int64)
    return knn_votes(labels[order], first, int(min_agree), int(cardinality), float(radius))


RULES = {f.__name__: f for f in (threshold_rule, linear_rule, keyword_rule, length_rule, centroid_rule,
                                   knn_rule)}
"""Rule functions a saved model file may name."""

VIEWS = {f.__name__: f for f in (numeric_view, text_view)}
"""View (preprocessor) functions a saved model file may name."""

READABLE = ("threshold_rule", "linear_rule", "keyword_rule", "length_rule")
"""Rules that :func:`weaklabel.autolf.export.to_python` writes as plain code."""
