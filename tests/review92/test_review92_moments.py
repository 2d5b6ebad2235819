"""Review of the moment-model fallback (PROTOCOL.md §33: ``mc`` and ``triplet`` fall back to
majority vote where no LF shares ``MIN_COVOTES`` voted rows with the others).

* ``mc`` compared float co-vote counts (``O * n`` with ``O = counts / n``) with ``MIN_COVOTES``:
  ``(10 / 77) * 77`` is 9.999999999999998, so on 77, 154, 303, ... rows an LF with exactly 10
  co-votes counted as lonely and ``mc`` fell back (saying no LF had 10 or more)
  where ``triplet``, on the integer counts, kept its fit.
* A fallback kept the optimiser's ``n_iter_`` / ``converged_``: with few iterations the warnings
  advised "raise max_iter" for a state the iterations no longer describe.
* A fallback's accuracies are the neutral prior, "not estimates" as its warning says, yet ``fit``'s
  LF table (and ``analyze --model``, the report) showed 0.750 as every LF's estimated accuracy:
  those read ``identified_``, which ``mc`` did not set and ``triplet`` left true for LFs its
  triplets had found (``min_overlap`` below 10).
* The rule counted co-votes pair by pair, so a couple of rows on which many LFs fire together
  gave every LF 18 co-votes and kept the collapsed fit, though two rows identify nothing: it now
  counts shared rows where the co-votes cannot settle it (``moment_checks.lonely_lfs``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.models import MajorityVote, MatrixCompletion, Triplet, load_model
from weaklabel.models.moments import MIN_COVOTES, degenerate_fit
from weaklabel.models.stats import as_stats
from weaklabel.votes import VoteMatrix

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from test_moment_fallback import covered_accuracy, disjoint_keyword_votes  # noqa: E402


def exactly_ten_covotes(n: int) -> VoteMatrix:
    """lf_0 and lf_1 vote together on exactly MIN_COVOTES rows; lf_2 alone."""
    L = -np.ones((n, 3), dtype=np.int64)
    L[:MIN_COVOTES, 0] = 1
    L[:MIN_COVOTES, 1] = 1
    L[MIN_COVOTES:40, 2] = 0
    L[40:50, 0] = 0
    return VoteMatrix.from_dense(L, cardinality=2)


@pytest.mark.parametrize("n", [77, 154, 303, 4000])
def test_mc_counts_exactly_ten_covotes_as_ten_whatever_the_row_count(n):
    vm = exactly_ten_covotes(n)
    assert (10 / 77) * 77 < 10 or n != 77   # the float trap the fit fell into
    assert degenerate_fit(None, as_stats(vm), as_stats(vm).pair_counts()) is None
    for cls in (MatrixCompletion, Triplet):
        model = cls().fit(vm)
        assert not any("falls back to majority vote" in w for w in model.warnings_), (cls.__name__, model.warnings_)


def test_a_fallback_does_not_advise_raising_max_iter():
    vm, _ = disjoint_keyword_votes(0)
    model = MatrixCompletion(max_iter=2).fit(vm)
    assert any("falls back to majority vote" in w for w in model.warnings_)
    assert not any("raise max_iter" in w for w in model.warnings_), model.warnings_
    assert model.converged_ and model.n_iter_ == 0


def test_mc_fallback_marks_its_accuracies_as_not_estimated_and_the_mark_survives_a_model_file(tmp_path):
    vm, _ = disjoint_keyword_votes(1)
    model = MatrixCompletion().fit(vm)
    assert not np.any(model.identified_)
    path = tmp_path / "mc.json"
    model.save(path)
    loaded = MatrixCompletion.load(path)
    assert loaded.identified_.shape == (vm.n_lfs,) and not np.any(loaded.identified_)
    assert np.allclose(loaded.predict_proba(vm), model.predict_proba(vm))
    # a refit on votes that overlap is an ordinary fit again: no stale mark, none in its file
    sim_L = vm.to_dense()
    rows = np.flatnonzero(sim_L[:, 0] == 1)[:60]
    sim_L[rows, 1] = 1
    model.fit(VoteMatrix.from_dense(sim_L, cardinality=2, lf_names=vm.lf_names))
    assert not any("falls back" in w for w in model.warnings_)
    assert not hasattr(model, "identified_") and "identified_" not in model.to_dict()["learned"]


def test_triplet_fallback_marks_the_triplet_found_accuracies_as_not_estimated():
    """min_overlap=2: the triplets find every LF's accuracy, the fallback (10 co-votes) replaces
    them with the neutral prior: identified_ must say so."""
    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(0, 2, n)
    L = -np.ones((n, 3), dtype=np.int64)
    for j in range(3):
        rows = np.arange(150 * j, 150 * (j + 1))
        L[rows, j] = np.where(rng.random(rows.size) < 0.85, y[rows], 1 - y[rows])
    L[450:453, :] = y[450:453, None]   # three rows where all vote: 6 co-votes each
    vm = VoteMatrix.from_dense(L, cardinality=2)
    model = Triplet(min_overlap=2).fit(vm)
    assert any("falls back to majority vote" in w for w in model.warnings_)
    assert np.allclose(model.accuracies_, 0.75)
    assert not np.any(model.identified_)


@pytest.mark.parametrize("model", ["mc", "triplet"])
def test_fit_table_does_not_show_a_fallback_prior_as_an_estimate(tmp_path, model):
    vm, _ = disjoint_keyword_votes(2)
    votes = tmp_path / "votes.parquet"
    pd.DataFrame(vm.to_dense(), columns=vm.lf_names).to_parquet(votes)
    res = CliRunner().invoke(app, ["fit", str(votes), "-o", str(tmp_path / "l.parquet"), "--model", model,
                                   "--save-model", str(tmp_path / "m.json")], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    table = [ln for ln in res.stdout.splitlines() if ln.strip().startswith("│ lf")]
    assert len(table) == vm.n_lfs and all("n/a" in ln and "0.750" not in ln for ln in table), res.stdout
    loaded = load_model(tmp_path / "m.json")   # the mark is in the model file, for analyze --model and report
    assert loaded.identified_.shape == (vm.n_lfs,) and not np.any(loaded.identified_)


@pytest.mark.parametrize("cls", [MatrixCompletion, Triplet])
def test_two_rows_where_every_lf_fires_do_not_identify_any_accuracy(cls):
    vm, y = disjoint_keyword_votes(0)
    L = vm.to_dense()
    free = np.flatnonzero((L < 0).all(axis=1))[:2]
    L[free, :] = [1] * 5 + [0] * 5       # each LF now shares 2 voted rows with the others
    vm2 = VoteMatrix.from_dense(L, cardinality=2, lf_names=vm.lf_names)
    mv = covered_accuracy(MajorityVote().fit(vm2), vm2, y)
    model = cls().fit(vm2)
    # what identifiability asks: two shared rows identify nothing -> majority vote, with a warning
    assert any("falls back to majority vote" in w for w in model.warnings_), model.warnings_
    assert covered_accuracy(model, vm2, y) == pytest.approx(mv, abs=1e-9)   # was 17 points below MV
