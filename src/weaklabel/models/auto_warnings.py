"""The warnings of a fitted :class:`~weaklabel.models.auto.AutoModel`: the chosen model's own, this
model's rule for rows without votes, the notes on tie-breaking and small inputs (only for the
label-free choice), why ``--dev`` labels went unused, and a ``--dev`` choice resting on thin evidence
(:data:`THIN_EVIDENCE_ROWS`).

Why a module of its own: these lines only read what the fit recorded (``selection_``, ``model_``);
they decide nothing. :class:`AutoWarnings` is a mixin of :class:`weaklabel.models.auto.AutoModel`;
:data:`THIN_EVIDENCE_ROWS` is re-exported by :mod:`weaklabel.models.auto`.
"""

from __future__ import annotations

import numpy as np


#: a ``--dev`` choice resting on fewer more gold rows right than this (out of fold) is reported as
#: thin evidence: on single draws of 100 gold rows such choices gain on most sets and lose up to 3
#: points on a few, and no statistic at hand tells which (``benchmarks/PROTOCOL.md`` §13)
THIN_EVIDENCE_ROWS = 3.0


class AutoWarnings:
    """Mixin: ``AutoModel``'s ``_diagnose`` (module docstring)."""

    def _diagnose(self, data) -> list[str]:
        # the winner ran its own diagnostics when it was fitted
        out = list(getattr(self.model_, "warnings_", []))
        how = getattr(self, "_uncovered_how", None)
        # a correction moves rows without votes only through its intercept, which fits no longer
        # learn (PROTOCOL §35); a model file written before may still have one
        shifts = self._correction_shifts_uncovered()
        if how is None and shifts and any(w.startswith("no LF votes class") for w in out):
            how = "corrected"   # the winner's equal probabilities, moved by the correction on top of it
        if how is not None or shifts:
            # the gold rows without votes, the class balance set, or the correction on top decide what
            # rows without votes get: the winner's "equal probabilities" for them no longer holds
            from .diagnostics import uncovered_rule_warnings

            stale = set(uncovered_rule_warnings(self.model_, data))
            out = [w for w in out if w not in stale]
        if how is not None:   # this model's rule for rows without votes, not the winner's, is what applies
            from .diagnostics import no_vote_warning

            line = no_vote_warning(np.asarray(data.lf_counts()), how)
            out = [w for w in out if not w.startswith("no LF votes class")] + ([line] if line else [])
        ties = self.selection_.get("tie_breaking")
        if ties:   # only on the label-free choice: with gold labels used, the labels checked the model
            from .diagnostics import tie_breaking_note

            hedge = self.selection_.get("tie_hedge")
            kept = hedge["kept_tied"] / hedge["tied_rows"] if hedge and hedge["tied_rows"] else None
            note = tie_breaking_note(ties["voting_lfs"], ties["majority_tie_share"], self.selection_["model"], kept,
                                     self._gold_unusable)
            if note:
                out.append(note)
        small = self.selection_.get("small_input")
        if small:   # as the tie note: only on the label-free choice
            from .diagnostics import small_input_note

            note = small_input_note(small["covered_rows"], self.selection_["model"], self._gold_unusable)
            if note:
                out.append(note)
        for key in ("dev_too_few", "dev_overfit", "dev_one_class"):
            if self.selection_.get(key):
                out.append(f"--dev: {self.selection_[key]}")
        ev = self.selection_.get("evidence")
        if ev and self.selection_["choice"] != ev["against"] and ev["more_right"] < THIN_EVIDENCE_ROWS:
            out.append(f"--dev: {self.selection_['choice']} was chosen over the label-free {ev['against']} on "
                       f"{ev['more_right']:g} more of the {ev['gold_rows_scored']} gold rows with votes right out of "
                       f"fold (paired z = {ev['paired_z']:g}); another draw of this many gold rows may choose "
                       f"otherwise, and the choice can cost points on the other rows: more gold rows would settle it "
                       f"(`-p min_rows_gained=3` keeps the label-free model unless a departure gains 3 rows)")
        return out

    def _correction_shifts_uncovered(self) -> bool:
        """Whether the correction on top moves rows without votes (a nonzero intercept row)."""
        W = getattr(self, "correction_", None)
        return W is not None and bool(np.any(np.asarray(W)[-1] != 0))
