"""Checking a :class:`~weaklabel.verifiers.selector.VerifierSelector`'s hyper-parameters (at
``fit`` and when a saved selector is read), one clear error per bad value."""

from __future__ import annotations

import numpy as np

from ..errors import InputError

INVERTED = ("flip", "drop", "keep")
FAMILIES = ("detect", "none")
POOL_CENTRES = ("none", "question", "prior", "auto")


def real(name: str, value, integer: bool = False) -> float:
    """``value`` as a finite float (an int when ``integer``), else an InputError naming ``name``:
    booleans, text, NaN and infinities are refused (a ``--param`` value is parsed as JSON)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok and integer:
        ok = float(value).is_integer()
    if not ok or not np.isfinite(float(value)):
        raise InputError(f"{name} must be {'an integer' if integer else 'a finite number'}, got {value!r}")
    return int(value) if integer else float(value)


def binarise_method(sel) -> str:
    """``binarise="auto"``: keep scores continuous for the mixture, class-balance quantiles for
    the vote models."""
    if sel.binarise == "auto":
        return "none" if sel.label_model == "mixture" else "quantile"
    return sel.binarise


def model_param_names(label_model: str) -> list[str]:
    """The hyper-parameters ``model_params`` may set for ``label_model`` (the mixture's or a vote
    model's ``__init__`` arguments)."""
    if label_model == "mixture":
        from .mixture import ScoreMixture

        return ScoreMixture._param_names()
    from ..models import MODELS

    return list(MODELS[label_model]().get_params(deep=False))


def check_model_params(label_model: str, params: dict) -> None:
    """An InputError naming the first of ``params`` that ``label_model`` does not take, and the
    ones it does (a raw "__init__() got an unexpected keyword argument" otherwise)."""
    names = model_param_names(label_model)
    unknown = [k for k in params if k not in names]
    if unknown:
        raise InputError(f"label model {label_model!r} has no parameter {unknown[0]!r} (parameters: {', '.join(names)})")


def check_params(sel, label_models: list[str]) -> None:
    """A clear :class:`~weaklabel.errors.InputError` for any invalid hyper-parameter of a
    :class:`~weaklabel.verifiers.selector.VerifierSelector`."""
    from .normalise import METHODS, SCOPES

    if sel.label_model not in label_models:
        raise InputError(f"unknown label model {sel.label_model!r}; choose one of {', '.join(label_models)}")
    # the Normaliser's own check, made here too: a saved selector is not refitted, so a file whose
    # normalise was damaged ("zz") loaded and was reported as its setting
    if sel.normalise not in METHODS:
        raise InputError(f"normalisation must be one of {', '.join(METHODS)}, got {sel.normalise!r}")
    if sel.normalise_scope not in SCOPES:
        raise InputError(f"normalisation scope must be one of {', '.join(SCOPES)}, got {sel.normalise_scope!r}")
    if sel.binarise not in ("auto", "quantile", "fixed", "none"):
        raise InputError(f"binarise must be auto, quantile, fixed or none, got {sel.binarise!r}")
    if sel.label_model != "mixture" and binarise_method(sel) == "none":
        raise InputError(f"label model {sel.label_model!r} works on votes: binarise with quantile or fixed")
    if sel.binarise_scope not in ("question", "global"):
        raise InputError(f"binarise_scope must be question or global, got {sel.binarise_scope!r}")
    rs = sel.random_state   # None: unseeded (scikit-learn's convention)
    if rs is not None and (isinstance(rs, bool) or not isinstance(rs, (int, np.integer)) or not 0 <= int(rs) < 2 ** 32):
        raise InputError(f"random_state must be None or an integer from 0 to {2 ** 32 - 1}, got {rs!r}")
    if not isinstance(sel.question_prior, (bool, np.bool_)):   # "no" is truthy: it meant the opposite
        raise InputError(f"question_prior must be True or False, got {sel.question_prior!r}")
    if sel.inverted not in INVERTED:
        raise InputError(f"inverted must be one of {', '.join(INVERTED)}, got {sel.inverted!r}")
    band = list(sel.rate_band) if isinstance(sel.rate_band, (list, tuple, np.ndarray)) else []
    if len(band) != 2:
        raise InputError(f"rate_band must be (low, high), got {sel.rate_band!r}")
    lo, hi = (real("rate_band", x) for x in band)
    if not 0 <= lo < hi <= 1:
        raise InputError(f"rate_band must satisfy 0 <= low < high <= 1, got {sel.rate_band!r}")
    real("threshold", sel.threshold)
    if not 0 <= real("min_agreement", sel.min_agreement) < 1:
        raise InputError(f"min_agreement must be in [0, 1), got {sel.min_agreement!r}")
    if sel.class_balance is not None and not 0 < real("class_balance", sel.class_balance) < 1:
        raise InputError(f"class_balance must be in (0, 1), got {sel.class_balance!r}")
    if sel.model_params is not None and not isinstance(sel.model_params, dict):
        raise InputError("model_params must be a dict")
    if sel.model_params:
        check_model_params(sel.label_model, sel.model_params)
        if sel.label_model == "mixture":    # checked before fitting, not after the first steps ran
            from .mixture import ScoreMixture

            ScoreMixture(**sel.model_params)._check()
        else:                               # the values the vote model's fit accepts (a saved file too)
            from ..models import MODELS

            MODELS[sel.label_model](**sel.model_params)._validate_params()
    if sel.pool_answers not in ("auto", True, False):
        raise InputError(f"pool_answers must be 'auto', True or False, got {sel.pool_answers!r}")
    if sel.answer_icc is not None and not 0 <= real("answer_icc", sel.answer_icc) <= 1:
        raise InputError(f"answer_icc must be in [0, 1], got {sel.answer_icc!r}")
    if sel.pool_centre not in POOL_CENTRES:
        raise InputError(f"pool_centre must be one of {', '.join(POOL_CENTRES)}, got {sel.pool_centre!r}")
    if sel.families not in FAMILIES:
        raise InputError(f"families must be one of {', '.join(FAMILIES)}, got {sel.families!r}")
    if not 0 < real("family_threshold", sel.family_threshold) < 1:
        raise InputError(f"family_threshold must be in (0, 1), got {sel.family_threshold!r}")

