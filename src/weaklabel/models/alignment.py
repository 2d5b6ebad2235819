"""Lining up the votes given to a fitted model's ``predict_proba`` / ``predict`` / ``score`` with
the LFs and classes it was fitted on.

A model reads LF ``j``'s votes from column ``j``: a VoteMatrix whose LF columns come in another
order would get each other's accuracies, and one whose classes are named in another order each
other's labels, both silently. ``weaklabel predict`` matches the votes file's LFs by name and
refuses other class names (``fit.run.predict_file``); this is the same rule for Python callers.

Names are only compared when both sides have real ones. ``VoteMatrix.from_dense`` (and every
model given a dense array) names LF ``j`` ``lf_j``: a model fitted on a dense array has those
names, and a dense array has no others, so when either side's names are exactly
``lf_0 .. lf_{m-1}`` the columns are taken by position (only their number is checked), as for a
dense array; unless both sides name the same LFs, in another order (``select_lfs`` of a dense
array's columns), or the votes are a frame's columns ``0 .. m-1`` in another order
(``pd.DataFrame(L)[[2, 0, 1]]``) for a model fitted on unnamed ones: those are put back in the
model's order.
"""

from __future__ import annotations

from ..errors import InputError
from ..votes import VoteMatrix


def default_lf_names(names) -> bool:
    """Whether ``names`` are the ones a VoteMatrix makes up when it is given none (``lf_0`` ...)."""
    return list(names) == [f"lf_{j}" for j in range(len(names))]


def align_lfs(model, vm: VoteMatrix, where: str) -> VoteMatrix:
    """``vm`` with its LF columns in the order of ``model.lf_names_`` (the same LFs in another
    order are reordered); another set of LFs is an InputError naming ``where`` and the first LF
    the votes lack (or, when they lack none, the first extra one). Unnamed sides: see the module
    docstring."""
    fitted = getattr(model, "lf_names_", None)
    if not fitted or vm.lf_names == list(fitted):
        return vm
    have, known = set(vm.lf_names), set(fitted)
    if have == known and len(vm.lf_names) == len(fitted):
        # the same LFs in another order, made-up names included: ``lf_3, lf_1, ...`` is
        # ``select_lfs`` of a dense array's columns, and reading it by position would swap them
        return vm.select_lfs(list(fitted))
    if default_lf_names(fitted) and sorted(vm.lf_names) == sorted(str(j) for j in range(len(fitted))):
        # a model fitted on unnamed columns given ``pd.DataFrame(L)[[3, 1, 2, 0]]``: those columns
        # are named by their place in the frame the model's columns came from: put back in order
        return vm.select_lfs([str(j) for j in range(len(fitted))])
    if default_lf_names(fitted) or default_lf_names(vm.lf_names):
        return vm
    missing = [n for n in fitted if n not in have]
    extra = [n for n in vm.lf_names if n not in known]
    if missing:
        raise InputError(f"{where}: has no LF {missing[0]!r}, which the model was fitted with ({len(missing)} of its "
                         f"{len(fitted)} LFs missing, {len(extra)} LF(s) it was not fitted with)")
    if extra:
        raise InputError(f"{where}: has {len(extra)} LF(s) the model was not fitted with (first: {extra[0]!r}); "
                         f"pass L.select_lfs(model.lf_names_)")
    return vm.select_lfs(list(fitted))   # keeps row ids and class names


def check_class_names(model, classes, where: str) -> None:
    """Votes whose classes are named otherwise than those the model was fitted on (another order,
    other names) would get each other's labels: an InputError naming ``where`` and both lists.
    Names are compared by :func:`~weaklabel.votes.class_names.class_key` (stripped, Unicode NFC), as
    at fit and for gold labels: ``"pos "`` or an NFD accent names the model's class.
    ``weaklabel predict`` (``fit.run.predict_file``) runs the same check on a votes file."""
    from ..votes.class_names import same_class_names

    fitted = getattr(model, "class_names_", None)
    if fitted and classes and not same_class_names(classes, fitted):
        raise InputError(f"{where}: classes {', '.join(map(str, classes))} but the model was fitted on classes "
                         f"{', '.join(fitted)} (in this order); apply the same LFs with the same classes")


def align_votes(model, vm: VoteMatrix) -> VoteMatrix:
    """``vm`` checked and reordered for ``model`` (LFs by name, class names compared)."""
    where = f"L given to {type(model).__name__}"
    vm = align_lfs(model, vm, where)
    check_class_names(model, vm.classes, where)
    return vm
