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
  out of fold too. A class with a single labelled row cannot be checked out of fold: the pair
  models leave it out (they never vote it; its row still counts in their accuracy) and keep
  the other classes, with a warning;
* **keywords** (text): ``text contains word -> class`` for every word seen in at least two
  labelled texts, and **length** thresholds on the number of words (``<= t`` or ``> t``),
  chosen like the feature thresholds.

Candidates must reach a minimum accuracy (Wilson lower bound) on enough labelled rows, and beat
the same votes cast at random (the share of the class voted: on 87% ham, `-> ham` everywhere is
right 87% of the time and says nothing); the greedy selection in :func:`weaklabel.autolf._base.select` then favours rules that fix the
labelled rows the chosen rules get wrong or leave uncovered (Snuba's verifier feedback) and
that cover new unlabelled rows, and drops near duplicates.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ._base import Candidate, LFData, class_shares, number_slug, short_float, slug, wilson_lower
from .keywords import exact_hits
from .rules import TOKEN_PATTERN, keyword_rule, length_rule, linear_rule, threshold_rule, word_count


def _class_slug(data: LFData, k: int) -> str:
    s = slug(data.classes[k], 20)
    return "c" + s[1:] if s.startswith("v") and s[1:2].isdigit() else s


# --------------------------------------------------------------------------- thresholds
def best_thresholds(x: np.ndarray, y: np.ndarray, K: int, min_accuracy: float,
                    min_covered: int) -> list[tuple[str, float, int]]:
    """For each class and direction, the threshold on ``x`` with the best F1 for that class
    among those passing the gate (:func:`._base.gate`: above the class's share of the labelled
    rows too, else the best F1 of the majority class was the threshold below every row):
    ``[(op, threshold, class), ...]``."""
    ok = np.isfinite(x)
    if ok.sum() < 2 * min_covered:
        return []
    share = class_shares(y, K)
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
        good = boundary[:, None] & (cov[:, None] >= min_covered) & (lb >= min_accuracy) & (lb > share[None, :])
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
                     min_covered: int, share: np.ndarray | None = None) -> float | None:
    """The confidence threshold maximising net correct votes among those passing the gate
    (with ``share``, each class's share of the labelled rows: more accurate than the same votes
    at random, as :func:`._base.gate` asks).

    Thresholds are the distinct confidences (to 6 decimals), the lowest first, and a later one
    replaces the best only with more net correct votes. The rows and correct votes at or above
    each threshold are counted from one sort (a scan of every row per threshold was quadratic in
    the labelled rows: ~2.5 s a pair model at 20,000 rows)."""
    betas = np.unique(np.round(conf, 6))
    betas = betas[~np.isnan(betas)]
    known = ~np.isnan(conf)                      # NaN is at or above no threshold
    order = np.argsort(conf[known], kind="stable")
    sorted_conf = conf[known][order]
    right = (pred[known] == y[known])[order].astype(np.int64)
    above = np.concatenate([np.cumsum(right[::-1])[::-1], [0]])    # correct votes from position i on
    start = np.searchsorted(sorted_conf, betas, side="left")         # first row with conf >= beta
    n = sorted_conf.size - start
    correct = above[start]
    ok = (n >= min_covered) & (wilson_lower(correct, n) >= min_accuracy)
    if share is not None:     # the accuracy of the votes at or above each threshold cast at random
        chance = np.concatenate([np.cumsum(share[pred[known]][order][::-1])[::-1], [0.0]])[start]
        ok &= wilson_lower(correct, n) * n > chance
    val = np.where(ok, 2 * correct - n, 0)
    if not ok.any() or val.max() <= 0:
        return None
    return float(betas[int(np.argmax(val))])     # the first (lowest) of equally good thresholds


MIN_PAIR_ROWS = 2
"""Labelled rows a class needs to take part in the pair models: their accuracy is estimated out
of fold, so each class must have rows in two folds at least."""


def pair_classes(data: LFData) -> tuple[np.ndarray, np.ndarray]:
    """The classes the pair models learn (``>= MIN_PAIR_ROWS`` labelled rows) and their counts.
    A class with fewer rows is left out of them (they never vote it) rather than switching the
    pair models off for every class; :func:`pair_candidates` warns which."""
    present, counts = np.unique(data.y, return_counts=True)
    enough = counts >= MIN_PAIR_ROWS
    return present[enough], counts[enough]


