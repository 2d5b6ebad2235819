"""``AutoModel`` without gold labels: fit the first candidate, then check it against majority vote
from the votes alone (:mod:`weaklabel.models.criticism`, after the collapsed-fit and dominant-source
checks of :mod:`weaklabel.models.diagnostics`), and fit the bootstrap refits that decide which
majority-vote ties the kept model may break (:mod:`weaklabel.models.tie_hedge`).

Why a module of its own: this is the label-free choice, the anchor every ``--dev`` selection
(:mod:`weaklabel.models.dev_selection`) must beat; ``AutoModel._fit`` runs it first, on every input.
:class:`LabelFreeChoice` is a mixin of :class:`weaklabel.models.auto.AutoModel` and uses its
hyper-parameters (``criticism``, ``min_z``, ``criticism_terms``, ``random_state``) and ``_build``.
"""

from __future__ import annotations

import numpy as np

from .base import LabelModel


class LabelFreeChoice:
    """Mixin: ``AutoModel``'s label-free check of its first candidate and the tie hedge (module docstring)."""

    def _label_free(self, cands, data, y, disagree_on: str = "rows") -> tuple[tuple, LabelModel, dict]:
        """Fit the first candidate and check it against majority vote from the votes alone."""
        from .criticism import DOMINANT_SHARE, compare_to_majority, dominant_source, sample_size
        from .diagnostics import FEW_SOURCES, SMALL_INPUT_ROWS, ignored_votes, majority_tie_share

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
        blind = ignored_votes(model, counts)
        if blind is not None:
            crit = {"ignored_votes": blind}
            why = (f"the fitted {first[1]} model ignores the votes of all {blind['sources']} source(s) it models by a "
                   f"confusion matrix ({blind['vote_share']:.0%} of the votes): a collapsed fit, not trusted")
        elif share >= DOMINANT_SHARE:
            coverage = float(counts[j].sum()) / max(1, data.n_rows)
            crit = {"dominant_source": data.lf_names[j], "dominant_share": round(share, 4),
                    "dominant_coverage": round(coverage, 4)}
            why = (f"LF {data.lf_names[j]!r} casts {share:.0%} of all votes (>= {DOMINANT_SHARE:.0%}) and votes on "
                   f"{coverage:.0%} of the rows: its accuracy cannot be checked against the other sources, so the "
                   f"fitted {first[1]} model is not trusted")
        else:
            rows = sample_size(data.n_rows, int(counts.sum()), int(single.sum()), self.criticism_terms)
            sample = data.sample_rows(rows)
            cmp = compare_to_majority(sample, tables(), single, getattr(model, "dependent_pairs_", None),
                                      disagree_on)
            fams = "" if not cmp.families else f", {len(cmp.families)} dependent group(s) left out together"
            where = ("rows with a held-out vote whose label from the other votes differs" if disagree_on == "votes"
                     else "rows where their labels differ")
            stat = (f"held-out-source log-likelihood gain over majority vote {cmp.gain:+.2e} per vote, "
                    f"z = {cmp.z:+.2f} on {cmp.rows} rows, z = {cmp.z_disagree:+.2f} on the {cmp.disagree_rows} "
                    f"{where}{fams}")
            crit = cmp.to_dict() | {"disagree_on": disagree_on}
            trusted = cmp.z > self.min_z and (cmp.disagree_rows == 0 or cmp.z_disagree > self.min_z)
            if trusted and disagree_on == "votes":
                # would the conservative z have kept it too? If not, the labels correct majority vote
                # instead (``dev_selection.correction_on_majority``)
                rows_z = compare_to_majority(sample, tables(), single, getattr(model, "dependent_pairs_", None),
                                             "rows")
                crit["z_disagree_rows"] = round(float(rows_z.z_disagree), 4)
                crit["kept_by_unbiased_z"] = bool(rows_z.disagree_rows > 0 and rows_z.z_disagree <= self.min_z)
            if trusted:
                selection = {"choice": first[0], "model": first[1], "criticism": crit,
                             "reason": f"{first[0]}: majority vote does not predict held-out votes clearly "
                                       f"better (z > {self.min_z:g}; {stat})"}
                covered = int(data.n_rows - data.n_uncovered())
                if covered < SMALL_INPUT_ROWS:
                    selection["small_input"] = {"covered_rows": covered}
                n_voting = int((counts.sum(axis=1) > 0).sum())
                if n_voting <= FEW_SOURCES:
                    selection["tie_breaking"] = {"voting_lfs": n_voting,
                                                 "majority_tie_share": round(majority_tie_share(sample), 4)}
                return first, model, selection
            why = (f"majority vote predicts held-out votes clearly better than the fitted {first[1]} model "
                   f"(z <= {self.min_z:g}), so the model is not trusted ({stat})")
        # ties split evenly: the probabilities say "undecided" where majority vote is (the hard label
        # is still a seeded random one of the tied classes)
        mv = next((c for c in cands if c[1] == "majority"), ("majority", "majority", {}, False))
        mv = (mv[0], mv[1], {"ties": "uniform", **mv[2]}, False)
        fallback = self._build(mv[1], mv[2]).fit(data, y)
        return mv, fallback, {"choice": mv[0], "model": mv[1], "criticism": crit, "reason": f"majority: {why}"}

    def _fit_tie_hedge(self, data, default, model, selection) -> None:
        """Bootstrap refits of the label-free fitted ``model`` that decide which majority-vote ties it
        may break (:mod:`weaklabel.models.tie_hedge`): only with at most ``MAX_VOTING_SOURCES`` voting
        sources, and only when the label-free path kept the fitted model."""
        from . import tie_hedge as th

        if hasattr(self, "tie_hedge_"):
            del self.tie_hedge_
        n_voting = int((np.asarray(data.lf_counts()).sum(axis=1) > 0).sum())
        if (not self.criticism or default[1] == "majority" or n_voting > th.MAX_VOTING_SOURCES
                or getattr(model, "scoring_tables", None) is None):
            return
        sample = data.sample_rows(th.MAX_ROWS)
        tied, _ = th.majority_ties(sample)
        if not tied.any():
            return
        self.tie_hedge_ = th.fit_tie_hedge(lambda: self._build(default[1], default[2]), sample, self.random_state)
        kept = th.unstable_ties(sample, model.predict_proba(sample), self.tie_hedge_, tied)
        selection["tie_hedge"] = {"refits": int(self.tie_hedge_["D"].shape[0]), "rows": int(sample.n_rows),
                                  "tied_rows": int(tied.sum()), "kept_tied": int(kept.sum())}
