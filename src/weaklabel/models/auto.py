"""``--model auto`` (the default): a label model that checks itself against majority vote.

Without gold labels :class:`AutoModel` fits the first candidate (``hybrid``), then asks the votes
whether to trust it: label-free model criticism (``weaklabel.models.criticism``) compares how
well the fitted model and majority vote predict each source's held-out votes from the other
sources (dependent sources left out together). The fitted model is kept unless majority vote
predicts clearly better (paired ``z <= min_z``, -2); otherwise majority vote is used. Either way the decision and its numbers
are in ``selection_`` (and ``fit --json``'s ``selection``). Why: a label model that trusts its
independence assumptions can fall far below majority vote on data unlike what it was tuned on
(few sources, a catch-all LF, copies of one weak source); see ``benchmarks/PROTOCOL.md``. When one
source casts most of the votes nothing can check it: majority vote is used outright, and without
labels the reason advises gold rows (:data:`DOMINANT_HINT`).

With gold labels for some rows (``fit(L, y)``, ``y = -1`` where unknown; e.g. 100 dev rows) the
label-free choice above, fitted *without* the labels, is the anchor. Every other candidate of
:func:`default_candidates` (other models fitted without labels, and semi-supervised fits) is scored
on the labelled rows that have votes: semi-supervised ones by stratified k-fold cross-validation
(each fold fitted with the other folds' labels), label-free ones directly (they never saw the
labels). Another candidate replaces the anchor only when its accuracy is higher by more than
``margin`` with a paired z of at least ``min_cv_z`` (majority vote, the floor, needs the margin
only). So the labels are used only where they show a gain, and ``--dev`` does not end below the
no-label default: a semi-supervised fit can be worse than no labels at all (100 labels turn
low-precision one-class rules into evidence for the other class). The reason for the choice is in
``report_`` and ``selection_``.

:class:`AutoModel` is assembled from modules of one job each, their names re-exported here (every
name callers import from ``weaklabel.models.auto`` still imports from it):
:mod:`~weaklabel.models.candidate_checks` (the ``candidates`` checked before any fit),
:mod:`~weaklabel.models.disagree_on` (which held-out votes the criticism's second z scores, and the
few-answers hint), :mod:`~weaklabel.models.label_free` (the label-free check of the first candidate
against majority vote, and the tie hedge), :mod:`~weaklabel.models.dev_selection` (the selection
with gold labels) and :mod:`~weaklabel.models.auto_warnings` (the fitted model's warnings). This
module holds the estimator itself: its parameters, ``fit``, ``predict_proba`` and its model file's
checks.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix
from .auto_warnings import THIN_EVIDENCE_ROWS, AutoWarnings  # noqa: F401  (THIN_EVIDENCE_ROWS re-exported)
from .base import Interval, LabelModel, Options, check_class_balance, register
from .candidate_checks import CANDIDATE_SHAPE, _candidate  # noqa: F401  (CANDIDATE_SHAPE re-exported)
from .dev_selection import DEFAULT_NAME, DevSelection, default_candidates
from .disagree_on import FEW_ANSWERS_HINT, few_answers, resolve_disagree_on
from .disagree_on import FEW_ANSWERS_PER_ROW, UNBIASED_Z_CLASSES, votes_per_covered_row  # noqa: F401  (re-exported)
from .label_free import LabelFreeChoice

__all__ = ["AutoModel", "DEFAULT_NAME", "default_candidates"]


#: appended to the reason when one source dominates and no gold labels were given: majority vote is
#: then the safe label, not a good one (a catch-all LF ties every row where one other LF votes
#: against it), and the models that can do better (Dawid-Skene with its abstain model, moment matching) fail
#: on too many inputs of that shape to be chosen from the votes alone; 100 gold rows choose them
#: (``benchmarks/PROTOCOL.md`` §20)
DOMINANT_HINT = ("; gold labels for about 100 rows (`--dev`) can check the models that estimate the other "
                 "sources' accuracies instead (Dawid-Skene, moment matching)")


@register
class AutoModel(LabelFreeChoice, AutoWarnings, DevSelection, LabelModel):
    """Robust default label model; with gold labels, cross-validated model selection.

    Parameters
    ----------
    candidates:
        ``[(label, model name, params[, uses_labels]), ...]``; ``None`` for
        :func:`default_candidates`. The first candidate is the label-free default (model name
        ``"auto"`` means ``hybrid``); it is fitted without labels and checked against majority vote.
        ``uses_labels`` (default ``True``) fits a candidate semi-supervised.
    cv:
        Number of folds (reduced when a class has fewer labelled rows).
    margin:
        Another candidate replaces the default only if its mean cross-validated accuracy is
        higher by more than this (guards against picking noise on ~100 labels) ...
    min_cv_z:
        ... and if the paired z statistic of the per-row out-of-fold correctness differences is
        at least this (2: a difference unlikely to be fold noise; 100 labels rarely separate
        models that differ by a few points, and a wrong switch can cost far more).
    correction_l2:
        With gold labels: L2 penalty of the supervised correction of the label-free choice's
        posterior (``weaklabel.models.correction``: a logistic regression on the one-hot votes
        with the model's log posterior as offset, shrunk towards the model; each source's own
        residual, or one pooled over sources, whichever predicts the gold rows better out of
        fold). ``None``: never correct. 0.03 was chosen on the tuning half
        (``benchmarks/PROTOCOL.md``).
    correction_min_z:
        The correction replaces the cross-validated choice only if its out-of-fold accuracy on
        the gold rows with votes is at least as high, with a paired z of at least this.
    min_rows_gained:
        Any departure from the label-free choice (another model, a correction) must also get at
        least this many more of the gold rows with votes right, out of fold, than the label-free
        choice. 0 (default): no such bar. 3 is the opt-in for "labels must not hurt": over ten
        draws of 100 gold rows per set, no real tuning set or blind set then ends more than 0.5
        points below the no-label default (1 and 6 tasks without it), for 0.07-0.38 points of mean
        gain over majority vote; two model switches resting on 4-6 rows still can
        (``benchmarks/PROTOCOL.md`` §13).
    min_labels:
        Fewer labelled rows with votes than this: no selection, the label-free choice is used and
        the labels are not.
    criticism:
        Check the first candidate against majority vote from the votes alone (module doc); with
        ``False`` the first candidate is used as it is.
    min_z:
        The first candidate is kept when its held-out-source likelihood gain over majority vote
        has a paired z statistic above this, over all rows and over the outcomes where their
        labels differ (see ``disagree_on``; -2: unless majority vote predicts the held-out votes clearly better; chosen on the
        tuning half of the benchmark sets and regimes, ``benchmarks/PROTOCOL.md``).
    criticism_terms:
        Held-out outcomes (votes, and abstains of one-class LFs) the criticism scores at most; the
        rows are an evenly spaced sample.
    disagree_on:
        Which held-out outcomes the second z of the criticism scores (``criticism.compare_to_majority``).
        ``"rows"``: every vote of the rows whose labels from all votes differ. It favours majority
        vote by construction (most of a disagreement row's votes side with the majority, two of
        three with three votes a row), which keeps it conservative. ``"votes"``: the votes on which
        the two models' labels from the *other* votes differ, unbiased. ``"auto"`` (default):
        ``"votes"`` where covered rows have at most 4 votes on average over 3 or more classes,
        ``"rows"`` elsewhere (:func:`resolve_disagree_on`; ``selection.criticism.disagree_on`` says
        which ran). ``"votes"`` everywhere was better on average without labels but kept failing
        fits on binary inputs with few votes a row (tuning tasks more than 0.5 below majority vote 12
        -> 22; ``hard_crowd/1000`` -1.4), and as the anchor of a ``--dev`` selection on every input
        it failed validation once (WRENCH trec, §15); restricted to few votes over 3+ classes it
        adds one such task and gains on the rest (``benchmarks/PROTOCOL.md`` §15, §25, §26).
    class_balance:
        Fix the class balance (K probabilities) instead of estimating it: every candidate that takes
        one is fitted with it, and rows without votes get it whatever the choice (majority vote
        included). For a user who knows the class mix (``fit --class-balance``).

    Learned: ``model_`` (the fitted winner), ``chosen_``, ``selection_`` (what was chosen and
    why: ``choice``, ``model``, ``reason``, ``criticism`` numbers, ``checks``), ``report_``,
    ``cv_scores_``, and the winner's ``class_balance_``, ``accuracies_``.
    """

    _parameter_constraints = {
        "candidates": [None, "list"],
        "cv": [Interval("int", 2, None)],
        "margin": [Interval("real", 0, 1)],
        "min_labels": [Interval("int", 0, None)],
        "criticism": ["boolean"],
        "min_z": [Interval("real", None, None)],
        "criticism_terms": [Interval("int", 1000, None)],
        "min_cv_z": [Interval("real", None, None)],
        "correction_l2": [None, Interval("real", 0, None, closed="neither")],
        "correction_min_z": [Interval("real", None, None)],
        "min_rows_gained": [Interval("real", 0, None)],
        "disagree_on": [Options("auto", "rows", "votes")],
        "class_balance": [None, "probabilities"],
        "random_state": [None, "random_state"],
    }

    _learned = ("class_balance_", "accuracies_", "model_", "chosen_", "cv_scores_", "report_", "selection_",
                "n_iter_", "converged_", "correction_", "tie_hedge_")

    def __init__(self, candidates=None, cv: int = 5, margin: float = 0.02, min_labels: int = 20,
                 criticism: bool = True, min_z: float = -2.0, criticism_terms: int = 400_000,
                 min_cv_z: float = 2.0, correction_l2: float | None = 0.03, correction_min_z: float = 1.0,
                 min_rows_gained: float = 0.0, disagree_on: str = "auto", class_balance=None,
                 random_state: int | None = 0):
        self.candidates = candidates
        self.cv = cv
        self.margin = margin
        self.min_labels = min_labels
        self.criticism = criticism
        self.min_z = min_z
        self.criticism_terms = criticism_terms
        self.min_cv_z = min_cv_z
        self.correction_l2 = correction_l2
        self.correction_min_z = correction_min_z
        self.min_rows_gained = min_rows_gained
        self.disagree_on = disagree_on
        self.class_balance = class_balance
        self.random_state = random_state

    def _candidates(self) -> list[tuple[str, str, dict, bool]]:
        raw = default_candidates() if self.candidates is None else list(self.candidates)
        if not raw:
            raise InputError("AutoModel needs at least one candidate")
        return [_candidate(i, c) for i, c in enumerate(raw)]

    def _build(self, name: str, params: dict) -> LabelModel:
        from . import MODELS

        cls = MODELS[name]
        p = dict(params)
        if "random_state" in cls._param_names():
            p.setdefault("random_state", self.random_state)
        if self.class_balance is not None and "class_balance" in cls._param_names():
            p.setdefault("class_balance", np.asarray(self.class_balance, dtype=float).tolist())
        return cls(**p)

    def _fit(self, data, y: np.ndarray | None) -> None:
        cands = self._candidates()
        known = np.flatnonzero(y >= 0) if y is not None else np.zeros(0, dtype=np.int64)
        scores: dict[str, list[float]] = {}
        correction = None
        n_scored = int((data.vm.take(known).votes_per_row() > 0).sum()) if known.size else 0
        # the anchor is always fitted without labels: the labels must show a gain to be used
        disagree_on, disagree_why = resolve_disagree_on(self.disagree_on, data)
        default, model, selection = self._label_free(cands, data, None, disagree_on)
        if disagree_why not in ("set", "default") and "disagree_on" in (selection.get("criticism") or {}):
            selection["criticism"]["disagree_on_why"] = disagree_why
        if not known.size and "dominant_share" in (selection.get("criticism") or {}):
            selection["reason"] += DOMINANT_HINT
        few = few_answers(data, selection, self.min_z) if not known.size else None
        if few is not None:
            selection["few_answers"] = few
            selection["reason"] += FEW_ANSWERS_HINT.format(**few)
        self._fit_tie_hedge(data, default, model, selection)
        needed = self._labels_needed()
        overfit = self._dev_built_lfs(data, y, known, model) if n_scored >= needed else None
        one_class = self._dev_one_class(data, y, known) if n_scored >= needed else None
        if n_scored < needed:
            chosen = default
            if known.size:
                too_few = (f"only {n_scored} gold rows with votes (< {needed}): the labels are not used, too "
                           f"few to select a model with")
                selection["reason"] += f" ({too_few})"
                selection["dev_too_few"] = too_few
        elif overfit is not None:
            chosen = default
            selection["reason"] += f"; no cross-validated selection: {overfit}"
            selection["dev_overfit"] = overfit
        elif one_class is not None:
            chosen = default
            selection["reason"] += f"; no cross-validated selection: {one_class}"
            selection["dev_one_class"] = one_class
        else:
            chosen, model, selection, scores, correction = self._select(cands, data, y, known, default, model,
                                                                        selection)
        # gold rows were given but not used: the notes must not ask for them (read by ``_diagnose``)
        self._gold_unusable = bool(known.size) and (n_scored < needed or overfit is not None
                                                    or one_class is not None)
        label, name, params = chosen[:3]
        if (chosen[0] != default[0] or correction is not None) and hasattr(self, "tie_hedge_"):
            del self.tie_hedge_   # the labels chose: they, not the refits, checked the model
            selection.pop("tie_hedge", None)
        if correction is not None:
            self.correction_ = correction
            label = selection["choice"]
        elif hasattr(self, "correction_"):
            del self.correction_
        self.model_ = model
        self.chosen_ = label
        self.selection_ = selection
        self.cv_scores_ = {lab: [float(np.mean(a)), float(np.std(a))] for lab, a in scores.items()}
        self.report_ = {"chosen": label, "model": name, "params": params, "reason": selection["reason"],
                        "labelled_rows": int(known.size), "cv": self.cv_scores_}
        self.class_balance_ = (np.asarray(model.class_balance_, dtype=float) if self.class_balance is None
                               else check_class_balance(self.class_balance, int(data.cardinality)))
        acc = getattr(model, "accuracies_", None)
        if acc is not None:
            self.accuracies_ = np.asarray(acc, dtype=float)
        elif hasattr(self, "accuracies_"):   # majority vote estimates no accuracies: none to show or save
            del self.accuracies_
        self.n_iter_ = int(getattr(model, "n_iter_", 0))
        self.converged_ = bool(getattr(model, "converged_", True))

    def _labels_needed(self) -> int:
        """Gold rows with votes below which the labels are not used: ``min_labels``, and at least
        one (``min_labels=0`` means "whenever there are any": with none there is nothing to select
        with, and the selection read the missing labels, a TypeError)."""
        return max(int(self.min_labels), 1)

    @staticmethod
    def _dev_one_class(data, y, known) -> str | None:
        """Gold rows with votes that are all of one class cannot check a model: one that puts every
        row in that class scores 100% on them (a fit on them learns nothing else)."""
        scored = known[data.vm.take(known).votes_per_row() > 0]
        classes = np.unique(y[scored])
        if classes.size != 1:
            return None
        return (f"the {scored.size} gold rows with votes are all of class {int(classes[0])}: they cannot tell a model "
                f"that labels every row {int(classes[0])} from one that does not, so the label-free choice is kept; "
                f"label rows of the other classes too")

    def _uncovered_from_prior(self) -> bool:
        return False   # the chosen model's predict_proba decides its rows without votes

    def _uncovered_rule(self, data, y):
        if self.class_balance is not None:   # the user's prior, whichever model was chosen
            return check_class_balance(self.class_balance, int(data.cardinality)), "class_balance"
        return super()._uncovered_rule(data, y)

    def _predict_proba(self, vm: VoteMatrix, tie_skip: int = 0) -> np.ndarray:
        proba = self.model_.predict_proba(vm, tie_skip=tie_skip)
        hedge = getattr(self, "tie_hedge_", None)
        if hedge is not None:
            from .tie_hedge import hedge_ties

            proba = hedge_ties(vm, proba, hedge)
        W = getattr(self, "correction_", None)
        if W is None:
            return proba
        from .correction import apply_correction

        return apply_correction(vm, proba, W)

    def proba_draws(self, L) -> int:
        return self.model_.proba_draws(L)

    def _validate_learned(self) -> None:
        super()._validate_learned()
        if not isinstance(self.model_, LabelModel):
            raise ValueError("model_ must be a fitted label model")
        if int(self.model_.n_lfs_) != int(self.n_lfs_) or int(self.model_.cardinality_) != int(self.cardinality_):
            raise ValueError("the nested model has a different shape")
        sel = getattr(self, "selection_", None)
        if sel is None:   # a model file from before label-free selection
            self.selection_ = {"choice": self.chosen_, "model": type(self.model_).__name__,
                               "reason": str(self.report_.get("reason", "")) if isinstance(self.report_, dict) else ""}
        elif not isinstance(sel, dict) or not isinstance(sel.get("reason"), str):
            raise ValueError("selection_ must be an object with a 'reason'")
        if hasattr(self, "accuracies_"):
            self.accuracies_ = np.asarray(self.accuracies_, dtype=float)
        if hasattr(self, "tie_hedge_"):
            from .tie_hedge import validate

            self.tie_hedge_ = validate(self.tie_hedge_, int(self.n_lfs_), int(self.cardinality_))
        if hasattr(self, "correction_"):
            W = np.asarray(self.correction_, dtype=float)
            if W.shape != (int(self.n_lfs_) * int(self.cardinality_) + 1, int(self.cardinality_)) or not np.isfinite(W).all():
                raise ValueError("correction_ must be a finite (n_lfs * cardinality + 1) x cardinality array")
            self.correction_ = W