def _few_rows_note(data: LFData, labels: np.ndarray) -> str | None:
    present, counts = np.unique(data.y, return_counts=True)
    few = [(int(k), int(c)) for k, c in zip(present, counts) if k not in labels]
    if not few:
        return None
    names = ", ".join(f"{data.classes[k]!r} ({c} labelled row{'s' if c != 1 else ''})" for k, c in few)
    what = "class" if len(few) == 1 else "classes"
    if labels.size < 2:
        return (f"no pair rules (logistic regressions on two features): they need {MIN_PAIR_ROWS} labelled rows of "
                f"two classes at least to estimate their accuracy out of fold, and {what} {names} "
                f"{'has' if len(few) == 1 else 'have'} fewer; label more rows of {'it' if len(few) == 1 else 'them'}")
    return (f"pair rules (logistic regressions on two features) leave out {what} {names}: they need "
            f"{MIN_PAIR_ROWS} labelled rows of a class to estimate their accuracy out of fold, so they never vote "
            f"{'it' if len(few) == 1 else 'them'} (the other classes keep theirs); label more rows of "
            f"{'it' if len(few) == 1 else 'them'} for pair rules that do")


def pair_candidates(data: LFData, min_accuracy: float, min_covered: int, random_state: int,
                    n_top: int = 8) -> list[Candidate]:
    """Logistic regressions on pairs of features, over the classes with at least
    :data:`MIN_PAIR_ROWS` labelled rows (:func:`pair_classes`). The rows of the other classes
    are never trained on; their votes, counted in the accuracy like any other row's, are the
    rule's own (a model fitted without them)."""
    from sklearn.model_selection import StratifiedKFold

    X, y = data.numeric("labeled"), data.y
    if X.shape[1] < 2:
        return []
    labels, counts = pair_classes(data)
    note = _few_rows_note(data, labels)
    if note:
        warnings.warn(note, UserWarning, stacklevel=4)   # the caller of generate_lfs
    if labels.size < 2:
        return []
    n_folds = int(min(4, counts.min()))
    train = np.flatnonzero(np.isin(y, labels))
    rest = np.flatnonzero(~np.isin(y, labels))           # rows of the classes left out
    top = _top_features(X[train], y[train], n_top)
    out = []
    folds = [(train[tr], train[te]) for tr, te in
             StratifiedKFold(n_folds, shuffle=True, random_state=random_state).split(X[train], y[train])]
    for a, b in itertools.combinations(sorted(top), 2):
        cols = [data.columns[a], data.columns[b]]
        Xp = X[:, [a, b]]
        # rows with a missing value: the rule abstains there, so it is fitted and scored on the
        # others (one NaN among the labelled rows kept a feature out of every pair before)
        given = ~np.isnan(Xp).any(axis=1)
        fit_rows = train[given[train]]
        if np.isinf(Xp[given]).any() or not np.isin(labels, y[fit_rows]).all() \
                or min(np.isin(y[fit_rows], k).sum() for k in labels) < MIN_PAIR_ROWS:
            continue
        mu, sd = Xp[given].mean(axis=0), Xp[given].std(axis=0)
        if np.any(sd == 0):
            continue
        Z = np.where(given[:, None], (Xp - mu) / np.where(sd > 0, sd, 1.0), 0.0)
        oof = np.zeros((len(y), labels.size))
        for tr, te in folds:
            tr, te = tr[given[tr]], te[given[te]]
            cls = np.unique(y[tr])
            if cls.size < 2:
                continue        # its rows keep no vote (conf NaN below)
            W, c = softmax_fit(Z[tr], y[tr], cls)
            oof[np.ix_(te, np.searchsorted(labels, cls))] = _softmax_predict(Z[te], W, c)
        scored = given & (oof.sum(axis=1) > 0)
        model = None
        if rest.size:      # never trained on: the rule's own votes are out of sample
            model = softmax_fit(Z[fit_rows], y[fit_rows], labels)
            oof[rest] = _softmax_predict(Z[rest], *model)
            scored[rest] = given[rest]
        conf = np.where(scored, oof.max(axis=1), np.nan)    # NaN: never at or above a threshold
        pred = labels[oof.argmax(axis=1)]
        beta = _best_confidence(conf, pred, y, min_accuracy, min_covered, class_shares(y, data.cardinality))
        if beta is None:
            continue
        W, c = model if model is not None else softmax_fit(Z[fit_rows], y[fit_rows], labels)
        W_raw = W / sd[None, :]                  # fold the standardisation into the weights
        b_raw = c - W_raw @ mu
        res = {"columns": cols, "weights": [[float(v) for v in row] for row in W_raw],
               "bias": [float(v) for v in b_raw], "labels": [int(v) for v in labels],
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
