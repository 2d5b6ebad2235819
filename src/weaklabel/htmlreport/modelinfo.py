"""What ``weaklabel report`` says about a fitted label model: its summary for the overview and the
estimated LF accuracies of the LF table, shown as ``fit`` and ``analyze`` show them. Split from
:mod:`.collect`."""

from __future__ import annotations

import numpy as np

#: the LF table's estimated accuracy where the model's figure is no estimate (``fit``'s and
#: ``analyze``'s words): an LF without votes, one the model could not estimate
NO_VOTES = "n/a (no votes)"
NOT_ESTIMATED = "n/a"


def model_summary(model) -> dict:
    """What the report says about a fitted label model (``selection_`` / ``warnings_`` when the
    model has them, else ``None``; ``identified``: per LF of the model, whether it could estimate
    its accuracy, ``None`` when it does not say)."""
    inner = getattr(model, "model_", None)
    selection = getattr(model, "selection_", None)
    legacy = getattr(model, "report_", None)   # AutoModel's selection record before ``selection_``
    if selection is None and isinstance(legacy, dict) and "reason" in legacy:
        selection = {"choice": legacy.get("chosen"), "reason": legacy.get("reason")}
    warnings = getattr(model, "warnings_", None)
    if warnings is None and inner is not None:
        warnings = getattr(inner, "warnings_", None)
    ident = getattr(inner if inner is not None else model, "identified_", None)
    return {
        "class": type(model).__name__,
        "inner": type(inner).__name__ if inner is not None else None,
        "params": {k: v for k, v in model.get_params(deep=False).items() if not k.startswith("_")},
        "class_balance": np.asarray(model.class_balance_, dtype=float).tolist(),
        "lf_names": list(getattr(model, "lf_names_", None) or []),
        "accuracies": (np.asarray(model.accuracies_, dtype=float).tolist()
                       if getattr(model, "accuracies_", None) is not None else None),
        "identified": np.asarray(ident, dtype=bool).tolist() if ident is not None else None,
        "selection": dict(selection) if isinstance(selection, dict) else None,
        "warnings": [str(w) for w in warnings] if warnings is not None else None,
        "n_iter": getattr(model, "n_iter_", None),
        "converged": getattr(model, "converged_", None),
    }


def model_estimates(msum: dict, names: list[str], votes: np.ndarray) -> tuple[np.ndarray, dict]:
    """``(est, na)``: the model's accuracy of each LF of the votes (by name; NaN for one it was not
    fitted on) and, for the LFs whose figure is no estimate, why (``na``: name -> the LF table's
    text). As ``fit``'s and ``analyze``'s tables: an LF without votes (here, in these votes) has
    the model's prior, not an estimate ("n/a (no votes)"); one the model could not estimate
    (``identified_`` false: a triplet model's neutral prior) "n/a". The page showed both priors
    as estimated accuracies (and their difference to the gold accuracy)."""
    fitted = msum["lf_names"] or names
    acc = msum["accuracies"]
    by = dict(zip(fitted, acc))
    est = np.array([by.get(x, np.nan) for x in names], dtype=float)
    ident = msum.get("identified")
    unknown = (dict(zip(fitted, (not i for i in ident))) if ident is not None and len(ident) == len(acc)
               else {})
    na = {}
    for j, name in enumerate(names):
        if not np.isfinite(est[j]):
            continue
        if not votes[j]:
            na[name] = NO_VOTES
        elif unknown.get(name, False):
            na[name] = NOT_ESTIMATED
        else:
            continue
        est[j] = np.nan
    return est, na
