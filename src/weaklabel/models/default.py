"""``weaklabel.LabelModel``: the default label model under the name a Snorkel user looks for.

``LabelModel(cardinality=2).fit(L_train=L)`` is how Snorkel's tutorials start; in weaklabel the
name is the model ``weaklabel fit`` uses by default (:class:`~weaklabel.models.AutoModel`: the
robust hybrid model without gold labels, cross-validated selection with them), so that code
ported from Snorkel runs and gets weaklabel's default. The abstract estimator contract every
model shares is :class:`weaklabel.BaseLabelModel` (``weaklabel.models.base.LabelModel``).

Every keyword of Snorkel's ``LabelModel`` either does what it does in Snorkel, or is accepted with
no effect because weaklabel has nothing it could set (the settings of Snorkel's gradient descent:
weaklabel's models are fitted by EM and closed forms, run to convergence), or is refused with what
to do instead (settings that would change the labels Snorkel's fit converges to). None is dropped
silently where it would change the labels.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .auto import AutoModel
from .base import break_ties, register

#: Snorkel's fit settings of its gradient descent: accepted, no effect (weaklabel has no optimiser)
SNORKEL_OPTIMISER = ("n_epochs", "lr", "optimizer", "optimizer_config", "lr_scheduler", "lr_scheduler_config",
                     "log_freq", "progress_bar")

#: Snorkel's fit settings that shape the accuracies its fit converges to: refused (``l2=0``, no
#: penalty, is accepted)
SNORKEL_REFUSED = {
    "l2": "Snorkel's L2 penalty pulling its LF accuracies towards prec_init during gradient descent; "
          "weaklabel's models have no gradient fit and no such penalty (l2=0 is accepted)",
    "prec_init": "Snorkel's starting LF precision (and the centre of its l2 penalty); weaklabel's models do "
                 "not start from one (EM from majority vote, closed forms)",
    "mu_eps": "Snorkel's clamp of its estimated probabilities during gradient descent; weaklabel's models have "
              "no such clamp",
}


class Accuracy(float):
    """What :meth:`LabelModel.score` returns without ``metrics``: the accuracy, a float as
    scikit-learn's ``score`` returns (``GridSearchCV`` and ``cross_val_score`` use it), that also
    reads as Snorkel's ``score`` dict: ``model.score(L, Y)["accuracy"]``."""

    __slots__ = ()

    def __getitem__(self, key):
        if key == "accuracy":
            return float(self)
        raise KeyError(f"{key!r}: score() without metrics is the accuracy alone; pass metrics=[{key!r}] "
                       f"for a dict of metrics")


