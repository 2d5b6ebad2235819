"""``AutoModel`` with gold labels (``fit --dev``): which model, fitted how, the labels choose.

The label-free choice (``AutoModel``'s path without labels, fitted *without* them) is the anchor.
Other candidates of :func:`default_candidates` replace it only with a margin and a paired z over
the gold rows that have votes; label-free candidates are scored directly on the gold rows (they
never saw the labels), semi-supervised ones by stratified k-fold (on large inputs the fold fits
see the gold rows and a row sample, :data:`CV_MAX_ROWS`). Then a correction of the
label-free posterior learned from the gold rows (:mod:`weaklabel.models.correction`; each source's
own, or pooled over sources, whichever predicts them better out of fold) is kept if it predicts
them at least as well out of fold as the choice so far. See ``benchmarks/PROTOCOL.md`` for how the rules were
chosen. Kept apart from ``auto.py`` and ``label_free.py`` (the label-free path) as a mixin of ``AutoModel``.
"""

from __future__ import annotations

import numpy as np

from ..votes import VoteMatrix
from .base import LabelModel
from .tie_hedge import hedge_ties

DEFAULT_NAME = "default"


#: hybrid with each source's own wrong-class spread, fitted without labels: a candidate and a base
#: for the correction, only where the spread acts (``_spread_matters``)
FREE_SPREAD_LABEL = "hybrid, own wrong-class patterns (no labels)"


def default_candidates() -> list[tuple[str, str, dict, bool]]:
    """``(label, model name, params, uses_labels)`` compared by cross-validation with gold labels.

    The first is the label-free choice (``auto`` without labels: the fitted default, or majority
    vote when the votes say not to trust it): the anchor every other candidate must beat. Candidates
    with ``uses_labels`` are fitted semi-supervised (each fold with the other folds' labels); the
    others are fitted once without labels, so their predictions on every gold row are already out of
    sample. Why both: 100 labels often help most by *choosing* a model the votes alone cannot
    choose (a moment method on few sources, Dawid-Skene on one-class rules), and a semi-supervised fit
    can also hurt (100 labels turn low-precision one-class rules into evidence for the other class):
    the anchor is the no-label default, so labels are only used where they show a gain
    (``benchmarks/PROTOCOL.md``, "With 100 gold rows").
    """
    return [
        (DEFAULT_NAME, "auto", {}, False),
        ("majority", "majority", {"ties": "uniform"}, False),
        ("hybrid (no labels)", "hybrid", {}, False),
        (FREE_SPREAD_LABEL, "hybrid", {"wrong_class_strength": 0.0}, False),
        ("ds (no labels)", "ds", {}, False),
        ("weighted (no labels)", "weighted", {}, False),
        ("triplet (no labels)", "triplet", {}, False),
        ("mc (no labels)", "mc", {}, False),
        ("hybrid", "hybrid", {}, True),
        ("hybrid, free crowd bias", "hybrid", {"crowd_bias": "free"}, True),
        ("hybrid, own wrong-class patterns", "hybrid", {"wrong_class_strength": 0.0}, True),
        ("weighted", "weighted", {}, True),
        ("ds", "ds", {}, True),
        ("onecoin", "onecoin", {}, True),
        ("triplet", "triplet", {}, True),
        ("mc", "mc", {}, True),
    ]


#: Moment models build an (m K)^2 matrix: with more sources than this they are not tried by ``--dev``.
MOMENT_MODELS_MAX_LFS = 200

#: the cross-validation fits of the semi-supervised candidates see every gold row and at most this
#: many rows in all (the others an evenly spaced sample): k fits per candidate on 10^6 rows took
#: most of a 46-second ``fit --dev``, while a label model's parameters are averages that a sample
#: of this size pins down. Their out-of-fold predictions only rank the candidates; the chosen
#: model is fitted on every row.
CV_MAX_ROWS = 200_000


#: the paired z over the gold rows with votes by which a correction pooled over sources must predict
#: them better out of fold than each source's own to replace it: a second look at the same rows
#: needs some evidence (chosen on the tuning half, ``benchmarks/PROTOCOL.md`` §12)
POOLED_MIN_Z = 0.5


def correction_label(base: str, pooled: bool) -> str:
    """How a correction of ``base`` is named in ``selection_`` and ``cv_scores_``."""
    return f"corrected {base}" + (", pooled over sources" if pooled else "")


