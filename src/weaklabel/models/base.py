"""The label-model contract, shared by every model.

A label model is a scikit-learn-style estimator:

* ``__init__`` stores hyper-parameters only (``get_params`` / ``set_params`` work, so
  ``sklearn.base.clone`` does too);
* ``fit(L, y=None)`` learns from a vote matrix ``L`` (a :class:`~weaklabel.votes.VoteMatrix` or
  a dense int array with ``-1`` for abstain). ``y`` optionally gives gold labels for some rows
  (``-1`` = unknown, scikit-learn's semi-supervised convention); learned state lives in
  attributes ending in ``_`` (``class_balance_``, ``n_iter_``, ``converged_``, ...);
* ``predict_proba(L)`` returns an ``(n, K)`` float64 array whose rows sum to 1 (rows where every
  LF abstains get ``class_balance_``, or ``uncovered_proba_`` where the fit knows better:
  :mod:`weaklabel.models.uncovered`); ``predict(L, ties=...)`` the argmax with a seeded tie rule;
* ``to_dict()`` / ``from_dict()`` convert to plain JSON data: a model file never executes code.

This module deliberately does not import scikit-learn (its import costs a second of CLI start-up).

The contract is assembled from modules of one job each, re-exported here (every name callers
import from ``weaklabel.models.base`` still imports from it): :mod:`~weaklabel.models.estimator_params`
(hyper-parameters the scikit-learn way), :mod:`~weaklabel.models.uncovered_rule` (what rows without
votes get), :mod:`~weaklabel.models.model_file` (model files, the registry of model classes),
:mod:`~weaklabel.models.tie_breaking` (hard labels, seeded ties), :mod:`~weaklabel.models.class_balance`
(class priors from gold labels or votes) and :mod:`~weaklabel.models.model_votes` (small reads of
the votes). This module holds the estimator itself: ``fit``, ``predict_proba``, ``predict``, ``score``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix, check_labels
from .class_balance import check_class_balance, covered_class_balance, gold_class_balance  # noqa: F401
from .class_balance import one_class_gold
from .constraints import Interval, Options  # noqa: F401  (re-exported: models import them from here)
from .constraints import check_indexed_params as _check_indexed_params
from .estimator_params import EstimatorParams
from .model_file import MAX_CARDINALITY, MAX_LFS, MODEL_FORMAT, register, registered_models  # noqa: F401
from .model_file import ModelFile
from .model_votes import class_counts, class_names_of, empty_row  # noqa: F401  (re-exported)
from .serialize import _jsonable, jsonable  # noqa: F401  (jsonable re-exported)
from .tie_breaking import TIES, break_ties, count_ties, tie_rng, tied_rows  # noqa: F401  (re-exported)
from .uncovered_rule import UncoveredRule

_NOT_FITTED: type | None = None


def not_fitted_error(message: str) -> InputError:
    """The error of a model used before ``fit``: an InputError (one line for the CLI) that is also
    scikit-learn's ``NotFittedError``, as code written for scikit-learn catches. The class is made
    on first use: importing scikit-learn costs most of a second, so only this error path does."""
    global _NOT_FITTED
    if _NOT_FITTED is None:
        from sklearn.exceptions import NotFittedError

        _NOT_FITTED = type("NotFittedError", (InputError, NotFittedError), {
            "__module__": __name__, "__reduce__": lambda self: (not_fitted_error, (str(self),))})
    return _NOT_FITTED(message)


class LabelModel(EstimatorParams, UncoveredRule, ModelFile):
    """Base class: parameter handling, tie-breaking, serialisation. Subclasses implement
    ``_fit(vm, y)`` and ``_predict_proba(vm)``, and list their learned attributes in ``_learned``.

    Hyper-parameters are checked in one place, as scikit-learn does: each class lists, in
    ``_parameter_constraints``, what every ``__init__`` parameter may be (an :class:`Interval`,
    :class:`Options`, ``None``, ``"boolean"``, ``"random_state"``, ...), and :meth:`_validate_params`
    (called by :meth:`fit` and when a model file is loaded) raises one :class:`InputError` naming
    the first parameter that fits none of them (NaN, infinities and wrong types included).
    """

    _learned: ClassVar[tuple[str, ...]] = ("class_balance_", "n_iter_", "converged_")
    _parameter_constraints: ClassVar[dict[str, list]] = {"random_state": [None, "random_state"]}
    random_state: int | None = 0

    # ---------------------------------------------------------------- fitting and prediction
    def _coerce(self, L, fitted: bool) -> VoteMatrix:
        """``L`` as a VoteMatrix; for a fitted model, lined up with its LFs and classes
        (:func:`weaklabel.models.alignment.align_votes`) and of its width."""
        K = getattr(self, "cardinality_", None) if fitted else None
        from .inputs import coerce_votes

        vm = coerce_votes(L, cardinality=K)
        if fitted:
            from .alignment import align_votes

            vm = align_votes(self, vm)
        if fitted and getattr(self, "n_lfs_", None) is not None and vm.n_lfs != self.n_lfs_:
            raise InputError(f"{type(self).__name__} was fitted on {self.n_lfs_} LFs but got {vm.n_lfs}")
        return vm

    def _check_y(self, vm, y) -> np.ndarray | None:
        if y is None:
            return None
        if not getattr(vm, "supports_labels", True):
            raise InputError(f"gold labels cannot be combined with {type(vm).__name__} (fit without y)")
        y = check_labels(y, vm.n_rows, vm.cardinality, "y")
        return y

    def fit(self, L, y=None) -> "LabelModel":
        """Learn from votes ``L``; ``y`` (optional) holds gold labels for some rows, ``-1`` elsewhere.

        ``L`` is a VoteMatrix, a dense int array (``-1`` = abstain) or any
        :class:`~weaklabel.models.stats.VoteStats` (e.g. partitioned data on disk or on Dask):
        models only use row sums of the votes.
        """
        from .inputs import check_label_order
        from .stats import as_stats

        self._validate_params()
        check_label_order(L, y)
        data = as_stats(L)
        if data.n_rows == 0:
            raise InputError("cannot fit a label model on an empty vote matrix")
        _check_indexed_params(self, list(data.lf_names), class_names_of(data))
        yy = self._check_y(data, y)
        before = dict(self.__dict__)   # a fit that fails leaves the model as it was, not half refitted
        try:
            self.cardinality_ = data.cardinality
            self.n_lfs_ = data.n_lfs
            self.lf_names_ = list(data.lf_names)
            names = class_names_of(data)
            if names is not None and len(names) == data.cardinality:
                self.class_names_ = [str(c) for c in names]   # predict checks new votes name them alike
            elif hasattr(self, "class_names_"):
                del self.class_names_
            # The models' linear algebra is on (m K)-sized matrices, far too small for BLAS threads,
            # and OpenBLAS threads keep spinning after each call, stealing the cores from the Numba
            # kernels that follow (mc at 10^6 x 100: fit + predict 0.42 -> 0.35 s with one thread).
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1, user_api="blas"):
                if hasattr(self, "uncovered_proba_"):   # from an earlier fit
                    del self.uncovered_proba_
                self._uncovered_dispute = None
                self._fit(data, yy)
                u, self._uncovered_how = self._uncovered_rule(data, yy)   # the how: for the warnings only
                if u is not None:
                    self.uncovered_proba_ = u
                self.warnings_ = self._diagnose(data)
                one = one_class_gold(yy, data.cardinality)
                if one is not None and type(self).__name__ != "AutoModel":   # AutoModel says it its own way
                    names = getattr(self, "class_names_", None)
                    which = names[one] if names else one
                    self.warnings_.append(f"the gold labels are all class {which}: a one-class sample says nothing "
                                          f"about the class mix, so it is not used as the class balance (models that "
                                          f"fix the gold rows during EM still count them as rows of that class); label "
                                          f"rows of the other classes too")
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _diagnose(self, data) -> list[str]:
        """Label-free checks of the fit (``weaklabel.models.diagnostics``): one line per problem."""
        from .diagnostics import fit_warnings

        return fit_warnings(self, data)

    def _check_fitted(self) -> None:
        if not hasattr(self, "class_balance_"):
            raise not_fitted_error(f"{type(self).__name__} is not fitted yet; call fit() first")

    def predict_proba(self, L, *, tie_skip: int = 0) -> np.ndarray:
        """``(n, K)`` probabilities; rows with no votes get ``class_balance_``, or ``uncovered_proba_``
        where the fit set it (:mod:`weaklabel.models.uncovered`).

        A VoteMatrix ``L`` is read by LF name, as ``weaklabel predict`` reads a votes file: the
        model's LFs in another order are put back in its order, another set of LFs or other class
        names (``L.classes`` against ``class_names_``) is an InputError. A dense array, or a side
        whose LF names are the made-up ``lf_0 .. lf_{m-1}`` (a model fitted on a dense array), is
        read by position: only the number of LFs is checked (:mod:`weaklabel.models.alignment`).

        ``tie_skip`` (partitioned prediction): random draws made by the rows before ``L`` (the
        sum of :meth:`proba_draws` over the earlier partitions); only models whose probabilities
        involve random tie-breaks (majority vote with ``ties="random"``) use it.
        """
        self._check_fitted()
        vm = self._coerce(L, fitted=True)
        proba = self._predict_proba(vm, tie_skip=tie_skip) if tie_skip else self._predict_proba(vm)
        fill = getattr(self, "uncovered_proba_", None)
        if fill is not None:
            empty = vm.votes_per_row() == 0
            if empty.any():
                proba = np.array(proba, dtype=float)
                proba[empty] = fill
        return proba

    def proba_draws(self, L) -> int:
        """How many random draws :meth:`predict_proba` makes on ``L`` (0 for most models)."""
        return 0

    def predict(self, L, ties: str = "random") -> np.ndarray:
        """Hard labels: argmax of :meth:`predict_proba`, ties broken by ``ties`` (seeded)."""
        return break_ties(self.predict_proba(L), ties, self.random_state)

    def fit_predict_proba(self, L, y=None) -> np.ndarray:
        return self.fit(L, y).predict_proba(L)

    def score(self, L, y, ties: str = "random", metrics=None):
        """Accuracy of :meth:`predict` against ``y`` on rows with a known label (``y >= 0``): a
        float, as scikit-learn's ``score``. With ``metrics`` (names from
        :data:`weaklabel.metrics.METRICS`, e.g. ``["accuracy", "f1", "coverage", "brier"]``) a dict
        ``{name: value}``, as Snorkel's ``LabelModel.score``; rows whose hard label is ``-1``
        (``ties="abstain"``) count only against ``coverage``.

        ``y`` is checked as :meth:`fit` checks it (one integer in ``-1..K-1`` per row of ``L``): a
        label out of range would otherwise just count as wrong."""
        from .inputs import check_label_order

        self._check_fitted()
        check_label_order(L, y)
        vm = self._coerce(L, fitted=True)
        y = check_labels(y, vm.n_rows, vm.cardinality, "y")   # fit's check (_check_y)
        if metrics is None:
            known = y >= 0
            pred = self.predict(vm, ties=ties)
            return float((pred[known] == y[known]).mean()) if known.any() else float("nan")
        from ..metrics import score_labels

        proba = self.predict_proba(vm)
        return score_labels(y, break_ties(proba, ties, self.random_state), proba, metrics)

    # to be implemented by subclasses: ``data`` is a VoteStats (row sums only)
    def _fit(self, data, y: np.ndarray | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_proba(self, vm: VoteMatrix) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError
