"""Nothing a command writes loses data: an output is never one of the command's inputs, two
outputs of one command never share a path, outputs are created exclusively (a concurrent run
fails instead of silently replacing), all outputs of a command appear together, --force never
copies setuid/setgid bits, a full disk or a file-size limit is one line with nothing left
behind, and temporaries of killed runs are cleaned by the next run."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import sys

import pytest

from _adv import one_line_error, run_cli, run_sub, temporaries, work  # noqa: F401  (work: a fixture)
from weaklabel.errors import InputError
from weaklabel.io.atomic import _owner_tag
from weaklabel.io import (
    atomic_output,
    check_distinct,
    clean_stale_temporaries,
    output_group,
    write_json_atomic,
)


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# --------------------------------------------------------------------------- output = input
@pytest.mark.parametrize("argv", [
    ["apply", "lfs.py", "reviews.parquet", "-o", "reviews.parquet", "--force"],
    ["apply", "lfs.py", "reviews.parquet", "-o", "lfs.py", "--force"],
    ["apply", "lfs.py", "reviews.parquet", "-o", "sub/../reviews.parquet", "--force"],
    ["apply", "lfs.py", "reviews.parquet", "-o", "./link.parquet", "--force"],        # symlink to the data
    ["apply", "lfs.py", "link.parquet", "-o", "reviews.parquet", "--force"],          # input through a symlink
    ["fit", "votes.parquet", "-o", "votes.parquet", "--force"],
    ["fit", "votes.parquet", "-o", "labels.parquet", "--save-model", "votes.parquet", "--force"],
    ["fit", "votes.parquet", "-o", "labels.parquet", "--save-model", "./labels.parquet"],
    ["fit", "votes.parquet", "-o", "x.parquet", "--stream", "--save-model", "x.parquet"],
    ["fit", "votes.parquet", "-o", "labels.parquet", "--dev", "reviews.parquet", "--save-model", "reviews.parquet",
     "--force"],
    ["predict", "model.json", "votes.parquet", "-o", "model.json", "--force"],
    ["predict", "model.json", "votes.parquet", "-o", "votes.parquet", "--force"],
    ["autolf", "reviews.parquet", "--label-col", "label", "--text-col", "text", "-o", "reviews.parquet", "--force"],
], ids=lambda a: " ".join(a))
def test_output_that_is_an_input_is_refused_and_nothing_changes(work, argv):
    (work / "sub").mkdir()
    (work / "link.parquet").symlink_to(work / "reviews.parquet")
    r = run_cli("fit", "votes.parquet", "-o", "l0.parquet", "--save-model", "model.json", "-q")
    assert r.exit_code == 0, r.stderr
    before = _snapshot(work)
    r = run_cli(*argv)
    assert r.exit_code == 1
    line = one_line_error(r)
    assert "input" in line or "two outputs" in line
    assert _snapshot(work) == before
    assert not temporaries(work)


def test_check_distinct_library():
    check_distinct(["a.parquet"], ["b.parquet", "c.json"])
    with pytest.raises(InputError, match="two outputs"):
        check_distinct([], ["x/../b.parquet", "b.parquet"])
    with pytest.raises(InputError, match="is an input"):
        check_distinct(["data"], ["."])      # an output folder holding an input


# --------------------------------------------------------------------------- concurrent runs
def test_second_writer_without_force_fails_instead_of_replacing(tmp_path):
    dest = tmp_path / "votes.parquet"
    with pytest.raises(InputError, match="already exists"):
        with atomic_output(dest) as tmp:
            tmp.write_text("second run")
            dest.write_text("first run")          # another run finished first
    assert dest.read_text() == "first run"
    assert not temporaries(tmp_path)


def test_two_concurrent_cli_runs_one_wins_one_fails(work):
    import subprocess

    procs = [subprocess.Popen([sys.executable, "-m", "weaklabel", "apply", "lfs.py", "reviews.parquet", "-o", "v.parquet",
                               "-q", "-j", "1"], stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = sorted(p.wait(timeout=120) for p in procs)
    errs = [p.stderr.read() for p in procs]
    assert codes == [0, 1], errs
    assert any("already exists" in e for e in errs)
    assert not temporaries(work)


# --------------------------------------------------------------------------- outputs together
def test_fit_labels_and_model_appear_together_or_not_at_all(work, monkeypatch):
    from pathlib import Path

    real = Path.write_text

    def disk_full(self, *a, **k):          # the disk fills up while the model file is written
        if "model.json" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", disk_full)
    r = run_cli("fit", "votes.parquet", "-o", "labels.parquet", "--save-model", "model.json")
    assert r.exit_code == 1
    assert "no space left" in one_line_error(r)
    assert not (work / "labels.parquet").exists() and not (work / "model.json").exists()
    assert not temporaries(work)


def test_output_group_restores_replaced_files_when_a_rename_fails(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    with pytest.raises(InputError, match="already exists"):
        with output_group():
            write_json_atomic({"new": "a"}, a, force=True)
            with atomic_output(b) as tmp:
                tmp.write_text("new b")
            b.write_text("someone else's b")      # appears before the group commits
    assert a.read_text() == "old a" and b.read_text() == "someone else's b"
    assert not temporaries(tmp_path)


# --------------------------------------------------------------------------- modes
def test_force_does_not_copy_setuid_or_setgid_bits(work):
    target = work / "labels.parquet"
    target.write_text("old")
    os.chmod(target, 0o6755)
    r = run_cli("fit", "votes.parquet", "-o", "labels.parquet", "--force", "-q")
    assert r.exit_code == 0, r.stderr
    mode = target.stat().st_mode
    assert mode & 0o7000 == 0 and mode & 0o777 == 0o755


# --------------------------------------------------------------------------- disk full, size limit
def test_disk_full_while_writing_labels_is_one_line(work, monkeypatch):
    import pyarrow.parquet as pq

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    # every engine writes labels through one ParquetWriter (weaklabel.fit.labels.write_label_blocks)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    r = run_cli("fit", "votes.parquet", "-o", "labels.parquet")
    assert r.exit_code == 1 and "no space left on the device" in one_line_error(r)
    assert not (work / "labels.parquet").exists() and not temporaries(work)


def _limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # write() then fails with EFBIG


@pytest.mark.parametrize("argv", [
    ["apply", "lfs.py", "reviews.parquet", "-o", "v.parquet", "-j", "1"],
    ["fit", "votes.parquet", "-o", "labels.parquet", "--save-model", "m.json"],
    ["fit", "votes.parquet", "-o", "labels.parquet", "--stream"],
], ids=["apply", "fit", "fit-stream"])
def test_file_size_limit_is_one_line_and_leaves_nothing(work, argv):
    r = run_sub(*argv, preexec_fn=_limit_file_size, cwd=work)
    assert r.returncode == 1, r.stderr
    assert "file too large" in one_line_error(r)
    assert not temporaries(work)
    assert not (work / "v.parquet").exists() and not (work / "labels.parquet").exists()


def test_unwritable_or_missing_output_folder_is_one_line(work):
    r = run_cli("fit", "votes.parquet", "-o", "nope/labels.parquet")
    assert r.exit_code == 1 and "does not exist" in one_line_error(r)
    r = run_cli("fit", "votes.parquet", "-o", "votes.parquet/labels.parquet")
    assert r.exit_code == 1 and "not a folder" in one_line_error(r)
    if os.geteuid() != 0:
        ro = work / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        r = run_cli("fit", "votes.parquet", "-o", "ro/labels.parquet")
        assert r.exit_code == 1 and "not writable" in one_line_error(r)


# --------------------------------------------------------------------------- stale temporaries
def test_stale_temporaries_of_dead_owners_are_removed(work):
    import subprocess

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host_tag = _owner_tag().split("-")[0]
    stale = work / f".votes.parquet.{host_tag}-{dead.pid}.abcd1234.tmp"
    stale.write_bytes(b"x" * 1000)
    live = work / f".votes.parquet.{host_tag}-{os.getppid()}.abcd1234.tmp"   # a running process's file
    live.write_bytes(b"y")
    old = work / ".votes.parquet.k3j4h5g6.tmp"                                # older weaklabel, a day old
    old.write_bytes(b"z")
    os.utime(old, (1, 1))
    young = work / ".votes.parquet.q1w2e3r4.tmp"
    young.write_bytes(b"w")
    r = run_cli("apply", "lfs.py", "reviews.parquet", "-o", "votes.parquet", "--force", "-q", "-j", "1")
    assert r.exit_code == 0, r.stderr
    assert not stale.exists() and not old.exists()
    assert live.exists() and young.exists()
    assert clean_stale_temporaries(work / "votes.parquet") == []


def test_model_file_is_plain_json_written_atomically(work):
    r = run_cli("fit", "votes.parquet", "-o", "labels.parquet", "--save-model", "model.json", "-q")
    assert r.exit_code == 0
    json.loads((work / "model.json").read_text())


# --------------------------------------------------------------------------- output names
def _refused_with_scores_file(work, argv):
    """``(the one error line, the folder before)`` of a command refused before any work, run beside
    a small ``scores.parquet`` for ``select``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    pd.DataFrame({"question_id": np.repeat(np.arange(20), 4), "answer": np.tile(np.arange(4), 20),
                  "v1": rng.random(80), "v2": rng.random(80)}).to_parquet("scores.parquet")
    before = _snapshot(work)
    r = run_cli(*argv)
    assert r.exit_code == 1
    return one_line_error(r), before


