"""Snuba-style LF generation: small models on one or two features, each abstaining below a
confidence threshold tuned on the labelled rows, then pruned for accuracy and diversity.

Families of candidate heuristics (all readable as code):

* **thresholds** (numeric data): ``feature > t -> class`` or ``feature <= t -> class``; for each
  feature, class and direction, the threshold with the best F1 for that class on the labelled
  rows (thresholds sit between two labelled values and are rounded to few digits);
* **pair models** (numeric data): a logistic regression on each pair of the most informative
  features (ANOVA F on the labelled rows); it votes its most probable class when that
  probability reaches a threshold chosen on out-of-fold predictions to maximise
  ``coverage * (2 * accuracy - 1)``, the net number of correct votes; accuracies are estimated
  out of fold too;
* **keywords** (text): ``text contains word -> class`` for every word seen in at least two
  labelled texts, and **length** thresholds on the number of words (``<= t`` or ``> t``),
  chosen like the feature thresholds.

Candidates must reach a minimum accuracy (Wilson lower bound) on enough labelled rows; the
greedy selection in :func:`weaklabel.autolf._base.select` then favours rules that fix the
labelled rows the chosen rules get wrong or leave uncovered (Snuba's verifier feedback) and
that cover new unlabelled rows, and drops near duplicates.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ._base import Candidate, LFData, number_slug, short_float, slug, wilson_lower
from .keywords import exact_hits
from .rules import TOKEN_PATTERN, keyword_rule, length_rule, linear_rule, threshold_rule, word_count


def _class_slug(data: LFData, k: int) -> str:
    s = slug(data.classes[k], 20)
    return "c" + s[1:] if s.startswith("v") and s[1:2].isdigit() else s


# --------------------------------------------------------------------------- thresholds
def best_thresholds(x: np.ndarray, y: np.ndarray, K: int, min_accuracy: float,
                    min_covered: int) -> list[tuple[str, float, int]]:
    """For each class and direction, the threshold on ``x`` with the best F1 for that class
    among those passing the gate: ``[(op, threshold, class), ...]``."""
    ok = np.isfinite(x)
    if ok.sum() < 2 * min_covered:
        return []
    onehot = np.eye(K)[y[ok]]
    P = onehot.sum(axis=0)
    order = np.argsort(x[ok], kind="stable")
    xs, Ys = x[ok][order], onehot[order]
    n = xs.size
    cum = np.vstack([np.zeros((1, K)), np.cumsum(Ys, axis=0)])      # cum[s] = counts in xs[:s]
    s = np.arange(1, n)
    boundary = xs[s - 1] < xs[s]
    out = []
    if not boundary.any():
        return out
    for op in ("<=", ">"):
        if op == "<=":
            tp, cov = cum[s], s.astype(float)
        else:
            tp, cov = cum[n] - cum[s], (n - s).astype(float)
        lb = wilson_lower(tp, cov[:, None])
        f1 = 2 * tp / (cov[:, None] + P[None, :])
        good = boundary[:, None] & (cov[:, None] >= min_covered) & (lb >= min_accuracy)
        f1 = np.where(good, f1, -np.inf)
        for k in range(K):
            i = int(np.argmax(f1[:, k]))
            if np.isfinite(f1[i, k]):
                cut = int(s[i])
                out.append((op, short_float(float(xs[cut - 1]), float(xs[cut])), k))
    return out


def threshold_candidates(data: LFData, min_accuracy: float, min_covered: int) -> list[Candidate]:
    X, y, K = data.numeric("labeled"), data.y, data.cardinality
    out = []
    for j, col in enumerate(data.columns):
        for op, t, k in best_thresholds(X[:, j], y, K, min_accuracy, min_covered):
            res = {"column": col, "op": op, "threshold": t, "label": k}
            votes = threshold_rule(data.labeled, **res)
            vu = threshold_rule(data.unlabeled, **res) if data.unlabeled is not None else None
            word = "gt" if op == ">" else "le"
            out.append(Candidate(
                name=f"{slug(col, 24)}_{word}_{number_slug(t)}_{_class_slug(data, k)}",
                rule=threshold_rule, resources=res, votes_labeled=votes, votes_unlabeled=vu,
                kind="threshold", describe=f"{col} {op} {t:g} -> {data.classes[k]}"))
    return out


def length_candidates(data: LFData, min_accuracy: float, min_covered: int) -> list[Candidate]:
    """Thresholds on the number of words of a text (short comments, long reviews, ...)."""
    col = data.text_column
    x = word_count(data.labeled, col)
    out = []
    for op, t, k in best_thresholds(x, data.y, data.cardinality, min_accuracy, min_covered):
        res = {"column": col, "op": op, "threshold": t, "label": k}
        votes = length_rule(data.labeled, **res)
        vu = length_rule(data.unlabeled, **res) if data.unlabeled is not None else None
        word = "gt" if op == ">" else "le"
        out.append(Candidate(
            name=f"words_{word}_{number_slug(t)}_{_class_slug(data, k)}", rule=length_rule, resources=res,
            votes_labeled=votes, votes_unlabeled=vu, kind="length",
            describe=f"number of words in {col} {op} {t:g} -> {data.classes[k]}"))
    return out


# --------------------------------------------------------------------------- pair models
def _top_features(X: np.ndarray, y: np.ndarray, n_top: int) -> list[int]:
    from sklearn.feature_selection import f_classif

    if np.unique(y).size < 2:
        return []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        Xf = np.where(np.isfinite(X), X, np.nanmean(np.where(np.isfinite(X), X, np.nan), axis=0))
        F, _ = f_classif(np.nan_to_num(Xf), y)
    F = np.nan_to_num(F, nan=0.0, posinf=0.0)
    order = np.lexsort((np.arange(F.size), -F))
    return [int(j) for j in order[:n_top] if F[j] > 0]


def softmax_fit(Z: np.ndarray, y: np.ndarray, classes: np.ndarray, l2: float = 1.0,
                max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by Newton's method (small problems: a few features).

    Minimises the summed log-loss plus ``l2 / 2`` times the squared weights (biases are not
    penalised; a tiny ridge keeps the over-parameterised softmax well posed). Returns
    ``(weights (C, d), bias (C,))`` for ``classes`` (the labels present in ``y``).
    """
    n, d = Z.shape
    C = classes.size
    Xb = np.hstack([Z, np.ones((n, 1))])
    Y = (y[:, None] == classes[None, :]).astype(float)
    W = np.zeros((C, d + 1))
    pen = np.full(d + 1, l2)
    pen[-1] = 1e-6
    pen_flat = np.tile(pen, C)

    def loss(W):
        logits = Xb @ W.T
        m = logits.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
        return float((lse - (logits * Y).sum(axis=1)).sum() + 0.5 * (pen_flat * W.ravel() ** 2).sum())

    f = loss(W)
    for _ in range(max_iter):
        logits = Xb @ W.T
        logits -= logits.max(axis=1, keepdims=True)
        P = np.exp(logits)
        P /= P.sum(axis=1, keepdims=True)
        G = (P - Y).T @ Xb + pen[None, :] * W                     # (C, d+1)
        # Hessian blocks: sum_i (diag(p_i) - p_i p_i^T)[k, l] * x_i x_i^T
        S = np.einsum("ik,kl->ikl", P, np.eye(C)) - np.einsum("ik,il->ikl", P, P)
        H = np.einsum("ikl,ia,ib->kalb", S, Xb, Xb).reshape(C * (d + 1), C * (d + 1))
        H[np.diag_indices_from(H)] += pen_flat
        step = np.linalg.solve(H, G.ravel()).reshape(C, d + 1)
        t = 1.0
        while True:
            W_new = W - t * step
            f_new = loss(W_new)
            if f_new <= f - 1e-4 * t * float((G * step).sum()) or t < 1e-6:
                break
            t *= 0.5
        done = abs(f - f_new) <= 1e-10 * max(1.0, abs(f))
        W, f = W_new, f_new
        if done:
            break
    return W[:, :d], W[:, d]


