"""Automatic labeling functions from a small labelled set (AutoWS-style).

:func:`generate_lfs` turns, say, 100 labelled rows into a list of ordinary
:class:`~weaklabel.lf.LabelingFunction` objects (vectorized: they take a pandas DataFrame batch)
that ``weaklabel apply`` / :func:`~weaklabel.apply_lfs` can run over the rest of the data::

    from weaklabel import apply_lfs, MajorityVote
    from weaklabel.autolf import generate_lfs

    lfs = generate_lfs(df_labeled[features], y_labeled, method="snuba")
    votes = apply_lfs(df_unlabeled, lfs, cardinality=lfs.cardinality)
    print(lfs.summary())           # each rule, its coverage and accuracy on the labelled rows
    lfs.write("lfs.py")            # readable code (or a model file for cluster/knn rules)

Methods (:data:`METHODS`):

* ``snuba``: thresholds on single features, small logistic regressions on feature pairs, or
  keywords for text; abstain thresholds tuned on the labelled rows; greedy selection for
  accuracy and diversity. Written out as plain, editable Python.
* ``cluster``: k-means clusterings of learned views (standardised/PCA features, or LSA for text)
  whose clusters take the class of their labelled members (in the spirit of GOGGLES).
* ``knn``: agreement of the nearest labelled rows in those views (label-propagation-like).

**What the generators see.** Only ``X_labeled`` with ``y_labeled``, and, when given,
``X_unlabeled``: feature values without labels, used to learn the views of ``cluster``/``knn``
(k-means, PCA, TF-IDF vocabulary) and, for every method, to prefer rules that cover new rows.
Never pass evaluation rows as ``X_unlabeled`` if you want an unbiased test score.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..lf import LabelingFunction, Preprocessor
from ._base import LFData, gate, prepare, select, to_lfs
from .rules import READABLE

METHODS = ("snuba", "cluster", "knn")
"""Available generation methods."""

DEFAULT_MAX_LFS = {"snuba": 30, "cluster": 12, "knn": 8}


class GeneratedLFs(list):
    """A list of generated :class:`~weaklabel.lf.LabelingFunction` objects plus what a user needs
    to use them: ``classes``, ``cardinality``, ``method``, the input ``kind`` (numeric or text),
    the feature ``columns`` / ``text_column`` the LFs read, per-LF ``stats`` on the labelled rows,
    and the generation ``settings``."""

    def __init__(self, lfs, *, method: str, classes: list[str], cardinality: int, kind: str,
                 columns: list[str], text_column: str | None, stats: list[dict], settings: dict):
        super().__init__(lfs)
        self.method = method
        self.classes = list(classes)
        self.cardinality = int(cardinality)
        self.kind = kind
        self.columns = list(columns)
        self.text_column = text_column
        self.stats = list(stats)
        self.settings = dict(settings)

    @property
    def readable(self) -> bool:
        """True when every rule can be written as plain code (thresholds, linear models, keywords)."""
        return all(lf.f.__name__ in READABLE and not lf.pre for lf in self)

    def summary(self) -> pd.DataFrame:
        """One row per LF: rule, description, votes, coverage and estimated accuracy on the
        labelled rows (out of fold / leave-one-out where the rule was fitted), coverage on the
        unlabelled rows."""
        cols = ["name", "rule", "description", "classes", "coverage_labeled", "accuracy_labeled",
                "coverage_unlabeled"]
        return pd.DataFrame(self.stats, columns=cols).set_index("name")

    def to_python(self, model_file: str | None = None) -> str:
        from .export import to_python

        return to_python(self, model_file=model_file)

    def save(self, path: str | Path, force: bool = False) -> None:
        """Write the rules as a model file (``.npz``, no pickle; see :func:`load_generated`)."""
        from .export import save_model

        save_model(self, path, force=force)

    def write(self, path: str | Path, *, format: str = "auto", force: bool = False) -> list[Path]:
        """Write ``lfs.py`` for ``weaklabel apply``: plain code when :attr:`readable` (``format``
        ``"auto"`` or ``"python"``), else (or with ``format="model"``) a model file
        ``<stem>_model.npz`` beside it plus a small ``lfs.py`` that loads it. Returns the paths."""
        from .export import write_lfs

        return write_lfs(self, path, format=format, force=force)


def _stats(data: LFData, chosen, lfs, classes) -> list[dict]:
    out = []
    y = data.y
    for c, lf in zip(chosen, lfs):
        cov = c.votes_labeled >= 0
        n = int(cov.sum())
        vu = c.votes_unlabeled
        polarity = sorted({int(v) for v in np.unique(np.concatenate(
            [c.votes_labeled, vu if vu is not None else np.zeros(0, np.int64)])) if v >= 0})
        out.append({
            "name": lf.name, "rule": c.kind, "description": c.describe,
            "classes": ", ".join(classes[k] for k in polarity),
            "coverage_labeled": n / max(len(y), 1),
            "accuracy_labeled": float((c.votes_labeled[cov] == y[cov]).mean()) if n else math.nan,
            "coverage_unlabeled": float((vu >= 0).mean()) if vu is not None and vu.size else math.nan,
        })
    return out


def generate_lfs(X_labeled, y_labeled, method: str = "snuba", *, X_unlabeled=None, classes=None,
                 cardinality: int | None = None, feature_names=None, text_column: str | None = None,
                 max_lfs: int | None = None, min_accuracy: float = 0.6, min_covered: int | None = None,
                 random_state: int = 0, n_threads: int | None = 1) -> GeneratedLFs:
    """Generate labeling functions from labelled rows.

    Parameters
    ----------
    X_labeled:
        The labelled rows: a DataFrame (numeric feature columns are used, or the column
        ``text_column`` for text), a 2-d numeric array (columns named ``feature_names`` or
        ``x0, x1, ...``), or a sequence/Series of texts (column ``text_column`` or ``"text"``).
    y_labeled:
        Their classes, ints ``0..K-1`` (no ``-1``).
    method:
        ``"snuba"``, ``"cluster"`` or ``"knn"`` (see the module docstring).
    X_unlabeled:
        Optional unlabelled rows in the same form (features only; see "What the generators see").
    classes, cardinality:
        Class names (used in LF names) and/or the number of classes K (default ``max(y) + 1``).
    max_lfs:
        At most this many LFs (default 30 for snuba, 12 for cluster, 8 for knn).
    min_accuracy:
        A candidate rule is kept only if the Wilson lower bound (one standard error) of its
        accuracy on the labelled rows it covers reaches this value.
    min_covered:
        ... and it covers at least this many labelled rows (default ``max(3, 2% of them)``).
    random_state:
        Seed for folds, k-means and projections: the same seed gives the same LFs.
    n_threads:
        BLAS/OpenMP threads while generating (default 1: the problems are small, and more
        threads mostly add contention); ``None`` leaves the libraries' defaults.

    Returns
    -------
    GeneratedLFs
        A list of vectorized LabelingFunction objects (possibly empty when no rule passes),
        which read the same columns as ``X_labeled`` from the DataFrame they are applied to.
    """
    if method not in METHODS:
        raise InputError(f"unknown LF generation method {method!r}; choose one of {', '.join(METHODS)}")
    from .checks import max_lfs_arg, number_arg

    max_lfs_arg(max_lfs)
    number_arg(min_accuracy, "min_accuracy")
    if not 0 <= min_accuracy <= 1:
        raise InputError(f"min_accuracy is an accuracy, between 0 and 1; got {min_accuracy}")
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) \
            or not 0 <= int(random_state) < 2 ** 32:
        raise InputError(f"random_state (--seed) must be an integer from 0 to {2 ** 32 - 1}, got {random_state!r}")
    data = prepare(X_labeled, y_labeled, X_unlabeled, classes=classes, cardinality=cardinality,
                   feature_names=feature_names, text_column=text_column)
    n_l = data.n_labeled
    mc = int(min_covered) if min_covered is not None else max(3, math.ceil(0.02 * n_l))
    max_lfs = DEFAULT_MAX_LFS[method] if max_lfs is None else int(max_lfs)
    limits = contextlib.nullcontext()
    if n_threads:
        import sklearn.cluster  # noqa: F401  (load OpenMP/BLAS so that the limit applies to them)
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=int(n_threads))
    views = []
    with limits:
        if method == "snuba":
            from .snuba import candidates

            cands = candidates(data, min_accuracy, mc, random_state)
        else:
            from .neighbors import cluster_candidates, fit_views, knn_candidates

            views = fit_views(data, random_state)
            cands = (cluster_candidates(data, views, random_state) if method == "cluster"
                     else knn_candidates(data, views))
        kept = gate(cands, data.y, min_accuracy, mc)
        chosen = select(kept, data.y, data.cardinality, max_lfs)
    pres: list[Preprocessor] = [v.pre for v in views]
    lfs: list[LabelingFunction] = to_lfs(chosen, pres)
    settings = {"method": method, "max_lfs": max_lfs, "min_accuracy": min_accuracy, "min_covered": mc,
                "random_state": random_state, "n_labeled": n_l,
                "n_unlabeled": 0 if data.unlabeled is None else len(data.unlabeled),
                "candidates": len(cands), "passed_gate": len(kept)}
    return GeneratedLFs(lfs, method=method, classes=data.classes, cardinality=data.cardinality,
                        kind=data.kind, columns=data.columns, text_column=data.text_column,
                        stats=_stats(data, chosen, lfs, data.classes), settings=settings)


def load_generated(path: str | Path) -> GeneratedLFs:
    """Load LFs saved by :meth:`GeneratedLFs.save` (validated; only known rule functions)."""
    from .export import load_model

    return load_model(path)


__all__ = ["METHODS", "GeneratedLFs", "generate_lfs", "load_generated"]
