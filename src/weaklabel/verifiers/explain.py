"""What a fitted :class:`~weaklabel.verifiers.selector.VerifierSelector` learned, for people: one
row per verifier (status, family, weight, estimated quality) and the JSON explanation
``weaklabel select --json`` prints (families found, weights, the answer-pooling decision)."""

from __future__ import annotations

import numpy as np

from .mixture import ScoreMixture


def family_labels(sel) -> np.ndarray:
    """Family id per verifier (``-1``: none, or family detection off)."""
    fam = getattr(sel, "families_", None)
    return np.full(len(sel.verifiers_), -1) if fam is None else np.asarray(fam.labels_)


def effective_weights(sel) -> np.ndarray:
    """What each verifier counts in a candidate's log-odds when every verifier scores it, per
    unit of its normalised score (mixture: ``Sigma^-1 delta`` times its family weight; NaN for
    the vote models and for dropped verifiers)."""
    w = np.full(len(sel.verifiers_), np.nan)
    if isinstance(sel.model_, ScoreMixture):
        w[sel.keep_mask_] = sel.model_.effective_weights_
        w[sel.flipped_] = -w[sel.flipped_]          # for the scores as given
    return w


def verifier_table(sel):
    """One row per verifier: format, share missing, yes-rate, agreement, status, family, weight
    and the label model's estimated AUC and accuracy."""
    import pandas as pd

    s = sel.stats_
    return pd.DataFrame({"verifier": sel.verifiers_,
                         "format": np.where(s["binary"], "yes/no", "score"),
                         "positive_rate": s["positive_rate"], "agreement": s["agreement"],
                         "status": s["status"], "est_auc": s["est_auc"], "est_accuracy": s["est_accuracy"],
                         "family": family_labels(sel), "weight": effective_weights(sel)})


def _finite(v):
    return None if isinstance(v, float) and not np.isfinite(v) else v


def explain(sel) -> dict:
    """Why the selector combines the verifiers as it does, as plain JSON data: the families
    found (members, residual correlation, what each member counts), every verifier's status and
    effective weight, and the answer-pooling decision with its test statistic."""
    fam = getattr(sel, "families_", None)
    families = []
    if fam is not None:
        for members, rho in zip(fam.families_, fam.family_corr_):
            families.append({"members": [sel.verifiers_[i] for i in members],
                             "residual_correlation": round(float(rho), 4),
                             "member_weight": round(float(sel.family_weights_[members[0]]), 4)})
    w = effective_weights(sel)
    verifiers = [{"verifier": v, "status": str(st), "family": int(f),
                  "family_weight": round(float(fw), 4),
                  "weight": None if not np.isfinite(x) else round(float(x), 4)}
                 for v, st, f, fw, x in zip(sel.verifiers_, sel.stats_["status"], family_labels(sel),
                                            sel.family_weights_, w)]
    test = getattr(sel, "answer_test_", None)
    pooling = {"pooled": sel.answer_icc_ is not None, "within_answer_correlation": sel.answer_icc_,
               "source": sel.answer_icc_source_, "centre": sel.pool_centre,
               "test": None if test is None else {k: _finite(v) for k, v in test.items()}}
    mixture = isinstance(sel.model_, ScoreMixture)
    return {"families": families, "family_detection": "none" if fam is None else
            f"residual within-question correlation above {float(sel.family_threshold):g} (average linkage)",
            "family_weights_applied": fam is not None,
            "family_weighting": None if fam is None else
            ("design effect 1 / (1 + (s - 1) rho) per member" if mixture
             else "each family votes once (its members' majority vote)"),
            "verifiers": verifiers, "answer_pooling": pooling}