@register
class LabelModel(AutoModel):
    """The default label model (an :class:`AutoModel`), with Snorkel's spellings.

    Parameters
    ----------
    cardinality:
        Number of classes K, or ``None`` (default; Snorkel's is 2) to take it from the votes.
        Given, it is checked against the votes (a :class:`~weaklabel.votes.VoteMatrix` must have
        this K; a dense array may use fewer classes than K, never more).
    candidates, cv, margin, min_labels, random_state, criticism, min_z, criticism_terms, min_cv_z,
    correction_l2, correction_min_z, min_rows_gained, disagree_on, class_balance:
        As :class:`AutoModel` (same defaults).
    verbose, device:
        Snorkel's ``LabelModel(verbose=..., device=...)``: accepted (a bool, a string) and without
        effect: weaklabel prints nothing while fitting and computes on the CPU.

    Snorkel's methods and keywords:

    * ``fit(L)`` and ``fit(L_train=L)`` are the same call; ``y`` gives gold labels for some rows of
      ``L`` (``-1`` elsewhere), as every weaklabel model takes them. Snorkel's ``Y_dev`` (gold labels
      of a separate dev set) gives the class balance, as in Snorkel: the class frequencies of its
      known labels (every class must occur). ``class_balance=[...]`` fixes the class balance and
      ``seed=`` is the ``random_state``, both for this fit only: the model's parameters stay as they
      were (scikit-learn's rule). The class balance is used as :class:`AutoModel` uses it, which is
      not everywhere as Snorkel's prior of every row: every candidate that takes one is fitted with
      it and rows without votes get it; the usual choice, ``hybrid`` with its crowd bias pinned,
      lets no prior into rows with votes (``weaklabel fit --class-balance`` says the same).
      Snorkel's gradient-descent settings (``n_epochs``, ``lr``, ``optimizer``, ``optimizer_config``,
      ``lr_scheduler``, ``lr_scheduler_config``, ``log_freq``, ``progress_bar``) are accepted and
      change nothing; ``l2`` (other than 0), ``prec_init`` and ``mu_eps`` are refused (an
      InputError), as is any other keyword.
    * ``predict(L, return_probs=False, tie_break_policy=...)``: ``return_probs=True`` returns
      ``(labels, probabilities)``; Snorkel's positional ``predict(L, True)`` too.
    * ``predict`` and ``score`` take Snorkel's ``tie_break_policy`` (``"abstain"``; ``"random"`` or
      ``"true-random"``: a seeded random top class) for ``ties``; without either, ties go to a
      seeded random class (Snorkel's default abstains).
    * ``score(L, Y=..., metrics=[...])``: ``Y`` is ``y``; Snorkel's positional ``score(L, Y,
      ["accuracy", "f1"], "abstain")`` is read in Snorkel's order. Without ``metrics`` the
      accuracy is a float that also reads as Snorkel's dict (``score(L, Y)["accuracy"]``).
    * ``get_weights()``: each LF's estimated accuracy when it votes (``accuracies_``), Snorkel's
      ``get_weights``; an InputError when the fit chose majority vote, which estimates none.
      ``get_conditional_probs()`` is an InputError saying what there is instead.
    * ``save(path)`` / ``LabelModel.load(path)`` / ``model.load(path)``: every weaklabel model's
      (plain JSON; the name must end in ``.json``).
    """

    _parameter_constraints = {**AutoModel._parameter_constraints, "verbose": ["boolean"], "device": ["string"]}
    # defaults for a model unpickled from before these parameters existed (get_params, repr and
    # save read every parameter: an AttributeError otherwise); __init__ sets them on every new one
    verbose: bool = False
    device: str = "cpu"

    def __init__(self, cardinality: int | None = None, candidates=None, cv: int = 5, margin: float = 0.02,
                 min_labels: int = 20, random_state: int | None = 0, criticism: bool = True, min_z: float = -2.0,
                 criticism_terms: int = 400_000, min_cv_z: float = 2.0, correction_l2: float | None = 0.03,
                 correction_min_z: float = 1.0, min_rows_gained: float = 0.0, disagree_on: str = "auto",
                 class_balance=None, verbose: bool = False, device: str = "cpu"):
        self.cardinality = cardinality
        super().__init__(candidates=candidates, cv=cv, margin=margin, min_labels=min_labels, criticism=criticism,
                         min_z=min_z, criticism_terms=criticism_terms, min_cv_z=min_cv_z,
                         correction_l2=correction_l2, correction_min_z=correction_min_z,
                         min_rows_gained=min_rows_gained, disagree_on=disagree_on, class_balance=class_balance,
                         random_state=random_state)
        self.verbose = verbose
        self.device = device

    def fit(self, L=None, y=None, *, L_train=None, Y_dev=None, class_balance=None, seed=None,
            **snorkel) -> "LabelModel":
        if L is not None and L_train is not None:
            raise InputError("pass the votes once: fit(L) or fit(L_train=L)")
        L = L_train if L is None else L
        if L is None:
            raise InputError("fit() needs the votes: fit(L) or fit(L_train=L)")
        _check_snorkel_fit_settings(snorkel)
        from ..votes import VoteMatrix
        from .inputs import check_label_order, coerce_votes
        from .stats import VoteStats

        check_label_order(L, y)   # before L becomes a VoteMatrix, without its index

        K = self.cardinality
        if K is not None:
            if isinstance(K, (bool, np.bool_)) or not isinstance(K, (int, np.integer)) or K < 2:
                raise InputError(f"cardinality must be an int >= 2, got {K!r}")
            K = int(K)   # np.int64(2) from a numpy computation is an int here
            if isinstance(L, VoteStats):
                if L.cardinality != K:
                    raise InputError(f"LabelModel(cardinality={K}) but the votes have {L.cardinality} classes")
            elif isinstance(L, VoteMatrix):
                if L.cardinality != K:
                    raise InputError(f"LabelModel(cardinality={K}) but the votes have {L.cardinality} classes")
            else:
                L = coerce_votes(L, cardinality=K)   # a vote >= K is an error naming it
        this_fit = {}
        if Y_dev is not None:
            if class_balance is not None:
                raise InputError("pass class_balance or Y_dev, not both (Snorkel takes the class balance from "
                                 "Y_dev only when class_balance is not given)")
            if not isinstance(L, (VoteMatrix, VoteStats)):
                L = coerce_votes(L)
            class_balance = dev_class_balance(Y_dev, int(L.cardinality))
        if class_balance is not None:
            this_fit["class_balance"] = class_balance
        if seed is not None:
            this_fit["random_state"] = seed
        kept = {name: getattr(self, name) for name in this_fit}
        try:
            for name, value in this_fit.items():
                setattr(self, name, value)
            return super().fit(L, y)
        finally:
            for name, value in kept.items():
                setattr(self, name, value)

    @classmethod
    def _from_dict(cls, data, where: str) -> "LabelModel":
        # `weaklabel fit --save-model` writes this model under its CLI class, AutoModel: the same
        # learned state and a subset of these parameters, so Snorkel's LabelModel.load(path) reads it
        if cls is LabelModel and isinstance(data, dict) and data.get("model") == AutoModel.__name__:
            data = {**data, "model": cls.__name__}
        return super()._from_dict(data, where)

    def predict(self, L, ties: str = "random", tie_break_policy: str | None = None, *, return_probs: bool = False):
        if isinstance(ties, (bool, np.bool_)):   # Snorkel's order: predict(L, return_probs, tie_break_policy)
            ties, return_probs = "random", bool(ties)
        ties = _ties(ties, tie_break_policy)
        proba = self.predict_proba(L)
        pred = break_ties(proba, ties, self.random_state)   # the base class's predict, proba kept
        return (pred, proba) if return_probs else pred

    def score(self, L, y=None, ties: str = "random", metrics=None, tie_break_policy: str | None = None, *, Y=None):
        if Y is not None:
            if y is not None:
                raise InputError("pass the gold labels once: y or Y, not both")
            y = Y
        if y is None:
            raise InputError("score() needs the gold labels: score(L, y) or Snorkel's score(L, Y=y)")
        if isinstance(ties, (list, tuple)):   # Snorkel's order: score(L, Y, metrics, tie_break_policy)
            if isinstance(metrics, str):
                if tie_break_policy is not None:
                    raise InputError(f"pass tie_break_policy once, got {metrics!r} and {tie_break_policy!r}")
                tie_break_policy = metrics
            elif metrics is not None:
                raise InputError(f"pass the metrics once, got {ties!r} and {metrics!r}")
            ties, metrics = "random", list(ties)
        got = super().score(L, y, ties=_ties(ties, tie_break_policy), metrics=metrics)
        return Accuracy(got) if metrics is None else got

    def get_weights(self) -> np.ndarray:
        """Snorkel's ``get_weights()``: each LF's estimated accuracy when it votes, P(vote = true
        class | the LF votes) (``accuracies_``; a copy)."""
        self._check_fitted()
        acc = getattr(self, "accuracies_", None)
        if acc is None:
            chosen = type(self.model_).__name__
            what = "majority vote" if chosen == "MajorityVote" else chosen
            raise InputError(f"get_weights(): the fit chose {what}, which estimates no LF accuracies (every LF's "
                             f"vote counts the same; why: selection_['reason']); gold labels for some rows "
                             f"(fit(L, y)) let the default check the models that do")
        return np.array(acc, dtype=float)

    def get_conditional_probs(self):
        """Snorkel's table of P(LF votes j | true class y): not estimated by weaklabel's default model
        (an InputError saying what there is instead)."""
        raise InputError("get_conditional_probs(): weaklabel.LabelModel keeps no table of P(LF votes j | true "
                         "class y) with abstains, as Snorkel's; get_weights() gives each LF's accuracy when it "
                         "votes, and model_ is the model chosen (model_.confusion_, for the Dawid-Skene-type models: "
                         "P(vote | true class) on the rows where the LF votes)")


