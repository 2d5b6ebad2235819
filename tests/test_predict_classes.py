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


def test_class_names_are_compared_by_class_key(tmp_path):
    """Surrounding spaces and NFD accents in the votes' class names are the model's classes (as at fit
    and for gold labels); the labels carry the model's names. Other names are still refused."""
    import unicodedata

    import pyarrow.parquet as pq

    from weaklabel.io.metadata import read_metadata

    K = simulate_regime("independent", 0).votes.cardinality
    names = ["café"] + [f"class_{k}" for k in range(1, K)]
    typed = [" " + unicodedata.normalize("NFD", "café")] + [f"class_{k} " for k in range(1, K)]
    assert typed != names
    _votes(tmp_path / "votes.parquet", names)
    _votes(tmp_path / "typed.parquet", typed)
    _votes(tmp_path / "other.parquet", ["cafe"] + names[1:])
    run = CliRunner().invoke
    res = run(app, ["fit", str(tmp_path / "votes.parquet"), "-o", str(tmp_path / "l.parquet"), "-m", "hybrid",
                    "--save-model", str(tmp_path / "m.json"), "-q"])
    assert res.exit_code == 0, res.output
    want = pq.read_table(tmp_path / "l.parquet").column("label_name").to_pylist()
    for flags in ([], ["--stream", "--batch-size", "100"]):
        out = tmp_path / f"p{len(flags)}.parquet"
        res = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "typed.parquet"), "-o", str(out)] + flags)
        assert res.exit_code == 0, res.output
        table = pq.read_table(out)
        assert table.column("label_name").to_pylist() == want
        assert read_metadata(out)["classes"] == names
        res = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "other.parquet"), "-o",
                        str(tmp_path / f"o{len(flags)}.parquet")] + flags)
        assert res.exit_code != 0
        line = next(x for x in res.output.splitlines() if "other.parquet: classes" in x)
        assert "cafe, class_1" in line and "fitted on classes café, class_1" in line
        assert "Traceback" not in res.output and not (tmp_path / f"o{len(flags)}.parquet").exists()


def test_the_python_api_compares_class_names_by_class_key():
    """``predict_proba`` on a VoteMatrix whose class names differ from the model's only by spaces or
    NFD accents gives the same probabilities; other names are refused."""
    import unicodedata

    import numpy as np
    import pytest

    from weaklabel.errors import InputError
    from weaklabel.models import make_model
    from weaklabel.votes import VoteMatrix

    vm = simulate_regime("independent", 0).votes
    K = vm.cardinality
    names = ["café"] + [f"class_{k}" for k in range(1, K)]
    L = vm.to_dense()
    model = make_model("hybrid").fit(VoteMatrix.from_dense(L, cardinality=K, classes=names))
    want = model.predict_proba(VoteMatrix.from_dense(L, cardinality=K, classes=names))
    typed = [unicodedata.normalize("NFD", "café") + " "] + [f" class_{k}" for k in range(1, K)]
    got = model.predict_proba(VoteMatrix.from_dense(L, cardinality=K, classes=typed))
    np.testing.assert_array_equal(got, want)
    with pytest.raises(InputError, match="fitted on classes café"):
        model.predict_proba(VoteMatrix.from_dense(L, cardinality=K, classes=["cafe"] + names[1:]))


@pytest.mark.parametrize("mode", ["--no-stream", "--stream"])
def test_a_plain_votes_file_is_read_with_the_models_classes(tmp_path, mode):
    """A Parquet votes file without weaklabel metadata has its K inferred from its largest vote: a
    new batch where no LF voted the last class (K = 2 against a 3-class model) was refused by
    ``predict`` ("cardinality 2 but the model has 3 classes"). It is now read with the model's K,
    labelled as the same rows of the fit's file; a vote the model has no class for is one error."""
    import pandas as pd
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    L = np.column_stack([np.where(rng.random(300) < 0.6, np.where(rng.random(300) < 0.8, y, (y + 1) % 3), -1)
                         for _ in range(4)])
    df = pd.DataFrame(L, columns=list("abcd"))
    df.insert(0, "id", np.arange(300))
    df.to_parquet(tmp_path / "all.parquet", index=False)
    small = df[(df[list("abcd")] < 2).all(axis=1)].head(30)
    small.to_parquet(tmp_path / "batch.parquet", index=False)
    run = CliRunner().invoke
    r = run(app, ["fit", str(tmp_path / "all.parquet"), "-o", str(tmp_path / "fit.parquet"), "-m", "ds",
                  "--save-model", str(tmp_path / "m.json"), "-q"])
    assert r.exit_code == 0, r.output
    r = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "batch.parquet"), "-o",
                  str(tmp_path / "p.parquet"), mode, "-q"])
    assert r.exit_code == 0, r.output
    got = pq.read_table(tmp_path / "p.parquet").to_pandas()
    fit = pq.read_table(tmp_path / "fit.parquet").to_pandas().set_index("id").loc[small["id"]]
    assert got["id"].tolist() == small["id"].tolist() and "prob_2" in got
    np.testing.assert_array_equal(got["label"].to_numpy(), fit["label"].to_numpy())
    np.testing.assert_allclose(got[["prob_0", "prob_1", "prob_2"]].to_numpy(),
                               fit[["prob_0", "prob_1", "prob_2"]].to_numpy(), rtol=1e-6)
    over = small.assign(a=np.where(small["a"] >= 0, 3, -1))   # class 3 of a 3-class model
    over.to_parquet(tmp_path / "over.parquet", index=False)
    r = run(app, ["predict", str(tmp_path / "m.json"), str(tmp_path / "over.parquet"), "-o",
                  str(tmp_path / "o.parquet"), mode])
    assert r.exit_code == 1 and "vote 3 is outside -1..2" in r.output and not (tmp_path / "o.parquet").exists()
