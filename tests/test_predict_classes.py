"""``predict`` refuses votes whose classes are named otherwise than those the model was fitted on."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from weaklabel.cli import app
from weaklabel.errors import ModelFileError
from weaklabel.models import BaseLabelModel
from weaklabel.simulate import simulate_regime
from weaklabel.votes import VoteMatrix


def _votes(path, classes):
    sim = simulate_regime("independent", 0)
    vm = sim.votes.take(np.arange(600))
    vm = VoteMatrix(vm.indptr, vm.indices, vm.votes, vm.lf_names, cardinality=vm.cardinality)
    vm.classes = classes
    vm.to_parquet(path)
    return vm


def test_votes_with_the_classes_in_another_order_are_refused(tmp_path):
    sim = simulate_regime("independent", 0)
    K = sim.votes.cardinality
    names = [f"class_{k}" for k in range(K)]
    _votes(tmp_path / "votes.parquet", names)
    _votes(tmp_path / "swapped.parquet", names[::-1])
    run = CliRunner().invoke
    res = run(app, ["fit", str(tmp_path / "votes.parquet"), "-o", str(tmp_path / "l.parquet"), "-m", "hybrid",
                    "--save-model", str(tmp_path / "m.json"), "-q"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "m.json").read_text())["learned"]["class_names_"] == names
    for flags in ([], ["--stream", "--batch-size", "100"]):
        out = tmp_path / f"p{len(flags)}.parquet"
        res = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "swapped.parquet"), "-o", str(out)] + flags)
        assert res.exit_code != 0
        assert "swapped.parquet: classes class_" in res.output and "in this order" in res.output
        assert "Traceback" not in res.output and not out.exists()
        res = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "votes.parquet"), "-o", str(out),
                        "--force"] + flags)
        assert res.exit_code == 0, res.output


def test_class_names_in_a_model_file_are_checked():
    sim = simulate_regime("independent", 0)
    vm = sim.votes
    vm.classes = [f"c{k}" for k in range(vm.cardinality)]
    from weaklabel.models import MODELS

    data = MODELS["hybrid"]().fit(vm).to_dict()
    assert BaseLabelModel.from_dict(json.loads(json.dumps(data))).class_names_ == vm.classes
    data["learned"]["class_names_"] = ["only one"]
    with pytest.raises(ModelFileError, match="class_names_"):
        BaseLabelModel.from_dict(data)


def test_predict_names_the_lf_columns_it_does_not_use(tmp_path):
    sim = simulate_regime("independent", 0)
    vm = sim.votes.take(np.arange(600))
    fitted = vm.select_lfs(list(range(vm.n_lfs - 1)))
    fitted.to_parquet(tmp_path / "fit.parquet")
    vm.to_parquet(tmp_path / "more.parquet")
    run = CliRunner().invoke
    assert run(app, ["fit", str(tmp_path / "fit.parquet"), "-o", str(tmp_path / "l.parquet"), "-m", "hybrid",
                     "--save-model", str(tmp_path / "m.json"), "-q"]).exit_code == 0
    extra = vm.lf_names[-1]
    for flags in ([], ["--stream"]):
        res = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "more.parquet"), "-o",
                        str(tmp_path / f"p{len(flags)}.parquet"), "--json"] + flags)
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["ignored_lfs"] == [extra]
        res = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "more.parquet"), "-o",
                        str(tmp_path / f"q{len(flags)}.parquet")] + flags)
        assert f"are not used: {extra}" in res.output
