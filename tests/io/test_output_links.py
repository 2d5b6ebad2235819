"""Outputs reached through a symbolic link are written to the link's target, the link kept.

Every output is a temporary renamed into place (``io.atomic_output``); renamed onto the name
given, ``fit votes.parquet -o link.parquet --force`` replaced the link itself with a regular file
and left the file it pointed to as it was. The shell's ``>`` and ``cp`` write through a link, and
so does weaklabel now, on every command (they share the writer): the temporary is made beside the
final target (its file system, so the rename stays atomic) and renamed onto it. A dangling link
is written through when its target's folder exists, else it is one line. The refusals (devices,
FIFOs, ``/proc`` links, an input overwritten, folders, names of other formats, an existing output
without ``--force``) hold for the target reached through the link.

No real device is used: a FIFO made here, and a link here to ``/proc/self/fd/1`` refused before
anything is written, stand in for them.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import GOOD_BAD_LFS, one_line_error
from test_output_paths85 import CLI
from weaklabel.cli import app
from weaklabel.errors import InputError


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from weaklabel.apply import apply_file
    from weaklabel.fit import fit_file

    d = tmp_path_factory.mktemp("link_inputs")
    text = np.array(["a good one", "a bad one", "so so", "good and bad"] * 20)
    data = d / "data.parquet"
    pd.DataFrame({"doc_id": np.arange(len(text)), "text": text}).to_parquet(data, index=False)
    lfs = d / "lfs.py"
    lfs.write_text(GOOD_BAD_LFS)
    votes = d / "votes.parquet"
    apply_file(lfs, data, votes)
    model = d / "model.json"
    fit_file(votes, d / "labels.parquet", "majority", save_model=model)
    return {"dir": d, "data": data, "lfs": lfs, "votes": votes, "model": model}


def hidden_temporaries(*folders: Path) -> list[str]:
    return [p.name for f in folders for p in f.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


@pytest.fixture
def places(tmp_path):
    """``(work, elsewhere)``: where the link is, and the folder its target is in."""
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    return work, elsewhere


def check_written(kind: str, path: Path) -> None:
    if kind == ".parquet":
        assert len(pd.read_parquet(path)) == 80
    elif kind == ".json":
        assert isinstance(json.loads(path.read_text()), dict)
    else:
        assert "<html" in path.read_text().lower()


#: the commands that write an output from these inputs: (suffix of the output, args given the inputs
#: and the output), as ``test_output_paths85`` runs them
COMMANDS = {name.removesuffix(" -o"): CLI[name] for name in ("apply -o", "fit -o", "fit --save-model", "predict -o",
                                                              "report -o")}


def linked_target(places, suffix):
    """``(link in the work folder, its target elsewhere holding "old")``."""
    work, elsewhere = places
    target = elsewhere / f"target{suffix}"
    target.write_text("old")
    link = work / f"link{suffix}"
    link.symlink_to(target)
    return link, target


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_force_writes_through_a_link_and_keeps_it(inputs, places, command):
    work, elsewhere = places
    suffix, args = COMMANDS[command]
    link, target = linked_target(places, suffix)
    r = run(*args(inputs, link), "--force")
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    check_written(suffix, target)
    assert sorted(p.name for p in elsewhere.iterdir()) == [target.name]
    assert not hidden_temporaries(work, elsewhere)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_without_force_a_link_to_an_existing_file_is_refused(inputs, places, command):
    suffix, args = COMMANDS[command]
    link, target = linked_target(places, suffix)
    line = one_line_error(run(*args(inputs, link)))
    assert "link" in line and "already exists" in line and "--force" in line, line
    assert target.read_text() == "old" and link.is_symlink()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_dangling_link_is_written_through(inputs, places, command):
    work, elsewhere = places
    suffix, args = COMMANDS[command]
    target = elsewhere / f"new{suffix}"
    link = work / f"link{suffix}"
    link.symlink_to(target)
    r = run(*args(inputs, link))
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    check_written(suffix, target)
    assert not hidden_temporaries(work, elsewhere)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_dangling_link_into_a_missing_folder_is_one_line(inputs, places, command):
    work, elsewhere = places
    suffix, args = COMMANDS[command]
    link = work / f"link{suffix}"
    link.symlink_to(elsewhere / "missing" / f"new{suffix}")
    line = one_line_error(run(*args(inputs, link), "--force"))
    assert f"link{suffix}" in line and "missing" in line and "does not exist" in line, line
    assert not (elsewhere / "missing").exists() and link.is_symlink()


def test_fit_writes_labels_and_model_through_links_together(inputs, places):
    work, elsewhere = places
    (elsewhere / "labels.parquet").write_text("old")
    (work / "labels.parquet").symlink_to(elsewhere / "labels.parquet")
    (work / "model.json").symlink_to(elsewhere / "model.json")   # dangling: written through
    r = run("fit", inputs["votes"], "-o", work / "labels.parquet", "--save-model", work / "model.json",
            "-m", "majority", "--force")
    assert r.exit_code == 0, r.output
    check_written(".parquet", elsewhere / "labels.parquet")
    check_written(".json", elsewhere / "model.json")
    assert all((work / n).is_symlink() for n in ("labels.parquet", "model.json"))
    assert not hidden_temporaries(work, elsewhere)


def test_a_chain_of_relative_links_is_followed_to_its_end(inputs, places):
    work, elsewhere = places
    (work / "sub").mkdir()
    target = elsewhere / "labels.parquet"
    target.write_text("old")
    (work / "sub" / "hop.parquet").symlink_to(Path("..") / ".." / "elsewhere" / "labels.parquet")
    (work / "link.parquet").symlink_to(Path("sub") / "hop.parquet")
    r = run("fit", inputs["votes"], "-o", work / "link.parquet", "-m", "majority", "--force")
    assert r.exit_code == 0, r.output
    check_written(".parquet", target)
    assert (work / "link.parquet").is_symlink() and (work / "sub" / "hop.parquet").is_symlink()


def test_a_labels_dataset_folder_behind_a_link_is_replaced_there(inputs, places):
    pytest.importorskip("dask.dataframe")   # the optional extra (CI runs without it)
    work, elsewhere = places
    old = elsewhere / "labels_dask"
    r = run("fit", inputs["votes"], "-o", old, "-m", "majority", "--engine", "dask", "-j", "1")
    assert r.exit_code == 0, r.output
    (work / "labels").symlink_to(old)
    r = run("fit", inputs["votes"], "-o", work / "labels", "-m", "majority", "--engine", "dask", "-j", "1",
            "--force")
    assert r.exit_code == 0, r.output
    assert (work / "labels").is_symlink() and old.is_dir()
    assert sum(len(pd.read_parquet(f)) for f in old.glob("*.parquet")) == 80
    assert not hidden_temporaries(work, elsewhere)


# --------------------------------------------------------------------------- the library
def test_the_temporary_is_made_beside_the_target_and_its_mode_kept(places):
    from weaklabel.io import atomic_output

    work, elsewhere = places
    target = elsewhere / "t.parquet"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = work / "link.parquet"
    link.symlink_to(target)
    with atomic_output(link, force=True) as tmp:
        assert tmp.parent == elsewhere and tmp.name.startswith(".t.parquet.")
        tmp.write_text("new")
    assert target.read_text() == "new" and link.is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_an_output_group_writes_through_links(places):
    from weaklabel.io import output_group, write_json_atomic

    work, elsewhere = places
    for n in ("a.json", "b.json"):
        (elsewhere / n).write_text("{}")
        (work / n).symlink_to(elsewhere / n)
    with output_group():
        write_json_atomic({"x": 1}, work / "a.json", force=True)
        write_json_atomic({"x": 2}, work / "b.json", force=True)
    assert [json.loads((elsewhere / n).read_text())["x"] for n in ("a.json", "b.json")] == [1, 2]
    assert all((work / n).is_symlink() for n in ("a.json", "b.json"))


# --------------------------------------------------------------------------- refusals through links
def test_a_link_to_a_fifo_is_still_refused(inputs, places):
    work, elsewhere = places
    fifo = elsewhere / "pipe.parquet"
    os.mkfifo(fifo)
    (work / "hop.parquet").symlink_to(fifo)
    (work / "link.parquet").symlink_to(work / "hop.parquet")
    line = one_line_error(run("fit", inputs["votes"], "-o", work / "link.parquet", "-m", "majority", "--force"))
    assert "is a FIFO" in line, line
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and (work / "link.parquet").is_symlink()


def test_a_link_to_a_link_into_proc_is_still_refused(places):
    from weaklabel.io import atomic_output, check_output

    work, _ = places
    (work / "stdout").symlink_to("/proc/self/fd/1")
    (work / "link.parquet").symlink_to(work / "stdout")
    with pytest.raises(InputError, match="file descriptor"):
        check_output(work / "link.parquet", True)
    with pytest.raises(InputError, match="file descriptor"):
        with atomic_output(work / "link.parquet", force=True) as tmp:
            tmp.write_text("x")
    assert os.readlink(work / "stdout") == "/proc/self/fd/1" and (work / "link.parquet").is_symlink()


@pytest.mark.parametrize("argv", [
    lambda i, link: ["apply", i["lfs"], i["data"], "-o", link, "--force"],
    lambda i, link: ["fit", i["votes"], "-o", link, "--force"],
    lambda i, link: ["predict", i["model"], i["votes"], "-o", link, "--force"],
], ids=["apply over its data", "fit over its votes", "predict over its votes"])
def test_a_link_to_an_input_is_still_refused(inputs, places, argv):
    work, _ = places
    link = work / "link.parquet"
    args = argv(inputs, link)
    source = inputs["data"] if args[0] == "apply" else inputs["votes"]
    link.symlink_to(source)
    before = source.read_bytes()
    line = one_line_error(run(*args))
    assert "is an input" in line, line
    assert source.read_bytes() == before and link.is_symlink()


def test_a_link_to_a_folder_that_is_no_dataset_is_still_refused(inputs, places):
    work, elsewhere = places
    (elsewhere / "keep.txt").write_text("mine")
    (work / "link.parquet").symlink_to(elsewhere)
    line = one_line_error(run("fit", inputs["votes"], "-o", work / "link.parquet", "--force"))
    assert "is a directory" in line, line
    assert (elsewhere / "keep.txt").read_text() == "mine"


def test_a_link_to_another_format_name_is_refused(inputs, places):
    work, elsewhere = places
    (work / "labels.parquet").symlink_to(elsewhere / "labels.csv")
    line = one_line_error(run("fit", inputs["votes"], "-o", work / "labels.parquet", "--force"))
    assert "labels.csv" in line and "as Parquet, not .csv" in line, line
    assert not (elsewhere / "labels.csv").exists()


def test_a_loop_of_links_is_one_line(inputs, places):
    work, _ = places
    (work / "a.parquet").symlink_to(work / "b.parquet")
    (work / "b.parquet").symlink_to(work / "a.parquet")
    line = one_line_error(run("fit", inputs["votes"], "-o", work / "a.parquet", "--force"))
    assert "a.parquet" in line and "never reaches a file" in line, line
    assert (work / "a.parquet").is_symlink() and (work / "b.parquet").is_symlink()
