"""Misuse of `weaklabel.report` / `collect` from Python and of `--labels` (an adversarial pass):
each test failed before its fix (a silently empty page, a raw traceback, labels of other votes
matched by position)."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import weaklabel
from weaklabel import VoteMatrix
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.fit.labels import write_model_labels
from weaklabel.htmlreport import collect
from weaklabel.models import MajorityVote

runner = CliRunner()


def _vm(n=60, seed=0, **kw):
    rng = np.random.default_rng(seed)
    return VoteMatrix.from_dense(rng.integers(-1, 2, (n, 4)), cardinality=2, **kw)


def test_negative_block_rows_is_refused_not_an_empty_page():
    """block_rows=-5 read no block of a VoteMatrix: every figure 0 (coverage 0%), no error."""
    with pytest.raises(InputError, match="block_rows must be an integer of at least 1"):
        collect(_vm(), block_rows=-5)


@pytest.mark.parametrize("kwargs, words", [
    ({"samples": -1}, "samples must be an integer of at least 0"),     # ValueError: kth out of bounds
    ({"worst": -1, "gold": pd.DataFrame({"label": np.arange(60) % 2})}, "worst must be an integer"),
    ({"seed": 1.5}, "seed must be an integer"),                         # TypeError
    ({"model": MajorityVote()}, "MajorityVote is not fitted"),          # AttributeError: cardinality_
    ({"labels": pd.DataFrame({"prob_0": [1.0] * 60})}, "labels must be a path"),   # TypeError from Path
    ({"data": pd.DataFrame({"text": ["x"] * 60})}, "data must be a path"),
])
def test_api_misuse_is_an_input_error(kwargs, words):
    with pytest.raises(InputError, match=words):
        weaklabel.report(_vm(), **kwargs)


def test_dense_votes_are_refused_with_the_way_to_a_vote_matrix():
    with pytest.raises(InputError, match="VoteMatrix.from_dense"):
        weaklabel.report(np.zeros((5, 2), dtype=int))


def test_gold_as_an_array_is_one_label_per_row():
    """analyze(votes, y) takes an array of labels; report(votes, gold=y) crashed (TypeError)."""
    vm = _vm()
    y = np.random.default_rng(1).integers(0, 2, vm.n_rows)
    want = collect(vm, gold=pd.DataFrame({"label": y}))
    for gold in (y, list(y), pd.Series(y, index=np.arange(vm.n_rows)[::-1])):
        got = collect(vm, gold=gold)
        assert got.scores["accuracy"] == want.scores["accuracy"]
        assert got.scores["confusion_matrix"] == want.scores["confusion_matrix"]
        pd.testing.assert_frame_equal(got.lf, want.lf)


def test_labels_of_other_votes_are_refused(tmp_path):
    """Labels that fit wrote for votes identified by another id column (same row count) were
    matched by position and shown as these votes' labels."""
    n = 40
    votes = _vm(n, row_ids=pd.DataFrame({"review_id": np.arange(n) + 100}))
    votes.to_parquet(tmp_path / "votes.parquet")
    other = _vm(n, seed=5)
    write_model_labels(MajorityVote().fit(other), other, tmp_path / "labels.parquet")
    r = runner.invoke(app, ["report", str(tmp_path / "votes.parquet"), "--labels", str(tmp_path / "labels.parquet"),
                            "-o", str(tmp_path / "r.html")], catch_exceptions=False)
    assert r.exit_code == 1 and "rows identified by row but the votes' by review_id" in r.output, r.output
    assert not (tmp_path / "r.html").exists()


def test_sampled_rows_name_a_bounded_number_of_votes():
    """Every sampled row listed every LF's vote, in every LF's section: the page grew as m^2
    (1,000 LFs voting on half of 2,000 rows: 81 MB, 870 MB of memory). Now at most MAX_ROW_VOTES
    are named, the LF whose rows they are first, the others counted by class."""
    import re

    from weaklabel.htmlreport import page as page_module

    MAX_ROW_VOTES = getattr(page_module, "MAX_ROW_VOTES", 20)
    m = 150
    vm = VoteMatrix.from_dense(np.tile(np.arange(m) % 2, (40, 1)), cardinality=2, classes=["no", "yes"])
    page = weaklabel.report(vm, samples=2)
    cells = re.findall(r'<td class="votes">([^<]*)</td>', page)
    assert cells and all(c.count("=") == MAX_ROW_VOTES for c in cells)
    assert all(c.endswith(f"… and {m - MAX_ROW_VOTES} more ({m} votes: 75 for no, 75 for yes)") for c in cells)
    # (per-LF sections are capped at page.MAX_SAMPLE_LFS LFs: the first 100 here, all tied on votes)
    section = page[page.index("<summary>lf_60 "):]
    assert re.search(r'<td class="votes">([^<]*)</td>', section).group(1).startswith("lf_60=no, lf_0=no")
    assert len(page) < 1_000_000
