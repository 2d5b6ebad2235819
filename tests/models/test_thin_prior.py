"""Rows without votes and a class prior too thin to bet on (PROTOCOL.md §34).

Rows no LF reaches get the class prior, learned on the rows the LFs do reach: a bet that those
rows are like them. Where the prior leans to a class by less than two standard errors of an even
split over the covered rows (37 rows at 54%, as New York Times snippets under imdb rules), the bet
is noise; the rows now get equal probabilities, with a warning. A clear lean over many rows (sms:
hundreds of rows at 70/30) keeps it. Whether the tie gains is measured on real LF sets, not here:
PROTOCOL §34."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.models import AutoModel, HybridDawidSkene, MajorityVote
from weaklabel.models.uncovered import THIN_PRIOR_Z, prior_lean_z
from conftest import rare_class_votes


def test_the_z_is_the_lean_in_standard_errors():
    assert prior_lean_z(np.array([0.5, 0.5]), 100) == 0.0
    assert prior_lean_z(np.array([0.4, 0.6]), 100) == pytest.approx(2.0)
    assert prior_lean_z(np.array([0.54, 0.46]), 37) == pytest.approx(0.04 / np.sqrt(0.25 / 37))


@pytest.mark.parametrize("cls", [AutoModel, HybridDawidSkene, MajorityVote])
def test_a_thin_lean_over_few_covered_rows_gives_a_tie_and_says_so(cls):
    vm, y = rare_class_votes(0)
    model = cls().fit(vm)
    unc = vm.votes_per_row() == 0
    p = model.predict_proba(vm)
    assert np.allclose(p[unc], 0.5)
    note = [w for w in model.warnings_ if "standard errors of an even split" in w]
    assert len(note) == 1 and f"{int(unc.sum()):,} row(s) without votes" in note[0]
    assert f"{int((~unc).sum()):,} voted rows" in note[0]


def test_a_clear_lean_over_many_rows_keeps_the_prior():
    vm, y = rare_class_votes(1, share1=0.1, rate0=0.3)
    model = AutoModel().fit(vm)
    unc = vm.votes_per_row() == 0
    prior = model.predict_proba(vm)[unc][0]
    assert prior[0] > 0.7   # the covered rows: about 80% class 0, over a thousand of them
    assert prior_lean_z(prior, int((~unc).sum())) >= THIN_PRIOR_Z
    assert not any("standard errors of an even split" in w for w in model.warnings_)


def test_a_given_class_balance_and_gold_rows_are_not_overruled(tmp_path):
    vm, y = rare_class_votes(2)
    unc = vm.votes_per_row() == 0
    model = AutoModel(class_balance=[0.3, 0.7]).fit(vm)
    assert np.allclose(model.predict_proba(vm)[unc][0], [0.3, 0.7])
    gold = -np.ones(vm.n_rows, dtype=np.int64)
    rows = np.flatnonzero(unc)[:100]
    gold[rows] = y[rows]
    dev = AutoModel().fit(vm, gold)
    assert not np.allclose(dev.predict_proba(vm)[unc][0], 0.5)   # the gold rows without votes set them


def test_cli_warns_on_stderr_and_in_json(tmp_path):
    vm, _ = rare_class_votes(3)
    votes = tmp_path / "votes.parquet"
    pd.DataFrame(vm.to_dense(), columns=vm.lf_names).to_parquet(votes)
    res = CliRunner().invoke(app, ["fit", str(votes), "-o", str(tmp_path / "labels.parquet"), "--json"])
    assert res.exit_code == 0, res.output
    assert any("standard errors of an even split" in w for w in json.loads(res.stdout)["warnings"])
    assert "standard errors of an even split" in res.stderr
