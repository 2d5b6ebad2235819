"""Outputs that are not files (helper 85): every command and API that writes refuses, before any
work and even with ``--force``, an output that is a device, a FIFO, a socket or a link into
``/proc`` (``/dev/stdout``), a name too long for the temporary it is written through and, for
Parquet and JSON outputs, a compressed suffix. ``fit``/``predict`` refused them since helper 79;
``apply -o /dev/null --force`` (and ``report``, ``select``, ``autolf``, ``bench --out``, ``save_model``
...) replaced the output, a device included, with a regular file renamed into place (exit 0).

The real ``/dev/null`` and ``/dev/stdout`` are never targeted: a FIFO made here, a link here to
``/proc/self/fd/1`` and a link here to ``/dev/null`` stand in for them (a rename replaces the
link, not the device, so even a missed refusal cannot touch the machine's device; and the
device's mode is checked before and after)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS, one_line_error
from weaklabel.cli import app
from weaklabel.errors import InputError

KINDS = ("fifo", "proc_link", "device_link", "too_long")
MESSAGES = {"fifo": "is a FIFO", "proc_link": "file descriptor", "device_link": "is a character device",
            "too_long": "file name too long"}


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


# --------------------------------------------------------------------------- inputs, made once
@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from weaklabel.apply import apply_file
    from weaklabel.autolf import generate_lfs
    from weaklabel.fit import fit_file
    from weaklabel.verifiers import select_file

    d = tmp_path_factory.mktemp("inputs85")
    x = np.linspace(-2, 2, 80)
    label = (x > 0).astype(int)
    text = np.where(label == 1, "a good one", "a bad one")
    text[::7] = "so so"
    data = d / "data.parquet"
    pd.DataFrame({"doc_id": np.arange(80), "x": x, "label": label, "text": text}).to_parquet(data, index=False)
    lfs = d / "lfs.py"
    lfs.write_text(GOOD_BAD_LFS)
    votes = d / "votes.parquet"
    apply_file(lfs, data, votes)
    model = d / "model.json"
    fit_file(votes, d / "labels.parquet", "majority", save_model=model)
    rng = np.random.default_rng(0)
    n_q, k = 30, 4
    good = rng.random(n_q * k) < 0.4
    scores = d / "scores.parquet"
    pd.DataFrame({"question_id": np.repeat([f"q{i}" for i in range(n_q)], k),
                  "candidate_id": np.tile(np.arange(k), n_q),
                  "rm_a": good + rng.normal(0, 0.6, n_q * k), "rm_b": good + rng.normal(0, 0.8, n_q * k),
                  "rm_c": good + rng.normal(0, 0.9, n_q * k)}).to_parquet(scores, index=False)
    sel = select_file(scores, d / "selection.parquet").selector
    gen = generate_lfs(pd.DataFrame({"x": x}), label, "snuba")
    assert len(gen) >= 1
    from weaklabel.models import load_model

    return dict(dir=d, data=data, lfs=lfs, votes=votes, model=model, fitted=load_model(model), scores=scores,
                selector=sel, generated=gen)


def make_target(kind: str, where: Path, suffix: str) -> Path:
    where.mkdir(exist_ok=True)
    if kind == "fifo":
        p = where / f"pipe{suffix}"
        os.mkfifo(p)
    elif kind == "proc_link":       # as /dev/stdout -> /proc/self/fd/1
        p = where / f"stdout{suffix}"
        p.symlink_to("/proc/self/fd/1")
    elif kind == "device_link":     # a character device, reached through a link made here
        p = where / f"null{suffix}"
        p.symlink_to("/dev/null")
    else:
        p = where / ("a" * 240 + suffix)
    return p


def snapshot(where: Path) -> dict:
    """Every entry under ``where`` with its (unfollowed) mode and link target, and /dev/null's
    mode and device number: a refusal must leave all of them as they were."""
    out = {}
    for p in sorted(where.rglob("*")):
        st = p.lstat()
        out[str(p)] = (st.st_mode, os.readlink(p) if p.is_symlink() else None)
    dn = os.stat("/dev/null")
    out["/dev/null"] = (dn.st_mode, dn.st_rdev)
    return out


@pytest.fixture(autouse=True)
def dev_null_stays_a_device():
    yield
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def refused_cli(args, target_dir: Path, kind: str) -> None:
    before = snapshot(target_dir)
    line = one_line_error(run(*args))
    assert MESSAGES[kind] in line, line
    assert snapshot(target_dir) == before


def refused_api(call, target_dir: Path, kind: str, message: str | None = None) -> None:
    before = snapshot(target_dir)
    with pytest.raises(InputError, match=message or MESSAGES[kind]):
        call()
    assert snapshot(target_dir) == before


# --------------------------------------------------------------------------- the early check itself
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("force", [False, True])
def test_check_output_refuses_special_outputs_with_and_without_force(tmp_path, kind, force):
    from weaklabel.io import check_output

    t = make_target(kind, tmp_path / "t", ".parquet")
    refused_api(lambda: check_output(t, force), tmp_path / "t", kind)


def test_a_regular_file_link_and_a_dangling_link_are_still_outputs(tmp_path):
    """Only devices, FIFOs, sockets and /proc links are refused: a link to a regular file (written
    through to that file) and a new name are ordinary outputs."""
    from weaklabel.io import atomic_output, check_output

    (tmp_path / "real.parquet").write_text("x")
    (tmp_path / "link.parquet").symlink_to(tmp_path / "real.parquet")
    (tmp_path / "dangling.parquet").symlink_to(tmp_path / "nope.parquet")
    assert check_output(tmp_path / "link.parquet", True) == tmp_path / "link.parquet"
    assert check_output(tmp_path / "dangling.parquet", True) == tmp_path / "dangling.parquet"
    with atomic_output(tmp_path / "new.parquet") as tmp:
        tmp.write_text("y")
    assert (tmp_path / "new.parquet").read_text() == "y"


def test_a_socket_is_refused_as_an_output():
    import socket
    import tempfile

    from weaklabel.io import check_output

    with tempfile.TemporaryDirectory(dir="/tmp") as d:   # a short path: AF_UNIX names are at most 107 bytes
        path = Path(d) / "s.parquet"
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(path))
            refused_api(lambda: check_output(path, True), Path(d), "", "is a socket")
            assert stat.S_ISSOCK(path.lstat().st_mode)


@pytest.mark.parametrize("kind", ["fifo", "proc_link", "device_link"])
@pytest.mark.parametrize("grouped", [False, True])
def test_atomic_output_refuses_an_output_that_became_special_before_the_rename(tmp_path, kind, grouped):
    """The last line of defence: an output that turned into a FIFO (or a link to a device or a
    descriptor) while it was being written is not replaced at the rename; with --force the FIFO
    was renamed aside and deleted."""
    import contextlib

    from weaklabel.io import atomic_output, output_group

    where = tmp_path / "t"
    where.mkdir()
    dest = where / "out.parquet"
    with pytest.raises(InputError, match=MESSAGES[kind]):
        with output_group() if grouped else contextlib.nullcontext():
            with atomic_output(dest, force=True) as tmp:
                tmp.write_text("x")
                made = make_target(kind, tmp_path / "made", ".parquet")
                os.rename(made, dest)
    st = dest.lstat()
    assert not stat.S_ISREG(st.st_mode)
    assert sorted(p.name for p in where.iterdir()) == ["out.parquet"]   # temporary removed


def test_output_group_refuses_before_any_rename(tmp_path):
    """Of two outputs of a group, the second turned into a FIFO: neither is placed."""
    from weaklabel.io import atomic_output, output_group

    a, b = tmp_path / "a.parquet", tmp_path / "b.json"
    with pytest.raises(InputError, match="FIFO"):
        with output_group():
            with atomic_output(a, force=True) as tmp:
                tmp.write_text("a")
            with atomic_output(b, force=True) as tmp:
                tmp.write_text("b")
                os.mkfifo(b)
    assert not a.exists() and stat.S_ISFIFO(b.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]


# --------------------------------------------------------------------------- every command
CLI = {
    # name: (suffix of the output, args given the inputs and the target)
    "apply -o": (".parquet", lambda i, t: ["apply", i["lfs"], i["data"], "-o", t]),
    "fit -o": (".parquet", lambda i, t: ["fit", i["votes"], "-o", t, "-m", "majority"]),
    "fit --save-model": (".json", lambda i, t: ["fit", i["votes"], "-o", t.parent / "l.parquet", "-m", "majority",
                                                "--save-model", t]),
    "predict -o": (".parquet", lambda i, t: ["predict", i["model"], i["votes"], "-o", t]),
    "report -o": (".html", lambda i, t: ["report", i["votes"], "-o", t]),
    "select -o": (".parquet", lambda i, t: ["select", i["scores"], "-o", t]),
    "select --save-model": (".json", lambda i, t: ["select", i["scores"], "-o", t.parent / "s.parquet",
                                                   "--save-model", t]),
    "autolf -o": (".py", lambda i, t: ["autolf", i["data"], "--label-col", "label", "--features", "x", "-o", t]),
    "autolf -o (model format)": (".py", lambda i, t: ["autolf", i["data"], "--label-col", "label", "--features", "x",
                                                      "--format", "model", "-o", t]),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", sorted(CLI))
def test_every_command_refuses_special_outputs_with_force(inputs, tmp_path, command, kind):
    suffix, args = CLI[command]
    t = make_target(kind, tmp_path / "t", suffix)
    refused_cli([*args(inputs, t), "--force"], tmp_path / "t", kind)


@pytest.mark.parametrize("kind", ["fifo", "proc_link", "device_link"])
def test_bench_out_refuses_a_special_file_among_its_outputs(tmp_path, monkeypatch, kind):
    from weaklabel.bench import datasets as D, suites

    monkeypatch.delenv(D.ENV_VAR, raising=False)

    def must_not_run(cfg, progress=None):
        raise AssertionError("the bench ran before its outputs were checked")

    monkeypatch.setattr(suites, "run_bench", must_not_run)
    out = tmp_path / "t"
    out.mkdir()
    os.rename(make_target(kind, out, ".json"), out / "results.json")
    before = snapshot(out)
    r = run("bench", "--tasks", "wine", "--seeds", "1", "--methods", "knn", "--out", out, "--force")
    assert r.exit_code == 1 and MESSAGES[kind] in r.output and "Traceback" not in r.output, r.output
    assert snapshot(out) == before


COMPRESSED = {
    "apply -o": ("votes.parquet.gz", "name the output votes.parquet"),
    "select -o": ("sel.parquet.gz", "name the output sel.parquet"),
    "fit -o": ("labels.parquet.bz2", "name the output labels.parquet"),
    "predict -o": ("labels.csv.gz", "name the output labels.parquet"),
    "fit --save-model": ("model.json.gz", "name it model.json"),
    "select --save-model": ("selector.json.xz", "name it selector.json"),
}


@pytest.mark.parametrize("command", sorted(COMPRESSED))
def test_parquet_and_json_outputs_named_like_compressed_files_are_refused(inputs, tmp_path, command):
    """``apply -o votes.parquet.gz`` wrote Parquet under a gzip name (only the last suffix was
    looked at); ``--save-model model.json.gz`` was refused, but told to use ``model.json.json``."""
    name, message = COMPRESSED[command]
    where = tmp_path / "t"
    where.mkdir()
    before = snapshot(where)
    line = one_line_error(run(*CLI[command][1](inputs, where / name), "--force"))
    assert message in line and ".json.json" not in line, line
    assert snapshot(where) == before


# --------------------------------------------------------------------------- every Python API
def _api(i, t, name):
    from weaklabel.apply import apply_file
    from weaklabel.fit import fit_file, predict_file
    from weaklabel.htmlreport import report
    from weaklabel.io import write_json_atomic, write_labels
    from weaklabel.models import save_model
    from weaklabel.verifiers import select_file
    from weaklabel.votes.file import read_votes, write_votes

    calls = {
        "apply_file": (".parquet", lambda: apply_file(i["lfs"], i["data"], t, force=True)),
        "fit_file": (".parquet", lambda: fit_file(i["votes"], t, "majority", force=True)),
        "fit_file save_model": (".json", lambda: fit_file(i["votes"], t.parent / "l.parquet", "majority",
                                                          save_model=t, force=True)),
        "predict_file": (".parquet", lambda: predict_file(i["model"], i["votes"], t, force=True)),
        "report": (".html", lambda: report(i["votes"], t, force=True)),
        "select_file": (".parquet", lambda: select_file(i["scores"], t, force=True)),
        "select_file save_model": (".json", lambda: select_file(i["scores"], t.parent / "s.parquet", save_model=t,
                                                                force=True)),
        "VerifierSelector.save": (".json", lambda: i["selector"].save(t, force=True)),
        "GeneratedLFs.write": (".py", lambda: i["generated"].write(t, force=True)),
        "GeneratedLFs.write model": (".py", lambda: i["generated"].write(t, format="model", force=True)),
        "GeneratedLFs.save": (".npz", lambda: i["generated"].save(t, force=True)),
        "save_model": (".json", lambda: save_model(i["fitted"], t, force=True)),
        "LabelModel.save": (".json", lambda: i["fitted"].save(t)),          # force=True by default
        "write_votes": (".parquet", lambda: write_votes(read_votes(i["votes"]), t, force=True)),
        "write_labels": (".parquet", lambda: write_labels(t, np.full((2, 2), 0.5), np.array([0, 1]), force=True)),
        "write_json_atomic": (".json", lambda: write_json_atomic({"a": 1}, t, force=True)),
    }
    return calls[name][1]


API_NAMES = ["apply_file", "fit_file", "fit_file save_model", "predict_file", "report", "select_file",
             "select_file save_model", "VerifierSelector.save", "GeneratedLFs.write", "GeneratedLFs.write model",
             "GeneratedLFs.save", "save_model", "LabelModel.save", "write_votes", "write_labels", "write_json_atomic"]
API_SUFFIX = {"apply_file": ".parquet", "fit_file": ".parquet", "fit_file save_model": ".json",
              "predict_file": ".parquet", "report": ".html", "select_file": ".parquet",
              "select_file save_model": ".json", "VerifierSelector.save": ".json", "GeneratedLFs.write": ".py",
              "GeneratedLFs.write model": ".py", "GeneratedLFs.save": ".npz", "save_model": ".json",
              "LabelModel.save": ".json", "write_votes": ".parquet", "write_labels": ".parquet",
              "write_json_atomic": ".json"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", API_NAMES)
def test_every_api_refuses_special_outputs_with_force(inputs, tmp_path, name, kind):
    t = make_target(kind, tmp_path / "t", API_SUFFIX[name])
    call = _api(inputs, t, name)
    refused_api(call, tmp_path / "t", kind)


def test_bench_write_outputs_refuses_a_fifo(tmp_path):
    from weaklabel.bench import report, suites

    out = tmp_path / "t"
    out.mkdir()
    os.mkfifo(out / "results.json")
    res = suites.BenchResult(config={"suites": [], "seeds": [0]}, records=[{"suite": "none", "seed": 0}], seconds=1.0)
    refused_api(lambda: report.write_outputs(res, out, force=True, plots=False), out, "fifo")


@pytest.mark.parametrize("name,file,message", [
    ("save_model", "model.json.gz", "name it model.json"),
    ("LabelModel.save", "model.json.zst", "name it model.json"),
    ("VerifierSelector.save", "selector.json.gz", "name it selector.json"),
    ("write_votes", "votes.parquet.gz", "name it votes.parquet"),
    ("write_labels", "labels.parquet.lz4", "name it labels.parquet"),
    ("write_json_atomic", "x.json.bz2", "name it x.json"),
    ("apply_file", "votes.csv.gz", "name the output votes.parquet"),
    ("select_file", "selection.parquet.xz", "name the output selection.parquet"),
])
def test_apis_refuse_compressed_names(inputs, tmp_path, name, file, message):
    where = tmp_path / "t"
    where.mkdir()
    call = _api(inputs, where / file, name)
    refused_api(call, where, "", re.escape(message) + "$")
    assert not (where / file).exists()


def test_fit_plan_keeps_its_names_from_the_one_definition():
    """``fit.plan`` re-exports the checks from ``io.output_paths``; nothing is defined twice."""
    from weaklabel.fit import plan
    from weaklabel.io import output_paths

    for name in ("check_special_output", "check_compressed_name", "check_model_outside_labels"):
        assert getattr(plan, name) is getattr(output_paths, name)