def _spread_matters(vm: VoteMatrix) -> bool:
    """Whether hybrid's ``wrong_class_strength`` changes anything on these votes: 3+ classes and a
    source that votes more than one class. Elsewhere the free-spread candidates are plain hybrid,
    and offering them again as a correction base would only add a second look at the same fit
    (on trec, 6 classes of one-class rules, that second look picked a correction 12 points below
    majority vote)."""
    if vm.cardinality <= 2:
        return False
    return bool(((vm.lf_class_counts() > 0).sum(axis=1) >= 2).any())


def correction_on_majority(label_free: dict) -> str | None:
    """Why the correction from the gold labels is learned on majority vote rather than on the
    label-free model, or ``None``: the label-free choice is a fitted model kept on the unbiased
    disagreement z (``disagree_on="votes"``, the default's choice with few votes a row over 3+
    classes) where the conservative one (``"rows"``) would have fallen back to majority vote.

    There most covered rows have one or two votes over many classes and the model leaves many of
    them nearly tied; a correction of it learned on ~100 gold rows then sets all their labels by its
    per-class intercepts: on WRENCH trec (6 classes, 1.8 votes a row) such corrections were accepted
    out of fold on 6 of 10 draws and lost 11-15 points on the test rows (PROTOCOL.md §15, §26).
    Majority vote's ties are exact, and a correction of it re-weighs whole sources: on trec it was
    accepted on 4 of 10 draws, each +2.4 to +2.8 points over the no-label default; on the tuning
    tasks it changed 4 of 297 crowd teams, +1.0 point in all (PROTOCOL.md §27). The other
    candidates still compete with the anchor."""
    crit = label_free.get("criticism") or {}
    if not crit.get("kept_by_unbiased_z") or label_free.get("model") == "majority":
        return None
    return ("the correction from the gold labels is learned on majority vote, not on the label-free model: "
            "that model was kept on the unbiased disagreement z (few votes a row), where a correction's "
            "intercepts decide the rows it leaves nearly tied and did not carry over to new rows "
            "(PROTOCOL.md §26, §27)")


