"""``predict`` reads only the model's LF columns on every engine. In memory it read every LF column
of the votes and then kept the model's (``VoteMatrix.read_parquet`` + ``select_lfs``), though its
docstring said the others were not read: a column the model was not fitted with holding a 7 failed
in memory ("vote 7 is outside -1..1") and passed with ``--stream``. ``read_votes(lf_names=...)``
reads only the columns asked for, as :class:`~weaklabel.votes.reader.VotesSource` does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import weaklabel.io.tables as tables
from weaklabel import VoteMatrix
from weaklabel.cli import app
from weaklabel.errors import InputError
from weaklabel.fit import fit_file, predict_file
from weaklabel.votes.file import read_votes
from weaklabel.votes.reader import VotesSource

runner = CliRunner()
ENGINES = [False, True]   # stream: in memory, streamed


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _label_columns(path):
    return pd.read_parquet(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A model fitted on plain votes a, b, c (ids ``id``); votes with an extra column ``extra``
    holding 7 (not a vote of K=2) and the model's columns in another order; the same as a
    weaklabel votes file with a valid extra LF."""
    d = tmp_path_factory.mktemp("predict_lfs")
    rng = np.random.default_rng(3)
    n = 400
    y = rng.integers(0, 2, n)
    L = np.stack([np.where(rng.random(n) < cov, np.where(rng.random(n) < acc, y, 1 - y), -1)
                  for acc, cov in ((.85, .7), (.75, .6), (.7, .8))], axis=1)
    ids = [f"r{i:04d}" for i in range(n)]
    train = pd.DataFrame({"id": ids, "a": L[:, 0], "b": L[:, 1], "c": L[:, 2]})
    train.to_parquet(d / "train.parquet", index=False)
    fit_file(d / "train.parquet", d / "fit_labels.parquet", "ds", save_model=d / "model.json", seed=0)
    extra = train[["id", "c"]].copy()
    extra["extra"] = 7
    extra["a"], extra["b"] = train["a"], train["b"]
    extra.to_parquet(d / "extra.parquet", index=False)
    vm = VoteMatrix.from_dense(np.c_[L[:, [2, 0]], rng.integers(-1, 2, n), L[:, 1]], cardinality=2,
                               lf_names=["c", "a", "other", "b"], row_ids=train[["id"]])
    vm.to_parquet(d / "wl_extra.parquet")
    missing = train.drop(columns=["b"])
    missing.to_parquet(d / "missing.parquet", index=False)
    return d


@pytest.mark.parametrize("votes", ["extra.parquet", "wl_extra.parquet"])
def test_both_engines_give_the_same_labels_from_the_models_columns(files, votes):
    d = files
    out = {}
    for stream in ENGINES:
        o = d / f"p_{stream}_{votes}"
        res = predict_file(d / "model.json", d / votes, o, stream=stream, force=True)
        assert res["mode"] == ("stream" if stream else "memory")
        assert res["ignored_lfs"] == (["extra"] if votes == "extra.parquet" else ["other"])
        out[stream] = _label_columns(o)
    pd.testing.assert_frame_equal(out[False], out[True])
    # the labels are those of the training votes (the same a, b, c)
    ref = d / "p_train.parquet"
    predict_file(d / "model.json", d / "train.parquet", ref, stream=False, force=True)
    pd.testing.assert_frame_equal(out[False], _label_columns(ref))


def test_cli_predict_in_memory_ignores_a_bad_extra_column(files):
    d = files
    for flag in ("--no-stream", "--stream"):
        r = run("predict", d / "model.json", d / "extra.parquet", "-o", d / f"cli{flag}.parquet", "--force")
        assert r.exit_code == 0, r.output
        assert "not used: extra" in r.stderr
    pd.testing.assert_frame_equal(_label_columns(d / "cli--no-stream.parquet"),
                                  _label_columns(d / "cli--stream.parquet"))


@pytest.mark.parametrize("stream", ENGINES)
def test_a_model_lf_missing_from_the_votes_is_a_clear_error(files, stream):
    d = files
    o = d / f"missing_{stream}.parquet"
    with pytest.raises(InputError, match=r"missing\.parquet: has no column for LF 'b', which the model was "
                                         r"fitted with$"):
        predict_file(d / "model.json", d / "missing.parquet", o, stream=stream)
    assert not o.exists()


def test_read_votes_reads_only_the_lf_columns_asked_for(files, monkeypatch):
    d = files
    asked = []
    real = tables.TableSource.iter_batches_with_ids

    def spy(self, batch_rows, columns, *a, **k):
        asked.append(list(columns))
        return real(self, batch_rows, columns, *a, **k)

    monkeypatch.setattr(tables.TableSource, "iter_batches_with_ids", spy)
    vm = read_votes(d / "extra.parquet", lf_names=["a", "b", "c"])
    assert asked == [["id", "a", "b", "c"]]
    assert vm.lf_names == ["a", "b", "c"] and vm.cardinality == 2   # K of the columns read: not 8
    train = pd.read_parquet(d / "train.parquet")
    np.testing.assert_array_equal(vm.to_dense(), train[["a", "b", "c"]].to_numpy())
    assert vm.row_ids["id"].tolist() == train["id"].tolist()
    # a plain file's K is inferred from the same columns by the streaming reader
    assert VotesSource(d / "extra.parquet", lf_names=["a", "b", "c"]).cardinality == 2
    with pytest.raises(InputError, match="vote 7 is outside"):   # every column, without lf_names
        read_votes(d / "extra.parquet", cardinality=2)


def test_read_votes_lf_names_of_a_weaklabel_file(files):
    """A subset of a weaklabel votes file, reordered: its metadata vote counts are checked for
    the columns read (a count check over all LFs would refuse it)."""
    d = files
    full = read_votes(d / "wl_extra.parquet")
    vm = read_votes(d / "wl_extra.parquet", lf_names=["a", "b", "c"])
    assert vm.lf_names == ["a", "b", "c"] and vm.classes == full.classes
    assert vm.equals(full.select_lfs(["a", "b", "c"]))
    with pytest.raises(InputError, match=r"has no column for LF 'zz'"):
        read_votes(d / "wl_extra.parquet", lf_names=["a", "zz"])
    with pytest.raises(InputError, match=r"LF 'a' is selected twice"):
        read_votes(d / "wl_extra.parquet", lf_names=["a", "b", "a"])
    with pytest.raises(InputError, match=r"LF 'a' is selected twice"):
        VotesSource(d / "wl_extra.parquet", lf_names=["a", "a"])
