"""Saving and loading a fitted :class:`~weaklabel.verifiers.selector.VerifierSelector`: its
state (normaliser, thresholds, kept/flipped verifiers, families, the label model) as plain JSON
that applies unchanged to new questions. Format 2 adds ``vote_columns`` (the vote path's family
columns); format-1 files read as one column per kept verifier."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import InputError, ModelFileError
from ._base import plain
from .binarise import Binariser
from .families import FamilyDetector
from .mixture import ScoreMixture
from .normalise import Normaliser

FORMAT = "weaklabel.verifier_selector"


def selector_to_dict(sel) -> dict:
    """The fitted state of a selector as plain JSON data."""
    if isinstance(sel.model_, ScoreMixture):
        model = {"kind": "mixture", "state": sel.model_.to_dict()}
    else:
        model = {"kind": "votes", "state": sel.model_.to_dict()}
    s = sel.stats_
    clean = lambda a: [None if (isinstance(x, float) and not np.isfinite(x)) else x for x in np.asarray(a).tolist()]  # noqa: E731
    return {
        "format": FORMAT, "format_version": 2, "weaklabel_version": __version__,
        "params": sel.json_params(),
        "verifiers": list(sel.verifiers_), "kept": list(sel.kept_),
        "flipped": sel.flipped_.tolist(), "keep_mask": sel.keep_mask_.tolist(),
        "class_balance": sel.class_balance_, "class_balance_source": sel.class_balance_source_,
        "threshold_balance": sel.threshold_balance_,
        "answer_icc": sel.answer_icc_, "answer_icc_source": sel.answer_icc_source_,
        "answer_column": getattr(sel, "answer_column_", None),
        "answer_test": None if sel.answer_test_ is None else
        {k: (None if isinstance(v, float) and not np.isfinite(v) else plain(v)) for k, v in sel.answer_test_.items()},
        "families": None if sel.families_ is None else sel.families_.to_dict(),
        "family_weights": sel.family_weights_.tolist(),
        "vote_columns": sel.vote_columns_,
        "normaliser": sel.normaliser_.to_dict(),
        "binariser": None if sel.binariser_ is None else sel.binariser_.to_dict(),
        "model": model,
        "stats": {"positive_rate": clean(s["positive_rate"]), "mode_share": clean(s["mode_share"]),
                  "agreement": clean(s["agreement"]), "status": list(s["status"]),
                  "est_auc": clean(s["est_auc"]), "est_accuracy": clean(s["est_accuracy"]),
                  "binary": s["binary"].tolist()},
    }


def selector_from_dict(cls, d: dict, where: str = "selector"):
    """A fitted ``cls`` (:class:`~weaklabel.verifiers.selector.VerifierSelector`) from
    :func:`selector_to_dict`'s data; a clear :class:`~weaklabel.errors.ModelFileError` otherwise."""
    from ..models.base import LabelModel

    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not a weaklabel verifier selector file")
    try:
        sel = cls(**d["params"])
        try:                   # the values a fit accepts: a damaged "normalise" loaded and was reported
            sel._check()
        except InputError as exc:
            raise ModelFileError(f"{where}: invalid selector state (params: {exc})") from None
        sel.verifiers_ = [str(v) for v in d["verifiers"]]
        m = len(sel.verifiers_)
        sel.kept_ = [str(v) for v in d["kept"]]
        sel.flipped_ = np.asarray(d["flipped"], dtype=bool)
        sel.keep_mask_ = np.asarray(d["keep_mask"], dtype=bool)
        if sel.flipped_.shape != (m,) or sel.keep_mask_.shape != (m,) or \
                [sel.verifiers_[v] for v in np.flatnonzero(sel.keep_mask_)] != sel.kept_:
            raise ValueError("kept/flipped verifiers do not match the verifier list")
        sel.class_balance_ = float(d["class_balance"])
        if not 0 <= sel.class_balance_ <= 1:      # NaN too: it decides the pooling's centring
            raise ValueError("class_balance must be in [0, 1]")
        sel.class_balance_source_ = str(d.get("class_balance_source", "given"))
        tb = d.get("threshold_balance")
        sel.threshold_balance_ = None if tb is None else float(tb)
        icc = d.get("answer_icc")
        sel.answer_icc_ = None if icc is None else float(icc)
        sel.answer_icc_source_ = d.get("answer_icc_source")
        col = d.get("answer_column")          # the column it pooled by, named in messages
        sel.answer_column_ = None if col is None else str(col)
        sel.answer_test_ = d.get("answer_test")
        if sel.answer_test_ is not None and not isinstance(sel.answer_test_, dict):
            raise ValueError("answer_test must be an object or null")
        fam = d.get("families")
        sel.families_ = None if fam is None else FamilyDetector.from_dict(fam)
        sel.family_weights_ = np.asarray(d.get("family_weights", [1.0] * m), dtype=float)
        if sel.family_weights_.shape != (m,) or (sel.families_ is not None and sel.families_.labels_.size != m):
            raise ValueError("family weights do not match the verifier list")
        if not np.isfinite(sel.family_weights_).all():
            raise ValueError("family weights must be finite numbers")
        if sel.answer_icc_ is not None and not 0 <= sel.answer_icc_ <= 1:
            raise ValueError("answer_icc must be in [0, 1]")
        sel.normaliser_ = Normaliser.from_dict(d["normaliser"])
        if sel.normaliser_.n_features_ != m:
            raise ValueError("the normaliser has a different number of verifiers")
        kind, state = d["model"]["kind"], d["model"]["state"]
        if kind in ("mixture", "votes") and kind != ("mixture" if sel.label_model == "mixture" else "votes"):
            raise ValueError(f"params.label_model is {sel.label_model!r} but the saved model is of kind {kind!r}")
        _check_steps_match_params(sel, d)
        sel.binariser_ = None if d["binariser"] is None else Binariser.from_dict(d["binariser"])
        if kind == "mixture":
            sel.model_ = ScoreMixture.from_dict(state)
            k = sel.model_.n_features_
        elif kind == "votes":
            from ..models import MODELS

            sel.model_ = LabelModel.from_dict(state, where=f"{where} (label model)")
            if type(sel.model_) is not MODELS[sel.label_model]:
                raise ValueError(f"params.label_model is {sel.label_model!r} but the saved model is a "
                                 f"{type(sel.model_).__name__}")
            k = int(sel.model_.n_lfs_)
        else:
            raise ValueError(f"unknown model kind {kind!r}")
        cols = d.get("vote_columns")            # format 1: one column per kept verifier
        n_kept = len(sel.kept_)
        if kind == "mixture":
            sel.vote_columns_ = None
        else:
            sel.vote_columns_ = [[i] for i in range(n_kept)] if cols is None else [[int(i) for i in c] for c in cols]
            if sorted(i for c in sel.vote_columns_ for i in c) != list(range(n_kept)):
                raise ValueError("the vote columns do not cover the kept verifiers once each")
        if k != (n_kept if kind == "mixture" else len(sel.vote_columns_)):
            raise ValueError("the label model was fitted on a different number of verifiers")
        st = d["stats"]
        arr = lambda key: np.array([np.nan if x is None else x for x in st[key]], dtype=float)  # noqa: E731
        sel.stats_ = {"positive_rate": arr("positive_rate"), "mode_share": arr("mode_share"),
                       "agreement": arr("agreement"), "status": np.array(st["status"], dtype=object),
                       "est_auc": arr("est_auc"), "est_accuracy": arr("est_accuracy"),
                       "binary": np.asarray(st["binary"], dtype=bool)}
        if any(np.shape(a) != (m,) for a in sel.stats_.values()):   # the verifier table failed after the write
            raise ValueError("the per-verifier statistics do not match the verifier list")
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, InputError) as exc:   # a step's own check: InputError
        raise ModelFileError(f"{where}: invalid selector state ({type(exc).__name__}: {exc})") from None
    return sel


def _check_steps_match_params(sel, d: dict) -> None:
    """The saved steps are the ones the saved settings build at fit (``VerifierSelector._normaliser``,
    the binariser of :func:`~weaklabel.verifiers.params.binarise_method`): a file whose settings
    and steps disagree would be applied with the steps and reported (and matched against
    ``--normalise``/``--binarise``) with the settings."""
    from .params import binarise_method

    norm = sel.normaliser_
    if (norm.method, norm.scope) != (sel.normalise, sel.normalise_scope):
        raise ValueError(f"params.normalise/normalise_scope are {sel.normalise!r}/{sel.normalise_scope!r} but the "
                         f"saved normaliser is {norm.method!r}/{norm.scope!r}")
    method = binarise_method(sel)
    saved = d["binariser"]
    got = "none" if saved is None else (saved["params"].get("method"), saved["params"].get("scope"))
    want = "none" if method == "none" else (method, sel.binarise_scope)
    if got != want:
        raise ValueError(f"params.binarise/binarise_scope resolve to {want!r} but the saved binariser is {got!r}")


def load_selector(cls, path):
    """Read a selector file written by ``VerifierSelector.save``."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    try:
        data = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{p}: not valid JSON ({exc})") from None
    return cls.from_dict(data, where=str(p))
