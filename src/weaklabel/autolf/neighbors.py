"""LF families that work in learned feature spaces: clusters and nearest neighbours.

Both start from a few **views** of the data, learned without labels from the labelled and
unlabelled rows together (this is the only use of ``X_unlabeled``, and it never sees labels):

* numeric data: the standardised features and their PCA projections (2, 8 and 32 dimensions,
  where smaller than the number of features; the leading components of one decomposition);
* text: TF-IDF (sub-linear term frequency, words seen in at least two texts) projected on its
  16 and 64 leading singular directions (LSA), L2-normalised.

**cluster** (in the spirit of GOGGLES): k-means with ``k`` in ``K, 2K, 4K`` in every view;
each cluster takes the class of its labelled members when at least two fall in it and their
agreement is clear (Wilson lower bound of the majority share at least 0.5); an LF is one
clustering: it votes the class of a row's nearest cluster, abstains for clusters without a
class and for rows farther from the centre than any training row of that cluster.
Accuracies on the labelled rows are leave-one-out (a row's own label never names its cluster).

**knn** (label-propagation-like): vote the class shared by the ``k`` nearest labelled rows
(``k`` = 1, 3, 5, 9 needing 1, 3, 4, 7 agreeing), abstaining otherwise; with ``k = 1`` only
within the median distance between a labelled row and its nearest labelled neighbour.
Accuracies are leave-one-out.

The LFs of both families carry their view as a shared vectorized preprocessor, so applying
many of them computes each view once per batch.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..lf import Preprocessor
from ._base import Candidate, LFData, wilson_lower
from .rules import (TOKEN_PATTERN, centroid_rule, knn_neighbours, knn_rule, knn_votes, numeric_view, text_vectors,
                    text_view, view_space)


class View:
    """A learned feature space: a shared preprocessor, the rows it maps, and the sub-spaces
    (leading ``dims`` coordinates, optionally L2-normalised) the rules use."""

    def __init__(self, name: str, pre: Preprocessor, z_labeled: np.ndarray, z_unlabeled: np.ndarray,
                 spaces: list[tuple[str, int | None, bool]]):
        self.name = name
        self.pre = pre
        self.z_labeled = z_labeled
        self.z_unlabeled = z_unlabeled
        self.spaces = spaces

    def space(self, dims: int | None, normalize: bool) -> tuple[np.ndarray, np.ndarray]:
        return view_space(self.z_labeled, dims, normalize), view_space(self.z_unlabeled, dims, normalize)


def fit_views(data: LFData, random_state: int) -> list[View]:
    """Learn the views of :mod:`this module <weaklabel.autolf.neighbors>` (no labels used)."""
    frame_all = data.all_frame()
    n_l = data.n_labeled
    specs: list[tuple[str, object, dict, list]] = []
    if data.kind == "numeric":
        from sklearn.decomposition import PCA

        X = np.vstack([data.numeric("labeled"), data.numeric("unlabeled")])
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            # over the finite values only: an infinite value (the rules treat it like any number,
            # the view maps it to the centre) made the centre infinite and the PCA fail
            Xf = np.where(np.isfinite(X), X, np.nan)
            center = np.nan_to_num(np.nanmean(Xf, axis=0))
            scale = np.nan_to_num(np.nanstd(Xf, axis=0))
        scale = np.where(scale > 0, scale, 1.0)
        base = {"columns": list(data.columns), "center": center, "scale": scale, "components": None}
        d = len(data.columns)
        if d <= 128:
            specs.append(("std", numeric_view, base, [("std", None, False)]))
        Z = numeric_view(frame_all, **base)
        dims = [p for p in (2, 8, 32) if p < d and p < Z.shape[0]]
        if dims:
            # one decomposition (exact solver): its leading components are the smaller projections
            pca = PCA(n_components=max(dims), svd_solver="full").fit(Z)
            specs.append(("pca", numeric_view,
                          {"columns": list(data.columns), "center": center + pca.mean_ * scale,
                           "scale": scale, "components": pca.components_.copy()},
                          [(f"pca{p}", p, False) for p in dims]))
    else:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = frame_all[data.text_column].fillna("").astype(str)
        tv = TfidfVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True, sublinear_tf=True,
                             min_df=2 if len(texts) >= 20 else 1, max_features=5000)
        try:
            tv.fit(texts)
        except ValueError:
            return []
        vocab = [str(w) for w in tv.get_feature_names_out()]
        idf = tv.idf_[[tv.vocabulary_[w] for w in vocab]]
        T = text_vectors(texts, vocab, idf)
        p_max = min(64, min(T.shape) - 2)
        if p_max >= 2:
            svd = TruncatedSVD(n_components=p_max, n_iter=4, random_state=random_state).fit(T)
            specs.append(("lsa", text_view, {"column": data.text_column, "vocabulary": vocab, "idf": idf,
                                             "components": svd.components_.copy()},
                          [(f"lsa{p}", p, True) for p in sorted({min(16, p_max), p_max})]))
    views = []
    for name, fn, res, spaces in specs:
        pre = Preprocessor(f"view_{name}", fn, resources=res, vectorized=True)
        z = pre(frame_all)
        views.append(View(name, pre, z[:n_l], z[n_l:], spaces))
    return views


# --------------------------------------------------------------------------- clusters
def _cluster_class(counts: np.ndarray, min_share: float) -> np.ndarray:
    """Class of each cluster from its labelled members' class counts (``-1`` if unclear)."""
    n = counts.sum(axis=1)
    top = counts.max(axis=1)
    unique = (counts == top[:, None]).sum(axis=1) == 1
    ok = (n >= 2) & unique & (wilson_lower(top, n) >= min_share)
    return np.where(ok, counts.argmax(axis=1), -1).astype(np.int64)


