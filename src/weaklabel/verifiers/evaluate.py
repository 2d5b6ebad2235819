"""Scoring a selection against gold labels, side by side with the baselines.

With a ``correct`` column, questions are split into a small **dev** set (``dev_frac`` of the
labelled questions, seeded: used to pick the best single verifier, the class balance for the
thresholds and the semi-supervised fit) and the **evaluation** questions, on which every method
is scored: the dev questions never count in the reported figures.

Methods (Select@1 = accuracy of the candidate chosen per question):

* ``label model``: the selector's P(correct) (with final answers: pooled per answer), and
  ``label model, no answer pooling``: each candidate's own;
* ``pass@1``: the first candidate; ``pass@k``: any correct candidate (the ceiling);
* ``majority answer``: a candidate with the most common final answer (``answer`` column);
* ``mean score``: the mean of the normalised scores of all verifiers;
* ``best single verifier``: the verifier with the best Select@1 on the dev questions;
* ``oracle-weighted``: naive Bayes over all verifiers' normalised scores with the weights their
  true accuracies imply (fitted with the labels of the evaluation questions themselves): the
  best a conditionally independent ensemble can do with the true verifier accuracies; with
  final answers pooled per answer like the label model (and ``..., no answer pooling``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from .data import ScoreData
from .draws import candidate_keys, question_keys
from .metrics import answer_support, first_candidates, pass_at_k, top_candidates, within_question_auc
from .mixture import ScoreMixture
from .normalise import Normaliser


def labelled_questions(data: ScoreData) -> np.ndarray:
    """Per question: every candidate has a known label (0/1)."""
    if data.correct is None:
        return np.zeros(data.n_questions, dtype=bool)
    known = (data.correct >= 0).astype(float)
    return data.groups.min(known) > 0


def split_dev(data: ScoreData, dev_frac: float, seed: int = 0) -> np.ndarray:
    """Per question: whether it is a dev question. ``dev_frac`` of the fully labelled questions,
    at least one when ``dev_frac > 0`` and there are at least two of them: those with the smallest
    seeded keys of their ids (:func:`~weaklabel.verifiers.draws.question_keys`), so the same
    questions in another row order are split alike (drawn among question codes, numbered in order
    of first appearance, they were not)."""
    if not 0 <= dev_frac < 1:
        raise InputError(f"--dev-frac must be in [0, 1), got {dev_frac}")
    lab = np.flatnonzero(labelled_questions(data))
    dev = np.zeros(data.n_questions, dtype=bool)
    if dev_frac <= 0 or lab.size < 2:
        return dev
    k = int(min(max(1, round(dev_frac * lab.size)), lab.size - 1))
    key = question_keys(data, seed, "dev")[lab]
    dev[lab[np.argsort(key, kind="stable")[:k]]] = True
    return dev


def dev_labels(data: ScoreData, dev_q: np.ndarray) -> np.ndarray | None:
    """``y`` for :meth:`VerifierSelector.fit`: the labels of dev candidates, -1 elsewhere."""
    if data.correct is None or not dev_q.any():
        return None
    return np.where(dev_q[data.codes], data.correct, -1).astype(np.int64)


@dataclass
class Evaluation:
    methods: pd.DataFrame                      # method, select_at_1
    verifiers: pd.DataFrame                    # per verifier: estimated and true quality
    n_eval: int = 0
    n_dev: int = 0
    best_single: str | None = None
    notes: list[str] = field(default_factory=list)

    def score(self, method: str) -> float:
        row = self.methods[self.methods["method"] == method]
        return float(row["select_at_1"].iloc[0]) if len(row) else float("nan")

    def to_dict(self) -> dict:
        def clean(v):
            return None if isinstance(v, float) and not np.isfinite(v) else v
        return {"eval_questions": self.n_eval, "dev_questions": self.n_dev, "best_single_verifier": self.best_single,
                "methods": [{k: clean(v) for k, v in r.items()} for r in self.methods.to_dict(orient="records")],
                "notes": self.notes}


def _select_at_1(score, data: ScoreData, mask_q: np.ndarray, tie: np.ndarray) -> float:
    top = top_candidates(score, data.groups, tie=tie)
    return float(data.correct[top][mask_q].mean()) if mask_q.any() else float("nan")


def _selected_at_1(selected: np.ndarray, data: ScoreData, mask_q: np.ndarray) -> float:
    """Select@1 of a selection mask (one ``True`` per question) on the questions ``mask_q``."""
    top = np.flatnonzero(selected)
    keep = mask_q[data.codes[top]]
    return float(data.correct[top][keep].mean()) if keep.any() else float("nan")


def oracle_scores(data: ScoreData, mask_q: np.ndarray, pool_answers: bool = True) -> np.ndarray:
    """P(correct) from naive Bayes over every verifier with the weights its true accuracy implies:
    the diagonal :class:`ScoreMixture` fitted with the labels of the questions in ``mask_q``
    (NaN for the other candidates). With final answers and ``pool_answers``, pooled per answer
    like the selector's, with the within-answer correlation measured on the same labels."""
    from scipy.special import logit

    from .answers import answer_icc, evidence_from_proba, pooled_log_odds, proba_from_log_odds

    sub = data.take_questions(mask_q)
    N = Normaliser("quantile", "global", output="normal").fit_transform(sub.scores, sub.groups)
    model = ScoreMixture(covariance="diag").fit(N, sub.groups, y=sub.correct.astype(np.int64))
    p, qprior = model.predict_proba(N, sub.groups, return_prior=True)
    if pool_answers and sub.answers is not None:
        prior_logit = sub.groups.broadcast(logit(np.clip(qprior, 1e-6, 1 - 1e-6)))
        ev = evidence_from_proba(p, prior_logit)
        rho = answer_icc(ev, sub.answers, sub.correct)
        p = proba_from_log_odds(pooled_log_odds(ev, prior_logit, sub.answers, rho if np.isfinite(rho) else 0.5))
    out = np.full(data.n_rows, np.nan)
    out[np.flatnonzero(mask_q[data.codes])] = p
    return out