@pytest.mark.parametrize("argv, name", [
    (["apply", "lfs.py", "reviews.parquet", "-o", "votes.csv"], "votes.csv"),
    (["fit", "votes.parquet", "-o", "labels.csv"], "labels.csv"),
    (["fit", "votes.parquet", "-o", "labels.JSON", "--stream"], "labels.JSON"),
    (["predict", "model.json", "votes.parquet", "-o", "new.xlsx"], "new.xlsx"),
    (["select", "scores.parquet", "-o", "selection.tsv"], "selection.tsv"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else a)
def test_an_output_named_as_another_format_is_refused_before_any_work(work, argv, name):
    """`-o labels.csv` used to write Parquet bytes under a .csv name (a spreadsheet then reads
    garbage); it is refused with the name to use, and nothing is written."""
    r = run_cli("fit", "votes.parquet", "-o", "l0.parquet", "--save-model", "model.json", "-q")
    assert r.exit_code == 0, r.stderr
    line, before = _refused_with_scores_file(work, argv)
    assert name in line and "Parquet" in line and ".parquet" in line
    assert not (work / name).exists() and _snapshot(work) == before and not temporaries(work)
    if name.endswith(".csv"):
        assert "to_csv" in line


@pytest.mark.parametrize("argv, name, fix", [
    (["fit", "votes.parquet", "-o", "labels.parquet", "--save-model", "m.parquet"], "m.parquet", "m.json"),
    (["fit", "votes.parquet", "-o", "labels.parquet", "--stream", "--save-model", "model"], "model", "model.json"),
    (["select", "scores.parquet", "-o", "sel.parquet", "--save-model", "selector.npz"], "selector.npz",
     "selector.json"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else a)
def test_a_model_file_not_named_json_is_refused_before_any_work(work, argv, name, fix):
    """`fit --save-model m.parquet` wrote JSON under a Parquet name; it is refused with the name
    to use, and nothing is written (not the labels either)."""
    from weaklabel import VoteMatrix, save_model
    from weaklabel.fit.run import fit_file
    from weaklabel.models import MajorityVote
    from weaklabel.verifiers.selector import VerifierSelector

    line, before = _refused_with_scores_file(work, argv)
    assert name in line and "JSON" in line and fix in line
    assert _snapshot(work) == before and not temporaries(work)
    # the library refuses too, whichever way the model is written
    lm = MajorityVote().fit(VoteMatrix.read_parquet("votes.parquet"))
    for call in (lambda: save_model(lm, "m.parquet"), lambda: VerifierSelector().save("s.pkl"),
                 lambda: fit_file("votes.parquet", "l.parquet", "majority", save_model="m.txt")):
        with pytest.raises(InputError, match="as JSON"):
            call()
    assert _snapshot(work) == before and not temporaries(work)
