"""What a fitted label model gives rows on which no LF votes, decided at the end of ``fit``: the
class prior (the default), the gold rows without votes, equal probabilities where some class gets
no vote, or where a model of who abstains disputes the prior's most likely class (two classes);
a class balance the user fixed is kept.

Why a module of its own: it is one rule above every model (``uncovered_proba_``), with its own
evidence (PROTOCOL §28, §30); the numbers it reads are in :mod:`weaklabel.models.uncovered`, the
decision of which to use is here. :class:`UncoveredRule` is a mixin of
:class:`weaklabel.models.base.LabelModel`; models override :meth:`UncoveredRule._uncovered_from_prior`.
"""

from __future__ import annotations

import numpy as np

from .model_votes import empty_row


class UncoveredRule:
    """Mixin: the rule for rows without votes of a fitted label model (``_predict_proba``,
    ``cardinality_``, ``class_balance_``, ``lf_names_``); :meth:`weaklabel.models.base.LabelModel.fit`
    calls :meth:`_uncovered_rule` and stores its answer as ``uncovered_proba_``."""

    def _uncovered_rule(self, data, y: np.ndarray | None) -> tuple[np.ndarray | None, str | None]:
        """What rows without votes get instead of the class prior (``None``: the prior), and how
        (``"gold"``, ``"equal"``, ``"disputed"``, ``"class_balance"``; ``None``): :mod:`weaklabel.models.uncovered`.
        With gold labels, the gold rows without votes; without, equal probabilities where some class
        gets no vote or where a model of who abstains disputes the prior. A class balance the user
        fixed is kept."""
        from . import uncovered

        self._thin_prior = None
        if getattr(self, "class_balance", None) is not None:   # it is the prior those rows get
            if not self._uncovered_from_prior():
                return None, None
            balance = np.asarray(self.class_balance_, dtype=float)
            if uncovered.label_free(np.asarray(data.lf_counts())) is None or np.allclose(
                    self._predict_proba(empty_row(self))[0], balance):
                return None, "class_balance"
            # a class no LF votes, and a model whose modelled abstains (mc) move those rows off the
            # balance with no evidence for that class: the balance is given outright, as the warning says
            return balance.copy(), "class_balance"
        if y is not None and np.any(y >= 0):
            vm = data.vm   # gold labels imply in-memory votes
            known = np.flatnonzero(y >= 0)
            empty = known[vm.take(known).votes_per_row() == 0]
            if empty.size < uncovered.MIN_GOLD_ROWS:   # too few to outweigh the model's own answer
                return None, None
            return uncovered.from_gold(y[empty], self._predict_proba(vm.take(empty[:1]))[0]), "gold"
        if not self._uncovered_from_prior():
            return None, None
        u = uncovered.label_free(np.asarray(data.lf_counts()))
        if u is not None:
            return u, "equal"
        u, how = self._uncovered_disputed(data)
        return (u, how) if u is not None else self._uncovered_thin(data)

    def _uncovered_thin(self, data) -> tuple[np.ndarray | None, str | None]:
        """With two classes, equal probabilities where the prior leans to a class by less than
        :data:`~weaklabel.models.uncovered.THIN_PRIOR_Z` standard errors of an even split over the
        covered rows it was learned on; ``(None, None)`` otherwise.

        Why. The prior is a bet made for rows no LF reaches, on the class mix of the rows they do
        reach. On 37 covered rows at 54% (New York Times snippets under imdb rules, 99% of the rows
        without votes) it cost 10 points over a guess on all rows, on 171 at 56% 18.5; over the
        tuning tasks (PROTOCOL §34) a tie below 2 standard errors gained on the criterion of §2 in
        every group, and the tie-free bets it leaves (sms: 63% of the rows, a 70/30 prior) stand."""
        from . import uncovered

        if int(self.cardinality_) != 2:
            return None, None
        covered = data.n_rows - data.n_uncovered()
        if covered in (0, data.n_rows):
            return None, None
        prior = self._predict_proba(empty_row(self))[0]
        tied = abs(float(prior[0]) - float(prior[1])) < 1e-12
        if tied or uncovered.prior_lean_z(prior, covered) >= uncovered.THIN_PRIOR_Z:
            return None, None
        self._thin_prior = (int(covered), int(np.argmax(prior)), float(prior.max()))   # for the warning
        return np.full(2, 0.5), "thin"

    def _uncovered_disputed(self, data) -> tuple[np.ndarray | None, str | None]:
        """With two classes, equal probabilities where a model of who abstains disputes the prior's
        most likely class (:func:`weaklabel.models.uncovered.who_abstains`), or cannot rule out the
        other class (its fixed point, started from the mirrored prior, stays there), read on an
        evenly spaced sample of rows (the same for every engine); ``(None, None)`` otherwise."""
        from . import uncovered

        if int(self.cardinality_) != 2 or data.n_uncovered() in (0, data.n_rows):
            return None, None   # 3+ classes: on the tuning tasks each such change cost points (§28)
        sample = data.sample_rows(uncovered.SAMPLE_ROWS)
        per_row = sample.votes_per_row()
        if per_row.all() or not per_row.any():
            return None, None
        prior = self._predict_proba(empty_row(self))[0]
        # the fixed point from the prior, and from the mirrored prior: where the second stays on the
        # other side, the votes do not settle the class of those rows either way (PROTOCOL §30)
        q, q_mirror = uncovered.fixed_points(sample, self._predict_proba(sample), [prior, prior[::-1]])
        if uncovered.disputed(prior, q):
            kind = "disputed"
        elif uncovered.disputed(prior, q_mirror):
            q, kind = q_mirror, "undetermined"
        else:
            return None, None
        K = int(self.cardinality_)
        self._uncovered_dispute = (int(np.argmax(prior)), int(np.argmax(q)), kind)   # for the warning
        return np.full(K, 1.0 / K), "disputed"

    def _uncovered_from_prior(self) -> bool:
        """Whether, without gold labels, rows without votes get the class prior and nothing else
        (then :func:`weaklabel.models.uncovered.label_free` may replace it); a model that infers
        something from "no LF voted" (Dawid-Skene with abstains modelled) or passes another model's
        output on says no."""
        return True
