"""Review of 397d926 (moment fallback counts shared rows) and a168c7d (rows without votes get a tie
where the two-class prior leans less than 2 standard errors from even, PROTOCOL §34).

* ``AutoModel`` copies the chosen model's warnings. Where its own rule decides the rows without
  votes (the gold rows without votes under ``fit --dev``, or ``class_balance`` / ``--class-balance``
  with a candidate that takes no class balance, such as majority vote), the chosen model's
  "N row(s) without votes get equal probabilities ... within 2 standard errors" line was still
  shown, though those rows get the gold mix or the balance. Fixed in
  ``AutoWarnings._diagnose`` (with ``diagnostics.uncovered_rule_warnings``); the disputed-prior
  line of PROTOCOL §28/§30 had the same leak and is dropped the same way.
"""

from __future__ import annotations

import numpy as np

from weaklabel.models.stats import LocalVoteStats
from weaklabel.models import AutoModel, HybridDawidSkene
from conftest import rare_class_votes
from conftest import spam_keyword_rules as keyword_rules

THIN = "standard errors of an even split"


def test_auto_with_gold_rows_without_votes_does_not_claim_a_thin_prior_tie():
    vm, y = rare_class_votes(0)
    unc = vm.votes_per_row() == 0
    gold = -np.ones(vm.n_rows, dtype=np.int64)
    for rows in (np.flatnonzero(unc)[:100], np.flatnonzero(~unc)[:60]):
        gold[rows] = y[rows]
    model = AutoModel().fit(vm, gold)
    fill = model.predict_proba(vm)[unc][0]
    assert not np.allclose(fill, 0.5)   # the gold rows without votes set those rows (almost all class 0)
    assert fill[0] > 0.9
    # ... so no line may say they get equal probabilities
    assert not any(THIN in w for w in model.warnings_), model.warnings_
    # the chosen model itself (fitted without the labels) does tie them, and says so
    assert any(THIN in w for w in model.model_.warnings_)


def test_auto_with_a_class_balance_and_majority_vote_does_not_claim_a_thin_prior_tie():
    vm, _ = rare_class_votes(0)
    unc = vm.votes_per_row() == 0
    model = AutoModel(class_balance=[0.3, 0.7], candidates=[("mv", "majority", {})]).fit(vm)
    assert np.allclose(model.predict_proba(vm)[unc][0], [0.3, 0.7])
    assert not any(THIN in w for w in model.warnings_), model.warnings_


def test_auto_label_free_still_says_it_once():
    vm, _ = rare_class_votes(0)
    unc = vm.votes_per_row() == 0
    model = AutoModel().fit(vm)
    assert np.allclose(model.predict_proba(vm)[unc], 0.5)
    assert sum(THIN in w for w in model.warnings_) == 1


def test_thin_state_does_not_survive_a_refit():
    vm, _ = rare_class_votes(0)
    model = HybridDawidSkene().fit(vm)
    assert model._thin_prior is not None
    model.set_params(class_balance=[0.4, 0.6]).fit(vm)
    assert model._thin_prior is None and not any(THIN in w for w in model.warnings_)
    assert np.allclose(model.predict_proba(vm)[vm.votes_per_row() == 0][0], [0.4, 0.6])


def test_auto_with_gold_rows_without_votes_does_not_claim_a_disputed_tie():
    """The same leak, older (§28): the disputed-prior line of the chosen model under ``--dev``."""
    vm, y = keyword_rules()
    unc = vm.votes_per_row() == 0
    gold = -np.ones(vm.n_rows, dtype=np.int64)
    gold[np.flatnonzero(unc)[:50]] = y[np.flatnonzero(unc)[:50]]
    model = AutoModel().fit(vm, gold)
    assert not np.allclose(model.predict_proba(vm)[unc][0], 0.5)
    assert any("row(s) without votes get equal probabilities" in w for w in model.model_.warnings_)
    assert not any("row(s) without votes get equal probabilities" in w for w in model.warnings_), model.warnings_


def test_auto_with_a_correction_claims_the_chosen_models_tie_only_where_the_correction_moves_it():
    """A correction learned from the gold rows (here forced: the bars lowered) is applied on top of
    the chosen model's tie. It has no intercept since PROTOCOL §35, so rows without votes keep the
    tie, and the chosen model's "equal probabilities" line is true of ``auto`` too; a correction
    with an intercept (a model file written before) moves them, and then the line is dropped."""
    vm, y = rare_class_votes(0, n=8000, share1=0.03)
    unc = vm.votes_per_row() == 0
    gold = -np.ones(vm.n_rows, dtype=np.int64)
    rows = np.flatnonzero(~unc)[:150]
    gold[rows] = y[rows]
    model = AutoModel(correction_min_z=-10, min_cv_z=-10).fit(vm, gold)
    assert hasattr(model, "correction_") and (model.correction_[-1] == 0).all()
    assert np.allclose(model.predict_proba(vm)[unc], 0.5)
    line = "row(s) without votes get equal probabilities"
    assert any(line in w for w in model.model_.warnings_)
    assert any(line in w for w in model.warnings_), model.warnings_
    # an intercept (as in an older model file) moves those rows: the line no longer holds
    model.correction_ = model.correction_.copy()
    model.correction_[-1] = [0.8, -0.8]
    assert not np.allclose(model.predict_proba(vm)[unc][0], 0.5)
    assert not any(line in w for w in model._diagnose(LocalVoteStats(vm))), model._diagnose(LocalVoteStats(vm))