def dev_class_balance(Y_dev, K: int) -> list[float]:
    """Snorkel's class balance from ``Y_dev`` (gold labels of a dev set, ``-1`` = unknown): the
    frequencies of the known labels; every one of the ``K`` classes must occur."""
    from ..votes import check_labels

    arr = np.asarray(Y_dev)
    if arr.ndim != 1:
        raise InputError(f"Y_dev must be one gold label per dev row (a 1-d array), got shape {arr.shape}")
    arr = check_labels(arr, arr.shape[0], K, "Y_dev")
    counts = np.bincount(arr[arr >= 0], minlength=K)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise InputError(f"Y_dev has no label of class {int(missing[0])}: the class balance is Y_dev's class "
                         f"frequencies, as in Snorkel, so every one of the {K} classes must occur; pass "
                         f"class_balance=[...] instead")
    return (counts / counts.sum()).tolist()


def _check_snorkel_fit_settings(settings: dict) -> None:
    """Snorkel's ``fit(**kwargs)`` settings: its optimiser's are accepted (no effect), those that
    shape its answer refused, anything else an unknown keyword."""
    for name, value in settings.items():
        if name in SNORKEL_OPTIMISER or (name == "l2" and _is_zero(value)):
            continue
        if name in SNORKEL_REFUSED:
            raise InputError(f"LabelModel.fit: {name} is {SNORKEL_REFUSED[name]}, so weaklabel cannot honour it: "
                             f"remove it")
        raise InputError(f"LabelModel.fit() got an unknown keyword {name!r}; it takes L (or L_train), y, Y_dev, "
                         f"class_balance, seed, and Snorkel's optimiser settings {', '.join(SNORKEL_OPTIMISER)} "
                         f"(accepted, no effect: weaklabel has no gradient descent)")


def _is_zero(value) -> bool:
    try:
        return bool(np.all(np.asarray(value, dtype=float) == 0))
    except (TypeError, ValueError):
        return False


_SNORKEL_TIES = {"abstain": "abstain", "random": "random", "true-random": "random"}


def _ties(ties: str, tie_break_policy: str | None) -> str:
    """``ties`` from Snorkel's ``tie_break_policy`` when given (its unseeded ``"true-random"`` is
    seeded here, like every draw weaklabel makes)."""
    if tie_break_policy is None:
        return ties
    if ties != "random":
        raise InputError(f"pass ties={ties!r} or tie_break_policy={tie_break_policy!r}, not both")
    if tie_break_policy not in _SNORKEL_TIES:
        raise InputError(f"tie_break_policy must be one of {', '.join(_SNORKEL_TIES)}, got {tie_break_policy!r}")
    return _SNORKEL_TIES[tie_break_policy]