def _softmax_predict(Z: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    logits = Z @ W.T + b
    logits -= logits.max(axis=1, keepdims=True)
    P = np.exp(logits)
    return P / P.sum(axis=1, keepdims=True)


def _best_confidence(conf: np.ndarray, pred: np.ndarray, y: np.ndarray, min_accuracy: float,
                     min_covered: int) -> float | None:
    """The confidence threshold maximising net correct votes among those passing the gate."""
    best, best_val = None, 0.0
    for beta in np.unique(np.round(conf, 6)):
        cov = conf >= beta
        n = int(cov.sum())
        if n < min_covered:
            continue
        correct = int((pred[cov] == y[cov]).sum())
        if wilson_lower(correct, n) < min_accuracy:
            continue
        val = 2 * correct - n
        if val > best_val:
            best, best_val = float(beta), val
    return best


def pair_candidates(data: LFData, min_accuracy: float, min_covered: int, random_state: int,
                    n_top: int = 8) -> list[Candidate]:
    from sklearn.model_selection import StratifiedKFold

    X, y = data.numeric("labeled"), data.y
    present, counts = np.unique(y, return_counts=True)
    if present.size < 2 or X.shape[1] < 2:
        return []
    n_folds = int(min(4, counts.min()))
    if n_folds < 2:
        return []
    top = _top_features(X, y, n_top)
    out = []
    folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=random_state).split(X, y))
    for a, b in itertools.combinations(sorted(top), 2):
        cols = [data.columns[a], data.columns[b]]
        Xp = X[:, [a, b]]
        if not np.isfinite(Xp).all():
            continue
        mu, sd = Xp.mean(axis=0), Xp.std(axis=0)
        if np.any(sd == 0):
            continue
        Z = (Xp - mu) / sd
        oof = np.zeros((len(y), present.size))
        for tr, te in folds:
            cls = np.unique(y[tr])
            W, c = softmax_fit(Z[tr], y[tr], cls)
            oof[np.ix_(te, np.searchsorted(present, cls))] = _softmax_predict(Z[te], W, c)
        conf = oof.max(axis=1)
        pred = present[oof.argmax(axis=1)]
        beta = _best_confidence(conf, pred, y, min_accuracy, min_covered)
        if beta is None:
            continue
        W, c = softmax_fit(Z, y, present)
        W_raw = W / sd[None, :]                  # fold the standardisation into the weights
        b_raw = c - W_raw @ mu
        res = {"columns": cols, "weights": [[float(v) for v in row] for row in W_raw],
               "bias": [float(v) for v in b_raw], "labels": [int(v) for v in present],
               "min_confidence": round(beta, 6)}
        votes = np.where(conf >= beta, pred, -1).astype(np.int64)    # out-of-fold: honest estimate
        vu = linear_rule(data.unlabeled, **res) if data.unlabeled is not None else None
        out.append(Candidate(name=f"lr_{slug(cols[0], 18)}_{slug(cols[1], 18)}", rule=linear_rule,
                             resources=res, votes_labeled=votes, votes_unlabeled=vu, kind="linear",
                             describe=f"logistic regression on {cols[0]}, {cols[1]}; votes when p >= {beta:.3f}"))
    return out


