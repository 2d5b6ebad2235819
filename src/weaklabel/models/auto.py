"""``--model auto`` (the default): a label model that checks itself against majority vote.

Without gold labels :class:`AutoModel` fits the first candidate (``hybrid``), then asks the votes
whether to trust it: label-free model criticism (``weaklabel.models.criticism``) compares how
well the fitted model and majority vote predict each source's held-out votes from the other
sources (dependent sources left out together). The fitted model is kept unless majority vote
predicts clearly better (paired ``z <= min_z``, -2); otherwise majority vote is used. Either way the decision and its numbers
are in ``selection_`` (and ``fit --json``'s ``selection``). Why: a label model that trusts its
independence assumptions can fall far below majority vote on data unlike what it was tuned on
(few sources, a catch-all LF, copies of one weak source); see ``benchmarks/PROTOCOL.md``.

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
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..votes import VoteMatrix
from .base import Interval, LabelModel, register

DEFAULT_NAME = "default"


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
        ("ds (no labels)", "ds", {}, False),
        ("weighted (no labels)", "weighted", {}, False),
        ("triplet (no labels)", "triplet", {}, False),
        ("mc (no labels)", "mc", {}, False),
        ("hybrid", "hybrid", {}, True),
        ("hybrid, free crowd bias", "hybrid", {"crowd_bias": "free"}, True),
        ("weighted", "weighted", {}, True),
        ("ds", "ds", {}, True),
        ("onecoin", "onecoin", {}, True),
        ("triplet", "triplet", {}, True),
        ("mc", "mc", {}, True),
    ]


#: Moment models build an (m K)^2 matrix: with more sources than this they are not tried by ``--dev``.
MOMENT_MODELS_MAX_LFS = 200


def _expected_correct(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row, the chance that the hard label is right when ties are broken at random."""
    top = proba.max(axis=1, keepdims=True)
    is_top = proba >= top - 1e-9 * np.maximum(1.0, np.abs(top))
    return is_top[np.arange(y.size), y] / is_top.sum(axis=1)


def _paired_z(d: np.ndarray) -> float:
    """z statistic of paired per-row differences (0 when they are all zero)."""
    ss = float((d * d).sum())
    return float(d.sum() / np.sqrt(ss)) if ss > 0 else 0.0


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