def evaluate(selector, data: ScoreData, proba: np.ndarray, dev_q: np.ndarray, seed: int = 0,
             oracle: bool = True, selected: np.ndarray | None = None) -> Evaluation:
    """Select@1 of the selector and the baselines on the labelled non-dev questions, and each
    verifier's estimated vs true quality (see module docstring).

    The ``label model`` line scores ``selected`` (one flag per candidate) when given, else
    ``selector.select(data)``: the choice ``select`` writes, made on the log-odds. It is not
    re-derived from ``proba``, whose values saturate at 0 and 1 (two answers with log-odds above
    about 37 tie there) and whose ties among one answer's candidates would skip the candidates'
    own evidence. ``pass@1`` is each question's first candidate in the file
    (``data.positions``)."""
    if data.correct is None:
        raise InputError("evaluation needs a correct column")
    eval_q = labelled_questions(data) & ~dev_q
    if not eval_q.any():
        raise InputError("no fully labelled question is left for evaluation outside the dev set")
    g = data.groups
    correct = data.correct
    rows = []
    notes = []
    tie = candidate_keys(data, seed)         # the baselines' ties: keyed on the ids, not the row order
    partly = int(((g.max((correct >= 0).astype(float)) > 0) & ~labelled_questions(data)).sum())
    if partly:   # left out, not scored as misses: say so, or the header's count looks like every labelled one
        notes.append(f"{partly:,} question{'s' * (partly > 1)} with some candidates unlabelled (empty correct "
                     f"column) {'are' if partly > 1 else 'is'} left out of the evaluation")

    def add(name, score=None, value=None):
        v = value if value is not None else _select_at_1(score, data, eval_q, tie)
        rows.append({"method": name, "select_at_1": v})

    add("pass@1", value=float(correct[first_candidates(g, data.positions)][eval_q].mean()))
    # the majority answer needs final answers: without any (no answer column, or every answer of
    # the evaluation questions missing) its "choice" is a seeded draw, not a baseline: null, said once
    answered = None if data.answers is None else g.max((data.answers >= 0).astype(float)) > 0
    if answered is None or not (answered & eval_q).any():
        add("majority answer", value=float("nan"))
        notes.append("majority answer: needs the candidates' final answers (--answer-col)" if answered is None else
                     "majority answer: no candidate of an evaluation question has a final answer (the answer "
                     "column is empty there); not computed")
    else:
        add("majority answer", answer_support(data.answers))
        unanswered = int((eval_q & ~answered).sum())
        if unanswered:
            notes.append(f"majority answer: {unanswered:,} evaluation question{'s' * (unanswered > 1)} without "
                         f"any final answer {'count' if unanswered > 1 else 'counts'} a seeded draw among "
                         f"{'their' if unanswered > 1 else 'its'} candidates")
    X = selector.score_columns(data)   # a dropped verifier's column may be absent (all missing)
    U = selector.normaliser_.transform(X, g)
    if selector.normaliser_.output == "normal":
        U = Normaliser(selector.normaliser_.method, selector.normaliser_.scope).fit_transform(X, g)
    add("mean score", np.nanmean(np.where(np.isnan(U).all(axis=1, keepdims=True), 0.0, U), axis=1))
    best = None
    if dev_q.any():
        dev_rows = np.flatnonzero(dev_q[data.codes])
        g_dev = g.take(dev_rows)
        # only verifiers that rank some dev question's candidates: an empty or constant one's
        # "choice" is a seeded draw, and was named the best verifier when the draw was lucky
        with np.errstate(invalid="ignore"):
            ranks = (g_dev.max(X[dev_rows]) > g_dev.min(X[dev_rows])).any(axis=0)
        key = {v: (_select_at_1(X[:, v], data, dev_q, tie),
                   np.nan_to_num(within_question_auc(X[dev_rows, v], correct[dev_rows], g_dev), nan=0.0))
               for v in np.flatnonzero(ranks)}
        if key:
            b = max(key, key=key.__getitem__)
            best = selector.verifiers_[b]
            add(f"best single verifier ({best})", X[:, b])
        else:
            notes.append("best single verifier: no verifier ranks the candidates of a dev question")
    else:
        notes.append("best single verifier: needs dev questions (--dev-frac > 0)")
    # the label model's choice as `select` makes it (its ties broken the same way)
    chosen = selector.select(data) if selected is None else np.asarray(selected, dtype=bool)
    add("label model", value=_selected_at_1(chosen, data, eval_q))
    if selector.pools_answers(data):
        add("label model, no answer pooling", value=_selected_at_1(selector.select(data, pool_answers=False), data, eval_q))
    if oracle:
        add("oracle-weighted", oracle_scores(data, eval_q))
        if answered is not None and answered.any():
            add("oracle-weighted, no answer pooling", oracle_scores(data, eval_q, pool_answers=False))
    add("pass@k", value=float(pass_at_k(correct, g)[eval_q].mean()))

    # per-verifier quality: estimated (by the label model) vs true (on the evaluation questions)
    rows_e = np.flatnonzero(eval_q[data.codes])
    ge = g.take(rows_e)
    vt = selector.verifier_table()
    vt["true_auc"] = [within_question_auc(X[rows_e, v], correct[rows_e], ge) for v in range(X.shape[1])]
    true_acc = np.full(X.shape[1], np.nan)
    V = selector.transform(data)
    kept = np.flatnonzero(selector.keep_mask_)
    for i, v in enumerate(kept):
        col = V[rows_e, i]
        if V.dtype.kind != "f":
            ok = col >= 0
            true_acc[v] = float((col[ok] == correct[rows_e][ok]).mean()) if ok.any() else np.nan
        elif selector.normaliser_.binary_[v]:
            ok = ~np.isnan(col)
            true_acc[v] = float(((col[ok] > 0.5) == (correct[rows_e][ok] == 1)).mean()) if ok.any() else np.nan
    vt["true_accuracy"] = true_acc
    return Evaluation(pd.DataFrame(rows), vt, n_eval=int(eval_q.sum()), n_dev=int(dev_q.sum()),
                      best_single=best, notes=notes)