# --------------------------------------------------------------------------- keywords
def keyword_candidates(data: LFData, min_accuracy: float, min_covered: int) -> list[Candidate]:
    from sklearn.feature_extraction.text import CountVectorizer

    y, K = data.y, data.cardinality
    cv = CountVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True, binary=True,
                         min_df=min(2, max(1, min_covered)))
    try:
        B = cv.fit_transform(data.texts("labeled")).tocsc()
    except ValueError:          # empty vocabulary
        return []
    vocab = cv.get_feature_names_out()
    onehot = np.eye(K)[y]
    tp = np.asarray(B.T @ onehot)                       # (V, K)
    cov = np.asarray(B.sum(axis=0)).ravel()[:, None]    # (V, 1)
    lb = wilson_lower(tp, np.broadcast_to(cov, tp.shape))
    ok = (cov >= min_covered) & (lb >= min_accuracy)
    pairs = [(str(vocab[v]), int(k)) for v, k in zip(*np.nonzero(ok))]
    # the rows each keyword rule votes on as written (keyword_lf), not as the bag of words saw them
    # (non-ASCII text: .keywords); a rule that no longer passes the gate there is dropped
    hits = exact_hits(data.labeled, data.text_column, data.texts("labeled"), sorted({w for w, _ in pairs}), cv, B)
    passing = []
    for word, k in pairs:
        n = int(hits[word].sum())
        if n >= min_covered and wilson_lower(int((y[hits[word]] == k).sum()), n) >= min_accuracy:
            passing.append((word, k))
    hits_u = None
    if data.unlabeled is not None:
        hits_u = exact_hits(data.unlabeled, data.text_column, data.texts("unlabeled"),
                            sorted({w for w, _ in passing}), cv)
    out = []
    for word, k in passing:
        votes = np.where(hits[word], k, -1).astype(np.int64)
        vu = np.where(hits_u[word], k, -1).astype(np.int64) if hits_u is not None else None
        res = {"column": data.text_column, "words": [word], "label": int(k)}
        out.append(Candidate(name=f"kw_{slug(word, 24)}_{_class_slug(data, k)}", rule=keyword_rule,
                             resources=res, votes_labeled=votes, votes_unlabeled=vu, kind="keyword",
                             describe=f"'{word}' in {data.text_column} -> {data.classes[k]}"))
    return out


def candidates(data: LFData, min_accuracy: float, min_covered: int, random_state: int) -> list[Candidate]:
    if data.kind == "text":
        return (keyword_candidates(data, min_accuracy, min_covered)
                + length_candidates(data, min_accuracy, min_covered))
    return (threshold_candidates(data, min_accuracy, min_covered)
            + pair_candidates(data, min_accuracy, min_covered, random_state))