def _expected_correct(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row, the chance that the hard label is right when ties are broken at random."""
    top = proba.max(axis=1, keepdims=True)
    is_top = proba >= top - 1e-9 * np.maximum(1.0, np.abs(top))
    return is_top[np.arange(y.size), y] / is_top.sum(axis=1)


def _paired_z(d: np.ndarray) -> float:
    """z statistic of paired per-row differences (0 when they are all zero)."""
    ss = float((d * d).sum())
    return float(d.sum() / np.sqrt(ss)) if ss > 0 else 0.0


def _evidence(gain: np.ndarray, against: str) -> dict:
    """What a ``--dev`` decision rests on, for ``selection_["evidence"]``: the out-of-fold gain of
    the choice over the label-free one on the gold rows with votes, as rows and as a paired z.
    With ~100 gold rows a choice can rest on two or three rows, and a single draw of them can
    mislead it (``benchmarks/PROTOCOL.md`` §13); the user sees how much evidence there was."""
    return {"against": against, "gold_rows_scored": int(gain.size), "more_right": round(float(gain.sum()), 2),
            "paired_z": round(_paired_z(gain), 2)}


def cv_rows(n_rows: int, known: np.ndarray, max_rows: int = CV_MAX_ROWS) -> np.ndarray | None:
    """Rows the cross-validation fits use: ``None`` (all of them) up to ``max_rows``, else every
    gold row plus an evenly spaced, deterministic sample of the others, in row order."""
    if n_rows <= max_rows:
        return None
    step = -(-n_rows // max(1, max_rows - known.size))
    return np.union1d(np.arange(0, n_rows, step), known)


def _stratified_folds(y_known: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold id (0..k-1) for each labelled row, classes spread evenly over the folds."""
    folds = np.empty(y_known.size, dtype=np.int64)
    offset = 0
    for cls in np.unique(y_known):
        idx = np.flatnonzero(y_known == cls)
        rng.shuffle(idx)
        folds[idx] = (np.arange(idx.size) + offset) % k
        offset += idx.size
    return folds


class DevSelection:
    """``AutoModel``'s selection with gold labels (module docstring); uses its hyper-parameters."""

    def _select(self, cands, data, y, known, default, model, selection):
        """Cross-validated choice among ``cands`` on the labelled rows (class docstring)."""
        vm = data.vm  # cross-validation needs the rows (gold labels imply in-memory votes)
        label_free = selection
        rng = np.random.default_rng(self.random_state)
        counts = np.bincount(y[known], minlength=vm.cardinality)
        k = int(max(2, min(self.cv, counts[counts > 0].min())))
        folds = _stratified_folds(y[known], k, rng)
        gold = vm.take(known)
        y_gold = y[known]
        covered = gold.votes_per_row() > 0
        cfolds = folds[covered]
        scores: dict[str, list[float]] = {}
        per_row: dict[str, np.ndarray] = {}
        fitted: dict[str, LabelModel] = {default[0]: model}
        skipped = []
        seen = set()
        spread_matters = _spread_matters(vm)
        sub = cv_rows(vm.n_rows, known, CV_MAX_ROWS)
        cv_votes, cv_y = (data, y) if sub is None else (vm.take(sub), y[sub])
        cv_pos = known if sub is None else np.searchsorted(sub, known)   # the gold rows in cv_votes
        for cand in [default] + [c for c in cands if c[0] != default[0]]:
            label, name, params, uses_labels = cand
            key = (name, repr(sorted(params.items())), uses_labels)
            if key in seen:    # e.g. majority vote, when it is the label-free choice
                continue
            seen.add(key)
            if name in ("mc", "triplet") and vm.n_lfs > MOMENT_MODELS_MAX_LFS:
                skipped.append(label)
                continue
            if "wrong_class_strength" in params and not spread_matters:
                continue   # the same fit as plain hybrid (see _spread_matters)
            if cand is default or not uses_labels:
                # fitted without labels: its predictions on the gold rows are out of sample already
                m = model if cand is default else self._build(name, params).fit(data)
                fitted[label] = m
                proba = m.predict_proba(gold)
                if cand is default:   # as the label-free choice labels them (its tie hedge included)
                    proba = hedge_ties(gold, proba, getattr(self, "tie_hedge_", None))
                right = _expected_correct(proba, y_gold)
            else:
                right = np.zeros(known.size)     # out-of-fold correctness per labelled row
                for f in range(k):
                    y_train = cv_y.copy()
                    in_fold = folds == f
                    held = known[in_fold]
                    y_train[cv_pos[in_fold]] = -1
                    fold_model = self._build(name, params).fit(cv_votes, y_train)
                    right[in_fold] = _expected_correct(fold_model.predict_proba(vm.take(held)), y[held])
            # scored on the gold rows some source votes on: elsewhere every model only guesses the
            # class prior, which would swamp the comparison (sms: 62% of gold rows have no vote)
            right = right[covered]
            scores[label] = [float(right[cfolds == f].mean()) for f in range(k) if (cfolds == f).any()]
            per_row[label] = right
        means = {label: float(right.mean()) for label, right in per_row.items()}
        dlabel = default[0]
        best = max(means, key=lambda lab: (means[lab], lab == dlabel))
        z = _paired_z(per_row[best] - per_row[dlabel]) if best != dlabel else 0.0
        # majority vote is the floor the default must not fall below: switching to it needs the
        # margin only; any other switch also needs the paired evidence
        best_cand = next(c for c in cands if c[0] == best)
        is_floor = best_cand[1] == "majority"
        rows_gained = float((per_row[best] - per_row[dlabel]).sum())
        if (best != dlabel and means[best] > means[dlabel] + self.margin and (is_floor or z >= self.min_cv_z)
                and self._gains_enough_rows(rows_gained)):
            chosen = best_cand
            reason = (f"{best}: {k}-fold dev accuracy {means[best]:.3f} beats the label-free choice "
                      f"{dlabel}'s {means[dlabel]:.3f} by more than {self.margin:.3f} (paired z = {z:.2f} "
                      f"over the {int(covered.sum())} labelled rows with votes)")
            model = fitted.get(best) or self._build(chosen[1], chosen[2]).fit(data, y)
        else:
            chosen = default
            others = [v for lab, v in means.items() if lab != dlabel]
            rows_note = (f", {rows_gained:.1f} more gold rows right; min_rows_gained = {self.min_rows_gained:g}"
                         if self.min_rows_gained > 0 else "")
            reason = (f"{dlabel}: {k}-fold dev accuracy {means[dlabel]:.3f}; best alternative "
                      f"{best if best != dlabel else '-'} {max(others, default=float('nan')):.3f} "
                      f"is not better by more than {self.margin:.3f} with paired z >= {self.min_cv_z:g} "
                      f"(z = {z:.2f}{rows_note}; label-free: {selection['reason']})")
        if skipped:
            reason += f"; not tried with {vm.n_lfs} sources (> {MOMENT_MODELS_MAX_LFS}): {', '.join(skipped)}"
        selection = {"choice": chosen[0], "model": chosen[1], "reason": reason, "uses_labels": bool(chosen[3]),
                     "criticism": selection.get("criticism"), "label_free_choice": dlabel,
                     "label_free_model": default[1],
                     "evidence": _evidence(per_row[chosen[0]] - per_row[dlabel], dlabel)}
        if chosen[0] == dlabel and "tie_hedge" in label_free:
            selection["tie_hedge"] = label_free["tie_hedge"]
        correction = None
        on_majority = correction_on_majority(label_free)
        # majority vote's candidate, found by its model (a user's candidate list may label it otherwise)
        mv_label = next((c[0] for c in cands if c[1] == "majority" and not c[3] and c[0] in fitted), None)
        if on_majority is not None and mv_label is not None:
            selection["correction_on_majority"] = on_majority
        elif on_majority is not None:
            selection["no_correction"] = ("no correction learned from the gold labels: the label-free model was "
                                          "kept on the unbiased disagreement z and majority vote is not a candidate")
        if self.correction_l2 is not None and (on_majority is None or mv_label is not None):
            # the correction is learned on top of a model fitted without labels: the label-free
            # choice, or (3+ classes) hybrid with each source's own wrong-class spread, which the
            # default evens out for robustness and which the labels may show to be informative;
            # majority vote alone where the label-free model was kept on the unbiased z
            bases = [dlabel] + ([FREE_SPREAD_LABEL] if FREE_SPREAD_LABEL in fitted and FREE_SPREAD_LABEL != dlabel else [])
            if on_majority is not None:
                bases = [mv_label]
            fits = {}
            for base in bases:
                for pooled in (False, True):
                    fits[base, pooled] = self._correction(fitted[base], gold, y_gold, folds, covered, pooled)
                    scores[correction_label(base, pooled)] = [float(fits[base, pooled][1][cfolds == f].mean())
                                                              for f in range(k) if (cfolds == f).any()]
            # each source's own correction (on the better base), unless the pooled one predicts the
            # gold rows better, with a paired z of at least POOLED_MIN_Z
            def best(pooled):
                return max((bp for bp in fits if bp[1] == pooled), key=lambda bp: (fits[bp][1].mean(), bp[0] == dlabel))
            base, pooled = best(False)
            pool = best(True)
            gain = fits[pool][1] - fits[base, pooled][1]
            if gain.mean() > 0 and _paired_z(gain) >= POOLED_MIN_Z:
                base, pooled = pool
            correction, right = fits[base, pooled]
            gain = right - per_row[chosen[0]]
            z = _paired_z(gain)
            if (gain.mean() >= 0 and z >= self.correction_min_z
                    and self._gains_enough_rows(float((right - per_row[dlabel]).sum()))):
                label = correction_label(base, pooled)
                selection["reason"] = (f"{base} with a correction learned from the gold labels"
                                       f"{', pooled over sources' if pooled else ''}: {k}-fold dev accuracy "
                                       f"{right.mean():.3f} against {means[chosen[0]]:.3f} for {chosen[0]} "
                                       f"({gain.sum():.1f} more of the {gain.size} gold rows with votes right, "
                                       f"paired z = {z:.2f} >= {self.correction_min_z:g}); without it: {reason}")
                selection["evidence"] = _evidence(right - per_row[dlabel], dlabel)
                base_cand = default if base == dlabel else next(c for c in cands if c[0] == base)
                selection.update(choice=label, model=base_cand[1], uses_labels=True, corrected=True,
                                 correction="pooled" if pooled else "per source")
                chosen, model = base_cand, fitted[base]
            else:
                correction = None
        return chosen, model, selection, scores, correction

    def _gains_enough_rows(self, rows_gained: float) -> bool:
        """The opt-in bar on any departure from the label-free choice (``min_rows_gained``)."""
        return rows_gained >= self.min_rows_gained - 1e-9

    def _correction(self, base: LabelModel, gold: VoteMatrix, y_gold: np.ndarray, folds: np.ndarray,
                    covered: np.ndarray, pooled: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The correction of ``base`` fitted on every gold row, and its out-of-fold correctness on
        the gold rows with votes (``base`` never saw the labels, so only the correction is refitted);
        ``pooled``: see :mod:`weaklabel.models.correction`."""
        from .correction import corrected_proba, fit_correction, log_offset, vote_features

        X = vote_features(gold)
        # the offsets the correction was chosen with (PROTOCOL §7, §12): gold rows without votes at
        # the model's class prior, not at what ``uncovered_proba_`` gives them (the gold rows
        # without votes set that themselves, and it is applied after the correction)
        offset = log_offset(base._predict_proba(gold))
        right = np.zeros(y_gold.size)
        for f in np.unique(folds):
            train = folds != f
            W = fit_correction(X[train], offset[train], y_gold[train], self.correction_l2, pooled=pooled)
            right[~train] = _expected_correct(corrected_proba(X[~train], offset[~train], W), y_gold[~train])
        return fit_correction(X, offset, y_gold, self.correction_l2, pooled=pooled), right[covered]

    @staticmethod
    def _dev_built_lfs(data, y, known, model, gap: float = 0.15, sample: int = 20_000) -> str | None:
        """Why cross-validation on these gold rows cannot be trusted, or None.

        LFs generated from the same labelled rows (``weaklabel autolf``, then ``fit --dev``) are far
        more accurate on those rows than anywhere else, so every candidate's cross-validated
        accuracy is optimistic and the comparison favours whichever trusts the LFs most. The
        check compares each LF's accuracy on the gold rows with its accuracy on the other rows
        under the fitted model's posterior (vote-weighted means); a gap above ``gap`` means the
        gold rows are not a fair test of the LFs. The estimate elsewhere is the label-free model's,
        and a weak model underestimates the LFs by up to ~0.12 on gold rows nobody built them from
        (chemprot); LFs copied from the gold labels show gaps of 0.25-0.66, and generated ones
        (``weaklabel bench --suite autows``) 0.1-0.2. Hence 0.15 (``benchmarks/PROTOCOL.md`` §11)."""
        vm = data.vm
        others = np.setdiff1d(np.arange(vm.n_rows), known)
        if others.size == 0:
            return None
        if others.size > sample:
            others = others[np.linspace(0, others.size - 1, sample).astype(np.int64)]
        m = vm.n_lfs
        gold = vm.take(known)
        g_rows = np.repeat(np.arange(gold.n_rows), np.diff(gold.indptr))
        hit = (gold.votes == y[known][g_rows]).astype(float)
        g_n = np.bincount(gold.indices, minlength=m).astype(float)
        g_acc = np.bincount(gold.indices, weights=hit, minlength=m)
        rest = vm.take(others)
        if rest.nnz == 0 or g_n.sum() < 30:
            return None
        q = model.predict_proba(rest)
        r_rows = np.repeat(np.arange(rest.n_rows), np.diff(rest.indptr))
        p_right = q[r_rows, rest.votes.astype(np.int64)]
        r_n = np.bincount(rest.indices, minlength=m).astype(float)
        r_acc = np.bincount(rest.indices, weights=p_right, minlength=m)
        both = (g_n > 0) & (r_n > 0)
        if not both.any():
            return None
        on_gold = float(g_acc[both].sum() / g_n[both].sum())
        # the other rows' accuracy, weighted like the gold rows' votes
        elsewhere = float(((r_acc[both] / r_n[both]) * g_n[both]).sum() / g_n[both].sum())
        if on_gold - elsewhere > gap:
            return (f"the LFs are right on {on_gold:.0%} of their votes on the gold rows but on about {elsewhere:.0%} "
                    f"elsewhere (estimated): they were probably built from these labels (e.g. by autolf), so "
                    f"cross-validation on them would be optimistic; keeping the label-free choice. Hold out gold "
                    f"rows the LFs never saw to select a model")
        return None