def cluster_candidates(data: LFData, views: list[View], random_state: int,
                       min_share: float = 0.5) -> list[Candidate]:
    from sklearn.cluster import KMeans

    y, K, n_l = data.y, data.cardinality, data.n_labeled
    out = []
    for vi, view in enumerate(views):
        for sname, dims, norm in view.spaces:
            zl, zu = view.space(dims, norm)
            Z = np.vstack([zl, zu])
            for k in sorted({K, 2 * K, 4 * K}):
                if k < 2 or k > Z.shape[0] // 5:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    km = KMeans(n_clusters=k, n_init=2, random_state=random_state).fit(Z)
                g = km.labels_
                gl = g[:n_l]
                counts = np.zeros((k, K))
                np.add.at(counts, (gl, y), 1)
                labels = _cluster_class(counts, min_share)
                if not (labels >= 0).any():
                    continue
                # leave-one-out: each labelled row's cluster class without its own label
                own = counts[gl].copy()
                own[np.arange(n_l), y] -= 1
                loo = _cluster_class(own, min_share)
                centroids = km.cluster_centers_
                dist = np.linalg.norm(Z - centroids[g], axis=1)
                radius = np.zeros(k)
                np.maximum.at(radius, g, dist)
                radius = radius * (1 + 1e-9) + 1e-12
                res = {"centroids": centroids, "cluster_labels": labels, "radius": radius,
                       "dims": dims, "normalize": norm}
                vu = labels[g[n_l:]]
                out.append(Candidate(name=f"cluster_{sname}_k{k}", rule=centroid_rule, resources=res,
                                     votes_labeled=loo, votes_unlabeled=vu, kind="cluster", view=vi,
                                     describe=f"k-means, k={k}, on {sname}: "
                                              f"{int((labels >= 0).sum())}/{k} clusters name a class"))
    return out


# --------------------------------------------------------------------------- nearest neighbours
KNN_SETTINGS = ((1, 1), (3, 3), (5, 4), (9, 7))


def knn_candidates(data: LFData, views: list[View]) -> list[Candidate]:
    """One candidate per space and :data:`KNN_SETTINGS` entry. The nearest labelled rows of every
    row are found once per space (the most any setting needs; the first ``k`` of them serve each
    ``k``), a block of rows at a time against all labelled rows (:func:`.rules.knn_neighbours`):
    memory linear in the rows, no rows x rows matrix."""
    y, K, n_l = data.y, data.cardinality, data.n_labeled
    settings = [(k, agree) for k, agree in KNN_SETTINGS if k < n_l]
    if not settings:
        return []
    k_max = max(k for k, _ in settings)
    out = []
    for vi, view in enumerate(views):
        for sname, dims, norm in view.spaces:
            P, zu = view.space(dims, norm)
            # leave-one-out: a row is not its own neighbour
            order, first, smallest = knn_neighbours(P, P, k_max, leave_one_out=True)
            nn = np.sqrt(np.maximum(smallest, 0.0))
            # the unlabelled rows as knn_rule sees them (the same function, so the same votes)
            order_u, first_u, _ = knn_neighbours(zu, P, k_max)
            for k, agree in settings:
                radius = float(np.median(nn)) if k == 1 else float("inf")
                loo = knn_votes(y[order[:, :k]], first, agree, K, radius)
                res = {"points": P.copy(), "point_labels": y.copy(), "k": k, "min_agree": agree,
                       "cardinality": K, "radius": radius, "dims": dims, "normalize": norm}
                vu = knn_votes(y[order_u[:, :k]], first_u, agree, K, radius)
                out.append(Candidate(name=f"knn_{sname}_k{k}", rule=knn_rule, resources=res,
                                     votes_labeled=loo, votes_unlabeled=vu, kind="knn", view=vi,
                                     describe=f"{agree} of the {k} nearest labelled rows agree ({sname})"
                                              + (f", within {radius:.3g}" if np.isfinite(radius) else "")))
    return out