@register
class AutoModel(LabelModel):
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
        with the model's log posterior as offset, shrunk towards the model). ``None``: never
        correct. 0.03 was chosen on the tuning half (``benchmarks/PROTOCOL.md``).
    correction_min_z:
        The correction replaces the cross-validated choice only if its out-of-fold accuracy on
        the gold rows with votes is at least as high, with a paired z of at least this.
    min_labels:
        Fewer labelled rows with votes than this: no selection, the label-free choice is used and
        the labels are not.
    criticism:
        Check the first candidate against majority vote from the votes alone (module doc); with
        ``False`` the first candidate is used as it is.
    min_z:
        The first candidate is kept when its held-out-source likelihood gain over majority vote
        has a paired z statistic above this, over all rows and over the rows where their labels
        differ (-2: unless majority vote predicts the held-out votes clearly better; chosen on the
        tuning half of the benchmark sets and regimes, ``benchmarks/PROTOCOL.md``).
    criticism_terms:
        Held-out outcomes (votes, and abstains of one-class LFs) the criticism scores at most; the
        rows are an evenly spaced sample.

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
        "random_state": [None, "random_state"],
    }

    _learned = ("class_balance_", "accuracies_", "model_", "chosen_", "cv_scores_", "report_", "selection_",
                "n_iter_", "converged_", "correction_")

    def __init__(self, candidates=None, cv: int = 5, margin: float = 0.02, min_labels: int = 20,
                 criticism: bool = True, min_z: float = -2.0, criticism_terms: int = 400_000,
                 min_cv_z: float = 2.0, correction_l2: float | None = 0.03, correction_min_z: float = 1.0,
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
        self.random_state = random_state

    def _candidates(self) -> list[tuple[str, str, dict, bool]]:
        from . import MODELS

        raw = default_candidates() if self.candidates is None else list(self.candidates)
        if not raw:
            raise InputError("AutoModel needs at least one candidate")
        cands = []
        for i, c in enumerate(raw):
            c = tuple(c)
            if len(c) not in (3, 4):
                raise InputError(f"AutoModel candidate {c!r}: expected (label, model, params[, uses_labels])")
            label, name, params = c[:3]
            uses_labels = bool(c[3]) if len(c) == 4 else True
            if name not in MODELS or (name == "auto" and i > 0):
                raise InputError(f"AutoModel candidate {label!r}: unknown model {name!r}")
            if not isinstance(params, dict):
                raise InputError(f"AutoModel candidate {label!r}: params must be a dict")
            cands.append((label, "hybrid" if name == "auto" else name, params, uses_labels and name != "auto"))
        return cands

    def _build(self, name: str, params: dict) -> LabelModel:
        from . import MODELS

        cls = MODELS[name]
        p = dict(params)
        if "random_state" in cls._param_names():
            p.setdefault("random_state", self.random_state)
        return cls(**p)

    def _label_free(self, cands, data, y) -> tuple[tuple, LabelModel, dict]:
        """Fit the first candidate and check it against majority vote from the votes alone."""
        from .criticism import DOMINANT_SHARE, compare_to_majority, dominant_source, sample_size

        first = cands[0]
        model = self._build(first[1], first[2]).fit(data, y)
        tables = getattr(model, "scoring_tables", None)
        if not self.criticism or tables is None or first[1] == "majority":
            why = "criticism off" if not self.criticism else "no scoring tables to criticise"
            return first, model, {"choice": first[0], "model": first[1], "reason": f"{first[0]}: {why}",
                                  "criticism": None}
        counts = np.asarray(data.lf_counts())
        single = (counts.max(axis=1) == counts.sum(axis=1)) & (counts.sum(axis=1) > 0)
        j, share = dominant_source(counts)
        if share >= DOMINANT_SHARE:
            crit = {"dominant_source": data.lf_names[j], "dominant_share": round(share, 4)}
            why = (f"LF {data.lf_names[j]!r} casts {share:.0%} of all votes (>= {DOMINANT_SHARE:.0%}): its "
                   f"accuracy cannot be checked against the other sources, so the fitted {first[1]} model is not "
                   f"trusted")
        else:
            rows = sample_size(data.n_rows, int(counts.sum()), int(single.sum()), self.criticism_terms)
            sample = data.sample_rows(rows)
            cmp = compare_to_majority(sample, tables(), single, getattr(model, "dependent_pairs_", None))
            fams = "" if not cmp.families else f", {len(cmp.families)} dependent group(s) left out together"
            stat = (f"held-out-source log-likelihood gain over majority vote {cmp.gain:+.2e} per vote, "
                    f"z = {cmp.z:+.2f} on {cmp.rows} rows, z = {cmp.z_disagree:+.2f} on the {cmp.disagree_rows} "
                    f"rows where their labels differ{fams}")
            crit = cmp.to_dict()
            trusted = cmp.z > self.min_z and (cmp.disagree_rows == 0 or cmp.z_disagree > self.min_z)
            if trusted:
                return first, model, {"choice": first[0], "model": first[1], "criticism": crit,
                                      "reason": f"{first[0]}: majority vote does not predict held-out votes clearly "
                                                f"better (z > {self.min_z:g}; {stat})"}
            why = (f"majority vote predicts held-out votes clearly better than the fitted {first[1]} model "
                   f"(z <= {self.min_z:g}), so the model is not trusted ({stat})")
        # ties split evenly: the probabilities say "undecided" where majority vote is (the hard label
        # is still a seeded random one of the tied classes)
        mv = next((c for c in cands if c[1] == "majority"), ("majority", "majority", {}, False))
        mv = (mv[0], mv[1], {"ties": "uniform", **mv[2]}, False)
        fallback = self._build(mv[1], mv[2]).fit(data, y)
        return mv, fallback, {"choice": mv[0], "model": mv[1], "criticism": crit, "reason": f"majority: {why}"}

    def _fit(self, data, y: np.ndarray | None) -> None:
        cands = self._candidates()
        known = np.flatnonzero(y >= 0) if y is not None else np.zeros(0, dtype=np.int64)
        scores: dict[str, list[float]] = {}
        correction = None
        # the anchor is always fitted without labels: the labels must show a gain to be used
        default, model, selection = self._label_free(cands, data, None)
        n_scored = int((data.vm.take(known).votes_per_row() > 0).sum()) if known.size else 0
        overfit = self._dev_built_lfs(data, y, known, model) if n_scored >= self.min_labels else None
        if n_scored < self.min_labels:
            chosen = default
            if known.size:
                selection["reason"] += (f" (only {n_scored} gold rows with votes (< {self.min_labels}): the labels are "
                                        f"not used, too few to select a model with)")
        elif overfit is not None:
            chosen = default
            selection["reason"] += f"; no cross-validated selection: {overfit}"
            selection["dev_overfit"] = overfit
        else:
            chosen, model, selection, scores, correction = self._select(cands, data, y, known, default, model,
                                                                        selection)
        label, name, params = chosen[:3]
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
        self.class_balance_ = np.asarray(model.class_balance_, dtype=float)
        acc = getattr(model, "accuracies_", None)
        if acc is not None:
            self.accuracies_ = np.asarray(acc, dtype=float)
        elif hasattr(self, "accuracies_"):   # majority vote estimates no accuracies: none to show or save
            del self.accuracies_
        self.n_iter_ = int(getattr(model, "n_iter_", 0))
        self.converged_ = bool(getattr(model, "converged_", True))

    def _select(self, cands, data, y, known, default, model, selection):
        """Cross-validated choice among ``cands`` on the labelled rows (class docstring)."""
        vm = data.vm  # cross-validation needs the rows (gold labels imply in-memory votes)
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
        for cand in [default] + [c for c in cands if c[0] != default[0]]:
            label, name, params, uses_labels = cand
            key = (name, repr(sorted(params.items())), uses_labels)
            if key in seen:    # e.g. majority vote, when it is the label-free choice
                continue
            seen.add(key)
            if name in ("mc", "triplet") and vm.n_lfs > MOMENT_MODELS_MAX_LFS:
                skipped.append(label)
                continue
            if cand is default or not uses_labels:
                # fitted without labels: its predictions on the gold rows are out of sample already
                m = model if cand is default else self._build(name, params).fit(data)
                fitted[label] = m
                right = _expected_correct(m.predict_proba(gold), y_gold)
            else:
                right = np.zeros(known.size)     # out-of-fold correctness per labelled row
                for f in range(k):
                    y_train = y.copy()
                    in_fold = folds == f
                    held = known[in_fold]
                    y_train[held] = -1
                    fold_model = self._build(name, params).fit(data, y_train)
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
        if best != dlabel and means[best] > means[dlabel] + self.margin and (is_floor or z >= self.min_cv_z):
            chosen = best_cand
            reason = (f"{best}: {k}-fold dev accuracy {means[best]:.3f} beats the label-free choice "
                      f"{dlabel}'s {means[dlabel]:.3f} by more than {self.margin:.3f} (paired z = {z:.2f} "
                      f"over the {int(covered.sum())} labelled rows with votes)")
            model = fitted.get(best) or self._build(chosen[1], chosen[2]).fit(data, y)
        else:
            chosen = default
            others = [v for lab, v in means.items() if lab != dlabel]
            reason = (f"{dlabel}: {k}-fold dev accuracy {means[dlabel]:.3f}; best alternative "
                      f"{best if best != dlabel else '-'} {max(others, default=float('nan')):.3f} "
                      f"is not better by more than {self.margin:.3f} with paired z >= {self.min_cv_z:g} "
                      f"(z = {z:.2f}; label-free: {selection['reason']})")
        if skipped:
            reason += f"; not tried with {vm.n_lfs} sources (> {MOMENT_MODELS_MAX_LFS}): {', '.join(skipped)}"
        selection = {"choice": chosen[0], "model": chosen[1], "reason": reason, "uses_labels": bool(chosen[3]),
                     "criticism": selection.get("criticism"), "label_free_choice": dlabel,
                     "label_free_model": default[1]}
        correction = None
        if self.correction_l2 is not None:
            correction, right = self._correction(fitted[dlabel], gold, y_gold, folds, covered)
            scores["corrected " + dlabel] = [float(right[cfolds == f].mean()) for f in range(k) if (cfolds == f).any()]
            z = _paired_z(right - per_row[chosen[0]])
            if right.mean() >= per_row[chosen[0]].mean() and z >= self.correction_min_z:
                selection["reason"] = (f"{dlabel} with a correction learned from the gold labels: {k}-fold dev accuracy "
                                       f"{right.mean():.3f} against {means[chosen[0]]:.3f} for {chosen[0]} "
                                       f"(paired z = {z:.2f} >= {self.correction_min_z:g}); without it: {reason}")
                selection.update(choice="corrected " + dlabel, model=default[1], uses_labels=True, corrected=True)
                chosen, model = default, fitted[dlabel]
            else:
                correction = None
        return chosen, model, selection, scores, correction

    def _correction(self, base: LabelModel, gold: VoteMatrix, y_gold: np.ndarray, folds: np.ndarray,
                    covered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The correction of ``base`` fitted on every gold row, and its out-of-fold correctness on
        the gold rows with votes (``base`` never saw the labels, so only the correction is refitted)."""
        from .correction import corrected_proba, fit_correction, log_offset, vote_features

        X = vote_features(gold)
        offset = log_offset(base.predict_proba(gold))
        right = np.zeros(y_gold.size)
        for f in np.unique(folds):
            train = folds != f
            W = fit_correction(X[train], offset[train], y_gold[train], self.correction_l2)
            right[~train] = _expected_correct(corrected_proba(X[~train], offset[~train], W), y_gold[~train])
        return fit_correction(X, offset, y_gold, self.correction_l2), right[covered]

    def _diagnose(self, data) -> list[str]:
        # the winner ran its own diagnostics when it was fitted
        out = list(getattr(self.model_, "warnings_", []))
        if self.selection_.get("dev_overfit"):
            out.append(f"--dev: {self.selection_['dev_overfit']}")
        return out

    @staticmethod
    def _dev_built_lfs(data, y, known, model, gap: float = 0.1, sample: int = 20_000) -> str | None:
        """Why cross-validation on these gold rows cannot be trusted, or None.

        LFs generated from the same labelled rows (``weaklabel autolf``, then ``fit --dev``) are far
        more accurate on those rows than anywhere else, so every candidate's cross-validated
        accuracy is optimistic and the comparison favours whichever trusts the LFs most. The
        check compares each LF's accuracy on the gold rows with its accuracy on the other rows
        under the fitted model's posterior (vote-weighted means); a gap above ``gap`` means the
        gold rows are not a fair test of the LFs."""
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

    def _predict_proba(self, vm: VoteMatrix, tie_skip: int = 0) -> np.ndarray:
        proba = self.model_.predict_proba(vm, tie_skip=tie_skip)
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
        if hasattr(self, "correction_"):
            W = np.asarray(self.correction_, dtype=float)
            if W.shape != (int(self.n_lfs_) * int(self.cardinality_) + 1, int(self.cardinality_)) or not np.isfinite(W).all():
                raise ValueError("correction_ must be a finite (n_lfs * cardinality + 1) x cardinality array")
            self.correction_ = W
