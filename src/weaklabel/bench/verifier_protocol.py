"""One pool of the verifier-selection protocol (``benchmarks/VERIFIERS_PROTOCOL.md``): Select@1 of
``weaklabel select`` without labels and with a 5% dev set, side by side with the baselines and
the oracle-weighted ensemble, all on the same evaluation questions.

:func:`score_pool` can also score several answer-pooling rules (``pool_centre`` values) from one
fit: the rule changes only how the fitted selector pools evidence, so comparing rules on the
tuning pools costs one fit per pool, not one per rule.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

PROTOCOL_METHODS = ("select, no labels", "select, 5% dev", "mean score", "majority answer", "best single verifier",
                    "oracle-weighted", "pass@k")


def select_at_1(selector, data, eval_q: np.ndarray, seed: int) -> float:
    """Select@1 of a fitted selector's choice on the questions ``eval_q``."""
    sel = selector.select(data)
    top = np.flatnonzero(sel)
    return float(data.correct[top][eval_q[data.codes[top]]].mean())


def pool_statistics(selector, data) -> dict:
    """Label-free statistics of a fitted selector's evidence (for choosing a pooling rule):
    the share of the evidence's variance that lies between questions and the estimated share of
    correct candidates."""
    p, prior_logit = selector.candidate_proba(data)
    from ..verifiers.answers import evidence_from_proba

    ev = evidence_from_proba(p, prior_logit)
    qm = data.groups.broadcast(data.groups.mean(ev))
    total = float(np.var(ev))
    return {"between_question_share": float(np.var(qm) / total) if total > 0 else float("nan"),
            "class_balance": float(selector.class_balance_)}


def score_pool(table: pd.DataFrame, verifier_names, seed: int, *, dev_frac: float = 0.05,
               selector_params: dict | None = None, rules=()) -> dict:
    """Select@1 of ``weaklabel select`` without labels and with a ``dev_frac`` labelled dev set,
    of the mean-normalised-score and majority-answer baselines, the best single verifier (chosen
    on the dev set) and the oracle-weighted naive-Bayes ensemble (true accuracies), all on the
    same questions (those outside the dev set). Also what the unlabelled selector found:
    families, answer pooling. ``table``: a long table with ``answer`` and ``correct``.
    ``rules``: ``pool_centre`` values also scored from the same fits (keys
    ``"select, no labels [rule]"`` and ``"select, 5% dev [rule]"``)."""
    from ..verifiers import VerifierSelector, from_frame
    from ..verifiers.evaluate import dev_labels, evaluate, labelled_questions, split_dev

    data = from_frame(table, verifiers=list(verifier_names), answer_col="answer", correct_col="correct",
                      where="pool")
    dev_q = split_dev(data, dev_frac, seed)
    params = dict(selector_params or {})
    params.setdefault("random_state", seed)
    t0 = time.perf_counter()
    sel0 = VerifierSelector(**params).fit(data)
    t_fit = time.perf_counter() - t0
    ev0 = evaluate(sel0, data, sel0.predict_proba(data), dev_q, seed=seed, oracle=True)
    sel5 = VerifierSelector(**params).fit(data, dev_labels(data, dev_q))
    ev5 = evaluate(sel5, data, sel5.predict_proba(data), dev_q, seed=seed, oracle=False)
    best = next(m for m in ev0.methods["method"] if m.startswith("best single verifier"))
    expl = sel0.explain()
    out = {"n_questions": data.n_questions, "n_candidates": data.n_rows, "n_verifiers": len(data.verifiers),
           "n_eval": ev0.n_eval, "n_dev": int(dev_q.sum()),
           "select, no labels": ev0.score("label model"), "select, 5% dev": ev5.score("label model"),
           "mean score": ev0.score("mean score"), "majority answer": ev0.score("majority answer"),
           "best single verifier": ev0.score(best), "oracle-weighted": ev0.score("oracle-weighted"),
           "pass@k": ev0.score("pass@k"), "fit_seconds": t_fit,
           "families_found": [f["members"] for f in expl["families"]],
           "answer_icc": sel0.answer_icc_, "answer_icc_dev": sel5.answer_icc_,
           "answer_test_F": (sel0.answer_test_ or {}).get("F")}
    if rules:
        eval_q = labelled_questions(data) & ~dev_q
        out.update(pool_statistics(sel0, data))
        for rule in rules:
            for key, sel in (("select, no labels", sel0), ("select, 5% dev", sel5)):
                sel.set_params(pool_centre=rule)
                out[f"{key} [{rule}]"] = select_at_1(sel, data, eval_q, seed)
    return out
