"""End models: the classifier trained on probabilistic labels, and the baselines it must beat.

* Features (learned without labels, on the training split): numeric tasks are standardised
  (missing values at the mean); text tasks use TF-IDF of words and word pairs (sub-linear term
  frequency, terms seen in at least two training texts). Label propagation, which needs a small
  dense space, uses the standardised features or a 100-dimensional LSA of the TF-IDF.
* The end model is a multinomial logistic regression. Its regularisation ``C`` is chosen once per
  task and seed by 3-fold cross-validation on the labelled rows (grid 0.1, 1, 10, 100) and used
  both for the supervised baseline and for the end model trained on weak labels, so neither side
  gets a tuning advantage. Probabilistic labels are used as they are: each row enters once per
  class with the class probability as sample weight, which minimises the expected
  cross-entropy under the label model's distribution.
"""

from __future__ import annotations

import warnings

import numpy as np

from .datasets import Dataset

END_C = 1.0
C_GRID = (0.1, 1.0, 10.0, 100.0)


class TaskFeatures:
    """End-model and label-propagation features of a task's train and test splits (cached)."""

    def __init__(self, ds: Dataset, random_state: int = 0):
        self.ds = ds
        self.random_state = random_state
        self._end = None
        self._dense = None

    def end(self):
        if self._end is None:
            tr, te = self.ds.train.features, self.ds.test.features
            if self.ds.text_column:
                from sklearn.feature_extraction.text import TfidfVectorizer

                from ..autolf.rules import TOKEN_PATTERN

                tv = TfidfVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True, sublinear_tf=True,
                                     min_df=2, ngram_range=(1, 2), max_features=50000, dtype=np.float64)
                col = self.ds.text_column
                E_tr = tv.fit_transform(tr[col].fillna("").astype(str))
                E_te = tv.transform(te[col].fillna("").astype(str))
            else:
                X_tr = tr.to_numpy(dtype=float)
                X_te = te.to_numpy(dtype=float)
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    mu = np.nan_to_num(np.nanmean(X_tr, axis=0))
                    sd = np.nan_to_num(np.nanstd(X_tr, axis=0))
                sd = np.where(sd > 0, sd, 1.0)
                E_tr = np.nan_to_num((X_tr - mu) / sd)
                E_te = np.nan_to_num((X_te - mu) / sd)
            self._end = (E_tr, E_te)
        return self._end

    def dense(self):
        if self._dense is None:
            E_tr, E_te = self.end()
            if self.ds.text_column:
                from sklearn.decomposition import TruncatedSVD
                from sklearn.preprocessing import normalize

                p = max(2, min(100, min(E_tr.shape) - 2))
                svd = TruncatedSVD(n_components=p, random_state=self.random_state).fit(E_tr)
                self._dense = (normalize(svd.transform(E_tr)), normalize(svd.transform(E_te)))
            else:
                self._dense = (E_tr, E_te)
        return self._dense


def fit_soft(X, P: np.ndarray, random_state: int = 0, C: float = END_C):
    """Logistic regression on probabilistic targets ``P`` (n, K): one weighted copy of each row per
    class with positive probability. Returns the fitted model (classes are those with weight)."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    P = np.asarray(P, dtype=float)
    rows, cls = np.nonzero(P > 0)
    w = P[rows, cls]
    Xr = X[rows] if not sparse.issparse(X) else X.tocsr()[rows]
    model = LogisticRegression(C=C, max_iter=1000, random_state=random_state)
    if np.unique(cls).size < 2:
        return _Constant(int(cls[0]) if cls.size else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # convergence warnings on tiny sets are not errors here
        model.fit(Xr, cls, sample_weight=w)
    return model


class _Constant:
    """A 'model' for training targets with a single class."""

    def __init__(self, k: int):
        self.classes_ = np.array([k])

    def predict_proba(self, X):
        return np.ones((X.shape[0], 1))


def choose_C(X, y: np.ndarray, K: int, random_state: int = 0, grid=C_GRID) -> float:
    """The ``C`` with the best 3-fold cross-validated accuracy on ``(X, y)`` (the smallest on ties;
    ``END_C`` when a class has fewer than two rows)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y, dtype=np.int64)
    _, counts = np.unique(y, return_counts=True)
    if counts.size < 2 or counts.min() < 2:
        return END_C
    folds = list(StratifiedKFold(int(min(3, counts.min())), shuffle=True, random_state=random_state).split(
        np.zeros(y.size), y))
    best, best_acc = END_C, -1.0
    for C in grid:
        correct = 0
        for tr, te in folds:
            m = fit_soft(X[tr], one_hot(y[tr], K), random_state, C=C)
            correct += int((predict_proba(m, X[te], K).argmax(axis=1) == y[te]).sum())
        acc = correct / y.size
        if acc > best_acc + 1e-12:
            best, best_acc = C, acc
    return float(best)


def predict_proba(model, X, K: int) -> np.ndarray:
    """``(n, K)`` probabilities, zero for classes the model never saw."""
    p = model.predict_proba(X)
    out = np.zeros((X.shape[0], K))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = p
    return out


def one_hot(y: np.ndarray, K: int) -> np.ndarray:
    return np.eye(K)[np.asarray(y, dtype=np.int64)]


def label_propagation(D_train: np.ndarray, y_partial: np.ndarray, D_test: np.ndarray,
                      n_neighbors: int = 10) -> np.ndarray:
    """Label spreading over a k-NN graph of the training rows (labels only on the labelled rows);
    test rows get the class their neighbours spread. Returns hard test labels."""
    from sklearn.semi_supervised import LabelSpreading

    ls = LabelSpreading(kernel="knn", n_neighbors=min(n_neighbors, D_train.shape[0] - 1), alpha=0.2, max_iter=100)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # rows the graph does not connect to any label get an all-zero distribution (a
        # 0/0 inside scikit-learn); they fall to the first class, counted as the errors they are
        warnings.simplefilter("ignore")
        ls.fit(D_train, y_partial)
        return np.asarray(ls.predict(D_test), dtype=np.int64)


def metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    """Accuracy and macro-F1 over all rows (classes present in ``y`` or ``pred``); the shared
    definitions of :mod:`weaklabel.metrics`."""
    from ..metrics import accuracy_f1

    return accuracy_f1(y, pred)


__all__ = ["TaskFeatures", "choose_C", "fit_soft", "predict_proba", "one_hot", "label_propagation", "metrics"]
