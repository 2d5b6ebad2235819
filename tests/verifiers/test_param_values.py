"""`select`'s hyper-parameters are checked by type and range before fitting (README, "Errors and guarantees").

README, "Errors and guarantees": hyper-parameters are checked by type and range before fitting
(NaN, infinities and wrong types included), a user error is one ``error:`` line with exit 1,
never a traceback, and there are no silent wrong answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.verifiers import VerifierSelector, from_frame
from weaklabel.verifiers.simulate import make_pool

runner = CliRunner()


@pytest.fixture(scope="module")
def pool_table():
    return make_pool(3, "audit", n_questions=30, n_candidates=8, n_independent=4, n_sparse=0, n_random=0,
                     n_flipped=0, n_constant=0).table


BAD_MIXTURE_PARAMS = [
    {"max_iter": float("nan")}, {"max_iter": 1.5}, {"max_iter": True}, {"max_iter": "300"},
    {"tol": float("nan")}, {"prior_strength": float("inf")}, {"offset_strength": float("inf")},
    {"smoothing": float("nan")}, {"var_floor": "x"}, {"shrinkage": float("nan")},
    {"question_effects": "maybe"}, {"class_balance": "half"},
]


@pytest.mark.parametrize("params", BAD_MIXTURE_PARAMS, ids=lambda p: f"{next(iter(p))}={next(iter(p.values()))!r}")
def test_mixture_params_checked_before_fitting(pool_table, params):
    data = from_frame(pool_table, answer_col="answer")
    sel = VerifierSelector(model_params=params)
    with pytest.raises(InputError, match=next(iter(params))):
        sel.fit(data)


BAD_SELECTOR_PARAMS = [{"min_agreement": "x"}, {"family_threshold": "a"}, {"class_balance": "0.3"},
                       {"rate_band": ("a", 0.9)}, {"threshold": float("nan")}, {"answer_icc": "x"}]


@pytest.mark.parametrize("params", BAD_SELECTOR_PARAMS, ids=lambda p: next(iter(p)))
def test_selector_params_checked_by_type(pool_table, params):
    data = from_frame(pool_table, answer_col="answer")
    with pytest.raises(InputError, match=next(iter(params))):
        VerifierSelector(**params).fit(data)


@pytest.mark.parametrize("param", ["max_iter=nan", "max_iter=1.5", "prior_strength=1e999", "smoothing=-1e999",
                                   "question_effects=maybe"])
def test_select_cli_bad_param_is_one_line_and_writes_nothing(tmp_path, pool_table, param):
    src = tmp_path / "scores.parquet"
    pool_table.to_parquet(src, index=False)
    out = tmp_path / "sel.parquet"
    r = runner.invoke(app, ["select", str(src), "-o", str(out), "-q", "--param", param])
    assert r.exit_code == 1, r.output
    assert r.output.startswith("error:") and len(r.output.strip().splitlines()) == 1, r.output
    assert "Traceback" not in r.output and param.split("=")[0] in r.output, r.output
    assert not out.exists()


def test_valid_mixture_params_still_fit(pool_table):
    data = from_frame(pool_table, answer_col="answer")
    sel = VerifierSelector(model_params={"max_iter": 50, "tol": 1e-6, "prior_strength": 2, "question_effects": False,
                                         "covariance": "full", "class_balance": 0.4}).fit(data)
    p = sel.predict_proba(data)
    assert np.isfinite(p).all()
    assert isinstance(pd.Series(p).sum(), float)
