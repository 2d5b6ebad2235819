"""The ``candidates`` of :class:`~weaklabel.models.auto.AutoModel`, checked before any fit: each entry
normalised to ``(label, model name, params, uses_labels)``, or refused with a one-line InputError
that names the entry and the expected shape.

Why a module of its own: it is input checking with messages, not model selection; it needs only
the registry of models (``weaklabel.models.MODELS``) and each model's own parameter check.
``AutoModel._candidates`` calls :func:`_candidate` on every entry; :data:`CANDIDATE_SHAPE` is
re-exported by :mod:`weaklabel.models.auto`.
"""

from __future__ import annotations

from ..errors import InputError
from .base import LabelModel

#: what a candidate is, for the messages that refuse one
CANDIDATE_SHAPE = "(label, model name, params dict[, uses_labels])"
_EXAMPLE = ", e.g. ('ds', 'ds', {'smoothing': 0.5})"


def _candidate(i: int, c) -> tuple[str, str, dict, bool]:
    """Entry ``i`` of ``candidates`` checked and normalised to ``(label, model name, params,
    uses_labels)``; a wrong one is a one-line InputError naming it and the expected shape.

    Why here: a bad entry otherwise surfaced mid-fit as a raw TypeError (an unknown parameter,
    a model object: "not iterable") or as its string split into letters."""
    from . import MODELS

    where = f"AutoModel: candidates[{i}]"
    if isinstance(c, LabelModel):
        name = next((k for k, v in MODELS.items() if type(c) is v), "NAME")
        raise InputError(f"{where} is a model object ({type(c).__name__}); a candidate is {CANDIDATE_SHAPE}, "
                         f"here ('{name}', '{name}', {{...its parameters}})")
    if not isinstance(c, (tuple, list)) or len(c) not in (3, 4):
        raise InputError(f"{where} is {_short(c)}; a candidate is {CANDIDATE_SHAPE}{_EXAMPLE}")
    label, name, params = c[:3]
    if not isinstance(label, str):
        raise InputError(f"{where}: the label must be a string, got {_short(label)}; a candidate is {CANDIDATE_SHAPE}")
    where = f"AutoModel candidate {label!r}"
    if name == "auto" and i > 0:
        raise InputError(f"{where}: model 'auto' may only be the first candidate (the label-free default)")
    if not isinstance(name, str) or name not in MODELS:
        raise InputError(f"{where}: unknown model {_short(name)}; choose one of {', '.join(MODELS)}")
    if not isinstance(params, dict):
        raise InputError(f"{where}: params must be a dict, got {_short(params)}; a candidate is "
                         f"{CANDIDATE_SHAPE}{_EXAMPLE}")
    model = "hybrid" if name == "auto" else name
    _check_candidate_params(where, model, params)
    uses_labels = bool(c[3]) if len(c) == 4 else True
    return label, model, params, uses_labels and name != "auto"


def _short(value, limit: int = 80) -> str:
    """``repr(value)`` on one line and at most ``limit`` characters: messages stay one line."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check_candidate_params(where: str, name: str, params: dict) -> None:
    """The candidate's ``params`` are parameters of model ``name`` with values it accepts, checked
    before any fit (the model's own ``_validate_params`` message, prefixed with ``where``)."""
    from . import MODELS

    cls = MODELS[name]
    allowed = cls._param_names()
    unknown = [k for k in params if k not in allowed]
    if unknown:
        raise InputError(f"{where}: {name} has no parameter {unknown[0]!r} (its parameters: {', '.join(allowed)})")
    try:
        cls(**params)._validate_params()
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
